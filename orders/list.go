package orders

import (
	"context"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// ListFilter selects orders for a staff list (the web console's orders
// page). Zero fields select everything.
type ListFilter struct {
	Status    Status
	Kind      Kind
	VillageID int64 // orders holding this village's products, with only its lines
	// From and To are calendar dates in the office's time zone, both
	// inclusive, as for Stats.
	From, To *time.Time
	Limit    int // at most this many, newest first; <= 0: 200
}

// List returns the orders f selects, newest first, and how many match in
// all.
func (s *Store) List(ctx context.Context, f ListFilter, loc *time.Location) (os []Order, total int, err error) {
	defer wrap(&err, "List(%+v)", f)
	if f.Status != "" && !f.Status.Valid() {
		return nil, 0, invalid("status", "%q is not a status", f.Status)
	}
	if f.Kind != "" && !f.Kind.Valid() {
		return nil, 0, invalid("kind", "%q is not gift or sale", f.Kind)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 200
	}
	r := dayRange(f.From, f.To, loc)
	var rows []struct {
		Order
		Matching int `db:"matching"`
	}
	err = sqlx.SelectContext(ctx, s.db, &rows, `
		SELECT `+orderColumnsList+`, count(*) OVER () AS matching
		  FROM orders o
		 WHERE ($1 = '' OR o.status = $1)
		   AND ($2 = '' OR o.kind = $2)
		   AND ($3::bigint = 0 OR EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id AND l.village_id = $3))
		   AND ($4::timestamptz IS NULL OR o.created_at >= $4)
		   AND ($5::timestamptz IS NULL OR o.created_at < $5)
		 ORDER BY o.created_at DESC, o.id DESC
		 LIMIT $6`, string(f.Status), string(f.Kind), f.VillageID, r.from, r.to, f.Limit)
	if err != nil {
		return nil, 0, err
	}
	os = make([]Order, len(rows))
	for i, row := range rows {
		os[i] = row.Order
		total = row.Matching
	}
	if err := loadLines(ctx, s.db, os, f.VillageID); err != nil {
		return nil, 0, err
	}
	return os, total, nil
}

// orderColumnsList are the columns of Order, read from orders o.
var orderColumnsList = strings.Join([]string{
	"o.id", "o.number", "o.kind", "o.status", "o.customer_id", "o.chat_id", "o.language",
	"o.contact", "o.phone", "o.delivery", "o.address", "o.occasion", "o.recipient", "o.country",
	"o.needed_by", "o.notes", "o.total_fen", "o.created_at", "o.updated_at",
}, ", ")

// Event is one change of an order's status: who, when, from and to.
type Event struct {
	From  Status    `db:"from_status"`
	To    Status    `db:"to_status"`
	Actor string    `db:"actor"`
	Note  string    `db:"note"`
	At    time.Time `db:"created_at"`
}

// Events returns the history of the order with number, oldest first.
func (s *Store) Events(ctx context.Context, number int64) (es []Event, err error) {
	defer wrap(&err, "Events(%d)", number)
	err = sqlx.SelectContext(ctx, s.db, &es, `
		SELECT e.from_status, e.to_status, e.actor, e.note, e.created_at
		  FROM order_events e JOIN orders o ON o.id = e.order_id
		 WHERE o.number = $1
		 ORDER BY e.id`, number)
	return es, err
}

// WaitCounts is how many orders wait in each open status, for the
// console's live counts; with a village id, only orders holding its
// products.
func (s *Store) WaitCounts(ctx context.Context, villageID int64) (counts map[Status]int, err error) {
	defer wrap(&err, "WaitCounts(%d)", villageID)
	var rows []struct {
		Status Status `db:"status"`
		N      int    `db:"n"`
	}
	err = sqlx.SelectContext(ctx, s.db, &rows, `
		SELECT o.status, count(*) AS n FROM orders o
		 WHERE o.status IN ('placed', 'confirmed', 'ready')
		   AND ($1::bigint = 0 OR EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id AND l.village_id = $1))
		 GROUP BY o.status`, villageID)
	counts = map[Status]int{}
	for _, r := range rows {
		counts[r.Status] = r.N
	}
	return counts, err
}

// HistoryEntry is one line of the history of changes: who changed what, when.
// Kind is "stock", "product", "order" or "staff".
type HistoryEntry struct {
	At      time.Time `db:"at"`
	Actor   string    `db:"actor"`
	Kind    string    `db:"kind"`
	Subject string    `db:"subject"` // a SKU, an order reference or a staff name
	What    string    `db:"what"`    // the field or action
	From    string    `db:"from_value"`
	To      string    `db:"to_value"`
}

// History returns the latest limit changes made by people (stock, price,
// visibility, order statuses, staff roles), newest first; with a village
// id, only the changes of that village's products and orders.
func (s *Store) History(ctx context.Context, villageID int64, limit int) (cs []HistoryEntry, err error) {
	defer wrap(&err, "History(%d)", villageID)
	err = sqlx.SelectContext(ctx, s.db, &cs, `
		SELECT at, actor, kind, subject, what, from_value, to_value FROM (
			SELECT l.created_at AS at, l.actor, 'stock' AS kind, p.sku AS subject, l.reason AS what,
			       '' AS from_value, to_char(l.delta, 'SG9999999') AS to_value
			  FROM stock_ledger l JOIN products p ON p.id = l.product_id
			 WHERE l.reason IN ('adjust', 'import', 'initial') AND ($1::bigint = 0 OR p.village_id = $1)
			UNION ALL
			SELECT c.created_at, c.actor, 'product', p.sku, c.field, c.old_value, c.new_value
			  FROM product_changes c JOIN products p ON p.id = c.product_id
			 WHERE $1::bigint = 0 OR p.village_id = $1
			UNION ALL
			SELECT e.created_at, e.actor, 'order', '#' || o.number, 'status', e.from_status, e.to_status
			  FROM order_events e JOIN orders o ON o.id = e.order_id
			 WHERE $1::bigint = 0 OR EXISTS (SELECT 1 FROM order_lines ol WHERE ol.order_id = o.id AND ol.village_id = $1)
			UNION ALL
			SELECT a.created_at, a.actor, 'staff', COALESCE(NULLIF(a.name, ''), a.telegram_id::text, ''), a.action, '', a.role
			  FROM staff_audit a
			 WHERE $1::bigint = 0
		) h ORDER BY at DESC LIMIT $2`, villageID, limit)
	return cs, err
}
