package telegramtest

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

func TestFailNextAnswersLikeTelegram(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		method     string
		code       int
		retryAfter int
		want       string
	}{
		{"flood control carries retry_after", "sendMessage", 429, 7, "Too Many Requests: retry after 7"},
		{"a server error", "", 500, 0, "Internal Server Error"},
		{"a bad gateway", "*", 502, 0, "Bad Gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, bot := start(t)
			startedUser(srv, 1)
			srv.FailNext(tt.method, 1, tt.code, tt.retryAfter)
			_, err := bot.Send(tgbotapi.NewMessage(1, "hi"))
			e := clientError(t, err)
			if e.Code != tt.code || e.Message != tt.want || e.RetryAfter != tt.retryAfter {
				t.Errorf("got %d %q retry_after=%d, want %d %q retry_after=%d", e.Code, e.Message, e.RetryAfter, tt.code, tt.want, tt.retryAfter)
			}
			if _, err := bot.Send(tgbotapi.NewMessage(1, "hi")); err != nil {
				t.Errorf("the call after the fault: %v", err)
			}
			if got, want := srv.TooManyRequests(), map[bool]int{true: 1}[tt.code == 429]; got != want {
				t.Errorf("TooManyRequests() = %d, want %d", got, want)
			}
			if msgs := srv.User(1, "", "").Messages(); len(msgs) != 1 {
				t.Errorf("a failed call changed the chat: %v", msgs)
			}
			srv.AssertNoViolations(t)
		})
	}
}

func TestFailNextOnlyHitsItsMethod(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	startedUser(srv, 1)
	srv.FailNext("editMessageText", 2, 500, 0)
	if _, err := bot.Send(tgbotapi.NewMessage(1, "hi")); err != nil {
		t.Errorf("sendMessage failed: %v", err)
	}
	for i := range 2 {
		if _, err := bot.Send(tgbotapi.NewEditMessageText(1, 1, "x"+strconv.Itoa(i))); err == nil {
			t.Errorf("edit %d succeeded", i)
		}
	}
	if _, err := bot.Send(tgbotapi.NewEditMessageText(1, 1, "x")); err != nil {
		t.Errorf("the third edit: %v", err)
	}
}

func TestDropNextClosesTheConnection(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	startedUser(srv, 1)
	srv.DropNext("sendMessage", 1)
	_, err := bot.Send(tgbotapi.NewMessage(1, "hi"))
	var e *tgbotapi.Error
	if err == nil || errors.As(err, &e) {
		t.Fatalf("want a transport error, got %v", err)
	}
	if _, err := bot.Send(tgbotapi.NewMessage(1, "hi")); err != nil {
		t.Errorf("the call after the drop: %v", err)
	}
	if st := srv.Stats(); st.Dropped != 1 || st.Methods["sendMessage"] != 2 {
		t.Errorf("stats = %+v", st)
	}
}

func TestRefuseClosesEveryConnection(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	srv.Refuse(true)
	_, err := bot.GetMe()
	if err == nil {
		t.Fatal("getMe succeeded while refusing")
	}
	// This is why the bot must scrub errors before logging them.
	if !strings.Contains(err.Error(), srv.Token()) {
		t.Logf("the client's error does not name the token: %v", err)
	}
	srv.Refuse(false)
	if _, err := bot.GetMe(); err != nil {
		t.Errorf("getMe after Refuse(false): %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	srv, bot := start(t, WithClock(clock))
	startedUser(srv, 1)
	startedUser(srv, 2)
	send := func(chat int64) error { _, err := bot.Send(tgbotapi.NewMessage(chat, "x")); return err }

	if err := send(1); err != nil {
		t.Fatal("flood control is on by default:", err)
	}
	srv.SetRateLimit(RateLimit{PerChatBurst: 3, PerChatRate: 1, Global: 4})
	for i := range 3 {
		if err := send(1); err != nil {
			t.Fatalf("burst message %d: %v", i, err)
		}
	}
	err := send(1)
	if e := clientError(t, err); e.Code != 429 || e.RetryAfter != 1 || e.Message != "Too Many Requests: retry after 1" {
		t.Errorf("over the burst: %d %q retry_after=%d", e.Code, e.Message, e.RetryAfter)
	}
	if err := send(2); err != nil {
		t.Errorf("another chat has its own burst: %v", err)
	}
	if err := send(2); err == nil {
		t.Error("the global limit of 4 a second let a fifth message through")
	}
	advance(time.Second)
	if err := send(1); err != nil {
		t.Errorf("after a second: %v", err)
	}
	if _, err := bot.Request(tgbotapi.NewChatAction(1, tgbotapi.ChatTyping)); err != nil {
		t.Errorf("chat actions are not limited: %v", err)
	}
	if got := srv.TooManyRequests(); got != 2 {
		t.Errorf("TooManyRequests() = %d, want 2", got)
	}
	srv.AssertNoViolations(t)
}

func TestRateLimitForGroups(t *testing.T) {
	t.Parallel()
	srv, _ := start(t, WithClock(func() time.Time { return time.Unix(1e9, 0) }))
	srv.SetRateLimit(TelegramRateLimit())
	for i := range 20 {
		// The group is unknown here, which is beside the point: flood control
		// comes first.
		if r := post(t, srv, "sendMessage", map[string]string{"chat_id": "-100123", "text": "x"}); r.ErrorCode == 429 {
			t.Fatalf("message %d to the group was limited", i)
		}
	}
	r := post(t, srv, "sendMessage", map[string]string{"chat_id": "-100123", "text": "x"})
	if r.ErrorCode != 429 || r.Parameters == nil || r.Parameters.RetryAfter != 3 {
		t.Errorf("the 21st message in a minute: %+v", r)
	}
}
