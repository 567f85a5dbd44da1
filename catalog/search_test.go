package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"villagebot/catalog"
	"villagebot/catalog/catalogtest"
	"villagebot/internal/pgtest"
)

func villageCodes(vs []catalog.Village) []string {
	var codes []string
	for _, v := range vs {
		codes = append(codes, v.Code)
	}
	return codes
}

// TestSearchFindsWhatPeopleType is issue 12's table: what visitors type,
// against the demo catalog in real PostgreSQL.
func TestSearchFindsWhatPeopleType(t *testing.T) {
	t.Parallel()
	s, _ := demoStore(t)
	ctx := context.Background()
	if _, err := s.CreateProduct(ctx, catalog.Product{
		SKU: "BS-OOLONG", VillageCode: "baisha", Category: catalog.Tea,
		Name: catalog.Texts{"zh": "凍頂烏龍茶"}, Price: 100, Visible: true,
	}, "test"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		query    string
		villages []string
		products []string // in rank order when ranked is set
		ranked   bool
	}{
		{"an English typo", "cofee", nil, []string{"XL-COFFEE", "XL-DRIPBAG"}, false},
		{"a short English typo", "tee", nil, []string{"BS-GREENTEA", "MN-BLACKTEA", "SM-COCOCARVE"}, false},
		{"a typo that begins a longer word", "cofe", nil, []string{"XL-COFFEE", "XL-DRIPBAG"}, false},
		{"punctuation around a word", "«tea?»", nil, []string{"BS-GREENTEA", "MN-BLACKTEA", "SM-COCOCARVE"}, false},
		{"a Russian typo", "апельсны", nil, []string{"QZ-ORANGE"}, false},
		{"е for ё", "мед", nil, []string{"QZ-HONEY"}, false},
		{"е for ё in the middle of a word", "зеленый", nil, []string{"BS-GREENTEA"}, false},
		{"ё as typed", "Зелёные", nil, []string{"QZ-ORANGE"}, false},
		{"accents and tone marks fold away", "Xīnglóng", []string{"xinglong"}, []string{"XL-COFFEE", "XL-DRIPBAG", "XL-PEPPER"}, false},
		{"traditional Chinese finds simplified", "紅茶", nil, []string{"MN-BLACKTEA"}, false},
		{"traditional Chinese finds simplified within a name", "綠茶", nil, []string{"BS-GREENTEA"}, false},
		{"simplified Chinese finds traditional", "冻顶乌龙", nil, []string{"BS-OOLONG"}, false},
		{"a region finds its villages and their products", "博鳌", []string{"beireng", "shamei"},
			[]string{"BR-COCOCANDY", "BR-COCOCHIPS", "SM-COCOCARVE", "SM-DUCKEGGS"}, false},
		{"a region in Russian", "Боао", []string{"beireng", "shamei"},
			[]string{"BR-COCOCANDY", "BR-COCOCHIPS", "SM-COCOCARVE", "SM-DUCKEGGS"}, false},
		{"two words, a product and a village", "чай маона", nil, []string{"MN-BLACKTEA"}, false},
		{"two words, a product and a region", "tea boao", nil, []string{"SM-COCOCARVE"}, false},
		{"two words, one a typo", "cofee xinglong", nil, []string{"XL-COFFEE", "XL-DRIPBAG"}, false},
		{"a product's own name ranks before its village's", "白沙", []string{"baisha"}, []string{"BS-GREENTEA", "BS-OOLONG", "BS-EMBROIDERY"}, true},
		{"an exact SKU ranks first", "xl-coffee", nil, []string{"XL-COFFEE"}, true},
		{"a word found as typed is not taken for a typo", "green", nil, []string{"BS-GREENTEA", "QZ-ORANGE"}, false},
		{"a hidden product is not found by its typo", "vanila", nil, nil, false},
		{"nothing matches a word far from every word", "zzzz", nil, nil, false},
		{"nothing matches a Chinese word found nowhere", "北京", nil, nil, false},
		{"every word must match", "coffee 博鳌", nil, nil, false},
		{"NUL and control characters are spaces", "чай\x00маона\x07", nil, []string{"MN-BLACKTEA"}, false},
		{"a long query of many words", strings.Repeat("ab ", 33), nil, nil, false},
		{"SQL is text", "'; DROP TABLE products; --", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := s.Search(ctx, tt.query, 10)
			if err != nil {
				t.Fatal(err)
			}
			got := skus(res.Products)
			want := tt.products
			if !tt.ranked {
				slices.Sort(got)
				want = slices.Sorted(slices.Values(want))
			}
			if codes := villageCodes(res.Villages); !slices.Equal(codes, tt.villages) || !slices.Equal(got, want) {
				t.Errorf("Search(%q) = villages %v, products %v; want %v, %v", tt.query, codes, got, tt.villages, want)
			}
			if res.Total != len(tt.products) {
				t.Errorf("Total = %d, want %d", res.Total, len(tt.products))
			}
		})
	}

	t.Run("odd input is refused as invalid", func(t *testing.T) {
		t.Parallel()
		for _, q := range []string{"\x00", "\x00\x01\t\n", strings.Repeat("茶", 10000), "tea\xff"} {
			if _, err := s.Search(ctx, q, 10); !errors.Is(err, catalog.ErrInvalid) {
				t.Errorf("Search(%.12q) = %v, want ErrInvalid", q, err)
			}
		}
		if _, err := s.SearchPage(ctx, "tea", -1, 10); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("a negative offset: %v, want ErrInvalid", err)
		}
	})
}

// Pages follow one another without a product twice or left out, and only
// the first carries the villages.
func TestSearchPages(t *testing.T) {
	t.Parallel()
	s, _ := demoStore(t)
	ctx := context.Background()
	all, err := s.Search(ctx, "boao", 100)
	if err != nil || all.Total != 4 || len(all.Products) != 4 {
		t.Fatalf("Search(boao) = %v, total %d, %v", skus(all.Products), all.Total, err)
	}
	var paged []string
	for offset := 0; ; offset += 3 {
		page, err := s.SearchPage(ctx, "boao", offset, 3)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 4 {
			t.Errorf("page at %d: Total = %d, want 4", offset, page.Total)
		}
		if (offset == 0) != (len(page.Villages) == 2) {
			t.Errorf("page at %d: villages %v", offset, villageCodes(page.Villages))
		}
		paged = append(paged, skus(page.Products)...)
		if !page.More(offset) {
			break
		}
	}
	if !slices.Equal(paged, skus(all.Products)) {
		t.Errorf("pages = %v, want %v", paged, skus(all.Products))
	}
	past, err := s.SearchPage(ctx, "boao", 40, 3)
	if err != nil || len(past.Products) != 0 || past.Total != 4 || past.More(40) {
		t.Errorf("past the last page: %v, total %d, %v", skus(past.Products), past.Total, err)
	}
}

// The search text is kept by the database: a renamed product or village
// is found by its new name at once, whichever path wrote it.
func TestSearchFollowsRenames(t *testing.T) {
	t.Parallel()
	s, db := demoStore(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `UPDATE products SET names = names || '{"en": "Wild Forest Honey"}' WHERE sku = 'QZ-HONEY'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE villages SET regions = regions || '{"en": "Limu Hills"}' WHERE code = 'qiongzhong'`); err != nil {
		t.Fatal(err)
	}
	for query, want := range map[string][]string{
		"forest":   {"QZ-HONEY"},
		"mountain": nil, // the honey's old English name, gone
		"limu":     {"QZ-HONEY", "QZ-ORANGE"},
	} {
		res, err := s.Search(ctx, query, 10)
		got := skus(res.Products)
		slices.Sort(got)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Search(%q) = %v, %v; want %v", query, got, err, want)
		}
	}
}

// BenchmarkSearchKinds searches a catalog of 5000 products the ways
// visitors do: a word as typed, a typo, traditional Chinese, a region and
// two words.
func BenchmarkSearchKinds(b *testing.B) {
	db := pgtest.New(b)
	catalogtest.Seed(b, db)
	s := catalog.NewStore(db)
	ctx := context.Background()
	var csv strings.Builder
	csv.WriteString("sku,village,category,name_zh,name_en,name_ru,price,stock\n")
	villages := []string{"maona", "beireng", "shamei", "baisha", "xinglong", "qiongzhong"}
	kinds := []string{"红茶,Black Tea,Чёрный чай", "咖啡豆,Coffee Beans,Кофе в зёрнах", "蜂蜜,Honey,Мёд", "椰子糖,Coconut Candy,Кокосовые конфеты"}
	for i := range 5000 {
		k := strings.Split(kinds[i%len(kinds)], ",")
		fmt.Fprintf(&csv, "GEN-%d,%s,other,%s%d号,%s no. %d,%s №%d,%d,%d\n", i, villages[i%len(villages)], k[0], i, k[1], i, k[2], i, 10+i%90, i%50)
	}
	batch, err := catalog.Parse(context.Background(), "gen.csv", strings.NewReader(csv.String()))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Import(ctx, batch, catalog.ImportOptions{Actor: "bench"}); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, query string }{
		{"word", "honey"},
		{"rare word", "wuzhishan"},
		{"typo", "cofee"},
		{"no match", "zzzz"},
		{"traditional", "紅茶"},
		{"region", "博鳌"},
		{"two words", "чай маона"},
		{"sku", "gen-4242"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Search(ctx, bc.query, 20); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
