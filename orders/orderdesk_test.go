package orders_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"villagebot/orders"
)

// decoded claims every notification and decodes it, keyed "chat:kind".
func (f *fixture) decoded() map[string]any {
	f.tb.Helper()
	ns, err := f.store.ClaimNotifications(f.ctx, 1000)
	if err != nil {
		f.tb.Fatal(err)
	}
	got := map[string]any{}
	for _, n := range ns {
		p, err := n.Decode()
		if err != nil {
			f.tb.Fatalf("Decode(%s %s): %v", n.Kind, n.Payload, err)
		}
		got[fmt.Sprintf("%d:%s", n.ChatID, n.Kind)] = p
	}
	return got
}

// Every kind of notification decodes into its payload type with what the
// statement that wrote it meant, whether SQL or Go built its JSON.
func TestNotificationsDecodeIntoTheirPayloads(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	maona := f.village("maona")
	f.coordinator(9001, maona)
	f.office(officer)
	f.store.LowStock = 5
	tea := f.product(maona, "MAONA-TEA", 6, 8800)
	o := f.place(sale("tok-1", visitor, line(tea, 1)))
	if _, err := f.store.SetStatus(f.ctx, o.Number, orders.Confirmed, "telegram:7001"); err != nil {
		t.Fatal(err)
	}
	got := f.decoded()
	want := map[string]any{
		"9001:new_order":                orders.OrderNotice{Order: o.Number, VillageID: maona},
		"7001:new_order":                orders.OrderNotice{Order: o.Number},
		"9001:low_stock":                orders.LowStockNotice{ProductID: tea, SKU: "MAONA-TEA", Stock: 5},
		fmt.Sprint(visitor) + ":status": orders.StatusNotice{Order: o.Number, Status: orders.Confirmed},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("decoded notifications\n got %v\nwant %v", got, want)
	}

	for _, bad := range []orders.Notification{
		{ID: 1, Kind: "gossip", Payload: []byte(`{}`)},
		{ID: 2, Kind: orders.NoticeNewOrder, Payload: []byte(`{"village_id": 3}`)},
		{ID: 3, Kind: orders.NoticeStatus, Payload: []byte(`{"order": 5, "status": "lost"}`)},
		{ID: 4, Kind: orders.NoticeLowStock, Payload: []byte(`[]`)},
	} {
		if p, err := bad.Decode(); err == nil {
			t.Errorf("Decode(%s %s) = %v, want an error", bad.Kind, bad.Payload, p)
		}
	}
}

// Office staff hear of every order while their alerts are on; an order
// holding a village without a coordinator reaches them whatever their
// alerts say; the office member who placed a gift is not told of it.
func TestOfficeAlertsAlwaysReachSomeone(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	maona, lonely := f.village("maona"), f.village("lonely")
	f.coordinator(9001, maona)
	f.office(officer)
	f.office(7002)
	tea := f.product(maona, "MAONA-TEA", 50, 8800, giftable)
	honey := f.product(lonely, "LONELY-HONEY", 50, 1500)

	a := f.place(sale("a", visitor, line(tea, 1)))
	f.exec(`UPDATE staff SET alerts = false WHERE telegram_id = 7002`)
	b := f.place(sale("b", visitor, line(tea, 1)))
	c := f.place(sale("c", visitor, line(tea, 1), line(honey, 1)))
	g := f.place(gift("g", officer, line(tea, 1)))

	want := fmt.Sprint([]string{
		fmt.Sprintf("9001:%d:%d", a.Number, maona), fmt.Sprintf("7001:%d:<nil>", a.Number), fmt.Sprintf("7002:%d:<nil>", a.Number),
		fmt.Sprintf("9001:%d:%d", b.Number, maona), fmt.Sprintf("7001:%d:<nil>", b.Number),
		fmt.Sprintf("9001:%d:%d", c.Number, maona), fmt.Sprintf("7001:%d:<nil>", c.Number), fmt.Sprintf("7002:%d:<nil>", c.Number),
		fmt.Sprintf("9001:%d:%d", g.Number, maona),
	})
	if got := fmt.Sprint(f.villageNotices("new_order")); got != want {
		t.Errorf("new_order notices\n got %v\nwant %v", got, want)
	}

	// The office member who cancels is not told; the others who were
	// told of the order are.
	if _, err := f.store.CancelByStaff(f.ctx, c.Number, orders.ReasonOutOfStock, "", "telegram:7001"); err != nil {
		t.Fatal(err)
	}
	want = fmt.Sprint([]string{fmt.Sprintf("9001:%d:%d", c.Number, maona), fmt.Sprintf("7002:%d:<nil>", c.Number)})
	if got := fmt.Sprint(f.villageNotices("order_cancelled")); got != want {
		t.Errorf("order_cancelled notices\n got %v\nwant %v", got, want)
	}
}

// Staff cancel with a reason: the event keeps it, the customer's notice
// carries it, and a bad reason or a finished order changes nothing.
func TestCancelByStaffKeepsTheReason(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	maona := f.village("maona")
	tea := f.product(maona, "MAONA-TEA", 10, 8800)
	a := f.place(sale("a", visitor, line(tea, 2)))
	b := f.place(sale("b", visitor2, line(tea, 1)))

	for _, c := range []struct {
		reason orders.CancelReason
		text   string
	}{{"bored", ""}, {orders.ReasonOther, ""}, {orders.ReasonOther, "  "}, {orders.ReasonOther, "bad\x00text"}, {orders.ReasonOther, string(make([]rune, 201))}} {
		if _, err := f.store.CancelByStaff(f.ctx, a.Number, c.reason, c.text, "telegram:7001"); !errors.Is(err, orders.ErrInvalid) {
			t.Errorf("CancelByStaff(%q, %q) = %v, want ErrInvalid", c.reason, c.text, err)
		}
	}
	if f.stock(tea) != 7 || len(f.outbox("status")) != 0 {
		t.Fatalf("a refused cancel changed something: stock %d", f.stock(tea))
	}

	if _, err := f.store.CancelByStaff(f.ctx, a.Number, orders.ReasonOutOfStock, "ignored", "telegram:7001"); err != nil {
		t.Fatal(err)
	}
	o, err := f.store.CancelByStaff(f.ctx, b.Number, orders.ReasonOther, " Closed for the typhoon ", "telegram:7001")
	if err != nil || o.Status != orders.Cancelled {
		t.Fatalf("CancelByStaff() = %v, %v", o.Status, err)
	}
	if _, err := f.store.CancelByStaff(f.ctx, b.Number, orders.ReasonOutOfStock, "", "telegram:7001"); !errors.Is(err, orders.ErrBadTransition) {
		t.Errorf("cancelling twice: %v, want ErrBadTransition", err)
	}
	if es := f.events(a.ID); es[len(es)-1] != (event{"placed", "cancelled", "telegram:7001", "out_of_stock"}) {
		t.Errorf("events of a: %+v", es)
	}
	if es := f.events(b.ID); es[len(es)-1] != (event{"placed", "cancelled", "telegram:7001", "other: Closed for the typhoon"}) {
		t.Errorf("events of b: %+v", es)
	}
	if f.stock(tea) != 10 {
		t.Errorf("stock %d, want 10", f.stock(tea))
	}
	got := f.decoded()
	want := map[string]any{
		fmt.Sprint(visitor) + ":status":  orders.StatusNotice{Order: a.Number, Status: orders.Cancelled, Reason: orders.ReasonOutOfStock},
		fmt.Sprint(visitor2) + ":status": orders.StatusNotice{Order: b.Number, Status: orders.Cancelled, Reason: orders.ReasonOther, ReasonText: "Closed for the typhoon"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("notices\n got %v\nwant %v", got, want)
	}
}

// A sale still placed is reminded of once, remind before the hold ends
// it, to the readers of its new-order notice; confirmed sales, gifts and
// sales already past the hold are not.
func TestRemindDueRemindsOnceBeforeTheHoldEnds(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	maona, lonely := f.village("maona"), f.village("lonely")
	f.coordinator(9001, maona)
	f.office(officer)
	f.exec(`UPDATE staff SET alerts = false WHERE telegram_id = $1`, officer)
	tea := f.product(maona, "MAONA-TEA", 50, 8800, giftable)
	honey := f.product(lonely, "LONELY-HONEY", 50, 1500)
	const hold, remind = 48 * time.Hour, 12 * time.Hour

	old := f.place(sale("old", visitor, line(tea, 1))) // past the hold by the time reminders run
	f.clock.Add(49 * time.Hour)
	mine := f.place(sale("mine", visitor, line(tea, 1)))
	shared := f.place(sale("shared", visitor2, line(tea, 1), line(honey, 1)))
	confirmed := f.place(sale("confirmed", visitor, line(tea, 1)))
	if _, err := f.store.SetStatus(f.ctx, confirmed.Number, orders.Confirmed, "telegram:7001"); err != nil {
		t.Fatal(err)
	}
	f.place(gift("gift", officer, line(tea, 1)))
	f.clock.Add(2 * time.Hour)
	young := f.place(sale("young", visitor, line(tea, 1)))

	// 35 h after mine: 13 h of its hold left, too early.
	f.clock.Add(33 * time.Hour)
	if n, err := f.store.RemindDue(f.ctx, hold, remind); err != nil || n != 0 {
		t.Fatalf("RemindDue() 13 h before = %d, %v; want 0", n, err)
	}
	// 37 h after mine and shared: 11 h left; young has 13 h left.
	f.clock.Add(2 * time.Hour)
	if n, err := f.store.RemindDue(f.ctx, hold, remind); err != nil || n != 2 {
		t.Fatalf("RemindDue() = %d, %v; want 2", n, err)
	}
	if n, err := f.store.RemindDue(f.ctx, hold, remind); err != nil || n != 0 {
		t.Fatalf("RemindDue() again = %d, %v; want 0", n, err)
	}
	// The office, alerts off, hears of shared: its village "lonely" has no
	// coordinator.
	want := fmt.Sprint([]string{
		fmt.Sprintf("9001:%d:%d", mine.Number, maona),
		fmt.Sprintf("9001:%d:%d", shared.Number, maona), fmt.Sprintf("7001:%d:<nil>", shared.Number),
	})
	if got := fmt.Sprint(f.villageNotices("order_reminder")); got != want {
		t.Errorf("reminders\n got %v\nwant %v", got, want)
	}

	// young's hold ended with no reminder run in its last 12 hours (the
	// bot was down): it expires untold rather than being reminded late.
	f.clock.Add(14 * time.Hour)
	if n, err := f.store.RemindDue(f.ctx, hold, remind); err != nil || n != 0 {
		t.Fatalf("RemindDue() after the hold = %d, %v; want 0", n, err)
	}
	if n, err := f.store.ExpireStale(f.ctx, hold); err != nil || n != 4 {
		t.Fatalf("ExpireStale() = %d, %v; want 4 (old, mine, shared, young)", n, err)
	}
	if got, err := f.store.Get(f.ctx, young.Number); err != nil || got.Status != orders.Cancelled {
		t.Errorf("young: %v, %v", got.Status, err)
	}
	_ = old

	for _, bad := range [][2]time.Duration{{0, time.Hour}, {time.Hour, 0}, {time.Hour, time.Hour}, {time.Hour, 2 * time.Hour}} {
		if _, err := f.store.RemindDue(f.ctx, bad[0], bad[1]); !errors.Is(err, orders.ErrInvalid) {
			t.Errorf("RemindDue(%v, %v) = %v, want ErrInvalid", bad[0], bad[1], err)
		}
	}
}

// Reminders run by several processes at once remind of each sale once.
func TestRemindDueConcurrentRunsRemindOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	maona := f.village("maona")
	f.coordinator(9001, maona)
	tea := f.product(maona, "MAONA-TEA", 100, 8800)
	const sales = 20
	for i := range sales {
		f.place(sale(fmt.Sprintf("s%d", i), visitor, line(tea, 1)))
	}
	f.clock.Add(40 * time.Hour)
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 4 {
		wg.Go(func() {
			n, err := f.store.RemindDue(f.ctx, 48*time.Hour, 12*time.Hour)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		})
	}
	wg.Wait()
	if total != sales || len(f.outbox("order_reminder")) != sales {
		t.Errorf("%d reminded, %d reminders; want %d", total, len(f.outbox("order_reminder")), sales)
	}
}
