package orders

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"villagebot/catalog"
)

// ExportHeader is the header of the order export (SPEC §7), in order.
var ExportHeader = []string{
	"order", "created_at", "kind", "status", "village", "sku", "product",
	"quantity", "unit_price", "line_total", "contact", "phone", "delivery",
	"occasion", "recipient", "country", "needed_by", "notes",
	"payment", "payment_method", "paid_at",
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
	NeededBy  *time.Time // a calendar date, at midnight UTC
	Notes     string
	// Payment, PaymentMethod and PaidAt are a sale's payment (payment.go),
	// PaidAt in the office's time zone; empty for a gift, and the last two
	// while unpaid. A refunded order keeps how and when it was paid.
	Payment       PaymentState
	PaymentMethod Method
	PaidAt        *time.Time
}

// Cells returns the row as text, in the order of ExportHeader, money in
// yuan with two decimals, needed_by as YYYY-MM-DD. Nothing is neutralised
// yet.
func (r ExportRow) Cells() []string {
	neededBy, paidAt := "", ""
	if r.NeededBy != nil {
		neededBy = r.NeededBy.Format(time.DateOnly)
	}
	if r.PaidAt != nil {
		paidAt = r.PaidAt.Format(isoOffset)
	}
	return []string{
		r.Order, r.CreatedAt.Format(isoOffset), string(r.Kind), string(r.Status), r.Village,
		r.SKU, r.Product, strconv.Itoa(r.Quantity), r.UnitPrice.String(), r.LineTotal.String(),
		r.Contact, r.Phone, r.Delivery, r.Occasion, r.Recipient, r.Country, neededBy, r.Notes,
		string(r.Payment), string(r.PaymentMethod), paidAt,
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
		       o.country, o.needed_by, o.notes, o.payment, o.payment_method, o.paid_at
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
	Payment   PaymentState  `db:"payment"`
	Method    Method        `db:"payment_method"`
	PaidAt    *time.Time    `db:"paid_at"`
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

		Payment:       l.Payment,
		PaymentMethod: l.Method,
	}
	if l.PaidAt != nil {
		t := l.PaidAt.In(loc)
		r.PaidAt = &t
	}
	if l.Address != "" && r.Delivery != "" {
		r.Delivery += ": " + l.Address
	}
	if l.NeededBy != nil {
		// A date column comes back as midnight UTC; its calendar date is
		// the one stored, whatever loc is.
		d := l.NeededBy.UTC()
		r.NeededBy = &d
	}
	// Validation keeps these empty already; the export does not rely on it.
	switch l.Kind {
	case Gift:
		r.Phone = ""
	case Sale:
		r.Occasion, r.Recipient, r.Country, r.NeededBy = "", "", "", nil
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
