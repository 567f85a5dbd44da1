package telegram

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/prometheus/client_golang/prometheus"

	"villagebot/bot/telegramtest"
)

// An error answer that is not Telegram's JSON — a proxy's 502 page — is
// an *HTTPError with its status and the start of its body, the token
// taken out, counted under 5xx; and a safe call is retried past it.
func TestAProxyPageIsAnHTTPErrorOfItsClass(t *testing.T) {
	t.Parallel()
	srv := telegramtest.NewServer()
	defer srv.Close()
	u := srv.AddUser(telegramtest.UserConfig{ID: 1301, Started: true})
	logs := &syncBuilder{}
	tg, err := New(context.Background(), srv.URL(), srv.Token(), slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	tg.Metrics = NewMetrics(prometheus.NewRegistry(), prometheus.NewGauge(prometheus.GaugeOpts{Name: "waiting"}))
	page := "<html><body><h1>502 Bad Gateway</h1><p>upstream " + srv.Token() + " failed</p></body></html>"
	srv.ProxyPageNext("sendMessage", 1, 502, page)
	_, err = tg.Send(context.Background(), tgbotapi.NewMessage(u.ID(), "hello"))
	var httpErr *HTTPError
	if !errors.As(err, &httpErr) || httpErr.Status != 502 || !strings.Contains(httpErr.Excerpt, "502 Bad Gateway") {
		t.Fatalf("send answered by a proxy's 502 page: err = %v, want an HTTPError with the status and the page's start", err)
	}
	if strings.Contains(err.Error(), srv.Token()) || !strings.Contains(err.Error(), "<token>") {
		t.Errorf("the error does not hide the token: %v", err)
	}
	if got := value(t, tg.Metrics.Outbound.WithLabelValues("sendMessage", "5xx")); got != 1 {
		t.Errorf("sendMessage 5xx = %v, want 1", got)
	}
	if got := value(t, tg.Metrics.Outbound.WithLabelValues("sendMessage", "4xx")); got != 0 {
		t.Errorf("sendMessage 4xx = %v, want 0", got)
	}
	srv.ProxyPageNext("editMessageText", 1, 503, "<html>busy</html>")
	msg, err := tg.Send(context.Background(), tgbotapi.NewMessage(u.ID(), "hello again"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tg.Request(context.Background(), tgbotapi.NewEditMessageText(u.ID(), msg.MessageID, "edited")); err != nil {
		t.Errorf("an edit answered once by a proxy's 503 page is not retried: %v", err)
	}
	if !strings.Contains(logs.String(), "HTTP 503") {
		t.Errorf("the retried call's log does not name the status:\n%s", logs.String())
	}
}
