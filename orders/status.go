package orders

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"villagebot/internal/pg"
)

// SetStatus moves an order to another status (see CanTransition) on behalf
// of actor, and tells the customer. Cancelling returns every line's units
// to stock. A move that is not allowed, including to the status the order
// already has, is ErrBadTransition.
func (s *Store) SetStatus(ctx context.Context, number int64, to Status, actor string) (o Order, err error) {
	defer wrap(&err, "SetStatus(%d, %q)", number, to)
	if !to.Valid() {
		return Order{}, invalid("status", "%q is not a status", to)
	}
	if err := checkText("actor", actor, maxActor, true, false); err != nil {
		return Order{}, err
	}
	err = pg.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		cur, err := lockOrder(ctx, tx, number)
		if err != nil {
			return err
		}
		if err := s.transition(ctx, tx, &cur, change{to: to, actor: actor, ledger: "cancel", notice: NoticeStatus}); err != nil {
			return err
		}
		o, err = getOrder(ctx, tx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, cur.ID)
		return err
	})
	return o, err
}

// CancelByCustomer cancels a customer's own order while it is still
// placed, returning its stock. An order that does not exist or belongs to
// someone else is ErrNotFound alike, so nobody learns of others' orders;
// a gift order, even one's own, is ErrOfficeOnly; an order past placed is
// ErrBadTransition, and a paid one ErrAlreadyPaid (the office cancels it,
// and refunds: see CancelRefund).
func (s *Store) CancelByCustomer(ctx context.Context, number, customerID int64) (o Order, err error) {
	defer wrap(&err, "CancelByCustomer(%d, %d)", number, customerID)
	err = pg.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		cur, err := lockOrder(ctx, tx, number)
		if err != nil {
			return err
		}
		if cur.CustomerID != customerID {
			return ErrNotFound
		}
		if cur.Kind == Gift {
			return ErrOfficeOnly
		}
		if cur.Status != Placed {
			return errBadTransition(cur.Status, Cancelled)
		}
		if cur.Payment.State == Paid {
			return ErrAlreadyPaid
		}
		if err := s.transition(ctx, tx, &cur, change{
			to: Cancelled, actor: TelegramActor(customerID), ledger: "cancel", notice: NoticeStatus,
		}); err != nil {
			return err
		}
		o, err = getOrder(ctx, tx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, cur.ID)
		return err
	})
	return o, err
}

// CancelReason is why staff cancelled an order, told the customer in
// their language; ReasonOther comes with the words staff typed.
type CancelReason string

// The reasons staff pick from when they cancel an order.
const (
	ReasonOutOfStock    CancelReason = "out_of_stock"
	ReasonCustomerAsked CancelReason = "customer_asked"
	ReasonNotCollected  CancelReason = "not_collected"
	ReasonOther         CancelReason = "other"
)

// CancelReasons lists the reasons in the order staff are offered them.
var CancelReasons = []CancelReason{ReasonOutOfStock, ReasonCustomerAsked, ReasonNotCollected, ReasonOther}

// Valid reports whether r is one of CancelReasons.
func (r CancelReason) Valid() bool { return slices.Contains(CancelReasons, r) }

// MaxReasonText is the longest reason staff may type, in characters.
const MaxReasonText = 200

// CancelByStaff cancels an order on behalf of staff (actor) for a reason,
// returning its stock. The reason is the cancellation's event note — the
// reason's name, or for ReasonOther the typed text, which is then
// required — and the customer is told it. An order delivered or cancelled
// already is ErrBadTransition; a bad reason ErrInvalid.
func (s *Store) CancelByStaff(ctx context.Context, number int64, reason CancelReason, text, actor string) (o Order, err error) {
	defer wrap(&err, "CancelByStaff(%d, %q)", number, reason)
	text = strings.TrimSpace(text)
	if !reason.Valid() {
		return Order{}, invalid("reason", "%q is not a reason", reason)
	}
	if reason != ReasonOther {
		text = ""
	}
	if err := checkText("reason", text, MaxReasonText, reason == ReasonOther, false); err != nil {
		return Order{}, err
	}
	if err := checkText("actor", actor, maxActor, true, false); err != nil {
		return Order{}, err
	}
	note := string(reason)
	if text != "" {
		note += ": " + text
	}
	err = pg.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		cur, err := lockOrder(ctx, tx, number)
		if err != nil {
			return err
		}
		if err := s.transition(ctx, tx, &cur, change{
			to: Cancelled, actor: actor, ledger: "cancel", notice: NoticeStatus,
			note: note, reason: reason, reasonText: text,
		}); err != nil {
			return err
		}
		o, err = getOrder(ctx, tx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, cur.ID)
		return err
	})
	return o, err
}

// MarkReady records that a village's lines of an order are ready (all
// lines when villageID is 0, for the office). Marking lines ready again
// keeps the first time.
//
// A village preparing its lines accepts the order, so a placed order is
// confirmed then (event placed → confirmed by actor): every recorded event
// stays a legal step of placed → confirmed → ready, and a sale being
// prepared is no longer expired as unconfirmed. When every line is ready
// the order moves on to ready and allReady is true; the customer is told
// of confirmed only when the order does not become ready in the same call.
//
// An order without lines of the village is ErrNotFound (whatever its
// status, so a coordinator learns nothing of other villages' orders); an
// order that is not placed or confirmed is ErrBadTransition.
func (s *Store) MarkReady(ctx context.Context, number, villageID int64, actor string) (o Order, allReady bool, err error) {
	defer wrap(&err, "MarkReady(%d, %d)", number, villageID)
	if err := checkText("actor", actor, maxActor, true, false); err != nil {
		return Order{}, false, err
	}
	err = pg.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		cur, err := lockOrder(ctx, tx, number)
		if err != nil {
			return err
		}
		// mine: the village's lines; ready: lines ready once they are marked.
		var mine, ready, total int
		err = tx.QueryRowxContext(ctx, `
			SELECT count(*) FILTER (WHERE $2::bigint = 0 OR village_id = $2),
			       count(*) FILTER (WHERE ready_at IS NOT NULL OR $2::bigint = 0 OR village_id = $2),
			       count(*)
			  FROM order_lines
			 WHERE order_id = $1`, cur.ID, villageID).Scan(&mine, &ready, &total)
		if err != nil {
			return err
		}
		if mine == 0 {
			return ErrNotFound
		}
		if cur.Status != Placed && cur.Status != Confirmed {
			return errBadTransition(cur.Status, Ready)
		}
		allReady = ready == total
		if _, err := tx.ExecContext(ctx, `
			UPDATE order_lines SET ready_at = $3
			 WHERE order_id = $1 AND ($2::bigint = 0 OR village_id = $2) AND ready_at IS NULL`,
			cur.ID, villageID, s.Now()); err != nil {
			return err
		}
		if cur.Status == Placed {
			notice := NoticeStatus
			if allReady {
				notice = ""
			}
			if err := s.transition(ctx, tx, &cur, change{to: Confirmed, actor: actor, notice: notice}); err != nil {
				return err
			}
		}
		if allReady {
			if err := s.transition(ctx, tx, &cur, change{to: Ready, actor: actor, notice: NoticeStatus}); err != nil {
				return err
			}
		}
		o, err = getOrder(ctx, tx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, cur.ID)
		return err
	})
	return o, allReady, err
}

// change is one status change as transition carries it out.
type change struct {
	to    Status
	actor string
	// ledger is the stock ledger's reason when cancelling: "cancel" (the
	// default) or "expire".
	ledger string
	// notice is the kind that tells the customer (NoticeStatus,
	// NoticeExpired), or empty to tell nobody. The customer is never told
	// of what they did themselves.
	notice NotificationKind
	note   string // order_events.note
	// reason and reasonText are a cancellation's reason, told the
	// customer.
	reason     CancelReason
	reasonText string
}

// transition is the one place where an order's status changes after it is
// placed. o must be locked (lockOrder) in tx; it is updated in place. A
// cancellation also returns the units to stock and tells the readers of
// the order's new-order notice, as they are now (readersOf), that it is
// off, however it came.
func (s *Store) transition(ctx context.Context, tx *sqlx.Tx, o *Order, c change) error {
	if !CanTransition(o.Status, c.to) {
		return errBadTransition(o.Status, c.to)
	}
	now := s.Now()
	if c.to == Cancelled {
		if c.ledger == "" {
			c.ledger = "cancel"
		}
		if err := release(ctx, tx, o.ID, c.ledger, c.actor, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO outbox (chat_id, kind, payload, created_at)
			SELECT r.telegram_id, '`+string(NoticeCancelled)+`', `+orderNoticeSQL("$2", "r.village_id")+`, $3
			  FROM (`+readersOf("ARRAY(SELECT DISTINCT village_id FROM order_lines WHERE order_id = $1)", "$4::bigint")+`) r
			 ORDER BY r.village_id NULLS LAST, r.telegram_id`,
			o.ID, o.Number, now, actorTelegramID(c.actor)); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `
		WITH status AS (
		    UPDATE orders SET status = $2, updated_at = $5 WHERE id = $1
		)
		INSERT INTO order_events (order_id, from_status, to_status, actor, note, created_at)
		VALUES ($1, $3, $2, $4, $6, $5)`,
		o.ID, c.to, o.Status, c.actor, now, c.note); err != nil {
		return err
	}
	if c.notice != "" && c.actor != TelegramActor(o.CustomerID) {
		payload, err := encodeNotice(StatusNotice{Order: o.Number, Status: c.to, Reason: c.reason, ReasonText: c.reasonText})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO outbox (chat_id, kind, payload, created_at) VALUES ($1, $2, $3, $4)`,
			o.ChatID, c.notice, payload, now); err != nil {
			return err
		}
	}
	o.Status, o.UpdatedAt = c.to, now
	return nil
}

// actorTelegramID is the Telegram id of an actor "telegram:<id>", else 0.
func actorTelegramID(actor string) int64 {
	id, err := strconv.ParseInt(strings.TrimPrefix(actor, "telegram:"), 10, 64)
	if err != nil || !strings.HasPrefix(actor, "telegram:") {
		return 0
	}
	return id
}

// release returns the units of every line of an order to stock, in
// product id order like Place takes them, with a ledger row per line.
func release(ctx context.Context, tx *sqlx.Tx, orderID int64, reason, actor string, now time.Time) error {
	var lines []struct {
		ProductID int64 `db:"product_id"`
		Quantity  int   `db:"quantity"`
	}
	if err := tx.SelectContext(ctx, &lines, `
		SELECT product_id, quantity FROM order_lines WHERE order_id = $1 ORDER BY product_id`,
		orderID); err != nil {
		return err
	}
	for _, l := range lines {
		if _, err := tx.ExecContext(ctx, `
			WITH p AS (
			    UPDATE products SET stock = stock + $2::int, updated_at = now() WHERE id = $1
			)
			INSERT INTO stock_ledger (product_id, delta, reason, actor, order_id, created_at)
			VALUES ($1, $2::int, $3, $4, $5, $6)`,
			l.ProductID, l.Quantity, reason, actor, orderID, now); err != nil {
			return err
		}
	}
	return nil
}

// lockOrder reads an order without its lines and locks it until tx ends.
func lockOrder(ctx context.Context, tx *sqlx.Tx, number int64) (Order, error) {
	var o Order
	err := tx.GetContext(ctx, &o, `SELECT `+orderColumns+` FROM orders WHERE number = $1 FOR UPDATE`, number)
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, ErrNotFound
	}
	return o, err
}

func errBadTransition(from, to Status) error {
	return &transitionError{from: from, to: to}
}

// transitionError says which move was refused; it is ErrBadTransition.
type transitionError struct{ from, to Status }

func (e *transitionError) Error() string {
	return "status change not allowed: " + string(e.from) + " → " + string(e.to)
}

func (e *transitionError) Unwrap() error { return ErrBadTransition }
