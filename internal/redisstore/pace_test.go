package redisstore_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/bot/telegramtest"
	"villagebot/internal/redisstore"
	"villagebot/internal/redistest"
	"villagebot/internal/telegram"
)

// The shared bucket hands out one token an interval, burst at once, by
// Redis's clock; a token further off than the caller waits is not taken.
func TestRedisPaceReserves(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb, prefix := redistest.New(t)
	p := redisstore.New(rdb, prefix).Pace()
	const iv = 100 * time.Millisecond
	var waits []time.Duration
	for range 3 {
		w, ok, err := p.Reserve(ctx, iv, iv, time.Second) // a burst of 2
		if err != nil || !ok {
			t.Fatalf("Reserve = %v, %v, %v", w, ok, err)
		}
		waits = append(waits, w)
	}
	if waits[0] != 0 || waits[1] != 0 || waits[2] < 80*time.Millisecond || waits[2] > iv {
		t.Errorf("waits %v, want 0, 0, then about %v", waits, iv)
	}
	// The next token is about 200 ms off: not within 150 ms, and not taken.
	w, ok, err := p.Reserve(ctx, iv, iv, 150*time.Millisecond)
	if err != nil || ok || w < 150*time.Millisecond {
		t.Errorf("Reserve past the bound = %v, %v, %v; want a refusal with the wait", w, ok, err)
	}
	if w2, ok, err := p.Reserve(ctx, iv, iv, time.Second); err != nil || !ok || w2 > w+10*time.Millisecond {
		t.Errorf("after a refusal Reserve = %v, %v, %v; want the slot the refusal left, about %v", w2, ok, err, w)
	}
}

// Two processes of one bot sharing the global pace stay within Telegram's
// global limit together, where each alone would keep to it and both
// together would not.
func TestReplicasShareTheGlobalPace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := telegramtest.NewServer()
	defer srv.Close()
	const rate, each = 25, 35
	srv.SetRateLimit(telegramtest.RateLimit{Global: rate})
	rdb, prefix := redistest.New(t)
	limits := telegram.Limits{PerSecond: rate, ChatPerSecond: 1000, ChatBurst: 1000}
	var clients []*telegram.Client
	for range 2 {
		tg, err := telegram.New(ctx, srv.URL(), srv.Token(), slog.New(slog.DiscardHandler),
			telegram.WithLimits(limits), telegram.WithSharedPace(redisstore.New(rdb, prefix).Pace()))
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, tg)
	}
	var users []*telegramtest.User
	for i := range 2 * each {
		users = append(users, srv.AddUser(telegramtest.UserConfig{ID: int64(8001 + i), Started: true}))
	}

	start := time.Now()
	var wg sync.WaitGroup
	for c, tg := range clients {
		for i := range each {
			u := users[c*each+i]
			wg.Go(func() {
				if _, err := tg.Send(ctx, tgbotapi.NewMessage(u.ID(), fmt.Sprintf("hello %d", u.ID()))); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	if n := srv.TooManyRequests(); n != 0 {
		t.Errorf("Telegram answered 429 %d times, want none", n)
	}
	if took, least := time.Since(start), time.Duration(2*each-1)*time.Second/rate; took < least*9/10 {
		t.Errorf("%d messages from both took %v: faster than %d a second together", 2*each, took, rate)
	}
	srv.AssertNoViolations(t)
}

// When the shared bucket does not answer, a process keeps to its own and
// says so, once for the while it keeps to it.
func TestWithoutTheSharedPaceAProcessKeepsItsOwn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := telegramtest.NewServer()
	defer srv.Close()
	rdb, prefix := redistest.New(t)
	down := redisstore.New(rdb, prefix).Pace()
	rdb.Close() // every call now fails at once
	logs := &syncBuilder{}
	tg, err := telegram.New(ctx, srv.URL(), srv.Token(), slog.New(slog.NewTextHandler(logs, nil)),
		telegram.WithLimits(telegram.Limits{PerSecond: 20}), telegram.WithSharedPace(down))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range 10 {
		u := srv.AddUser(telegramtest.UserConfig{ID: int64(8101 + i), Started: true})
		if _, err := tg.Send(ctx, tgbotapi.NewMessage(u.ID(), "hello")); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took < 400*time.Millisecond {
		t.Errorf("10 messages at 20 a second took %v: the own bucket did not pace them", took)
	}
	if n := strings.Count(logs.String(), "shared send pace unavailable"); n != 1 {
		t.Errorf("the failing shared pace was logged %d times, want once:\n%s", n, logs.String())
	}
}

// syncBuilder is a strings.Builder safe for concurrent logging.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
