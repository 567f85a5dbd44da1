package orders_test

import (
	"errors"
	"testing"

	"villagebot/orders"
)

func TestCancelByCustomerRefusesAGiftOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	brocade := f.product(f.village("boao"), "LI-BROCADE", 7, 30000, giftable)
	f.office(officer)
	g := f.place(gift("tok-gift", officer, line(brocade, 2)))

	// The office member who placed it (or one whose role was revoked since)
	// presses Cancel under /orders as a customer would.
	_, err := f.store.CancelByCustomer(f.ctx, g.Number, officer)
	if !errors.Is(err, orders.ErrOfficeOnly) || !errors.Is(err, orders.ErrForbidden) {
		t.Fatalf("CancelByCustomer() = %v, want ErrOfficeOnly", err)
	}
	got, err := f.store.Get(f.ctx, g.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != orders.Placed || f.stock(brocade) != 5 || len(f.events(g.ID)) != 1 {
		t.Errorf("order %s, stock %d, %d events; want it untouched", got.Status, f.stock(brocade), len(f.events(g.ID)))
	}
}
