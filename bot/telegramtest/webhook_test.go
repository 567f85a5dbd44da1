package telegramtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// delivery is one webhook request the bot's endpoint received.
type delivery struct {
	secret string
	update tgbotapi.Update
}

// hook is a bot's webhook endpoint for tests. Each request is reported on
// got; respond decides the answer (nil: 200 with no body).
type hook struct {
	*httptest.Server
	got chan delivery
}

func newHook(t *testing.T, respond func(d delivery, w http.ResponseWriter)) *hook {
	t.Helper()
	h := &hook{got: make(chan delivery, 100)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var d delivery
		d.secret = r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &d.update); err != nil {
			t.Errorf("webhook body %q: %v", body, err)
		}
		h.got <- d
		if respond != nil {
			respond(d, w)
		}
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) next(t *testing.T) delivery {
	t.Helper()
	select {
	case d := <-h.got:
		return d
	case <-time.After(wait):
		t.Fatal("no webhook delivery")
		return delivery{}
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func setHook(t *testing.T, bot *tgbotapi.BotAPI, params tgbotapi.Params) {
	t.Helper()
	if _, err := bot.MakeRequest("setWebhook", params); err != nil {
		t.Fatalf("setWebhook: %v", err)
	}
}

func TestWebhookDeliversUpdatesWithTheSecret(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	h := newHook(t, nil)
	setHook(t, bot, tgbotapi.Params{"url": h.URL + "/tg", "secret_token": "s3cr3t_-", "max_connections": "5"})
	id := srv.User(1, "Alice", "en").Send("/start p_TEA")
	d := h.next(t)
	if d.secret != "s3cr3t_-" {
		t.Errorf("secret header = %q", d.secret)
	}
	if d.update.UpdateID != id || d.update.Message.Command() != "start" || d.update.Message.CommandArguments() != "p_TEA" {
		t.Errorf("update = %+v", d.update)
	}
	info, err := bot.GetWebhookInfo()
	if err != nil {
		t.Fatal(err)
	}
	if info.URL != h.URL+"/tg" || info.MaxConnections != 5 {
		t.Errorf("webhook info = %+v", info)
	}
	srv.AssertNoViolations(t)
}

func TestWebhookRedeliversAfterAFailure(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	var calls atomic.Int32
	h := newHook(t, func(_ delivery, w http.ResponseWriter) {
		if calls.Add(1) == 1 {
			http.Error(w, "boom", http.StatusInternalServerError)
		}
	})
	setHook(t, bot, tgbotapi.Params{"url": h.URL})
	id := srv.User(1, "Alice", "en").Send("hello")
	first, second := h.next(t), h.next(t)
	if first.update.UpdateID != id || second.update.UpdateID != id {
		t.Errorf("deliveries %d and %d, want %d twice", first.update.UpdateID, second.update.UpdateID, id)
	}
	info, err := bot.GetWebhookInfo()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(info.LastErrorMessage, "500") {
		t.Errorf("last error = %q, want the 500", info.LastErrorMessage)
	}
	if st := srv.Stats(); st.WebhookFailures != 1 || st.WebhookAttempts < 2 {
		t.Errorf("stats = %+v", st)
	}
}

func TestWebhookKeepsEachChatInOrder(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	release := make(chan struct{})
	h := newHook(t, func(delivery, http.ResponseWriter) { <-release })
	setHook(t, bot, tgbotapi.Params{"url": h.URL})
	alice, bob := srv.User(1, "Alice", "en"), srv.User(2, "Bob", "en")
	a1 := alice.Send("a1")
	a2 := alice.Send("a2")
	b1 := bob.Send("b1")
	got := map[int]bool{h.next(t).update.UpdateID: true, h.next(t).update.UpdateID: true}
	if !got[a1] || !got[b1] {
		t.Errorf("while a1 is in flight the server sent %v, want a1 (%d) and b1 (%d)", got, a1, b1)
	}
	close(release)
	if d := h.next(t); d.update.UpdateID != a2 {
		t.Errorf("then %d, want a2 (%d)", d.update.UpdateID, a2)
	}
}

func TestWebhookReplyCanCallAMethod(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	h := newHook(t, func(d delivery, w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"method": "sendMessage", "chat_id": d.update.Message.Chat.ID, "text": "pong"})
	})
	setHook(t, bot, tgbotapi.Params{"url": h.URL})
	u := srv.User(1, "Alice", "en")
	u.Send("ping")
	if _, err := u.WaitText(wait, "pong"); err != nil {
		t.Fatal(err)
	}
	srv.AssertNoViolations(t)
}

func TestWebhookRedeliverAndDropPending(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	u := srv.User(1, "Alice", "en")
	stale := u.Send("before the webhook")
	h := newHook(t, nil)
	setHook(t, bot, tgbotapi.Params{"url": h.URL, "drop_pending_updates": "true"})
	id := u.Send("after")
	if d := h.next(t); d.update.UpdateID != id {
		t.Fatalf("delivered %d, want %d (update %d was dropped)", d.update.UpdateID, id, stale)
	}
	if err := srv.Redeliver(id); err != nil {
		t.Fatal(err)
	}
	if d := h.next(t); d.update.UpdateID != id {
		t.Errorf("redelivered %d, want %d", d.update.UpdateID, id)
	}
}
