package catalog_test

import (
	"context"
	"testing"

	"villagebot/catalog"
	"villagebot/catalog/catalogtest"
	"villagebot/internal/pgtest"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	t.Run("the demo catalog parses and follows SPEC §9", func(t *testing.T) {
		t.Parallel()
		b, err := catalog.Demo()
		if err != nil {
			t.Fatal(err)
		}
		codes := map[string]bool{}
		for _, v := range b.Villages {
			codes[v.Village.Code] = true
			for _, lang := range []string{"zh", "en", "ru"} {
				if v.Village.Name[lang] == "" || v.Village.Region[lang] == "" || v.Village.Story[lang] == "" {
					t.Errorf("village %s lacks a %s name, region or story", v.Village.Code, lang)
				}
			}
		}
		for _, c := range []string{"maona", "beireng", "shamei", "xinglong", "baisha", "qiongzhong"} {
			if !codes[c] {
				t.Errorf("village %s missing", c)
			}
		}
		if len(b.Products) < 12 {
			t.Errorf("%d products, want a dozen or more", len(b.Products))
		}
		gifts, low, hidden := 0, 0, 0
		for _, r := range b.Products {
			p := r.Product
			if p.Gift {
				gifts++
			}
			if p.Category == catalog.Handicraft && !p.Gift {
				t.Errorf("handicraft %s is not gift-eligible", p.SKU)
			}
			if p.Stock <= 5 {
				low++
			}
			if !p.Visible {
				hidden++
			}
			for _, lang := range []string{"zh", "en", "ru"} {
				if p.Name[lang] == "" || p.Unit[lang] == "" || p.Story[lang] == "" {
					t.Errorf("product %s lacks a %s name, unit or story", p.SKU, lang)
				}
			}
			if p.Price <= 0 {
				t.Errorf("product %s has no price", p.SKU)
			}
		}
		if gifts < 3 {
			t.Errorf("%d gift-eligible products, want several", gifts)
		}
		if low != 1 {
			t.Errorf("%d products with low stock, want exactly 1", low)
		}
		if hidden == 0 {
			t.Errorf("no hidden product to show what hiding does")
		}
	})
	t.Run("loading the demo twice changes nothing the second time", func(t *testing.T) {
		t.Parallel()
		db := pgtest.New(t)
		s := catalog.NewStore(db)
		ctx := context.Background()
		first, err := s.LoadDemo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := catalog.Demo()
		want := catalog.ImportResult{VillagesCreated: len(b.Villages), ProductsCreated: len(b.Products)}
		if first != want {
			t.Errorf("first load: %+v, want %+v", first, want)
		}
		before := dbState(t, db)
		second, err := s.LoadDemo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := (catalog.ImportResult{Unchanged: len(b.Villages) + len(b.Products)}); second != want {
			t.Errorf("second load: %+v, want %+v", second, want)
		}
		if after := dbState(t, db); after != before {
			t.Errorf("the second load changed the database")
		}
		catalogtest.CheckLedger(t, db)
		var initial int
		if err := db.GetContext(ctx, &initial, `SELECT count(*) FROM stock_ledger WHERE reason = 'initial' AND actor = 'demo'`); err != nil {
			t.Fatal(err)
		}
		if initial != len(b.Products) {
			t.Errorf("%d initial ledger rows, want one per product (%d)", initial, len(b.Products))
		}
	})
}
