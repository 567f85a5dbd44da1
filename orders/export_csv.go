package orders

import (
	"bufio"
	"encoding/csv"
	"io"

	"villagebot/internal/sheet"
)

// Neutralise makes a cell that a spreadsheet program would read as a
// formula (it starts with =, +, -, @, a tab or a carriage return) plain
// text by putting ' in front of it: in a CSV file such a cell would run. A
// phone number such as +86 138… is therefore shown as '+86 138… in CSV.
// It is sheet.Neutralise, the guard the catalog export shares.
func Neutralise(s string) string { return sheet.Neutralise(s) }

// CSVEncoder writes an export as CSV (SPEC §7): UTF-8 with a BOM, CRLF
// line ends, RFC 4180 quoting, the header first, and every cell that
// could run as a formula neutralised (see Neutralise).
type CSVEncoder struct {
	buf   *bufio.Writer
	w     *csv.Writer
	lines int
	cells []string
}

// NewCSVEncoder returns an encoder writing to w, the BOM and the header
// first. Nothing reaches w before the buffer fills or Close flushes it.
func NewCSVEncoder(w io.Writer) *CSVEncoder {
	buf := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(buf) // reuses buf: it is a bufio.Writer large enough
	cw.UseCRLF = true
	buf.WriteString(sheet.UTF8BOM) // a write error stays in buf and comes back from Close
	cw.Write(ExportHeader)
	return &CSVEncoder{buf: buf, w: cw, cells: make([]string, len(ExportHeader))}
}

// Encode writes one row.
func (enc *CSVEncoder) Encode(r ExportRow) error {
	for i, c := range r.Cells() {
		enc.cells[i] = Neutralise(c)
	}
	if err := enc.w.Write(enc.cells); err != nil {
		return err
	}
	enc.lines++
	return nil
}

// Lines is the number of rows encoded, the header not counted.
func (enc *CSVEncoder) Lines() int { return enc.lines }

// Close flushes what is buffered. It does not close the underlying
// writer.
func (enc *CSVEncoder) Close() error {
	enc.w.Flush()
	if err := enc.w.Error(); err != nil {
		return err
	}
	return enc.buf.Flush()
}
