package orders

import (
	"errors"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"villagebot/catalog"
	"villagebot/internal/sheet"
)

// The sheets of an XLSX export.
const (
	OrdersSheet   = "orders"
	VillagesSheet = "villages"
)

// VillagesHeader is the header of the villages sheet of an XLSX export:
// the /stats report of the exported range.
var VillagesHeader = []string{
	"village", "name", "sale_orders", "sale_units", "sale_value",
	"gift_orders", "gift_units", "gift_value",
}

// XLSXEncoder writes an export as a workbook (the README's export
// section): the sheet orders holds the rows, with the header bold and
// frozen, quantities as whole numbers, money as numbers shown with two
// decimals, created_at as a date and time (the office's wall clock: a
// workbook keeps no offset, as paid_at) and needed_by as a date, and everything else
// as text. A text cell keeps its plain value, a phone reads +86…, not
// '+86…: a workbook never evaluates a text cell, and one that looks like
// a formula is quote-prefixed so that it stays text once edited too. On
// Close, the sheet villages gets the report given to SetStats (Export does
// this).
//
// Rows go through excelize's stream writer, which keeps them on disk once
// they outgrow a small buffer; the workbook is written to w by Close.
type XLSXEncoder struct {
	w      io.Writer
	f      *excelize.File
	sw     *excelize.StreamWriter
	styles sheet.Styles
	lines  int
	stats  Stats
	cells  []any
}

// ordersCols are the widths of the columns of the orders sheet.
var ordersCols = []sheet.Col{
	{From: 1, To: 1, Width: 9}, {From: 2, To: 2, Width: 26}, {From: 3, To: 4, Width: 10},
	{From: 5, To: 6, Width: 14}, {From: 7, To: 7, Width: 36}, {From: 8, To: 10, Width: 11},
	{From: 11, To: 11, Width: 20}, {From: 12, To: 12, Width: 18}, {From: 13, To: 13, Width: 30},
	{From: 14, To: 16, Width: 24}, {From: 17, To: 17, Width: 12}, {From: 18, To: 18, Width: 40},
	{From: 19, To: 20, Width: 14}, {From: 21, To: 21, Width: 20},
}

// NewXLSXEncoder returns an encoder whose workbook Close writes to w. The
// header of the orders sheet is written here.
func NewXLSXEncoder(w io.Writer) (*XLSXEncoder, error) {
	f := excelize.NewFile()
	enc, err := newXLSXEncoder(w, f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("orders: xlsx: %w", err)
	}
	return enc, nil
}

func newXLSXEncoder(w io.Writer, f *excelize.File) (*XLSXEncoder, error) {
	if err := f.SetSheetName(f.GetSheetName(0), OrdersSheet); err != nil {
		return nil, err
	}
	styles, err := sheet.NewStyles(f)
	if err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(OrdersSheet)
	if err != nil {
		return nil, err
	}
	if err := styles.StartSheet(sw, ExportHeader, ordersCols...); err != nil {
		return nil, err
	}
	return &XLSXEncoder{w: w, f: f, sw: sw, styles: styles, cells: make([]any, len(ExportHeader))}, nil
}

// Columns of the orders sheet written as numbers or dates.
const (
	createdAtCol = 1
	quantityCol  = 7
	unitPriceCol = 8
	lineTotalCol = 9
	neededByCol  = 16
	paidAtCol    = 20
)

// Encode writes one row.
func (enc *XLSXEncoder) Encode(r ExportRow) error {
	for i, c := range r.Cells() {
		enc.cells[i] = enc.styles.TextCell(c)
	}
	enc.cells[createdAtCol] = excelize.Cell{Value: r.CreatedAt, StyleID: enc.styles.DateTime}
	if r.NeededBy != nil {
		enc.cells[neededByCol] = excelize.Cell{Value: *r.NeededBy, StyleID: enc.styles.Date}
	}
	if r.PaidAt != nil {
		enc.cells[paidAtCol] = excelize.Cell{Value: *r.PaidAt, StyleID: enc.styles.DateTime}
	}
	enc.cells[quantityCol] = r.Quantity
	enc.cells[unitPriceCol] = excelize.Cell{Value: yuan(r.UnitPrice), StyleID: enc.styles.Money}
	enc.cells[lineTotalCol] = excelize.Cell{Value: yuan(r.LineTotal), StyleID: enc.styles.Money}
	if err := enc.sw.SetRow(sheet.RowCell(enc.lines+2), enc.cells); err != nil {
		return err
	}
	enc.lines++
	return nil
}

// villageRow is a row of the villages sheet, its text and counts in the
// style text, its money in the style money. A name that looks like a
// formula is quote-prefixed text.
func (enc *XLSXEncoder) villageRow(v VillageStats, text, money int) []any {
	cell := func(value any, style int) excelize.Cell { return excelize.Cell{Value: value, StyleID: style} }
	return []any{
		enc.styles.StyledText(v.Code, text), enc.styles.StyledText(bilingual(v.Name), text),
		cell(v.SaleOrders, text), cell(v.SaleUnits, text), cell(yuan(v.SaleValue), money),
		cell(v.GiftOrders, text), cell(v.GiftUnits, text), cell(yuan(v.GiftValue), money),
	}
}

// yuan is fen as a number of yuan for a spreadsheet cell. The nearest
// double to a two-decimal amount is written back as that amount.
func yuan(m catalog.Money) float64 { return float64(m) / 100 }

// Lines is the number of rows encoded, the header not counted.
func (enc *XLSXEncoder) Lines() int { return enc.lines }

// SetStats sets the report Close writes on the villages sheet.
func (enc *XLSXEncoder) SetStats(st Stats) { enc.stats = st }

// Close finishes the orders sheet, writes the villages sheet and the whole
// workbook to w, and releases the encoder's temporary files: call it also
// after a failed export. It does not close w.
func (enc *XLSXEncoder) Close() error {
	defer enc.f.Close()
	err := errors.Join(enc.sw.Flush(), enc.writeVillages())
	if err == nil {
		_, err = enc.f.WriteTo(enc.w)
	}
	if err != nil {
		return fmt.Errorf("orders: xlsx: %w", err)
	}
	return nil
}

// villagesCols are the widths of the columns of the villages sheet.
var villagesCols = []sheet.Col{{From: 1, To: 1, Width: 14}, {From: 2, To: 2, Width: 30}, {From: 3, To: 8, Width: 12}}

func (enc *XLSXEncoder) writeVillages() error {
	if _, err := enc.f.NewSheet(VillagesSheet); err != nil {
		return err
	}
	sw, err := enc.f.NewStreamWriter(VillagesSheet)
	if err != nil {
		return err
	}
	if err := enc.styles.StartSheet(sw, VillagesHeader, villagesCols...); err != nil {
		return err
	}
	boldMoney, err := enc.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 2})
	if err != nil {
		return err
	}
	for i, v := range enc.stats.Villages {
		if err := sw.SetRow(sheet.RowCell(i+2), enc.villageRow(v, 0, enc.styles.Money)); err != nil {
			return err
		}
	}
	total := enc.stats.Total
	total.Code, total.Name = "Total", nil // no village code has capitals
	if err := sw.SetRow(sheet.RowCell(len(enc.stats.Villages)+2), enc.villageRow(total, enc.styles.Header, boldMoney)); err != nil {
		return err
	}
	return sw.Flush()
}
