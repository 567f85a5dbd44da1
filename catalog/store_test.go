package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"villagebot/catalog"
	"villagebot/catalog/catalogtest"
	"villagebot/internal/pgtest"
)

func skus(list []catalog.Product) []string {
	out := make([]string, len(list))
	for i, p := range list {
		out[i] = p.SKU
	}
	return out
}

func TestStoreReads(t *testing.T) {
	t.Parallel()
	s, _ := demoStore(t)
	ctx := context.Background()

	t.Run("villages come ordered by code with their texts", func(t *testing.T) {
		t.Parallel()
		vs, err := s.Villages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, v := range vs {
			codes = append(codes, v.Code)
		}
		want := []string{"baisha", "beireng", "maona", "qiongzhong", "shamei", "xinglong"}
		if !slices.Equal(codes, want) {
			t.Fatalf("codes = %v, want %v", codes, want)
		}
		if vs[2].Name.Get("zh") != "毛纳村" || vs[2].Name.Get("ru") != "Деревня Маона" {
			t.Errorf("maona's names = %v", vs[2].Name)
		}
	})
	t.Run("products are read by ids in one call, hidden ones too, unknown ids left out", func(t *testing.T) {
		t.Parallel()
		tea, err := s.ProductBySKU(ctx, "MN-BLACKTEA")
		if err != nil {
			t.Fatal(err)
		}
		coffee, err := s.ProductBySKU(ctx, "xl-coffee")
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.ProductsByIDs(ctx, []int64{coffee.ID, tea.ID, 999999, tea.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[tea.ID].SKU != "MN-BLACKTEA" || got[coffee.ID].SKU != "XL-COFFEE" ||
			got[tea.ID].Price != tea.Price || got[coffee.ID].VillageCode != "xinglong" {
			t.Errorf("ProductsByIDs = %+v", got)
		}
		none, err := s.ProductsByIDs(ctx, nil)
		if err != nil || len(none) != 0 {
			t.Errorf("ProductsByIDs(nil) = %v, %v; want an empty map", none, err)
		}
	})
	t.Run("a village is found by id and by code in any case", func(t *testing.T) {
		t.Parallel()
		byCode, err := s.VillageByCode(ctx, "MAONA")
		if err != nil {
			t.Fatal(err)
		}
		byID, err := s.Village(ctx, byCode.ID)
		if err != nil {
			t.Fatal(err)
		}
		if byID.Code != "maona" || byID.Region.Get("en") != "Shuiman Township, Wuzhishan" {
			t.Errorf("village = %+v", byID)
		}
	})
	t.Run("a missing village is ErrNotFound", func(t *testing.T) {
		t.Parallel()
		if _, err := s.Village(ctx, 999999); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("Village(999999) = %v", err)
		}
		if _, err := s.VillageByCode(ctx, "atlantis"); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("VillageByCode(atlantis) = %v", err)
		}
		if _, err := s.VillageByCode(ctx, "'; DROP TABLE villages; --"); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("VillageByCode(injection) = %v", err)
		}
	})
	t.Run("a product is found by SKU with its village code and by id", func(t *testing.T) {
		t.Parallel()
		p, err := s.ProductBySKU(ctx, "XL-COFFEE")
		if err != nil {
			t.Fatal(err)
		}
		if p.VillageCode != "xinglong" || p.Category != catalog.Coffee || p.Price != 8800 || !p.Gift || !p.Visible {
			t.Errorf("product = %+v", p)
		}
		byID, err := s.Product(ctx, p.ID)
		if err != nil || byID.SKU != "XL-COFFEE" || byID.VillageCode != "xinglong" {
			t.Errorf("Product(%d) = %+v, %v", p.ID, byID, err)
		}
	})
	t.Run("a SKU typed in another case finds the product", func(t *testing.T) {
		t.Parallel()
		p, err := s.ProductBySKU(ctx, " xl-coffee ")
		if err != nil || p.SKU != "XL-COFFEE" {
			t.Errorf("ProductBySKU(xl-coffee) = %+v, %v", p, err)
		}
	})
	t.Run("hidden products are found by SKU", func(t *testing.T) {
		t.Parallel()
		p, err := s.ProductBySKU(ctx, "XL-VANILLA")
		if err != nil || p.Visible {
			t.Errorf("ProductBySKU(XL-VANILLA) = %+v, %v", p, err)
		}
	})
	t.Run("a missing product is ErrNotFound", func(t *testing.T) {
		t.Parallel()
		for _, sku := range []string{"NOPE", "", "a b", strings.Repeat("X", 100)} {
			if _, err := s.ProductBySKU(ctx, sku); !errors.Is(err, catalog.ErrNotFound) {
				t.Errorf("ProductBySKU(%q) = %v", sku, err)
			}
		}
		if _, err := s.Product(ctx, -1); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("Product(-1) = %v", err)
		}
	})
	t.Run("a village's products leave hidden ones out only for visitors", func(t *testing.T) {
		t.Parallel()
		v, err := s.VillageByCode(ctx, "xinglong")
		if err != nil {
			t.Fatal(err)
		}
		visible, err := s.ProductsByVillage(ctx, v.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		all, err := s.ProductsByVillage(ctx, v.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"XL-COFFEE", "XL-DRIPBAG", "XL-PEPPER"}; !slices.Equal(skus(visible), want) {
			t.Errorf("visible = %v, want %v", skus(visible), want)
		}
		if want := []string{"XL-COFFEE", "XL-DRIPBAG", "XL-PEPPER", "XL-VANILLA"}; !slices.Equal(skus(all), want) {
			t.Errorf("all = %v, want %v", skus(all), want)
		}
	})
	t.Run("a village without products gives an empty list, not nil", func(t *testing.T) {
		t.Parallel()
		list, err := s.ProductsByVillage(ctx, 999999, true)
		if err != nil || list == nil || len(list) != 0 {
			t.Errorf("ProductsByVillage(999999) = %v, %v", list, err)
		}
	})
	t.Run("a category's products leave hidden ones out only for visitors", func(t *testing.T) {
		t.Parallel()
		visible, err := s.ProductsByCategory(ctx, catalog.Spice, true)
		if err != nil {
			t.Fatal(err)
		}
		all, err := s.ProductsByCategory(ctx, catalog.Spice, false)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(skus(visible), []string{"XL-PEPPER"}) || !slices.Equal(skus(all), []string{"XL-PEPPER", "XL-VANILLA"}) {
			t.Errorf("visible = %v, all = %v", skus(visible), skus(all))
		}
	})
	t.Run("all products come ordered by SKU", func(t *testing.T) {
		t.Parallel()
		all, err := s.Products(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := catalog.Demo()
		if len(all) != len(b.Products) || !slices.IsSorted(skus(all)) {
			t.Errorf("Products() = %v", skus(all))
		}
	})
	t.Run("category counts count visible products only", func(t *testing.T) {
		t.Parallel()
		counts, err := s.CategoryCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[catalog.Category]int{
			catalog.Tea: 2, catalog.Coffee: 2, catalog.Fruit: 1, catalog.Spice: 1,
			catalog.Grain: 1, catalog.Snack: 2, catalog.Handicraft: 3, catalog.Other: 2,
		}
		for _, c := range catalog.Categories {
			if counts[c] != want[c] {
				t.Errorf("%s: %d, want %d", c, counts[c], want[c])
			}
		}
	})
}

func TestSearch(t *testing.T) {
	t.Parallel()
	s, _ := demoStore(t)
	ctx := context.Background()
	if _, err := s.CreateProduct(ctx, catalog.Product{
		SKU: "SM-100PCT", VillageCode: "shamei", Category: catalog.Other,
		Name: catalog.Texts{"en": "100% coconut_oil"}, Price: 100, Visible: true,
	}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateProduct(ctx, catalog.Product{
		SKU: "SM-QUOTE", VillageCode: "shamei", Category: catalog.Other,
		Name: catalog.Texts{"en": `Shell cup "Gold" \ 2`}, Price: 100, Visible: true,
	}, "test"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		query    string
		villages []string
		products []string
	}{
		{"a Chinese name matches", "红茶", nil, []string{"MN-BLACKTEA"}},
		{"a Chinese substring matches villages and products", "白沙", []string{"baisha"}, []string{"BS-GREENTEA"}},
		{"an English name matches ignoring case", "COCONUT", nil, []string{"BR-COCOCANDY", "BR-COCOCHIPS", "SM-100PCT", "SM-COCOCARVE"}},
		{"a Russian name matches ignoring case", "ЧАЙ", nil, []string{"BS-GREENTEA", "MN-BLACKTEA", "SM-COCOCARVE"}},
		{"a Russian village name matches", "маона", []string{"maona"}, nil},
		{"a SKU matches, in any case", "xl-drip", nil, []string{"XL-DRIPBAG"}},
		{"an exact SKU comes first", "xl-coffee", nil, []string{"XL-COFFEE"}},
		{"hidden products are not found", "vanilla", nil, nil},
		{"a percent sign is a character, not a wildcard", "100%", nil, []string{"SM-100PCT"}},
		{"an underscore is a character, not a wildcard", "t_a", nil, nil},
		{"quotes and backslashes match as typed", `"gold" \`, nil, []string{"SM-QUOTE"}},
		{"surrounding spaces are ignored", "  Beireng  ", []string{"beireng"}, nil},
		{"regions and stories are not searched", "Boao", nil, nil},
		{"nothing matches nonsense", "zzzz", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := s.Search(ctx, tt.query, 10)
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for _, v := range res.Villages {
				codes = append(codes, v.Code)
			}
			got := skus(res.Products)
			slices.Sort(got)
			want := slices.Clone(tt.products)
			slices.Sort(want)
			if !slices.Equal(codes, tt.villages) || !slices.Equal(got, want) {
				t.Errorf("Search(%q) = villages %v, products %v; want %v, %v", tt.query, codes, got, tt.villages, want)
			}
		})
	}
	t.Run("an exact SKU match is listed before name matches", func(t *testing.T) {
		t.Parallel()
		res, err := s.Search(ctx, "xl-pepper", 10)
		if err != nil || len(res.Products) == 0 || res.Products[0].SKU != "XL-PEPPER" {
			t.Errorf("Search(xl-pepper) = %v, %v", skus(res.Products), err)
		}
	})
	t.Run("the limit caps each list", func(t *testing.T) {
		t.Parallel()
		res, err := s.Search(ctx, "e", 2)
		if err != nil || len(res.Products) != 2 || len(res.Villages) != 2 {
			t.Errorf("Search(e, 2) = %d villages, %d products, %v", len(res.Villages), len(res.Products), err)
		}
	})
	t.Run("an empty, blank or overlong query is invalid", func(t *testing.T) {
		t.Parallel()
		for _, q := range []string{"", "   ", strings.Repeat("茶", 101)} {
			if _, err := s.Search(ctx, q, 10); !errors.Is(err, catalog.ErrInvalid) {
				t.Errorf("Search(%.10q) = %v, want ErrInvalid", q, err)
			}
		}
		if _, err := s.Search(ctx, strings.Repeat("茶", 100), 10); err != nil {
			t.Errorf("a query of 100 characters: %v", err)
		}
	})
}

// BenchmarkSearch searches a catalog of 5000 products.
func BenchmarkSearch(b *testing.B) {
	db := pgtest.New(b)
	catalogtest.Seed(b, db)
	s := catalog.NewStore(db)
	ctx := context.Background()
	var csv strings.Builder
	csv.WriteString("sku,village,category,name_zh,name_en,name_ru,price,stock\n")
	for i := range 5000 {
		fmt.Fprintf(&csv, "GEN-%d,maona,tea,茶叶%d号,Tea number %d,Чай номер %d,%d,%d\n", i, i, i, i, 10+i%90, i%50)
	}
	batch, err := catalog.Parse(context.Background(), "gen.csv", strings.NewReader(csv.String()))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Import(ctx, batch, catalog.ImportOptions{Actor: "bench"}); err != nil {
		b.Fatal(err)
	}
	queries := []string{"номер 42", "茶叶4", "tea number 4999", "gen-17", "coffee", "zzz"}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Search(ctx, queries[i%len(queries)], 20); err != nil {
			b.Fatal(err)
		}
	}
}

// Callers of a cached list that has run out share one read; the first
// caller's context ending neither ends that read nor fails the others.
func TestCachedListsAreReadOnceForAllCallers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, db := demoStore(t)
	// The villages' table is locked, so the list's read waits.
	tx, err := db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`LOCK TABLE villages IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	reads := func() int {
		var n int
		if err := db.Get(&n, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'
			  AND query LIKE '%FROM villages v ORDER BY%'`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor := func(want int) {
		t.Helper()
		for range 200 {
			if reads() == want {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("%d reads of the villages wait, want %d", reads(), want)
	}

	hasty, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	hastyDone := make(chan error, 1)
	go func() {
		_, err := s.Villages(hasty)
		hastyDone <- err
	}()
	waitFor(1)
	results := make(chan error, 5)
	for range 5 {
		go func() {
			list, err := s.Villages(ctx)
			if err == nil && len(list) == 0 {
				err = errors.New("no villages")
			}
			results <- err
		}()
	}
	if err := <-hastyDone; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the caller out of time got %v, want its deadline", err)
	}
	time.Sleep(100 * time.Millisecond) // for a read ended, or a second one, to show
	if n := reads(); n != 1 {
		t.Errorf("after the first caller gave up, %d reads of the villages wait, want the one shared", n)
	}
	tx.Rollback()
	for range 5 {
		if err := <-results; err != nil {
			t.Errorf("a waiting caller got %v", err)
		}
	}
}
