package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"villagebot/bot"
	"villagebot/bot/telegramtest"
	"villagebot/catalog"
	"villagebot/internal/app"
	"villagebot/internal/delivery"
	"villagebot/internal/pg"
	"villagebot/internal/redisstore"
	"villagebot/internal/redistest"
	"villagebot/internal/telegram"
	"villagebot/orders"
)

// The faults of a bad day at an expo — Redis flushed, PostgreSQL
// connections terminated, the bot process killed — and after each: every
// unit of stock is accounted for, and every order a user was told of
// exists exactly once, and no other.

// stockBook is, per SKU, the stock plus the units in live (not cancelled)
// orders. Orders only move units between the two: whatever fails, it must
// not change.
func (h *harness) stockBook() map[string]int {
	h.t.Helper()
	var rows []struct {
		SKU string `db:"sku"`
		N   int    `db:"n"`
	}
	err := h.db.Select(&rows, `
		SELECT p.sku, p.stock + COALESCE((
		         SELECT sum(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id
		          WHERE l.product_id = p.id AND o.status <> 'cancelled'), 0) AS n
		  FROM products p`)
	if err != nil {
		h.t.Fatal(err)
	}
	book := map[string]int{}
	for _, r := range rows {
		book[r.SKU] = r.N
	}
	return book
}

// assertConserved checks the stock book against the one taken before the
// faults, that each product's ledger sums to its stock, and that the
// orders each user was told were placed are exactly the live orders the
// user has: none missing, none doubled, none unannounced.
func (h *harness) assertConserved(before map[string]int, users ...*telegramtest.User) {
	t := h.t
	t.Helper()
	after := h.stockBook()
	for sku, n := range before {
		if after[sku] != n {
			t.Errorf("%s: stock + units in live orders = %d, was %d", sku, after[sku], n)
		}
	}
	if bad := h.count(`SELECT count(*) FROM products p WHERE p.stock <> (SELECT COALESCE(sum(delta), 0) FROM stock_ledger l WHERE l.product_id = p.id)`); bad != 0 {
		t.Errorf("%d products whose ledger does not sum to their stock", bad)
	}
	for _, u := range users {
		told := toldPlaced(u)
		var have []string
		if err := h.db.Select(&have, `SELECT '#' || number FROM orders WHERE customer_id = $1 AND status <> 'cancelled' ORDER BY number`, u.ID()); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(told, have) {
			t.Errorf("user %d was told of orders %v and has %v", u.ID(), told, have)
		}
	}
}

// toldPlaced lists, sorted, the orders the bot told u were placed.
func toldPlaced(u *telegramtest.User) []string {
	var refs []string
	for _, m := range u.Messages() {
		if m.FromBot && (strings.Contains(m.Text, "is placed") || strings.Contains(m.Text, "already placed")) {
			if ref := orderRef.FindString(m.Text); ref != "" && !slices.Contains(refs, ref) {
				refs = append(refs, ref)
			}
		}
	}
	slices.SortFunc(refs, func(a, b string) int { return cmpRef(a, b) })
	return refs
}

func cmpRef(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// flush deletes every key of the test's Redis prefix: sessions and
// handled update ids, as FLUSHDB would, without touching other tests'.
func (f *faulty) flush(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	keys, err := f.direct.Keys(ctx, f.prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) == 0 {
		t.Fatal("nothing to flush")
	}
	if err := f.direct.Del(ctx, keys...).Err(); err != nil {
		t.Fatal(err)
	}
}

// waitStep waits until u's stored session is at step of the checkout.
func (f *faulty) waitStep(t *testing.T, u *telegramtest.User, step string) {
	t.Helper()
	key := fmt.Sprintf("%ssession:%d", f.prefix, u.ID())
	f.with(t).until("the session at the "+step+" step", func() bool {
		b, err := f.direct.Get(context.Background(), key).Bytes()
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatal(err)
		}
		var s bot.Session
		return err == nil && json.Unmarshal(b, &s) == nil && s.Flow == "checkout" && s.Step == step
	})
}

// lastID is the id of the newest message of u's chat.
func lastID(u *telegramtest.User) int {
	id := 0
	for _, m := range u.Messages() {
		id = max(id, m.ID)
	}
	return id
}

// waitFrom waits for a bot message with an id of at least from (a new
// message, or one edited in place) that satisfies ok.
func (h *harness) waitFrom(u *telegramtest.User, from int, what string, ok func(telegramtest.Message) bool) telegramtest.Message {
	h.t.Helper()
	var got telegramtest.Message
	_, err := u.WaitFor(wait, func(ms []telegramtest.Message) bool {
		for _, m := range ms {
			if m.FromBot && m.ID >= from && ok(m) {
				got = m
				return true
			}
		}
		return false
	})
	if err != nil {
		h.t.Fatalf("waiting for %s: %v", what, err)
	}
	return got
}

func hasText(s string) func(telegramtest.Message) bool {
	return func(m telegramtest.Message) bool { return strings.Contains(m.Text+m.Caption, s) }
}

func hasButton(s string) func(telegramtest.Message) bool {
	return func(m telegramtest.Message) bool { return buttonData(m, s) != "" }
}

// buttonData is the callback data of m's first button whose label
// contains s.
func buttonData(m telegramtest.Message, s string) string {
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if strings.Contains(b.Text, s) {
				return b.CallbackData
			}
		}
	}
	return ""
}

// walkCheckout takes u through a checkout of one unit of sku, with a
// pickup at the booth, up to the step named (name, phone, delivery,
// address — with a hotel instead —, or confirm, the summary), and returns
// the bot's message of that step. Each step waits for the bot's answer
// to it, never for an older message of the same kind, so it works in a
// chat that went through checkout before.
func (h *harness) walkCheckout(u *telegramtest.User, sku, name, until string) telegramtest.Message {
	h.t.Helper()
	t := h.t
	from := lastID(u) + 1
	u.Send("/start p_" + sku)
	card := h.waitFrom(u, from, "the product card", hasButton("🛒 Add 1"))
	h.answer(u, mustPress(t, u, card.ID, buttonData(card, "🛒 Add 1")))
	from = lastID(u) + 1
	u.Send("/cart")
	cart := h.waitFrom(u, from, "the cart", hasButton("✅ Checkout"))
	mustPress(t, u, cart.ID, buttonData(cart, "✅ Checkout"))
	m := h.waitFrom(u, cart.ID, "the name question", hasText("What name"))
	if until == "name" {
		return m
	}
	from = lastID(u) + 1
	u.Send(name)
	m = h.waitFrom(u, from, "the phone question", hasText("phone number"))
	if until == "phone" {
		return m
	}
	from = lastID(u) + 1
	u.Send("+86 138 0013 8000")
	m = h.waitFrom(u, from, "the delivery question", hasButton("🏪 Pick up at the event booth"))
	if until == "delivery" {
		return m
	}
	if until == "address" {
		mustPress(t, u, m.ID, buttonData(m, "🏨 Delivery to my hotel"))
		return h.waitFrom(u, m.ID, "the hotel question", hasText("Which hotel"))
	}
	mustPress(t, u, m.ID, buttonData(m, "🏪 Pick up at the event booth"))
	return h.waitFrom(u, m.ID, "the summary", func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, "please check it") && strings.Contains(m.Text, name)
	})
}

// Redis is flushed (the test's prefix) while a visitor is at each step of
// a checkout. Whatever the visitor does next — types the answer, shares
// the phone, presses a delivery or the confirm button — the bot says
// plainly that it lost track and nothing was ordered (in an alert for a
// button), and places nothing; starting again places exactly one order.
func TestFaultRedisFlushedMidCheckout(t *testing.T) {
	t.Parallel()
	f := startFaulty(t)
	before := f.stockBook()
	lost := sessionLostWords["en"]
	var users []*telegramtest.User
	for i, step := range []string{"name", "phone", "delivery", "address", "confirm"} {
		t.Run("at the "+step+" step", func(t *testing.T) {
			h := f.with(t)
			u := h.user(int64(5301+i), "en")
			users = append(users, u)
			at := h.walkCheckout(u, "MN-BLACKTEA", "Ann Lee", step)
			f.waitStep(t, u, step) // the session is saved after the reply
			f.flush(t)

			var said string
			wantAlert := false
			switch step {
			case "name":
				said = h.reply(u, "Ann Lee").Text
			case "phone":
				from := lastID(u) + 1
				if _, err := u.ShareContact(); err != nil {
					t.Fatal(err)
				}
				said = h.waitFrom(u, from, "the answer to the contact", hasText("")).Text
			case "delivery":
				a := h.answer(u, mustPress(t, u, at.ID, buttonData(at, "🏪 Pick up at the event booth")))
				said, wantAlert = a.Text, true
				if !a.ShowAlert {
					t.Errorf("the answer %q is a toast, want an alert", a.Text)
				}
			case "address":
				said = h.reply(u, "Boao Forum Hotel, room 1208").Text
			case "confirm":
				a := h.answer(u, mustPress(t, u, at.ID, confirmData(t, at)))
				said, wantAlert = a.Text, true
				if !a.ShowAlert {
					t.Errorf("the answer %q is a toast, want an alert", a.Text)
				}
			}
			if !strings.Contains(said, lost) {
				t.Errorf("after the flush the bot said %q, want the restart message (alert: %v)", said, wantAlert)
			}
			if n := h.count(`SELECT count(*) FROM orders WHERE customer_id = $1`, u.ID()); n != 0 {
				t.Fatalf("%d orders from the checkout the bot forgot", n)
			}

			sum := h.walkCheckout(u, "MN-BLACKTEA", "Ann Lee, again", "confirm")
			mustPress(t, u, sum.ID, confirmData(t, sum))
			h.waitFrom(u, sum.ID, "the confirmation", hasText("is placed"))
		})
	}
	f.assertConserved(before, users...)
}

// terminate ends the bot's PostgreSQL backends, as pg_terminate_backend
// (or a restart, or a failover) does; with a wait event type, only those
// waiting on it. It returns how many it ended.
func (f *faulty) terminate(appName, waitEventType string) int {
	f.t.Helper()
	q := `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
	       WHERE datname = current_database() AND application_name = $1 AND pid <> pg_backend_pid()`
	args := []any{appName}
	if waitEventType != "" {
		q += ` AND wait_event_type = $2`
		args = append(args, waitEventType)
	}
	return f.count(q, args...)
}

// waitBackends waits until n backends of appName wait on a lock.
func (f *faulty) waitBackends(appName string, n int) {
	f.t.Helper()
	f.until(fmt.Sprintf("%d connections of %s waiting on a lock", n, appName), func() bool {
		return f.count(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
		                  AND application_name = $1 AND wait_event_type = 'Lock'`, appName) >= n
	})
}

// waitOutcome waits until u was told the order is placed or short.
func (h *harness) waitOutcome(u *telegramtest.User) string {
	h.t.Helper()
	msgs, err := u.WaitFor(wait, func(ms []telegramtest.Message) bool {
		return countMessages(ms, "is placed") > 0 || countMessages(ms, "already placed") > 0 || countMessages(ms, "not enough stock") > 0
	})
	if err != nil {
		h.t.Fatal(err)
	}
	if countMessages(msgs, "not enough stock") > 0 {
		return "short"
	}
	return "placed"
}

// PostgreSQL ends the bot's connections twice: all of them while idle
// between orders (a restart), then those of six checkouts in the middle
// of their transactions — each has written its order row and waits for
// the product's row, held locked by the test, when it is ended. The idle
// ones are replaced unnoticed; the ended transactions leave nothing, the
// bot places them again on a fresh connection (placing is idempotent by
// checkout token), and the four units in stock go to four of the six.
func TestFaultPostgresConnectionsTerminatedWhilePlacingOrders(t *testing.T) {
	t.Parallel()
	f := startFaulty(t)
	h := f.harness
	if _, err := catalog.NewStore(f.db).SetStock(context.Background(), "LI-BROCADE", 4, "test"); err != nil {
		t.Fatal(err)
	}
	before := f.stockBook()
	var all []*telegramtest.User

	var idle []*telegramtest.User
	var sums []telegramtest.Message
	for i := range 3 {
		u := h.user(int64(5401+i), "en")
		idle, all = append(idle, u), append(all, u)
		sums = append(sums, h.checkout(u, "XL-PEPPER", 1))
	}
	if n := f.terminate(botAppName, ""); n == 0 {
		t.Fatal("the bot had no connection to terminate")
	}
	for i, u := range idle {
		mustPress(t, u, sums[i].ID, confirmData(t, sums[i]))
		if got := h.waitOutcome(u); got != "placed" {
			t.Errorf("after a restart of PostgreSQL, user %d's order is %s", u.ID(), got)
		}
	}

	var buyers []*telegramtest.User
	sums = nil
	for i := range 6 {
		u := h.user(int64(5411+i), "en")
		buyers, all = append(buyers, u), append(all, u)
		sums = append(sums, h.checkout(u, "LI-BROCADE", 1))
	}
	release := f.lockProduct("LI-BROCADE")
	for i, u := range buyers {
		mustPress(t, u, sums[i].ID, confirmData(t, sums[i]))
	}
	f.waitBackends(botAppName, len(buyers))
	if n := f.terminate(botAppName, "Lock"); n != len(buyers) {
		t.Errorf("terminated %d transactions, want %d", n, len(buyers))
	}
	release()
	placed := 0
	for _, u := range buyers {
		if h.waitOutcome(u) == "placed" {
			placed++
		}
	}
	if placed != 4 {
		t.Errorf("%d of the buyers got a unit, want 4 (the stock)", placed)
	}
	if !f.logged("connection lost, trying again") {
		t.Errorf("no order was placed again after its connection was ended")
	}
	for _, u := range all {
		h.settle(u)
	}
	f.assertConserved(before, all...)
}

// The bot process of the fault tests is this test binary run again (as
// os/exec's own tests do) with botProcessEnv set: the real bot, on the
// test's in-memory Bot API server, database and Redis prefix, in a
// process of its own that the test kills with SIGKILL — no drain, no
// offsets confirmed, its connections cut by the kernel, whatever it was
// doing left half done. That is the crash the bot must survive; cancelling
// the bot in the test's own process would run its graceful shutdown
// instead.
const botProcessEnv = "VILLAGEBOT_TEST_BOT_PROCESS"

// botProcessConfig is what the bot process is told, as JSON in
// botProcessEnv.
type botProcessConfig struct {
	APIURL, Token, DatabaseURL, RedisURL, Prefix string
}

// killedAppName is the application_name of the bot process's database
// connections.
const killedAppName = "villagebot-killed"

// TestHelperBotProcess is not a test: it is the bot process the fault
// tests start and kill; on its own it skips.
func TestHelperBotProcess(t *testing.T) {
	spec := os.Getenv(botProcessEnv)
	if spec == "" {
		t.Skip("the bot process of the fault tests; it runs only when they start it")
	}
	var c botProcessConfig
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		t.Fatal(err)
	}
	// The test that started this process holds its stdin: when that test
	// is gone, so is this process.
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(3)
	}()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	db, err := pg.Open(ctx, c.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	opt, err := redis.ParseURL(c.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	opt.ContextTimeoutEnabled = true
	rdb := redis.NewClient(opt)
	tg, err := telegram.New(ctx, c.APIURL, c.Token, log, telegram.WithLimits(testLimits))
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := bot.LoadMessages("en")
	if err != nil {
		t.Fatal(err)
	}
	p, err := app.Build(tg, app.Options{
		Bot: bot.Options{
			Catalog:     catalog.NewStore(db),
			Orders:      orders.NewStore(db),
			Messages:    msgs,
			Log:         log,
			NotifyEvery: 50 * time.Millisecond,
		},
		Delivery:    delivery.Options{Drain: 5 * time.Second},
		Store:       redisstore.New(rdb, c.Prefix),
		Intake:      app.Poll,
		PollTimeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	p.Run(ctx) // until killed
}

// botProcess is a running bot process.
type botProcess struct {
	cmd  *exec.Cmd
	logs *strings.Builder
}

// spawn starts a bot process against the harness's server, database and
// Redis prefix.
func (f *faulty) spawn() *botProcess {
	f.t.Helper()
	u, err := url.Parse(f.dbURL)
	if err != nil {
		f.t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", killedAppName)
	u.RawQuery = q.Encode()
	spec, err := json.Marshal(botProcessConfig{
		APIURL: f.srv.URL(), Token: f.srv.Token(), DatabaseURL: u.String(),
		RedisURL: redistest.URL(), Prefix: f.prefix,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		f.t.Fatal(err)
	}
	p := &botProcess{logs: &strings.Builder{}}
	p.cmd = exec.Command(exe, "-test.run=^TestHelperBotProcess$", "-test.count=1")
	p.cmd.Env = append(os.Environ(), botProcessEnv+"="+string(spec))
	out := &lockedWriter{w: p.logs}
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if _, err := p.cmd.StdinPipe(); err != nil {
		f.t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	t := f.t
	t.Cleanup(func() {
		p.kill()
		if strings.Contains(p.logs.String(), f.srv.Token()) {
			t.Errorf("the token appears in the bot process's logs")
		}
		if t.Failed() {
			t.Logf("the bot process's output:\n%s", p.logs.String())
		}
	})
	return p
}

// kill ends the process with SIGKILL and waits for it to be gone.
func (p *botProcess) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Kill()
	p.cmd.Wait()
}

// The bot process is killed (SIGKILL) twice while orders are placed:
// first while four checkouts wait mid-transaction for a product's row,
// then right after one of four more users was told their order is placed,
// with the others in flight. The next process handles what the killed
// one had fetched, from the update journal or, not yet confirmed, from
// Telegram again; in the end every user is told of one order,
// has exactly that one, and the stock adds up.
func TestFaultBotKilledWhilePlacingOrdersAndRestarted(t *testing.T) {
	t.Parallel()
	f := startFaulty(t)
	h := f.harness
	before := f.stockBook()
	var first, second []*telegramtest.User
	var firstSums, secondSums []telegramtest.Message
	for i := range 4 {
		u := h.user(int64(5501+i), "en")
		first, firstSums = append(first, u), append(firstSums, h.checkout(u, "XL-PEPPER", 1+i))
		v := h.user(int64(5511+i), "en")
		second, secondSums = append(second, v), append(secondSums, h.checkout(v, "QZ-ORANGE", 1))
	}
	h.stop()

	p := f.spawn()
	release := f.lockProduct("XL-PEPPER")
	for i, u := range first {
		mustPress(t, u, firstSums[i].ID, confirmData(t, firstSums[i]))
	}
	f.waitBackends(killedAppName, len(first))
	p.kill()
	release()
	if n := h.count(`SELECT count(*) FROM orders`); n != 0 {
		t.Errorf("%d orders committed by the killed process, want none: it was waiting", n)
	}

	p = f.spawn()
	for i, u := range second {
		mustPress(t, u, secondSums[i].ID, confirmData(t, secondSums[i]))
	}
	if _, err := second[0].WaitText(wait, "is placed"); err != nil {
		t.Fatal(err)
	}
	p.kill()

	h.run()
	for _, u := range append(first, second...) {
		if got := h.waitOutcome(u); got != "placed" {
			t.Errorf("user %d's order is %s", u.ID(), got)
		}
		h.settle(u)
	}
	f.assertConserved(before, append(first, second...)...)
}
