package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"villagebot/bot/telegramtest"
	"villagebot/internal/app"
	"villagebot/internal/telegram"
)

// A broadcast-sized burst of notifications — 150 outbox rows to 60 chats —
// against Telegram's flood control: every one arrives, once, with no
// violation; the 429s Telegram sends are waited out, never dropped and
// never sent twice.
func TestABroadcastArrivesOnceWithinTelegramsLimits(t *testing.T) {
	t.Parallel()
	h := startLimited(t)
	// Two 429s Telegram sends all the same (its limits are not exactly
	// the documented ones): the first two sends must be retried.
	h.srv.FailNext("sendMessage", 2, 429, 1)

	const chats, rows = 60, 150
	var users []*telegramtest.User
	for i := range chats {
		users = append(users, h.user(int64(7001+i), "en"))
	}
	p := h.product("MN-BLACKTEA")
	var values []string
	var args []any
	for i := range rows {
		u := users[i%chats]
		payload := fmt.Sprintf(`{"product_id": %d, "sku": %q, "stock": %d}`, p.ID, p.SKU, 1000+i)
		values = append(values, fmt.Sprintf("($%d, 'low_stock', $%d)", 2*i+1, 2*i+2))
		args = append(args, u.ID(), payload)
	}
	h.db.MustExec(`INSERT INTO outbox (chat_id, kind, payload) VALUES `+strings.Join(values, ", "), args...)

	deadline := time.Now().Add(20 * time.Second)
	for i, u := range users {
		want := rows / chats
		if i < rows%chats {
			want++
		}
		if _, err := u.WaitFor(time.Until(deadline), func(ms []telegramtest.Message) bool {
			return countMessages(ms, "Low stock") >= want
		}); err != nil {
			t.Fatalf("chat %d: %v", u.ID(), err)
		}
	}
	waitFor(t, time.Until(deadline), "every row marked sent", func() bool {
		return h.count(`SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL`) == rows
	})
	h.stop() // nothing more can arrive

	for i := range rows {
		u := users[i%chats]
		if n := countMessages(u.Messages(), fmt.Sprintf("— %d left", 1000+i)); n != 1 {
			t.Errorf("notification %d arrived %d times in chat %d, want once", i, n, u.ID())
		}
	}
	if n := h.count(`SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL AND failed_at IS NULL`); n != rows {
		t.Errorf("%d outbox rows marked sent, want %d", n, rows)
	}
	st := h.srv.Stats()
	if st.TooManyRequests < 2 {
		t.Errorf("the server answered 429 %d times, want at least the 2 injected", st.TooManyRequests)
	}
	if sent := st.Methods["sendMessage"] - st.TooManyRequests; sent != rows {
		t.Errorf("%d sendMessage calls were accepted, want %d", sent, rows)
	}
	t.Logf("%d sendMessage calls, %d answered 429", st.Methods["sendMessage"], st.TooManyRequests)
}

// A user pressing buttons as fast as they can gets an answer to every
// press and ends on the screen of the last one, inside Telegram's flood
// control.
func TestQuickNavigationGetsEveryAnswer(t *testing.T) {
	t.Parallel()
	h := startLimited(t)
	u := h.user(7101, "en")
	u.Send("/start")
	menu := h.waitText(u, "Welcome")
	data := map[string]string{}
	for _, row := range menu.InlineKeyboard {
		for _, b := range row {
			data[b.Text] = b.CallbackData
		}
	}
	villages := data["🏡 Villages"]
	if villages == "" {
		t.Fatalf("no villages button on the menu: %v", menu.Buttons())
	}

	var queries []string
	for i := range 10 {
		d := villages
		if i%2 == 1 {
			d = "m" // the menu, as its button on the villages list sends
		}
		id, err := u.PressData(menu.ID, d)
		if err != nil {
			t.Fatal(err)
		}
		queries = append(queries, id)
	}
	for i, id := range queries {
		if _, err := u.WaitAnswer(id, 20*time.Second); err != nil {
			t.Fatalf("press %d: %v", i+1, err)
		}
	}
	final, err := u.WaitFor(wait, func(ms []telegramtest.Message) bool {
		last := ms[len(ms)-1]
		return last.ID == menu.ID && strings.Contains(last.Text, "What would you like to see?")
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := countMessages(final, ""); n != 1 {
		t.Errorf("the chat holds %d bot messages, want the one edited in place", n)
	}
	if n := h.srv.TooManyRequests(); n != 0 {
		t.Errorf("Telegram answered 429 %d times, want none", n)
	}
}

// Whatever goes wrong on the way to Telegram — connections refused, 5xx,
// connections dropped, 429 — the token appears in no log line.
func TestTheTokenIsNeverLogged(t *testing.T) {
	t.Parallel()
	h := start(t)
	u := h.user(7201, "en")

	h.srv.Refuse(true)
	waitFor(t, 10*time.Second, "two refused calls", func() bool { return h.srv.Stats().Dropped >= 2 })
	h.srv.Refuse(false)
	h.srv.FailNext("getUpdates", 1, 502, 0)
	h.srv.FailNext("sendMessage", 2, 429, 1)
	h.srv.FailNext("answerCallbackQuery", 1, 429, 1)
	h.srv.FailNext("editMessageText", 1, 500, 0)
	h.srv.DropNext("editMessageText", 1)

	u.Send("/start")
	if _, err := u.WaitText(20*time.Second, "Welcome"); err != nil {
		t.Fatal(err)
	}
	id := h.press(u, "🏡 Villages")
	if _, err := u.WaitAnswer(id, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := u.WaitText(wait, "Choose a village"); err != nil {
		t.Fatal(err)
	}
	h.stop()

	logs := h.logs.String()
	token := h.srv.Token()
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, token) || strings.Contains(line, strings.SplitN(token, ":", 2)[1]) {
			t.Errorf("the token appears in a log line: %s", strings.ReplaceAll(line, token, "XXX"))
		}
	}
	// The faults were met and logged, with the request URL scrubbed.
	for _, want := range []string{"bot<token>/getUpdates", "telegram call retried", "method=sendMessage", "method=answerCallbackQuery", "method=editMessageText"} {
		if !strings.Contains(logs, want) {
			t.Errorf("no log line has %q:\n%s", want, grepLines(logs, "WARN"))
		}
	}
	if st := h.srv.Stats(); st.Dropped < 3 || st.TooManyRequests < 3 {
		t.Errorf("stats = %+v, want the refused, dropped and 429 calls", st)
	}
}

// startLimited is the harness with the server's flood control on and the
// bot keeping to Telegram's limits (DefaultLimits), whatever limits the
// harness gives other tests.
func startLimited(t *testing.T, tune ...func(*app.Options)) *harness {
	h := start(t, tune...)
	h.stop()
	h.tune = append(h.tune, func(o *app.Options) {
		tg, err := telegram.New(context.Background(), h.srv.URL(), h.srv.Token(), h.log, telegram.WithLimits(telegram.DefaultLimits()))
		if err != nil {
			t.Fatal(err)
		}
		o.Bot.Telegram = tg
	})
	h.run()
	h.srv.SetRateLimit(telegramtest.TelegramRateLimit())
	return h
}
