package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"villagebot/internal/sheet"
)

// Limits of catalog files. A cell may hold a whole story: 2000 characters
// of Chinese are 6000 bytes of UTF-8.
const (
	MaxFileBytes    = 10 << 20 // one file
	MaxRows         = 20_000   // rows of one import, all files together
	MaxCellBytes    = 8000     // one cell
	MaxListedErrors = 100      // problems FileErrors lists
)

// Batch is what catalog files hold (SPEC §6), parsed and checked cell by
// cell but not yet against the database: Store.Import does that.
//
// A row changes only what it gives: a column the file does not have keeps
// the stored value (a file without story_ru keeps the Russian story). A
// text or photo_url column that is present but empty removes that text. An
// empty village, category, price, stock, gift or visible cell keeps the
// stored value; a new product takes stock 0, gift false and visible true,
// and must give its village, category and price.
type Batch struct {
	Villages []VillageRow
	Products []ProductRow
}

// VillageRow is one row of a villages file.
type VillageRow struct {
	File    string          // "villages.csv", "catalog.xlsx[villages]"
	Line    int             // 1-based line or spreadsheet row
	Village Village         // Code and the non-empty texts given
	Present map[string]bool // the columns this row sets, e.g. "name_ru"
}

// ProductRow is one row of a products file.
type ProductRow struct {
	File    string
	Line    int
	Product Product // VillageCode names the village
	Present map[string]bool
}

// FileError is one problem in a catalog file. Line is 0 when the problem
// is the whole file, Column empty when it is a whole row.
type FileError struct {
	File   string
	Line   int
	Column string
	Reason string
}

// String formats the problem as FILE:LINE: column: reason.
func (e FileError) String() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Column != "" {
		b.WriteString(e.Column + ": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// FileErrors are all the problems found in catalog files: the first
// MaxListedErrors of them, and how many more there were. errors.Is(err,
// ErrInvalid) holds for it.
type FileErrors struct {
	Errors []FileError
	More   int
}

// Error lists one problem a line, in the order they were found.
func (e *FileErrors) Error() string {
	lines := make([]string, 0, len(e.Errors)+1)
	for _, fe := range e.Errors {
		lines = append(lines, fe.String())
	}
	if e.More > 0 {
		lines = append(lines, fmt.Sprintf("… and %d more errors", e.More))
	}
	return strings.Join(lines, "\n")
}

// Is makes errors.Is(err, ErrInvalid) hold.
func (e *FileErrors) Is(target error) bool { return target == ErrInvalid }

// Len is the number of problems, listed or not.
func (e *FileErrors) Len() int { return len(e.Errors) + e.More }

func (e *FileErrors) add(fe FileError) {
	if len(e.Errors) < MaxListedErrors {
		e.Errors = append(e.Errors, fe)
	} else {
		e.More++
	}
}

// err returns e, or nil when there is no problem.
func (e *FileErrors) err() error {
	if e.Len() == 0 {
		return nil
	}
	return e
}

// ParseFiles parses catalog files: each path is a .csv or .xlsx file, or a
// directory whose .csv and .xlsx files (not its subdirectories) are read
// in name order. Every problem in every file is reported together as a
// *FileErrors. Reading stops at ctx's deadline, which is a problem of the
// file being read then; so is a workbook over MaxCells or MaxExpandedBytes.
func ParseFiles(ctx context.Context, paths ...string) (*Batch, error) {
	p := newParser(ctx)
	if len(paths) == 0 {
		p.errs.add(FileError{File: "catalog", Reason: "no file given"})
	}
	for _, path := range paths {
		if p.expired(path, 0) {
			break
		}
		p.path(path)
	}
	return p.result()
}

// Parse parses one catalog file read from r, its kind told by the
// extension of name (.csv or .xlsx), as when a coordinator uploads a file.
// Problems are reported with the base name of name. Reading stops at
// ctx's deadline, as for ParseFiles.
func Parse(ctx context.Context, name string, r io.Reader) (*Batch, error) {
	p := newParser(ctx)
	p.read(name, r)
	return p.result()
}

// parser collects the rows and problems of the files of one batch.
type parser struct {
	ctx   context.Context
	b     Batch
	errs  FileErrors
	rows  int
	full  bool              // MaxRows or the deadline reached: further rows are not read
	skus  map[string]string // upper-case SKU → where it was first seen
	codes map[string]string // village code → where it was first seen
}

func newParser(ctx context.Context) *parser {
	return &parser{ctx: ctx, skus: map[string]string{}, codes: map[string]string{}}
}

// expired reports whether ctx ended; the first time, it blames the file
// being read and stops the reading.
func (p *parser) expired(file string, line int) bool {
	if p.ctx.Err() == nil {
		return false
	}
	if !p.full {
		p.full = true
		p.fail(file, line, "", "reading stopped: the file takes longer to read than allowed")
	}
	return true
}

func (p *parser) result() (*Batch, error) {
	if err := p.errs.err(); err != nil {
		return nil, err
	}
	return &p.b, nil
}

func (p *parser) fail(file string, line int, column, reason string) {
	p.errs.add(FileError{File: file, Line: line, Column: column, Reason: reason})
}

func (p *parser) path(path string) {
	fi, err := os.Stat(path)
	if err != nil {
		p.fail(path, 0, "", "cannot read: "+osReason(err))
		return
	}
	if !fi.IsDir() {
		p.file(path, fi.Size())
		return
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		p.fail(path, 0, "", "cannot read: "+osReason(err))
		return
	}
	found := false
	for _, e := range entries {
		kind := fileKind(e.Name())
		if e.IsDir() || kind == "" || strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "~$") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			p.fail(e.Name(), 0, "", "cannot read: "+osReason(err))
			continue
		}
		found = true
		p.file(filepath.Join(path, e.Name()), info.Size())
	}
	if !found {
		p.fail(path, 0, "", "no .csv or .xlsx file in this directory")
	}
}

func (p *parser) file(path string, size int64) {
	name := filepath.Base(path)
	if fileKind(name) == "" {
		p.fail(name, 0, "", "not a catalog file: the name must end in .csv or .xlsx")
		return
	}
	if size > MaxFileBytes {
		p.fail(name, 0, "", "larger than 10 MiB")
		return
	}
	f, err := os.Open(path)
	if err != nil {
		p.fail(name, 0, "", "cannot read: "+osReason(err))
		return
	}
	defer f.Close()
	p.read(name, f)
}

// read parses one file from r; name gives its kind.
func (p *parser) read(name string, r io.Reader) {
	name = filepath.Base(name)
	kind := fileKind(name)
	if kind == "" {
		p.fail(name, 0, "", "not a catalog file: the name must end in .csv or .xlsx")
		return
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		p.fail(name, 0, "", "cannot read: "+err.Error())
		return
	}
	if len(data) > MaxFileBytes {
		p.fail(name, 0, "", "larger than 10 MiB")
		return
	}
	switch kind {
	case "csv":
		p.csv(name, data)
	case "xlsx":
		p.xlsx(name, data)
	}
}

func fileKind(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return "csv"
	case ".xlsx":
		return "xlsx"
	}
	return ""
}

func osReason(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

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
		return
	}
	if !headerOK && p.errs.Len() >= MaxListedErrors {
		return // a header this wrong: the rows would only repeat it
	}
	noHeader := map[int]bool{}
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
		row := rowCells{file: t.file, line: line, p: p}
		for i, cell := range cells {
			if i >= len(cols) || cols[i] == nil {
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
				continue
			}
			if v, ok := row.check(cols[i].name, cell, t.unescape); ok {
				row.values = append(row.values, cellValue{col: *cols[i], value: v})
			}
		}
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

func (p *parser) villageRow(r rowCells) {
	row := VillageRow{File: r.file, Line: r.line, Present: map[string]bool{},
		Village: Village{Name: Texts{}, Region: Texts{}, Story: Texts{}}}
	v := &row.Village
	for _, c := range r.values {
		switch c.col.field {
		case "code":
			v.Code = strings.TrimSpace(c.value)
			if v.Code == "" {
				continue // reported below
			}
			if err := checkCode(v.Code); err != nil {
				r.fail("code", err.Error())
				continue
			}
			if first, dup := p.codes[v.Code]; dup {
				r.fail("code", v.Code+" appears twice (first at "+first+")")
				continue
			}
			p.codes[v.Code] = r.pos()
		case "name":
			r.text(row.Present, c, v.Name, MaxNameRunes, false)
		case "region":
			r.text(row.Present, c, v.Region, MaxNameRunes, false)
		case "story":
			r.text(row.Present, c, v.Story, MaxStoryRunes, true)
		}
	}
	if v.Code == "" && !r.bad {
		r.fail("code", "required")
	}
	p.b.Villages = append(p.b.Villages, row)
}

func (p *parser) productRow(r rowCells, numeric bool) {
	row := ProductRow{File: r.file, Line: r.line, Present: map[string]bool{},
		Product: Product{Name: Texts{}, Unit: Texts{}, Story: Texts{}, Visible: true}}
	pr := &row.Product
	for _, c := range r.values {
		s := strings.TrimSpace(c.value)
		set := func() { row.Present[c.col.name] = true }
		switch c.col.field {
		case "sku":
			pr.SKU = s
			if s == "" {
				continue // reported below
			}
			if err := checkSKU(s); err != nil {
				r.fail("sku", err.Error())
				continue
			}
			if first, dup := p.skus[strings.ToUpper(s)]; dup {
				r.fail("sku", s+" appears twice (first at "+first+")")
				continue
			}
			p.skus[strings.ToUpper(s)] = r.pos()
		case "village":
			if s == "" {
				continue
			}
			if err := checkCode(s); err != nil {
				r.fail("village", err.Error())
				continue
			}
			pr.VillageCode = s
			set()
		case "category":
			if s == "" {
				continue
			}
			pr.Category = Category(strings.ToLower(s))
			if !pr.Category.Valid() {
				r.fail("category", categoryReason(s))
				continue
			}
			set()
		case "price":
			if s == "" {
				continue
			}
			m, err := parsePrice(s, numeric)
			if err != nil {
				r.fail("price", err.Error())
				continue
			}
			pr.Price = m
			set()
		case "stock":
			if s == "" {
				continue
			}
			n, err := parseStock(s)
			if err != nil {
				r.fail("stock", err.Error())
				continue
			}
			pr.Stock = n
			set()
		case "gift", "visible":
			if s == "" {
				continue
			}
			b, err := parseBool(s)
			if err != nil {
				r.fail(c.col.name, err.Error())
				continue
			}
			if c.col.field == "gift" {
				pr.Gift = b
			} else {
				pr.Visible = b
			}
			set()
		case "photo_url":
			if err := checkPhotoURL(s); err != nil {
				r.fail("photo_url", err.Error())
				continue
			}
			pr.PhotoURL = s
			set()
		case "name":
			r.text(row.Present, c, pr.Name, MaxNameRunes, false)
		case "unit":
			r.text(row.Present, c, pr.Unit, MaxUnitRunes, false)
		case "story":
			r.text(row.Present, c, pr.Story, MaxStoryRunes, true)
		}
	}
	if pr.SKU == "" && !r.bad {
		r.fail("sku", "required")
	}
	p.b.Products = append(p.b.Products, row)
}

// text checks and keeps one text cell; an empty one is present (it clears
// the stored text) but holds nothing.
func (r *rowCells) text(present map[string]bool, c cellValue, t Texts, maxRunes int, multiline bool) {
	s := normalizeText(c.value, multiline)
	if err := checkText(s, maxRunes, multiline); err != nil {
		r.fail(c.col.name, err.Error())
		return
	}
	present[c.col.name] = true
	if s != "" {
		t[c.col.lang] = s
	}
}

// parsePrice reads a price in yuan. A spreadsheet keeps numbers as
// binary fractions, so there 19.899999999999999 is taken as 19.90.
func parsePrice(s string, numeric bool) (Money, error) {
	m, err := ParseYuan(s)
	if err != nil && numeric {
		if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && f >= 0 && f <= float64(MaxPrice/100) {
			fen := f * 100
			if r := float64(int64(fen + 0.5)); r-fen < 1e-6 && fen-r < 1e-6 {
				m, err = Money(r), nil
			}
		}
	}
	switch {
	case err != nil:
		return 0, errors.New("must be an amount in yuan with at most two decimals, such as 88 or 88.50")
	case m > MaxPrice:
		return 0, errors.New("must be at most 1000000 yuan")
	}
	return m, nil
}

// parseStock reads a whole number of units; "12.0" from a spreadsheet is 12.
func parseStock(s string) (int, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || strings.Trim(frac, "0") != "" || len(whole) > 7 {
		return 0, errors.New("must be a whole number from 0 to 1000000")
	}
	n, _ := strconv.Atoi(whole)
	if n > MaxStock {
		return 0, errors.New("must be a whole number from 0 to 1000000")
	}
	return n, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "yes", "1":
		return true, nil
	case "false", "no", "0":
		return false, nil
	}
	return false, errors.New("must be true or false (yes/no, 1/0)")
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

// lineAt is the 1-based line of byte offset i of data.
func lineAt(data []byte, i int) int {
	return bytes.Count(data[:i], []byte{'\n'}) + 1
}
