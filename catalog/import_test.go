package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"villagebot/catalog"
	"villagebot/catalog/catalogtest"
	"villagebot/internal/pgtest"
	sheetfmt "villagebot/internal/sheet"
)

// importFiles writes files into a fresh directory and imports them.
func importFiles(t *testing.T, s *catalog.Store, opt catalog.ImportOptions, files map[string]string) (catalog.ImportResult, error) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := catalog.ParseFiles(context.Background(), dir)
	if err != nil {
		return catalog.ImportResult{}, err
	}
	return s.Import(context.Background(), b, opt)
}

func TestImportRejectsBrokenFiles(t *testing.T) {
	t.Parallel()
	s, db := demoStore(t)
	before := dbState(t, db)
	cli := catalog.ImportOptions{Actor: "cli"}
	junk := make([]byte, 4<<20)
	for i := range junk {
		junk[i] = byte(i*7919 + i>>8)
	}

	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"a bad price among good rows", map[string]string{
			"products.csv": "sku,village,category,name_en,price,stock\n" +
				"MN-NEW,maona,tea,New Tea,88,5\n" +
				"MN-BLACKTEA,maona,tea,Wuzhishan Black Tea,88.001,5\n",
		}, []string{"products.csv:3: price: must be an amount in yuan with at most two decimals, such as 88 or 88.50"}},
		{"an unknown village", map[string]string{
			"products.csv": "sku,village,category,name_en,price,stock\n" +
				"MN-NEW,maona,tea,New Tea,88,5\n" +
				"AT-NEW,atlantis,tea,Lost Tea,10,1\n",
		}, []string{"products.csv:3: village: no village with code atlantis (add it to the villages table)"}},
		{"a duplicate SKU", map[string]string{
			"products.csv": "sku,stock\nXL-COFFEE,1\nXL-PEPPER,2\nXL-COFFEE,3\n",
		}, []string{"products.csv:4: sku: XL-COFFEE appears twice (first at products.csv:2)"}},
		{"an unknown column", map[string]string{
			"products.csv": "sku,stock,discount\nXL-COFFEE,1,10%\n",
		}, []string{"products.csv:1: discount: unknown column"}},
		{"a new product without village, category or price", map[string]string{
			"products.csv": "sku,name_en\nNEW-ONE,New One\n",
		}, []string{
			"products.csv:2: price: required for a new product",
			"products.csv:2: village: required",
			"products.csv:2: category: required, one of tea, coffee, fruit, spice, grain, snack, handicraft, other",
		}},
		{"a new product without a name", map[string]string{
			"products.csv": "sku,village,category,price,name_ru\nMN-NEW,maona,tea,5,Чай\n",
		}, []string{"products.csv:2: name: a name in zh or en is required"}},
		{"removing the only names of a product", map[string]string{
			"products.csv": "sku,name_zh,name_en\nXL-COFFEE,,\n",
		}, []string{"products.csv:2: name: a name in zh or en is required"}},
		{"a new village without a name", map[string]string{
			"villages.csv": "code,region_en\nnewplace,Somewhere\n",
		}, []string{"villages.csv:2: name: a name in zh or en is required"}},
		{"a SKU that differs only in case from a stored one", map[string]string{
			"products.csv": "sku,village,category,name_en,price\nxl-coffee,xinglong,coffee,Coffee,1\n",
		}, []string{"products.csv:2: sku: XL-COFFEE exists already; SKUs may not differ only in case"}},
		{"4 MB of junk next to a good file", map[string]string{
			"products.csv": "sku,stock\nXL-COFFEE,1\n",
			"junk.csv":     string(junk),
		}, []string{"junk.csv:1: binary data, not a CSV text file"}},
		{"a broken workbook next to a good file", map[string]string{
			"products.csv": "sku,stock\nXL-COFFEE,1\n",
			"broken.xlsx":  "PK\x03\x04 this is not a zip",
		}, []string{"broken.xlsx: not a readable XLSX workbook (zip: not a valid zip file)"}},
		{"every problem of every file at once", map[string]string{
			"villages.csv": "code,name_en\nnewplace,New Place\nBad Code,X\n",
			"products.csv": "sku,village,category,name_en,price,stock\n" +
				"NP-A,newplace,fruit,A,12,3\n" +
				"NP-B,nowhere,fruit,B,12,x\n",
		}, []string{
			"products.csv:3: stock: must be a whole number from 0 to 1000000",
			"villages.csv:3: code: must be 1 to 32 of a-z, 0-9, _ and -",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" changes nothing", func(t *testing.T) {
			t.Parallel()
			_, err := importFiles(t, s, cli, tt.files)
			sameLines(t, errorLines(t, err), tt.want)
		})
	}
	// Cleanups run once the parallel subtests are done.
	t.Cleanup(func() {
		if dbState(t, db) != before {
			t.Error("a refused import changed the database")
		}
	})
}

func TestImportUpserts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("only the columns a file has change, stock through the ledger", func(t *testing.T) {
		t.Parallel()
		s, db := demoStore(t)
		res, err := importFiles(t, s, catalog.ImportOptions{Actor: "cli"}, map[string]string{
			"products.csv": "sku,stock,name_en\n" +
				"XL-COFFEE,200,Xinglong Coffee Beans (500 g)\n" +
				"XL-PEPPER,180,Hainan White Pepper\n" +
				"XL-DRIPBAG,,Xinglong Drip-Bag Coffee\n",
		})
		if err != nil {
			t.Fatal(err)
		}
		if res != (catalog.ImportResult{ProductsUpdated: 1, Unchanged: 2}) {
			t.Errorf("result = %+v", res)
		}
		p, _ := s.ProductBySKU(ctx, "XL-COFFEE")
		if p.Stock != 200 || p.Name["en"] != "Xinglong Coffee Beans (500 g)" || p.Name["zh"] == "" ||
			p.Story["ru"] == "" || p.Price != 8800 || !p.Gift {
			t.Errorf("XL-COFFEE = %+v", p)
		}
		var l ledgerRow
		if err := db.GetContext(ctx, &l, `SELECT delta, reason, actor FROM stock_ledger ORDER BY id DESC LIMIT 1`); err != nil {
			t.Fatal(err)
		}
		if l != (ledgerRow{50, "import", "cli"}) {
			t.Errorf("ledger row = %+v", l)
		}
		catalogtest.CheckLedger(t, db)
	})
	t.Run("an empty text cell removes that language, an empty scalar keeps the value", func(t *testing.T) {
		t.Parallel()
		s, _ := demoStore(t)
		_, err := importFiles(t, s, catalog.ImportOptions{Actor: "cli"}, map[string]string{
			"products.csv": "sku,story_ru,price,visible\nXL-COFFEE,,,\n",
		})
		if err != nil {
			t.Fatal(err)
		}
		p, _ := s.ProductBySKU(ctx, "XL-COFFEE")
		if _, ok := p.Story["ru"]; ok || p.Story["en"] == "" || p.Price != 8800 || !p.Visible {
			t.Errorf("XL-COFFEE = %+v", p)
		}
	})
	t.Run("new villages and products of one batch are created together", func(t *testing.T) {
		t.Parallel()
		s, db := demoStore(t)
		res, err := importFiles(t, s, catalog.ImportOptions{Actor: "cli"}, map[string]string{
			"villages.csv": "code,name_zh,name_en,name_ru,region_en\nwenchang,文昌,Wenchang,Вэньчан,Wenchang\nmaona,毛纳村,Maona,Маона,Shuiman\n",
			"products.csv": "sku,village,category,name_zh,name_en,price,stock,gift\nWC-CHICKEN,wenchang,other,文昌鸡,Wenchang Chicken,128.00,7,yes\n",
		})
		if err != nil {
			t.Fatal(err)
		}
		if res != (catalog.ImportResult{VillagesCreated: 1, VillagesUpdated: 1, ProductsCreated: 1}) {
			t.Errorf("result = %+v", res)
		}
		p, err := s.ProductBySKU(ctx, "WC-CHICKEN")
		if err != nil || p.VillageCode != "wenchang" || p.Stock != 7 || !p.Gift || !p.Visible {
			t.Errorf("WC-CHICKEN = %+v, %v", p, err)
		}
		v, _ := s.VillageByCode(ctx, "maona")
		if v.Name["en"] != "Maona" || v.Story["en"] == "" {
			t.Errorf("maona = %+v", v)
		}
		catalogtest.CheckLedger(t, db)
	})
	t.Run("an import keeps photo file ids and moves stock to zero", func(t *testing.T) {
		t.Parallel()
		s, db := demoStore(t)
		if _, err := s.SetPhoto(ctx, "QZ-HONEY", "photo-1"); err != nil {
			t.Fatal(err)
		}
		_, err := importFiles(t, s, catalog.ImportOptions{Actor: "cli"}, map[string]string{
			"products.csv": "sku,stock,photo_url\nQZ-HONEY,0,https://example.org/honey.jpg\n",
		})
		if err != nil {
			t.Fatal(err)
		}
		p, _ := s.ProductBySKU(ctx, "QZ-HONEY")
		if p.PhotoFileID != "photo-1" || p.Stock != 0 || p.PhotoURL != "https://example.org/honey.jpg" {
			t.Errorf("QZ-HONEY = %+v", p)
		}
		catalogtest.CheckLedger(t, db)
	})
	t.Run("an import without an actor is refused", func(t *testing.T) {
		t.Parallel()
		s, _ := demoStore(t)
		b, _ := catalog.Demo()
		if _, err := s.Import(ctx, b, catalog.ImportOptions{}); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("Import without actor = %v", err)
		}
		if _, err := s.Import(ctx, nil, catalog.ImportOptions{Actor: "cli"}); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("Import(nil) = %v", err)
		}
	})
}

func TestImportForOneVillage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	maona := catalog.ImportOptions{Actor: "telegram:42", Village: "maona"}

	t.Run("a coordinator's file of their own village applies", func(t *testing.T) {
		t.Parallel()
		s, db := demoStore(t)
		res, err := importFiles(t, s, maona, map[string]string{
			"products.csv": "sku,category,name_en,price,stock\nMN-BLACKTEA,tea,Wuzhishan Black Tea,168,100\nMN-NEW,tea,Maona White Tea,99,10\n",
		})
		if err != nil {
			t.Fatal(err)
		}
		if res != (catalog.ImportResult{ProductsCreated: 1, ProductsUpdated: 1}) {
			t.Errorf("result = %+v", res)
		}
		p, err := s.ProductBySKU(ctx, "MN-NEW")
		if err != nil || p.VillageCode != "maona" {
			t.Errorf("MN-NEW = %+v, %v", p, err)
		}
		catalogtest.CheckLedger(t, db)
	})
	t.Run("one row of another village refuses the whole file", func(t *testing.T) {
		t.Parallel()
		s, db := demoStore(t)
		before := dbState(t, db)
		_, err := importFiles(t, s, maona, map[string]string{
			"products.csv": "sku,village,category,name_en,price,stock\n" +
				"MN-BLACKTEA,maona,tea,Wuzhishan Black Tea,168,100\n" +
				"BS-NEW,baisha,tea,Sneaky Tea,1,1\n" +
				"MN-SHANLAN,maona,grain,Li Shanlan Upland Rice,78,61\n" +
				"XL-COFFEE,,,,,0\n",
		})
		sameLines(t, errorLines(t, err), []string{
			"products.csv:3: village: this import is for village maona only",
			"products.csv:5: sku: XL-COFFEE is a product of village xinglong; this import is for village maona only",
		})
		if dbState(t, db) != before {
			t.Error("a refused import changed the database")
		}
	})
	t.Run("a village row of another village is refused", func(t *testing.T) {
		t.Parallel()
		s, db := demoStore(t)
		before := dbState(t, db)
		_, err := importFiles(t, s, maona, map[string]string{
			"villages.csv": "code,name_en\nmaona,Maona\nshamei,Shamei (ours now)\n",
		})
		sameLines(t, errorLines(t, err), []string{"villages.csv:3: code: this import is for village maona only"})
		if dbState(t, db) != before {
			t.Error("a refused import changed the database")
		}
	})
	t.Run("an import for an unknown village is refused", func(t *testing.T) {
		t.Parallel()
		s, _ := demoStore(t)
		_, err := importFiles(t, s, catalog.ImportOptions{Actor: "cli", Village: "atlantis"}, map[string]string{
			"products.csv": "sku,stock\nMN-BLACKTEA,1\n",
		})
		if !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestExportRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, target := range []string{"catalog-dir", "catalog.xlsx"} {
		t.Run("export to "+target+" then import changes nothing", func(t *testing.T) {
			t.Parallel()
			s, db := demoStore(t)
			// Odd values a round trip could spoil.
			_, err := s.CreateProduct(ctx, catalog.Product{
				SKU: "-ODD_1", VillageCode: "shamei", Category: catalog.Other,
				Name:  catalog.Texts{"en": "=HYPERLINK(\"x\")", "zh": "'+'引号", "fr": "Œuf « salé »", "ru": "@Утка"},
				Unit:  catalog.Texts{"en": "007"},
				Story: catalog.Texts{"en": "Line one,\n\"two\"\n-three", "zh": "第一行\n第二行"},
				Price: 7, Stock: 0, Gift: true, Visible: false, PhotoURL: "https://example.org/a?b=1&c=2",
			}, "cli")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.SetPhoto(ctx, "XL-COFFEE", "file-id-1"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.SetPrice(ctx, "XL-PEPPER", 3899, "cli"); err != nil {
				t.Fatal(err)
			}
			before := dbState(t, db)
			wantProducts, _ := s.Products(ctx)
			wantVillages, _ := s.Villages(ctx)

			path := filepath.Join(t.TempDir(), target)
			if err := s.Export(ctx, path); err != nil {
				t.Fatal(err)
			}
			b, err := catalog.ParseFiles(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.Import(ctx, b, catalog.ImportOptions{Actor: "cli"})
			if err != nil {
				t.Fatal(err)
			}
			if res != (catalog.ImportResult{Unchanged: len(wantVillages) + len(wantProducts)}) {
				t.Errorf("result = %+v", res)
			}
			if dbState(t, db) != before {
				t.Error("the round trip changed the database")
			}

			// The same files fill an empty database with identical rows.
			fresh := catalog.NewStore(pgtest.New(t))
			if _, err := fresh.Import(ctx, b, catalog.ImportOptions{Actor: "cli"}); err != nil {
				t.Fatal(err)
			}
			gotProducts, _ := fresh.Products(ctx)
			gotVillages, _ := fresh.Villages(ctx)
			if len(gotProducts) != len(wantProducts) || len(gotVillages) != len(wantVillages) {
				t.Fatalf("%d products, %d villages; want %d, %d", len(gotProducts), len(gotVillages), len(wantProducts), len(wantVillages))
			}
			for i, want := range wantProducts {
				got := gotProducts[i]
				got.ID, got.VillageID, want.ID, want.VillageID, want.PhotoFileID = 0, 0, 0, 0, ""
				if !sameProduct(got, want) {
					t.Errorf("product %s:\n got %+v\nwant %+v", want.SKU, got, want)
				}
			}
			for i, want := range wantVillages {
				got := gotVillages[i]
				if got.Code != want.Code || !sameTexts(got.Name, want.Name) || !sameTexts(got.Region, want.Region) || !sameTexts(got.Story, want.Story) {
					t.Errorf("village %s:\n got %+v\nwant %+v", want.Code, got, want)
				}
			}
		})
	}
	t.Run("CSV export is UTF-8 with a BOM, a fixed header and guarded formulas", func(t *testing.T) {
		t.Parallel()
		s, _ := demoStore(t)
		if _, err := s.SetStock(ctx, "XL-COFFEE", 1, "cli"); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "out")
		if err := s.Export(ctx, dir); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, "products.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte("\ufeffsku,village,category,name_zh,name_en,name_ru,unit_zh,unit_en,unit_ru,price,stock,gift,visible,story_zh,story_en,story_ru,photo_url\r\n")) {
			t.Errorf("header: %q", data[:200])
		}
		if !bytes.Contains(data, []byte("\r\nXL-COFFEE,xinglong,coffee,")) || !bytes.Contains(data, []byte(",88.00,1,true,true,")) {
			t.Errorf("XL-COFFEE row missing or wrong")
		}
		villages, _ := os.ReadFile(filepath.Join(dir, "villages.csv"))
		if !bytes.HasPrefix(villages, []byte("\ufeffcode,name_zh,name_en,name_ru,region_zh,region_en,region_ru,story_zh,story_en,story_ru\r\n")) {
			t.Errorf("villages header: %q", villages[:120])
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 2 {
			t.Errorf("directory holds %d files, want 2", len(entries))
		}
	})
	t.Run("XLSX export writes formula-looking text plain and quote-prefixed", func(t *testing.T) {
		t.Parallel()
		s, _ := demoStore(t)
		_, err := s.CreateProduct(ctx, catalog.Product{
			SKU: "-ODD_2", VillageCode: "shamei", Category: catalog.Other,
			Name: catalog.Texts{"en": "=1+1", "zh": "茶"}, Price: 7,
		}, "cli")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "catalog.xlsx")
		if err := s.Export(ctx, path); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		rows, err := x.GetRows("products")
		if err != nil {
			t.Fatal(err)
		}
		cellOf := func(sku, column string) string {
			t.Helper()
			col := slices.Index(rows[0], column)
			for r, row := range rows {
				if len(row) > 0 && row[0] == sku && col >= 0 {
					name, _ := excelize.CoordinatesToCellName(col+1, r+1)
					return name
				}
			}
			t.Fatalf("no cell %s of %s", column, sku)
			return ""
		}
		quoted := func(cell string) bool {
			t.Helper()
			id, err := x.GetCellStyle("products", cell)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := x.GetStyle(id); err != nil { // reads the styles
				t.Fatal(err)
			}
			return sheetfmt.IsQuotePrefixed(x, id)
		}
		for column, want := range map[string]string{"sku": "-ODD_2", "name_en": "=1+1"} {
			cell := cellOf("-ODD_2", column)
			if v, _ := x.GetCellValue("products", cell); v != want {
				t.Errorf("%s = %q, want %q", cell, v, want)
			}
			if !quoted(cell) {
				t.Errorf("%s is not quote-prefixed", cell)
			}
			if f, _ := x.GetCellFormula("products", cell); f != "" {
				t.Errorf("%s has the formula %q", cell, f)
			}
		}
		if cell := cellOf("-ODD_2", "name_zh"); quoted(cell) {
			t.Errorf("%s (茶) is quote-prefixed, but no formula", cell)
		}
	})
	t.Run("an empty catalog exports and imports", func(t *testing.T) {
		t.Parallel()
		s := catalog.NewStore(pgtest.New(t))
		path := filepath.Join(t.TempDir(), "empty.xlsx")
		if err := s.Export(ctx, path); err != nil {
			t.Fatal(err)
		}
		b, err := catalog.ParseFiles(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := s.Import(ctx, b, catalog.ImportOptions{Actor: "cli"}); err != nil || res != (catalog.ImportResult{}) {
			t.Errorf("Import = %+v, %v", res, err)
		}
	})
	t.Run("export to a path that cannot be written fails", func(t *testing.T) {
		t.Parallel()
		s := catalog.NewStore(pgtest.New(t))
		file := filepath.Join(t.TempDir(), "file")
		os.WriteFile(file, nil, 0o644)
		if err := s.Export(ctx, filepath.Join(file, "sub")); err == nil || !strings.Contains(err.Error(), "export") {
			t.Errorf("Export = %v", err)
		}
	})
}

func sameTexts(a, b catalog.Texts) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func sameProduct(a, b catalog.Product) bool {
	return a.SKU == b.SKU && a.VillageCode == b.VillageCode && a.Category == b.Category &&
		sameTexts(a.Name, b.Name) && sameTexts(a.Unit, b.Unit) && sameTexts(a.Story, b.Story) &&
		a.Price == b.Price && a.Stock == b.Stock && a.Gift == b.Gift && a.Visible == b.Visible &&
		a.PhotoURL == b.PhotoURL && a.PhotoFileID == b.PhotoFileID
}
