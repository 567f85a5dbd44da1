package telegramtest

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// pollIDs calls getUpdates with raw parameters and returns the update ids.
func pollIDs(t *testing.T, srv *Server, params map[string]string) []int {
	t.Helper()
	r := post(t, srv, "getUpdates", params)
	if !r.OK {
		t.Fatalf("getUpdates(%v) = %d %s", params, r.ErrorCode, r.Description)
	}
	var ups []struct {
		UpdateID int `json:"update_id"`
	}
	if err := json.Unmarshal(r.Result, &ups); err != nil {
		t.Fatalf("decode updates: %v", err)
	}
	ids := make([]int, len(ups))
	for i, u := range ups {
		ids[i] = u.UpdateID
	}
	return ids
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestGetUpdatesFollowsTelegramsOffsetRules(t *testing.T) {
	t.Parallel()
	srv, _ := start(t)
	u := srv.User(1, "Alice", "en")
	a := u.Send("one")
	b := u.Send("two")
	c := u.Send("three")
	if b != a+1 || c != b+1 {
		t.Fatalf("update ids %d %d %d are not consecutive", a, b, c)
	}
	steps := []struct {
		name   string
		params map[string]string
		want   []int
	}{
		{"without an offset every unconfirmed update comes", nil, []int{a, b, c}},
		{"the limit caps the batch", map[string]string{"limit": "2"}, []int{a, b}},
		{"an offset returns updates from it on", map[string]string{"offset": strconv.Itoa(b)}, []int{b, c}},
		{"updates below the last offset are forgotten", nil, []int{b, c}},
		{"a negative offset keeps only the last ones", map[string]string{"offset": "-1"}, []int{c}},
		{"and forgets the others", nil, []int{c}},
		{"an offset past the last update confirms it", map[string]string{"offset": strconv.Itoa(c + 1)}, []int{}},
		{"after which nothing is pending", nil, []int{}},
	}
	for _, st := range steps {
		if got := pollIDs(t, srv, st.params); !equalInts(got, st.want) {
			t.Errorf("%s: got %v, want %v", st.name, got, st.want)
		}
	}
	if n := srv.PendingUpdates(); n != 0 {
		t.Errorf("PendingUpdates() = %d, want 0", n)
	}
	srv.AssertNoViolations(t)
}

func TestGetUpdatesLongPollWaitsForAnUpdate(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	u := srv.User(1, "Alice", "en")
	type result struct {
		ups []tgbotapi.Update
		err error
	}
	done := make(chan result, 1)
	began := time.Now()
	go func() {
		ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{Timeout: 30})
		done <- result{ups, err}
	}()
	id := u.Send("hello")
	r := <-done
	if r.err != nil {
		t.Fatalf("getUpdates: %v", r.err)
	}
	if len(r.ups) != 1 || r.ups[0].UpdateID != id || r.ups[0].Message.Text != "hello" {
		t.Fatalf("got %+v, want update %d with the message", r.ups, id)
	}
	if elapsed := time.Since(began); elapsed > 10*time.Second {
		t.Errorf("the poll returned after %v, it should wake on the update", elapsed)
	}
}

func TestGetUpdatesTimesOutEmpty(t *testing.T) {
	t.Parallel()
	_, bot := start(t)
	began := time.Now()
	ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{Timeout: 1})
	if err != nil || len(ups) != 0 {
		t.Fatalf("got %v, %v; want no updates", ups, err)
	}
	if elapsed := time.Since(began); elapsed < time.Second {
		t.Errorf("the poll returned after %v, before its 1 s timeout", elapsed)
	}
}

func TestCloseEndsALongPoll(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	done := make(chan error, 1)
	go func() {
		_, err := bot.GetUpdates(tgbotapi.UpdateConfig{Timeout: 50})
		done <- err
	}()
	srv.Close()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("the long poll outlived Close")
	}
}

func TestANewerPollTerminatesTheOlder(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := bot.GetUpdates(tgbotapi.UpdateConfig{Timeout: 50})
			errs <- err
		}()
	}
	err := <-errs
	if e := clientError(t, err); e.Code != 409 || e.Message != "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running" {
		t.Errorf("the older poll got %d %q", e.Code, e.Message)
	}
	srv.Close()
	<-errs
	srv.AssertNoViolations(t)
}

func TestGetUpdatesConflictsWithAWebhook(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	hook := newHook(t, nil)
	if _, err := bot.Request(tgbotapi.WebhookConfig{URL: mustURL(t, hook.URL)}); err != nil {
		t.Fatalf("setWebhook: %v", err)
	}
	_, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
	want := "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
	if e := clientError(t, err); e.Code != 409 || e.Message != want {
		t.Errorf("getUpdates with a webhook = %d %q, want 409 %q", e.Code, e.Message, want)
	}
	if v := lastViolation(t, srv); v.Method != "getUpdates" || v.Code != 409 {
		t.Errorf("violation = %v", v)
	}
	if _, err := bot.Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
		t.Fatalf("deleteWebhook: %v", err)
	}
	if _, err := bot.GetUpdates(tgbotapi.UpdateConfig{}); err != nil {
		t.Errorf("getUpdates after deleteWebhook: %v", err)
	}
}

func TestRedeliverSendsTheSameUpdateAgain(t *testing.T) {
	t.Parallel()
	srv, _ := start(t)
	id := srv.User(1, "Alice", "en").Send("/confirm")
	next := strconv.Itoa(id + 1)
	if got := pollIDs(t, srv, nil); !equalInts(got, []int{id}) {
		t.Fatalf("first poll: %v", got)
	}
	if got := pollIDs(t, srv, map[string]string{"offset": next}); len(got) != 0 {
		t.Fatalf("after confirming: %v", got)
	}
	if err := srv.Redeliver(id); err != nil {
		t.Fatal(err)
	}
	if got := pollIDs(t, srv, map[string]string{"offset": next}); !equalInts(got, []int{id}) {
		t.Errorf("after Redeliver: %v, want [%d] despite the offset", got, id)
	}
	if got := pollIDs(t, srv, map[string]string{"offset": next}); len(got) != 0 {
		t.Errorf("a redelivery comes once, then: %v", got)
	}
	if err := srv.Redeliver(12); err == nil {
		t.Error("Redeliver of an unknown update succeeded")
	}
}

func TestSetDuplicatesDeliversEveryUpdateTwice(t *testing.T) {
	t.Parallel()
	srv, _ := start(t)
	srv.SetDuplicates(2)
	id := srv.User(1, "Alice", "en").Send("/confirm")
	if got := pollIDs(t, srv, nil); !equalInts(got, []int{id, id}) {
		t.Errorf("got %v, want [%d %d]", got, id, id)
	}
}

func TestAllowedUpdatesFilterNewUpdates(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	if _, err := bot.GetUpdates(tgbotapi.UpdateConfig{AllowedUpdates: []string{"callback_query"}}); err != nil {
		t.Fatal(err)
	}
	u := startedUser(srv, 1)
	if id := u.Send("ignored"); id != 0 {
		t.Errorf("a message the bot did not ask for got update id %d", id)
	}
	m, err := bot.Send(tgbotapi.NewMessage(1, "pick"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.PressData(m.MessageID, "x"); err != nil {
		t.Fatal(err)
	}
	ups := nextUpdates(t, bot, 0)
	if len(ups) != 1 || ups[0].CallbackQuery == nil {
		t.Errorf("got %+v, want only the callback query", ups)
	}
}

func TestInjectUpdate(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	id, err := srv.InjectUpdate(json.RawMessage(`{"my_chat_member":{"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"E"},"date":1,"old_chat_member":{"status":"member","user":{"id":1,"is_bot":true,"first_name":"B"}},"new_chat_member":{"status":"kicked","user":{"id":1,"is_bot":true,"first_name":"B"},"until_date":0}}}`))
	if err != nil {
		t.Fatal(err)
	}
	ups := nextUpdates(t, bot, 0)
	if len(ups) != 1 || ups[0].UpdateID != id || ups[0].MyChatMember == nil || ups[0].MyChatMember.NewChatMember.Status != "kicked" {
		t.Errorf("got %+v", ups)
	}
	if _, err := srv.InjectUpdate(json.RawMessage(`{"a":{},"b":{}}`)); err == nil {
		t.Error("an update with two kinds was accepted")
	}
}
