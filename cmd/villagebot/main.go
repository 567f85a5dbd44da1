// Command villagebot is the village shop bot: it serves Telegram, applies
// migrations, loads and exports the catalog, manages staff and runs a
// terminal playground. `villagebot help` lists everything.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // TIMEZONE works on machines without zoneinfo

	"github.com/redis/go-redis/v9"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	redis.SetLogger(redisLog{m})
	os.Exit(m.Run(ctx, os.Args[1:]))
}

// redisLog puts go-redis's own messages (a failed dial, a connection
// pool's trouble) in the process's log, structured like the rest, rather
// than on stderr as they are. The logger is looked up on each message: Run
// sets it before any Redis client exists.
type redisLog struct{ m *Main }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	log := l.m.log
	if log == nil {
		log = slog.Default()
	}
	log.WarnContext(ctx, fmt.Sprintf(format, v...), "component", "redis")
}

// Main is one run of the command: its environment and streams.
type Main struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	config Config
	log    *slog.Logger
}

// errUsageShown means the usage was printed; the exit status is 2.
var errUsageShown = errors.New("usage")

// Run runs the command named by args and returns the exit status. A
// failure is one line on stderr.
func (m *Main) Run(ctx context.Context, args []string) int {
	m.config = ConfigFromEnv(m.Getenv)
	level, err := m.config.level()
	if err != nil {
		fmt.Fprintln(m.Stderr, "villagebot:", err)
		return 2
	}
	m.log = newLogger(m.Stderr, level, m.config.Token)
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return 2
	}
	err = m.dispatch(ctx, args[0], args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsageShown):
		return 2
	}
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	if m.config.Token != "" {
		msg = strings.ReplaceAll(msg, m.config.Token, "<token>")
	}
	fmt.Fprintln(m.Stderr, "villagebot:", msg)
	return 1
}

func (m *Main) dispatch(ctx context.Context, cmd string, args []string) error {
	switch cmd {
	case "serve":
		return m.serve(ctx, args)
	case "migrate":
		return m.migrate(ctx, args)
	case "catalog":
		return m.catalog(ctx, args)
	case "staff":
		return m.staff(ctx, args)
	case "orders":
		return m.orders(ctx, args)
	case "chat":
		return m.chat(ctx, args)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(m.Stdout, usage)
		return nil
	}
	fmt.Fprintf(m.Stderr, "villagebot: unknown command %q\n\n%s", cmd, usage)
	return errUsageShown
}

const usage = `villagebot — the village shop and order desk on Telegram.

Usage:
  villagebot serve                     run the bot (long polling, or a webhook when WEBHOOK_URL is set)
  villagebot migrate                   apply pending migrations and print the schema version
  villagebot catalog demo              load the built-in demo catalog (twice changes nothing)
  villagebot catalog import PATH...    upsert villages and products from .csv/.xlsx files or directories
  villagebot catalog export PATH       write the catalog: PATH.xlsx as one workbook, else a directory of CSV files
  villagebot staff grant ID office     make a Telegram user office staff
  villagebot staff grant ID coordinator VILLAGE_CODE
  villagebot staff revoke ID           take a role away
  villagebot staff invite NAME office  make a console account without Telegram; prints a one-time sign-in link
  villagebot staff invite NAME coordinator VILLAGE_CODE
  villagebot staff list                list every staff account, with or without Telegram
  villagebot orders export [--kind gift|sale|all] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--format xlsx|csv] -o FILE
                                       export order lines to a spreadsheet (default: all kinds, all dates)
  villagebot chat                      talk to the bot in this terminal (no token needed)
  villagebot help                      this text

Run 'villagebot COMMAND -h' for a command's flags.

Environment:
  TELEGRAM_BOT_TOKEN   bot token (required by serve; never printed)
  TELEGRAM_API_URL     Bot API base URL (default https://api.telegram.org)
  DATABASE_URL         PostgreSQL (default postgres://postgres@127.0.0.1:5432/villagebot?sslmode=disable)
  REDIS_URL            Redis (default redis://127.0.0.1:6379/0)
  WEBHOOK_URL          receive updates by webhook at this URL (default: long polling)
  WEBHOOK_SECRET       secret token checked on every webhook request
  LISTEN_ADDR          HTTP listener for the webhook and health checks (default 127.0.0.1:8080)
  DEFAULT_LANGUAGE     zh, en or ru for users whose language is not supported (default en)
  LOG_LEVEL            debug, info, warn or error (default info)
  TIMEZONE             the office's time zone (default Asia/Shanghai)
  ORDER_HOLD           how long a sale order may stay placed before it is cancelled (default 48h; 0: never)
  ORDER_REMIND         how long before ORDER_HOLD ends a placed sale staff are reminded of it (default 12h; 0: never)
  LOW_STOCK            coordinators are told when a product's stock falls to this (default 5)
  TELEGRAM_RATE        messages a second all of the bot's processes send together (default 30)
  CONSOLE_ADDR         where the staff console listens, e.g. 127.0.0.1:8081 (default: no console)
  CONSOLE_URL          the console's public base URL for sign-in links (default http://CONSOLE_ADDR)
  PAYMENT_PROVIDER_TOKEN  turns on Telegram Payments: "Pay now" on sale orders (never printed)
  PAYMENT_CURRENCY     currency of the invoices (default CNY)
`

// newLogger writes structured logs to w; any string equal to the token is
// replaced, whatever attribute carries it.
func newLogger(w io.Writer, level slog.Level, token string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if token != "" {
		opts.ReplaceAttr = func(_ []string, a slog.Attr) slog.Attr {
			switch a.Value.Kind() {
			case slog.KindString:
				if s := a.Value.String(); strings.Contains(s, token) {
					return slog.String(a.Key, strings.ReplaceAll(s, token, "<token>"))
				}
			case slog.KindAny:
				if err, ok := a.Value.Any().(error); ok && strings.Contains(err.Error(), token) {
					return slog.String(a.Key, strings.ReplaceAll(err.Error(), token, "<token>"))
				}
			}
			return a
		}
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
