// Package orders turns carts into orders. It checks a checkout, reserves
// stock for every line in one transaction (all lines or none), moves orders
// through their statuses, expires sales nobody confirmed, and queues the
// notifications those changes cause in an outbox written in the same
// transaction as the change. It knows nothing of Telegram.
package orders

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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

// Limits of a checkout.
const (
	MaxLines    = 50  // distinct products in one order
	MaxQuantity = 999 // units of one product in one order
	MaxToken    = 64  // characters of a checkout token

	maxContact   = 100
	maxPhone     = 32
	maxAddress   = 300
	maxOccasion  = 200
	maxRecipient = 200
	maxCountry   = 100
	maxNotes     = 1000
	maxUsername  = 64
	maxFirstName = 256
	maxLanguage  = 16
	maxActor     = 100
)

// LineRequest asks for Quantity units of a product.
type LineRequest struct {
	ProductID int64
	Quantity  int
}

// PlaceRequest is a checkout: who orders what, and how it reaches them.
type PlaceRequest struct {
	// Token identifies the checkout: placing the same token again returns
	// the first order instead of making a second one.
	Token     string
	Kind      Kind
	Customer  Customer
	Contact   string // required for a sale
	Phone     string // required for a sale; none for a gift
	Delivery  Delivery
	Address   string // required when Delivery is Hotel or Shipping
	Occasion  string // required for a gift
	Recipient string // required for a gift
	Country   string
	NeededBy  *time.Time // gifts only; a calendar date
	Notes     string
	Lines     []LineRequest
	// Actor is recorded in the ledger and the order's events; empty means
	// the customer, TelegramActor(Customer.TelegramID).
	Actor string
}

// Validate reports the first thing wrong with the request as an
// *InvalidError (ErrInvalid), or ErrEmpty when it has no lines.
func (r PlaceRequest) Validate() error {
	_, err := r.normalize()
	return err
}

// normalize checks the request and returns it with its texts trimmed, its
// lines merged per product and sorted by product id, and its defaults
// filled in.
func (r PlaceRequest) normalize() (PlaceRequest, error) {
	r.Token = strings.TrimSpace(r.Token)
	if err := checkText("token", r.Token, MaxToken, true, false); err != nil {
		return r, err
	}
	if !r.Kind.Valid() {
		return r, invalid("kind", "%q is neither sale nor gift", r.Kind)
	}
	if err := r.normalizeCustomer(); err != nil {
		return r, err
	}

	for _, f := range []struct {
		name      string
		s         *string
		max       int
		multiline bool
	}{
		{"contact", &r.Contact, maxContact, false},
		{"phone", &r.Phone, maxPhone, false},
		{"address", &r.Address, maxAddress, true},
		{"occasion", &r.Occasion, maxOccasion, false},
		{"recipient", &r.Recipient, maxRecipient, false},
		{"country", &r.Country, maxCountry, false},
		{"notes", &r.Notes, maxNotes, true},
		{"actor", &r.Actor, maxActor, false},
	} {
		*f.s = strings.TrimSpace(*f.s)
		if err := checkText(f.name, *f.s, f.max, false, f.multiline); err != nil {
			return r, err
		}
	}
	if r.Actor == "" {
		r.Actor = TelegramActor(r.Customer.TelegramID)
	}

	switch r.Kind {
	case Sale:
		if r.Contact == "" {
			return r, invalid("contact", "required")
		}
		if r.Phone == "" {
			return r, invalid("phone", "required")
		}
		if !r.Delivery.Valid() {
			return r, invalid("delivery", "%q is not pickup, hotel or shipping", r.Delivery)
		}
		for _, f := range []struct{ name, s string }{
			{"occasion", r.Occasion}, {"recipient", r.Recipient}, {"country", r.Country},
		} {
			if f.s != "" {
				return r, invalid(f.name, "only for gift orders")
			}
		}
		if r.NeededBy != nil {
			return r, invalid("needed_by", "only for gift orders")
		}
	case Gift:
		if r.Occasion == "" {
			return r, invalid("occasion", "required")
		}
		if r.Recipient == "" {
			return r, invalid("recipient", "required")
		}
		if r.Phone != "" {
			return r, invalid("phone", "gift orders carry no customer phone")
		}
		if r.Delivery != "" && !r.Delivery.Valid() {
			return r, invalid("delivery", "%q is not pickup, hotel or shipping", r.Delivery)
		}
	}
	if r.Phone != "" {
		if err := checkPhone(r.Phone); err != nil {
			return r, err
		}
	}
	if r.Delivery.NeedsAddress() && r.Address == "" {
		return r, invalid("address", "required for %s delivery", r.Delivery)
	}

	lines, err := mergeLines(r.Lines)
	if err != nil {
		return r, err
	}
	r.Lines = lines
	return r, nil
}

func (r *PlaceRequest) normalizeCustomer() error {
	c := &r.Customer
	if c.TelegramID <= 0 {
		return invalid("customer.telegram_id", "must be a Telegram user id")
	}
	if c.ChatID == 0 {
		return invalid("customer.chat_id", "required")
	}
	c.Username = strings.TrimSpace(c.Username)
	c.FirstName = strings.TrimSpace(c.FirstName)
	c.Language = strings.TrimSpace(c.Language)
	if err := checkText("customer.username", c.Username, maxUsername, false, false); err != nil {
		return err
	}
	if err := checkText("customer.first_name", c.FirstName, maxFirstName, false, false); err != nil {
		return err
	}
	if c.Language == "" {
		c.Language = "en"
	}
	if len(c.Language) > maxLanguage || strings.IndexFunc(c.Language, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_')
	}) >= 0 {
		return invalid("customer.language", "%q is not a language code", c.Language)
	}
	return nil
}

// mergeLines checks each line, adds up lines of the same product and sorts
// them by product id, the order in which stock is locked.
func mergeLines(in []LineRequest) ([]LineRequest, error) {
	if len(in) == 0 {
		return nil, ErrEmpty
	}
	qty := make(map[int64]int, len(in))
	for i, l := range in {
		if l.ProductID <= 0 {
			return nil, invalid(fmt.Sprintf("lines[%d].product_id", i), "must be positive")
		}
		if l.Quantity < 1 || l.Quantity > MaxQuantity {
			return nil, invalid(fmt.Sprintf("lines[%d].quantity", i), "must be 1 to %d", MaxQuantity)
		}
		qty[l.ProductID] += l.Quantity
	}
	if len(qty) > MaxLines {
		return nil, invalid("lines", "more than %d products", MaxLines)
	}
	out := make([]LineRequest, 0, len(qty))
	for id, q := range qty {
		if q > MaxQuantity {
			return nil, invalid("lines", "more than %d units of product %d", MaxQuantity, id)
		}
		out = append(out, LineRequest{ProductID: id, Quantity: q})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ProductID < out[j].ProductID })
	return out, nil
}

// checkText refuses text that is not UTF-8, too long, missing when
// required, or that holds control characters (line breaks and tabs are
// allowed in multiline fields).
func checkText(field, s string, max int, required, multiline bool) error {
	if !utf8.ValidString(s) {
		return invalid(field, "not valid UTF-8")
	}
	if required && s == "" {
		return invalid(field, "required")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return invalid(field, "longer than %d characters", max)
	}
	for _, c := range s {
		if unicode.IsControl(c) && !(multiline && (c == '\n' || c == '\r' || c == '\t')) {
			return invalid(field, "contains control characters")
		}
	}
	return nil
}

// checkPhone accepts what people type or Telegram shares: digits with
// spaces, dashes, dots, parentheses and a leading plus; 5 to 20 digits.
func checkPhone(s string) error {
	digits := 0
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '+' && i == 0:
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return invalid("phone", "%q is not a phone number", s)
		}
	}
	if digits < 5 || digits > 20 {
		return invalid("phone", "%q is not a phone number", s)
	}
	return nil
}

// wrap prefixes a non-nil error with the operation that failed, keeping it
// matchable with errors.Is and errors.As.
func wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("orders.%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}
