package app_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"villagebot/bot"
	"villagebot/bot/telegramtest"
	"villagebot/catalog"
	"villagebot/internal/app"
	"villagebot/internal/delivery"
	"villagebot/internal/pgtest"
	"villagebot/internal/redistest"
	"villagebot/orders"
)

const wait = 10 * time.Second

// open builds a polling process for srv as serve does (app.Open), with
// its Redis keys under the bot's own namespace (REDIS_PREFIX unset), and
// runs it until the test ends. It returns the process and its log.
func open(t *testing.T, srv *telegramtest.Server, rdb redis.UniversalClient, prefix string) (*app.Process, *lockedBuilder) {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	if _, err := catalog.NewStore(db).LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	msgs, err := bot.LoadMessages("en")
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuilder{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p, err := app.Open(ctx, app.Config{APIURL: srv.URL(), Token: srv.Token(), Redis: rdb, RedisPrefix: prefix, Log: log},
		app.Options{
			Bot:         bot.Options{Catalog: catalog.NewStore(db), Orders: orders.NewStore(db), Messages: msgs, Log: log},
			Delivery:    delivery.Options{Drain: 5 * time.Second},
			Intake:      app.Poll,
			PollTimeout: time.Second,
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("process stopped with %v", err)
		}
		srv.AssertNoViolations(t)
	})
	return p, logs
}

// Two bots on one Redis database, whose users have the same ids and whose
// updates have the same update ids, never take each other's updates for
// their own: each bot's keys are under its id from getMe. (With one
// namespace for both, the second bot skips its updates as handled.)
func TestTwoBotsShareARedisWithoutMeeting(t *testing.T) {
	t.Parallel()
	rdb, _ := redistest.New(t)
	var users []*telegramtest.User
	var ids []int64
	for range 2 {
		srv := telegramtest.NewServer(telegramtest.WithFirstUpdateID(5000))
		t.Cleanup(srv.Close)
		ids = append(ids, srv.BotID())
		t.Cleanup(func() { deleteKeys(t, rdb, "bot"+itoa(srv.BotID())+":*") })
		open(t, srv, rdb, "")
		users = append(users, srv.AddUser(telegramtest.UserConfig{ID: 4242, FirstName: "Same", LanguageCode: "en", Started: true}))
	}
	if ids[0] == ids[1] {
		t.Fatal("the two servers have the same bot id")
	}
	for i := range 3 {
		for _, u := range users {
			u.Send("/help " + itoa(int64(i)))
		}
		for _, u := range users {
			if _, err := u.WaitFor(wait, func(ms []telegramtest.Message) bool { return countText(ms, "What I can do") == i+1 }); err != nil {
				t.Fatalf("bot of user %d, message %d: %v", u.ID(), i, err)
			}
		}
	}
	for _, id := range ids {
		if n := len(rdb.Keys(context.Background(), "bot"+itoa(id)+":session:4242").Val()); n != 1 {
			t.Errorf("bot %d: %d sessions of user 4242 under its namespace, want 1", id, n)
		}
	}
}

// Polling after a webhook deployment: the webhook is removed when polling
// starts (the update sent meanwhile is kept and answered), and the process
// is not ready while updates cannot be fetched.
func TestPollingAfterAWebhookRemovesIt(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.New(t)
	srv := telegramtest.NewServer()
	t.Cleanup(srv.Close)
	u := srv.AddUser(telegramtest.UserConfig{ID: 4343, FirstName: "Hooked", LanguageCode: "en", Started: true})
	setWebhook(t, srv)
	u.Send("/help") // waits for the webhook that never answers
	p, logs := open(t, srv, rdb, prefix)
	if _, err := u.WaitText(wait, "What I can do"); err != nil {
		t.Fatalf("the update sent while the webhook was set: %v", err)
	}
	if !strings.Contains(logs.String(), "polling: webhook removed") {
		t.Errorf("removing the webhook is not logged")
	}
	if err := p.Ready(); err != nil {
		t.Errorf("polling, updates answered: Ready = %v", err)
	}
	srv.FailNext("getUpdates", 1000, 502, 0)
	waitFor(t, wait, "not ready while getUpdates fails", func() bool { return p.Ready() != nil })
	if err := p.Ready(); !strings.Contains(err.Error(), "updates cannot be fetched") {
		t.Errorf("Ready = %v, want why", err)
	}
}

// setWebhook registers a webhook with srv that never answers, as a
// deployment before would have left it.
func setWebhook(t *testing.T, srv *telegramtest.Server) {
	t.Helper()
	resp, err := httpPost(srv.URL()+"/bot"+srv.Token()+"/setWebhook", `{"url":"https://example.invalid/hook"}`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(resp, `"ok":true`) {
		t.Fatalf("setWebhook: %s", resp)
	}
}

func deleteKeys(t *testing.T, rdb redis.UniversalClient, pattern string) {
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, pattern).Result()
	if err == nil && len(keys) > 0 {
		err = rdb.Del(ctx, keys...).Err()
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		t.Errorf("deleting %s: %v", pattern, err)
	}
}

// A server that answers getUpdates at once with nothing (a misbehaving
// proxy) is not asked hundreds of times a second: polls that bring nothing
// are at least a second apart.
func TestEmptyPollsArePaced(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.New(t)
	srv := telegramtest.NewServer()
	t.Cleanup(srv.Close)
	u := srv.AddUser(telegramtest.UserConfig{ID: 4444, FirstName: "Patient", LanguageCode: "en", Started: true})
	open(t, srv, rdb, prefix)
	polls := func() int { return srv.Stats().Methods["getUpdates"] }
	srv.AnswerPollsEmpty(true)
	began, first := time.Now(), polls()
	waitFor(t, wait, "four more polls", func() bool { return polls() >= first+4 })
	if took := time.Since(began); took < 2500*time.Millisecond {
		t.Errorf("4 empty polls in %v: want them at least a second apart", took)
	}
	srv.AnswerPollsEmpty(false)
	u.Send("/help")
	if _, err := u.WaitText(wait, "What I can do"); err != nil {
		t.Fatal(err)
	}
}
