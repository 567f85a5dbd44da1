package orders_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"villagebot/catalog"
	"villagebot/orders"
)

// seen is a line that carries the unit price its summary showed.
func seen(product int64, qty int, price catalog.Money) orders.LineRequest {
	return orders.LineRequest{ProductID: product, Quantity: qty, Seen: &orders.Seen{UnitPrice: price}}
}

func TestPlaceRefusesWhatChangedSinceTheSummary(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	maona := f.village("maona")
	tea := f.product(maona, "MAONA-TEA", 10, 8800, giftable)
	honey := f.product(maona, "MAONA-HONEY", 20, 1500, giftable)
	brocade := f.product(maona, "LI-BROCADE", 7, 30000, giftable)
	f.office(officer)

	for _, kind := range []orders.Kind{orders.Sale, orders.Gift} {
		t.Run("a raised price and a hidden product refuse the "+string(kind)+" order and change nothing", func(t *testing.T) {
			f.exec(`UPDATE products SET price_fen = 8800 WHERE id = $1`, tea)
			f.exec(`UPDATE products SET visible = true WHERE id = $1`, brocade)
			lines := []orders.LineRequest{seen(tea, 2, 8800), seen(honey, 1, 1500), seen(brocade, 1, 30000)}
			req := sale("tok-changed-"+string(kind), visitor, lines...)
			if kind == orders.Gift {
				req = gift("tok-changed-"+string(kind), officer, lines...)
			}
			// The coordinator raises the price and hides a product while
			// the customer looks at the summary.
			f.exec(`UPDATE products SET price_fen = 99900 WHERE id = $1`, tea)
			f.exec(`UPDATE products SET visible = false WHERE id = $1`, brocade)
			before := f.count(`SELECT count(*) FROM stock_ledger`)

			_, _, err := f.store.Place(f.ctx, req)
			var ce *orders.ChangedError
			if !errors.As(err, &ce) || !errors.Is(err, orders.ErrChanged) {
				t.Fatalf("Place() = %v, want a *ChangedError", err)
			}
			want := []orders.Change{
				{ProductID: tea, SKU: "MAONA-TEA", Seen: 8800, Price: 99900},
				{ProductID: brocade, SKU: "LI-BROCADE", Seen: 30000, Price: 30000, Hidden: true},
			}
			if len(ce.Lines) != len(want) {
				t.Fatalf("changed lines %+v, want %+v", ce.Lines, want)
			}
			for i, w := range want {
				got := ce.Lines[i]
				if got.ProductID != w.ProductID || got.SKU != w.SKU || got.Seen != w.Seen || got.Price != w.Price ||
					got.Hidden != w.Hidden || got.Name["en"] == "" {
					t.Errorf("line %d = %+v, want %+v", i, got, w)
				}
			}
			if n := f.count(`SELECT count(*) FROM orders WHERE checkout_token = $1`, req.Token); n != 0 {
				t.Errorf("%d orders placed", n)
			}
			if n := f.count(`SELECT count(*) FROM stock_ledger`); n != before {
				t.Errorf("ledger went from %d to %d rows", before, n)
			}
		})
	}
	t.Run("the same lines at the prices shown now are placed at those prices", func(t *testing.T) {
		f.exec(`UPDATE products SET price_fen = 99900 WHERE id = $1`, tea)
		o, created, err := f.store.Place(f.ctx, sale("tok-new-summary", visitor, seen(tea, 2, 99900), seen(honey, 1, 1500)))
		if err != nil || !created {
			t.Fatalf("Place() = %v, %v", created, err)
		}
		if want := catalog.Money(2*99900 + 1500); o.Total != want {
			t.Errorf("total %v, want %v", o.Total, want)
		}
	})
	t.Run("a lowered price is a change too", func(t *testing.T) {
		f.exec(`UPDATE products SET price_fen = 1000 WHERE id = $1`, honey)
		_, _, err := f.store.Place(f.ctx, sale("tok-lowered", visitor, seen(honey, 1, 1500)))
		if !errors.Is(err, orders.ErrChanged) {
			t.Errorf("Place() = %v, want ErrChanged", err)
		}
	})
	t.Run("a line without what was seen is placed at today's price", func(t *testing.T) {
		o, _, err := f.store.Place(f.ctx, sale("tok-unchecked", visitor, line(honey, 1)))
		if err != nil || o.Total != 1000 {
			t.Errorf("Place() = total %v, %v; want 10.00", o.Total, err)
		}
	})
	t.Run("one product seen at two prices is invalid", func(t *testing.T) {
		_, _, err := f.store.Place(f.ctx, sale("tok-two-prices", visitor, seen(honey, 1, 1000), seen(honey, 1, 1500)))
		if !errors.Is(err, orders.ErrInvalid) {
			t.Errorf("Place() = %v, want ErrInvalid", err)
		}
	})
}

func TestOrderNumbersHaveNoGaps(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	maona := f.village("maona")
	scarce := f.product(maona, "SCARCE", 20, 500)
	plenty := f.product(maona, "PLENTY", 1000, 700)

	// 50 buyers at once, each wanting 1 of PLENTY and 1 of SCARCE: 20 are
	// served, 30 refused for stock; some with a changed price, refused too.
	const buyers = 50
	var wg sync.WaitGroup
	errs := make([]error, buyers)
	numbers := make([]int64, buyers)
	for i := range buyers {
		wg.Go(func() {
			price := catalog.Money(500)
			if i%10 == 9 {
				price = 499 // a summary from before a price change
			}
			o, _, err := f.store.Place(f.ctx, sale(fmt.Sprintf("gap-%d", i), int64(10000+i), seen(plenty, 1, 700), seen(scarce, 1, price)))
			errs[i], numbers[i] = err, o.Number
		})
	}
	wg.Wait()

	var placed []int64
	refused := 0
	for i, err := range errs {
		switch {
		case err == nil:
			placed = append(placed, numbers[i])
		case errors.Is(err, orders.ErrOutOfStock), errors.Is(err, orders.ErrChanged):
			refused++
		default:
			t.Errorf("buyer %d: %v", i, err)
		}
	}
	if len(placed) != 20 || refused != buyers-20 {
		t.Errorf("%d placed, %d refused; want 20 and %d", len(placed), refused, buyers-20)
	}
	// The next order after the refused ones takes the next number too.
	f.restock(scarce, 1)
	o, _, err := f.store.Place(f.ctx, sale("gap-after", 20000, seen(scarce, 1, 500)))
	if err != nil {
		t.Fatal(err)
	}
	placed = append(placed, o.Number)
	slices.Sort(placed)
	for i, n := range placed {
		if want := int64(1001 + i); n != want {
			t.Fatalf("order numbers %v: want 1001 to %d without gaps", placed, 1000+len(placed))
		}
	}
	var stored []int64
	if err := f.db.SelectContext(f.ctx, &stored, `SELECT number FROM orders ORDER BY number`); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(stored, placed) {
		t.Errorf("stored numbers %v, returned %v", stored, placed)
	}
}
