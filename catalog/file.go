package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// lineAt is the 1-based line of byte offset i of data.
func lineAt(data []byte, i int) int {
	return bytes.Count(data[:i], []byte{'\n'}) + 1
}
