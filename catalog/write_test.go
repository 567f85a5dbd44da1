package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/lib/pq"

	"villagebot/catalog"
	"villagebot/catalog/catalogtest"
	"villagebot/internal/pgtest"
)

type ledgerRow struct {
	Delta  int    `db:"delta"`
	Reason string `db:"reason"`
	Actor  string `db:"actor"`
}

func TestWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	lastLedger := func(t *testing.T, db dbx, sku string) ledgerRow {
		t.Helper()
		var r ledgerRow
		err := db.GetContext(ctx, &r, `SELECT l.delta, l.reason, l.actor FROM stock_ledger l
			JOIN products p ON p.id = l.product_id WHERE p.sku = $1 ORDER BY l.id DESC LIMIT 1`, sku)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	t.Run("setting stock writes the difference to the ledger", func(t *testing.T) {
		t.Parallel()
		s, db := demoStore(t)
		p, err := s.SetStock(ctx, "XL-COFFEE", 40, "telegram:7")
		if err != nil {
			t.Fatal(err)
		}
		if p.Stock != 40 || p.VillageCode != "xinglong" {
			t.Errorf("product = %+v", p)
		}
		if got := lastLedger(t, db, "XL-COFFEE"); got != (ledgerRow{-110, "adjust", "telegram:7"}) {
			t.Errorf("ledger row = %+v", got)
		}
		catalogtest.CheckLedger(t, db)
	})
	t.Run("setting the stock it has changes nothing", func(t *testing.T) {
		t.Parallel()
		s, db := demoStore(t)
		before := dbState(t, db)
		if _, err := s.SetStock(ctx, "XL-COFFEE", 150, "cli"); err != nil {
			t.Fatal(err)
		}
		if dbState(t, db) != before {
			t.Error("an unchanged stock touched the database")
		}
	})
	t.Run("adjusting stock adds and takes away, never below zero", func(t *testing.T) {
		t.Parallel()
		s, db := demoStore(t)
		p, err := s.AdjustStock(ctx, "BS-EMBROIDERY", +2, "cli")
		if err != nil || p.Stock != 5 {
			t.Fatalf("+2: %+v, %v", p, err)
		}
		p, err = s.AdjustStock(ctx, "BS-EMBROIDERY", -5, "cli")
		if err != nil || p.Stock != 0 {
			t.Fatalf("-5: %+v, %v", p, err)
		}
		before := dbState(t, db)
		_, err = s.AdjustStock(ctx, "BS-EMBROIDERY", -1, "cli")
		if !errors.Is(err, catalog.ErrStockBelowZero) || !errors.Is(err, catalog.ErrInvalid) {
			t.Fatalf("-1 below zero: %v", err)
		}
		if dbState(t, db) != before {
			t.Error("a refused adjustment changed the database")
		}
		if got := lastLedger(t, db, "BS-EMBROIDERY"); got != (ledgerRow{-5, "adjust", "cli"}) {
			t.Errorf("last ledger row = %+v", got)
		}
		catalogtest.CheckLedger(t, db)
	})
	t.Run("bad stock values and unknown SKUs are refused", func(t *testing.T) {
		t.Parallel()
		s, db := demoStore(t)
		before := dbState(t, db)
		cases := []struct {
			name string
			call func() error
			want error
		}{
			{"negative stock", func() error { _, err := s.SetStock(ctx, "XL-COFFEE", -1, "cli"); return err }, catalog.ErrInvalid},
			{"stock over a million", func() error { _, err := s.SetStock(ctx, "XL-COFFEE", 1_000_001, "cli"); return err }, catalog.ErrInvalid},
			{"an adjustment past a million", func() error { _, err := s.AdjustStock(ctx, "XL-COFFEE", 999_900, "cli"); return err }, catalog.ErrInvalid},
			{"an enormous adjustment", func() error { _, err := s.AdjustStock(ctx, "XL-COFFEE", -1<<40, "cli"); return err }, catalog.ErrInvalid},
			{"an unknown SKU", func() error { _, err := s.SetStock(ctx, "NOPE", 1, "cli"); return err }, catalog.ErrNotFound},
			{"no actor", func() error { _, err := s.SetStock(ctx, "XL-COFFEE", 1, " "); return err }, catalog.ErrInvalid},
			{"a negative price", func() error { _, err := s.SetPrice(ctx, "XL-COFFEE", -1, "cli"); return err }, catalog.ErrInvalid},
			{"a price over a million yuan", func() error { _, err := s.SetPrice(ctx, "XL-COFFEE", catalog.MaxPrice+1, "cli"); return err }, catalog.ErrInvalid},
			{"hiding an unknown SKU", func() error { _, err := s.SetVisible(ctx, "NOPE", false, "cli"); return err }, catalog.ErrNotFound},
			{"a photo id with spaces", func() error { _, err := s.SetPhoto(ctx, "XL-COFFEE", "a b"); return err }, catalog.ErrInvalid},
		}
		for _, c := range cases {
			if err := c.call(); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
		}
		if dbState(t, db) != before {
			t.Error("a refused change touched the database")
		}
	})
	t.Run("a price decided over an old price is set only while it is still the price", func(t *testing.T) {
		t.Parallel()
		s, _ := demoStore(t)
		before, err := s.ProductBySKU(ctx, "XL-COFFEE")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetPriceFrom(ctx, "XL-COFFEE", before.Price+1, 1, "cli"); !errors.Is(err, catalog.ErrPriceChanged) {
			t.Fatalf("over a price it no longer has: %v, want ErrPriceChanged", err)
		}
		if p, _ := s.ProductBySKU(ctx, "XL-COFFEE"); p.Price != before.Price {
			t.Fatalf("a refused change set the price to %s", p.Price)
		}
		p, err := s.SetPriceFrom(ctx, "XL-COFFEE", before.Price, 0, "cli")
		if err != nil || p.Price != 0 {
			t.Fatalf("over its price: %+v, %v", p, err)
		}
	})
	t.Run("price, visibility and photo change without touching stock", func(t *testing.T) {
		t.Parallel()
		s, db := demoStore(t)
		rows := ledgerRows(t, db)
		p, err := s.SetPrice(ctx, "xl-coffee", 9250, "cli")
		if err != nil || p.Price != 9250 {
			t.Fatalf("SetPrice: %+v, %v", p, err)
		}
		p, err = s.SetVisible(ctx, "XL-COFFEE", false, "cli")
		if err != nil || p.Visible {
			t.Fatalf("SetVisible: %+v, %v", p, err)
		}
		p, err = s.SetPhoto(ctx, "XL-COFFEE", "AgACAgIAAxkBAAIBZ2abc")
		if err != nil || p.PhotoFileID != "AgACAgIAAxkBAAIBZ2abc" {
			t.Fatalf("SetPhoto: %+v, %v", p, err)
		}
		got, err := s.ProductBySKU(ctx, "XL-COFFEE")
		if err != nil || got.Price != 9250 || got.Visible || got.PhotoFileID == "" || got.Stock != 150 {
			t.Errorf("stored product = %+v, %v", got, err)
		}
		if ledgerRows(t, db) != rows {
			t.Error("a change that is not of stock wrote the ledger")
		}
		res, _ := s.Search(ctx, "Xinglong Coffee Beans", 5)
		if len(res.Products) != 0 {
			t.Error("a hidden product is still found by search")
		}
	})
	t.Run("a new product gets an initial ledger row", func(t *testing.T) {
		t.Parallel()
		s, db := demoStore(t)
		p, err := s.CreateProduct(ctx, catalog.Product{
			SKU: "MN-GIFTBOX", VillageCode: "maona", Category: catalog.Tea,
			Name:  catalog.Texts{"zh": " 五指山红茶礼盒 ", "en": "Wuzhishan Black Tea Gift Box"},
			Price: 36800, Stock: 20, Gift: true, Visible: true,
		}, "telegram:42")
		if err != nil {
			t.Fatal(err)
		}
		if p.ID == 0 || p.VillageCode != "maona" || p.Name["zh"] != "五指山红茶礼盒" || p.Stock != 20 {
			t.Errorf("created = %+v", p)
		}
		if got := lastLedger(t, db, "MN-GIFTBOX"); got != (ledgerRow{20, "initial", "telegram:42"}) {
			t.Errorf("ledger row = %+v", got)
		}
		catalogtest.CheckLedger(t, db)
	})
	t.Run("a new product without stock has no ledger row", func(t *testing.T) {
		t.Parallel()
		s, db := demoStore(t)
		rows := ledgerRows(t, db)
		v, _ := s.VillageByCode(ctx, "baisha")
		_, err := s.CreateProduct(ctx, catalog.Product{
			SKU: "BS-NEW", VillageID: v.ID, Category: catalog.Tea, Name: catalog.Texts{"en": "New tea"}, Price: 100,
		}, "cli")
		if err != nil {
			t.Fatal(err)
		}
		if ledgerRows(t, db) != rows {
			t.Error("a ledger row of 0 was written")
		}
		catalogtest.CheckLedger(t, db)
	})
	t.Run("a new product must be valid, new and of a known village", func(t *testing.T) {
		t.Parallel()
		s, db := demoStore(t)
		before := dbState(t, db)
		base := catalog.Product{SKU: "MN-X", VillageCode: "maona", Category: catalog.Tea, Name: catalog.Texts{"en": "X"}, Price: 100}
		cases := []struct {
			name   string
			change func(p *catalog.Product)
			want   error
		}{
			{"a SKU that exists", func(p *catalog.Product) { p.SKU = "MN-BLACKTEA" }, catalog.ErrExists},
			{"a SKU that exists in another case", func(p *catalog.Product) { p.SKU = "mn-blacktea" }, catalog.ErrExists},
			{"an unknown village", func(p *catalog.Product) { p.VillageCode = "atlantis" }, catalog.ErrNotFound},
			{"an unknown village id", func(p *catalog.Product) { p.VillageCode, p.VillageID = "", 999999 }, catalog.ErrInvalid},
			{"no name", func(p *catalog.Product) { p.Name = nil }, catalog.ErrInvalid},
			{"a bad category", func(p *catalog.Product) { p.Category = "wine" }, catalog.ErrInvalid},
		}
		for _, c := range cases {
			p := base
			c.change(&p)
			if _, err := s.CreateProduct(ctx, p, "cli"); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
		}
		if dbState(t, db) != before {
			t.Error("a refused product touched the database")
		}
	})
	t.Run("the database itself refuses a SKU that differs only in case", func(t *testing.T) {
		t.Parallel()
		s, db := demoStore(t)
		p, err := s.ProductBySKU(ctx, "MN-BLACKTEA")
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.ExecContext(ctx, `INSERT INTO products
			(sku, village_id, category, names, units, stories, price_fen, stock, gift, visible, photo_url, photo_file_id)
			VALUES ('mn-blacktea', $1, 'tea', '{"en":"X"}', '{}', '{}', 1, 0, false, true, '', '')`, p.VillageID)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || pqErr.Code != "23505" || pqErr.Constraint != "products_sku_upper_key" {
			t.Errorf("insert of mn-blacktea beside MN-BLACKTEA: %v, want a unique violation of products_sku_upper_key", err)
		}
	})
	t.Run("a write returns the row it wrote", func(t *testing.T) {
		t.Parallel()
		s, _ := demoStore(t)
		created, err := s.CreateProduct(ctx, catalog.Product{SKU: "MN-NEW", VillageCode: "maona", Category: catalog.Tea,
			Name: catalog.Texts{"en": "New"}, Price: 100, Stock: 3, Visible: true}, "cli")
		if err != nil {
			t.Fatal(err)
		}
		stored, err := s.Product(ctx, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(created, stored) {
			t.Errorf("CreateProduct returned\n%+v\nstored\n%+v", created, stored)
		}
		changed, err := s.SetPrice(ctx, "mn-new", 250, "cli")
		if err != nil {
			t.Fatal(err)
		}
		stored, err = s.Product(ctx, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(changed, stored) || stored.Price != 250 {
			t.Errorf("SetPrice returned\n%+v\nstored\n%+v", changed, stored)
		}
	})
	t.Run("concurrent adjustments never lose a unit or go below zero", func(t *testing.T) {
		t.Parallel()
		db := pgtest.New(t)
		catalogtest.Seed(t, db)
		s := catalog.NewStore(db)
		if _, err := s.SetStock(ctx, "QZ-ORANGE", 10, "cli"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, short := 0, 0
		for range 16 {
			wg.Go(func() {
				_, err := s.AdjustStock(ctx, "QZ-ORANGE", -1, "cli")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, catalog.ErrStockBelowZero):
					short++
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		p, err := s.ProductBySKU(ctx, "QZ-ORANGE")
		if err != nil {
			t.Fatal(err)
		}
		if ok != 10 || short != 6 || p.Stock != 0 {
			t.Errorf("%d taken, %d refused, %d left; want 10, 6, 0", ok, short, p.Stock)
		}
		catalogtest.CheckLedger(t, db)
	})
	t.Run("price, visibility and gift changes are recorded with who made them", func(t *testing.T) {
		t.Parallel()
		s, db := demoStore(t)
		if _, err := s.SetPrice(ctx, "XL-COFFEE", 9900, "telegram:7"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetPrice(ctx, "XL-COFFEE", 9900, "telegram:7"); err != nil { // the same: nothing to record
			t.Fatal(err)
		}
		if _, err := s.SetVisible(ctx, "XL-COFFEE", false, "telegram:8"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetStock(ctx, "XL-COFFEE", 3, "telegram:8"); err != nil { // the ledger's, not a change
			t.Fatal(err)
		}
		var got []string
		err := db.SelectContext(ctx, &got, `SELECT concat_ws(' ', c.field, c.old_value, c.new_value, c.actor)
			FROM product_changes c JOIN products p ON p.id = c.product_id
			WHERE p.sku = 'XL-COFFEE' ORDER BY c.id`)
		if err != nil {
			t.Fatal(err)
		}
		want := "[price 88.00 99.00 telegram:7 visible true false telegram:8]"
		if fmt.Sprint(got) != want {
			t.Errorf("changes = %v, want %s", got, want)
		}
	})
}

func TestWritesRefuseTextPostgreSQLCannotHold(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, db := demoStore(t)
	before := dbState(t, db)
	for _, actor := range []string{"telegram:\x0042", "cli\xff", "a\nb"} {
		if _, err := s.SetStock(ctx, "MN-BLACKTEA", 3, actor); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("SetStock by %q: %v, want ErrInvalid", actor, err)
		}
		if _, err := s.Import(ctx, &catalog.Batch{}, catalog.ImportOptions{Actor: actor}); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("Import by %q: %v, want ErrInvalid", actor, err)
		}
	}
	if _, err := s.ProductBySKU(ctx, "MN-\x00"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("ProductBySKU with a NUL: %v, want ErrNotFound", err)
	}
	if dbState(t, db) != before {
		t.Error("a refused write touched the database")
	}
}
