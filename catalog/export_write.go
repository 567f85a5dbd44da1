package catalog

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/xuri/excelize/v2"

	"villagebot/internal/atomicfile"
	"villagebot/internal/sheet"
)

// Writing the tables of an export: a directory of CSV files or one
// workbook, both through internal/sheet.

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
