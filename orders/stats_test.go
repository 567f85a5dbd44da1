package orders_test

import (
	"testing"
	"time"

	"villagebot/catalog"
	"villagebot/orders"
)

// figures is a VillageStats without its name, for comparing.
type figures struct {
	Code                  string
	SaleOrders, SaleUnits int
	SaleValue             catalog.Money
	GiftOrders, GiftUnits int
	GiftValue             catalog.Money
}

func figuresOf(v orders.VillageStats) figures {
	return figures{v.Code, v.SaleOrders, v.SaleUnits, v.SaleValue, v.GiftOrders, v.GiftUnits, v.GiftValue}
}

func TestStats(t *testing.T) {
	t.Parallel()
	s := newScene(t)
	for _, tc := range []struct {
		name     string
		from, to *time.Time
		villages []figures
		total    figures
	}{
		{
			// #1002 (tea ×2 176.00, coffee ×1 120.50), #1003 gift (brocade
			// ×3 900.00, carving ×2 90.00), #1004 (tea ×1 88.00, brocade
			// ×1 300.00: two lines of maona, one order), #1006 (coffee ×1
			// 120.50); #1005 is cancelled.
			name: "April counts each order once per village and leaves cancelled orders out",
			from: day("2026-04-01"), to: day("2026-04-30"),
			villages: []figures{
				{"beireng", 2, 2, 24100, 1, 2, 9000},
				{"maona", 2, 4, 56400, 1, 3, 90000},
			},
			total: figures{"", 3, 6, 80500, 1, 5, 99000},
		},
		{
			name: "no bounds takes every day",
			villages: []figures{
				{"beireng", 2, 2, 24100, 2, 3, 13500},
				{"maona", 3, 5, 65200, 1, 3, 90000},
			},
			total: figures{"", 4, 7, 89300, 2, 6, 103500},
		},
		{
			name: "the last day runs to midnight in the office's time zone",
			from: day("2026-04-30"), to: day("2026-04-30"),
			villages: []figures{{"beireng", 1, 1, 12050, 0, 0, 0}},
			total:    figures{"", 1, 1, 12050, 0, 0, 0},
		},
		{
			name: "a range without orders has only zero totals",
			from: day("2026-06-01"), to: day("2026-06-30"),
			total: figures{"", 0, 0, 0, 0, 0, 0},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := s.store.Stats(s.ctx, tc.from, tc.to, shanghai)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Villages) != len(tc.villages) {
				t.Fatalf("%d villages %+v, want %+v", len(st.Villages), st.Villages, tc.villages)
			}
			for i, v := range st.Villages {
				if got := figuresOf(v); got != tc.villages[i] {
					t.Errorf("village %d: %+v, want %+v", i, got, tc.villages[i])
				}
			}
			if got := figuresOf(st.Total); got != tc.total {
				t.Errorf("total %+v, want %+v", got, tc.total)
			}
			if st.Total.VillageID != 0 || !st.Total.Name.Empty() {
				t.Errorf("total names village %d %v", st.Total.VillageID, st.Total.Name)
			}
		})
	}

	t.Run("names each village with its id and current names", func(t *testing.T) {
		st, err := s.store.Stats(s.ctx, nil, nil, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		maona := st.Villages[1]
		if maona.VillageID != s.maona || maona.Name.Get("zh") != "毛纳村" || maona.Name.Get("ru") != "Маона" {
			t.Errorf("maona is %d %v, want %d 毛纳村 Маона", maona.VillageID, maona.Name, s.maona)
		}
		if maona.Orders() != 4 || maona.Units() != 8 || maona.Value() != 155200 {
			t.Errorf("maona all kinds: %d orders, %d units, %s; want 4, 8, 1552.00", maona.Orders(), maona.Units(), maona.Value())
		}
	})
}

func TestStatsOfAnEmptyShop(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	st, err := f.store.Stats(f.ctx, nil, nil, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Villages) != 0 || figuresOf(st.Total) != (figures{}) {
		t.Errorf("Stats = %+v, want nothing", st)
	}
}
