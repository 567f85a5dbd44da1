package bot_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"

	"villagebot/bot"
	"villagebot/bot/telegramtest"
	"villagebot/catalog"
	"villagebot/internal/app"
	"villagebot/internal/delivery"
	"villagebot/internal/pgtest"
	"villagebot/internal/redisstore"
	"villagebot/internal/redistest"
	"villagebot/internal/telegram"
	"villagebot/orders"
)

// The stores satisfy the bot's interfaces.
var (
	_ bot.Catalog  = (*catalog.Store)(nil)
	_ bot.Orders   = (*orders.Store)(nil)
	_ bot.Sessions = (*redisstore.Sessions)(nil)
	_ bot.Telegram = (*telegram.Client)(nil)
)

// wait is how long a test waits for the bot to answer.
const wait = 10 * time.Second

// harness is the bot running against the in-memory Bot API server, a
// fresh database holding the demo catalog, and a Redis key prefix of its
// own.
type harness struct {
	t       *testing.T
	srv     *telegramtest.Server
	db      *sqlx.DB
	catalog *catalog.Store
	orders  *orders.Store
	rdb     *redis.Client
	prefix  string
	bot     *bot.Bot
	logs    *strings.Builder
	log     *slog.Logger
	tune    []func(*app.Options)
	stop    func()
}

func start(t *testing.T, tune ...func(*app.Options)) *harness {
	t.Helper()
	h := newHarness(t)
	h.tune = tune
	h.run()
	t.Cleanup(func() {
		h.stop()
		h.checkAfterRun(t)
	})
	return h
}

// checkAfterRun is what every end-to-end test checks once the bot has
// stopped: no violation of the Bot API, every callback query answered, the
// token never logged, no error logged.
func (h *harness) checkAfterRun(t *testing.T) {
	h.srv.AssertNoViolations(t)
	if un := h.srv.UnansweredCallbacks(); len(un) > 0 {
		t.Errorf("callback queries never answered: %v", un)
	}
	logs := h.logs.String()
	if strings.Contains(logs, h.srv.Token()) {
		t.Errorf("the token appears in the logs")
	}
	if strings.Contains(logs, "level=ERROR") && !t.Failed() {
		t.Errorf("errors were logged:\n%s", grepLines(logs, "level=ERROR"))
	}
}

// testLimits let the bot write as fast as a test drives it. The in-memory
// server's flood control is off; keeping to Telegram's pace is the
// limiter's tests' business, not these.
var testLimits = telegram.Limits{
	PerSecond: 100_000, Burst: 100_000, ChatPerSecond: 100_000, ChatBurst: 100_000,
	GroupPerMinute: 1_000_000, GroupBurst: 100_000,
}

// newHarness makes what a bot stands on — a fresh database with the demo
// catalog, a Redis prefix, the in-memory Bot API server and a log kept for
// checks — without starting a bot.
func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, db: pgtest.New(t), logs: &strings.Builder{}, stop: func() {}}
	h.catalog = catalog.NewStore(h.db)
	h.orders = orders.NewStore(h.db)
	if _, err := h.catalog.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.rdb, h.prefix = redistest.New(t)
	h.srv = telegramtest.NewServer()
	t.Cleanup(h.srv.Close)
	var logOut io.Writer = &lockedWriter{w: h.logs}
	if testing.Verbose() {
		logOut = io.MultiWriter(logOut, os.Stderr)
	}
	h.log = slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return h
}

// run starts a bot process against the harness's server and stores.
func (h *harness) run() {
	t := h.t
	ctx := context.Background()
	tg, err := telegram.New(ctx, h.srv.URL(), h.srv.Token(), h.log, telegram.WithLimits(testLimits))
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := bot.LoadMessages("en")
	if err != nil {
		t.Fatal(err)
	}
	opts := app.Options{
		Bot: bot.Options{
			Catalog:     h.catalog,
			Orders:      h.orders,
			Messages:    msgs,
			Log:         h.log,
			NotifyEvery: 50 * time.Millisecond,
		},
		Delivery:    delivery.Options{Drain: 5 * time.Second},
		Store:       redisstore.New(h.rdb, h.prefix),
		Intake:      app.Poll,
		PollTimeout: time.Second,
	}
	for _, f := range h.tune {
		f(&opts)
	}
	p, err := app.Build(tg, opts)
	if err != nil {
		t.Fatal(err)
	}
	h.bot = p.Bot
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	h.stop = func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("bot stopped with %v", err)
		}
		h.stop = func() {}
	}
}

// with is the harness for a subtest.
func (h *harness) with(t *testing.T) *harness {
	c := *h
	c.t = t
	return &c
}

// user is a simulated Telegram user who opened the bot.
func (h *harness) user(id int64, lang string) *telegramtest.User {
	return h.srv.AddUser(telegramtest.UserConfig{ID: id, FirstName: "Tester" + lang, LanguageCode: lang, Started: true})
}

// waitText waits for a bot message containing s.
func (h *harness) waitText(u *telegramtest.User, s string) telegramtest.Message {
	h.t.Helper()
	m, err := u.WaitText(wait, s)
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

// press presses the button labelled exactly label.
func (h *harness) press(u *telegramtest.User, label string) string {
	h.t.Helper()
	id, err := u.Press(label)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

// pressContaining presses the first button whose label contains s on the
// newest bot message that has one.
func (h *harness) pressContaining(u *telegramtest.User, s string) string {
	h.t.Helper()
	return h.pressMatching(u, "label "+s, func(b telegramtest.Button) bool { return strings.Contains(b.Text, s) })
}

// pressMatching presses the first button that match accepts on the newest
// bot message that has one; what names the button in a failure.
func (h *harness) pressMatching(u *telegramtest.User, what string, match func(telegramtest.Button) bool) string {
	h.t.Helper()
	msgs := u.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if !m.FromBot {
			continue
		}
		for _, row := range m.InlineKeyboard {
			for _, b := range row {
				if match(b) {
					id, err := u.PressData(m.ID, b.CallbackData)
					if err != nil {
						h.t.Fatal(err)
					}
					return id
				}
			}
		}
	}
	h.t.Fatalf("no button with %s; chat:\n%v", what, msgs)
	return ""
}

// answer waits for the answer to a button press.
func (h *harness) answer(u *telegramtest.User, queryID string) telegramtest.CallbackAnswer {
	h.t.Helper()
	a, err := u.WaitAnswer(queryID, wait)
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

// settle sends /help and waits for its answer: every update the user sent
// before has then been handled (a chat's updates are handled in order).
func (h *harness) settle(u *telegramtest.User) {
	h.t.Helper()
	u.Send("/help")
	if _, err := u.WaitText(wait, "/start"); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) product(sku string) catalog.Product {
	h.t.Helper()
	p, err := h.catalog.ProductBySKU(context.Background(), sku)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

func (h *harness) count(query string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.db.Get(&n, query, args...); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func countMessages(msgs []telegramtest.Message, substring string) int {
	n := 0
	for _, m := range msgs {
		if m.FromBot && (strings.Contains(m.Text, substring) || strings.Contains(m.Caption, substring)) {
			n++
		}
	}
	return n
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// waitButton waits for a bot message with a button whose label contains s.
func (h *harness) waitButton(u *telegramtest.User, s string) telegramtest.Message {
	h.t.Helper()
	var found telegramtest.Message
	_, err := u.WaitFor(wait, func(ms []telegramtest.Message) bool {
		for i := len(ms) - 1; i >= 0; i-- {
			for _, label := range ms[i].Buttons() {
				if ms[i].FromBot && strings.Contains(label, s) {
					found = ms[i]
					return true
				}
			}
		}
		return false
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return found
}

// waitFor waits until cond holds, checking it often, or fails t at the
// deadline.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s", what)
		case <-tick.C:
		}
	}
}

// lockProduct holds sku's row locked, so that placing orders of it waits
// mid-transaction, until the returned func releases it.
func (h *harness) lockProduct(sku string) (release func()) {
	h.t.Helper()
	tx, err := h.db.Beginx()
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := tx.Exec(`SELECT 1 FROM products WHERE sku = $1 FOR UPDATE`, sku); err != nil {
		tx.Rollback()
		h.t.Fatal(err)
	}
	return func() { tx.Rollback() }
}
