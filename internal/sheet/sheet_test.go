package sheet_test

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"

	"villagebot/internal/sheet"
)

func TestGuardRoundTrips(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, guarded string }{
		{"", ""},
		{"Anna", "Anna"},
		{"=1+1", "'=1+1"},
		{"+86 138", "'+86 138"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"'=1", "''=1"}, // already looks guarded: one more, so that Unguard gives it back
		{"'plain", "'plain"},
		{"＝1", "＝1"}, // a full-width sign is no formula
	} {
		if got := sheet.Guard(tc.in); got != tc.guarded {
			t.Errorf("Guard(%q) = %q, want %q", tc.in, got, tc.guarded)
		}
		if got := sheet.Unguard(sheet.Guard(tc.in)); got != tc.in {
			t.Errorf("Unguard(Guard(%q)) = %q", tc.in, got)
		}
	}
}

func TestTextCellsThatLookLikeFormulasAreQuotePrefixed(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	defer f.Close()
	st, err := sheet.NewStyles(f)
	if err != nil {
		t.Fatal(err)
	}
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.StartSheet(sw, []string{"a", "b", "c"}, sheet.Col{From: 1, To: 3, Width: 10}); err != nil {
		t.Fatal(err)
	}
	if err := sw.SetRow(sheet.RowCell(2), []any{st.TextCell("=1+1"), st.TextCell("plain"), st.TextCell("")}); err != nil {
		t.Fatal(err)
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	quoted := func(cell string) bool {
		t.Helper()
		id, err := x.GetCellStyle("Sheet1", cell)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x.GetStyle(id); err != nil { // reads the styles
			t.Fatal(err)
		}
		return sheet.IsQuotePrefixed(x, id)
	}
	if v, _ := x.GetCellValue("Sheet1", "A2"); v != "=1+1" || !quoted("A2") {
		t.Errorf("A2 = %q, quote-prefixed %v; want =1+1, quote-prefixed", v, quoted("A2"))
	}
	if f, _ := x.GetCellFormula("Sheet1", "A2"); f != "" {
		t.Errorf("A2 has the formula %q", f)
	}
	if v, _ := x.GetCellValue("Sheet1", "B2"); v != "plain" || quoted("B2") {
		t.Errorf("B2 = %q, quote-prefixed %v; want plain text", v, quoted("B2"))
	}
	if st, err := x.GetStyle(mustStyle(t, x, "A1")); err != nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("header A1 style %+v, %v; want bold", st, err)
	}
	if panes, err := x.GetPanes("Sheet1"); err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes %+v, %v; want the header frozen", panes, err)
	}
}

func mustStyle(t *testing.T, x *excelize.File, cell string) int {
	t.Helper()
	id, err := x.GetCellStyle("Sheet1", cell)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
