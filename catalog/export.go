package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Export writes the whole catalog in the import format, hidden products
// too: a path ending in .xlsx is one workbook with the sheets villages and
// products; any other path is a directory (created when missing) holding
// villages.csv and products.csv. Importing what Export wrote changes
// nothing. CSV files are UTF-8 with a BOM and CRLF line ends, so that
// spreadsheet programs open them right; a cell that would start a formula
// carries a leading ' that import removes again. In a workbook such a cell
// keeps its plain value and is quote-prefixed text, never a formula.
func (s *Store) Export(ctx context.Context, path string) error {
	villages, products, err := s.snapshot(ctx)
	if err != nil {
		return fmt.Errorf("catalog: export: %w", err)
	}
	vt, pt := villageTable(villages), productTable(products)
	if strings.EqualFold(filepath.Ext(path), ".xlsx") {
		err = writeWorkbook(path, vt, pt)
	} else {
		err = writeCSVDir(path, vt, pt)
	}
	if err != nil {
		return fmt.Errorf("catalog: export to %s: %w", path, err)
	}
	return nil
}

// snapshot reads villages and products as of one moment.
func (s *Store) snapshot(ctx context.Context) ([]Village, []Product, error) {
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	var villages []Village
	if err := tx.SelectContext(ctx, &villages, `SELECT `+villageColumns+` FROM villages v ORDER BY v.code`); err != nil {
		return nil, nil, err
	}
	var products []Product
	if err := tx.SelectContext(ctx, &products, `SELECT `+productColumns+productFrom+` ORDER BY v.code, p.sku`); err != nil {
		return nil, nil, err
	}
	return villages, products, nil
}

// exportTable is a table to write: a header and rows of text cells.
// Numeric columns are written as numbers in a workbook.
type exportTable struct {
	sheet   string
	header  []string
	rows    [][]string
	numbers map[int]string // column → number format
}

// tableLangs are the languages columns are written for: zh, en and ru
// always, then every other language some text has.
func tableLangs(texts ...Texts) []string {
	set := map[string]bool{}
	for _, l := range Languages {
		set[l] = true
	}
	for _, t := range texts {
		for l, s := range t {
			if s != "" {
				set[l] = true
			}
		}
	}
	return orderLangs(set)
}

func textColumnsFor(field string, langs []string) []string {
	out := make([]string, len(langs))
	for i, l := range langs {
		out[i] = field + "_" + l
	}
	return out
}

func textCells(t Texts, langs []string) []string {
	out := make([]string, len(langs))
	for i, l := range langs {
		out[i] = t[l]
	}
	return out
}

func villageTable(villages []Village) exportTable {
	var all []Texts
	for _, v := range villages {
		all = append(all, v.Name, v.Region, v.Story)
	}
	langs := tableLangs(all...)
	t := exportTable{sheet: villagesKind}
	t.header = append([]string{"code"}, textColumnsFor("name", langs)...)
	t.header = append(t.header, textColumnsFor("region", langs)...)
	t.header = append(t.header, textColumnsFor("story", langs)...)
	for _, v := range villages {
		row := append([]string{v.Code}, textCells(v.Name, langs)...)
		row = append(row, textCells(v.Region, langs)...)
		row = append(row, textCells(v.Story, langs)...)
		t.rows = append(t.rows, row)
	}
	return t
}

func productTable(products []Product) exportTable {
	var all []Texts
	for _, p := range products {
		all = append(all, p.Name, p.Unit, p.Story)
	}
	langs := tableLangs(all...)
	t := exportTable{sheet: productsKind}
	t.header = append([]string{"sku", "village", "category"}, textColumnsFor("name", langs)...)
	t.header = append(t.header, textColumnsFor("unit", langs)...)
	price := len(t.header)
	t.header = append(t.header, "price", "stock", "gift", "visible")
	t.header = append(t.header, textColumnsFor("story", langs)...)
	t.header = append(t.header, "photo_url")
	t.numbers = map[int]string{price: "0.00", price + 1: "0"}
	for _, p := range products {
		row := append([]string{p.SKU, p.VillageCode, string(p.Category)}, textCells(p.Name, langs)...)
		row = append(row, textCells(p.Unit, langs)...)
		row = append(row, p.Price.String(), strconv.Itoa(p.Stock), strconv.FormatBool(p.Gift), strconv.FormatBool(p.Visible))
		row = append(row, textCells(p.Story, langs)...)
		row = append(row, p.PhotoURL)
		t.rows = append(t.rows, row)
	}
	return t
}
