package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"villagebot/catalog"
	"villagebot/internal/pg"
)

// Place places an order and reserves its stock, all in one transaction:
// either every line is reserved or nothing changes.
//
// Placing is idempotent by req.Token: when an order with this token exists
// — also one that another transaction is committing at this very moment —
// Place returns it with created false and reserves nothing again. A token
// used by another customer is ErrForbidden and reveals nothing of that
// order.
//
// Prices, names and units are read from the catalog while the stock is
// reserved, never taken from the request. A line that carries what the
// customer saw (LineRequest.Seen) is checked against them under the same
// row lock: when a price differs or a product is hidden now, Place
// returns a *ChangedError (ErrChanged) listing every changed line. When
// any line is short, it returns a *ShortError (ErrOutOfStock) listing
// every short line with what is left now. A bad request is ErrInvalid (an
// *InvalidError naming the field) or ErrEmpty. An order refused for any
// reason takes no order number: numbers have no gaps.
//
// Coordinators of each village in the order are told of it through the
// outbox, and of every product whose stock this order brought down to the
// low-stock mark.
func (s *Store) Place(ctx context.Context, req PlaceRequest) (o Order, created bool, err error) {
	defer wrap(&err, "Place(%q)", req.Token)
	req, err = req.normalize()
	if err != nil {
		return Order{}, false, err
	}
	// Stock rows are locked in product id order, so orders cannot deadlock
	// each other; a bulk catalog update that locks them in another order
	// can, and PostgreSQL then aborts one side. The transaction left
	// nothing behind, so it is safe to run again.
	for attempt := 1; ; attempt++ {
		o, created, err = s.place(ctx, req)
		if attempt == 3 || !isDeadlock(err) {
			return o, created, err
		}
	}
}

// errTokenUsed rolls back a transaction that found its checkout token
// taken.
var errTokenUsed = errors.New("checkout token already used")

func (s *Store) place(ctx context.Context, req PlaceRequest) (Order, bool, error) {
	var o Order
	err := pg.Transact(ctx, s.db, func(sqltx *sqlx.Tx) error {
		tx := s.prep.InTx(sqltx)
		now := s.Now()
		if err := upsertCustomer(ctx, tx, req.Customer, now); err != nil {
			return err
		}
		var err error
		if o, err = insertOrder(ctx, tx, req, now); err != nil {
			return err
		}
		return s.reserve(ctx, tx, &o, req, now)
	})
	if errors.Is(err, errTokenUsed) {
		return s.placedBefore(ctx, req)
	}
	if err != nil {
		return Order{}, false, err
	}
	return o, true, nil
}

// placedBefore returns the order placed earlier with req's token. The
// INSERT that found the token taken had waited for the transaction that
// took it to commit (a unique index makes a concurrent insert wait for the
// outcome; had that transaction rolled back, our insert would have gone
// ahead), so the order is there to read.
func (s *Store) placedBefore(ctx context.Context, req PlaceRequest) (Order, bool, error) {
	o, err := getOrder(ctx, s.prep, `SELECT `+orderColumns+` FROM orders WHERE checkout_token = $1`, req.Token)
	if err != nil {
		return Order{}, false, err
	}
	if o.CustomerID != req.Customer.TelegramID {
		return Order{}, false, ErrForbidden
	}
	return o, false, nil
}

// upsertCustomer records who is ordering, touching the row only when
// something changed.
func upsertCustomer(ctx context.Context, tx querier, c Customer, now time.Time) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO customers (telegram_id, chat_id, username, first_name, language, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)
		ON CONFLICT (telegram_id) DO UPDATE
		   SET chat_id = EXCLUDED.chat_id, username = EXCLUDED.username,
		       first_name = EXCLUDED.first_name, language = EXCLUDED.language,
		       updated_at = EXCLUDED.updated_at
		 WHERE (customers.chat_id, customers.username, customers.first_name, customers.language)
		       IS DISTINCT FROM
		       (EXCLUDED.chat_id, EXCLUDED.username, EXCLUDED.first_name, EXCLUDED.language)`,
		c.TelegramID, c.ChatID, c.Username, c.FirstName, c.Language, now)
	return err
}

// insertOrder writes the order with a zero total, or returns errTokenUsed
// when its checkout token already has an order.
func insertOrder(ctx context.Context, tx querier, req PlaceRequest, now time.Time) (Order, error) {
	var neededBy any
	if req.NeededBy != nil {
		neededBy = req.NeededBy.Format(time.DateOnly) // the date as the caller sees it, whatever its zone
	}
	var o Order
	err := sqlx.GetContext(ctx, tx, &o, `
		INSERT INTO orders (kind, customer_id, chat_id, language, contact, phone, delivery,
		                    address, occasion, recipient, country, needed_by, notes,
		                    total_fen, checkout_token, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::date, $13, 0, $14, $15, $15)
		ON CONFLICT (checkout_token) DO NOTHING
		RETURNING `+orderColumns,
		req.Kind, req.Customer.TelegramID, req.Customer.ChatID, req.Customer.Language,
		req.Contact, req.Phone, req.Delivery, req.Address, req.Occasion, req.Recipient,
		req.Country, neededBy, req.Notes, req.Token, now)
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, errTokenUsed
	}
	return o, err
}

// reservedLine is a line just written, with the product's stock after it
// and, on the order's last line, the order's number.
type reservedLine struct {
	Line
	StockAfter  int   `db:"stock_after"`
	OrderNumber int64 `db:"order_number"`
}

// reserve takes each line's units from stock (lines come sorted by product
// id), writes the ledger and the order lines, the order's number and
// total, its first event and the coordinators' notices. After the first
// line that cannot be reserved it only looks at the remaining lines, to
// report every problem without locking more rows; the caller's rollback
// undoes the lines already reserved. Lines that changed since the summary
// are reported before shortages.
func (s *Store) reserve(ctx context.Context, tx querier, o *Order, req PlaceRequest, now time.Time) error {
	var short []Shortage
	var changed []Change
	for i, l := range req.Lines {
		if short != nil || changed != nil {
			sh, ch, err := checkLine(ctx, tx, l, req.Kind)
			if err != nil {
				return err
			}
			short, changed = appendProblem(short, changed, sh, ch)
			continue
		}
		var last *orderDone
		if i == len(req.Lines)-1 {
			last = &orderDone{total: o.Total, villages: villagesOf(o.Lines)}
		}
		line, sh, ch, err := reserveLine(ctx, tx, o.ID, l, req, now, last)
		if err != nil {
			return err
		}
		if sh != nil || ch != nil {
			short, changed = appendProblem(short, changed, sh, ch)
			continue
		}
		o.Lines = append(o.Lines, line.Line)
		o.Total += line.LineTotal()
		if last != nil {
			o.Number = line.OrderNumber
		}
		if before := line.StockAfter + line.Quantity; before > s.LowStock && line.StockAfter <= s.LowStock {
			if err := notifyLowStock(ctx, tx, line, now); err != nil {
				return err
			}
		}
	}
	switch {
	case changed != nil:
		return &ChangedError{Lines: changed}
	case short != nil:
		return &ShortError{Lines: short}
	}
	return nil
}

func appendProblem(short []Shortage, changed []Change, sh *Shortage, ch *Change) ([]Shortage, []Change) {
	if sh != nil {
		short = append(short, *sh)
	}
	if ch != nil {
		changed = append(changed, *ch)
	}
	return short, changed
}

// orderDone is what the last line's statement needs to finish the order
// too: the total and villages of the lines before.
type orderDone struct {
	total    catalog.Money
	villages []int64
}

// villagesOf lists the villages of lines, each once.
func villagesOf(lines []Line) []int64 {
	villages := []int64{}
	for _, l := range lines {
		if !slices.Contains(villages, l.VillageID) {
			villages = append(villages, l.VillageID)
		}
	}
	return villages
}

// reserveLineSQL takes a line's units from stock and writes its ledger row
// and order line, when the product can be ordered, has enough, and (with
// $10 set) still costs what the customer saw. On the order's last line
// ($7) it also finishes the order: takes the next order number from
// order_numbers, the last write of the transaction, so that an order
// refused at any line takes none; sets the number and total; writes the
// first event and the coordinators' notices.
const reserveLineSQL = `
	WITH p AS (
	    UPDATE products
	       SET stock = stock - $2::int, updated_at = now()
	     WHERE id = $1 AND stock >= $2::int AND visible AND (gift OR NOT $3::boolean)
	       AND ($10::bigint IS NULL OR price_fen = $10::bigint)
	 RETURNING id, village_id, sku, names, units, price_fen, stock
	), ledger AS (
	    INSERT INTO stock_ledger (product_id, delta, reason, actor, order_id, created_at)
	    SELECT id, -$2::int, 'order', $4, $5, $6 FROM p
	), line AS (
	    INSERT INTO order_lines (order_id, product_id, village_id, sku, product_names,
	                             units, unit_price_fen, quantity)
	    SELECT $5, id, village_id, sku, names, units, price_fen, $2::int FROM p
	 RETURNING id, order_id, product_id, village_id, sku, product_names, units,
	           unit_price_fen, quantity, ready_at
	), num AS (
	    UPDATE order_numbers SET last = last + 1
	     WHERE $7::boolean AND EXISTS (SELECT 1 FROM p)
	 RETURNING last
	), total AS (
	    UPDATE orders SET number = num.last, total_fen = $8::bigint + p.price_fen * $2::int
	      FROM p, num
	     WHERE orders.id = $5
	), event AS (
	    INSERT INTO order_events (order_id, from_status, to_status, actor, created_at)
	    SELECT $5, '', 'placed', $4, $6 FROM num
	), notices AS (
	    INSERT INTO outbox (chat_id, kind, payload, created_at)
	    SELECT s.telegram_id, 'new_order',
	           jsonb_build_object('order', num.last, 'village_id', s.village_id), $6
	      FROM staff s, p, num
	     WHERE s.role = 'coordinator'
	       AND (s.village_id = ANY($9::bigint[]) OR s.village_id = p.village_id)
	     ORDER BY s.village_id, s.telegram_id
	)
	SELECT line.id, line.order_id, line.product_id, line.village_id, v.code AS village_code,
	       line.sku, line.product_names, line.units, line.unit_price_fen, line.quantity,
	       line.ready_at, p.stock AS stock_after, coalesce(num.last, 0) AS order_number
	  FROM line
	  JOIN p ON p.id = line.product_id
	  JOIN villages v ON v.id = line.village_id
	  LEFT JOIN num ON true`

// reserveLine runs reserveLineSQL for one line; for the last line (last
// not nil) it finishes the order too. The UPDATE's condition is checked
// again on the newest row version after waiting for a concurrent buyer,
// so a unit is never sold twice. The product's row is locked from this
// statement to the commit, and a product in demand has buyers queueing
// for it: a round trip less while it is held is a round trip less for
// each of them. When the line cannot be reserved it returns why instead.
func reserveLine(ctx context.Context, tx querier, orderID int64, l LineRequest, req PlaceRequest, now time.Time, last *orderDone) (reservedLine, *Shortage, *Change, error) {
	finish := last != nil
	if !finish {
		last = &orderDone{villages: []int64{}}
	}
	var seen *int64
	if l.Seen != nil {
		price := int64(l.Seen.UnitPrice)
		seen = &price
	}
	for try := 0; ; try++ {
		var line reservedLine
		err := sqlx.GetContext(ctx, tx, &line, reserveLineSQL,
			l.ProductID, l.Quantity, req.Kind == Gift, req.Actor, orderID, now,
			finish, int64(last.total), pq.Array(last.villages), seen)
		if err == nil {
			return line, nil, nil, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return reservedLine{}, nil, nil, err
		}
		sh, ch, err := checkLine(ctx, tx, l, req.Kind)
		if err != nil || sh != nil || ch != nil {
			return reservedLine{}, sh, ch, err
		}
		if try == 2 {
			return reservedLine{}, nil, nil, fmt.Errorf("product %d: its stock kept changing while reserving", l.ProductID)
		}
		// Stock came back between the two statements (a cancellation
		// committed): try again.
	}
}

// checkLine reports why a line cannot be reserved now: it changed since
// the customer saw it (the product hidden, gone or its price changed,
// when the line carries what was seen), or it is short or unavailable.
// Both nil: it can be reserved.
func checkLine(ctx context.Context, tx querier, l LineRequest, kind Kind) (*Shortage, *Change, error) {
	var p struct {
		SKU     string        `db:"sku"`
		Name    catalog.Texts `db:"names"`
		Stock   int           `db:"stock"`
		Visible bool          `db:"visible"`
		Gift    bool          `db:"gift"`
		Price   catalog.Money `db:"price_fen"`
	}
	err := sqlx.GetContext(ctx, tx, &p, `SELECT sku, names, stock, visible, gift, price_fen FROM products WHERE id = $1`, l.ProductID)
	gone := errors.Is(err, sql.ErrNoRows)
	if err != nil && !gone {
		return nil, nil, err
	}
	unavailable := gone || !p.Visible || (kind == Gift && !p.Gift)
	if l.Seen != nil && (unavailable || p.Price != l.Seen.UnitPrice) {
		return nil, &Change{ProductID: l.ProductID, SKU: p.SKU, Name: p.Name, Seen: l.Seen.UnitPrice, Price: p.Price, Hidden: unavailable}, nil
	}
	sh := &Shortage{ProductID: l.ProductID, SKU: p.SKU, Name: p.Name, Wanted: l.Quantity, Left: p.Stock}
	switch {
	case unavailable:
		sh.Unavailable, sh.Left = true, 0
		return sh, nil, nil
	case p.Stock < l.Quantity:
		return sh, nil, nil
	}
	return nil, nil, nil
}

// notifyLowStock tells the product's village coordinators that its stock
// reached the low-stock mark.
func notifyLowStock(ctx context.Context, tx querier, l reservedLine, now time.Time) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO outbox (chat_id, kind, payload, created_at)
		SELECT telegram_id, 'low_stock',
		       jsonb_build_object('product_id', $1::bigint, 'sku', $2::text, 'stock', $3::int),
		       $5::timestamptz
		  FROM staff
		 WHERE role = 'coordinator' AND village_id = $4
		 ORDER BY telegram_id`,
		l.ProductID, l.SKU, l.StockAfter, l.VillageID, now)
	return err
}

func isDeadlock(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "40P01" // deadlock_detected
}
