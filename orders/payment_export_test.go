package orders_test

import (
	"strings"
	"testing"
	"time"

	"villagebot/orders"
)

// The export carries each sale's payment — state, method, when — after
// notes (SPEC §7); a gift's payment cells are empty.
func TestExportCarriesThePayment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.village("maona")
	tea := f.product(v, "TEA", 10, 5800, giftable)
	f.clock.Add(time.Hour)
	paid := f.place(sale("tok-1", visitor, line(tea, 2)))
	f.place(sale("tok-2", visitor, line(tea, 1)))
	f.place(gift("tok-3", officer, line(tea, 1)))
	refunded := f.place(sale("tok-4", visitor2, line(tea, 1)))
	f.clock.Add(30 * time.Minute)
	if _, err := f.store.RecordPayment(f.ctx, orders.PaymentRequest{Number: paid.Number, Method: orders.WeChat, Actor: "telegram:7001"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.RecordPayment(f.ctx, orders.PaymentRequest{Number: refunded.Number, Method: orders.Cash, Actor: "telegram:7001"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.CancelRefund(f.ctx, refunded.Number, "telegram:7001", ""); err != nil {
		t.Fatal(err)
	}

	var rows rowsEncoder
	if err := f.store.Export(f.ctx, orders.ExportFilter{}, time.UTC, &rows); err != nil {
		t.Fatal(err)
	}
	if n := len(orders.ExportHeader); n < 3 || strings.Join(orders.ExportHeader[n-4:], ",") != "notes,payment,payment_method,paid_at" {
		t.Fatalf("header ends %v, want notes,payment,payment_method,paid_at", orders.ExportHeader)
	}
	paidAt := f.clock.Now().UTC().Format("2006-01-02T15:04:05-07:00")
	want := []string{
		"paid,wechat," + paidAt,
		"unpaid,,",
		",,",
		"refunded,cash," + paidAt,
	}
	if len(rows.rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows.rows), len(want))
	}
	for i, r := range rows.rows {
		cells := r.Cells()
		if len(cells) != len(orders.ExportHeader) {
			t.Fatalf("row %d has %d cells for %d columns", i, len(cells), len(orders.ExportHeader))
		}
		if got := strings.Join(cells[len(cells)-3:], ","); got != want[i] {
			t.Errorf("%s: payment cells %q, want %q", r.Order, got, want[i])
		}
	}
}
