package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"villagebot/catalog"
)

// workbook builds an XLSX file with the given sheets, in order.
func workbook(t testing.TB, sheets ...sheet) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, sh := range sheets {
		if i == 0 {
			f.SetSheetName(f.GetSheetName(0), sh.name)
		} else if _, err := f.NewSheet(sh.name); err != nil {
			t.Fatal(err)
		}
		for r, row := range sh.rows {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(sh.name, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type sheet struct {
	name string
	rows [][]any
}

func parseString(name, content string) (*catalog.Batch, error) {
	return catalog.Parse(context.Background(), name, strings.NewReader(content))
}

// errorLines splits the error of a failed parse or import into its lines.
func errorLines(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if !errors.Is(err, catalog.ErrInvalid) {
		t.Errorf("error %v is not ErrInvalid", err)
	}
	var fe *catalog.FileErrors
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is not a *FileErrors", err)
	}
	return strings.Split(err.Error(), "\n")
}

func sameLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseCSV(t *testing.T) {
	t.Parallel()
	t.Run("a products file with a BOM, CRLF, quotes and line breaks parses", func(t *testing.T) {
		t.Parallel()
		content := "\ufeffSKU, village ,category,name_zh,name_en,name_ru,unit_ru,price,stock,gift,visible,story_en,photo_url\r\n" +
			"MN-BLACKTEA,maona,Tea,五指山红茶,\"Black tea, Wuzhishan\",Чёрный чай,банка,168,120,YES,no,\"Line one\r\nline \"\"two\"\"\",https://example.org/t.jpg\r\n" +
			"\r\n" +
			",,,,,,,,,,,,\r\n" +
			"xl-coffee,,,,Coffee,,,88.5,,,,,\r\n"
		b, err := parseString("upload/products.csv", content)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Products) != 2 || len(b.Villages) != 0 {
			t.Fatalf("batch = %+v", b)
		}
		r := b.Products[0]
		p := r.Product
		if r.File != "products.csv" || r.Line != 2 {
			t.Errorf("position = %s:%d", r.File, r.Line)
		}
		if p.SKU != "MN-BLACKTEA" || p.VillageCode != "maona" || p.Category != catalog.Tea || p.Price != 16800 ||
			p.Stock != 120 || !p.Gift || p.Visible || p.PhotoURL != "https://example.org/t.jpg" {
			t.Errorf("product = %+v", p)
		}
		if p.Name["en"] != "Black tea, Wuzhishan" || p.Name["ru"] != "Чёрный чай" || p.Unit["ru"] != "банка" {
			t.Errorf("texts = %v %v", p.Name, p.Unit)
		}
		if got := p.Story["en"]; got != "Line one\nline \"two\"" {
			t.Errorf("story = %q", got)
		}
		second := b.Products[1]
		if second.Line != 6 {
			t.Errorf("second row at line %d, want 6 (the first row spans two lines)", second.Line)
		}
		for _, col := range []string{"village", "category", "gift", "visible", "stock"} {
			if second.Present[col] {
				t.Errorf("an empty %s cell counts as present", col)
			}
		}
		// An empty text or URL is present: it clears the stored one.
		for _, col := range []string{"price", "name_zh", "name_en", "name_ru", "story_en", "photo_url"} {
			if !second.Present[col] {
				t.Errorf("%s is not present in %v", col, second.Present)
			}
		}
		if second.Product.Price != 8850 || !second.Product.Visible {
			t.Errorf("second = %+v", second.Product)
		}
	})
	t.Run("a villages file is told by its code column", func(t *testing.T) {
		t.Parallel()
		b, err := parseString("v.csv", "code,name_en,region_fil,story_zh\nmaona,Maona,Shuiman,\"茶园\n黎族\"\n")
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Villages) != 1 || b.Villages[0].Village.Region["fil"] != "Shuiman" || b.Villages[0].Village.Story["zh"] != "茶园\n黎族" {
			t.Fatalf("batch = %+v", b)
		}
		if !b.Villages[0].Present["story_zh"] || b.Villages[0].Present["name_zh"] {
			t.Errorf("present = %v", b.Villages[0].Present)
		}
	})
	t.Run("texts are put in NFC and trimmed", func(t *testing.T) {
		t.Parallel()
		b, err := parseString("p.csv", "sku,name_en\nA,\"  Cafe\u0301  \"\n")
		if err != nil {
			t.Fatal(err)
		}
		if got := b.Products[0].Product.Name["en"]; got != "Café" {
			t.Errorf("name = %q", got)
		}
	})
	t.Run("a guarded formula cell loses its guard", func(t *testing.T) {
		t.Parallel()
		b, err := parseString("p.csv", "sku,name_en,name_ru\n'-A,'=1+1,'abc\n")
		if err != nil {
			t.Fatal(err)
		}
		p := b.Products[0].Product
		if p.SKU != "-A" || p.Name["en"] != "=1+1" || p.Name["ru"] != "'abc" {
			t.Errorf("product = %+v", p)
		}
	})
	t.Run("a header alone is an empty batch", func(t *testing.T) {
		t.Parallel()
		b, err := parseString("p.csv", "sku,price\n")
		if err != nil || len(b.Products) != 0 {
			t.Errorf("Parse = %+v, %v", b, err)
		}
	})
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	many := "sku,price\n"
	for i := range 150 {
		many += "S" + strings.Repeat("X", i%3) + string(rune('A'+i%26)) + string(rune('A'+i/26)) + ",free\n"
	}
	wantMany := make([]string, 0, 101)
	for i := range 100 {
		wantMany = append(wantMany, "many.csv:"+strconv.Itoa(i+2)+": price: must be an amount in yuan with at most two decimals, such as 88 or 88.50")
	}
	wantMany = append(wantMany, "… and 50 more errors")

	tests := []struct {
		name    string
		file    string
		content string
		want    []string
	}{
		{"bad prices, stocks and flags are each listed", "products.csv",
			"sku,village,category,name_en,price,stock,gift,visible\n" +
				"MN-A,maona,tea,A,88.001,5,true,true\n" +
				"MN-B,maona,tea,B,-3,1.5,maybe,true\n" +
				"MN-C,Maona,wine,C,1000000.01,-1,1,2\n",
			[]string{
				"products.csv:2: price: must be an amount in yuan with at most two decimals, such as 88 or 88.50",
				"products.csv:3: price: must be an amount in yuan with at most two decimals, such as 88 or 88.50",
				"products.csv:3: stock: must be a whole number from 0 to 1000000",
				"products.csv:3: gift: must be true or false (yes/no, 1/0)",
				"products.csv:4: village: must be 1 to 32 of a-z, 0-9, _ and -",
				"products.csv:4: category: must be one of tea, coffee, fruit, spice, grain, snack, handicraft, other",
				"products.csv:4: price: must be at most 1000000 yuan",
				"products.csv:4: stock: must be a whole number from 0 to 1000000",
				"products.csv:4: visible: must be true or false (yes/no, 1/0)",
			}},
		{"a duplicate SKU names both lines, even in another case", "products.csv",
			"sku,price\nMN-A,1\nMN-B,2\nmn-a,3\n",
			[]string{"products.csv:4: sku: mn-a appears twice (first at products.csv:2)"}},
		{"a duplicate village code names both lines", "villages.csv",
			"code,name_en\nmaona,A\nmaona,B\n",
			[]string{"villages.csv:3: code: maona appears twice (first at villages.csv:2)"}},
		{"unknown and duplicate columns are refused", "products.csv",
			"sku,colour,name_en,Name_EN,name,name_english\nA,red,x,y,z,w\n",
			[]string{
				"products.csv:1: colour: unknown column",
				"products.csv:1: name_en: duplicate column",
				"products.csv:1: name: unknown column (give the language: name_zh, name_en…)",
				"products.csv:1: name_english: unknown column",
			}},
		{"a region column is unknown in a products file", "products.csv",
			"sku,region_en\nA,x\n",
			[]string{"products.csv:1: region_en: unknown column"}},
		{"a header without sku or code is not a catalog", "orders.csv",
			"order,created_at\n#1001,2024-01-01\n",
			[]string{"orders.csv:1: the header has neither a sku column (products) nor a code column (villages)"}},
		{"an empty file is refused", "products.csv", "",
			[]string{"products.csv: empty file: a catalog file starts with a header such as sku,village,category,name_zh,…"}},
		{"a missing SKU is refused", "products.csv", "sku,price\n,5\n",
			[]string{"products.csv:2: sku: required"}},
		{"a bad SKU is refused", "products.csv", "sku,price\nMN TEA,5\n",
			[]string{"products.csv:2: sku: must be 1 to 40 of A-Z, a-z, 0-9, _ and -"}},
		{"invalid UTF-8 names its line", "products.csv", "sku,name_zh\nA,茶\nB,\xb2\xe8\n",
			[]string{"products.csv:3: not valid UTF-8: save the file as CSV UTF-8"}},
		{"UTF-16 is refused", "products.csv", "\xff\xfes\x00k\x00u\x00",
			[]string{"products.csv: UTF-16 text: save the file as CSV UTF-8"}},
		{"a bare quote names its line", "products.csv", "sku,name_en\nA,ok\nB,5\" tin\n",
			[]string{`products.csv:3: a " inside a cell that is not quoted (quote the cell and double the ")`}},
		{"an unclosed quote names its line", "products.csv", "sku,name_en\nA,\"open\n",
			[]string{`products.csv:2: a quoted cell is not closed properly (a " is missing or not doubled)`}},
		{"a row longer than the header is refused", "products.csv", "sku,price\nA,5,extra\n",
			[]string{"products.csv:2: 3 cells, but the header has 2 columns"}},
		{"a value under an empty header is refused", "products.csv", "sku,,price\nA,x,5\n",
			[]string{"products.csv:2: column 2: a value under an empty header"}},
		{"control characters, overlong names and bad URLs are refused", "products.csv",
			"sku,name_en,name_ru,story_zh,photo_url\nA,a\x07b," + strings.Repeat("я", 201) + "," + strings.Repeat("茶", 2001) + ",ftp://x/y\n",
			[]string{
				"products.csv:2: name_en: holds a control character",
				"products.csv:2: name_ru: too long (201 characters, at most 200)",
				"products.csv:2: story_zh: too long (2001 characters, at most 2000)",
				"products.csv:2: photo_url: must be an http or https URL",
			}},
		{"a cell over 8000 bytes is refused", "products.csv",
			"sku,story_en\nA," + strings.Repeat("x", 8001) + "\n",
			[]string{"products.csv:2: story_en: longer than 8000 bytes"}},
		{"an unknown kind of file is refused", "notes.txt", "sku\nA\n",
			[]string{"notes.txt: not a catalog file: the name must end in .csv or .xlsx"}},
		{"at most 100 problems are listed", "many.csv", many, wantMany},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := parseString(tt.file, tt.content)
			if b != nil {
				t.Errorf("a batch came back with the error")
			}
			sameLines(t, errorLines(t, err), tt.want)
		})
	}
}

func TestParseLimits(t *testing.T) {
	t.Parallel()
	var rows bytes.Buffer
	rows.WriteString("sku\n")
	for i := range 20001 {
		rows.WriteString("A" + strconv.Itoa(i) + "\n")
	}
	junk := make([]byte, 4<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range junk {
		junk[i] = byte(rng.UintN(256))
	}
	textJunk := make([]byte, 4<<20)
	const alphabet = "abc,\"\n 茶xyz"
	for i := range textJunk {
		textJunk[i] = alphabet[rng.IntN(len(alphabet)-3)]
	}
	tests := []struct {
		name   string
		file   string
		data   []byte
		prefix string
	}{
		{"4 MB of random bytes as CSV", "junk.csv", junk, "junk.csv:"},
		{"4 MB of random bytes as XLSX", "junk.xlsx", junk, "junk.xlsx: not an XLSX workbook"},
		{"4 MB of text garbage as CSV", "garbage.csv", textJunk, "garbage.csv:"},
		{"a zip that is not a workbook", "bad.xlsx", append([]byte("PK\x03\x04"), junk[:1000]...), "bad.xlsx: not a readable XLSX workbook"},
		{"a file over 10 MiB", "big.csv", append([]byte("sku\n"), bytes.Repeat([]byte("A\n"), 5<<20+1)...), "big.csv: larger than 10 MiB"},
		{"more than 20000 rows", "rows.csv", rows.Bytes(), "rows.csv:20002: too many rows: an import holds at most 20000"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused quickly", func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			_, err := catalog.Parse(context.Background(), tt.file, bytes.NewReader(tt.data))
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
			lines := errorLines(t, err)
			if !strings.HasPrefix(lines[0], tt.prefix) {
				t.Errorf("first error %q, want it to start with %q", lines[0], tt.prefix)
			}
			if len(lines) > catalog.MaxListedErrors+1 {
				t.Errorf("%d lines of errors", len(lines))
			}
		})
	}
}

func TestParseXLSX(t *testing.T) {
	t.Parallel()
	t.Run("both sheets parse, numbers as numbers, rows counted as in the spreadsheet", func(t *testing.T) {
		t.Parallel()
		data := workbook(t,
			sheet{"Notes", [][]any{{"anything"}}},
			sheet{"villages", [][]any{{"code", "name_zh", "name_en"}, {"maona", "毛纳村", "Maona"}}},
			sheet{"Products", [][]any{
				{"sku", "village", "category", "name_en", "price", "stock", "gift"},
				{"MN-A", "maona", "tea", "A", 19.9, 12, true},
				{},
				{"MN-B", "maona", "tea", "B", "88.50", "3", "no"},
			}},
		)
		b, err := catalog.Parse(context.Background(), "cat.xlsx", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Villages) != 1 || b.Villages[0].File != "cat.xlsx[villages]" || b.Villages[0].Line != 2 {
			t.Fatalf("villages = %+v", b.Villages)
		}
		if len(b.Products) != 2 {
			t.Fatalf("products = %+v", b.Products)
		}
		a, bb := b.Products[0], b.Products[1]
		if a.File != "cat.xlsx[Products]" || a.Line != 2 || a.Product.Price != 1990 || a.Product.Stock != 12 || !a.Product.Gift {
			t.Errorf("first = %s:%d %+v", a.File, a.Line, a.Product)
		}
		if bb.Line != 4 || bb.Product.Price != 8850 || bb.Product.Stock != 3 || bb.Product.Gift {
			t.Errorf("second = %s:%d %+v", bb.File, bb.Line, bb.Product)
		}
	})
	t.Run("problems name the workbook, the sheet and the row", func(t *testing.T) {
		t.Parallel()
		data := workbook(t, sheet{"products", [][]any{
			{"sku", "price", "colour"},
			{"MN-A", 10, ""},
			{"MN-A", 10.001, ""},
		}})
		_, err := catalog.Parse(context.Background(), "cat.xlsx", bytes.NewReader(data))
		sameLines(t, errorLines(t, err), []string{
			"cat.xlsx[products]:1: colour: unknown column",
			"cat.xlsx[products]:3: sku: MN-A appears twice (first at cat.xlsx[products]:2)",
			"cat.xlsx[products]:3: price: must be an amount in yuan with at most two decimals, such as 88 or 88.50",
		})
	})
	t.Run("a workbook without the catalog sheets is refused", func(t *testing.T) {
		t.Parallel()
		_, err := catalog.Parse(context.Background(), "cat.xlsx", bytes.NewReader(workbook(t, sheet{"Sheet1", [][]any{{"sku"}}})))
		sameLines(t, errorLines(t, err), []string{"cat.xlsx: no sheet named villages or products"})
	})
	t.Run("a products sheet without a sku column is refused", func(t *testing.T) {
		t.Parallel()
		_, err := catalog.Parse(context.Background(), "cat.xlsx", bytes.NewReader(workbook(t, sheet{"products", [][]any{{"name_en"}, {"x"}}})))
		sameLines(t, errorLines(t, err), []string{"cat.xlsx[products]:1: sku: column missing"})
	})
}

func TestParseFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("villages.csv", "code,name_en\nnewvillage,New Village\n")
	write("products.csv", "sku,village,price\nNV-A,newvillage,5\n")
	write("README.md", "not a catalog")
	t.Run("a directory's catalog files are read together", func(t *testing.T) {
		t.Parallel()
		b, err := catalog.ParseFiles(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Villages) != 1 || len(b.Products) != 1 {
			t.Errorf("batch = %+v", b)
		}
	})
	t.Run("a SKU repeated across files is a duplicate", func(t *testing.T) {
		t.Parallel()
		other := filepath.Join(t.TempDir(), "more.csv")
		os.WriteFile(other, []byte("sku,price\nNV-A,6\n"), 0o644)
		_, err := catalog.ParseFiles(context.Background(), dir, other)
		sameLines(t, errorLines(t, err), []string{"more.csv:2: sku: NV-A appears twice (first at products.csv:2)"})
	})
	t.Run("a missing path and an empty directory are refused", func(t *testing.T) {
		t.Parallel()
		empty := t.TempDir()
		_, err := catalog.ParseFiles(context.Background(), filepath.Join(dir, "nope.csv"), empty)
		lines := errorLines(t, err)
		if len(lines) != 2 || !strings.Contains(lines[0], "nope.csv: cannot read: no such file or directory") ||
			!strings.HasSuffix(lines[1], ": no .csv or .xlsx file in this directory") {
			t.Errorf("errors = %q", lines)
		}
	})
}
