package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"villagebot/internal/pg"
	"villagebot/internal/pgtest"
	"villagebot/orders"
)

// ordersRun runs villagebot with DATABASE_URL set to dbURL and returns
// the exit status, stdout and stderr.
func ordersRun(t *testing.T, dbURL string, args ...string) (int, string, string) {
	t.Helper()
	env := map[string]string{"DATABASE_URL": dbURL, "TIMEZONE": "Asia/Shanghai"}
	var stdout, stderr bytes.Buffer
	m := &Main{Getenv: func(k string) string { return env[k] }, Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}
	code := m.Run(context.Background(), args)
	return code, stdout.String(), stderr.String()
}

// ordersDB is a database holding the demo catalog and two orders: a sale
// placed on 2026-04-30 at 23:30 in Shanghai and a gift the minute after
// midnight.
func ordersDB(t *testing.T) string {
	t.Helper()
	url := pgtest.NewURL(t)
	if code, _, stderr := ordersRun(t, url, "catalog", "demo"); code != 0 {
		t.Fatalf("catalog demo: exit %d: %s", code, stderr)
	}
	ctx := context.Background()
	db, err := pg.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var product int64
	if err := db.GetContext(ctx, &product, `SELECT id FROM products WHERE gift AND visible AND stock >= 4 ORDER BY sku LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	store := orders.NewStore(db)
	customer := orders.Customer{TelegramID: 42, ChatID: 42, Language: "en"}
	lines := []orders.LineRequest{{ProductID: product, Quantity: 2}}
	store.Now = func() time.Time { return time.Date(2026, 4, 30, 15, 30, 0, 0, time.UTC) }
	if _, _, err := store.Place(ctx, orders.PlaceRequest{
		Token: "sale", Kind: orders.Sale, Customer: customer, Contact: "Anna", Phone: "+86 138 0013 8000",
		Delivery: orders.Pickup, Lines: lines,
	}); err != nil {
		t.Fatal(err)
	}
	store.Now = func() time.Time { return time.Date(2026, 4, 30, 16, 1, 0, 0, time.UTC) }
	if _, _, err := store.Place(ctx, orders.PlaceRequest{
		Token: "gift", Kind: orders.Gift, Customer: customer, Occasion: "Boao Forum", Recipient: "Delegation",
		Lines: lines,
	}); err != nil {
		t.Fatal(err)
	}
	return url
}

// ordersCSV reads an exported CSV file: its rows without the header.
func ordersCSV(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\uFEFForder,created_at,")) {
		t.Fatalf("%s starts %q, want a BOM and the header", path, data[:min(len(data), 30)])
	}
	recs, err := csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs[1:]
}

func TestOrdersExport(t *testing.T) {
	t.Parallel()
	url := ordersDB(t)
	dir := t.TempDir()

	t.Run("writes every order as XLSX by default, telling the format from the extension", func(t *testing.T) {
		path := filepath.Join(dir, "all.xlsx")
		code, stdout, stderr := ordersRun(t, url, "orders", "export", "-o", path)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if want := "exported 2 lines to " + path + "\n"; stdout != want {
			t.Errorf("stdout %q, want %q", stdout, want)
		}
		x, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		rows, err := x.GetRows("orders")
		if err != nil {
			t.Fatal(err)
		}
		// created_at is a date cell, shown in the office's time zone.
		if len(rows) != 3 || rows[1][0] != "#1001" || rows[2][0] != "#1002" || rows[1][1] != "2026-04-30 23:30:00" {
			t.Errorf("orders sheet %q", rows)
		}
		if total, _ := x.GetCellValue("villages", "A3"); total != "Total" {
			t.Errorf("villages sheet ends in %q, want Total", total)
		}
	})
	t.Run("selects by kind and by days in the office's time zone", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--kind", "sale"}, "#1001"},
			{[]string{"--kind", "gift"}, "#1002"},
			{[]string{"--from", "2026-04-01", "--to", "2026-04-30"}, "#1001"},
			{[]string{"--from", "2026-05-01"}, "#1002"},
			{[]string{"--kind", "all", "--to", "2026-04-29"}, ""},
		} {
			path := filepath.Join(dir, "sel.csv")
			args := append([]string{"orders", "export", "-o", path}, tc.args...)
			if code, _, stderr := ordersRun(t, url, args...); code != 0 {
				t.Fatalf("%q: exit %d: %s", tc.args, code, stderr)
			}
			var got []string
			for _, rec := range ordersCSV(t, path) {
				got = append(got, rec[0])
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("%q exported %q, want %q", tc.args, got, tc.want)
			}
		}
	})
	t.Run("writes CSV when --format says so, whatever the extension", func(t *testing.T) {
		path := filepath.Join(dir, "export.txt")
		if code, _, stderr := ordersRun(t, url, "orders", "export", "--format", "csv", "-o", path); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if recs := ordersCSV(t, path); len(recs) != 2 {
			t.Errorf("%d rows, want 2", len(recs))
		}
	})
	t.Run("leaves no temporary file behind", func(t *testing.T) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				t.Errorf("left behind %s", e.Name())
			}
		}
	})
}

func TestOrdersExportRefusesBadArguments(t *testing.T) {
	t.Parallel()
	url := pgtest.NewURL(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.csv")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"no subcommand", []string{"orders"}, 2, "Usage: villagebot orders export"},
		{"an unknown subcommand", []string{"orders", "import"}, 2, "Usage: villagebot orders export"},
		{"an unknown flag", []string{"orders", "export", "--bogus", "-o", out}, 2, "-bogus"},
		{"an unknown kind", []string{"orders", "export", "--kind", "gifts", "-o", out}, 1, `--kind "gifts": expected gift, sale or all`},
		{"a date that is no date", []string{"orders", "export", "--from", "2026-13-01", "-o", out}, 1, `--from "2026-13-01": expected a date as YYYY-MM-DD`},
		{"a date in another format", []string{"orders", "export", "--to", "30.04.2026", "-o", out}, 1, `--to "30.04.2026": expected a date as YYYY-MM-DD`},
		{"a first day after the last", []string{"orders", "export", "--from", "2026-05-01", "--to", "2026-04-30", "-o", out}, 1, "--from 2026-05-01 is after --to 2026-04-30"},
		{"an unknown format", []string{"orders", "export", "--format", "pdf", "-o", out}, 1, `--format "pdf": expected xlsx or csv`},
		{"a file whose extension tells no format", []string{"orders", "export", "-o", filepath.Join(dir, "out.txt")}, 1, "expected a .xlsx or .csv file, or --format xlsx|csv"},
		{"no file", []string{"orders", "export"}, 1, "-o: expected the file to write"},
		{"an argument besides the flags", []string{"orders", "export", "-o", out, "extra"}, 1, `unexpected argument "extra"`},
		{"a directory that does not exist", []string{"orders", "export", "-o", filepath.Join(dir, "missing", "out.csv")}, 1, "no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := ordersRun(t, url, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.want)
			}
			if code == 1 && strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("refused exports left %d files behind", len(entries))
	}
}
