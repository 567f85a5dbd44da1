package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"

	"villagebot/bot"
	"villagebot/catalog"
	"villagebot/internal/pg"
	"villagebot/migrations"
)

// flags returns a flag set for cmd whose -h prints help and the usage.
func (m *Main) flags(name, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: villagebot %s\n", help)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errUsageShown
		}
		return errUsageShown
	}
	return nil
}

// dbFlags parses the flags of a command that works on the database and
// validates the configuration.
func (m *Main) dbFlags(name, help string, args []string) (*flag.FlagSet, error) {
	fs := m.flags(name, help)
	fs.StringVar(&m.config.DatabaseURL, "database-url", m.config.DatabaseURL, "PostgreSQL URL (DATABASE_URL)")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	return fs, m.config.Validate(false)
}

// openDB opens the database (creating it when missing) and applies pending
// migrations.
func (m *Main) openDB(ctx context.Context) (*sqlx.DB, int64, error) {
	db, err := pg.Open(ctx, m.config.DatabaseURL)
	if err != nil {
		return nil, 0, err
	}
	v, err := migrations.Up(ctx, db.DB)
	if err != nil {
		db.Close()
		return nil, 0, err
	}
	return db, v, nil
}

// openRedis connects to REDIS_URL, with a pool sized for serve unless the
// URL sets pool_size or pool_timeout itself.
func (m *Main) openRedis(ctx context.Context) (*redis.Client, error) {
	opt, err := redis.ParseURL(m.config.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	bot.TuneRedis(opt, 0) // serve leaves the workers at their default
	rdb := redis.NewClient(opt)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis: %w", err)
	}
	return rdb, nil
}

func (m *Main) migrate(ctx context.Context, args []string) error {
	if _, err := m.dbFlags("migrate", "migrate", args); err != nil {
		return err
	}
	db, v, err := m.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(m.Stdout, "schema version %d\n", v)
	return nil
}

func (m *Main) catalog(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, "Usage: villagebot catalog demo | import PATH... | export PATH\n")
		return errUsageShown
	}
	sub, args := args[0], args[1:]
	fs, err := m.dbFlags("catalog "+sub, "catalog demo | import PATH... | export PATH", args)
	if err != nil {
		return err
	}
	switch {
	case sub == "demo" && fs.NArg() == 0,
		sub == "import" && fs.NArg() > 0,
		sub == "export" && fs.NArg() == 1:
	default:
		fs.Usage()
		return errUsageShown
	}
	db, _, err := m.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	store := catalog.NewStore(db)
	switch sub {
	case "demo":
		res, err := store.LoadDemo(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "demo catalog: %s\n", describe(res))
	case "import":
		batch, err := catalog.ParseFiles(ctx, fs.Args()...)
		if err != nil {
			return err
		}
		res, err := store.Import(ctx, batch, catalog.ImportOptions{Actor: "cli"})
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "imported: %s\n", describe(res))
	case "export":
		if err := store.Export(ctx, fs.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "exported to %s\n", fs.Arg(0))
	}
	return nil
}

func describe(r catalog.ImportResult) string {
	return fmt.Sprintf("%d villages created, %d updated; %d products created, %d updated; %d unchanged",
		r.VillagesCreated, r.VillagesUpdated, r.ProductsCreated, r.ProductsUpdated, r.Unchanged)
}

func (m *Main) staff(ctx context.Context, args []string) error {
	const help = "staff grant TELEGRAM_ID office | staff grant TELEGRAM_ID coordinator VILLAGE_CODE | staff revoke TELEGRAM_ID | staff list"
	if len(args) == 0 {
		fmt.Fprintln(m.Stderr, "Usage: villagebot "+help)
		return errUsageShown
	}
	sub, args := args[0], args[1:]
	fs, err := m.dbFlags("staff "+sub, help, args)
	if err != nil {
		return err
	}
	a := fs.Args()
	var id int64
	if sub == "grant" || sub == "revoke" {
		if len(a) == 0 {
			fs.Usage()
			return errUsageShown
		}
		n, err := strconv.ParseInt(a[0], 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("TELEGRAM_ID %q: expected a positive number, such as 123456789", a[0])
		}
		id = n
	}
	ok := sub == "grant" && (len(a) == 2 && a[1] == "office" || len(a) == 3 && a[1] == "coordinator") ||
		sub == "revoke" && len(a) == 1 || sub == "list" && len(a) == 0
	if !ok {
		fs.Usage()
		return errUsageShown
	}
	db, _, err := m.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	store := catalog.NewStore(db)
	switch sub {
	case "grant":
		code := ""
		if len(a) == 3 {
			code = strings.ToLower(a[2])
		}
		s, err := store.Grant(ctx, id, catalog.Role(a[1]), code, "cli")
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%d is now %s\n", s.TelegramID, roleText(s))
	case "revoke":
		if err := store.Revoke(ctx, id, "cli"); err != nil {
			if errors.Is(err, catalog.ErrNotFound) {
				return fmt.Errorf("%d has no staff role", id)
			}
			return err
		}
		fmt.Fprintf(m.Stdout, "%d has no staff role now\n", id)
	case "list":
		list, err := store.StaffList(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TELEGRAM_ID\tROLE\tGRANTED_BY\tGRANTED_AT")
		for _, s := range list {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.TelegramID, roleText(s), s.GrantedBy, s.GrantedAt.In(m.config.Location()).Format("2006-01-02 15:04"))
		}
		tw.Flush()
	}
	return nil
}

func roleText(s catalog.Staff) string {
	if s.Role == catalog.Coordinator {
		return "coordinator of " + s.VillageCode
	}
	return string(s.Role)
}
