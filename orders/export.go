package orders

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/xuri/excelize/v2"

	"villagebot/catalog"
)

// ExportHeader is the header of the order export (SPEC §7), in order.
var ExportHeader = []string{
	"order", "created_at", "kind", "status", "village", "sku", "product",
	"quantity", "unit_price", "line_total", "contact", "phone", "delivery",
	"occasion", "recipient", "country", "needed_by", "notes",
}

// AllKinds is the ExportFilter.Kind that selects gifts and sales alike.
const AllKinds = "all"

// ExportFilter selects the orders to export.
type ExportFilter struct {
	// Kind is "gift", "sale" or "all"; empty means "all".
	Kind string
	// From and To are calendar dates in the office's time zone, both
	// inclusive: only their year, month and day count. Nil leaves that
	// side open.
	From, To *time.Time
}

// Validate reports a kind that is not gift, sale or all, and a range whose
// first day comes after its last, as an *InvalidError (ErrInvalid).
func (f ExportFilter) Validate() error {
	switch f.Kind {
	case "", AllKinds, string(Gift), string(Sale):
	default:
		return invalid("kind", "%q is not gift, sale or all", f.Kind)
	}
	if f.From != nil && f.To != nil && dateText(f.From) > dateText(f.To) {
		return invalid("to", "%s is before %s", dateText(f.To), dateText(f.From))
	}
	return nil
}

// ExportFileName names the file of an export, for a download or a
// document sent in chat: the kind ("gift-orders", "sale-orders", or
// "orders" for all), then the range of days and the format as extension:
//
//	gift-orders-2026-04-01_2026-04-30.xlsx   From and To
//	orders-from-2026-04-01.csv              From only
//	sale-orders-to-2026-04-30.xlsx          To only
//	orders-all.xlsx                         no bounds
func ExportFileName(f ExportFilter, format string) string {
	name := "orders"
	if f.Kind == string(Gift) || f.Kind == string(Sale) {
		name = f.Kind + "-orders"
	}
	switch {
	case f.From != nil && f.To != nil:
		name += "-" + dateText(f.From) + "_" + dateText(f.To)
	case f.From != nil:
		name += "-from-" + dateText(f.From)
	case f.To != nil:
		name += "-to-" + dateText(f.To)
	default:
		name += "-all"
	}
	if format = strings.ToLower(strings.TrimPrefix(format, ".")); format != "" {
		name += "." + format
	}
	return name
}

// ExportRow is one line of one order, as the export shows it. Fields that
// do not apply to the order's kind are empty: a gift has no phone, a sale
// no occasion, recipient, country or needed_by.
type ExportRow struct {
	Order     string    // "#1042"
	CreatedAt time.Time // in the office's time zone
	Kind      Kind
	Status    Status
	Village   string // the village's code
	SKU       string
	Product   string // "中文 / English", or the one name there is
	Quantity  int
	UnitPrice catalog.Money
	LineTotal catalog.Money
	Contact   string
	Phone     string
	// Delivery is pickup, hotel or shipping, followed by ": " and the
	// hotel or address when there is one: the export has no column of its
	// own for it, and whoever delivers needs it.
	Delivery  string
	Occasion  string
	Recipient string
	Country   string
	NeededBy  string // YYYY-MM-DD
	Notes     string
}

// Cells returns the row as text, in the order of ExportHeader, money in
// yuan with two decimals. Nothing is neutralised yet.
func (r ExportRow) Cells() []string {
	return []string{
		r.Order, r.CreatedAt.Format(isoOffset), string(r.Kind), string(r.Status), r.Village,
		r.SKU, r.Product, strconv.Itoa(r.Quantity), r.UnitPrice.String(), r.LineTotal.String(),
		r.Contact, r.Phone, r.Delivery, r.Occasion, r.Recipient, r.Country, r.NeededBy, r.Notes,
	}
}

// isoOffset is ISO 8601 with the offset always written as ±hh:mm, also
// for UTC, where RFC 3339 would write Z.
const isoOffset = "2006-01-02T15:04:05-07:00"

// RowEncoder writes the rows of an export, one Encode per row.
type RowEncoder interface {
	Encode(ExportRow) error
}

// StatsEncoder is a RowEncoder that also shows the /stats report of the
// exported range. Export gives it the report, taken from the same
// snapshot as the rows, before the first row.
type StatsEncoder interface {
	RowEncoder
	SetStats(Stats)
}

// Export streams the order lines the filter selects to enc, one row per
// line, oldest order first and each order's lines in the order they were
// written. Cancelled orders are exported too, with status cancelled: they
// are records of what happened. Rows are read from PostgreSQL a batch at a
// time, never all at once. Rows and, for a StatsEncoder, the report are read in
// one read-only snapshot, so they agree. created_at is shown in loc.
//
// Export does not close enc: the caller closes it, which finishes the file.
func (s *Store) Export(ctx context.Context, f ExportFilter, loc *time.Location, enc RowEncoder) (err error) {
	defer wrap(&err, "Export(%s %s)", f.Kind, rangeText(f.From, f.To))
	if err := f.Validate(); err != nil {
		return err
	}
	if loc == nil {
		loc = time.UTC
	}
	kind := f.Kind
	if kind == AllKinds {
		kind = ""
	}
	r := dayRange(f.From, f.To, loc)

	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if se, ok := enc.(StatsEncoder); ok {
		st, err := stats(ctx, tx, r)
		if err != nil {
			return err
		}
		se.SetStats(st)
	}
	// A cursor read in batches streams the lines however many there are,
	// and keeps each statement within the connection's statement timeout
	// however slowly the encoder writes.
	_, err = tx.ExecContext(ctx, `
		DECLARE export_lines NO SCROLL CURSOR FOR
		SELECT o.number, o.created_at, o.kind, o.status, v.code AS village_code,
		       l.sku, l.product_names, l.unit_price_fen, l.quantity,
		       o.contact, o.phone, o.delivery, o.address, o.occasion, o.recipient,
		       o.country, o.needed_by, o.notes
		  FROM orders o
		  JOIN order_lines l ON l.order_id = o.id
		  JOIN villages v ON v.id = l.village_id
		 WHERE ($1 = '' OR o.kind = $1)
		   AND ($2::timestamptz IS NULL OR o.created_at >= $2)
		   AND ($3::timestamptz IS NULL OR o.created_at < $3)
		 ORDER BY o.created_at, o.id, l.id`, kind, r.from, r.to)
	if err != nil {
		return err
	}
	for {
		n, err := exportBatch(ctx, tx, loc, enc)
		if err != nil {
			return err
		}
		if n < exportBatchSize {
			return nil
		}
	}
}

// exportBatchSize is how many lines Export fetches at a time.
const exportBatchSize = 1000

// exportBatch encodes the next lines of the cursor export_lines and
// returns how many there were.
func exportBatch(ctx context.Context, tx *sqlx.Tx, loc *time.Location, enc RowEncoder) (int, error) {
	rows, err := tx.QueryxContext(ctx, `FETCH `+strconv.Itoa(exportBatchSize)+` FROM export_lines`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var l exportLine
		if err := rows.StructScan(&l); err != nil {
			return n, err
		}
		if err := enc.Encode(l.row(loc)); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, rows.Close()
}

// exportLine is a line of the export as the query reads it.
type exportLine struct {
	Number    int64         `db:"number"`
	CreatedAt time.Time     `db:"created_at"`
	Kind      Kind          `db:"kind"`
	Status    Status        `db:"status"`
	Village   string        `db:"village_code"`
	SKU       string        `db:"sku"`
	Name      catalog.Texts `db:"product_names"`
	UnitPrice catalog.Money `db:"unit_price_fen"`
	Quantity  int           `db:"quantity"`
	Contact   string        `db:"contact"`
	Phone     string        `db:"phone"`
	Delivery  Delivery      `db:"delivery"`
	Address   string        `db:"address"`
	Occasion  string        `db:"occasion"`
	Recipient string        `db:"recipient"`
	Country   string        `db:"country"`
	NeededBy  *time.Time    `db:"needed_by"`
	Notes     string        `db:"notes"`
}

func (l exportLine) row(loc *time.Location) ExportRow {
	r := ExportRow{
		Order:     "#" + strconv.FormatInt(l.Number, 10),
		CreatedAt: l.CreatedAt.In(loc),
		Kind:      l.Kind,
		Status:    l.Status,
		Village:   l.Village,
		SKU:       l.SKU,
		Product:   bilingual(l.Name),
		Quantity:  l.Quantity,
		UnitPrice: l.UnitPrice,
		LineTotal: l.UnitPrice * catalog.Money(l.Quantity),
		Contact:   l.Contact,
		Phone:     l.Phone,
		Delivery:  string(l.Delivery),
		Occasion:  l.Occasion,
		Recipient: l.Recipient,
		Country:   l.Country,
		Notes:     l.Notes,
	}
	if l.Address != "" && r.Delivery != "" {
		r.Delivery += ": " + l.Address
	}
	if l.NeededBy != nil {
		// A date column comes back as midnight UTC; its calendar date is
		// the one stored, whatever loc is.
		r.NeededBy = l.NeededBy.UTC().Format(time.DateOnly)
	}
	// Validation keeps these empty already; the export does not rely on it.
	switch l.Kind {
	case Gift:
		r.Phone = ""
	case Sale:
		r.Occasion, r.Recipient, r.Country, r.NeededBy = "", "", "", ""
	}
	return r
}

// bilingual is the Chinese name with the English after " / " when both
// exist, else the one there is, else the name in any language.
func bilingual(t catalog.Texts) string {
	zh, en := strings.TrimSpace(t["zh"]), strings.TrimSpace(t["en"])
	switch {
	case zh != "" && en != "":
		return zh + " / " + en
	case zh != "":
		return zh
	case en != "":
		return en
	}
	return t.Get("zh")
}

// Neutralise makes a cell that a spreadsheet program would read as a
// formula (it starts with =, +, -, @, a tab or a carriage return) plain
// text by putting ' in front of it. Both encoders apply it to every text
// cell: in a CSV file such a cell would run; in a workbook it is written
// as a string and could not, but a sheet copied from the workbook into a
// CSV file would carry it along, and the two formats should show the same
// text. A phone number such as +86 138… is therefore shown as '+86 138….
func Neutralise(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// utf8BOM starts a CSV file so that spreadsheet programs read it as UTF-8.
const utf8BOM = "\uFEFF"

// CSVEncoder writes an export as CSV (SPEC §7): UTF-8 with a BOM, CRLF
// line ends, RFC 4180 quoting, the header first, and every cell that
// could run as a formula neutralised (see Neutralise).
type CSVEncoder struct {
	buf    *bufio.Writer
	w      *csv.Writer
	header bool
	lines  int
	cells  []string
}

// NewCSVEncoder returns an encoder writing to w. The BOM and the header are
// written with the first row, or by Close when there is none.
func NewCSVEncoder(w io.Writer) *CSVEncoder {
	buf := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(buf) // reuses buf: it is a bufio.Writer large enough
	cw.UseCRLF = true
	return &CSVEncoder{buf: buf, w: cw, cells: make([]string, len(ExportHeader))}
}

func (enc *CSVEncoder) writeHeader() error {
	if enc.header {
		return nil
	}
	enc.header = true
	if _, err := enc.buf.WriteString(utf8BOM); err != nil {
		return err
	}
	return enc.w.Write(ExportHeader)
}

// Encode writes one row.
func (enc *CSVEncoder) Encode(r ExportRow) error {
	if err := enc.writeHeader(); err != nil {
		return err
	}
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

// Close writes the header when no row was encoded and flushes. It does
// not close the underlying writer.
func (enc *CSVEncoder) Close() error {
	if err := enc.writeHeader(); err != nil {
		return err
	}
	enc.w.Flush()
	if err := enc.w.Error(); err != nil {
		return err
	}
	return enc.buf.Flush()
}

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

// XLSXEncoder writes an export as a workbook (SPEC §7): the sheet orders
// holds the rows, with the header bold and frozen, quantities as whole
// numbers and money as numbers shown with two decimals, and everything
// else as text (created_at and needed_by too, so that the offset and the
// date stay as written); text cells are neutralised as in CSV. On Close,
// the sheet villages gets the report given to SetStats (Export does this).
//
// Rows go through excelize's stream writer, which keeps them on disk once
// they outgrow a small buffer; the workbook is written to w by Close.
type XLSXEncoder struct {
	w     io.Writer
	f     *excelize.File
	sw    *excelize.StreamWriter
	bold  int
	money int
	lines int
	stats Stats
	cells []any
}

// NewXLSXEncoder returns an encoder whose workbook Close writes to w.
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
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	money, err := f.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00
	if err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(OrdersSheet)
	if err != nil {
		return nil, err
	}
	enc := &XLSXEncoder{w: w, f: f, sw: sw, bold: bold, money: money, cells: make([]any, len(ExportHeader))}
	// Widths, then panes, then rows: the stream writer takes them in
	// this order.
	for _, c := range []struct {
		from, to int
		width    float64
	}{
		{1, 1, 9}, {2, 2, 26}, {3, 4, 10}, {5, 6, 14}, {7, 7, 36}, {8, 10, 11},
		{11, 11, 20}, {12, 12, 18}, {13, 13, 30}, {14, 16, 24}, {17, 17, 12}, {18, 18, 40},
	} {
		if err := sw.SetColWidth(c.from, c.to, c.width); err != nil {
			return nil, err
		}
	}
	if err := freezeHeader(sw); err != nil {
		return nil, err
	}
	if err := sw.SetRow("A1", boldRow(ExportHeader, bold)); err != nil {
		return nil, err
	}
	return enc, nil
}

func freezeHeader(sw *excelize.StreamWriter) error {
	return sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}})
}

func boldRow(header []string, style int) []any {
	row := make([]any, len(header))
	for i, h := range header {
		row[i] = excelize.Cell{Value: h, StyleID: style}
	}
	return row
}

// Columns of the orders sheet written as numbers.
const (
	quantityCol  = 7
	unitPriceCol = 8
	lineTotalCol = 9
)

// Encode writes one row.
func (enc *XLSXEncoder) Encode(r ExportRow) error {
	for i, c := range r.Cells() {
		enc.cells[i] = textCell(c)
	}
	enc.cells[quantityCol] = r.Quantity
	enc.cells[unitPriceCol] = excelize.Cell{Value: yuan(r.UnitPrice), StyleID: enc.money}
	enc.cells[lineTotalCol] = excelize.Cell{Value: yuan(r.LineTotal), StyleID: enc.money}
	if err := enc.sw.SetRow(rowCell(enc.lines+2), enc.cells); err != nil {
		return err
	}
	enc.lines++
	return nil
}

// textCell is a text cell's value: the text neutralised, or no value at
// all for empty text, so that the cell is blank.
func textCell(s string) any {
	if s == "" {
		return nil
	}
	return Neutralise(s)
}

// rowCell names the first cell of a row, e.g. "A2".
func rowCell(row int) string { return "A" + strconv.Itoa(row) }

// villageRow is a row of the villages sheet, its text and counts in the
// style text, its money in the style money.
func villageRow(v VillageStats, text, money int) []any {
	cell := func(value any, style int) excelize.Cell { return excelize.Cell{Value: value, StyleID: style} }
	return []any{
		cell(textCell(v.Code), text), cell(textCell(bilingual(v.Name)), text),
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

func (enc *XLSXEncoder) writeVillages() error {
	if _, err := enc.f.NewSheet(VillagesSheet); err != nil {
		return err
	}
	sw, err := enc.f.NewStreamWriter(VillagesSheet)
	if err != nil {
		return err
	}
	if err := sw.SetColWidth(1, 1, 14); err != nil {
		return err
	}
	if err := sw.SetColWidth(2, 2, 30); err != nil {
		return err
	}
	if err := sw.SetColWidth(3, 8, 12); err != nil {
		return err
	}
	if err := freezeHeader(sw); err != nil {
		return err
	}
	if err := sw.SetRow("A1", boldRow(VillagesHeader, enc.bold)); err != nil {
		return err
	}
	boldMoney, err := enc.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 2})
	if err != nil {
		return err
	}
	for i, v := range enc.stats.Villages {
		if err := sw.SetRow(rowCell(i+2), villageRow(v, 0, enc.money)); err != nil {
			return err
		}
	}
	total := enc.stats.Total
	total.Code, total.Name = "Total", nil // no village code has capitals
	if err := sw.SetRow(rowCell(len(enc.stats.Villages)+2), villageRow(total, enc.bold, boldMoney)); err != nil {
		return err
	}
	return sw.Flush()
}

// WriteExport writes the export of f to w as "csv" or "xlsx" and returns
// the number of lines. The command line and the chat both export through
// it, so the same range gives the same file.
func (s *Store) WriteExport(ctx context.Context, f ExportFilter, loc *time.Location, format string, w io.Writer) (int, error) {
	switch format {
	case "csv":
		enc := NewCSVEncoder(w)
		if err := s.Export(ctx, f, loc, enc); err != nil {
			return 0, err
		}
		return enc.Lines(), enc.Close()
	case "xlsx":
		enc, err := NewXLSXEncoder(w)
		if err != nil {
			return 0, err
		}
		if err := s.Export(ctx, f, loc, enc); err != nil {
			enc.Close() // releases its temporary files; the output is dropped
			return 0, err
		}
		return enc.Lines(), enc.Close()
	}
	return 0, fmt.Errorf("%w: export format %q is not csv or xlsx", ErrInvalid, format)
}
