package catalog

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"villagebot/internal/sheet"
)

// csv parses a CSV catalog file: UTF-8 with or without a BOM, RFC 4180.
// The header tells its kind: with sku it is products, else with code it is
// villages.
func (p *parser) csv(file string, data []byte) {
	data, ok := p.csvText(file, data)
	if !ok {
		return
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err == io.EOF {
		p.fail(file, 0, "", "empty file: a catalog file starts with a header such as sku,village,category,name_zh,…")
		return
	}
	if err != nil {
		p.fail(file, csvLine(err, 1), "", csvReason(err))
		return
	}
	line, _ := r.FieldPos(0)
	kind := csvKind(header)
	if kind == "" {
		p.fail(file, line, "", "the header has neither a sku column (products) nor a code column (villages)")
		return
	}
	var stop error
	p.parseTable(table{
		file:     file,
		kind:     kind,
		header:   header,
		line:     line,
		unescape: true,
		next: func() (int, []string, bool) {
			if p.full {
				return 0, nil, false
			}
			rec, err := r.Read()
			if err != nil {
				if err != io.EOF {
					stop = err
				}
				return 0, nil, false
			}
			line, _ := r.FieldPos(0)
			return line, rec, true
		},
		stopError: func() (int, string) {
			if stop == nil {
				return 0, ""
			}
			return csvLine(stop, 0), csvReason(stop)
		},
	})
}

// csvText is the text of a CSV file without its BOM, when it is UTF-8
// text; else it reports why not.
func (p *parser) csvText(file string, data []byte) ([]byte, bool) {
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		p.fail(file, 0, "", "UTF-16 text: save the file as CSV UTF-8")
		return nil, false
	}
	data = bytes.TrimPrefix(data, []byte(sheet.UTF8BOM))
	if i := bytes.IndexByte(data, 0); i >= 0 {
		p.fail(file, lineAt(data, i), "", "binary data, not a CSV text file")
		return nil, false
	}
	if !utf8.Valid(data) {
		p.fail(file, lineAt(data, invalidUTF8(data)), "", "not valid UTF-8: save the file as CSV UTF-8")
		return nil, false
	}
	return data, true
}

// csvKind tells the kind of a CSV table by its header: with sku it is
// products, else with code it is villages; "" when neither.
func csvKind(header []string) string {
	kind := ""
	for _, h := range header {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "sku":
			kind = productsKind
		case "code":
			if kind == "" {
				kind = villagesKind
			}
		}
	}
	return kind
}

func csvLine(err error, def int) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Line
	}
	return def
}

func csvReason(err error) string {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err.Error()
	}
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return `a " inside a cell that is not quoted (quote the cell and double the ")`
	case errors.Is(pe.Err, csv.ErrQuote):
		return `a quoted cell is not closed properly (a " is missing or not doubled)`
	}
	return pe.Err.Error()
}

// invalidUTF8 is the offset of the first byte that is not valid UTF-8.
func invalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(data)
}
