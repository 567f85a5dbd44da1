package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"villagebot/catalog"
)

// FuzzParse feeds arbitrary bytes to the parser as CSV and as XLSX: it
// must never panic, and what it accepts must be valid.
func FuzzParse(f *testing.F) {
	f.Add([]byte("sku,village,category,name_zh,name_en,price,stock,gift,visible\nMN-A,maona,tea,茶,Tea,88.50,3,yes,1\n"))
	f.Add([]byte("\ufeffcode,name_zh,name_ru,story_en\r\nmaona,毛纳村,Маона,\"a\r\nb\"\r\n"))
	f.Add([]byte("sku,name_en\n\"unterminated\n"))
	f.Add([]byte("sku,,price\n'-A,x,1e3\n"))
	f.Add([]byte("PK\x03\x04garbage"))
	f.Add(workbook(f, sheet{"products", [][]any{{"sku", "price", "name_en"}, {"A", 1.5, "x"}}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"f.csv", "f.xlsx"} {
			b, err := catalog.Parse(context.Background(), name, bytes.NewReader(data))
			if err != nil {
				if b != nil {
					t.Fatalf("%s: a batch and an error", name)
				}
				var fe *catalog.FileErrors
				if !errors.As(err, &fe) || !errors.Is(err, catalog.ErrInvalid) || fe.Len() == 0 {
					t.Fatalf("%s: error %v is not a *FileErrors", name, err)
				}
				continue
			}
			if b == nil {
				t.Fatalf("%s: neither a batch nor an error", name)
			}
			for _, r := range b.Products {
				p := r.Product
				if p.SKU == "" || p.Price < 0 || p.Price > catalog.MaxPrice || p.Stock < 0 || p.Stock > catalog.MaxStock {
					t.Fatalf("%s:%d: accepted %+v", r.File, r.Line, p)
				}
			}
			for _, r := range b.Villages {
				if r.Village.Code == "" {
					t.Fatalf("%s:%d: accepted a village without a code", r.File, r.Line)
				}
			}
		}
	})
}
