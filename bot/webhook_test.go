package bot_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"villagebot/bot"
	"villagebot/bot/telegramtest"
	"villagebot/internal/app"
	"villagebot/internal/delivery"
	"villagebot/internal/redisstore"
	"villagebot/internal/redistest"
	"villagebot/internal/telegram"
)

// How the processes of a cluster share chats.
type sharing int

const (
	alone  sharing = iota // nothing shared: one process
	locked                // a chat lock in Redis
	queued                // a chat lock and a chat queue in Redis
)

// cluster is bot processes taking updates by webhook from the in-memory
// Bot API server, over one database and one Redis prefix, each with its
// own Telegram client, Redis client, metrics and HTTP listener, behind a
// load balancer that hands requests round-robin.
type cluster struct {
	*harness
	secret string
	procs  []*process
	lb     *httptest.Server
}

type process struct {
	bot     *app.Process
	reg     *prometheus.Registry
	http    *httptest.Server
	stop    func() // ends RunWebhook and waits for it
	stopped bool
}

func startCluster(t *testing.T, n int, share sharing, tune ...func(*app.Options)) *cluster {
	t.Helper()
	h := newHarness(t)

	c := &cluster{harness: h, secret: "s3cret_" + rand.Text()}
	var targets []*url.URL
	for i := range n {
		p := c.startProcess(i, share, tune)
		target, err := url.Parse(p.http.URL)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, target)
	}
	var next atomic.Uint64
	c.lb = httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(targets[next.Add(1)%uint64(len(targets))])
	}})
	t.Cleanup(func() {
		for _, p := range c.procs {
			c.stopProcess(p)
		}
		c.lb.Close()
		for _, p := range c.procs {
			p.http.Close()
		}
		h.checkAfterRun(t)
		if strings.Contains(h.logs.String(), c.secret) {
			t.Errorf("the webhook secret appears in the logs")
		}
	})
	return c
}

func (c *cluster) startProcess(i int, share sharing, tune []func(*app.Options)) *process {
	t := c.t
	ctx := context.Background()
	log := c.log.With("process", i)
	tg, err := telegram.New(ctx, c.srv.URL(), c.srv.Token(), log)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := bot.LoadMessages("en")
	if err != nil {
		t.Fatal(err)
	}
	rdb := newRedis(t)
	p := &process{reg: prometheus.NewRegistry()}
	m := app.NewMetrics(p.reg)
	opts := app.Options{
		Bot: bot.Options{
			Catalog:     c.catalog,
			Orders:      c.orders,
			Messages:    msgs,
			Log:         log,
			NotifyEvery: 50 * time.Millisecond,
		},
		Delivery: delivery.Options{Drain: 5 * time.Second},
		Store:    redisstore.New(rdb, c.prefix),
		Intake:   app.Webhook,
		NoLocks:  true,
		Secret:   c.secret,
		Metrics:  m,
	}
	if share >= locked {
		opts.Locker = redisstore.New(rdb, c.prefix).ChatLocker(0)
	}
	if share >= queued {
		q := redisstore.NewChatQueue(redisstore.New(rdb, c.prefix).ChatLocker(0))
		q.StaleAfter = 300 * time.Millisecond
		opts.Queue = q
	}
	for _, f := range tune {
		f(&opts)
	}
	p.bot, err = app.Build(tg, opts)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.bot.Run(runCtx) }()
	p.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("process %d stopped with %v", i, err)
		}
	}
	p.http = httptest.NewServer(p.bot.WebhookHandler())
	c.procs = append(c.procs, p)
	return p
}

func (c *cluster) stopProcess(p *process) {
	if !p.stopped {
		p.stopped = true
		p.stop()
	}
}

// setWebhook has the server deliver to the load balancer.
func (c *cluster) setWebhook() {
	c.t.Helper()
	if err := c.procs[0].bot.Client.SetWebhook(context.Background(), c.lb.URL+"/telegram", c.secret, 40); err != nil {
		c.t.Fatal(err)
	}
}

// post sends a webhook request to one process as Telegram would, with
// the given secret header ("" for none), and returns the status and how
// long the answer took. A request that fails is an error of the test and
// status 0, so that post may be called from any goroutine.
func (c *cluster) post(p *process, secret string, body []byte) (int, time.Duration) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.http.URL+"/telegram", bytes.NewReader(body))
	if err != nil {
		c.t.Error(err)
		return 0, 0
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set(delivery.SecretHeader, secret)
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Error(err)
		return 0, 0
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, time.Since(start)
}

// textUpdate is the update Telegram makes of a text message from u.
func textUpdate(id int, u *telegramtest.User, text string) []byte {
	msg := map[string]any{
		"message_id": id,
		"date":       time.Now().Unix(),
		"from":       map[string]any{"id": u.ID(), "is_bot": false, "first_name": "Webby", "language_code": "en"},
		"chat":       map[string]any{"id": u.ID(), "type": "private", "first_name": "Webby"},
		"text":       text,
	}
	if cmd, _, _ := strings.Cut(text, " "); strings.HasPrefix(cmd, "/") {
		msg["entities"] = []any{map[string]any{"type": "bot_command", "offset": 0, "length": len(cmd)}}
	}
	b, err := json.Marshal(map[string]any{"update_id": id, "message": msg})
	if err != nil {
		panic(err)
	}
	return b
}

// updatesCounted sums villagebot_updates_total of one process for an
// outcome ("" for all).
func updatesCounted(t *testing.T, p *process, outcome string) int {
	t.Helper()
	families, err := p.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0.0
	for _, f := range families {
		if f.GetName() != "villagebot_updates_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && (outcome == "" || l.GetValue() == outcome) {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return int(n)
}

// Requests without the secret, or with a wrong one, are refused with 403
// and nothing in them is handled; neither are requests that are not
// updates. The good one is handled, once.
func TestWebhookChecksTheSecret(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 1, alone)
	p := c.procs[0]
	u := c.user(6001, "en")
	good := textUpdate(900_001, u, "/start")

	for _, tc := range []struct {
		name   string
		secret string
		body   []byte
		want   int
	}{
		{"a request without the secret is forbidden", "", good, http.StatusForbidden},
		{"a request with a wrong secret is forbidden", "guess", textUpdate(900_002, u, "/start"), http.StatusForbidden},
		{"a request with the secret and more is forbidden", c.secret + "x", textUpdate(900_003, u, "/start"), http.StatusForbidden},
		{"a request with a prefix of the secret is forbidden", c.secret[:len(c.secret)-1], textUpdate(900_004, u, "/start"), http.StatusForbidden},
		{"a body that is not JSON is refused", c.secret, []byte("<xml/>"), http.StatusBadRequest},
		{"a body with more after the update is refused", c.secret, append(textUpdate(900_006, u, "/start"), "{}"...), http.StatusBadRequest},
		{"a body over the limit is refused", c.secret, append(append([]byte(`{"update_id":900005,"message":{"text":"`), bytes.Repeat([]byte("a"), 2<<20)...), `"}}`...), http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := c.post(p, tc.secret, tc.body); got != tc.want {
				t.Errorf("status %d, want %d", got, tc.want)
			}
		})
	}
	resp, err := http.Get(p.http.URL + "/telegram")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d, want 405", resp.StatusCode)
	}

	if got, _ := c.post(p, c.secret, good); got != http.StatusOK {
		t.Fatalf("the good request: status %d, want 200", got)
	}
	c.waitText(u, "Welcome")
	waitFor(t, wait, "the update counted", func() bool { return updatesCounted(t, p, "") > 0 })
	// The refused requests came first, in the same chat: had any been
	// taken in, it would have been handled before the good one.
	if n := countMessages(u.Messages(), "Welcome"); n != 1 {
		t.Errorf("%d welcomes, want 1: only the good request is handled", n)
	}
	if n := updatesCounted(t, p, ""); n != 1 {
		t.Errorf("%d updates counted, want 1", n)
	}
}

// The webhook answers at once even while the chat's handling is held up
// (here by its lock, held elsewhere); the updates are handled, in order,
// once the lock is given back.
func TestWebhookAnswersAtOnceWhileTheChatIsBusy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		share sharing
	}{
		{"one process with a chat lock", locked},
		{"replicas with a chat lock and queue", queued},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := startCluster(t, 1, tc.share)
			p := c.procs[0]
			u := c.user(6101, "en")
			holder := redisstore.New(newRedis(t), c.prefix).ChatLocker(0)
			unlock, err := holder.Lock(context.Background(), u.ID())
			if err != nil {
				t.Fatal(err)
			}
			for i, text := range []string{"/start", "/help"} {
				code, took := c.post(p, c.secret, textUpdate(910_001+i, u, text))
				if code != http.StatusOK {
					t.Fatalf("%s: status %d, want 200", text, code)
				}
				if took > 300*time.Millisecond {
					t.Errorf("%s: answered after %v; Telegram wants well under 1s", text, took)
				}
			}
			if ms := u.Messages(); len(ms) != 0 {
				t.Fatalf("handled while the chat was locked elsewhere: %v", ms)
			}
			unlock()
			msgs, err := u.WaitFor(wait, func(ms []telegramtest.Message) bool {
				return countMessages(ms, "Welcome") > 0 && countMessages(ms, "/orders") > 0
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != 2 || !strings.Contains(msgs[0].Text, "Welcome") {
				t.Errorf("want the welcome, then the help:\n%v", msgs)
			}
		})
	}
}

// When the bot stops, the updates it answered are still handled before
// RunWebhook returns; requests after that get 503, so Telegram sends them
// again later.
func TestWebhookShutdownFinishesUpdatesInHand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		share sharing
	}{
		{"one process", locked},
		{"replicas", queued},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := startCluster(t, 1, tc.share)
			p := c.procs[0]
			u := c.user(6201, "en")
			holder := redisstore.New(newRedis(t), c.prefix).ChatLocker(0)
			unlock, err := holder.Lock(context.Background(), u.ID())
			if err != nil {
				t.Fatal(err)
			}
			if code, _ := c.post(p, c.secret, textUpdate(920_001, u, "/start")); code != http.StatusOK {
				t.Fatalf("status %d, want 200", code)
			}
			stopped := make(chan struct{})
			go func() { c.stopProcess(p); close(stopped) }()
			// Closing is under way once new requests are refused; those
			// taken in before are in hand too.
			next, accepted := 920_002, 0
			waitFor(t, wait, "requests refused after the stop", func() bool {
				code, _ := c.post(p, c.secret, textUpdate(next, u, "/help"))
				next++
				if code == http.StatusOK {
					accepted++
				}
				return code == http.StatusServiceUnavailable
			})
			unlock()
			select {
			case <-stopped:
			case <-time.After(wait):
				t.Fatal("RunWebhook did not return")
			}
			if n := countMessages(u.Messages(), "Welcome"); n != 1 {
				t.Errorf("the update in hand was answered %d times by the time the bot stopped, want 1", n)
			}
			if n := countMessages(u.Messages(), "/orders"); n != accepted {
				t.Errorf("%d updates answered with help, want the %d taken in: none refused with 503", n, accepted)
			}
		})
	}
}

// An update a process queued and then died without handling (its lock
// left to run out) is handled by another process's sweeper.
func TestWebhookSweepsChatsLeftWaiting(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 1, queued)
	u := c.user(6301, "en")
	ctx := context.Background()
	dead := redisstore.New(newRedis(t), c.prefix).ChatLocker(500 * time.Millisecond)
	if _, err := dead.Lock(ctx, u.ID()); err != nil {
		t.Fatal(err)
	}
	q := redisstore.NewChatQueue(redisstore.New(newRedis(t), c.prefix).ChatLocker(0))
	if err := q.Push(ctx, u.ID(), 930_001, textUpdate(930_001, u, "/start")); err != nil {
		t.Fatal(err)
	}
	c.waitText(u, "Welcome")
	if n := countMessages(u.Messages(), "Welcome"); n != 1 {
		t.Errorf("%d welcomes, want 1", n)
	}
}

// Two processes behind a load balancer, Telegram delivering concurrently
// and every update more than once: racing checkouts sell exactly the
// stock, no confirmation makes two orders, the ledger balances, each
// user's burst of messages is answered in the order sent, and both
// processes took part.
func TestWebhookReplicasHandleEachUpdateOnceInOrder(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2, queued)
	c.setWebhook()
	ctx := context.Background()
	const buyers, stock = 24, 15
	if _, err := c.catalog.SetStock(ctx, "LI-BROCADE", stock, "test"); err != nil {
		t.Fatal(err)
	}
	burst := []string{"MN-BLACKTEA", "XL-COFFEE", "QZ-ORANGE", "XL-PEPPER"}
	var names []string
	for _, sku := range burst {
		names = append(names, c.product(sku).Name.Get("en"))
	}
	c.srv.SetDuplicates(2)

	var ready, wg sync.WaitGroup
	ready.Add(buyers)
	gate := make(chan struct{})
	var users []*telegramtest.User
	for i := range buyers {
		users = append(users, c.user(int64(7000+i), "en"))
	}
	for _, u := range users {
		wg.Go(func() {
			arrived := sync.OnceFunc(ready.Done)
			defer arrived() // even when the checkout fails
			h := c.with(t)
			sum := h.checkout(u, "LI-BROCADE", 1)
			data := confirmData(t, sum)
			arrived()
			<-gate
			if _, err := u.PressData(sum.ID, data); err != nil {
				t.Error(err)
				return
			}
			if _, err := u.WaitFor(wait, func(ms []telegramtest.Message) bool {
				return countMessages(ms, "is placed") > 0 || countMessages(ms, "not enough stock") > 0
			}); err != nil {
				t.Error(err)
				return
			}
		})
	}
	ready.Wait()
	close(gate)
	wg.Wait()
	if t.Failed() {
		return
	}

	// A burst from each user, sent without waiting for answers, each
	// update delivered once more (Telegram redelivers what it already
	// sent; a copy sent before the original would be an update out of
	// order, which no bot can put right). Each redelivered 1 to 3 times
	// once answered.
	c.srv.SetDuplicates(1)
	for _, u := range users {
		wg.Go(func() {
			var ids []int
			for _, sku := range burst {
				ids = append(ids, u.Send("/start p_"+sku))
			}
			if _, err := u.WaitFor(wait, func(ms []telegramtest.Message) bool {
				return countMessages(ms, names[len(names)-1]) > 0
			}); err != nil {
				t.Error(err)
				return
			}
			for _, id := range ids {
				for range 1 + mrand.IntN(3) {
					if err := c.srv.Redeliver(id); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	// Every copy delivered, then every process stopped: all is handled.
	waitFor(t, wait, "every update delivered", func() bool { return c.srv.PendingUpdates() == 0 })
	for _, p := range c.procs {
		c.stopProcess(p)
	}

	sold, short := 0, 0
	for _, u := range users {
		msgs := u.Messages()
		placed, refused := countMessages(msgs, "is placed"), countMessages(msgs, "not enough stock")
		sold += placed
		short += refused
		if placed+refused != 1 {
			t.Errorf("user %d: %d confirmations and %d refusals, want one answer", u.ID(), placed, refused)
		}
		var cards []string
		for _, m := range msgs {
			for _, name := range names {
				if m.FromBot && (strings.Contains(m.Text, name) || strings.Contains(m.Caption, name)) {
					cards = append(cards, name)
				}
			}
		}
		if !slices.Equal(cards, names) {
			t.Errorf("user %d: product cards %q, want each once in the order sent %q", u.ID(), cards, names)
		}
	}
	if sold != stock || short != buyers-stock {
		t.Errorf("%d sold and %d refused, want %d and %d", sold, short, stock, buyers-stock)
	}
	if n := c.count(`SELECT count(*) FROM (SELECT customer_id FROM orders GROUP BY customer_id HAVING count(*) > 1) d`); n != 0 {
		t.Errorf("%d customers have more than one order", n)
	}
	if n := c.count(`SELECT COALESCE(sum(quantity), 0) FROM order_lines l JOIN products p ON p.id = l.product_id WHERE p.sku = 'LI-BROCADE'`); n != stock {
		t.Errorf("%d units in orders, want %d", n, stock)
	}
	if s := c.product("LI-BROCADE").Stock; s != 0 {
		t.Errorf("stock ends at %d, want 0", s)
	}
	if bad := c.count(`SELECT count(*) FROM products p WHERE p.stock <> (SELECT COALESCE(sum(delta), 0) FROM stock_ledger l WHERE l.product_id = p.id)`); bad != 0 {
		t.Errorf("%d products whose ledger does not sum to their stock", bad)
	}
	for i, p := range c.procs {
		if n := updatesCounted(t, p, "ok"); n == 0 {
			t.Errorf("process %d handled no update: the load was not shared", i)
		}
		t.Logf("process %d: %d updates handled, %d duplicates skipped", i, updatesCounted(t, p, "ok"), updatesCounted(t, p, "duplicate"))
	}
	if st := c.srv.Stats(); st.WebhookAttempts == 0 {
		t.Error("nothing was delivered by webhook")
	}
}

// When the bot has all the updates it may hold, the webhook still answers
// within a second: one process answers 503, so Telegram sends the update
// again later; replicas answer 200 for an update that is safe in the
// shared queue, and handle it once there is room.
func TestWebhookWhenFull(t *testing.T) {
	t.Parallel()
	small := func(o *app.Options) { o.Delivery.Workers, o.Delivery.MaxPending = 1, 1 }
	for _, tc := range []struct {
		name  string
		share sharing
		want  int
	}{
		{"one process refuses with 503", locked, http.StatusServiceUnavailable},
		{"replicas queue it", queued, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := startCluster(t, 1, tc.share, small)
			p := c.procs[0]
			busy, other := c.user(6401, "en"), c.user(6402, "en")
			holder := redisstore.New(newRedis(t), c.prefix).ChatLocker(0)
			unlock, err := holder.Lock(context.Background(), busy.ID())
			if err != nil {
				t.Fatal(err)
			}
			// The one worker waits for the busy chat's lock.
			if code, _ := c.post(p, c.secret, textUpdate(940_001, busy, "/start")); code != http.StatusOK {
				t.Fatalf("first update: status %d, want 200", code)
			}
			code, took := c.post(p, c.secret, textUpdate(940_002, other, "/start"))
			if code != tc.want {
				t.Errorf("update while full: status %d, want %d", code, tc.want)
			}
			if took > 900*time.Millisecond {
				t.Errorf("update while full answered after %v, want under a second", took)
			}
			unlock()
			c.waitText(busy, "Welcome")
			if tc.want == http.StatusOK {
				c.waitText(other, "Welcome") // taken up from the queue
			} else {
				// Telegram sends it again; now there is room.
				if code, _ := c.post(p, c.secret, textUpdate(940_002, other, "/start")); code != http.StatusOK {
					t.Errorf("update sent again: status %d, want 200", code)
				}
				c.waitText(other, "Welcome")
			}
		})
	}
}

// noSweeper leaves the chats' queues to the drains alone: no chat is
// stale before the test is long over.
func noSweeper(o *app.Options) { o.Queue.(*redisstore.ChatQueue).StaleAfter = time.Hour }

// Updates of many chats arriving at once, far more chats than the
// process has workers or room for pending updates, are all answered at
// once and all handled, each chat's in order; with no sweeper to take up
// a chat left waiting, every chat taken in was drained here.
func TestWebhookDrainsEveryChatWokenAtOnce(t *testing.T) {
	t.Parallel()
	small := func(o *app.Options) { o.Delivery.Workers, o.Delivery.MaxPending = 2, 4 }
	c := startCluster(t, 1, queued, small, noSweeper)
	p := c.procs[0]
	const chats = 60
	var users []*telegramtest.User
	for i := range chats {
		users = append(users, c.user(int64(6501+i), "en"))
	}
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Go(func() {
			// The second as soon as the first is answered, as Telegram
			// does: it often finds its chat being drained.
			for j, text := range []string{"/start", "/help"} {
				code, took := c.post(p, c.secret, textUpdate(950_001+2*i+j, u, text))
				if code != http.StatusOK {
					t.Errorf("chat %d, %s: status %d, want 200", u.ID(), text, code)
				}
				if took > 900*time.Millisecond {
					t.Errorf("chat %d, %s: answered after %v, want under a second", u.ID(), text, took)
				}
			}
		})
	}
	wg.Wait()
	for _, u := range users {
		msgs, err := u.WaitFor(wait, func(ms []telegramtest.Message) bool {
			return countMessages(ms, "Welcome") > 0 && countMessages(ms, "/orders") > 0
		})
		if err != nil {
			t.Fatalf("chat %d: %v", u.ID(), err)
		}
		if len(msgs) != 2 || !strings.Contains(msgs[0].Text, "Welcome") {
			t.Errorf("chat %d: want the welcome, then the help:\n%v", u.ID(), msgs)
		}
	}
}

// A chat whose lock is held elsewhere does not keep the only worker from
// the other chats: they are handled meanwhile, and the held chat once its
// lock is given back, without the sweeper's help.
func TestWebhookDrainsOtherChatsWhileOneIsHeldElsewhere(t *testing.T) {
	t.Parallel()
	one := func(o *app.Options) { o.Delivery.Workers = 1 }
	c := startCluster(t, 1, queued, one, noSweeper)
	p := c.procs[0]
	held, free := c.user(6601, "en"), c.user(6602, "en")
	holder := redisstore.New(newRedis(t), c.prefix).ChatLocker(0)
	unlock, err := holder.Lock(context.Background(), held.ID())
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range []*telegramtest.User{held, free} {
		if code, _ := c.post(p, c.secret, textUpdate(960_001+i, u, "/start")); code != http.StatusOK {
			t.Fatalf("chat %d: status %d, want 200", u.ID(), code)
		}
	}
	c.waitText(free, "Welcome")
	if ms := held.Messages(); len(ms) != 0 {
		t.Fatalf("handled while the chat was locked elsewhere: %v", ms)
	}
	unlock()
	c.waitText(held, "Welcome")
}

// newRedis is one more client of the test's Redis, as another process
// would have.
func newRedis(t *testing.T) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(redistest.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}
