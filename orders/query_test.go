package orders_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"villagebot/orders"
)

func numbers(os []orders.Order) []int64 {
	var ns []int64
	for _, o := range os {
		ns = append(ns, o.Number)
	}
	return ns
}

func TestQueries(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	maona, boao := f.village("maona"), f.village("boao")
	tea := f.product(maona, "MAONA-TEA", 100, 8800)
	brocade := f.product(boao, "LI-BROCADE", 100, 30000, giftable)

	var placed []orders.Order
	for i, ls := range [][]orders.LineRequest{
		{line(tea, 1)},                   // 0: maona only
		{line(brocade, 1)},               // 1: boao only
		{line(tea, 1), line(brocade, 2)}, // 2: both
		{line(tea, 3)},                   // 3: delivered
		{line(brocade, 1)},               // 4: cancelled
	} {
		placed = append(placed, f.place(sale(fmt.Sprintf("tok-%d", i), visitor, ls...)))
		f.clock.Add(time.Minute)
	}
	other := f.place(gift("tok-gift", officer, line(brocade, 1)))
	for _, s := range pathTo[orders.Delivered] {
		if _, err := f.store.SetStatus(f.ctx, placed[3].Number, s, "cli"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.store.CancelByCustomer(f.ctx, placed[4].Number, visitor); err != nil {
		t.Fatal(err)
	}

	t.Run("Get finds an order by number with its lines", func(t *testing.T) {
		o, err := f.store.Get(f.ctx, placed[2].Number)
		if err != nil || len(o.Lines) != 2 || o.Lines[1].Quantity != 2 || o.Lines[1].VillageCode != "boao" {
			t.Fatalf("Get() = %+v, %v", o, err)
		}
		if _, err := f.store.Get(f.ctx, 999999); !errors.Is(err, orders.ErrNotFound) {
			t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
		}
	})
	t.Run("ByToken finds the order of a checkout", func(t *testing.T) {
		o, err := f.store.ByToken(f.ctx, "tok-1")
		if err != nil || o.Number != placed[1].Number || len(o.Lines) != 1 {
			t.Fatalf("ByToken() = %+v, %v", o, err)
		}
		if _, err := f.store.ByToken(f.ctx, "nope"); !errors.Is(err, orders.ErrNotFound) {
			t.Errorf("ByToken(unknown) = %v, want ErrNotFound", err)
		}
	})
	t.Run("ForCustomer lists one's orders newest first", func(t *testing.T) {
		os, err := f.store.ForCustomer(f.ctx, visitor, 3)
		want := []int64{placed[4].Number, placed[3].Number, placed[2].Number}
		if err != nil || fmt.Sprint(numbers(os)) != fmt.Sprint(want) {
			t.Fatalf("ForCustomer() = %v, %v; want %v", numbers(os), err, want)
		}
		if len(os[2].Lines) != 2 || os[0].Status != orders.Cancelled {
			t.Errorf("orders %+v", os)
		}
		if os, err := f.store.ForCustomer(f.ctx, visitor, 0); err != nil || len(os) != 5 {
			t.Errorf("ForCustomer(limit 0) = %d orders, %v; want all 5", len(os), err)
		}
		if os, err := f.store.ForCustomer(f.ctx, 424242, 10); err != nil || len(os) != 0 {
			t.Errorf("ForCustomer(stranger) = %v, %v", os, err)
		}
	})
	t.Run("Open lists all open orders oldest first", func(t *testing.T) {
		os, total, err := f.store.Open(f.ctx, 0, 0)
		want := []int64{placed[0].Number, placed[1].Number, placed[2].Number, other.Number}
		if err != nil || total != 4 || fmt.Sprint(numbers(os)) != fmt.Sprint(want) {
			t.Fatalf("Open(0) = %v of %d, %v; want %v", numbers(os), total, err, want)
		}
		if len(os[2].Lines) != 2 {
			t.Errorf("Open(0) cut lines: %+v", os[2].Lines)
		}
		if os, total, err := f.store.Open(f.ctx, 0, 2); err != nil || total != 4 || fmt.Sprint(numbers(os)) != fmt.Sprint(want[:2]) {
			t.Errorf("Open(0, limit 2) = %v of %d, %v; want %v of 4", numbers(os), total, err, want[:2])
		}
	})
	t.Run("Open for a village shows only its orders and its lines", func(t *testing.T) {
		os, total, err := f.store.Open(f.ctx, boao, 10)
		want := []int64{placed[1].Number, placed[2].Number, other.Number}
		if err != nil || total != 3 || fmt.Sprint(numbers(os)) != fmt.Sprint(want) {
			t.Fatalf("Open(boao) = %v of %d, %v; want %v", numbers(os), total, err, want)
		}
		for _, o := range os {
			for _, l := range o.Lines {
				if l.VillageID != boao {
					t.Errorf("%s shows a line of village %d", o.Ref(), l.VillageID)
				}
			}
		}
		if len(os[1].Lines) != 1 || os[1].Total != 8800+2*30000 {
			t.Errorf("mixed order = %+v", os[1])
		}
		if os, total, err := f.store.Open(f.ctx, 999, 10); err != nil || len(os) != 0 || total != 0 {
			t.Errorf("Open(unknown village) = %v of %d, %v", os, total, err)
		}
	})
}
