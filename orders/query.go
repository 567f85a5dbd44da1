package orders

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// orderColumns are the columns of Order, without a table qualifier so they
// serve SELECT and RETURNING alike.
const orderColumns = `id, number, kind, status, customer_id, chat_id, language,
	contact, phone, delivery, address, occasion, recipient, country, needed_by,
	notes, total_fen, created_at, updated_at,
	payment, payment_method, paid_fen, paid_at, paid_by`

// Get returns the order with this number, with its lines.
func (s *Store) Get(ctx context.Context, number int64) (o Order, err error) {
	defer wrap(&err, "Get(%d)", number)
	return getOrder(ctx, s.prep, `SELECT `+orderColumns+` FROM orders WHERE number = $1`, number)
}

// ByToken returns the order placed with this checkout token, with its
// lines.
func (s *Store) ByToken(ctx context.Context, token string) (o Order, err error) {
	defer wrap(&err, "ByToken(%q)", token)
	if err := checkText("token", token, MaxToken, true, false); err != nil {
		return Order{}, err // a NUL or invalid UTF-8 never reaches PostgreSQL
	}
	return getOrder(ctx, s.prep, `SELECT `+orderColumns+` FROM orders WHERE checkout_token = $1`, token)
}

// ForCustomer returns the customer's latest orders, newest first, with
// their lines; at most limit of them (20 when limit <= 0, never more than
// 100).
func (s *Store) ForCustomer(ctx context.Context, customerID int64, limit int) (os []Order, err error) {
	defer wrap(&err, "ForCustomer(%d)", customerID)
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 100)
	return selectOrders(ctx, s.db, 0, `
		SELECT `+orderColumns+`
		  FROM orders
		 WHERE customer_id = $1
		 ORDER BY created_at DESC, id DESC
		 LIMIT $2`, customerID, limit)
}

// Open returns the oldest limit orders still to fulfil (placed, confirmed
// or ready), oldest first, and how many there are in all; limit <= 0 means
// all of them. With a village id it looks only at the orders holding that
// village's products, each with only that village's lines (Total stays the
// whole order's); with 0 at all open orders with all their lines.
func (s *Store) Open(ctx context.Context, villageID int64, limit int) (os []Order, total int, err error) {
	defer wrap(&err, "Open(%d)", villageID)
	// One statement, so that the count and the orders are of one moment.
	var rows []struct {
		Order
		OpenTotal int `db:"open_total"`
	}
	err = sqlx.SelectContext(ctx, s.db, &rows, `
		SELECT `+orderColumns+`, count(*) OVER () AS open_total
		  FROM orders o
		 WHERE status IN ('placed', 'confirmed', 'ready')
		   AND ($1::bigint = 0 OR EXISTS (SELECT 1 FROM order_lines l
		                           WHERE l.order_id = o.id AND l.village_id = $1))
		 ORDER BY created_at, id
		 LIMIT NULLIF($2::int, 0)`, villageID, max(limit, 0))
	if err != nil || len(rows) == 0 {
		return nil, 0, err
	}
	os = make([]Order, len(rows))
	for i, r := range rows {
		os[i] = r.Order
	}
	if err := loadLines(ctx, s.db, os, villageID); err != nil {
		return nil, 0, err
	}
	return os, rows[0].OpenTotal, nil
}

// getOrder reads one order with all its lines; ErrNotFound when the query
// finds none.
func getOrder(ctx context.Context, q sqlx.QueryerContext, query string, args ...any) (Order, error) {
	var o Order
	err := sqlx.GetContext(ctx, q, &o, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, ErrNotFound
	}
	if err != nil {
		return Order{}, err
	}
	os := []Order{o}
	if err := loadLines(ctx, q, os, 0); err != nil {
		return Order{}, err
	}
	return os[0], nil
}

// selectOrders reads orders and their lines (only villageID's lines when it
// is not 0).
func selectOrders(ctx context.Context, q sqlx.QueryerContext, villageID int64, query string, args ...any) ([]Order, error) {
	var os []Order
	if err := sqlx.SelectContext(ctx, q, &os, query, args...); err != nil {
		return nil, err
	}
	if err := loadLines(ctx, q, os, villageID); err != nil {
		return nil, err
	}
	return os, nil
}

// loadLines fills in the lines of orders in one query, in the order they
// were written (product id order).
func loadLines(ctx context.Context, q sqlx.QueryerContext, os []Order, villageID int64) error {
	if len(os) == 0 {
		return nil
	}
	ids := make([]int64, len(os))
	at := make(map[int64]int, len(os))
	for i, o := range os {
		ids[i] = o.ID
		at[o.ID] = i
	}
	var lines []Line
	err := sqlx.SelectContext(ctx, q, &lines, `
		SELECT l.id, l.order_id, l.product_id, l.village_id, v.code AS village_code,
		       l.sku, l.product_names, l.units, l.unit_price_fen, l.quantity, l.ready_at
		  FROM order_lines l
		  JOIN villages v ON v.id = l.village_id
		 WHERE l.order_id = ANY($1)
		   AND ($2::bigint = 0 OR l.village_id = $2)
		 ORDER BY l.order_id, l.id`, pq.Array(ids), villageID)
	if err != nil {
		return err
	}
	for _, l := range lines {
		o := &os[at[l.OrderID]]
		o.Lines = append(o.Lines, l)
	}
	return nil
}
