package orders_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"villagebot/catalog"
	"villagebot/orders"
)

func TestPlaceReservesSnapshotsAndNotifies(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	maona, boao := f.village("maona"), f.village("boao")
	tea := f.product(maona, "MAONA-TEA", 10, 8800)
	honey := f.product(maona, "MAONA-HONEY", 20, 1500)
	brocade := f.product(boao, "LI-BROCADE", 7, 30000)
	f.coordinator(9001, maona)
	f.coordinator(9002, maona)
	f.coordinator(9003, boao)
	f.office(officer)

	req := sale("tok-happy", visitor, line(honey, 2), line(tea, 1), line(brocade, 1), line(tea, 2))
	req.Delivery, req.Address, req.Notes = orders.Hotel, "  Sofitel Boao, room 1208 ", "after 6 pm"
	o, created, err := f.store.Place(f.ctx, req)
	if err != nil || !created {
		t.Fatalf("Place() = created %v, %v", created, err)
	}

	if o.Number < 1001 || o.Ref() != fmt.Sprintf("#%d", o.Number) {
		t.Errorf("Number %d, Ref %q", o.Number, o.Ref())
	}
	if o.Kind != orders.Sale || o.Status != orders.Placed || o.CustomerID != visitor || o.ChatID != visitor {
		t.Errorf("order = %+v", o)
	}
	if o.Address != "Sofitel Boao, room 1208" || o.Contact != "Anna Petrova" || o.Delivery != orders.Hotel {
		t.Errorf("address %q, contact %q, delivery %q", o.Address, o.Contact, o.Delivery)
	}
	if want := catalog.Money(3*8800 + 2*1500 + 30000); o.Total != want {
		t.Errorf("Total = %v, want %v", o.Total, want)
	}
	wantLines := []struct {
		product int64
		sku     string
		village string
		qty     int
		price   catalog.Money
	}{
		{tea, "MAONA-TEA", "maona", 3, 8800}, // two lines of one product merged
		{honey, "MAONA-HONEY", "maona", 2, 1500},
		{brocade, "LI-BROCADE", "boao", 1, 30000},
	}
	if len(o.Lines) != len(wantLines) {
		t.Fatalf("%d lines, want %d", len(o.Lines), len(wantLines))
	}
	for i, w := range wantLines {
		l := o.Lines[i]
		if l.ProductID != w.product || l.SKU != w.sku || l.VillageCode != w.village || l.Quantity != w.qty ||
			l.UnitPrice != w.price || l.Name.Get("zh") != w.sku+"茶" || l.Unit.Get("en") != "box" || l.ReadyAt != nil {
			t.Errorf("line %d = %+v, want %+v", i, l, w)
		}
	}

	// What Place returns is what is stored.
	got, err := f.store.Get(f.ctx, o.Number)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(o) {
		t.Errorf("Get() = %+v\nPlace() = %+v", got, o)
	}

	for p, want := range map[int64]int{tea: 7, honey: 18, brocade: 6} {
		if s := f.stock(p); s != want {
			t.Errorf("stock of %d = %d, want %d", p, s, want)
		}
	}
	if n := f.count(`SELECT count(*) FROM stock_ledger WHERE order_id = $1 AND reason = 'order' AND actor = 'telegram:5001'`, o.ID); n != 3 {
		t.Errorf("%d ledger rows for the order, want 3", n)
	}
	if es := f.events(o.ID); len(es) != 1 || es[0] != (event{"", "placed", "telegram:5001", ""}) {
		t.Errorf("events = %+v", es)
	}
	if n := f.count(`SELECT count(*) FROM customers WHERE telegram_id = $1 AND username = 'user5001' AND chat_id = $1`, visitor); n != 1 {
		t.Errorf("customer not recorded")
	}

	// One notice per coordinator of each village, with the village; one
	// per office member with alerts on (the default), with all lines.
	notices := f.villageNotices("new_order")
	want := fmt.Sprint([]string{
		fmt.Sprintf("9001:%d:%d", o.Number, maona),
		fmt.Sprintf("9002:%d:%d", o.Number, maona),
		fmt.Sprintf("9003:%d:%d", o.Number, boao),
		fmt.Sprintf("%d:%d:<nil>", officer, o.Number),
	})
	if fmt.Sprint(notices) != want {
		t.Errorf("new_order notices = %v, want %v", notices, want)
	}
	if n := f.count(`SELECT count(*) FROM outbox WHERE kind <> 'new_order'`); n != 0 {
		t.Errorf("%d other notices", n)
	}

	// Lines keep what was sold even when the catalog changes.
	f.exec(`UPDATE products SET price_fen = 1, names = '{"en": "renamed"}', units = '{"en": "sack"}', sku = 'NEW-SKU' WHERE id = $1`, tea)
	got, err = f.store.Get(f.ctx, o.Number)
	if err != nil {
		t.Fatal(err)
	}
	if l := got.Lines[0]; l.UnitPrice != 8800 || l.SKU != "MAONA-TEA" || l.Name.Get("en") != "MAONA-TEA tea" || l.Unit.Get("en") != "box" || got.Total != o.Total {
		t.Errorf("after a catalog change, line = %+v, total %v", l, got.Total)
	}
}

func TestPlaceReportsEveryShortLineAndChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.village("maona")
	plenty := f.product(v, "PLENTY", 5, 100)
	few := f.product(v, "FEW", 2, 100)
	none := f.product(v, "NONE", 0, 100)
	secret := f.product(v, "SECRET", 50, 100, hidden)
	after := f.product(v, "AFTER", 1, 100)
	f.coordinator(9001, v)

	req := sale("tok-short", visitor, line(plenty, 3), line(few, 3), line(none, 1), line(secret, 1), line(999999, 1), line(after, 2))
	_, created, err := f.store.Place(f.ctx, req)
	var short *orders.ShortError
	if created || !errors.Is(err, orders.ErrOutOfStock) || !errors.As(err, &short) {
		t.Fatalf("Place() = created %v, %v; want a *ShortError", created, err)
	}
	want := []orders.Shortage{
		{ProductID: few, SKU: "FEW", Wanted: 3, Left: 2},
		{ProductID: none, SKU: "NONE", Wanted: 1, Left: 0},
		{ProductID: secret, SKU: "SECRET", Wanted: 1, Left: 0, Unavailable: true},
		{ProductID: after, SKU: "AFTER", Wanted: 2, Left: 1},
		{ProductID: 999999, Wanted: 1, Unavailable: true},
	}
	if len(short.Lines) != len(want) {
		t.Fatalf("shortages = %+v, want %+v", short.Lines, want)
	}
	for i, w := range want {
		s := short.Lines[i]
		s.Name = nil
		if fmt.Sprint(s) != fmt.Sprint(w) {
			t.Errorf("shortage %d = %+v, want %+v", i, s, w)
		}
	}
	if short.Lines[0].Name.Get("en") != "FEW tea" {
		t.Errorf("shortage names the product %v", short.Lines[0].Name)
	}

	for p, s := range map[int64]int{plenty: 5, few: 2, none: 0, secret: 50, after: 1} {
		if f.stock(p) != s {
			t.Errorf("stock of %d = %d, want %d", p, f.stock(p), s)
		}
	}
	for _, table := range []string{"orders", "order_lines", "order_events", "outbox", "customers"} {
		if n := f.count(`SELECT count(*) FROM ` + table); n != 0 {
			t.Errorf("%d rows in %s", n, table)
		}
	}
	if n := f.count(`SELECT count(*) FROM stock_ledger WHERE reason <> 'initial'`); n != 0 {
		t.Errorf("%d ledger rows written", n)
	}

	// The token was not used up: the same checkout, trimmed to what is
	// there, goes through.
	o := f.place(sale("tok-short", visitor, line(plenty, 3), line(few, 2), line(after, 1)))
	if o.Total != 600 || f.stock(plenty) != 2 {
		t.Errorf("retry: total %v, stock %d", o.Total, f.stock(plenty))
	}
}

func TestPlaceGiftTakesOnlyVisibleGiftEligibleProducts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.village("maona")
	brocade := f.product(v, "LI-BROCADE", 10, 30000, giftable)
	tea := f.product(v, "MAONA-TEA", 10, 8800)
	stored := f.product(v, "STORED-GIFT", 10, 5000, giftable, hidden)

	for _, tc := range []struct {
		name    string
		product int64
	}{
		{"a product that is not gift-eligible", tea},
		{"a hidden gift-eligible product", stored},
	} {
		_, _, err := f.store.Place(f.ctx, gift("tok-"+tc.name, officer, line(brocade, 1), line(tc.product, 1)))
		var short *orders.ShortError
		if !errors.As(err, &short) || len(short.Lines) != 1 || !short.Lines[0].Unavailable || short.Lines[0].ProductID != tc.product {
			t.Errorf("gift with %s: %v", tc.name, err)
		}
	}
	if n := f.count(`SELECT count(*) FROM orders`); n != 0 {
		t.Fatalf("%d orders", n)
	}

	// A sale may take the tea; a gift the brocade, priced at catalog
	// price, with its date needed kept as the calendar date it was given.
	f.place(sale("tok-sale", visitor, line(tea, 1)))
	shanghai := time.FixedZone("CST", 8*3600)
	needed := time.Date(2026, 3, 25, 0, 30, 0, 0, shanghai) // still the 24th in UTC
	req := gift("tok-gift", officer, line(brocade, 2))
	req.NeededBy, req.Notes = &needed, "wrap in red"
	o := f.place(req)
	if o.Kind != orders.Gift || o.Phone != "" || o.Occasion != "Boao Forum annual conference" ||
		o.Recipient != "Delegation of Kazakhstan" || o.Country != "Kazakhstan" || o.Total != 60000 {
		t.Errorf("gift = %+v", o)
	}
	if o.NeededBy == nil || o.NeededBy.Format(time.DateOnly) != "2026-03-25" {
		t.Errorf("NeededBy = %v, want 2026-03-25", o.NeededBy)
	}
}

func TestPlaceSameTokenTwiceMakesOneOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.village("maona")
	p := f.product(v, "MAONA-TEA", 10, 8800)
	f.coordinator(9001, v)

	first := f.place(sale("tok-twice", visitor, line(p, 2)))
	again, created, err := f.store.Place(f.ctx, sale("tok-twice", visitor, line(p, 2)))
	if err != nil || created {
		t.Fatalf("second Place() = created %v, %v; want the first order", created, err)
	}
	if again.Number != first.Number || len(again.Lines) != 1 || again.Total != first.Total {
		t.Errorf("second Place() = %+v, want %+v", again, first)
	}
	if f.stock(p) != 8 || f.count(`SELECT count(*) FROM orders`) != 1 || len(f.outbox("new_order")) != 1 {
		t.Errorf("stock %d, %d orders, %d notices", f.stock(p), f.count(`SELECT count(*) FROM orders`), len(f.outbox("new_order")))
	}

	// Someone else presenting the token learns nothing of the order.
	o, created, err := f.store.Place(f.ctx, sale("tok-twice", visitor2, line(p, 1)))
	if !errors.Is(err, orders.ErrForbidden) || created || o.Number != 0 || o.Lines != nil {
		t.Errorf("Place() by another customer = %+v, %v, %v; want ErrForbidden and nothing", o, created, err)
	}
	if f.stock(p) != 8 || f.count(`SELECT count(*) FROM customers`) != 1 {
		t.Errorf("the refused attempt changed something")
	}
}

func TestPlaceSameTokenConcurrently(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		customerFor func(i int) int64
	}{
		{"from one customer: one order, the others get it back", func(int) int64 { return visitor }},
		{"from different customers: one order, the others are refused", func(i int) int64 { return visitor + int64(i) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			p := f.product(f.village("maona"), "MAONA-TEA", 100, 8800)
			const n = 12
			type result struct {
				o       orders.Order
				created bool
				err     error
			}
			results := make([]result, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					o, created, err := f.store.Place(f.ctx, sale("tok-race", tc.customerFor(i), line(p, 3)))
					results[i] = result{o, created, err}
				})
			}
			close(start)
			wg.Wait()

			var winner orders.Order
			createdCount := 0
			for _, r := range results {
				if r.created {
					createdCount++
					winner = r.o
				}
			}
			if createdCount != 1 {
				t.Fatalf("%d orders created, want 1: %+v", createdCount, results)
			}
			for i, r := range results {
				switch {
				case r.created:
				case tc.customerFor(i) == winner.CustomerID:
					if r.err != nil || r.o.Number != winner.Number || len(r.o.Lines) != 1 {
						t.Errorf("goroutine %d: %+v, %v; want order %d", i, r.o, r.err, winner.Number)
					}
				default:
					if !errors.Is(r.err, orders.ErrForbidden) || r.o.Number != 0 {
						t.Errorf("goroutine %d (customer %d): %+v, %v; want ErrForbidden", i, tc.customerFor(i), r.o, r.err)
					}
				}
			}
			if f.stock(p) != 97 || f.count(`SELECT count(*) FROM orders`) != 1 {
				t.Errorf("stock %d, %d orders", f.stock(p), f.count(`SELECT count(*) FROM orders`))
			}
		})
	}
}

func TestPlaceNeverSellsAUnitTwice(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.product(f.village("maona"), "MAONA-TEA", 25, 8800)
	const buyers = 200
	var sold, refused, refusedOnes atomic.Int64
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range buyers {
		wg.Go(func() {
			qty := 1
			if i%10 == 0 {
				qty = 2
			}
			<-start
			o, _, err := f.store.Place(f.ctx, sale(fmt.Sprintf("tok-%d", i), visitor+int64(i%40), line(p, qty)))
			var short *orders.ShortError
			switch {
			case err == nil:
				sold.Add(int64(o.Lines[0].Quantity))
			case errors.As(err, &short):
				refused.Add(1)
				if qty == 1 {
					refusedOnes.Add(1)
				}
				if s := short.Lines[0]; s.Left >= s.Wanted || s.Unavailable {
					t.Errorf("buyer %d refused with %+v", i, s)
				}
			default:
				t.Errorf("buyer %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()

	// More single-unit buyers than units: some were refused, so the stock
	// ran out, every unit went to exactly one order.
	if refusedOnes.Load() == 0 {
		t.Fatalf("no single-unit buyer refused")
	}
	if sold.Load() != 25 || f.stock(p) != 0 {
		t.Errorf("sold %d units, stock %d; want 25 sold, 0 left", sold.Load(), f.stock(p))
	}
	if units := f.count(`SELECT COALESCE(sum(quantity), 0) FROM order_lines`); units != 25 {
		t.Errorf("order lines hold %d units", units)
	}
	t.Logf("%d units sold, %d buyers refused", sold.Load(), refused.Load())
}

func TestPlaceManyBuyersManyProducts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var villages, products []int64
	for i := range 4 {
		villages = append(villages, f.village(fmt.Sprintf("v%d", i)))
	}
	for i := range 20 {
		products = append(products, f.product(villages[i%4], fmt.Sprintf("P%02d", i), 10+i, catalog.Money(100*(i+1))))
	}
	f.coordinator(9001, villages[0])
	const buyers = 200
	var placed, refused atomic.Int64
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range buyers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			var ls []orders.LineRequest
			for range 1 + rng.IntN(4) {
				ls = append(ls, line(products[rng.IntN(len(products))], 1+rng.IntN(3)))
			}
			<-start
			o, _, err := f.store.Place(f.ctx, sale(fmt.Sprintf("tok-%d", i), visitor+int64(i), ls...))
			switch {
			case err == nil:
				placed.Add(1)
				var want catalog.Money
				for _, l := range o.Lines {
					want += l.LineTotal()
				}
				if o.Total != want {
					t.Errorf("order %d total %v, lines %v", o.Number, o.Total, want)
				}
			case errors.Is(err, orders.ErrOutOfStock):
				refused.Add(1)
			default:
				t.Errorf("buyer %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if placed.Load() == 0 || refused.Load() == 0 {
		t.Errorf("%d placed, %d refused; the test wants both", placed.Load(), refused.Load())
	}
	if n := f.count(`SELECT count(*) FROM orders`); int64(n) != placed.Load() {
		t.Errorf("%d orders stored, %d placed", n, placed.Load())
	}
	t.Logf("%d orders placed, %d refused", placed.Load(), refused.Load())
	// checkLedger balances every product when the test ends.
}

func TestLowStockIsToldOncePerCrossing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.village("maona")
	tea := f.product(v, "MAONA-TEA", 8, 8800)
	f.coordinator(9001, v)
	f.coordinator(9002, v)
	f.office(officer)
	f.coordinator(9003, f.village("boao"))
	low := func() []string {
		var got []string
		for _, r := range f.outbox("low_stock") {
			got = append(got, fmt.Sprintf("%d:%v:%v:%v", r.ChatID, r.Payload["product_id"], r.Payload["sku"], r.Payload["stock"]))
		}
		return got
	}

	f.place(sale("t1", visitor, line(tea, 2))) // 8 → 6: above the mark
	if got := low(); got != nil {
		t.Fatalf("told at 6: %v", got)
	}
	f.place(sale("t2", visitor, line(tea, 1))) // 6 → 5: reaches the mark
	want := []string{fmt.Sprintf("9001:%d:MAONA-TEA:5", tea), fmt.Sprintf("9002:%d:MAONA-TEA:5", tea)}
	if got := low(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("at 5: %v, want %v", got, want)
	}
	f.place(sale("t3", visitor, line(tea, 1))) // 5 → 4: below already
	f.place(sale("t4", visitor, line(tea, 4))) // 4 → 0
	if got := low(); len(got) != 2 {
		t.Fatalf("told again below the mark: %v", got)
	}
	f.restock(tea, 10)                         // 0 → 10
	f.place(sale("t5", visitor, line(tea, 7))) // 10 → 3: crosses again
	want = append(want, fmt.Sprintf("9001:%d:MAONA-TEA:3", tea), fmt.Sprintf("9002:%d:MAONA-TEA:3", tea))
	if got := low(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after restocking: %v, want %v", got, want)
	}

	// The mark is the store's to set.
	f.store.LowStock = 1
	f.restock(tea, 2)                          // 3 → 5
	f.place(sale("t6", visitor, line(tea, 3))) // 5 → 2: above a mark of 1
	f.place(sale("t7", visitor, line(tea, 1))) // 2 → 1
	if got := low(); len(got) != 6 {
		t.Fatalf("with a mark of 1: %v", got)
	}
}
