package catalog_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"villagebot/catalog"
)

// sharedStringBomb is a workbook with a sheet products whose header is
// "sku" and whose rows cells all point to one shared string of the given
// text: a small file that expands to rows × len(text) bytes of cells.
func sharedStringBomb(t testing.TB, text string, rows int) []byte {
	t.Helper()
	var sheet strings.Builder
	sheet.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row r="1"><c r="A1" t="s"><v>1</v></c></row>`)
	for r := 2; r <= rows+1; r++ {
		fmt.Fprintf(&sheet, `<row r="%d"><c r="A%d" t="s"><v>0</v></c></row>`, r, r)
	}
	sheet.WriteString(`</sheetData></worksheet>`)
	files := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>` +
			`</Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
			`</Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="products" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>` +
			`</Relationships>`},
		{"xl/worksheets/sheet1.xml", sheet.String()},
		{"xl/sharedStrings.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">` +
			`<si><t>` + text + `</t></si><si><t>sku</t></si></sst>`},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bomb is the workbook of the issue: one 16 MB shared string referenced
// by 3,000 rows, in about 50 KB.
func bomb(t testing.TB) []byte {
	return sharedStringBomb(t, strings.Repeat("A", 16<<20), 3000)
}

func TestParseRefusesAWorkbookThatExpandsTooMuch(t *testing.T) {
	t.Parallel()
	t.Run("the same workbook, small, is read", func(t *testing.T) {
		b, err := catalog.Parse(context.Background(), "small.xlsx", bytes.NewReader(sharedStringBomb(t, "MN-A", 1)))
		if err != nil || len(b.Products) != 1 || b.Products[0].Product.SKU != "MN-A" {
			t.Fatalf("Parse() = %+v, %v; want one product MN-A", b, err)
		}
	})
	t.Run("16 MB shared by 3000 cells is refused with a one-line reason", func(t *testing.T) {
		data := bomb(t)
		if len(data) > 100<<10 {
			t.Fatalf("the workbook is %d bytes, want a small file", len(data))
		}
		_, err := catalog.Parse(context.Background(), "bomb.xlsx", bytes.NewReader(data))
		var fe *catalog.FileErrors
		if !errors.As(err, &fe) || len(fe.Errors) != 1 {
			t.Fatalf("Parse() = %v, want one problem", err)
		}
		if got := fe.Errors[0].String(); !strings.HasPrefix(got, "bomb.xlsx: refused: ") || strings.Contains(got, "\n") {
			t.Errorf("problem %q, want one line starting bomb.xlsx: refused:", got)
		}
	})
	t.Run("reading stops at the deadline", func(t *testing.T) {
		var csv strings.Builder
		csv.WriteString("sku,name_en\n")
		for i := range 1000 {
			fmt.Fprintf(&csv, "SKU-%d,Tea\n", i)
		}
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		_, err := catalog.Parse(ctx, "late.csv", strings.NewReader(csv.String()))
		var fe *catalog.FileErrors
		if !errors.As(err, &fe) || len(fe.Errors) != 1 || !strings.Contains(fe.Errors[0].String(), "reading stopped") {
			t.Fatalf("Parse() = %v, want the one problem that reading stopped", err)
		}
		_, err = catalog.Parse(ctx, "late.xlsx", bytes.NewReader(sharedStringBomb(t, "MN-A", 1)))
		if !errors.As(err, &fe) || len(fe.Errors) != 1 || !strings.Contains(fe.Errors[0].String(), "reading stopped") {
			t.Fatalf("Parse() of a workbook = %v, want the one problem that reading stopped", err)
		}
	})
}

// BenchmarkParseSharedStringBomb measures how long refusing the workbook
// of the issue takes (it took 21 s of CPU before the budget).
func BenchmarkParseSharedStringBomb(b *testing.B) {
	data := bomb(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := catalog.Parse(context.Background(), "bomb.xlsx", bytes.NewReader(data)); err == nil {
			b.Fatal("the bomb was accepted")
		}
	}
}
