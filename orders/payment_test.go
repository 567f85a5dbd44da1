package orders_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"villagebot/catalog"
	"villagebot/orders"
)

func TestSaleStartsUnpaidAndGiftHasNoPayment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.village("maona")
	tea := f.product(v, "TEA", 10, 5800, giftable)
	s := f.place(sale("tok-sale", visitor, line(tea, 2)))
	g := f.place(gift("tok-gift", officer, line(tea, 1)))
	if s.Payment.State != orders.Unpaid || s.Payment.Amount != nil || s.Payment.At != nil || s.Payment.Method != "" {
		t.Errorf("new sale payment = %+v, want unpaid and nothing recorded", s.Payment)
	}
	if g.Payment != (orders.Payment{}) {
		t.Errorf("gift payment = %+v, want none", g.Payment)
	}
	if _, err := f.store.RecordPayment(f.ctx, orders.PaymentRequest{Number: g.Number, Method: orders.Cash, Actor: "telegram:7001"}); !errors.Is(err, orders.ErrNoPayment) {
		t.Errorf("paying a gift: err = %v, want ErrNoPayment", err)
	}
}

func TestRecordPaymentRecordsWhoWhenHowMuchAndAnEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.village("maona")
	tea := f.product(v, "TEA", 10, 5800)
	o := f.place(sale("tok-1", visitor, line(tea, 2)))

	t.Run("the full amount when none is given", func(t *testing.T) {
		got, err := f.store.RecordPayment(f.ctx, orders.PaymentRequest{Number: o.Number, Method: orders.WeChat, Actor: "telegram:7001"})
		if err != nil {
			t.Fatal(err)
		}
		p := got.Payment
		if p.State != orders.Paid || p.Method != orders.WeChat || p.Amount == nil || *p.Amount != 11600 ||
			p.By != "telegram:7001" || p.At == nil || !p.At.Equal(f.clock.Now()) {
			t.Errorf("payment = %+v (amount %v), want paid by wechat 116.00 by telegram:7001 now", p, p.Amount)
		}
		again, err := f.store.Get(f.ctx, o.Number)
		if err != nil || again.Payment.State != orders.Paid {
			t.Errorf("Get after payment = %+v, %v", again.Payment, err)
		}
	})
	t.Run("a second payment is refused and changes nothing", func(t *testing.T) {
		_, err := f.store.RecordPayment(f.ctx, orders.PaymentRequest{Number: o.Number, Method: orders.Cash, Actor: "telegram:7002"})
		if !errors.Is(err, orders.ErrAlreadyPaid) {
			t.Errorf("err = %v, want ErrAlreadyPaid", err)
		}
		got, _ := f.store.Get(f.ctx, o.Number)
		if got.Payment.Method != orders.WeChat || got.Payment.By != "telegram:7001" {
			t.Errorf("payment became %+v", got.Payment)
		}
	})
	t.Run("each change is an event", func(t *testing.T) {
		es, err := f.store.PaymentEvents(f.ctx, o.Number)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 1 || es[0].From != orders.Unpaid || es[0].To != orders.Paid || es[0].Method != orders.WeChat ||
			es[0].Amount != 11600 || es[0].Actor != "telegram:7001" {
			t.Errorf("events = %+v, want one unpaid → paid wechat 11600 by telegram:7001", es)
		}
	})
}

func TestRecordPaymentRefusesBadRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.village("maona")
	tea := f.product(v, "TEA", 10, 5800)
	o := f.place(sale("tok-1", visitor, line(tea, 1)))
	cancelled := f.place(sale("tok-2", visitor, line(tea, 1)))
	if _, err := f.store.SetStatus(f.ctx, cancelled.Number, orders.Cancelled, "telegram:7001"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		req  orders.PaymentRequest
		want error
	}{
		{"an unknown method", orders.PaymentRequest{Number: o.Number, Method: "bitcoin", Actor: "a"}, orders.ErrInvalid},
		{"telegram by hand", orders.PaymentRequest{Number: o.Number, Method: orders.Telegram, Actor: "a"}, orders.ErrInvalid},
		{"a negative amount", orders.PaymentRequest{Number: o.Number, Method: orders.Cash, Amount: -1, Actor: "a"}, orders.ErrInvalid},
		{"an enormous amount", orders.PaymentRequest{Number: o.Number, Method: orders.Cash, Amount: 1 << 50, Actor: "a"}, orders.ErrInvalid},
		{"no actor", orders.PaymentRequest{Number: o.Number, Method: orders.Cash}, orders.ErrInvalid},
		{"an order that does not exist", orders.PaymentRequest{Number: 999999, Method: orders.Cash, Actor: "a"}, orders.ErrNotFound},
		{"a cancelled order", orders.PaymentRequest{Number: cancelled.Number, Method: orders.Cash, Actor: "a"}, orders.ErrBadTransition},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.store.RecordPayment(f.ctx, tc.req); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if n := f.count(`SELECT count(*) FROM payment_events`); n != 0 {
		t.Errorf("%d payment events after refused requests, want 0", n)
	}
	if n := f.count(`SELECT count(*) FROM orders WHERE payment <> 'unpaid'`); n != 0 {
		t.Errorf("%d orders changed payment", n)
	}
}

func TestCancelRefundCancelsAndRefundsAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.village("maona")
	tea := f.product(v, "TEA", 10, 5800)
	o := f.place(sale("tok-1", visitor, line(tea, 3)))
	unpaid := f.place(sale("tok-2", visitor, line(tea, 1)))

	if _, err := f.store.CancelRefund(f.ctx, unpaid.Number, "telegram:7001", ""); !errors.Is(err, orders.ErrNotPaid) {
		t.Errorf("CancelRefund of an unpaid order: err = %v, want ErrNotPaid", err)
	}
	if _, err := f.store.RecordPayment(f.ctx, orders.PaymentRequest{Number: o.Number, Method: orders.Alipay, Amount: 17400, Actor: "telegram:7001"}); err != nil {
		t.Fatal(err)
	}
	got, err := f.store.CancelRefund(f.ctx, o.Number, "telegram:7001", "customer left")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != orders.Cancelled || got.Payment.State != orders.Refunded || got.Payment.Method != orders.Alipay {
		t.Errorf("after CancelRefund: status %s, payment %+v; want cancelled, refunded alipay", got.Status, got.Payment)
	}
	if f.stock(tea) != 10-1 {
		t.Errorf("stock = %d, want the 3 units back (9)", f.stock(tea))
	}
	es, _ := f.store.PaymentEvents(f.ctx, o.Number)
	if len(es) != 2 || es[1].From != orders.Paid || es[1].To != orders.Refunded || es[1].Amount != 17400 || es[1].Note != "customer left" {
		t.Errorf("events = %+v, want paid then paid → refunded 17400", es)
	}
	if rows := f.outbox("status"); len(rows) != 1 || rows[0].ChatID != visitor {
		t.Errorf("status notices = %+v, want the customer told once", rows)
	}
	if _, err := f.store.CancelRefund(f.ctx, o.Number, "telegram:7001", ""); !errors.Is(err, orders.ErrNotPaid) {
		t.Errorf("second CancelRefund: err = %v, want ErrNotPaid", err)
	}
}

func TestCheckInvoiceForThePreCheckout(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.village("maona")
	tea := f.product(v, "TEA", 10, 5800, giftable)
	open := f.place(sale("tok-1", visitor, line(tea, 2)))
	cancelled := f.place(sale("tok-2", visitor, line(tea, 1)))
	if _, err := f.store.CancelByCustomer(f.ctx, cancelled.Number, visitor); err != nil {
		t.Fatal(err)
	}
	paid := f.place(sale("tok-3", visitor, line(tea, 1)))
	if _, err := f.store.RecordPayment(f.ctx, orders.PaymentRequest{Number: paid.Number, Method: orders.Cash, Actor: "a"}); err != nil {
		t.Fatal(err)
	}
	g := f.place(gift("tok-4", officer, line(tea, 1)))

	for _, tc := range []struct {
		name   string
		inv    orders.Invoice
		reason string
	}{
		{"an open unpaid order of the right amount", orders.Invoice{Number: open.Number, CustomerID: visitor, Amount: 11600}, ""},
		{"a different amount", orders.Invoice{Number: open.Number, CustomerID: visitor, Amount: 11500}, "amount"},
		{"someone else's order", orders.Invoice{Number: open.Number, CustomerID: visitor2, Amount: 11600}, "not_found"},
		{"a cancelled order", orders.Invoice{Number: cancelled.Number, CustomerID: visitor, Amount: 5800}, "closed"},
		{"a paid order", orders.Invoice{Number: paid.Number, CustomerID: visitor, Amount: 5800}, "paid"},
		{"a gift", orders.Invoice{Number: g.Number, CustomerID: officer, Amount: 5800}, "not_found"},
		{"no such order", orders.Invoice{Number: 99999, CustomerID: visitor, Amount: 5800}, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.store.CheckInvoice(f.ctx, tc.inv)
			var ie *orders.InvoiceError
			switch {
			case tc.reason == "" && err != nil:
				t.Errorf("err = %v, want ok", err)
			case tc.reason != "" && (!errors.As(err, &ie) || ie.Reason != tc.reason):
				t.Errorf("err = %v, want reason %q", err, tc.reason)
			}
		})
	}
}

// A successful_payment that Telegram delivers again (or three times at
// once) is recorded once.
func TestRecordTelegramPaymentOncePerCharge(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.village("maona")
	tea := f.product(v, "TEA", 10, 5800)
	o := f.place(sale("tok-1", visitor, line(tea, 2)))
	p := orders.TelegramPayment{
		Payload: orders.InvoicePayload(o.Number), CustomerID: visitor, Currency: "CNY", Amount: 11600,
		ChargeID: "tg-charge-1", ProviderChargeID: "prov-1",
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	recorded := 0
	for range 3 {
		wg.Go(func() {
			_, rec, _, err := f.store.RecordTelegramPayment(f.ctx, p)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if rec {
				recorded++
			}
		})
	}
	wg.Wait()
	if recorded != 1 {
		t.Errorf("%d deliveries recorded the payment, want 1", recorded)
	}
	got, _ := f.store.Get(f.ctx, o.Number)
	if got.Payment.State != orders.Paid || got.Payment.Method != orders.Telegram || *got.Payment.Amount != 11600 ||
		got.Payment.By != orders.TelegramActor(visitor) {
		t.Errorf("payment = %+v", got.Payment)
	}
	if n := f.count(`SELECT count(*) FROM payment_events WHERE telegram_charge_id = 'tg-charge-1'`); n != 1 {
		t.Errorf("%d events of the charge, want 1", n)
	}

	t.Run("a second charge for a paid order is kept, the first payment stands", func(t *testing.T) {
		p2 := p
		p2.ChargeID = "tg-charge-2"
		_, rec, second, err := f.store.RecordTelegramPayment(f.ctx, p2)
		if err != nil || !rec || !second {
			t.Fatalf("= recorded %v, second %v, %v; want true, true, nil", rec, second, err)
		}
		if n := f.count(`SELECT count(*) FROM payment_events`); n != 2 {
			t.Errorf("%d events, want 2", n)
		}
	})
	t.Run("a payload that names no order is refused", func(t *testing.T) {
		bad := p
		bad.Payload, bad.ChargeID = "order:abc", "tg-charge-3"
		if _, _, _, err := f.store.RecordTelegramPayment(f.ctx, bad); !errors.Is(err, orders.ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})
}

func TestPaymentStats(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.village("maona")
	tea := f.product(v, "TEA", 50, 1000, giftable)
	pay := func(o orders.Order) {
		t.Helper()
		if _, err := f.store.RecordPayment(f.ctx, orders.PaymentRequest{Number: o.Number, Method: orders.Cash, Actor: "a"}); err != nil {
			t.Fatal(err)
		}
	}
	pay(f.place(sale("a", visitor, line(tea, 1))))
	pay(f.place(sale("b", visitor, line(tea, 2))))
	f.place(sale("c", visitor, line(tea, 3)))
	refunded := f.place(sale("d", visitor, line(tea, 4)))
	pay(refunded)
	if _, err := f.store.CancelRefund(f.ctx, refunded.Number, "a", ""); err != nil {
		t.Fatal(err)
	}
	dropped := f.place(sale("e", visitor, line(tea, 5)))
	if _, err := f.store.CancelByCustomer(f.ctx, dropped.Number, visitor); err != nil {
		t.Fatal(err)
	}
	f.place(gift("f", officer, line(tea, 6)))

	st, err := f.store.PaymentStats(f.ctx, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := orders.PaymentStats{PaidOrders: 2, PaidValue: 3000, UnpaidOrders: 1, UnpaidValue: 3000, RefundedOrders: 1, RefundedValue: 4000}
	if st != want {
		t.Errorf("PaymentStats = %+v, want %+v", st, want)
	}
}

func TestParseAmount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want catalog.Money
	}{
		{"158", 15800},
		{"158元", 15800},
		{"158 元", 15800},
		{"¥158", 15800},
		{"￥158.5", 15850},
		{"１５８元", 15800},
		{"１，２８０．００", 128000},
		{"1,280.00", 128000},
		{"1,280", 128000},
		{"1,234,567", 123456700},
		{"RMB 99.90", 9990},
		{"0.01", 1},
	} {
		t.Run(fmt.Sprintf("%q is %s", tc.in, tc.want), func(t *testing.T) {
			got, err := orders.ParseAmount(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("ParseAmount(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
	for _, tc := range []struct{ in, problem string }{
		{"", orders.AmountEmpty},
		{"元", orders.AmountEmpty},
		{"-5", orders.AmountNegative},
		{"0", orders.AmountZero},
		{"0.00元", orders.AmountZero},
		{"1.234", orders.AmountDecimals},
		{"12,80", orders.AmountSeparators},
		{"1,2800", orders.AmountSeparators},
		{"abc", orders.AmountFormat},
		{"1e5", orders.AmountFormat},
		{"158$", orders.AmountFormat},
		{"99999999999", orders.AmountTooLarge},
		{"9999999999999999", orders.AmountTooLarge},
	} {
		t.Run(fmt.Sprintf("%q is refused: %s", tc.in, tc.problem), func(t *testing.T) {
			_, err := orders.ParseAmount(tc.in)
			var ae *orders.AmountError
			if !errors.As(err, &ae) || ae.Problem != tc.problem || !errors.Is(err, orders.ErrInvalid) {
				t.Errorf("ParseAmount(%q) err = %v, want problem %q", tc.in, err, tc.problem)
			}
		})
	}
}

func TestPaymentTexts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := f.store.PaymentText(f.ctx, orders.Pickup, "en"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("no text yet: err = %v, want ErrNotFound", err)
	}
	if err := f.store.SetPaymentText(f.ctx, orders.Pickup, "en", "  Pay at booth 12.  ", "telegram:7001"); err != nil {
		t.Fatal(err)
	}
	if err := f.store.SetPaymentText(f.ctx, orders.Pickup, "en", "Pay at booth 14.", "telegram:7001"); err != nil {
		t.Fatal(err)
	}
	if got, err := f.store.PaymentText(f.ctx, orders.Pickup, "en"); err != nil || got != "Pay at booth 14." {
		t.Errorf("PaymentText = %q, %v", got, err)
	}
	if _, err := f.store.PaymentText(f.ctx, orders.Pickup, "zh"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("another language: err = %v, want ErrNotFound", err)
	}
	for _, tc := range []struct {
		name     string
		d        orders.Delivery
		lang, tx string
	}{
		{"an unknown delivery", "drone", "en", "x"},
		{"a bad language", orders.Pickup, "EN!", "x"},
		{"a text too long", orders.Pickup, "en", strings.Repeat("x", orders.MaxPaymentText+1)},
	} {
		if err := f.store.SetPaymentText(f.ctx, tc.d, tc.lang, tc.tx, "a"); !errors.Is(err, orders.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", tc.name, err)
		}
	}
	if err := f.store.SetPaymentText(f.ctx, orders.Pickup, "en", "", "a"); err != nil {
		t.Fatal(err)
	}
	if ts, err := f.store.PaymentTexts(f.ctx); err != nil || len(ts) != 0 {
		t.Errorf("after reset: %+v, %v; want none", ts, err)
	}
}

// A sale paid (say through Telegram) before anyone confirmed it is not
// cancelled as unconfirmed: the customer's money is in.
func TestPaidOrderDoesNotExpire(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.village("maona")
	tea := f.product(v, "TEA", 10, 5800)
	paid := f.place(sale("tok-1", visitor, line(tea, 1)))
	f.place(sale("tok-2", visitor, line(tea, 1)))
	if _, _, _, err := f.store.RecordTelegramPayment(f.ctx, orders.TelegramPayment{
		Payload: orders.InvoicePayload(paid.Number), CustomerID: visitor, Currency: "CNY", Amount: 5800, ChargeID: "c1",
	}); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(49 * time.Hour)
	n, err := f.store.ExpireStale(f.ctx, 48*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("ExpireStale = %d, %v; want the unpaid one only", n, err)
	}
	if got, _ := f.store.Get(f.ctx, paid.Number); got.Status != orders.Placed {
		t.Errorf("paid order is %s, want still placed", got.Status)
	}
}

// A customer cannot cancel an order they paid: the office cancels it and
// refunds.
func TestCustomerCannotCancelAPaidOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.village("maona")
	tea := f.product(v, "TEA", 10, 5800)
	o := f.place(sale("tok-1", visitor, line(tea, 1)))
	if _, err := f.store.RecordPayment(f.ctx, orders.PaymentRequest{Number: o.Number, Method: orders.Cash, Actor: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.CancelByCustomer(f.ctx, o.Number, visitor); !errors.Is(err, orders.ErrAlreadyPaid) {
		t.Errorf("err = %v, want ErrAlreadyPaid", err)
	}
	if got, _ := f.store.Get(f.ctx, o.Number); got.Status != orders.Placed || got.Payment.State != orders.Paid {
		t.Errorf("order became %s, %s", got.Status, got.Payment.State)
	}
}
