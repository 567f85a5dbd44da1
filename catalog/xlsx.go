package catalog

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Limits on what a workbook may unpack to, against zip bombs.
const (
	maxUnzipBytes    = 256 << 20
	maxUnzipXMLBytes = 64 << 20
)

// xlsx parses a workbook: its sheets villages and products (named in any
// case) hold the tables of the CSV files; other sheets are ignored.
// Problems name the sheet: catalog.xlsx[products]:12.
func (p *parser) xlsx(file string, data []byte) {
	if !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		p.fail(file, 0, "", "not an XLSX workbook")
		return
	}
	switch reason, err := checkWorkbookBudget(p.ctx, data); {
	case err != nil && p.expired(file, 0):
		return
	case err != nil:
		p.fail(file, 0, "", "not a readable XLSX workbook ("+err.Error()+")")
		return
	case reason != "":
		p.fail(file, 0, "", "refused: "+reason)
		return
	}
	defer func() {
		// excelize reads a zip of XML that anyone may have forged; a
		// panic inside it is a bad file, not a reason to die.
		if r := recover(); r != nil {
			p.fail(file, 0, "", fmt.Sprintf("not a readable XLSX workbook (%v)", r))
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    maxUnzipBytes,
		UnzipXMLSizeLimit: maxUnzipXMLBytes,
	})
	if err != nil {
		p.fail(file, 0, "", "not a readable XLSX workbook ("+err.Error()+")")
		return
	}
	defer f.Close()
	sheets := map[string]string{}
	for _, name := range f.GetSheetList() {
		k := strings.ToLower(strings.TrimSpace(name))
		if k == villagesKind || k == productsKind {
			if _, dup := sheets[k]; dup {
				p.fail(file, 0, "", "two sheets named "+k)
				return
			}
			sheets[k] = name
		}
	}
	if len(sheets) == 0 {
		p.fail(file, 0, "", "no sheet named villages or products")
		return
	}
	for _, kind := range []string{villagesKind, productsKind} {
		if name, ok := sheets[kind]; ok {
			p.sheet(f, file+"["+name+"]", name, kind)
		}
	}
}

func (p *parser) sheet(f *excelize.File, file, sheet, kind string) {
	rows, err := f.Rows(sheet)
	if err != nil {
		p.fail(file, 0, "", "cannot read the sheet ("+err.Error()+")")
		return
	}
	defer rows.Close()
	line := 0
	var stop error
	next := func() (int, []string, bool) {
		if p.full || !rows.Next() {
			stop = rows.Error()
			return 0, nil, false
		}
		line++
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			stop = err
			return 0, nil, false
		}
		return line, cells, true
	}
	var header []string
	var headerLine int
	for {
		l, cells, ok := next()
		if !ok {
			if stop != nil {
				p.fail(file, line, "", "cannot read the sheet ("+stop.Error()+")")
				return
			}
			return // an empty sheet holds nothing to import
		}
		if !blank(cells) {
			header, headerLine = cells, l
			break
		}
	}
	p.parseTable(table{
		file:    file,
		kind:    kind,
		header:  header,
		line:    headerLine,
		next:    next,
		numeric: true,
		stopError: func() (int, string) {
			if stop == nil {
				return 0, ""
			}
			return line, "cannot read the sheet (" + stop.Error() + ")"
		},
	})
}
