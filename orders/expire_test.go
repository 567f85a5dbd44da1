package orders_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"villagebot/orders"
)

func TestExpireStaleCancelsOnlyOldPlacedSales(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.village("maona")
	tea := f.product(v, "MAONA-TEA", 100, 8800)
	brocade := f.product(v, "LI-BROCADE", 100, 30000, giftable)

	stale := f.place(sale("stale", visitor, line(tea, 2)))
	confirmed := f.place(sale("confirmed", visitor, line(tea, 1)))
	if _, err := f.store.SetStatus(f.ctx, confirmed.Number, orders.Confirmed, "telegram:7001"); err != nil {
		t.Fatal(err)
	}
	preparing := f.place(sale("preparing", visitor, line(tea, 1)))
	if _, _, err := f.store.MarkReady(f.ctx, preparing.Number, v, "telegram:9001"); err != nil {
		t.Fatal(err)
	}
	present := f.place(gift("gift", officer, line(brocade, 1)))
	f.clock.Add(50 * time.Minute)
	recent := f.place(sale("recent", visitor2, line(tea, 1)))
	f.clock.Add(20 * time.Minute) // stale is 70 minutes old, recent 20

	n, err := f.store.ExpireStale(f.ctx, time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("ExpireStale() = %d, %v; want 1", n, err)
	}
	for _, c := range []struct {
		o    orders.Order
		want orders.Status
	}{{stale, orders.Cancelled}, {confirmed, orders.Confirmed}, {preparing, orders.Ready}, {present, orders.Placed}, {recent, orders.Placed}} {
		got, err := f.store.Get(f.ctx, c.o.Number)
		if err != nil || got.Status != c.want {
			t.Errorf("%s: %s, %v; want %s", c.o.Ref(), got.Status, err, c.want)
		}
	}
	if f.stock(tea) != 100-1-1-1 {
		t.Errorf("stock %d, want 97", f.stock(tea))
	}
	if n := f.count(`SELECT count(*) FROM stock_ledger WHERE order_id = $1 AND reason = 'expire' AND actor = 'system' AND delta = 2`, stale.ID); n != 1 {
		t.Errorf("%d expire rows in the ledger", n)
	}
	if es := f.events(stale.ID); es[len(es)-1] != (event{"placed", "cancelled", "system", "expired"}) {
		t.Errorf("events %+v", es)
	}
	notices := f.outbox("expired")
	if len(notices) != 1 || notices[0].ChatID != visitor || notices[0].Payload["order"] != float64(stale.Number) {
		t.Errorf("expired notices %+v", notices)
	}

	if n, err := f.store.ExpireStale(f.ctx, time.Hour); err != nil || n != 0 {
		t.Errorf("ExpireStale() again = %d, %v; want 0", n, err)
	}
	if _, err := f.store.ExpireStale(f.ctx, 0); !errors.Is(err, orders.ErrInvalid) {
		t.Errorf("ExpireStale(0) = %v, want ErrInvalid", err)
	}
}

func TestExpireStaleConcurrentlyCancelsEachOrderOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.village("maona")
	tea := f.product(v, "MAONA-TEA", 1000, 8800)
	honey := f.product(v, "MAONA-HONEY", 1000, 1500)
	const stale = 40
	for i := range stale {
		f.place(sale(fmt.Sprintf("tok-%d", i), visitor+int64(i%5), line(tea, 1+i%3), line(honey, 2)))
	}
	f.clock.Add(2 * time.Hour)

	const workers = 4
	counts := make([]int, workers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			<-start
			n, err := f.store.ExpireStale(f.ctx, time.Hour)
			if err != nil {
				t.Errorf("worker %d: %v", w, err)
			}
			counts[w] = n
		})
	}
	close(start)
	wg.Wait()

	total := 0
	for _, n := range counts {
		total += n
	}
	if total != stale {
		t.Errorf("workers cancelled %v orders, %d in all; want %d", counts, total, stale)
	}
	if n := f.count(`SELECT count(*) FROM order_events WHERE to_status = 'cancelled'`); n != stale {
		t.Errorf("%d cancel events, want %d", n, stale)
	}
	if n := f.count(`SELECT count(*) FROM stock_ledger WHERE reason = 'expire'`); n != 2*stale {
		t.Errorf("%d expire ledger rows, want %d", n, 2*stale)
	}
	if n := len(f.outbox("expired")); n != stale {
		t.Errorf("%d expired notices, want %d", n, stale)
	}
	if f.stock(tea) != 1000 || f.stock(honey) != 1000 {
		t.Errorf("stock %d and %d, want all back", f.stock(tea), f.stock(honey))
	}
	t.Logf("cancelled per worker: %v", counts)
}
