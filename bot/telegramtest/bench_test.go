package telegramtest

import (
	"context"
	"html"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// echoBot is the smallest bot that behaves like ours on the wire: it long
// polls, and answers each message with an HTML text and an inline keyboard,
// from a pool of workers.
func echoBot(ctx context.Context, b *testing.B, srv *Server, workers int) (done func()) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers + 1}}
	api, err := tgbotapi.NewBotAPIWithClient(srv.Token(), srv.Endpoint(), client)
	if err != nil {
		b.Fatal(err)
	}
	work := make(chan *tgbotapi.Message, 1000)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range work {
				reply := htmlMessage(m.Chat.ID, "<b>echo</b> "+html.EscapeString(m.Text))
				reply.ReplyMarkup = cartKeyboard()
				if _, err := api.Send(reply); err != nil && ctx.Err() == nil {
					b.Error(err)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(work)
		offset := 0
		for ctx.Err() == nil {
			ups, err := api.GetUpdates(tgbotapi.UpdateConfig{Offset: offset, Timeout: 1})
			if err != nil {
				continue
			}
			for _, u := range ups {
				offset = u.UpdateID + 1
				work <- u.Message
			}
		}
	}()
	return wg.Wait
}

// BenchmarkRoundTrip measures a user's message to the bot's reply, with 200
// users talking at once; it reports round trips per second.
func BenchmarkRoundTrip(b *testing.B) {
	srv := NewServer()
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := echoBot(ctx, b, srv, 32)
	const users = 200
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	began := time.Now()
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := srv.User(int64(i+1), "U", "en")
			for n := next.Add(1); n <= int64(b.N); n = next.Add(1) {
				text := "m" + strconv.FormatInt(n, 10)
				u.Send(text)
				if _, err := u.WaitText(10*time.Second, "echo "+text); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "roundtrips/s")
	b.StopTimer()
	cancel()
	srv.Close()
	done()
	if vs := srv.Violations(); len(vs) > 0 {
		b.Fatalf("violations: %v", vs[0])
	}
}
