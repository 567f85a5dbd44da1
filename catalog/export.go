package catalog

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"villagebot/internal/atomicfile"
	"villagebot/internal/sheet"
)

// Export writes the whole catalog in the import format, hidden products
// too: a path ending in .xlsx is one workbook with the sheets villages and
// products; any other path is a directory (created when missing) holding
// villages.csv and products.csv. Importing what Export wrote changes
// nothing. CSV files are UTF-8 with a BOM and CRLF line ends, so that
// spreadsheet programs open them right; a cell that would start a formula
// carries a leading ' that import removes again.
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

func writeCSVDir(dir string, tables ...exportTable) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, t := range tables {
		if err := atomicfile.Write(filepath.Join(dir, t.sheet+".csv"), t.writeCSV); err != nil {
			return err
		}
	}
	return nil
}

func (t exportTable) writeCSV(f io.Writer) error {
	if _, err := io.WriteString(f, sheet.UTF8BOM); err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.UseCRLF = true
	w.Write(t.header)
	cells := make([]string, len(t.header))
	for _, row := range t.rows {
		cells = cells[:0]
		for _, c := range row {
			cells = append(cells, sheet.Guard(c))
		}
		w.Write(cells)
	}
	w.Flush()
	return w.Error()
}

func writeWorkbook(path string, tables ...exportTable) error {
	f := excelize.NewFile()
	defer f.Close()
	styles, err := sheet.NewStyles(f)
	if err != nil {
		return err
	}
	for i, t := range tables {
		if i == 0 {
			if err := f.SetSheetName(f.GetSheetName(0), t.sheet); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(t.sheet); err != nil {
			return err
		}
		if err := t.writeSheet(f, styles); err != nil {
			return fmt.Errorf("sheet %s: %w", t.sheet, err)
		}
	}
	return atomicfile.Write(path, func(out io.Writer) error {
		_, err := f.WriteTo(out)
		return err
	})
}

// writeSheet writes the table on its sheet: the header bold and frozen,
// numeric columns as numbers, text as text (quote-prefixed when it looks
// like a formula, never with a ' in the value).
func (t exportTable) writeSheet(f *excelize.File, styles sheet.Styles) error {
	sw, err := f.NewStreamWriter(t.sheet)
	if err != nil {
		return err
	}
	numbers := map[int]int{}
	for col, format := range t.numbers {
		if numbers[col], err = f.NewStyle(&excelize.Style{CustomNumFmt: &format}); err != nil {
			return err
		}
	}
	if err := styles.StartSheet(sw, t.header); err != nil {
		return err
	}
	for r, row := range t.rows {
		cells := make([]any, len(row))
		for i, c := range row {
			cells[i] = styles.TextCell(c)
			if style, ok := numbers[i]; ok {
				if n, err := strconv.ParseFloat(c, 64); err == nil {
					cells[i] = excelize.Cell{Value: n, StyleID: style}
				}
			}
		}
		if err := sw.SetRow(sheet.RowCell(r+2), cells); err != nil {
			return err
		}
	}
	return sw.Flush()
}
