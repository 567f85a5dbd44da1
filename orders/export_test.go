package orders_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"villagebot/catalog"
	"villagebot/internal/pgtest"
	"villagebot/internal/sheet"
	"villagebot/orders"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// specHeader is the header of SPEC §7, copied letter for letter.
const specHeader = "order,created_at,kind,status,village,sku,product,quantity,unit_price,line_total,contact,phone,delivery,occasion,recipient,country,needed_by,notes,payment,payment_method,paid_at"

var shanghai = mustLoadLocation("Asia/Shanghai")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// set moves the clock to t.
func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// scene is a month of orders around April 2026 in Shanghai, for the export
// and the report:
//
//	#1001 2026-03-31 23:59 sale  maona tea ×1                        placed
//	#1002 2026-04-01 09:30 sale  maona tea ×2, beireng coffee ×1     delivered, paid (wechat)
//	#1003 2026-04-10 14:00 gift  maona brocade ×3, beireng carving ×2 confirmed
//	#1004 2026-04-20 11:05 sale  maona tea ×1, maona brocade ×1      placed (hotel; contact is a formula)
//	#1005 2026-04-25 16:00 sale  maona tea ×5                        cancelled
//	#1006 2026-04-30 23:30 sale  beireng coffee ×1                   confirmed
//	#1007 2026-05-01 00:30 gift  beireng carving ×1                  placed
type scene struct {
	*fixture
	maona, beireng int64
}

// hyperlink is a contact that would run as a formula if not neutralised.
const hyperlink = `=HYPERLINK("http://x","y")`

func newScene(t testing.TB) *scene {
	f := newFixture(t)
	s := &scene{fixture: f, maona: f.village("maona"), beireng: f.village("beireng")}
	f.exec(`UPDATE villages SET names = $2 WHERE id = $1`, s.maona, catalog.Texts{"zh": "毛纳村", "en": "Maona", "ru": "Маона"})
	f.exec(`UPDATE villages SET names = $2 WHERE id = $1`, s.beireng, catalog.Texts{"zh": "北仍村", "en": "Beireng"})
	tea := f.product(s.maona, "MAONA-BLACK", 100, 8800)
	brocade := f.product(s.maona, "LI-BROCADE", 20, 30000, giftable)
	coffee := f.product(s.beireng, "BR-COFFEE", 100, 12050, giftable)
	carving := f.product(s.beireng, "COCONUT", 10, 4500, giftable)
	f.exec(`UPDATE products SET names = $2 WHERE id = $1`, tea, catalog.Texts{"zh": "毛纳红茶", "en": "Maona black tea", "ru": "Чёрный чай"})
	f.exec(`UPDATE products SET names = $2 WHERE id = $1`, brocade, catalog.Texts{"zh": "黎锦"})
	f.exec(`UPDATE products SET names = $2 WHERE id = $1`, coffee, catalog.Texts{"zh": "兴隆咖啡", "en": "Xinglong coffee"})
	f.exec(`UPDATE products SET names = $2 WHERE id = $1`, carving, catalog.Texts{"en": "Coconut carving", "ru": "Резьба"})

	at := func(s string) {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		f.clock.set(t)
	}
	status := func(number int64, to ...orders.Status) {
		for _, s := range to {
			f.clock.Add(time.Hour)
			if _, err := f.store.SetStatus(f.ctx, number, s, "cli"); err != nil {
				f.tb.Fatal(err)
			}
		}
	}

	at("2026-03-31T23:59:00+08:00")
	f.place(sale("march", visitor, line(tea, 1)))

	at("2026-04-01T09:30:00+08:00")
	o := f.place(sale("apr-1", visitor2, line(tea, 2), line(coffee, 1)))
	status(o.Number, orders.Confirmed, orders.Ready, orders.Delivered)
	if _, err := f.store.RecordPayment(f.ctx, orders.PaymentRequest{Number: o.Number, Method: orders.WeChat, Actor: "cli"}); err != nil {
		f.tb.Fatal(err) // paid by WeChat Pay on delivery
	}

	at("2026-04-10T14:00:00+08:00")
	g := gift("apr-10", officer, line(brocade, 3), line(carving, 2))
	needed := time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC)
	g.NeededBy = &needed
	g.Delivery, g.Address = orders.Hotel, "Boao Forum Hotel, room 1203"
	g.Notes = "Wrap in red paper <b>&</b>; 红纸包装"
	o = f.place(g)
	status(o.Number, orders.Confirmed)

	at("2026-04-20T11:05:00+08:00")
	r := sale("apr-20", visitor, line(tea, 1), line(brocade, 1))
	r.Contact = hyperlink
	r.Delivery, r.Address = orders.Hotel, "Sheraton Boao"
	r.Notes = "Ring twice,\n\"front desk\""
	f.place(r)

	at("2026-04-25T16:00:00+08:00")
	o = f.place(sale("apr-25", visitor2, line(tea, 5)))
	status(o.Number, orders.Cancelled)

	at("2026-04-30T23:30:00+08:00")
	o = f.place(sale("apr-30", visitor, line(coffee, 1)))
	status(o.Number, orders.Confirmed)

	at("2026-05-01T00:30:00+08:00")
	g = gift("may-1", officer, line(carving, 1))
	g.Occasion = "@Expo opening" // neutralised too
	f.place(g)
	return s
}

func day(s string) *time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, shanghai)
	if err != nil {
		panic(err)
	}
	return &t
}

// rowsEncoder keeps the rows it is given.
type rowsEncoder struct{ rows []orders.ExportRow }

func (e *rowsEncoder) Encode(r orders.ExportRow) error {
	e.rows = append(e.rows, r)
	return nil
}

func (e *rowsEncoder) refs() string {
	var refs []string
	for _, r := range e.rows {
		refs = append(refs, r.Order)
	}
	return strings.Join(refs, " ")
}

func exportCSV(t *testing.T, s *scene, f orders.ExportFilter) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := orders.NewCSVEncoder(&buf)
	if err := s.store.Export(s.ctx, f, shanghai, enc); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func exportXLSX(t *testing.T, s *scene, f orders.ExportFilter) *excelize.File {
	t.Helper()
	var buf bytes.Buffer
	enc, err := orders.NewXLSXEncoder(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.store.Export(s.ctx, f, shanghai, enc); err != nil {
		enc.Close()
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// dumpWorkbook shows a workbook as text: per sheet, one line per row,
// text cells quoted (followed by "(text)" when quote-prefixed), number
// cells bare with their formatted value after them, e.g. 88 (88.00).
func dumpWorkbook(t *testing.T, x *excelize.File) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, sheet := range x.GetSheetList() {
		fmt.Fprintf(&b, "== %s\n", sheet)
		rows, err := x.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			cells := make([]string, len(row))
			for c, v := range row {
				if v == "" {
					continue // a blank cell
				}
				name, _ := excelize.CoordinatesToCellName(c+1, r+1)
				typ, err := x.GetCellType(sheet, name)
				if err != nil {
					t.Fatal(err)
				}
				style, err := x.GetCellStyle(sheet, name)
				if err != nil {
					t.Fatal(err)
				}
				switch typ {
				case excelize.CellTypeInlineString, excelize.CellTypeSharedString:
					cells[c] = strconv.Quote(v)
					if quotePrefixed(t, x, style) {
						cells[c] += " (text)"
					}
				case excelize.CellTypeUnset, excelize.CellTypeNumber:
					shown, err := x.GetCellValue(sheet, name)
					if err != nil {
						t.Fatal(err)
					}
					cells[c] = v + " (" + shown + ")"
				default:
					cells[c] = fmt.Sprintf("%s?%d", strconv.Quote(v), typ)
				}
			}
			b.WriteString(strings.Join(cells, "\t"))
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// quotePrefixed reports whether the cell style id of x is quote-prefixed
// text.
func quotePrefixed(t *testing.T, x *excelize.File, id int) bool {
	t.Helper()
	if _, err := x.GetStyle(id); err != nil { // reads the styles of x
		t.Fatal(err)
	}
	return sheet.IsQuotePrefixed(x, id)
}

func TestExportCSVGolden(t *testing.T) {
	t.Parallel()
	s := newScene(t)
	golden(t, "export.csv", exportCSV(t, s, orders.ExportFilter{Kind: "all"}))
}

func TestExportXLSXGolden(t *testing.T) {
	t.Parallel()
	s := newScene(t)
	x := exportXLSX(t, s, orders.ExportFilter{Kind: "all", From: day("2026-04-01"), To: day("2026-04-30")})
	golden(t, "export-april.xlsx.txt", dumpWorkbook(t, x))
}

func TestExportCSVFormat(t *testing.T) {
	t.Parallel()
	s := newScene(t)
	out := exportCSV(t, s, orders.ExportFilter{})

	t.Run("starts with a BOM and the header of the SPEC", func(t *testing.T) {
		if want := "\uFEFF" + specHeader + "\r\n"; !bytes.HasPrefix(out, []byte(want)) {
			t.Errorf("export starts %q, want %q", out[:min(len(out), len(want))], want)
		}
		if got := strings.Join(orders.ExportHeader, ","); got != specHeader {
			t.Errorf("ExportHeader = %s, want %s", got, specHeader)
		}
	})
	t.Run("ends every line with CRLF", func(t *testing.T) {
		if bytes.Count(out, []byte("\n")) != bytes.Count(out, []byte("\r\n")) {
			t.Errorf("a line ends without CR:\n%q", out)
		}
		if !bytes.HasSuffix(out, []byte("\r\n")) {
			t.Error("the last line has no CRLF")
		}
	})

	records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(out, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{} // order → its first line
	for _, rec := range records[1:] {
		if _, ok := rows[rec[0]]; !ok {
			rows[rec[0]] = rec
		}
	}
	col := func(order, name string) string {
		return rows[order][slices.Index(orders.ExportHeader, name)]
	}
	t.Run("has one row per order line, oldest order first", func(t *testing.T) {
		var got []string
		for _, rec := range records[1:] {
			got = append(got, rec[0]+" "+rec[5])
		}
		want := []string{
			"#1001 MAONA-BLACK",
			"#1002 MAONA-BLACK", "#1002 BR-COFFEE",
			"#1003 LI-BROCADE", "#1003 COCONUT",
			"#1004 MAONA-BLACK", "#1004 LI-BROCADE",
			"#1005 MAONA-BLACK",
			"#1006 BR-COFFEE",
			"#1007 COCONUT",
		}
		if !slices.Equal(got, want) {
			t.Errorf("rows %q, want %q", got, want)
		}
	})
	t.Run("neutralises a formula in a contact and a phone number's plus", func(t *testing.T) {
		if got, want := col("#1004", "contact"), "'"+hyperlink; got != want {
			t.Errorf("contact = %q, want %q", got, want)
		}
		if got, want := col("#1001", "phone"), "'+86 138 0013 8000"; got != want {
			t.Errorf("phone = %q, want %q", got, want)
		}
		if got, want := col("#1007", "occasion"), "'@Expo opening"; got != want {
			t.Errorf("occasion = %q, want %q", got, want)
		}
	})
	t.Run("shows created_at with the office's offset and money in yuan", func(t *testing.T) {
		for name, want := range map[string]string{
			"created_at": "2026-04-20T11:05:00+08:00",
			"quantity":   "1",
			"unit_price": "88.00",
			"line_total": "88.00",
		} {
			if got := col("#1004", name); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
		if got := col("#1003", "line_total"); got != "900.00" {
			t.Errorf("line_total of 3 × 300.00 = %q, want 900.00", got)
		}
	})
	t.Run("names products in Chinese and English, or the one name there is", func(t *testing.T) {
		byLine := map[string]string{}
		for _, rec := range records[1:] {
			byLine[rec[5]] = rec[6]
		}
		for sku, want := range map[string]string{
			"MAONA-BLACK": "毛纳红茶 / Maona black tea",
			"LI-BROCADE":  "黎锦",
			"COCONUT":     "Coconut carving",
		} {
			if got := byLine[sku]; got != want {
				t.Errorf("product of %s = %q, want %q", sku, got, want)
			}
		}
	})
	t.Run("leaves cells empty where a field does not apply", func(t *testing.T) {
		for _, name := range []string{"occasion", "recipient", "country", "needed_by"} {
			if got := col("#1002", name); got != "" {
				t.Errorf("sale #1002: %s = %q, want empty", name, got)
			}
		}
		if got := col("#1003", "phone"); got != "" {
			t.Errorf("gift #1003: phone = %q, want empty", got)
		}
		if got := col("#1007", "delivery"); got != "" {
			t.Errorf("gift #1007 without delivery: delivery = %q, want empty", got)
		}
		if got := col("#1003", "needed_by"); got != "2026-04-15" {
			t.Errorf("gift #1003: needed_by = %q, want 2026-04-15", got)
		}
	})
	t.Run("shows the hotel or address after the delivery", func(t *testing.T) {
		if got, want := col("#1004", "delivery"), "hotel: Sheraton Boao"; got != want {
			t.Errorf("delivery = %q, want %q", got, want)
		}
		if got, want := col("#1002", "delivery"), "pickup"; got != want {
			t.Errorf("delivery = %q, want %q", got, want)
		}
	})
	t.Run("exports cancelled orders with their status", func(t *testing.T) {
		if got := col("#1005", "status"); got != "cancelled" {
			t.Errorf("status of #1005 = %q, want cancelled", got)
		}
	})
	t.Run("keeps line breaks and quotes inside a cell", func(t *testing.T) {
		// encoding/csv reads the CRLF inside the quoted cell as LF.
		if got, want := col("#1004", "notes"), "Ring twice,\n\"front desk\""; got != want {
			t.Errorf("notes = %q, want %q", got, want)
		}
	})
}

func TestExportXLSXFormat(t *testing.T) {
	t.Parallel()
	s := newScene(t)
	x := exportXLSX(t, s, orders.ExportFilter{})

	if got, want := x.GetSheetList(), []string{"orders", "villages"}; !slices.Equal(got, want) {
		t.Fatalf("sheets %q, want %q", got, want)
	}
	rows, err := x.GetRows("orders")
	if err != nil {
		t.Fatal(err)
	}
	value := func(cell string) string {
		t.Helper()
		v, err := x.GetCellValue("orders", cell)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	style := func(cell string) *excelize.Style {
		t.Helper()
		id, err := x.GetCellStyle("orders", cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := x.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}

	t.Run("has the header of the SPEC, bold and frozen", func(t *testing.T) {
		if got := strings.Join(rows[0], ","); got != specHeader {
			t.Errorf("header %s, want %s", got, specHeader)
		}
		for _, cell := range []string{"A1", "R1", "U1"} {
			if st := style(cell); st.Font == nil || !st.Font.Bold {
				t.Errorf("%s is not bold", cell)
			}
		}
		panes, err := x.GetPanes("orders")
		if err != nil {
			t.Fatal(err)
		}
		if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 {
			t.Errorf("panes %+v, want the first row frozen", panes)
		}
	})
	t.Run("writes numbers as numbers, dates as dates and text as text", func(t *testing.T) {
		for cell, want := range map[string]excelize.CellType{
			"A2": excelize.CellTypeInlineString, // #1001
			"B2": excelize.CellTypeUnset,        // created_at: a date
			"H2": excelize.CellTypeUnset,        // quantity: a number
			"I2": excelize.CellTypeUnset,        // unit_price
			"J2": excelize.CellTypeUnset,        // line_total
			"L2": excelize.CellTypeInlineString, // phone
		} {
			if got, err := x.GetCellType("orders", cell); err != nil || got != want {
				t.Errorf("type of %s = %v, %v; want %v", cell, got, err, want)
			}
		}
		if st := style("J2"); st.NumFmt != 2 {
			t.Errorf("line_total number format %d, want 2 (0.00)", st.NumFmt)
		}
		if got := value("J3"); got != "176.00" {
			t.Errorf("line_total of 2 × 88.00 shows %q, want 176.00", got)
		}
	})
	t.Run("writes a formula in a contact as quote-prefixed text, without an apostrophe", func(t *testing.T) {
		found := false
		for i, row := range rows[1:] {
			if row[0] == "#1004" {
				found = true
				if got := row[10]; got != hyperlink {
					t.Errorf("contact = %q, want %q", got, hyperlink)
				}
				cell := "K" + strconv.Itoa(i+2)
				if typ, err := x.GetCellType("orders", cell); err != nil || typ != excelize.CellTypeInlineString {
					t.Errorf("type of %s = %v, %v; want text", cell, typ, err)
				}
				id, err := x.GetCellStyle("orders", cell)
				if err != nil || !quotePrefixed(t, x, id) {
					t.Errorf("%s (style %d, %v) is not quote-prefixed", cell, id, err)
				}
			}
		}
		if !found {
			t.Error("no row of #1004")
		}
		fs, err := x.GetCellFormula("orders", "K7")
		if err != nil || fs != "" {
			t.Errorf("K7 has formula %q, %v", fs, err)
		}
	})
	t.Run("writes a phone as its plain value", func(t *testing.T) {
		if got, want := value("L2"), "+86 138 0013 8000"; got != want {
			t.Errorf("phone = %q, want %q", got, want)
		}
		id, err := x.GetCellStyle("orders", "L2")
		if err != nil || !quotePrefixed(t, x, id) {
			t.Errorf("L2 (style %d, %v) is not quote-prefixed", id, err)
		}
	})
	t.Run("writes created_at and needed_by as dates", func(t *testing.T) {
		if got, want := value("B2"), "2026-03-31 23:59:00"; got != want { // #1001, in Shanghai
			t.Errorf("created_at shows %q, want %q", got, want)
		}
		for i, row := range rows[1:] {
			if row[0] != "#1003" {
				continue
			}
			cell := "Q" + strconv.Itoa(i+2)
			if typ, err := x.GetCellType("orders", cell); err != nil || typ != excelize.CellTypeUnset {
				t.Errorf("type of %s = %v, %v; want a number", cell, typ, err)
			}
			if got, want := value(cell), "2026-04-15"; got != want {
				t.Errorf("needed_by shows %q, want %q", got, want)
			}
			return
		}
		t.Error("no row of #1003")
	})
	t.Run("keeps Chinese through a round trip", func(t *testing.T) {
		if got, want := value("G2"), "毛纳红茶 / Maona black tea"; got != want {
			t.Errorf("product = %q, want %q", got, want)
		}
		if got, want := value("R5"), "Wrap in red paper <b>&</b>; 红纸包装"; got != want {
			t.Errorf("notes = %q, want %q", got, want)
		}
		name, err := x.GetCellValue("villages", "B3")
		if err != nil || name != "毛纳村 / Maona" {
			t.Errorf("village name = %q, %v; want 毛纳村 / Maona", name, err)
		}
	})
}

func TestExportFilters(t *testing.T) {
	t.Parallel()
	s := newScene(t)
	utcDay := func(d string) *time.Time {
		t, _ := time.Parse(time.DateOnly, d)
		return &t
	}
	for _, tc := range []struct {
		name string
		f    orders.ExportFilter
		want string
	}{
		{"all kinds and all days by default", orders.ExportFilter{},
			"#1001 #1002 #1002 #1003 #1003 #1004 #1004 #1005 #1006 #1007"},
		{"gifts only", orders.ExportFilter{Kind: "gift"}, "#1003 #1003 #1007"},
		{"sales of April, cancelled ones too", orders.ExportFilter{Kind: "sale", From: day("2026-04-01"), To: day("2026-04-30")},
			"#1002 #1002 #1004 #1004 #1005 #1006"},
		{"an order at 23:30 on the last day is in the range", orders.ExportFilter{From: day("2026-04-30"), To: day("2026-04-30")}, "#1006"},
		{"an order at 23:59 the day before is not", orders.ExportFilter{From: day("2026-04-01"), To: day("2026-04-01")}, "#1002 #1002"},
		{"from a day on", orders.ExportFilter{Kind: "all", From: day("2026-05-01")}, "#1007"},
		{"up to a day", orders.ExportFilter{To: day("2026-03-31")}, "#1001"},
		{"dates given in UTC count by their calendar day", orders.ExportFilter{From: utcDay("2026-04-30"), To: utcDay("2026-04-30")}, "#1006"},
		{"a range without orders", orders.ExportFilter{From: day("2026-06-01"), To: day("2026-06-30")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var enc rowsEncoder
			if err := s.store.Export(s.ctx, tc.f, shanghai, &enc); err != nil {
				t.Fatal(err)
			}
			if got := enc.refs(); got != tc.want {
				t.Errorf("exported %q, want %q", got, tc.want)
			}
		})
	}
}

func TestExportRefusesBadFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		f    orders.ExportFilter
	}{
		{"an unknown kind", orders.ExportFilter{Kind: "gifts"}},
		{"a first day after the last", orders.ExportFilter{From: day("2026-05-01"), To: day("2026-04-30")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var enc rowsEncoder
			err := f.store.Export(f.ctx, tc.f, shanghai, &enc)
			if !errors.Is(err, orders.ErrInvalid) {
				t.Errorf("Export = %v, want ErrInvalid", err)
			}
		})
	}
}

// failingEncoder fails on its nth row.
type failingEncoder struct{ n, seen int }

var errDiskFull = errors.New("disk full")

func (e *failingEncoder) Encode(orders.ExportRow) error {
	e.seen++
	if e.seen == e.n {
		return errDiskFull
	}
	return nil
}

func TestExportStopsAtTheEncodersError(t *testing.T) {
	t.Parallel()
	s := newScene(t)
	enc := &failingEncoder{n: 2}
	err := s.store.Export(s.ctx, orders.ExportFilter{}, shanghai, enc)
	if !errors.Is(err, errDiskFull) || enc.seen != 2 {
		t.Errorf("Export = %v after %d rows, want errDiskFull after 2", err, enc.seen)
	}
}

func TestExportOfNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var buf bytes.Buffer
	enc := orders.NewCSVEncoder(&buf)
	if err := f.store.Export(f.ctx, orders.ExportFilter{}, shanghai, enc); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	t.Run("is a CSV file with the header only", func(t *testing.T) {
		if got, want := buf.String(), "\uFEFF"+specHeader+"\r\n"; got != want {
			t.Errorf("CSV %q, want %q", got, want)
		}
	})

	buf.Reset()
	xenc, err := orders.NewXLSXEncoder(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.Export(f.ctx, orders.ExportFilter{}, shanghai, xenc); err != nil {
		t.Fatal(err)
	}
	if err := xenc.Close(); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	t.Run("is a workbook with the header and a totals row of zeros", func(t *testing.T) {
		want := "== orders\n" + strings.ReplaceAll(strconv.Quote(specHeader), ",", "\"\t\"") + "\n" +
			"== villages\n" +
			"\"village\"\t\"name\"\t\"sale_orders\"\t\"sale_units\"\t\"sale_value\"\t\"gift_orders\"\t\"gift_units\"\t\"gift_value\"\n" +
			"\"Total\"\t\t0 (0)\t0 (0)\t0 (0.00)\t0 (0)\t0 (0)\t0 (0.00)\n"
		if got := string(dumpWorkbook(t, x)); got != want {
			t.Errorf("workbook:\n%s\nwant:\n%s", got, want)
		}
	})
}

func TestNeutralise(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Anna", "Anna"},
		{"=1+1", "'=1+1"},
		{"+86 138", "'+86 138"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"a=1", "a=1"},
		{"'=1", "'=1"},
		{"＝1", "＝1"}, // a full-width sign is no formula
	} {
		if got := orders.Neutralise(tc.in); got != tc.want {
			t.Errorf("Neutralise(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestExportFileName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f      orders.ExportFilter
		format string
		want   string
	}{
		{orders.ExportFilter{Kind: "gift", From: day("2026-04-01"), To: day("2026-04-30")}, "xlsx", "gift-orders-2026-04-01_2026-04-30.xlsx"},
		{orders.ExportFilter{Kind: "sale", From: day("2026-04-01"), To: day("2026-04-30")}, "csv", "sale-orders-2026-04-01_2026-04-30.csv"},
		{orders.ExportFilter{Kind: "all", From: day("2026-04-01"), To: day("2026-04-30")}, "xlsx", "orders-2026-04-01_2026-04-30.xlsx"},
		{orders.ExportFilter{From: day("2026-04-01")}, "csv", "orders-from-2026-04-01.csv"},
		{orders.ExportFilter{Kind: "gift", To: day("2026-04-30")}, "XLSX", "gift-orders-to-2026-04-30.xlsx"},
		{orders.ExportFilter{}, "xlsx", "orders-all.xlsx"},
		{orders.ExportFilter{Kind: "gift"}, "", "gift-orders-all"},
	} {
		if got := orders.ExportFileName(tc.f, tc.format); got != tc.want {
			t.Errorf("ExportFileName(%+v, %q) = %q, want %q", tc.f, tc.format, got, tc.want)
		}
	}
}

// BenchmarkExport100k exports 100,000 order lines (25,000 orders of 4
// lines) written straight into the tables, to CSV and to XLSX, and reports
// lines/s and the largest heap seen while exporting (live objects and
// garbage not yet collected), which stays far below the size of the
// export when rows are streamed.
func BenchmarkExport100k(b *testing.B) {
	db := pgtest.New(b)
	ctx := b.Context()
	const orderCount, linesPerOrder = 25_000, 4
	for _, q := range []string{
		`INSERT INTO villages (code, names) SELECT 'v' || i, jsonb_build_object('zh', i || '村', 'en', 'Village ' || i) FROM generate_series(1, 10) i`,
		`INSERT INTO products (sku, village_id, category, names, price_fen, stock)
		 SELECT 'SKU-' || i, 1 + i % 10, 'tea', jsonb_build_object('zh', '红茶' || i, 'en', 'Black tea ' || i), 100 * i + 50, 1000000
		   FROM generate_series(1, 40) i`,
		`INSERT INTO customers (telegram_id, chat_id) VALUES (1, 1)`,
		`INSERT INTO orders (kind, customer_id, chat_id, contact, phone, delivery, total_fen, checkout_token, created_at)
		 SELECT 'sale', 1, 1, 'Customer ' || i, '+86 138 0000 ' || lpad((i % 10000)::text, 4, '0'), 'pickup', 0, 'bench-' || i,
		        timestamptz '2026-04-01 00:00+08' + i * interval '1 minute'
		   FROM generate_series(1, ` + strconv.Itoa(orderCount) + `) i`,
		`INSERT INTO order_lines (order_id, product_id, village_id, sku, product_names, units, unit_price_fen, quantity)
		 SELECT o.id, p.id, p.village_id, p.sku, p.names, p.units, p.price_fen, 1 + j
		   FROM orders o, generate_series(0, ` + strconv.Itoa(linesPerOrder-1) + `) j
		   JOIN products p ON p.id = 1 + j * 11`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	store := orders.NewStore(db)
	for _, format := range []string{"csv", "xlsx"} {
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			var lines int
			var out counter
			peak := watchHeap()
			for b.Loop() {
				var err error
				out = 0
				if format == "csv" {
					enc := orders.NewCSVEncoder(&out)
					err = errors.Join(store.Export(ctx, orders.ExportFilter{}, shanghai, enc), enc.Close())
					lines = enc.Lines()
				} else {
					enc, nerr := orders.NewXLSXEncoder(&out)
					if nerr != nil {
						b.Fatal(nerr)
					}
					err = errors.Join(store.Export(ctx, orders.ExportFilter{}, shanghai, enc), enc.Close())
					lines = enc.Lines()
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			if lines != orderCount*linesPerOrder {
				b.Fatalf("exported %d lines, want %d", lines, orderCount*linesPerOrder)
			}
			b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "lines/s")
			b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(out)/(1<<20), "file-MB")
		})
	}
}

// counter counts the bytes written to it and drops them.
type counter int64

func (c *counter) Write(p []byte) (int, error) {
	*c += counter(len(p))
	return len(p), nil
}

// watchHeap samples the bytes of live heap objects every millisecond until
// the returned function is called, which returns the largest sample.
func watchHeap() func() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var (
		mu   sync.Mutex
		peak uint64
	)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			mu.Lock()
			peak = max(peak, sample[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-stopped
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}
