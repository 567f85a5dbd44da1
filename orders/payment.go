package orders

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"villagebot/catalog"
	"villagebot/internal/pg"
)

// Errors of payment, checked with errors.Is. A gift order has no payment
// at all: asking to pay or refund one is ErrNoPayment.
var (
	ErrNoPayment   = errors.New("gift orders have no payment")
	ErrAlreadyPaid = errors.New("order already paid")
	ErrNotPaid     = errors.New("order not paid")
)

// PaymentState is whether a sale order is paid.
type PaymentState string

// The payment states of a sale order (SPEC §12). A gift order's is empty.
const (
	Unpaid   PaymentState = "unpaid"
	Paid     PaymentState = "paid"
	Refunded PaymentState = "refunded"
)

// Method is how an order was paid.
type Method string

// The ways of paying. Telegram is recorded by Telegram Payments only.
const (
	Cash     Method = "cash"
	WeChat   Method = "wechat"
	Alipay   Method = "alipay"
	Card     Method = "card"
	Bank     Method = "bank"
	Telegram Method = "telegram"
)

// Methods lists every method, those staff record first.
var Methods = []Method{Cash, WeChat, Alipay, Card, Bank, Telegram}

// StaffMethods are the methods staff may record by hand: every one but
// Telegram, which only a payment Telegram reports makes.
var StaffMethods = Methods[:len(Methods)-1]

// Valid reports whether m is one of Methods.
func (m Method) Valid() bool {
	for _, v := range Methods {
		if m == v {
			return true
		}
	}
	return false
}

// Payment is the payment of a sale order: its state and, once paid, how
// much, how, when and recorded by whom. A refunded order keeps what its
// payment was; the refund itself is a payment event.
type Payment struct {
	State  PaymentState   `db:"payment"`        // empty for a gift
	Method Method         `db:"payment_method"` // empty while unpaid
	Amount *catalog.Money `db:"paid_fen"`       // nil while unpaid
	At     *time.Time     `db:"paid_at"`
	By     string         `db:"paid_by"` // the actor who recorded it
}

// PaymentRequest records that a sale order was paid.
type PaymentRequest struct {
	Number int64
	Method Method
	// Amount is what was paid; 0 means the order's total.
	Amount catalog.Money
	Actor  string
	Note   string
}

// RecordPayment marks a sale order paid on behalf of staff, with an event
// saying from what, how, how much, who and when. A gift is ErrNoPayment,
// a paid order ErrAlreadyPaid, a cancelled one ErrBadTransition (a
// cancelled order takes no money); Telegram is not a method staff record
// (ErrInvalid).
func (s *Store) RecordPayment(ctx context.Context, req PaymentRequest) (o Order, err error) {
	defer wrap(&err, "RecordPayment(%d, %q)", req.Number, req.Method)
	if !req.Method.Valid() || req.Method == Telegram {
		return Order{}, invalid("method", "%q is not one of cash, wechat, alipay, card, bank", req.Method)
	}
	if req.Amount < 0 || req.Amount > maxPayment {
		return Order{}, invalid("amount", "must be more than 0 and at most %s", maxPayment)
	}
	if err := checkText("actor", req.Actor, maxActor, true, false); err != nil {
		return Order{}, err
	}
	if err := checkText("note", req.Note, maxNotes, false, false); err != nil {
		return Order{}, err
	}
	err = pg.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		cur, err := lockOrder(ctx, tx, req.Number)
		if err != nil {
			return err
		}
		amount := req.Amount
		if amount == 0 {
			amount = cur.Total
		}
		if err := s.pay(ctx, tx, &cur, payment{method: req.Method, amount: amount, actor: req.Actor, note: req.Note}); err != nil {
			return err
		}
		o, err = getOrder(ctx, tx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, cur.ID)
		return err
	})
	return o, err
}

// maxPayment bounds an amount recorded by hand: ten times the highest
// price, so that a slip of a few zeros is refused.
const maxPayment = 10 * catalog.MaxPrice

// payment is one payment as pay records it.
type payment struct {
	method           Method
	amount           catalog.Money
	currency         string
	actor            string
	note             string
	telegramCharge   string // empty for payments staff record
	providerCharge   string
	allowCancelled   bool // Telegram took the money: record it whatever the order's status
	allowAlreadyPaid bool
}

// pay is the one place where an order becomes paid. o must be locked
// (lockOrder) in tx; it is updated in place.
func (s *Store) pay(ctx context.Context, tx *sqlx.Tx, o *Order, p payment) error {
	if o.Kind != Sale {
		return ErrNoPayment
	}
	if o.Status == Cancelled && !p.allowCancelled {
		return errBadTransition(o.Status, o.Status)
	}
	if o.Payment.State == Paid && !p.allowAlreadyPaid {
		return ErrAlreadyPaid
	}
	if p.amount <= 0 {
		return invalid("amount", "must be more than 0")
	}
	if p.currency == "" {
		p.currency = "CNY"
	}
	now := s.Now()
	var charge any // NULL unless Telegram's
	if p.telegramCharge != "" {
		charge = p.telegramCharge
	}
	from := o.Payment.State
	if from != Paid {
		if _, err := tx.ExecContext(ctx, `
			UPDATE orders
			   SET payment = 'paid', payment_method = $2, paid_fen = $3, paid_at = $4, paid_by = $5, updated_at = $4
			 WHERE id = $1`, o.ID, p.method, p.amount, now, p.actor); err != nil {
			return err
		}
		amount := p.amount
		o.Payment = Payment{State: Paid, Method: p.method, Amount: &amount, At: &now, By: p.actor}
		o.UpdatedAt = now
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO payment_events (order_id, from_state, to_state, method, amount_fen, currency,
		                            actor, note, telegram_charge_id, provider_charge_id, created_at)
		VALUES ($1, $2, 'paid', $3, $4, $5, $6, $7, $8, $9, $10)`,
		o.ID, from, p.method, p.amount, p.currency, p.actor, p.note, charge, p.providerCharge, now)
	return err
}

// Refund marks a paid order refunded, with an event. Only a cancelled
// order is refunded (CancelRefund cancels and refunds in one step); an
// order that is not paid is ErrNotPaid, a gift ErrNoPayment.
func (s *Store) Refund(ctx context.Context, number int64, actor, note string) (o Order, err error) {
	defer wrap(&err, "Refund(%d)", number)
	if err := checkText("actor", actor, maxActor, true, false); err != nil {
		return Order{}, err
	}
	err = pg.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		cur, err := lockOrder(ctx, tx, number)
		if err != nil {
			return err
		}
		if cur.Status != Cancelled {
			return errBadTransition(cur.Status, Cancelled)
		}
		if err := s.refund(ctx, tx, &cur, actor, note); err != nil {
			return err
		}
		o, err = getOrder(ctx, tx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, cur.ID)
		return err
	})
	return o, err
}

// CancelRefund cancels a paid order and marks its payment refunded in one
// transaction: the stock goes back, the customer is told (as by
// SetStatus), and both changes are recorded with who and when. An order
// that is not paid is ErrNotPaid — cancel it with SetStatus — and one that
// cannot be cancelled ErrBadTransition.
func (s *Store) CancelRefund(ctx context.Context, number int64, actor, note string) (o Order, err error) {
	defer wrap(&err, "CancelRefund(%d)", number)
	if err := checkText("actor", actor, maxActor, true, false); err != nil {
		return Order{}, err
	}
	if err := checkText("note", note, maxNotes, false, false); err != nil {
		return Order{}, err
	}
	err = pg.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		cur, err := lockOrder(ctx, tx, number)
		if err != nil {
			return err
		}
		if cur.Kind != Sale {
			return ErrNoPayment
		}
		if cur.Payment.State != Paid {
			return ErrNotPaid
		}
		if err := s.transition(ctx, tx, &cur, change{to: Cancelled, actor: actor, notice: "status", note: note}); err != nil {
			return err
		}
		if err := s.refund(ctx, tx, &cur, actor, note); err != nil {
			return err
		}
		o, err = getOrder(ctx, tx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, cur.ID)
		return err
	})
	return o, err
}

// refund marks a locked, paid order refunded.
func (s *Store) refund(ctx context.Context, tx *sqlx.Tx, o *Order, actor, note string) error {
	switch {
	case o.Kind != Sale:
		return ErrNoPayment
	case o.Payment.State != Paid:
		return ErrNotPaid
	}
	now := s.Now()
	if _, err := tx.ExecContext(ctx, `
		WITH o AS (
		    UPDATE orders SET payment = 'refunded', updated_at = $2 WHERE id = $1
		)
		INSERT INTO payment_events (order_id, from_state, to_state, method, amount_fen, actor, note, created_at)
		VALUES ($1, 'paid', 'refunded', $3, $4, $5, $6, $2)`,
		o.ID, now, o.Payment.Method, *o.Payment.Amount, actor, note); err != nil {
		return err
	}
	o.Payment.State, o.UpdatedAt = Refunded, now
	return nil
}

// InvoicePayload is what an invoice for an order carries, so that the
// pre-checkout and the payment name their order: "order:<number>".
func InvoicePayload(number int64) string { return "order:" + strconv.FormatInt(number, 10) }

// ParseInvoicePayload reads the order number of an invoice payload.
func ParseInvoicePayload(s string) (int64, error) {
	t, ok := strings.CutPrefix(s, "order:")
	if !ok {
		return 0, invalid("payload", "%q is not an order's invoice", s)
	}
	return ParseRef(t)
}

// Invoice is what a customer is about to pay for an order through
// Telegram.
type Invoice struct {
	Number     int64
	CustomerID int64         // who pays
	Amount     catalog.Money // in fen
}

// InvoiceError says why an invoice may not be paid now. It is
// ErrNotFound for an order that is not the customer's sale,
// ErrBadTransition when the order is no longer open, ErrAlreadyPaid when
// it is paid or refunded, ErrInvalid for an amount that does not match.
type InvoiceError struct {
	Reason string // "closed", "paid", "amount", "not_found"
	err    error
}

func (e *InvoiceError) Error() string { return "invoice refused: " + e.Reason }

// Unwrap gives the sentinel error of the reason.
func (e *InvoiceError) Unwrap() error { return e.err }

// CheckInvoice reports whether an invoice may be paid now (Telegram's
// pre-checkout): the order exists and is the customer's, is a sale, still
// open and unpaid, and the amount matches its total. Anything
// else is an *InvoiceError with the reason.
func (s *Store) CheckInvoice(ctx context.Context, inv Invoice) (o Order, err error) {
	defer wrap(&err, "CheckInvoice(%d)", inv.Number)
	o, err = getOrder(ctx, s.prep, `SELECT `+orderColumns+` FROM orders WHERE number = $1`, inv.Number)
	switch {
	case errors.Is(err, ErrNotFound) || err == nil && (o.CustomerID != inv.CustomerID || o.Kind != Sale):
		return Order{}, &InvoiceError{Reason: "not_found", err: ErrNotFound}
	case err != nil:
		return Order{}, err
	case !o.Status.Open():
		return o, &InvoiceError{Reason: "closed", err: ErrBadTransition}
	case o.Payment.State != Unpaid:
		return o, &InvoiceError{Reason: "paid", err: ErrAlreadyPaid}
	case inv.Amount != o.Total:
		return o, &InvoiceError{Reason: "amount", err: ErrInvalid}
	}
	return o, nil
}

// TelegramPayment is a successful payment Telegram reported.
type TelegramPayment struct {
	Payload          string // the invoice's payload, see InvoicePayload
	CustomerID       int64  // who paid
	Currency         string
	Amount           catalog.Money
	ChargeID         string // telegram_payment_charge_id
	ProviderChargeID string
}

// RecordTelegramPayment records a payment Telegram made, exactly once per
// charge id however often it is reported: recorded is false when this
// charge was recorded before, and the order is returned as it is.
//
// Telegram has taken the money by the time it reports it, so the payment
// is recorded whatever became of the order meanwhile: a cancelled order
// is marked paid (for the office to refund), and an order paid already by
// other means keeps its first payment and gets an event for the second
// (second is true then). An amount that differs from the total is
// recorded as paid.
func (s *Store) RecordTelegramPayment(ctx context.Context, p TelegramPayment) (o Order, recorded, second bool, err error) {
	defer wrap(&err, "RecordTelegramPayment(%q)", p.ChargeID)
	number, err := ParseInvoicePayload(p.Payload)
	if err != nil {
		return Order{}, false, false, err
	}
	if err := checkText("charge_id", p.ChargeID, 255, true, false); err != nil {
		return Order{}, false, false, err
	}
	if err := checkText("provider_charge_id", p.ProviderChargeID, 255, false, false); err != nil {
		return Order{}, false, false, err
	}
	if len(p.Currency) != 3 {
		return Order{}, false, false, invalid("currency", "%q is not a currency code", p.Currency)
	}
	if p.Amount <= 0 {
		return Order{}, false, false, invalid("amount", "must be more than 0")
	}
	err = pg.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		cur, err := lockOrder(ctx, tx, number)
		if err != nil {
			return err
		}
		// Under the order's lock, so that two deliveries of one charge
		// cannot both find it missing.
		var seen bool
		if err := tx.GetContext(ctx, &seen, `
			SELECT EXISTS (SELECT 1 FROM payment_events WHERE telegram_charge_id = $1)`, p.ChargeID); err != nil {
			return err
		}
		if !seen {
			second = cur.Payment.State == Paid
			note := ""
			switch {
			case second:
				note = "paid again through Telegram: refund due"
			case cur.Status == Cancelled:
				note = "paid after cancellation: refund due"
			}
			if err := s.pay(ctx, tx, &cur, payment{
				method: Telegram, amount: p.Amount, currency: strings.ToUpper(p.Currency),
				actor: TelegramActor(p.CustomerID), note: note,
				telegramCharge: p.ChargeID, providerCharge: p.ProviderChargeID,
				allowCancelled: true, allowAlreadyPaid: true,
			}); err != nil {
				return err
			}
			if err := s.notifyPaid(ctx, tx, cur, p.Amount, note != ""); err != nil {
				return err
			}
			recorded = true
		}
		o, err = getOrder(ctx, tx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, cur.ID)
		return err
	})
	if err != nil {
		return Order{}, false, false, err
	}
	return o, recorded, second, nil
}

// notifyPaid tells the readers of o's notices, as they are now
// (readersOf), that Telegram took amount for it, and whether that is due
// back.
func (s *Store) notifyPaid(ctx context.Context, tx *sqlx.Tx, o Order, amount catalog.Money, refund bool) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO outbox (chat_id, kind, payload, created_at)
		SELECT r.telegram_id, '`+string(NoticePaid)+`', `+paidNoticeSQL("$2", "r.village_id", "$3", "$4::boolean")+`, $5
		  FROM (`+readersOf("ARRAY(SELECT DISTINCT village_id FROM order_lines WHERE order_id = $1)", "0")+`) r
		 ORDER BY r.village_id NULLS LAST, r.telegram_id`,
		o.ID, o.Number, amount, refund, s.Now())
	return err
}

// PaymentEvent is one change of an order's payment.
type PaymentEvent struct {
	ID               int64         `db:"id"`
	From             PaymentState  `db:"from_state"`
	To               PaymentState  `db:"to_state"`
	Method           Method        `db:"method"`
	Amount           catalog.Money `db:"amount_fen"`
	Currency         string        `db:"currency"`
	Actor            string        `db:"actor"`
	Note             string        `db:"note"`
	TelegramChargeID *string       `db:"telegram_charge_id"`
	CreatedAt        time.Time     `db:"created_at"`
}

// PaymentEvents returns the payment history of an order, oldest first.
func (s *Store) PaymentEvents(ctx context.Context, number int64) (es []PaymentEvent, err error) {
	defer wrap(&err, "PaymentEvents(%d)", number)
	err = sqlx.SelectContext(ctx, s.db, &es, `
		SELECT e.id, e.from_state, e.to_state, e.method, e.amount_fen, e.currency, e.actor, e.note,
		       e.telegram_charge_id, e.created_at
		  FROM payment_events e
		  JOIN orders o ON o.id = e.order_id
		 WHERE o.number = $1
		 ORDER BY e.id`, number)
	return es, err
}

// PaymentStats counts the sale orders of a range of days (not cancelled
// ones, unless refunded) by payment state, with their value.
type PaymentStats struct {
	PaidOrders     int           `db:"paid_orders"`
	PaidValue      catalog.Money `db:"paid_value"` // what was paid
	UnpaidOrders   int           `db:"unpaid_orders"`
	UnpaidValue    catalog.Money `db:"unpaid_value"` // the orders' totals
	RefundedOrders int           `db:"refunded_orders"`
	RefundedValue  catalog.Money `db:"refunded_value"`
}

// PaymentStats reports how many sale orders created in a range of days
// (as Stats counts them) are paid, unpaid and refunded. Cancelled orders
// that were never paid are left out: nobody owes anything for them.
func (s *Store) PaymentStats(ctx context.Context, from, to *time.Time, loc *time.Location) (st PaymentStats, err error) {
	defer wrap(&err, "PaymentStats(%s)", rangeText(from, to))
	r := dayRange(from, to, loc)
	err = sqlx.GetContext(ctx, s.db, &st, `
		SELECT count(*) FILTER (WHERE payment = 'paid') AS paid_orders,
		       COALESCE(sum(paid_fen) FILTER (WHERE payment = 'paid'), 0)::bigint AS paid_value,
		       count(*) FILTER (WHERE payment = 'unpaid') AS unpaid_orders,
		       COALESCE(sum(total_fen) FILTER (WHERE payment = 'unpaid'), 0)::bigint AS unpaid_value,
		       count(*) FILTER (WHERE payment = 'refunded') AS refunded_orders,
		       COALESCE(sum(paid_fen) FILTER (WHERE payment = 'refunded'), 0)::bigint AS refunded_value
		  FROM orders
		 WHERE kind = 'sale'
		   AND (status <> 'cancelled' OR payment <> 'unpaid')
		   AND ($1::timestamptz IS NULL OR created_at >= $1)
		   AND ($2::timestamptz IS NULL OR created_at < $2)`, r.from, r.to)
	return st, err
}

// AmountError says what is wrong with an amount someone typed. It is
// ErrInvalid. Problem is one of the Amount… constants, for a reader to put
// into words of their own language.
type AmountError struct {
	Input   string
	Problem string
}

// The problems ParseAmount finds.
const (
	AmountEmpty      = "empty"      // no figure in it
	AmountNegative   = "negative"   // below zero
	AmountZero       = "zero"       // nothing to pay
	AmountDecimals   = "decimals"   // more than two decimals
	AmountSeparators = "separators" // thousands separators out of place
	AmountFormat     = "format"     // not a figure at all
	AmountTooLarge   = "too_large"  // over the most an order is paid
)

var amountReasons = map[string]string{
	AmountEmpty:      "has no figure in it",
	AmountNegative:   "is negative",
	AmountZero:       "is zero",
	AmountDecimals:   "has more than two decimals (fen are the smallest unit)",
	AmountSeparators: "has its thousands separators in the wrong places (write 1,280.00 or 1280)",
	AmountFormat:     "is not an amount in yuan like 158, 158.50 or 1,280.00",
	AmountTooLarge:   "is more than ¥" + maxPayment.String(),
}

func (e *AmountError) Error() string {
	return fmt.Sprintf("invalid amount: %q %s", e.Input, amountReasons[e.Problem])
}

// Unwrap makes an AmountError match ErrInvalid.
func (e *AmountError) Unwrap() error { return ErrInvalid }

// ParseAmount reads an amount of money as people type it: "158", "158.5",
// "1,280.00", "158元", "¥158", "￥158", "RMB 158", "CNY158", in full-width
// digits too ("１５８元"). What it refuses is an *AmountError saying why.
func ParseAmount(s string) (catalog.Money, error) {
	bad := func(problem string) (catalog.Money, error) {
		return 0, &AmountError{Input: s, Problem: problem}
	}
	t := strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '．' || r == '。':
			return '.'
		case r == '，':
			return ','
		case r == '\u3000' || r == '\u00a0':
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	t = strings.TrimSpace(t)
	for _, affix := range []string{"¥", "￥", "RMB", "rmb", "CNY", "cny"} {
		t = strings.TrimSpace(strings.TrimPrefix(t, affix))
	}
	for _, affix := range []string{"元", "块", "yuan", "RMB", "rmb", "CNY", "cny"} {
		t = strings.TrimSpace(strings.TrimSuffix(t, affix))
	}
	switch {
	case t == "":
		return bad(AmountEmpty)
	case strings.HasPrefix(t, "-"):
		return bad(AmountNegative)
	}
	if strings.Contains(t, ",") {
		whole, frac, hasDot := strings.Cut(t, ".")
		groups := strings.Split(whole, ",")
		for i, g := range groups {
			if i == 0 && (len(g) < 1 || len(g) > 3) || i > 0 && len(g) != 3 {
				return bad(AmountSeparators)
			}
		}
		t = strings.Join(groups, "")
		if hasDot {
			t += "." + frac
		}
	}
	whole, frac, hasDot := strings.Cut(t, ".")
	switch {
	case hasDot && len(frac) > 2 && digitsOnly(frac) && digitsOnly(whole):
		return bad(AmountDecimals)
	case !digitsOnly(whole) || hasDot && !digitsOnly(frac):
		return bad(AmountFormat)
	}
	m, err := catalog.ParseYuan(t)
	switch {
	case err != nil && len(whole) > 12:
		return bad(AmountTooLarge)
	case err != nil:
		return bad(AmountFormat)
	case m == 0:
		return bad(AmountZero)
	case m > maxPayment:
		return bad(AmountTooLarge)
	}
	return m, nil
}

func digitsOnly(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
