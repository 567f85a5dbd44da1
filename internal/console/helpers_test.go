package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"villagebot/bot"
	"villagebot/catalog"
	"villagebot/catalog/catalogtest"
	"villagebot/internal/console"
	"villagebot/internal/pgtest"
	"villagebot/internal/redistest"
	"villagebot/orders"
)

// env is a console on a fresh database holding the demo catalog, served
// over HTTP as a browser would reach it.
type env struct {
	t       *testing.T
	db      *sqlx.DB
	catalog *catalog.Store
	orders  *orders.Store
	srv     *httptest.Server
	logs    *strings.Builder
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := pgtest.New(t)
	catalogtest.Seed(t, db)
	rdb, prefix := redistest.New(t)
	msgs, err := bot.LoadMessages("en")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, catalog: catalog.NewStore(db), orders: orders.NewStore(db), logs: &strings.Builder{}}
	e.catalog.CacheFor = 0
	srv := httptest.NewUnstartedServer(nil)
	c, err := console.New(console.Options{
		Catalog: e.catalog, Orders: e.orders, Redis: rdb, Prefix: prefix, Messages: msgs,
		BaseURL: "http://" + srv.Listener.Addr().String(), Location: time.UTC,
		Log:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		BotUsername: func() string { return "village_test_bot" },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = c
	srv.Start()
	t.Cleanup(srv.Close)
	e.srv = srv
	return e
}

// invite makes an account with a password, as `staff invite` and the
// link page would, and returns a browser signed in as it.
func (e *env) invite(name string, role catalog.Role, village string) *browser {
	e.t.Helper()
	_, token, err := e.catalog.Invite(context.Background(), name, role, village, "cli")
	if err != nil {
		e.t.Fatal(err)
	}
	b := e.browser()
	page := b.get("/link/" + token)
	b.post("/link/"+token, url.Values{"csrf": {csrfOf(e.t, page)}, "password": {"correct horse battery"}, "password2": {"correct horse battery"}})
	if b.status != http.StatusOK || !strings.Contains(b.body, name) {
		e.t.Fatalf("setting %s's password: %d %s", name, b.status, b.body)
	}
	return b
}

// browser is an HTTP client with cookies that remembers the last answer.
type browser struct {
	t      *testing.T
	c      *http.Client
	base   string
	status int
	body   string
	header http.Header
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, c: &http.Client{Jar: jar}, base: e.srv.URL}
}

func (b *browser) do(req *http.Request) string {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.status, b.body, b.header = resp.StatusCode, string(body), resp.Header
	return b.body
}

func (b *browser) get(path string) string {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) string {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// csrf is the CSRF token of the page at path.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	return csrfOf(b.t, b.get(path))
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", page)
	}
	return m[1]
}

func (b *browser) signin(name, password string) {
	b.t.Helper()
	b.post("/signin", url.Values{"csrf": {b.csrf("/signin")}, "name": {name}, "password": {password}})
}

func (e *env) stock(sku string) int {
	e.t.Helper()
	p, err := e.catalog.ProductBySKU(context.Background(), sku)
	if err != nil {
		e.t.Fatal(err)
	}
	return p.Stock
}

// placeOrders places two sales and a gift, so that the pages have
// something to show; it returns the first sale's number.
func (e *env) placeOrders() int64 {
	e.t.Helper()
	ctx := context.Background()
	product := func(sku string) int64 {
		p, err := e.catalog.ProductBySKU(ctx, sku)
		if err != nil {
			e.t.Fatal(err)
		}
		return p.ID
	}
	needed := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	var first int64
	for i, req := range []orders.PlaceRequest{
		{Kind: orders.Sale, Contact: "Anna Petrova", Phone: "+79001234567", Delivery: orders.Pickup,
			Lines: []orders.LineRequest{{ProductID: product("MN-BLACKTEA"), Quantity: 2}, {ProductID: product("XL-COFFEE"), Quantity: 1}}},
		{Kind: orders.Sale, Contact: "John Smith", Phone: "+447700900123", Delivery: orders.Hotel, Address: "Boao Hotel, room 1203",
			Lines: []orders.LineRequest{{ProductID: product("MN-SHANLAN"), Quantity: 3}}},
		{Kind: orders.Gift, Occasion: "Boao Forum annual conference", Recipient: "Delegation of Kazakhstan", Country: "Kazakhstan", NeededBy: &needed,
			Lines: []orders.LineRequest{{ProductID: product("LI-BROCADE"), Quantity: 2}}},
	} {
		req.Token = "console-test-" + strconv.Itoa(i)
		req.Customer = orders.Customer{TelegramID: int64(7000 + i), ChatID: int64(7000 + i), Language: "en"}
		o, _, err := e.orders.Place(ctx, req)
		if err != nil {
			e.t.Fatal(err)
		}
		if i == 0 {
			first = o.Number
		}
	}
	return first
}
