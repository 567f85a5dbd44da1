// Package sheet holds what every spreadsheet the shop writes shares: the
// formula guard of text cells, the UTF-8 mark of CSV files, and the styles
// of an XLSX sheet (a bold frozen header, quote-prefixed text, dates).
// The catalog export and the order export both write through it, so the
// two files guard and look the same.
package sheet

import (
	"strings"

	"github.com/xuri/excelize/v2"
)

// UTF8BOM starts a CSV file so that spreadsheet programs read it as UTF-8.
const UTF8BOM = "\uFEFF"

// IsFormula reports whether a spreadsheet program would read s as a
// formula: it starts with =, +, -, @, a tab or a carriage return.
func IsFormula(s string) bool {
	return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
}

// Neutralise is a CSV cell's text with a ' put in front when it would run
// as a formula, so that it cannot: "+86 138…" becomes "'+86 138…". It is
// for files nobody reads back; see Guard for a round trip.
func Neutralise(s string) string {
	if IsFormula(s) {
		return "'" + s
	}
	return s
}

// Guard is Neutralise for a CSV file that is read back with Unguard: text
// that starts with one or more ' before a formula sign gets one more, so
// that any text survives the round trip.
func Guard(s string) string {
	if IsFormula(strings.TrimLeft(s, "'")) {
		return "'" + s
	}
	return s
}

// Unguard undoes Guard.
func Unguard(s string) string {
	if strings.HasPrefix(s, "'") && IsFormula(strings.TrimLeft(s, "'")) {
		return s[1:]
	}
	return s
}

// Styles are the cell styles of one workbook.
type Styles struct {
	Header int // bold
	// Text is quote-prefixed text: a spreadsheet program shows the value as
	// written and never evaluates it, also once someone edits the cell.
	// A text cell is written with it when IsFormula holds.
	Text     int
	Money    int // a number with two decimals
	Date     int // a calendar date, yyyy-mm-dd
	DateTime int // a date and time of day, yyyy-mm-dd hh:mm:ss
}

// NewStyles adds the styles to f.
func NewStyles(f *excelize.File) (Styles, error) {
	var st Styles
	var err error
	if st.Header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return st, err
	}
	if st.Text, err = quotePrefixed(f); err != nil {
		return st, err
	}
	if st.Money, err = f.NewStyle(&excelize.Style{NumFmt: 2}); err != nil { // 0.00
		return st, err
	}
	date, dateTime := "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss"
	if st.Date, err = f.NewStyle(&excelize.Style{CustomNumFmt: &date}); err != nil {
		return st, err
	}
	st.DateTime, err = f.NewStyle(&excelize.Style{CustomNumFmt: &dateTime})
	return st, err
}

// quotePrefixed adds the text style (number format @) with the
// quotePrefix flag. excelize's Style has no field for the flag, so it is
// set on the cell format NewStyle made, which excelize writes as it is.
func quotePrefixed(f *excelize.File) (int, error) {
	id, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // @: text
	if err != nil {
		return 0, err
	}
	on := true
	f.Styles.CellXfs.Xf[id].QuotePrefix = &on
	return id, nil
}

// IsQuotePrefixed reports whether the style id of f is quote-prefixed text.
func IsQuotePrefixed(f *excelize.File, id int) bool {
	if f.Styles == nil || f.Styles.CellXfs == nil || id < 0 || id >= len(f.Styles.CellXfs.Xf) {
		return false
	}
	q := f.Styles.CellXfs.Xf[id].QuotePrefix
	return q != nil && *q
}

// TextCell is the cell of a text: none for "" (the cell stays blank), the
// text in the Text style when it looks like a formula, else the text.
func (st Styles) TextCell(s string) any {
	switch {
	case s == "":
		return nil
	case IsFormula(s):
		return excelize.Cell{Value: s, StyleID: st.Text}
	}
	return s
}

// StyledText is TextCell for a cell of the given style (the header's, say):
// blank for "", quote-prefixed text when it looks like a formula.
func (st Styles) StyledText(s string, style int) excelize.Cell {
	switch {
	case s == "":
		return excelize.Cell{StyleID: style}
	case IsFormula(s):
		return excelize.Cell{Value: s, StyleID: st.Text}
	}
	return excelize.Cell{Value: s, StyleID: style}
}

// Col is the width of columns From to To (1-based, inclusive).
type Col struct {
	From, To int
	Width    float64
}

// StartSheet writes the top of a streamed sheet: the column widths, the
// header row frozen in place and bold. A stream writer takes widths, then
// panes, then rows, in this order.
func (st Styles) StartSheet(sw *excelize.StreamWriter, header []string, cols ...Col) error {
	for _, c := range cols {
		if err := sw.SetColWidth(c.From, c.To, c.Width); err != nil {
			return err
		}
	}
	err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}})
	if err != nil {
		return err
	}
	row := make([]any, len(header))
	for i, h := range header {
		row[i] = excelize.Cell{Value: h, StyleID: st.Header}
	}
	return sw.SetRow("A1", row)
}

// RowCell names the first cell of a row, e.g. "A2".
func RowCell(row int) string {
	name, _ := excelize.CoordinatesToCellName(1, row)
	return name
}
