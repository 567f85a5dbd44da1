package telegram

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"villagebot/bot/telegramtest"
)

// fakeClock is the limiter's clock in tests. In auto mode a sleep moves
// the clock on at once, for tests that make one call at a time; otherwise
// sleepers wait until the test advances the clock.
type fakeClock struct {
	mu       sync.Mutex
	t        time.Time
	auto     bool
	sleepers []fakeSleeper
	changed  chan struct{}
}

type fakeSleeper struct {
	until time.Time
	wake  chan struct{}
}

func newFakeClock(auto bool) *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), auto: auto, changed: make(chan struct{}, 1)}
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	c.mu.Lock()
	if c.auto {
		c.t = c.t.Add(d)
		c.mu.Unlock()
		return ctx.Err()
	}
	s := fakeSleeper{until: c.t.Add(d), wake: make(chan struct{})}
	c.sleepers = append(c.sleepers, s)
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
	select {
	case <-s.wake:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		for i := range c.sleepers {
			if c.sleepers[i].wake == s.wake {
				c.sleepers = append(c.sleepers[:i], c.sleepers[i+1:]...)
				break
			}
		}
		c.mu.Unlock()
		return ctx.Err()
	}
}

func (c *fakeClock) clock() clock { return clock{now: c.now, sleep: c.sleep} }

// advance moves the clock on and wakes the sleepers whose time came.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	kept := c.sleepers[:0]
	for _, s := range c.sleepers {
		if s.until.After(c.t) {
			kept = append(kept, s)
		} else {
			close(s.wake)
		}
	}
	c.sleepers = kept
}

// waitSleepers waits until n goroutines sleep on the clock.
func (c *fakeClock) waitSleepers(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		k := len(c.sleepers)
		c.mu.Unlock()
		if k >= n {
			return
		}
		select {
		case <-c.changed:
		case <-deadline:
			t.Fatalf("%d goroutines sleep on the clock, want %d", k, n)
		}
	}
}

// generous is a global limit that never holds up the tests of one chat.
var generous = Limits{PerSecond: 1000, Burst: 1000}

// sendAt lets one counted call to chat through and returns when it went.
func sendAt(t *testing.T, l *limiter, chat int64) time.Time {
	t.Helper()
	p, err := l.wait(context.Background(), chat, l.clock.now())
	if err != nil {
		t.Fatalf("chat %d: %v", chat, err)
	}
	p.done(0)
	return p.sent
}

// maxInWindow is the most of times (in order) that fall in any window
// [t, t+w).
func maxInWindow(times []time.Time, w time.Duration) int {
	most := 0
	for i := range times {
		n := 0
		for j := i; j < len(times) && times[j].Before(times[i].Add(w)); j++ {
			n++
		}
		most = max(most, n)
	}
	return most
}

func TestLimiterNeverExceedsTheGlobalRate(t *testing.T) {
	t.Parallel()
	t.Run("by default no second holds more than 30, and 300 sends take 10 s", func(t *testing.T) {
		t.Parallel()
		clk := newFakeClock(true)
		l := newLimiter(Limits{}, clk.clock())
		var times []time.Time
		for i := range 300 {
			times = append(times, sendAt(t, l, int64(1+i%100)))
		}
		if n := maxInWindow(times, time.Second); n > 30 {
			t.Errorf("%d sends in one second, want at most 30", n)
		}
		if took := times[len(times)-1].Sub(times[0]); took > 10*time.Second {
			t.Errorf("300 sends took %s, want at most 10s", took)
		}
	})
	t.Run("a burst goes at once, then the pace holds over any window", func(t *testing.T) {
		t.Parallel()
		clk := newFakeClock(true)
		l := newLimiter(Limits{PerSecond: 10, Burst: 5}, clk.clock())
		var times []time.Time
		for i := range 100 {
			times = append(times, sendAt(t, l, int64(1+i)))
		}
		if !times[4].Equal(times[0]) || !times[5].After(times[0]) {
			t.Errorf("the first 5 went at %v, the 6th at %v: want 5 at once", times[:5], times[5])
		}
		for _, w := range []time.Duration{time.Second, 3 * time.Second, 7 * time.Second} {
			if n, most := maxInWindow(times, w), 5+int(10*w.Seconds()); n > most {
				t.Errorf("%d sends in %s, want at most %d", n, w, most)
			}
		}
	})
}

func TestLimiterPacesAPrivateChat(t *testing.T) {
	t.Parallel()
	t.Run("a burst of 3, then one a second", func(t *testing.T) {
		t.Parallel()
		clk := newFakeClock(true)
		l := newLimiter(generous, clk.clock())
		start := clk.now()
		want := []time.Duration{0, 0, 0, 1, 2, 3, 4, 5, 6, 7}
		for i, w := range want {
			if got := sendAt(t, l, 42).Sub(start); got != w*time.Second {
				t.Errorf("send %d went at +%s, want +%ds", i+1, got, w)
			}
		}
		if got := sendAt(t, l, 43).Sub(start); got != 7*time.Second {
			t.Errorf("another chat waited until +%s, want at once (+7s)", got)
		}
	})
	t.Run("the bucket does not refill while a call is out", func(t *testing.T) {
		t.Parallel()
		clk := newFakeClock(true)
		l := newLimiter(generous, clk.clock())
		start := clk.now()
		for range 3 {
			p, err := l.wait(context.Background(), 42, clk.now())
			if err != nil {
				t.Fatal(err)
			}
			clk.advance(200 * time.Millisecond) // the call takes that long
			p.done(0)
		}
		// Telegram may have counted the third call as late as +600ms.
		if got := sendAt(t, l, 42).Sub(start); got != 1600*time.Millisecond {
			t.Errorf("the fourth send went at +%s, want +1.6s", got)
		}
	})
	t.Run("after a rest the burst is there again", func(t *testing.T) {
		t.Parallel()
		clk := newFakeClock(true)
		l := newLimiter(generous, clk.clock())
		for range 5 {
			sendAt(t, l, 42)
		}
		clk.advance(time.Minute)
		start := clk.now()
		for i := range 3 {
			if got := sendAt(t, l, 42); !got.Equal(start) {
				t.Errorf("send %d after the rest waited %s", i+1, got.Sub(start))
			}
		}
	})
}

func TestLimiterKeepsAGroupTo20AMinute(t *testing.T) {
	t.Parallel()
	clk := newFakeClock(true)
	l := newLimiter(generous, clk.clock())
	const group = -1001234567890
	var times []time.Time
	for range 45 {
		times = append(times, sendAt(t, l, group))
	}
	if n := maxInWindow(times, time.Minute); n > 20 {
		t.Errorf("%d sends to the group in one minute, want at most 20", n)
	}
	if took := times[len(times)-1].Sub(times[0]); took > 44*3*time.Second+time.Second {
		t.Errorf("45 sends took %s, want about 2m12s", took)
	}
	// A private chat is not held up by the group.
	before := clk.now()
	if got := sendAt(t, l, 42); !got.Equal(before) {
		t.Errorf("a private chat waited %s behind the group", got.Sub(before))
	}

	t.Run("a group burst is configurable", func(t *testing.T) {
		clk := newFakeClock(true)
		l := newLimiter(Limits{PerSecond: 1000, Burst: 1000, GroupBurst: 5, GroupPerMinute: 20}, clk.clock())
		start := clk.now()
		for i := range 5 {
			if got := sendAt(t, l, group); !got.Equal(start) {
				t.Errorf("send %d of the burst waited %s", i+1, got.Sub(start))
			}
		}
		if got := sendAt(t, l, group).Sub(start); got < 3*time.Second {
			t.Errorf("the send after the burst went at +%s, want +3s", got)
		}
	})
}

func TestLimiterHoldsAChatThat429d(t *testing.T) {
	t.Parallel()
	t.Run("that chat waits retry_after, the others do not", func(t *testing.T) {
		t.Parallel()
		clk := newFakeClock(true)
		l := newLimiter(generous, clk.clock())
		p, err := l.wait(context.Background(), 42, clk.now())
		if err != nil {
			t.Fatal(err)
		}
		start := clk.now()
		p.done(7 * time.Second)
		if got := sendAt(t, l, 43); !got.Equal(start) {
			t.Errorf("another chat waited %s", got.Sub(start))
		}
		if got := sendAt(t, l, 42).Sub(start); got != 7*time.Second {
			t.Errorf("the chat that got the 429 went again at +%s, want +7s", got)
		}
	})
	t.Run("a second chat refused while one is held holds every send", func(t *testing.T) {
		t.Parallel()
		clk := newFakeClock(true)
		l := newLimiter(generous, clk.clock())
		a, _ := l.wait(context.Background(), 42, clk.now())
		b, _ := l.wait(context.Background(), 43, clk.now())
		start := clk.now()
		a.done(3 * time.Second)
		b.done(5 * time.Second)
		if got := sendAt(t, l, 44).Sub(start); got != 5*time.Second {
			t.Errorf("a third chat went at +%s, want +5s", got)
		}
	})
}

// newTestTelegram is a client of srv on clk, logging to the returned
// builder.
func newTestTelegram(t *testing.T, srv *telegramtest.Server, clk *fakeClock, limits Limits) (*Client, *syncBuilder) {
	t.Helper()
	logs := &syncBuilder{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tg, err := New(context.Background(), srv.URL(), srv.Token(), log, WithLimits(limits), withClock(clk.clock()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if strings.Contains(logs.String(), srv.Token()) {
			t.Errorf("the token appears in the logs")
		}
	})
	return tg, logs
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

var _ io.Writer = (*syncBuilder)(nil)

func TestA429IsWaitedOutAndSentOnce(t *testing.T) {
	t.Parallel()
	clk := newFakeClock(false)
	srv := telegramtest.NewServer(telegramtest.WithClock(clk.now))
	defer srv.Close()
	alice := srv.AddUser(telegramtest.UserConfig{ID: 1001, Started: true})
	bob := srv.AddUser(telegramtest.UserConfig{ID: 1002, Started: true})
	tg, _ := newTestTelegram(t, srv, clk, generous)
	ctx := context.Background()

	srv.FailNext("sendMessage", 1, 429, 7)
	done := make(chan error, 1)
	go func() {
		_, err := tg.Send(ctx, tgbotapi.NewMessage(alice.ID(), "to Alice"))
		done <- err
	}()
	clk.waitSleepers(t, 1) // Alice's retry waits out the 429
	if _, err := tg.Send(ctx, tgbotapi.NewMessage(bob.ID(), "to Bob")); err != nil {
		t.Fatalf("Bob: %v", err)
	}
	clk.advance(6 * time.Second)
	select {
	case err := <-done:
		t.Fatalf("Alice's message went before retry_after was over (err %v)", err)
	default:
	}
	clk.advance(time.Second)
	if err := <-done; err != nil {
		t.Fatalf("Alice: %v", err)
	}
	if n := srv.Stats().Methods["sendMessage"]; n != 3 {
		t.Errorf("the server saw %d sendMessage calls, want 3 (Alice twice, Bob once)", n)
	}
	if n := countBotTexts(alice, "to Alice"); n != 1 {
		t.Errorf("Alice got her message %d times, want once", n)
	}
	if n := countBotTexts(bob, "to Bob"); n != 1 {
		t.Errorf("Bob got his message %d times, want once", n)
	}
}

func countBotTexts(u *telegramtest.User, text string) int {
	n := 0
	for _, m := range u.Messages() {
		if m.FromBot && m.Text == text {
			n++
		}
	}
	return n
}

func TestAnswerCallbackQueryDoesNotWaitBehindSends(t *testing.T) {
	t.Parallel()
	clk := newFakeClock(false)
	srv := telegramtest.NewServer(telegramtest.WithClock(clk.now))
	defer srv.Close()
	u := srv.AddUser(telegramtest.UserConfig{ID: 1001, Started: true})
	tg, _ := newTestTelegram(t, srv, clk, generous)
	ctx := context.Background()

	first := tgbotapi.NewMessage(u.ID(), "menu")
	first.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("go", "m")))
	menu, err := tg.Send(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"two", "three"} {
		if _, err := tg.Send(ctx, tgbotapi.NewMessage(u.ID(), text)); err != nil {
			t.Fatal(err)
		}
	}
	queryID, err := u.PressData(menu.MessageID, "m")
	if err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	go func() {
		_, err := tg.Send(ctx, tgbotapi.NewMessage(u.ID(), "four"))
		sent <- err
	}()
	clk.waitSleepers(t, 1) // the fourth send waits for the chat's bucket

	if _, err := tg.Request(ctx, tgbotapi.NewCallback(queryID, "ok")); err != nil {
		t.Fatalf("answerCallbackQuery: %v", err)
	}
	if a := u.CallbackAnswers(); len(a) != 1 || a[0].Text != "ok" {
		t.Errorf("answers = %v, want the one answer while the send still waits", a)
	}
	if n := countBotTexts(u, "four"); n != 0 {
		t.Errorf("the fourth message went before its turn")
	}
	clk.advance(time.Second)
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if n := countBotTexts(u, "four"); n != 1 {
		t.Errorf("the fourth message arrived %d times, want once", n)
	}
}

func TestTelegramsFloodControlNeverTrips(t *testing.T) {
	t.Parallel()
	// One clock for the bot and the server: Telegram counts each call
	// exactly when the bot sends it.
	clk := newFakeClock(true)
	srv := telegramtest.NewServer(telegramtest.WithClock(clk.now))
	defer srv.Close()
	srv.SetRateLimit(telegramtest.TelegramRateLimit())
	tg, _ := newTestTelegram(t, srv, clk, Limits{})
	ctx := context.Background()
	var users []*telegramtest.User
	for i := range 20 {
		users = append(users, srv.AddUser(telegramtest.UserConfig{ID: int64(3001 + i), Started: true}))
	}
	start := clk.now()
	for round := range 6 {
		for _, u := range users {
			m, err := tg.Send(ctx, tgbotapi.NewMessage(u.ID(), "hello"))
			if err != nil {
				t.Fatal(err)
			}
			edit := tgbotapi.NewEditMessageText(u.ID(), m.MessageID, "hello again")
			if round%2 == 0 {
				if _, err := tg.Request(ctx, edit); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if n := srv.TooManyRequests(); n != 0 {
		t.Errorf("Telegram answered 429 %d times, want none", n)
	}
	// Nine calls to each chat: a burst of 3, then one a second.
	if took := clk.now().Sub(start); took > 8*time.Second {
		t.Errorf("180 calls took %s, want at most 8s", took)
	}
	srv.AssertNoViolations(t)
}

func TestLimiterForgetsIdleChats(t *testing.T) {
	t.Parallel()
	clk := newFakeClock(true)
	l := newLimiter(Limits{}, clk.clock())
	most := 0
	for i := range 10_000 {
		sendAt(t, l, int64(1+i))
		most = max(most, len(l.chats))
	}
	if most > 2*minSweep {
		t.Errorf("the limiter knew %d chats at once, want at most %d", most, 2*minSweep)
	}
	clk.advance(time.Minute)
	sendAt(t, l, 1)
	if n := len(l.chats); n > 1 {
		t.Errorf("a minute later the limiter still knows %d chats, want 1", n)
	}
}

func TestLimiterGivesUpOnAWaitPastItsBound(t *testing.T) {
	t.Parallel()
	t.Run("past MaxWait", func(t *testing.T) {
		t.Parallel()
		clk := newFakeClock(true)
		l := newLimiter(Limits{MaxWait: 5 * time.Second}, clk.clock())
		p, _ := l.wait(context.Background(), 42, clk.now())
		p.done(10 * time.Second)
		before := clk.now()
		_, err := l.wait(context.Background(), 42, clk.now())
		if !errors.Is(err, ErrThrottled) || !strings.Contains(err.Error(), "chat 42") {
			t.Errorf("err = %v, want ErrThrottled naming chat 42", err)
		}
		if !clk.now().Equal(before) {
			t.Errorf("it waited %s before giving up", clk.now().Sub(before))
		}
	})
	t.Run("past the context's deadline", func(t *testing.T) {
		t.Parallel()
		clk := newFakeClock(true)
		l := newLimiter(Limits{}, clk.clock())
		p, _ := l.wait(context.Background(), 42, clk.now())
		p.done(30 * time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := l.wait(ctx, 42, clk.now()); !errors.Is(err, ErrThrottled) {
			t.Errorf("err = %v, want ErrThrottled", err)
		}
	})
	t.Run("behind too many calls to the same chat", func(t *testing.T) {
		t.Parallel()
		clk := newFakeClock(false)
		l := newLimiter(Limits{PerSecond: 1000, Burst: 1000, MaxWait: 10 * time.Second}, clk.clock())
		changed := make(chan struct{}, 1)
		l.queue = func(float64) {
			select {
			case changed <- struct{}{}:
			default:
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var wg sync.WaitGroup
		// Three go at once; the next ten queue up, a second apart.
		for range 3 {
			p, err := l.wait(ctx, 42, clk.now())
			if err != nil {
				t.Fatal(err)
			}
			p.done(0)
		}
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if p, err := l.wait(ctx, 42, clk.now()); err == nil {
					p.done(0)
				}
			}()
		}
		clk.waitSleepers(t, 1)
		waitUsers(t, l, changed, 42, 10)
		_, err := l.wait(ctx, 42, clk.now())
		if !errors.Is(err, ErrThrottled) {
			t.Errorf("the 11th in the queue: err = %v, want ErrThrottled", err)
		}
		cancel()
		wg.Wait()
		if n := len(l.chats); n != 1 || l.chats[42].users != 0 {
			t.Errorf("after the callers gave up: %d chats, %d users", n, l.chats[42].users)
		}
	})
}

// waitUsers waits until n calls wait for or hold chat's turn.
func waitUsers(t *testing.T, l *limiter, changed <-chan struct{}, chat int64, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		l.mu.Lock()
		k := 0
		if c := l.chats[chat]; c != nil {
			k = c.users
		}
		l.mu.Unlock()
		if k >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("%d calls to chat %d, want %d", k, chat, n)
		}
	}
}

func TestTelegramRecordsEveryOutcome(t *testing.T) {
	t.Parallel()
	clk := newFakeClock(true)
	srv := telegramtest.NewServer(telegramtest.WithClock(clk.now))
	defer srv.Close()
	u := srv.AddUser(telegramtest.UserConfig{ID: 1001, Started: true})
	tg, logs := newTestTelegram(t, srv, clk, Limits{MaxWait: 20 * time.Second})
	reg := prometheus.NewRegistry()
	tg.Metrics = NewMetrics(reg, prometheus.NewGauge(prometheus.GaugeOpts{Name: "waiting"}))
	ctx := context.Background()
	send := func(text string) error {
		_, err := tg.Send(ctx, tgbotapi.NewMessage(u.ID(), text))
		return err
	}

	first, err := tg.Send(ctx, tgbotapi.NewMessage(u.ID(), "ok"))
	if err != nil {
		t.Fatal(err)
	}
	srv.FailNext("sendMessage", 1, 429, 1)
	second, err := tg.Send(ctx, tgbotapi.NewMessage(u.ID(), "after a 429"))
	if err != nil {
		t.Fatal(err)
	}
	srv.FailNext("sendMessage", 1, 502, 0)
	if err := send("lost to a 502"); apiErrorCode(err) != 502 {
		t.Errorf("a send that got 502: err = %v, want it returned, not retried", err)
	}
	srv.FailNext("editMessageText", 1, 500, 0)
	if _, err := tg.Request(ctx, tgbotapi.NewEditMessageText(u.ID(), first.MessageID, "edited")); err != nil {
		t.Errorf("an edit retried after a 500: %v", err)
	}
	srv.DropNext("deleteMessage", 1)
	if _, err := tg.Request(ctx, tgbotapi.NewDeleteMessage(u.ID(), second.MessageID)); err != nil {
		t.Errorf("a delete retried after the connection dropped: %v", err)
	}
	u.Block()
	if err := send("blocked"); apiErrorCode(err) != 403 {
		t.Errorf("a send to a user who blocked the bot: err = %v, want 403", err)
	}
	u.Unblock()
	srv.FailNext("sendMessage", 1, 429, 60)
	if err := send("held too long"); !errors.Is(err, ErrThrottled) {
		t.Errorf("a send held past MaxWait: err = %v, want ErrThrottled", err)
	}

	for _, c := range []struct {
		method, result string
		want           float64
	}{
		{"sendMessage", "ok", 2},
		{"sendMessage", "429", 2},
		{"sendMessage", "5xx", 1},
		{"sendMessage", "4xx", 1},
		{"sendMessage", "not_sent", 1},
		{"editMessageText", "5xx", 1},
		{"editMessageText", "ok", 1},
		{"deleteMessage", "network", 1},
		{"deleteMessage", "ok", 1},
	} {
		if got := value(t, tg.Metrics.Outbound.WithLabelValues(c.method, c.result)); got != c.want {
			t.Errorf("%s %s = %v, want %v", c.method, c.result, got, c.want)
		}
	}
	if got := value(t, tg.Metrics.TooManyRequests); got != 2 {
		t.Errorf("429s = %v, want 2", got)
	}
	if got := value(t, tg.Metrics.Waiting); got != 0 {
		t.Errorf("outbound queue depth = %v after every call ended, want 0", got)
	}
	if !strings.Contains(logs.String(), `msg="telegram call not sent" method=sendMessage chat_id=1001`) {
		t.Errorf("the send given up on is not logged with its chat:\n%s", logs.String())
	}
}

// value reads a counter or a gauge.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}

func TestAPanickingCallGivesItsChatsTurnBack(t *testing.T) {
	t.Parallel()
	clk := newFakeClock(true)
	srv := telegramtest.NewServer(telegramtest.WithClock(clk.now))
	defer srv.Close()
	u := srv.AddUser(telegramtest.UserConfig{ID: 1001, Started: true})
	tg, _ := newTestTelegram(t, srv, clk, Limits{})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the call's panic was swallowed")
			}
		}()
		_ = tg.do(context.Background(), "sendMessage", u.ID(), false, func() error { panic("boom") })
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := tg.Send(ctx, tgbotapi.NewMessage(u.ID(), "after the panic")); err != nil {
		t.Fatalf("the next send to the chat: %v", err)
	}
}

// apiErrorCode returns Telegram's error code of err, or 0.
func apiErrorCode(err error) int {
	var apiErr *tgbotapi.Error
	if errors.As(err, &apiErr) {
		return apiErr.Code
	}
	return 0
}
