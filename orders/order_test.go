package orders_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"villagebot/orders"
)

func TestParseRef(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int64 // 0: refused
	}{
		{"#1042", 1042},
		{"1042", 1042},
		{"  #1042 ", 1042},
		{"\t1042\n", 1042},
		{"#01042", 1042},
		{"#9223372036854775807", 9223372036854775807},
		{"#9223372036854775808", 0}, // overflows int64
		{"99999999999999999999999", 0},
		{"", 0},
		{"   ", 0},
		{"#", 0},
		{"##1042", 0},
		{"# 1042", 0},
		{"10 42", 0},
		{"1042#", 0},
		{"+1042", 0},
		{"-1042", 0},
		{"#-1", 0},
		{"0", 0},
		{"#0", 0},
		{"1042a", 0},
		{"0x10", 0},
		{"1e3", 0},
		{"１０４２", 0}, // full-width digits
		{"№1042", 0},
	} {
		got, err := orders.ParseRef(tc.in)
		if tc.want == 0 {
			if !errors.Is(err, orders.ErrInvalid) {
				t.Errorf("ParseRef(%q) = %d, %v; want ErrInvalid", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseRef(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestRefRoundTrips(t *testing.T) {
	t.Parallel()
	o := orders.Order{Number: 1042}
	if o.Ref() != "#1042" {
		t.Fatalf("Ref() = %q, want #1042", o.Ref())
	}
	n, err := orders.ParseRef(o.Ref())
	if err != nil || n != 1042 {
		t.Fatalf("ParseRef(Ref()) = %d, %v", n, err)
	}
}

func TestLineTotal(t *testing.T) {
	t.Parallel()
	l := orders.Line{UnitPrice: 8850, Quantity: 3}
	if got := l.LineTotal(); got != 26550 || got.String() != "265.50" {
		t.Fatalf("LineTotal() = %v", got)
	}
}

func TestCanTransition(t *testing.T) {
	t.Parallel()
	allowed := map[[2]orders.Status]bool{
		{orders.Placed, orders.Confirmed}:    true,
		{orders.Confirmed, orders.Ready}:     true,
		{orders.Ready, orders.Delivered}:     true,
		{orders.Placed, orders.Cancelled}:    true,
		{orders.Confirmed, orders.Cancelled}: true,
		{orders.Ready, orders.Cancelled}:     true,
	}
	all := append(orders.Statuses, "", "shipped")
	for _, from := range all {
		for _, to := range all {
			if got := orders.CanTransition(from, to); got != allowed[[2]orders.Status{from, to}] {
				t.Errorf("CanTransition(%q, %q) = %v", from, to, got)
			}
		}
	}
}

func TestErrorsMatchTheirSentinels(t *testing.T) {
	t.Parallel()
	var err error = fmt.Errorf("wrapped: %w", &orders.ShortError{Lines: []orders.Shortage{
		{ProductID: 1, SKU: "MAONA-TEA", Wanted: 3, Left: 1},
		{ProductID: 2, Unavailable: true},
	}})
	if !errors.Is(err, orders.ErrOutOfStock) {
		t.Errorf("ShortError is not ErrOutOfStock")
	}
	var short *orders.ShortError
	if !errors.As(err, &short) || len(short.Lines) != 2 {
		t.Errorf("errors.As(ShortError) failed")
	}
	if want := "out of stock: MAONA-TEA (wanted 3, 1 left), product 2 (unavailable)"; !strings.HasSuffix(err.Error(), want) {
		t.Errorf("Error() = %q, want suffix %q", err, want)
	}
	if !errors.Is(&orders.InvalidError{Field: "phone"}, orders.ErrInvalid) {
		t.Errorf("InvalidError is not ErrInvalid")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	okSale := func() orders.PlaceRequest { return sale("tok-1", visitor, line(1, 2), line(2, 1)) }
	okGift := func() orders.PlaceRequest { return gift("tok-2", officer, line(1, 2)) }
	with := func(r orders.PlaceRequest, change func(*orders.PlaceRequest)) orders.PlaceRequest {
		change(&r)
		return r
	}
	lines := func(n, qty int) []orders.LineRequest {
		ls := make([]orders.LineRequest, n)
		for i := range ls {
			ls[i] = line(int64(i+1), qty)
		}
		return ls
	}
	needed := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

	for _, tc := range []struct {
		name  string
		req   orders.PlaceRequest
		field string // "" when valid; "EMPTY" for ErrEmpty
	}{
		{"a complete sale is valid", okSale(), ""},
		{"a complete gift is valid", okGift(), ""},
		{"a token is required", with(okSale(), func(r *orders.PlaceRequest) { r.Token = " " }), "token"},
		{"a token of 64 characters is fine", with(okSale(), func(r *orders.PlaceRequest) { r.Token = strings.Repeat("令", 64) }), ""},
		{"a token of 65 characters is too long", with(okSale(), func(r *orders.PlaceRequest) { r.Token = strings.Repeat("a", 65) }), "token"},
		{"the kind must be sale or gift", with(okSale(), func(r *orders.PlaceRequest) { r.Kind = "loan" }), "kind"},
		{"the customer needs a Telegram id", with(okSale(), func(r *orders.PlaceRequest) { r.Customer.TelegramID = 0 }), "customer.telegram_id"},
		{"the customer needs a chat", with(okSale(), func(r *orders.PlaceRequest) { r.Customer.ChatID = 0 }), "customer.chat_id"},
		{"a language with a region is fine", with(okSale(), func(r *orders.PlaceRequest) { r.Customer.Language = "pt-BR" }), ""},
		{"a language code has no spaces", with(okSale(), func(r *orders.PlaceRequest) { r.Customer.Language = "e n" }), "customer.language"},
		{"a first name cannot hold control characters", with(okSale(), func(r *orders.PlaceRequest) { r.Customer.FirstName = "An\x00na" }), "customer.first_name"},
		{"an order needs lines", with(okSale(), func(r *orders.PlaceRequest) { r.Lines = nil }), "EMPTY"},
		{"a quantity of 0 is refused", with(okSale(), func(r *orders.PlaceRequest) { r.Lines[1].Quantity = 0 }), "lines[1].quantity"},
		{"a negative quantity is refused", with(okSale(), func(r *orders.PlaceRequest) { r.Lines[0].Quantity = -5 }), "lines[0].quantity"},
		{"a quantity of 999 is fine", with(okSale(), func(r *orders.PlaceRequest) { r.Lines[0].Quantity = 999 }), ""},
		{"a quantity of 1000 is refused", with(okSale(), func(r *orders.PlaceRequest) { r.Lines[0].Quantity = 1000 }), "lines[0].quantity"},
		{"a product id must be positive", with(okSale(), func(r *orders.PlaceRequest) { r.Lines[0].ProductID = -1 }), "lines[0].product_id"},
		{"50 products are fine", with(okSale(), func(r *orders.PlaceRequest) { r.Lines = lines(50, 1) }), ""},
		{"51 products are too many", with(okSale(), func(r *orders.PlaceRequest) { r.Lines = lines(51, 1) }), "lines"},
		{"51 lines of 50 products are fine once merged", with(okSale(), func(r *orders.PlaceRequest) { r.Lines = append(lines(50, 1), line(1, 1)) }), ""},
		{"lines of one product adding up to 999 are fine", with(okSale(), func(r *orders.PlaceRequest) { r.Lines = []orders.LineRequest{line(1, 500), line(1, 499)} }), ""},
		{"lines of one product adding up to 1000 are refused", with(okSale(), func(r *orders.PlaceRequest) { r.Lines = []orders.LineRequest{line(1, 500), line(1, 500)} }), "lines"},
		{"a sale needs a contact", with(okSale(), func(r *orders.PlaceRequest) { r.Contact = "  " }), "contact"},
		{"a contact of 100 characters is fine", with(okSale(), func(r *orders.PlaceRequest) { r.Contact = strings.Repeat("安", 100) }), ""},
		{"a contact of 101 characters is too long", with(okSale(), func(r *orders.PlaceRequest) { r.Contact = strings.Repeat("a", 101) }), "contact"},
		{"a contact is one line", with(okSale(), func(r *orders.PlaceRequest) { r.Contact = "Anna\nPetrova" }), "contact"},
		{"a sale needs a phone", with(okSale(), func(r *orders.PlaceRequest) { r.Phone = "" }), "phone"},
		{"a shared phone without plus is fine", with(okSale(), func(r *orders.PlaceRequest) { r.Phone = "8613800138000" }), ""},
		{"a phone has digits", with(okSale(), func(r *orders.PlaceRequest) { r.Phone = "call me" }), "phone"},
		{"a phone has at least 5 digits", with(okSale(), func(r *orders.PlaceRequest) { r.Phone = "+1 2" }), "phone"},
		{"a sale needs a delivery", with(okSale(), func(r *orders.PlaceRequest) { r.Delivery = "" }), "delivery"},
		{"a delivery must be known", with(okSale(), func(r *orders.PlaceRequest) { r.Delivery = "drone" }), "delivery"},
		{"hotel delivery needs the hotel", with(okSale(), func(r *orders.PlaceRequest) { r.Delivery = orders.Hotel }), "address"},
		{"shipping needs an address", with(okSale(), func(r *orders.PlaceRequest) { r.Delivery = orders.Shipping }), "address"},
		{"an address may span lines", with(okSale(), func(r *orders.PlaceRequest) {
			r.Delivery, r.Address = orders.Shipping, "1 Binhai Ave\nHaikou"
		}), ""},
		{"an address must be UTF-8", with(okSale(), func(r *orders.PlaceRequest) {
			r.Delivery, r.Address = orders.Hotel, "Sofitel \xff"
		}), "address"},
		{"an address of 301 characters is too long", with(okSale(), func(r *orders.PlaceRequest) {
			r.Delivery, r.Address = orders.Hotel, strings.Repeat("a", 301)
		}), "address"},
		{"a sale has no occasion", with(okSale(), func(r *orders.PlaceRequest) { r.Occasion = "forum" }), "occasion"},
		{"a sale has no date needed", with(okSale(), func(r *orders.PlaceRequest) { r.NeededBy = &needed }), "needed_by"},
		{"notes of 1000 characters are fine", with(okSale(), func(r *orders.PlaceRequest) { r.Notes = strings.Repeat("n", 1000) }), ""},
		{"notes of 1001 characters are too long", with(okSale(), func(r *orders.PlaceRequest) { r.Notes = strings.Repeat("n", 1001) }), "notes"},
		{"notes cannot hold a NUL byte", with(okSale(), func(r *orders.PlaceRequest) { r.Notes = "a\x00b" }), "notes"},
		{"a gift needs an occasion", with(okGift(), func(r *orders.PlaceRequest) { r.Occasion = "" }), "occasion"},
		{"a gift needs a recipient", with(okGift(), func(r *orders.PlaceRequest) { r.Recipient = "" }), "recipient"},
		{"a gift has no customer phone", with(okGift(), func(r *orders.PlaceRequest) { r.Phone = "+86 138 0013 8000" }), "phone"},
		{"a gift may have a date needed and a delivery", with(okGift(), func(r *orders.PlaceRequest) {
			r.NeededBy, r.Delivery, r.Address = &needed, orders.Hotel, "State Guesthouse"
		}), ""},
		{"a gift's delivery must be known", with(okGift(), func(r *orders.PlaceRequest) { r.Delivery = "drone" }), "delivery"},
		{"a recipient of 201 characters is too long", with(okGift(), func(r *orders.PlaceRequest) { r.Recipient = strings.Repeat("r", 201) }), "recipient"},
		{"an actor of 101 characters is too long", with(okGift(), func(r *orders.PlaceRequest) { r.Actor = strings.Repeat("a", 101) }), "actor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.req.Validate()
			var ie *orders.InvalidError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.field == "EMPTY" && !errors.Is(err, orders.ErrEmpty):
				t.Fatalf("Validate() = %v, want ErrEmpty", err)
			case tc.field != "" && tc.field != "EMPTY" && !(errors.As(err, &ie) && ie.Field == tc.field && errors.Is(err, orders.ErrInvalid)):
				t.Fatalf("Validate() = %v, want ErrInvalid on %s", err, tc.field)
			}
		})
	}
}

func TestInvalidRequestChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.product(f.village("maona"), "MAONA-TEA", 10, 8800)
	req := sale("tok", visitor, line(p, 2))
	req.Phone = ""
	if _, _, err := f.store.Place(f.ctx, req); !errors.Is(err, orders.ErrInvalid) {
		t.Fatalf("Place() = %v, want ErrInvalid", err)
	}
	if n := f.count(`SELECT count(*) FROM orders`) + f.count(`SELECT count(*) FROM customers`); n != 0 {
		t.Fatalf("%d rows written", n)
	}
	if f.stock(p) != 10 {
		t.Fatalf("stock changed")
	}
}
