package bot_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"villagebot/bot"
	"villagebot/bot/telegramtest"
	"villagebot/catalog"
	"villagebot/internal/pg"
	"villagebot/internal/pgtest"
	"villagebot/internal/redisstore"
	"villagebot/internal/redistest"
	"villagebot/orders"
)

// The bot keeps answering when what it stands on fails: these tests put a
// TCP proxy of their own between the bot and the shared PostgreSQL and
// Redis, and cut that, never the servers other tests use.

// tcpProxy forwards TCP connections to a server. cut resets every
// connection through it and resets new ones at once, as a server that went
// away or a broken network would; restore lets them through again.
type tcpProxy struct {
	target string
	ln     net.Listener
	delay  atomic.Int64 // nanoseconds each answer is held back (Delay)

	mu    sync.Mutex
	up    bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newTCPProxy(t testing.TB, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{target: target, ln: ln, up: true, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

// Addr is the proxy's host:port.
func (p *tcpProxy) Addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			reset(c)
			continue
		}
		p.wg.Add(1)
		go p.pipe(c)
	}
}

// track registers c while the proxy is up; false when it is cut.
func (p *tcpProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.up {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *tcpProxy) forget(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}

func (p *tcpProxy) pipe(client net.Conn) {
	defer p.wg.Done()
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil || !p.track(server) {
		if server != nil {
			reset(server)
		}
		p.forget(client)
		reset(client)
		return
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(server, client); done <- struct{}{} }()
	go func() { p.answer(client, server); done <- struct{}{} }()
	<-done
	client.Close()
	server.Close()
	<-done
	p.forget(client, server)
}

// answer copies what the server says to the client, each piece held back
// by the proxy's delay.
func (p *tcpProxy) answer(client, server net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := server.Read(buf)
		if n > 0 {
			time.Sleep(time.Duration(p.delay.Load()))
			if _, werr := client.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Delay holds every answer back by d from now on (0: none), as a server
// that is slow rather than gone: what the client asked for is done, the
// answer comes late.
func (p *tcpProxy) Delay(d time.Duration) { p.delay.Store(int64(d)) }

// Cut resets every connection through the proxy, and every new one until
// Restore.
func (p *tcpProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up = false
	for c := range p.conns {
		reset(c)
	}
}

// Restore lets connections through again.
func (p *tcpProxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up = true
}

func (p *tcpProxy) close() {
	p.ln.Close()
	p.Cut()
	p.wg.Wait()
}

// reset closes c with a TCP reset, the way a vanished peer is seen.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// faulty is the harness with the bot's PostgreSQL and Redis behind proxies
// the test can cut. db and direct stay connected: they are the test's own
// view of the stores.
type faulty struct {
	*harness
	pgProxy, redisProxy *tcpProxy
	dbURL               string        // the test database, directly
	direct              *redis.Client // Redis, directly
	logw                *lockedWriter // the bot's logs go through it to h.logs
}

// logged reports whether the bot logged s so far.
func (f *faulty) logged(s string) bool {
	f.logw.mu.Lock()
	defer f.logw.mu.Unlock()
	return strings.Contains(f.logs.String(), s)
}

// botAppName is the application_name of the bot's PostgreSQL connections.
const botAppName = "villagebot-under-test"

func startFaulty(t *testing.T) *faulty {
	t.Helper()
	ctx := context.Background()
	f := &faulty{dbURL: pgtest.NewURL(t)}
	db, err := pg.Open(ctx, f.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := catalog.NewStore(db).LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(f.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	f.pgProxy = newTCPProxy(t, u.Host)
	u.Host = f.pgProxy.Addr()
	q := u.Query()
	q.Set("application_name", botAppName) // the bot's backends, for pg_stat_activity
	u.RawQuery = q.Encode()
	botDB, err := pg.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { botDB.Close() })

	var prefix string
	f.direct, prefix = redistest.New(t)
	opt, err := redis.ParseURL(redistest.URL())
	if err != nil {
		t.Fatal(err)
	}
	f.redisProxy = newTCPProxy(t, opt.Addr)
	opt.Addr = f.redisProxy.Addr()
	opt.ContextTimeoutEnabled = true // as serve has it
	botRedis := redis.NewClient(opt)
	t.Cleanup(func() { botRedis.Close() })

	// What visitors read is cached for a second; these tests are about
	// what reaches the database.
	botCatalog := catalog.NewStore(botDB)
	botCatalog.CacheFor = 0
	h := &harness{
		t:       t,
		db:      db,
		catalog: botCatalog,
		orders:  orders.NewStore(botDB),
		rdb:     botRedis,
		prefix:  prefix,
		srv:     telegramtest.NewServer(),
		logs:    &strings.Builder{},
	}
	t.Cleanup(h.srv.Close)
	f.logw = &lockedWriter{w: h.logs}
	var logOut io.Writer = f.logw
	if testing.Verbose() {
		logOut = io.MultiWriter(logOut, os.Stderr)
	}
	h.log = slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.run()
	t.Cleanup(func() {
		f.pgProxy.Restore()
		f.redisProxy.Restore()
		h.stop()
		h.checkAfterRun(t)
	})
	f.harness = h
	return f
}

// reply sends text and returns the first message the bot sends after it.
func (h *harness) reply(u *telegramtest.User, text string) telegramtest.Message {
	h.t.Helper()
	n := len(u.Messages())
	u.Send(text)
	return h.nextMessage(u, n)
}

// nextMessage waits for a bot message after the first n of the chat.
func (h *harness) nextMessage(u *telegramtest.User, n int) telegramtest.Message {
	h.t.Helper()
	var got telegramtest.Message
	_, err := u.WaitFor(wait, func(ms []telegramtest.Message) bool {
		for _, m := range ms[min(n, len(ms)):] {
			if m.FromBot {
				got = m
				return true
			}
		}
		return false
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return got
}

// until repeats try, each time waiting on the bot's answer, until it
// reports success or the deadline passes: recovery takes as long as the
// clients take to reconnect.
func (h *harness) until(what string, try func() bool) {
	h.t.Helper()
	waitFor(h.t, wait, what, try)
}

// Words of the degraded answers, per language.
var (
	unavailableWords = map[string]string{"en": "temporarily unavailable", "zh": "暂时无法使用", "ru": "временно недоступна"}
	sessionLostWords = map[string]string{"en": "lost track of where we were", "zh": "对话已被重置", "ru": "потерял нить разговора"}
)

// With Redis unreachable the bot still answers: browsing works; the answer
// to a question of a checkout it cannot remember is a plain restart
// message with the menu; a cart change it cannot keep is refused as
// temporarily unavailable instead of pretended. When Redis is back, so is
// the session stored before the outage: nothing overwrote it.
func TestRedisDownTheBotStillAnswers(t *testing.T) {
	t.Parallel()
	f := startFaulty(t)
	h := f.harness
	u := h.user(5101, "en")
	u.Send("/start p_XL-COFFEE")
	h.waitButton(u, "🛒 Add 1")
	h.answer(u, h.pressContaining(u, "🛒 Add"))
	u.Send("/cart")
	h.waitText(u, "Your cart")
	h.press(u, "✅ Checkout")
	h.waitText(u, "What name")
	u.Send("Ann Lee")
	h.waitText(u, "phone number")

	f.redisProxy.Cut()
	m := h.reply(u, "+86 138 0013 8000")
	if !strings.Contains(m.Text, sessionLostWords["en"]) || len(m.InlineKeyboard) == 0 {
		t.Errorf("the phone number typed while Redis is down got %q, want the restart message with the menu", m.Text)
	}
	if m := h.reply(u, "/start p_MN-BLACKTEA"); !strings.Contains(m.Text+m.Caption, "Maona") {
		t.Errorf("a product opened while Redis is down shows %q", m.Text+m.Caption)
	}
	card := h.waitButton(u, "🛒 Add 1")
	a := h.answer(u, h.pressContaining(u, "🛒 Add"))
	if !strings.Contains(a.Text, unavailableWords["en"]) {
		t.Errorf("adding to the cart while Redis is down was answered %q", a.Text)
	}
	if a := h.answer(u, mustPress(t, u, card.ID, "co")); !strings.Contains(a.Text, unavailableWords["en"]) {
		t.Errorf("checking out while Redis is down was answered %q", a.Text)
	}
	if n := h.count(`SELECT count(*) FROM orders`); n != 0 {
		t.Errorf("%d orders while Redis was down", n)
	}

	f.redisProxy.Restore()
	h.until("the cart is back once Redis is", func() bool {
		return strings.Contains(h.reply(u, "/cart").Text, "Xinglong Coffee Beans")
	})
}

// With PostgreSQL unreachable, browsing is answered "temporarily
// unavailable" in each user's language (a message for a command, a toast
// for a button), a confirm places nothing; when PostgreSQL is back the bot
// recovers by itself and the same confirm places one order.
func TestPostgresDownBrowsingSaysUnavailableAndRecovers(t *testing.T) {
	t.Parallel()
	f := startFaulty(t)
	h := f.harness
	users := map[string]*telegramtest.User{}
	menus := map[string]telegramtest.Message{}
	for i, lang := range []string{"zh", "en", "ru"} {
		users[lang] = h.user(int64(5201+i), lang)
		menus[lang] = h.reply(users[lang], "/start")
	}
	buyer := h.user(5210, "en")
	sum := h.checkout(buyer, "MN-BLACKTEA", 1)

	f.pgProxy.Cut()
	for lang, u := range users {
		if m := h.reply(u, "/start p_MN-BLACKTEA"); !strings.Contains(m.Text, unavailableWords[lang]) {
			t.Errorf("%s: a product opened while PostgreSQL is down shows %q", lang, m.Text)
		}
		if a := h.answer(u, mustPress(t, u, menus[lang].ID, "vl:0")); !strings.Contains(a.Text, unavailableWords[lang]) {
			t.Errorf("%s: the villages button while PostgreSQL is down was answered %q", lang, a.Text)
		}
	}
	data := confirmData(t, sum)
	if a := h.answer(buyer, mustPress(t, buyer, sum.ID, data)); !strings.Contains(a.Text, unavailableWords["en"]) {
		t.Errorf("confirming while PostgreSQL is down was answered %q", a.Text)
	}

	f.pgProxy.Restore()
	for lang, u := range users {
		h.until(lang+": the product card once PostgreSQL is back", func() bool {
			m := h.reply(u, "/start p_MN-BLACKTEA")
			return !strings.Contains(m.Text, unavailableWords[lang])
		})
	}
	mustPress(t, buyer, sum.ID, data)
	h.waitText(buyer, "is placed")
	h.settle(buyer)
	if n := h.count(`SELECT count(*) FROM orders WHERE customer_id = $1`, buyer.ID()); n != 1 {
		t.Errorf("the buyer has %d orders, want 1", n)
	}
	if !f.logged("a service is unavailable") {
		t.Errorf("the outage was not logged")
	}
}

// A session that could not be loaded is marked Unreachable and is never
// saved over the stored one; a missing or unreadable one is marked New.
func TestSessionsMarkWhatCouldNotBeRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb, prefix := redistest.New(t)
	p := newTCPProxy(t, rdb.Options().Addr)
	opt := *rdb.Options()
	opt.Addr = p.Addr()
	via := redis.NewClient(&opt)
	t.Cleanup(func() { via.Close() })
	sessions := bot.TypedSessions(redisstore.New(via, prefix).Sessions())
	stored := bot.Session{Flow: "checkout", Step: "phone", Cart: []bot.CartLine{{ProductID: 7, Quantity: 2}}}
	if err := sessions.Save(ctx, 1, stored); err != nil {
		t.Fatal(err)
	}

	p.Cut()
	s, err := sessions.Load(ctx, 1)
	if err == nil || !s.Unreachable || s.Flow != "" || len(s.Cart) != 0 {
		t.Fatalf("Load with Redis cut = %+v, %v; want an empty Unreachable session and an error", s, err)
	}
	s.Cart = append(s.Cart, bot.CartLine{ProductID: 9, Quantity: 1})
	if err := sessions.Save(ctx, 1, s); err == nil {
		t.Errorf("an Unreachable session was saved")
	}
	p.Restore()

	direct := bot.TypedSessions(redisstore.New(rdb, prefix).Sessions())
	s, err = direct.Load(ctx, 1)
	if err != nil || s.New || s.Unreachable || s.Step != "phone" || len(s.Cart) != 1 || s.Cart[0].ProductID != 7 {
		t.Errorf("after the outage the stored session is %+v, %v; want the one saved before", s, err)
	}
	if s, err := direct.Load(ctx, 2); err != nil || !s.New {
		t.Errorf("Load of a chat without a session = %+v, %v; want New", s, err)
	}
	if err := rdb.Set(ctx, prefix+"session:3", "{broken", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if s, err := direct.Load(ctx, 3); err != nil || !s.New {
		t.Errorf("Load of an unreadable session = %+v, %v; want New", s, err)
	}
}
