package catalog

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"villagebot/internal/sheet"
)

// The kinds of table.
const (
	villagesKind = "villages"
	productsKind = "products"
)

// column is a known column of a table: field is "sku", "price", "name"…;
// lang is set for the texts (name_ru → name, ru).
type column struct {
	name, field, lang string
}

var scalarColumns = map[string][]string{
	villagesKind: {"code"},
	productsKind: {"sku", "village", "category", "price", "stock", "gift", "visible", "photo_url"},
}

var textColumns = map[string][]string{
	villagesKind: {"name", "region", "story"},
	productsKind: {"name", "unit", "story"},
}

// parseColumn tells which column of a table of kind name is.
func parseColumn(kind, name string) (column, bool) {
	if slices.Contains(scalarColumns[kind], name) {
		return column{name: name, field: name}, true
	}
	field, lang, ok := strings.Cut(name, "_")
	if ok && slices.Contains(textColumns[kind], field) && langRE.MatchString(lang) {
		return column{name: name, field: field, lang: lang}, true
	}
	return column{}, false
}

// table is one table of a file: its header and a way to read its rows.
type table struct {
	file      string // as problems name it
	kind      string // villagesKind or productsKind
	header    []string
	line      int                              // of the header
	next      func() (int, []string, bool)     // line, cells; false at the end
	numeric   bool                             // cells are spreadsheet values: 88.5 may be 88.49999999
	unescape  bool                             // cells may carry the CSV formula guard
	stopError func() (line int, reason string) // why next stopped early, if it did
}

// parseTable reads the rows of t into the batch.
func (p *parser) parseTable(t table) {
	cols, ok := p.columns(t)
	if !ok {
		return
	}
	noHeader := map[int]bool{} // columns under an empty header blamed already
	for {
		line, cells, ok := t.next()
		if !ok {
			break
		}
		if p.expired(t.file, line) {
			return
		}
		if blank(cells) {
			continue
		}
		if p.rows++; p.rows > MaxRows {
			p.fail(t.file, line, "", "too many rows: an import holds at most 20000")
			p.full = true
			return
		}
		row := p.rowCells(t, cols, line, cells, noHeader)
		if t.kind == villagesKind {
			p.villageRow(row)
		} else {
			p.productRow(row, t.numeric)
		}
	}
	if t.stopError != nil {
		if line, reason := t.stopError(); reason != "" {
			p.fail(t.file, line, "", reason)
		}
	}
}

// columns reads the header of t: the column of each cell, nil where the
// header is empty. It reports unknown and duplicate columns and a missing
// key column, and returns false when the rows are not worth reading.
func (p *parser) columns(t table) ([]*column, bool) {
	cols := make([]*column, len(t.header))
	seen := map[string]bool{}
	headerOK := true
	for i, h := range t.header {
		name := strings.ToLower(strings.TrimSpace(h))
		if name == "" {
			continue
		}
		c, ok := parseColumn(t.kind, name)
		switch {
		case !ok:
			p.fail(t.file, t.line, displayColumn(h), "unknown column"+columnHint(t.kind, name))
			headerOK = false
		case seen[name]:
			p.fail(t.file, t.line, name, "duplicate column")
			headerOK = false
		default:
			seen[name] = true
			cols[i] = &c
		}
	}
	key := "code"
	if t.kind == productsKind {
		key = "sku"
	}
	if !seen[key] {
		p.fail(t.file, t.line, key, "column missing")
		return nil, false
	}
	// A header this wrong: the rows would only repeat it.
	return cols, headerOK || p.errs.Len() < MaxListedErrors
}

// rowCells checks the cells of one row against the rules every cell
// keeps, and reports cells outside the header's columns.
func (p *parser) rowCells(t table, cols []*column, line int, cells []string, noHeader map[int]bool) rowCells {
	row := rowCells{file: t.file, line: line, p: p}
	for i, cell := range cells {
		if i < len(cols) && cols[i] != nil {
			if v, ok := row.check(cols[i].name, cell, t.unescape); ok {
				row.values = append(row.values, cellValue{col: *cols[i], value: v})
			}
			continue
		}
		if strings.TrimSpace(cell) == "" {
			continue
		}
		if i >= len(t.header) {
			p.fail(t.file, line, "", fmt.Sprintf("%d cells, but the header has %d columns", len(cells), len(t.header)))
			break
		}
		if strings.TrimSpace(t.header[i]) == "" && !noHeader[i] {
			noHeader[i] = true
			p.fail(t.file, line, "column "+strconv.Itoa(i+1), "a value under an empty header")
		}
	}
	return row
}

type cellValue struct {
	col   column
	value string
}

// rowCells are the checked cells of one row.
type rowCells struct {
	p      *parser
	file   string
	line   int
	values []cellValue
	bad    bool // a cell broke a rule of every cell
}

func (r *rowCells) fail(column, reason string) { r.p.fail(r.file, r.line, column, reason) }

func (r *rowCells) pos() string { return r.file + ":" + strconv.Itoa(r.line) }

// check applies the rules every cell keeps.
func (r *rowCells) check(column, cell string, unescape bool) (string, bool) {
	switch {
	case len(cell) > MaxCellBytes:
		r.fail(column, "longer than 8000 bytes")
		r.bad = true
		return "", false
	case !utf8.ValidString(cell):
		r.fail(column, "not valid UTF-8")
		r.bad = true
		return "", false
	}
	if unescape {
		cell = sheet.Unguard(cell)
	}
	return cell, true
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// displayColumn shows a header as a problem names it: short, and quoted
// when it holds anything odd.
func displayColumn(h string) string {
	h = strings.TrimSpace(h)
	if !utf8.ValidString(h) {
		h = strings.ToValidUTF8(h, "\uFFFD")
	}
	if utf8.RuneCountInString(h) > 40 {
		h = string([]rune(h)[:40]) + "…"
	}
	for _, r := range h {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' {
			return strconv.Quote(h)
		}
	}
	return h
}

func columnHint(kind, name string) string {
	if slices.Contains(textColumns[kind], name) {
		return " (give the language: " + name + "_zh, " + name + "_en…)"
	}
	return ""
}
