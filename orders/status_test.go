package orders_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"villagebot/orders"
)

// pathTo lists the moves that bring a placed order to a status.
var pathTo = map[orders.Status][]orders.Status{
	orders.Placed:    nil,
	orders.Confirmed: {orders.Confirmed},
	orders.Ready:     {orders.Confirmed, orders.Ready},
	orders.Delivered: {orders.Confirmed, orders.Ready, orders.Delivered},
	orders.Cancelled: {orders.Cancelled},
}

func TestSetStatusEveryPair(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.village("maona")
	tea := f.product(v, "MAONA-TEA", 1000, 8800)
	honey := f.product(v, "MAONA-HONEY", 1000, 1500)
	allowed := map[string]bool{
		"placed→confirmed": true, "confirmed→ready": true, "ready→delivered": true,
		"placed→cancelled": true, "confirmed→cancelled": true, "ready→cancelled": true,
	}
	for _, from := range orders.Statuses {
		for _, to := range orders.Statuses {
			pair := string(from) + "→" + string(to)
			o := f.place(sale("tok-"+pair, visitor, line(tea, 2), line(honey, 1)))
			for _, s := range pathTo[from] {
				if _, err := f.store.SetStatus(f.ctx, o.Number, s, "telegram:7001"); err != nil {
					t.Fatalf("%s: moving to %s: %v", pair, s, err)
				}
			}
			before := len(f.events(o.ID))
			teaBefore := f.stock(tea)

			got, err := f.store.SetStatus(f.ctx, o.Number, to, "telegram:7001")
			if !allowed[pair] {
				if !errors.Is(err, orders.ErrBadTransition) {
					t.Errorf("%s: SetStatus() = %v, want ErrBadTransition", pair, err)
				}
				stored, _ := f.store.Get(f.ctx, o.Number)
				if stored.Status != from || len(f.events(o.ID)) != before || f.stock(tea) != teaBefore {
					t.Errorf("%s: refused move changed the order (status %s)", pair, stored.Status)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: SetStatus() = %v", pair, err)
				continue
			}
			if got.Status != to || len(got.Lines) != 2 {
				t.Errorf("%s: got %+v", pair, got)
			}
			es := f.events(o.ID)
			if last := es[len(es)-1]; len(es) != before+1 || last != (event{string(from), string(to), "telegram:7001", ""}) {
				t.Errorf("%s: events %+v", pair, es)
			}
			wantTea := teaBefore
			if to == orders.Cancelled {
				wantTea += 2
			}
			if f.stock(tea) != wantTea {
				t.Errorf("%s: stock %d, want %d", pair, f.stock(tea), wantTea)
			}
		}
	}
}

func TestCancelReturnsStockAndTellsTheCustomer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.village("maona")
	tea := f.product(v, "MAONA-TEA", 10, 8800)
	honey := f.product(v, "MAONA-HONEY", 10, 1500)
	o := f.place(sale("tok", visitor, line(tea, 3), line(honey, 10)))

	confirmed, err := f.store.SetStatus(f.ctx, o.Number, orders.Confirmed, "telegram:7001")
	if err != nil || confirmed.Status != orders.Confirmed {
		t.Fatalf("SetStatus(confirmed) = %+v, %v", confirmed, err)
	}
	cancelled, err := f.store.SetStatus(f.ctx, o.Number, orders.Cancelled, "telegram:7001")
	if err != nil || cancelled.Status != orders.Cancelled {
		t.Fatalf("SetStatus(cancelled) = %+v, %v", cancelled, err)
	}
	if f.stock(tea) != 10 || f.stock(honey) != 10 {
		t.Errorf("stock %d and %d, want 10 and 10", f.stock(tea), f.stock(honey))
	}
	if n := f.count(`SELECT count(*) FROM stock_ledger WHERE order_id = $1 AND reason = 'cancel' AND actor = 'telegram:7001' AND delta > 0`, o.ID); n != 2 {
		t.Errorf("%d cancel rows in the ledger, want 2", n)
	}
	var notices []string
	for _, r := range f.outbox("status") {
		notices = append(notices, fmt.Sprintf("%d:%v:%v", r.ChatID, r.Payload["order"], r.Payload["status"]))
	}
	want := []string{fmt.Sprintf("%d:%d:confirmed", visitor, o.Number), fmt.Sprintf("%d:%d:cancelled", visitor, o.Number)}
	if fmt.Sprint(notices) != fmt.Sprint(want) {
		t.Errorf("status notices = %v, want %v", notices, want)
	}

	if _, err := f.store.SetStatus(f.ctx, 999999, orders.Confirmed, "cli"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("SetStatus(unknown order) = %v, want ErrNotFound", err)
	}
	if _, err := f.store.SetStatus(f.ctx, o.Number, "shipped", "cli"); !errors.Is(err, orders.ErrInvalid) {
		t.Errorf("SetStatus(shipped) = %v, want ErrInvalid", err)
	}
	if _, err := f.store.SetStatus(f.ctx, o.Number, orders.Cancelled, ""); !errors.Is(err, orders.ErrInvalid) {
		t.Errorf("SetStatus() without actor = %v, want ErrInvalid", err)
	}
}

func TestCancelByCustomer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tea := f.product(f.village("maona"), "MAONA-TEA", 10, 8800)
	mine := f.place(sale("tok-mine", visitor, line(tea, 4)))
	theirs := f.place(sale("tok-theirs", visitor2, line(tea, 1)))

	t.Run("someone else's order is not found and stays as it is", func(t *testing.T) {
		_, err := f.store.CancelByCustomer(f.ctx, theirs.Number, visitor)
		if !errors.Is(err, orders.ErrNotFound) {
			t.Fatalf("CancelByCustomer() = %v, want ErrNotFound", err)
		}
		got, _ := f.store.Get(f.ctx, theirs.Number)
		if got.Status != orders.Placed || f.stock(tea) != 5 || len(f.events(theirs.ID)) != 1 {
			t.Errorf("order %s, stock %d", got.Status, f.stock(tea))
		}
	})
	t.Run("an order that does not exist is not found", func(t *testing.T) {
		if _, err := f.store.CancelByCustomer(f.ctx, 999999, visitor); !errors.Is(err, orders.ErrNotFound) {
			t.Fatalf("CancelByCustomer() = %v, want ErrNotFound", err)
		}
	})
	t.Run("one's own placed order is cancelled without telling oneself", func(t *testing.T) {
		got, err := f.store.CancelByCustomer(f.ctx, mine.Number, visitor)
		if err != nil || got.Status != orders.Cancelled {
			t.Fatalf("CancelByCustomer() = %+v, %v", got, err)
		}
		if f.stock(tea) != 9 {
			t.Errorf("stock %d, want 9", f.stock(tea))
		}
		if es := f.events(mine.ID); es[len(es)-1] != (event{"placed", "cancelled", "telegram:5001", ""}) {
			t.Errorf("events %+v", es)
		}
		if n := len(f.outbox("status")); n != 0 {
			t.Errorf("%d status notices", n)
		}
	})
	t.Run("a cancelled order cannot be cancelled again", func(t *testing.T) {
		if _, err := f.store.CancelByCustomer(f.ctx, mine.Number, visitor); !errors.Is(err, orders.ErrBadTransition) {
			t.Fatalf("CancelByCustomer() = %v, want ErrBadTransition", err)
		}
	})
	t.Run("a confirmed order is no longer the customer's to cancel", func(t *testing.T) {
		if _, err := f.store.SetStatus(f.ctx, theirs.Number, orders.Confirmed, "telegram:7001"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.CancelByCustomer(f.ctx, theirs.Number, visitor2); !errors.Is(err, orders.ErrBadTransition) {
			t.Fatalf("CancelByCustomer() = %v, want ErrBadTransition", err)
		}
		if f.stock(tea) != 9 {
			t.Errorf("stock %d, want 9", f.stock(tea))
		}
	})
}

func TestMarkReady(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	maona, boao, other := f.village("maona"), f.village("boao"), f.village("other")
	tea := f.product(maona, "MAONA-TEA", 10, 8800)
	honey := f.product(maona, "MAONA-HONEY", 10, 1500)
	brocade := f.product(boao, "LI-BROCADE", 10, 30000)
	o := f.place(sale("tok", visitor, line(tea, 1), line(honey, 1), line(brocade, 1)))
	statusNotices := func() []string {
		var got []string
		for _, r := range f.outbox("status") {
			got = append(got, fmt.Sprint(r.Payload["status"]))
		}
		return got
	}

	t.Run("a village without lines in the order finds nothing", func(t *testing.T) {
		if _, _, err := f.store.MarkReady(f.ctx, o.Number, other, "telegram:9003"); !errors.Is(err, orders.ErrNotFound) {
			t.Fatalf("MarkReady() = %v, want ErrNotFound", err)
		}
		if _, _, err := f.store.MarkReady(f.ctx, 999999, maona, "telegram:9001"); !errors.Is(err, orders.ErrNotFound) {
			t.Fatalf("MarkReady(unknown order) = %v, want ErrNotFound", err)
		}
	})
	t.Run("one village ready confirms the order", func(t *testing.T) {
		f.clock.Add(10)
		got, all, err := f.store.MarkReady(f.ctx, o.Number, maona, "telegram:9001")
		if err != nil || all || got.Status != orders.Confirmed {
			t.Fatalf("MarkReady() = %s, %v, %v", got.Status, all, err)
		}
		if got.Lines[0].ReadyAt == nil || got.Lines[1].ReadyAt == nil || got.Lines[2].ReadyAt != nil {
			t.Errorf("ready_at of lines: %v %v %v", got.Lines[0].ReadyAt, got.Lines[1].ReadyAt, got.Lines[2].ReadyAt)
		}
		if es := f.events(o.ID); len(es) != 2 || es[1] != (event{"placed", "confirmed", "telegram:9001", ""}) {
			t.Errorf("events %+v", es)
		}
		if got := statusNotices(); fmt.Sprint(got) != "[confirmed]" {
			t.Errorf("notices %v", got)
		}
	})
	t.Run("marking the same lines again keeps the first time", func(t *testing.T) {
		first, _ := f.store.Get(f.ctx, o.Number)
		f.clock.Add(3600e9)
		got, all, err := f.store.MarkReady(f.ctx, o.Number, maona, "telegram:9001")
		if err != nil || all || !got.Lines[0].ReadyAt.Equal(*first.Lines[0].ReadyAt) {
			t.Fatalf("MarkReady() again = %v, %v, %v", got.Lines[0].ReadyAt, all, err)
		}
		if len(f.events(o.ID)) != 2 {
			t.Errorf("a repeated mark recorded an event")
		}
	})
	t.Run("the last village ready makes the order ready", func(t *testing.T) {
		got, all, err := f.store.MarkReady(f.ctx, o.Number, boao, "telegram:9002")
		if err != nil || !all || got.Status != orders.Ready || got.Lines[2].ReadyAt == nil {
			t.Fatalf("MarkReady() = %s, %v, %v", got.Status, all, err)
		}
		if es := f.events(o.ID); len(es) != 3 || es[2] != (event{"confirmed", "ready", "telegram:9002", ""}) {
			t.Errorf("events %+v", es)
		}
		if got := statusNotices(); fmt.Sprint(got) != "[confirmed ready]" {
			t.Errorf("notices %v", got)
		}
	})
	t.Run("a ready order cannot be marked again", func(t *testing.T) {
		if _, _, err := f.store.MarkReady(f.ctx, o.Number, boao, "telegram:9002"); !errors.Is(err, orders.ErrBadTransition) {
			t.Fatalf("MarkReady() = %v, want ErrBadTransition", err)
		}
	})
	t.Run("a one-village order goes from placed to ready in one call, told once", func(t *testing.T) {
		single := f.place(sale("tok-single", visitor, line(tea, 1)))
		got, all, err := f.store.MarkReady(f.ctx, single.Number, maona, "telegram:9001")
		if err != nil || !all || got.Status != orders.Ready {
			t.Fatalf("MarkReady() = %s, %v, %v", got.Status, all, err)
		}
		es := f.events(single.ID)
		if len(es) != 3 || es[1].To != "confirmed" || es[2].To != "ready" {
			t.Errorf("events %+v", es)
		}
		if got := statusNotices(); fmt.Sprint(got) != "[confirmed ready ready]" {
			t.Errorf("notices %v", got)
		}
	})
	t.Run("the office marks every line with village 0", func(t *testing.T) {
		both := f.place(sale("tok-both", visitor, line(honey, 1), line(brocade, 1)))
		got, all, err := f.store.MarkReady(f.ctx, both.Number, 0, "telegram:7001")
		if err != nil || !all || got.Status != orders.Ready {
			t.Fatalf("MarkReady(0) = %s, %v, %v", got.Status, all, err)
		}
	})
	t.Run("a cancelled order cannot be marked, but a stranger still learns nothing", func(t *testing.T) {
		gone := f.place(sale("tok-gone", visitor, line(tea, 1)))
		if _, err := f.store.CancelByCustomer(f.ctx, gone.Number, visitor); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.store.MarkReady(f.ctx, gone.Number, maona, "telegram:9001"); !errors.Is(err, orders.ErrBadTransition) {
			t.Errorf("MarkReady(cancelled) = %v, want ErrBadTransition", err)
		}
		if _, _, err := f.store.MarkReady(f.ctx, gone.Number, boao, "telegram:9002"); !errors.Is(err, orders.ErrNotFound) {
			t.Errorf("MarkReady(cancelled, other village) = %v, want ErrNotFound", err)
		}
	})
}

// However an order is cancelled — by the office, by its customer, or by
// expiry — the coordinators of its villages are told, once each, and
// those of other villages are not.
func TestCancellationTellsTheVillagesCoordinators(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	maona, boao, other := f.village("maona"), f.village("boao"), f.village("other")
	f.coordinator(9001, maona)
	f.coordinator(9002, maona)
	f.coordinator(9003, boao)
	f.coordinator(9004, other)
	tea := f.product(maona, "MAONA-TEA", 10, 8800)
	brocade := f.product(boao, "BOAO-BROCADE", 10, 30000)
	byOffice := f.place(sale("tok-1", visitor, line(tea, 1), line(brocade, 1)))
	byCustomer := f.place(sale("tok-2", visitor, line(tea, 1)))
	expiring := f.place(sale("tok-3", visitor2, line(brocade, 2)))

	if _, err := f.store.SetStatus(f.ctx, byOffice.Number, orders.Cancelled, "telegram:7001"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.CancelByCustomer(f.ctx, byCustomer.Number, visitor); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(72 * time.Hour)
	if n, err := f.store.ExpireStale(f.ctx, 48*time.Hour); err != nil || n != 1 {
		t.Fatalf("ExpireStale() = %d, %v; want 1", n, err)
	}

	notices := f.villageNotices("order_cancelled")
	want := fmt.Sprint([]string{
		fmt.Sprintf("9001:%d:%d", byOffice.Number, maona),
		fmt.Sprintf("9002:%d:%d", byOffice.Number, maona),
		fmt.Sprintf("9003:%d:%d", byOffice.Number, boao),
		fmt.Sprintf("9001:%d:%d", byCustomer.Number, maona),
		fmt.Sprintf("9002:%d:%d", byCustomer.Number, maona),
		fmt.Sprintf("9003:%d:%d", expiring.Number, boao),
	})
	if fmt.Sprint(notices) != want {
		t.Errorf("order_cancelled notices = %v,\nwant %v", notices, want)
	}
}
