package orders

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"villagebot/catalog"
)

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
	// Seen is what the customer saw of the product on the summary they
	// confirm. Place refuses the order with a *ChangedError when the
	// product's unit price differs from it now, or the product (visible on
	// any summary) is hidden now. Nil is "not checked": the line is placed
	// at the price of the moment. Only callers that show no summary use it
	// (the command line, the load generator, tests of other things); the
	// bot always sets it.
	Seen *Seen
}

// Seen is what a summary showed of one line.
type Seen struct {
	UnitPrice catalog.Money
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
	if err := r.normalizeTexts(); err != nil {
		return r, err
	}
	if err := r.checkKind(); err != nil {
		return r, err
	}
	if r.Phone != "" {
		if err := checkPhone(r.Phone); err != nil {
			return r, err
		}
		r.Phone = InternationalPhone(r.Phone)
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

// normalizeTexts trims and checks the request's texts, and fills in the
// actor.
func (r *PlaceRequest) normalizeTexts() error {
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
			return err
		}
	}
	if r.Actor == "" {
		r.Actor = TelegramActor(r.Customer.TelegramID)
	}
	return nil
}

// checkKind checks what the kind of order asks for: a sale its contact,
// phone and delivery and nothing of a gift; a gift its occasion and
// recipient and no customer phone.
func (r *PlaceRequest) checkKind() error {
	switch r.Kind {
	case Sale:
		if r.Contact == "" {
			return invalid("contact", "required")
		}
		if r.Phone == "" {
			return invalid("phone", "required")
		}
		if !r.Delivery.Valid() {
			return invalid("delivery", "%q is not pickup, hotel or shipping", r.Delivery)
		}
		for _, f := range []struct{ name, s string }{
			{"occasion", r.Occasion}, {"recipient", r.Recipient}, {"country", r.Country},
		} {
			if f.s != "" {
				return invalid(f.name, "only for gift orders")
			}
		}
		if r.NeededBy != nil {
			return invalid("needed_by", "only for gift orders")
		}
	case Gift:
		if r.Occasion == "" {
			return invalid("occasion", "required")
		}
		if r.Recipient == "" {
			return invalid("recipient", "required")
		}
		if r.Phone != "" {
			return invalid("phone", "gift orders carry no customer phone")
		}
		if r.Delivery != "" && !r.Delivery.Valid() {
			return invalid("delivery", "%q is not pickup, hotel or shipping", r.Delivery)
		}
	}
	return nil
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
// them by product id, the order in which stock is locked. Two lines of one
// product that saw two prices are ErrInvalid.
func mergeLines(in []LineRequest) ([]LineRequest, error) {
	if len(in) == 0 {
		return nil, ErrEmpty
	}
	merged := make(map[int64]LineRequest, len(in))
	for i, l := range in {
		if l.ProductID <= 0 {
			return nil, invalid(fmt.Sprintf("lines[%d].product_id", i), "must be positive")
		}
		if l.Quantity < 1 || l.Quantity > MaxQuantity {
			return nil, invalid(fmt.Sprintf("lines[%d].quantity", i), "must be 1 to %d", MaxQuantity)
		}
		if l.Seen != nil && (l.Seen.UnitPrice < 0 || l.Seen.UnitPrice > catalog.MaxPrice) {
			return nil, invalid(fmt.Sprintf("lines[%d].seen", i), "not a price")
		}
		m, ok := merged[l.ProductID]
		if ok && m.Seen != nil && l.Seen != nil && *m.Seen != *l.Seen {
			return nil, invalid(fmt.Sprintf("lines[%d].seen", i), "product %d seen at two prices", l.ProductID)
		}
		if !ok || m.Seen == nil {
			m.Seen = l.Seen
		}
		m.ProductID, m.Quantity = l.ProductID, m.Quantity+l.Quantity
		merged[l.ProductID] = m
	}
	if len(merged) > MaxLines {
		return nil, invalid("lines", "more than %d products", MaxLines)
	}
	out := make([]LineRequest, 0, len(merged))
	for id, l := range merged {
		if l.Quantity > MaxQuantity {
			return nil, invalid("lines", "more than %d units of product %d", MaxQuantity, id)
		}
		out = append(out, l)
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

// InternationalPhone writes a phone number that has no leading + in
// E.164 form: its digits after a +, an international prefix 00 dropped.
// Telegram shares a contact's number as 8613800138000, and the checkout
// asks for the number with its country code, so the digits are always
// international; with the + a spreadsheet shows the number as text, not
// as 8.61E+12. A number with a leading + is kept as written. Place applies
// it to every request's phone.
func InternationalPhone(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "+") {
		return s
	}
	var b strings.Builder
	b.WriteByte('+')
	for _, c := range strings.TrimPrefix(s, "00") {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}
