// Package orders turns carts into orders. It checks a checkout, reserves
// stock for every line in one transaction (all lines or none), moves orders
// through their statuses, expires sales nobody confirmed, and queues the
// notifications those changes cause in an outbox written in the same
// transaction as the change. It knows nothing of Telegram.
package orders

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"villagebot/catalog"
)

// Errors of the orders package, checked with errors.Is.
var (
	ErrNotFound      = errors.New("not found")
	ErrOutOfStock    = errors.New("out of stock")
	ErrBadTransition = errors.New("status change not allowed")
	ErrForbidden     = errors.New("forbidden")
	ErrInvalid       = errors.New("invalid order")
	ErrEmpty         = errors.New("order has no lines")
	// ErrChanged refuses an order whose products changed since the
	// customer saw its summary: see ChangedError.
	ErrChanged = errors.New("changed since the summary")
	// ErrOfficeOnly refuses a customer-style cancel of a gift order:
	// gift orders are cancelled by office staff only (SetStatus, with the
	// role checked by the caller at the press). It is also ErrForbidden.
	ErrOfficeOnly = fmt.Errorf("%w: a gift order is cancelled by office staff only", ErrForbidden)
)

// InvalidError names the field of a request that is wrong and why. It is
// ErrInvalid.
type InvalidError struct {
	Field  string // e.g. "contact", "lines[2].quantity"
	Reason string
}

func (e *InvalidError) Error() string { return "invalid " + e.Field + ": " + e.Reason }

// Unwrap makes an InvalidError match ErrInvalid.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Shortage is one line of an order that could not be reserved.
type Shortage struct {
	ProductID int64
	SKU       string        // empty when the product does not exist
	Name      catalog.Texts // empty when the product does not exist
	Wanted    int
	Left      int // units left to sell now; 0 when Unavailable
	// Unavailable is set when the product cannot be ordered at all: it is
	// hidden, does not exist, or is not gift-eligible for a gift order.
	Unavailable bool
}

// ShortError lists every line of an order that could not be reserved. It
// is ErrOutOfStock. Nothing was reserved.
type ShortError struct {
	Lines []Shortage
}

func (e *ShortError) Error() string {
	var b strings.Builder
	b.WriteString("out of stock:")
	for i, s := range e.Lines {
		if i > 0 {
			b.WriteByte(',')
		}
		name := s.SKU
		if name == "" {
			name = "product " + strconv.FormatInt(s.ProductID, 10)
		}
		if s.Unavailable {
			fmt.Fprintf(&b, " %s (unavailable)", name)
		} else {
			fmt.Fprintf(&b, " %s (wanted %d, %d left)", name, s.Wanted, s.Left)
		}
	}
	return b.String()
}

// Unwrap makes a ShortError match ErrOutOfStock.
func (e *ShortError) Unwrap() error { return ErrOutOfStock }

// Change is a line of an order whose product is not what the customer
// saw on the summary they confirmed.
type Change struct {
	ProductID int64
	SKU       string        // empty when the product does not exist
	Name      catalog.Texts // empty when the product does not exist
	Seen      catalog.Money // the unit price on the summary
	Price     catalog.Money // the unit price now
	// Hidden is set when the product cannot be ordered any more: it is
	// hidden, gone, or, for a gift order, no longer gift-eligible.
	Hidden bool
}

// ChangedError lists every line of an order whose price or visibility
// changed since the summary (LineRequest.Seen). It is ErrChanged. Nothing
// was reserved and no order number was used.
type ChangedError struct {
	Lines []Change
}

func (e *ChangedError) Error() string {
	var b strings.Builder
	b.WriteString("changed since the summary:")
	for i, c := range e.Lines {
		if i > 0 {
			b.WriteByte(',')
		}
		name := c.SKU
		if name == "" {
			name = "product " + strconv.FormatInt(c.ProductID, 10)
		}
		if c.Hidden {
			fmt.Fprintf(&b, " %s (no longer available)", name)
		} else {
			fmt.Fprintf(&b, " %s (price %s, was %s)", name, c.Price, c.Seen)
		}
	}
	return b.String()
}

// Unwrap makes a ChangedError match ErrChanged.
func (e *ChangedError) Unwrap() error { return ErrChanged }

// Kind tells a sale from a gift.
type Kind string

// The kinds of order.
const (
	Sale Kind = "sale"
	Gift Kind = "gift"
)

// Valid reports whether k is Sale or Gift.
func (k Kind) Valid() bool { return k == Sale || k == Gift }

// Status is where an order is in its life.
type Status string

// The statuses of an order. The order moves placed → confirmed → ready →
// delivered, and may be cancelled at any step before delivered.
const (
	Placed    Status = "placed"
	Confirmed Status = "confirmed"
	Ready     Status = "ready"
	Delivered Status = "delivered"
	Cancelled Status = "cancelled"
)

// Statuses lists every status in the order an order goes through them.
var Statuses = []Status{Placed, Confirmed, Ready, Delivered, Cancelled}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Open reports whether an order in status s still holds stock and awaits
// fulfilment: placed, confirmed or ready.
func (s Status) Open() bool { return s == Placed || s == Confirmed || s == Ready }

// CanTransition reports whether an order may move from one status to
// another (SPEC §5): one step forward along placed → confirmed → ready →
// delivered, or to cancelled from any open status. Staying put is not a
// transition.
func CanTransition(from, to Status) bool {
	switch to {
	case Confirmed:
		return from == Placed
	case Ready:
		return from == Confirmed
	case Delivered:
		return from == Ready
	case Cancelled:
		return from.Open()
	}
	return false
}

// Delivery is how an order reaches its customer.
type Delivery string

// The ways of delivery.
const (
	Pickup   Delivery = "pickup"   // at the event booth
	Hotel    Delivery = "hotel"    // to the guest's hotel
	Shipping Delivery = "shipping" // to a postal address
)

// Valid reports whether d is Pickup, Hotel or Shipping.
func (d Delivery) Valid() bool { return d == Pickup || d == Hotel || d == Shipping }

// NeedsAddress reports whether d needs a hotel or an address.
func (d Delivery) NeedsAddress() bool { return d == Hotel || d == Shipping }

// Customer is the Telegram user who places an order: the visitor of a sale,
// or the office member who places a gift.
type Customer struct {
	TelegramID int64  `db:"telegram_id"`
	ChatID     int64  `db:"chat_id"`
	Username   string `db:"username"`
	FirstName  string `db:"first_name"`
	Language   string `db:"language"`
}

// Order is a placed order with its lines.
type Order struct {
	ID         int64         `db:"id"`
	Number     int64         `db:"number"` // shown as #<number>, see Ref
	Kind       Kind          `db:"kind"`
	Status     Status        `db:"status"`
	CustomerID int64         `db:"customer_id"`
	ChatID     int64         `db:"chat_id"` // where the customer is told about the order
	Language   string        `db:"language"`
	Contact    string        `db:"contact"` // the name typed at checkout
	Phone      string        `db:"phone"`
	Delivery   Delivery      `db:"delivery"`
	Address    string        `db:"address"` // hotel or postal address
	Occasion   string        `db:"occasion"`
	Recipient  string        `db:"recipient"`
	Country    string        `db:"country"`
	NeededBy   *time.Time    `db:"needed_by"` // a calendar date: only Year, Month and Day count
	Notes      string        `db:"notes"`
	Total      catalog.Money `db:"total_fen"`
	CreatedAt  time.Time     `db:"created_at"`
	UpdatedAt  time.Time     `db:"updated_at"`
	Lines      []Line        `db:"-"`
	Payment                  // of a sale; empty for a gift (see payment.go)
}

// Ref is the order's number as people see it, e.g. "#1042".
func (o Order) Ref() string { return "#" + strconv.FormatInt(o.Number, 10) }

// Units is the number of units over all lines.
func (o Order) Units() int {
	n := 0
	for _, l := range o.Lines {
		n += l.Quantity
	}
	return n
}

// Line is one product of an order. SKU, names, unit and price are
// snapshots taken when the order was placed.
type Line struct {
	ID          int64         `db:"id"`
	OrderID     int64         `db:"order_id"`
	ProductID   int64         `db:"product_id"`
	VillageID   int64         `db:"village_id"`
	VillageCode string        `db:"village_code"` // joined from villages
	SKU         string        `db:"sku"`
	Name        catalog.Texts `db:"product_names"`
	Unit        catalog.Texts `db:"units"`
	UnitPrice   catalog.Money `db:"unit_price_fen"`
	Quantity    int           `db:"quantity"`
	ReadyAt     *time.Time    `db:"ready_at"` // when the village marked it ready
}

// LineTotal is the unit price times the quantity.
func (l Line) LineTotal() catalog.Money { return l.UnitPrice * catalog.Money(l.Quantity) }

// ParseRef reads an order number written as "#1042" or "1042", with
// surrounding spaces allowed. Anything else — signs, inner spaces, other
// digits than ASCII, zero, numbers that do not fit — is ErrInvalid.
func ParseRef(s string) (int64, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(t, "#")
	if t == "" || len(t) > 19 {
		return 0, invalid("order", "%q is not an order number like #1042", s)
	}
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return 0, invalid("order", "%q is not an order number like #1042", s)
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, invalid("order", "%q is not an order number like #1042", s)
	}
	return n, nil
}

// TelegramActor is how a Telegram user is recorded as the actor of a
// change: "telegram:<id>".
func TelegramActor(telegramID int64) string {
	return "telegram:" + strconv.FormatInt(telegramID, 10)
}

// wrap prefixes a non-nil error with the operation that failed, keeping it
// matchable with errors.Is and errors.As.
func wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("orders.%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}
