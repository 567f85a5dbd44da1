package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"villagebot/internal/atomicfile"
	"villagebot/orders"
)

const ordersHelp = "orders export [--kind gift|sale|all] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--format xlsx|csv] -o FILE"

// orders runs `villagebot orders export`: the order export of SPEC §7 to
// a file, written whole or not at all.
func (m *Main) orders(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "export" {
		fmt.Fprintln(m.Stderr, "Usage: villagebot "+ordersHelp)
		return errUsageShown
	}
	fs := m.flags("orders export", ordersHelp)
	kind := fs.String("kind", orders.AllKinds, "orders to export: gift, sale or all")
	from := fs.String("from", "", "first day, YYYY-MM-DD in TIMEZONE (default: no bound)")
	to := fs.String("to", "", "last day, YYYY-MM-DD in TIMEZONE, included (default: no bound)")
	format := fs.String("format", "", "xlsx or csv (default: from the extension of FILE)")
	out := fs.String("o", "", "the file to write (required)")
	fs.StringVar(&m.config.DatabaseURL, "database-url", m.config.DatabaseURL, "PostgreSQL URL (DATABASE_URL)")
	fs.StringVar(&m.config.Timezone, "timezone", m.config.Timezone, "the office's time zone for dates (TIMEZONE)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("orders export: unexpected argument %q (the file goes after -o)", fs.Arg(0))
	}
	if err := m.config.Validate(false); err != nil {
		return err
	}
	loc := m.config.Location()

	f := orders.ExportFilter{Kind: strings.ToLower(*kind)}
	switch f.Kind {
	case string(orders.Gift), string(orders.Sale), orders.AllKinds:
	default:
		return fmt.Errorf("--kind %q: expected gift, sale or all", *kind)
	}
	var err error
	if f.From, err = parseDay("--from", *from, loc); err != nil {
		return err
	}
	if f.To, err = parseDay("--to", *to, loc); err != nil {
		return err
	}
	if f.From != nil && f.To != nil && f.From.After(*f.To) {
		return fmt.Errorf("--from %s is after --to %s", *from, *to)
	}
	if *out == "" {
		return fmt.Errorf("-o: expected the file to write, such as -o %s", orders.ExportFileName(f, "xlsx"))
	}
	fm := strings.ToLower(*format)
	if fm == "" {
		fm = strings.ToLower(strings.TrimPrefix(filepath.Ext(*out), "."))
		if fm != "xlsx" && fm != "csv" {
			return fmt.Errorf("-o %s: cannot tell the format from the extension: expected a .xlsx or .csv file, or --format xlsx|csv", *out)
		}
	} else if fm != "xlsx" && fm != "csv" {
		return fmt.Errorf("--format %q: expected xlsx or csv", *format)
	}

	db, _, err := m.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	store := orders.NewStore(db)
	var n int
	err = atomicfile.Write(*out, func(w io.Writer) error {
		n, err = store.WriteExport(ctx, f, loc, fm, w)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "exported %d lines to %s\n", n, *out)
	return nil
}

// parseDay reads a YYYY-MM-DD date of flag name; empty is no date.
func parseDay(name, s string, loc *time.Location) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		return nil, fmt.Errorf("%s %q: expected a date as YYYY-MM-DD, such as 2026-04-30", name, s)
	}
	return &t, nil
}
