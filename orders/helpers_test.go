package orders_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"villagebot/catalog"
	"villagebot/internal/pgtest"
	"villagebot/orders"
)

// fixture is a fresh database with an orders store on it. Catalog rows are
// written with plain SQL (with their 'initial' ledger row), so these tests
// do not depend on the catalog store. When the test ends, checkLedger
// audits the books.
type fixture struct {
	tb    testing.TB
	ctx   context.Context
	db    *sqlx.DB
	store *orders.Store
	clock *clock
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	db := pgtest.New(tb)
	c := &clock{t: time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)}
	s := orders.NewStore(db)
	s.Now = c.Now
	tb.Cleanup(func() { checkLedger(tb, db) })
	return &fixture{tb: tb, ctx: context.Background(), db: db, store: s, clock: c}
}

// clock is a settable clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (f *fixture) exec(query string, args ...any) {
	f.tb.Helper()
	if _, err := f.db.ExecContext(f.ctx, query, args...); err != nil {
		f.tb.Fatalf("%s: %v", query, err)
	}
}

func (f *fixture) count(query string, args ...any) int {
	f.tb.Helper()
	var n int
	if err := f.db.GetContext(f.ctx, &n, query, args...); err != nil {
		f.tb.Fatalf("%s: %v", query, err)
	}
	return n
}

func (f *fixture) village(code string) int64 {
	f.tb.Helper()
	var id int64
	err := f.db.GetContext(f.ctx, &id, `INSERT INTO villages (code, names) VALUES ($1, $2) RETURNING id`,
		code, catalog.Texts{"en": code + " village", "zh": code + "村"})
	if err != nil {
		f.tb.Fatal(err)
	}
	return id
}

type productOpt func(*productRow)

type productRow struct {
	gift, hidden bool
}

func giftable(p *productRow) { p.gift = true }
func hidden(p *productRow)   { p.hidden = true }

// product adds a product with its initial stock, recorded in the ledger.
func (f *fixture) product(village int64, sku string, stock int, price catalog.Money, opts ...productOpt) int64 {
	f.tb.Helper()
	var p productRow
	for _, o := range opts {
		o(&p)
	}
	var id int64
	err := f.db.GetContext(f.ctx, &id, `
		INSERT INTO products (sku, village_id, category, names, units, price_fen, stock, gift, visible)
		VALUES ($1, $2, 'tea', $3, $4, $5, $6, $7, $8) RETURNING id`,
		sku, village, catalog.Texts{"en": sku + " tea", "zh": sku + "茶"}, catalog.Texts{"en": "box", "zh": "盒"},
		price, stock, p.gift, !p.hidden)
	if err != nil {
		f.tb.Fatal(err)
	}
	if stock != 0 {
		f.exec(`INSERT INTO stock_ledger (product_id, delta, reason, actor) VALUES ($1, $2, 'initial', 'cli')`, id, stock)
	}
	return id
}

// restock adds n units the way a coordinator's /stock +N would.
func (f *fixture) restock(product int64, n int) {
	f.tb.Helper()
	f.exec(`UPDATE products SET stock = stock + $2 WHERE id = $1`, product, n)
	f.exec(`INSERT INTO stock_ledger (product_id, delta, reason, actor) VALUES ($1, $2, 'adjust', 'cli')`, product, n)
}

func (f *fixture) stock(product int64) int {
	f.tb.Helper()
	return f.count(`SELECT stock FROM products WHERE id = $1`, product)
}

func (f *fixture) coordinator(telegramID, village int64) {
	f.tb.Helper()
	f.exec(`INSERT INTO staff (telegram_id, role, village_id, granted_by) VALUES ($1, 'coordinator', $2, 'cli')`, telegramID, village)
}

func (f *fixture) office(telegramID int64) {
	f.tb.Helper()
	f.exec(`INSERT INTO staff (telegram_id, role, granted_by) VALUES ($1, 'office', 'cli')`, telegramID)
}

// place places an order that must be created.
func (f *fixture) place(req orders.PlaceRequest) orders.Order {
	f.tb.Helper()
	o, created, err := f.store.Place(f.ctx, req)
	if err != nil || !created {
		f.tb.Fatalf("Place(%q) = created %v, %v; want a new order", req.Token, created, err)
	}
	return o
}

type outboxRow struct {
	ChatID  int64          `db:"chat_id"`
	Kind    string         `db:"kind"`
	Payload map[string]any `db:"-"`
	Raw     []byte         `db:"payload"`
}

// outbox returns the outbox rows of a kind, in the order they were written.
func (f *fixture) outbox(kind string) []outboxRow {
	f.tb.Helper()
	var rows []outboxRow
	if err := f.db.SelectContext(f.ctx, &rows, `SELECT chat_id, kind, payload FROM outbox WHERE kind = $1 ORDER BY id`, kind); err != nil {
		f.tb.Fatal(err)
	}
	for i := range rows {
		if err := json.Unmarshal(rows[i].Raw, &rows[i].Payload); err != nil {
			f.tb.Fatal(err)
		}
	}
	return rows
}

// villageNotices are the outbox rows of a kind told to a village's
// coordinators, as "chat:order:village".
func (f *fixture) villageNotices(kind string) []string {
	f.tb.Helper()
	var notices []string
	for _, r := range f.outbox(kind) {
		notices = append(notices, fmt.Sprintf("%d:%v:%v", r.ChatID, r.Payload["order"], r.Payload["village_id"]))
	}
	return notices
}

type event struct {
	From  string `db:"from_status"`
	To    string `db:"to_status"`
	Actor string `db:"actor"`
	Note  string `db:"note"`
}

func (f *fixture) events(orderID int64) []event {
	f.tb.Helper()
	var es []event
	if err := f.db.SelectContext(f.ctx, &es, `
		SELECT from_status, to_status, actor, note FROM order_events WHERE order_id = $1 ORDER BY id`, orderID); err != nil {
		f.tb.Fatal(err)
	}
	return es
}

const (
	visitor  = 5001
	visitor2 = 5002
	officer  = 7001
)

func customer(id int64) orders.Customer {
	return orders.Customer{TelegramID: id, ChatID: id, Username: fmt.Sprintf("user%d", id), FirstName: "Anna", Language: "en"}
}

func line(product int64, qty int) orders.LineRequest {
	return orders.LineRequest{ProductID: product, Quantity: qty}
}

func sale(token string, customerID int64, lines ...orders.LineRequest) orders.PlaceRequest {
	return orders.PlaceRequest{
		Token:    token,
		Kind:     orders.Sale,
		Customer: customer(customerID),
		Contact:  "Anna Petrova",
		Phone:    "+86 138 0013 8000",
		Delivery: orders.Pickup,
		Lines:    lines,
	}
}

func gift(token string, officeID int64, lines ...orders.LineRequest) orders.PlaceRequest {
	return orders.PlaceRequest{
		Token:     token,
		Kind:      orders.Gift,
		Customer:  customer(officeID),
		Occasion:  "Boao Forum annual conference",
		Recipient: "Delegation of Kazakhstan",
		Country:   "Kazakhstan",
		Lines:     lines,
	}
}

// checkLedger audits the books: for every product the ledger adds up to
// the stock and the stock is not negative; every unit supplied (initial,
// import, adjust) is either still in stock or in a live order; every
// order's ledger rows take exactly its live units; every order's total is
// the sum of its lines; and every order's events form one chain from
// placed to its current status.
func checkLedger(tb testing.TB, db *sqlx.DB) {
	tb.Helper()
	ctx := context.Background()
	var products []struct {
		ID       int64  `db:"id"`
		SKU      string `db:"sku"`
		Stock    int    `db:"stock"`
		Ledger   int    `db:"ledger"`
		Supplied int    `db:"supplied"`
		Live     int    `db:"live"`
	}
	err := db.SelectContext(ctx, &products, `
		SELECT p.id, p.sku, p.stock,
		       COALESCE((SELECT sum(delta) FROM stock_ledger l WHERE l.product_id = p.id), 0) AS ledger,
		       COALESCE((SELECT sum(delta) FROM stock_ledger l WHERE l.product_id = p.id
		                    AND reason IN ('initial', 'import', 'adjust')), 0) AS supplied,
		       COALESCE((SELECT sum(ol.quantity) FROM order_lines ol JOIN orders o ON o.id = ol.order_id
		                  WHERE ol.product_id = p.id AND o.status <> 'cancelled'), 0) AS live
		  FROM products p ORDER BY p.id`)
	if err != nil {
		tb.Fatalf("checkLedger: %v", err)
	}
	for _, p := range products {
		if p.Stock < 0 {
			tb.Errorf("checkLedger: %s: stock %d < 0", p.SKU, p.Stock)
		}
		if p.Ledger != p.Stock {
			tb.Errorf("checkLedger: %s: ledger sums to %d, stock is %d", p.SKU, p.Ledger, p.Stock)
		}
		if p.Supplied != p.Stock+p.Live {
			tb.Errorf("checkLedger: %s: %d units supplied, but %d in stock + %d in live orders", p.SKU, p.Supplied, p.Stock, p.Live)
		}
	}

	var os []struct {
		ID     int64  `db:"id"`
		Number int64  `db:"number"`
		Status string `db:"status"`
		Total  int64  `db:"total_fen"`
		Lines  int64  `db:"lines_total"`
		Units  int    `db:"units"`
		Ledger int    `db:"ledger"`
	}
	err = db.SelectContext(ctx, &os, `
		SELECT o.id, o.number, o.status, o.total_fen,
		       COALESCE((SELECT sum(unit_price_fen * quantity) FROM order_lines WHERE order_id = o.id), 0) AS lines_total,
		       COALESCE((SELECT sum(quantity) FROM order_lines WHERE order_id = o.id), 0) AS units,
		       COALESCE((SELECT sum(delta) FROM stock_ledger WHERE order_id = o.id), 0) AS ledger
		  FROM orders o ORDER BY o.id`)
	if err != nil {
		tb.Fatalf("checkLedger: %v", err)
	}
	for _, o := range os {
		if o.Total != o.Lines {
			tb.Errorf("checkLedger: #%d: total %d, lines add up to %d", o.Number, o.Total, o.Lines)
		}
		if o.Units == 0 {
			tb.Errorf("checkLedger: #%d has no lines", o.Number)
		}
		want := -o.Units
		if o.Status == "cancelled" {
			want = 0
		}
		if o.Ledger != want {
			tb.Errorf("checkLedger: #%d (%s): its ledger rows sum to %d, want %d", o.Number, o.Status, o.Ledger, want)
		}
	}

	var es []struct {
		OrderID int64  `db:"order_id"`
		From    string `db:"from_status"`
		To      string `db:"to_status"`
	}
	if err := db.SelectContext(ctx, &es, `SELECT order_id, from_status, to_status FROM order_events ORDER BY order_id, id`); err != nil {
		tb.Fatalf("checkLedger: %v", err)
	}
	at := map[int64]string{} // order id → status its events reached
	for _, e := range es {
		prev, seen := at[e.OrderID]
		switch {
		case !seen && (e.From != "" || e.To != "placed"):
			tb.Errorf("checkLedger: order %d: first event %q → %q, want \"\" → placed", e.OrderID, e.From, e.To)
		case seen && (e.From != prev || !orders.CanTransition(orders.Status(e.From), orders.Status(e.To))):
			tb.Errorf("checkLedger: order %d: event %q → %q after %q", e.OrderID, e.From, e.To, prev)
		}
		at[e.OrderID] = e.To
	}
	for _, o := range os {
		if at[o.ID] != o.Status {
			tb.Errorf("checkLedger: #%d: status %s, its events end at %q", o.Number, o.Status, at[o.ID])
		}
	}
}
