// Command villageload is villagebot's load generator. It starts the
// in-memory Telegram Bot API server (bot/telegramtest), the real bot —
// bot.New with catalog.Store and orders.Store on a fresh PostgreSQL
// database it creates, migrates and drops, and Redis sessions under a key
// prefix of its own that it deletes at the end — loads the demo catalog,
// and drives simulated users through the bot. It prints updates/s,
// orders/s and latency percentiles from a user's action (the update made
// available) to the bot's first reply in that chat, the bot process's
// memory, and the throughput of a bare echo bot on the same kind of server
// with the same client library, as the yardstick.
//
// Usage:
//
//	villageload [flags]
//
// The bot runs in a child process (this binary run again) so that its
// memory and CPU are its own; -inproc runs it inside the load generator
// instead, and the memory reported is then the whole process's: bot,
// in-memory Telegram and simulated users together (some 260 MB with
// 10,000 chats, nearly all of it the in-memory Telegram's).
//
// Latency is measured without polling: one srv.Watch callback hands each
// bot event to the user whose chat it is in and notes the first reply to
// the user's latest update; users sleep on a channel until then. Updates
// still unanswered when the measured time ends count in the percentiles
// with the time they waited so far.
//
// Examples:
//
//	villageload -mix browse -users 200 -duration 20s             # as fast as the bot goes, and the echo bot
//	villageload -mix browse -users 3000 -rate 3000 -echo=false   # latency at 3,000 updates/s
//	villageload -mix checkout -users 200 -echo=false             # orders across 20 products
//	villageload -mix checkout -hot -users 200 -echo=false        # every order of one product
//	villageload -echo=false -duration 0 -sessions 10000          # RSS with 10,000 sessions
//	villageload -mix browse -webhook -echo=false                 # updates by webhook, as serve with WEBHOOK_URL
//	villageload -mix browse -cpuprofile bot.prof -genprofile gen.prof
//
// Traffic stays on 127.0.0.1; the run ends by itself after the warm-up,
// -duration (or -updates) and the -sessions phase, and drops its database
// and Redis keys (a run killed with SIGKILL leaves a database named
// villageload_* and keys under villageload:*).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"
)

func main() {
	if role := os.Getenv(childRoleEnv); role != "" {
		os.Exit(runChild(role))
	}
	os.Exit(run(os.Args[1:]))
}

// run runs the load generator with args and returns the exit status.
func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := parseFlags(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "villageload:", err)
		return 2
	}
	if cfg.GenProfile != "" {
		stopProfile, err := startCPUProfile(cfg.GenProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "villageload:", err)
			return 1
		}
		defer stopProfile()
	}
	m := NewMain(cfg, os.Stdout, os.Stderr)
	defer m.Close()
	if _, err := m.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "villageload:", err)
		return 1
	}
	return 0
}

// startCPUProfile profiles this process into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// Config is one run of the load generator.
type Config struct {
	Users    int           // simulated users talking at once
	Duration time.Duration // measured time of the load phase; 0 skips it
	Warmup   time.Duration // unmeasured time before it
	Updates  int           // ends the measured time after this many updates; 0: no limit
	Mix      string        // browse, checkout or mixed
	Hot      bool          // every checkout orders the same product
	Workers  int           // the bot's parallel chats (bot.Options.Workers)
	Rate     float64       // updates/s the users make in all; 0: each acts as soon as answered
	Echo     bool          // measure the echo bot first
	Sessions int           // then make this many users with a session and a cart
	InProc   bool          // run the bot in this process
	Webhook  bool          // the bot receives updates by webhook
	Timeout  time.Duration // how long a user waits for a reply

	DatabaseURL string // PostgreSQL server; a database of its own is created there
	RedisURL    string
	CPUProfile  string // of the bot process
	GenProfile  string // of this process, the load generator
	MemProfile  string // of the bot process, at its end
	Seed        uint64
}

// Mixes of user journeys.
const (
	MixBrowse   = "browse"
	MixCheckout = "checkout"
	MixMixed    = "mixed"
)

func parseFlags(args []string, stderr io.Writer) (Config, error) {
	c := Config{}
	fs := flag.NewFlagSet("villageload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `villageload — drives simulated users through villagebot and the in-memory Telegram.

Usage: villageload [flags]

Phases, in order: the echo bot (-echo), the load of -mix for -warmup and
-duration, then -sessions users who each /start and add to the cart. The bot
runs as a child process unless -inproc; memory is that process's.

Flags:
`)
		fs.PrintDefaults()
	}
	fs.IntVar(&c.Users, "users", 200, "simulated users talking at once (also the concurrency of the -sessions phase)")
	fs.DurationVar(&c.Duration, "duration", 15*time.Second, "measured time of the load phase (0 skips it)")
	fs.DurationVar(&c.Warmup, "warmup", 3*time.Second, "time before measuring")
	fs.IntVar(&c.Updates, "updates", 0, "end the measured time after this many updates (0: no limit)")
	fs.StringVar(&c.Mix, "mix", MixMixed, "user journeys: browse, checkout or mixed (70% browse, 30% checkout)")
	fs.BoolVar(&c.Hot, "hot", false, "checkouts all order one product with huge stock (default: 20 products)")
	fs.IntVar(&c.Workers, "workers", 16, "the bot's worker pool (and the echo bot's)")
	fs.Float64Var(&c.Rate, "rate", 0, "updates/s all users make together, paced (0: each user acts as soon as answered)")
	fs.BoolVar(&c.Echo, "echo", true, "measure the bare echo bot first, for the ratio")
	fs.IntVar(&c.Sessions, "sessions", 0, "then this many distinct users /start and add to the cart; their sessions stay live")
	fs.BoolVar(&c.Webhook, "webhook", false, "the bot receives updates by webhook (with the Redis chat lock and queue, as serve with WEBHOOK_URL) instead of long polling")
	fs.BoolVar(&c.InProc, "inproc", false, "run the bot in this process (memory is then the whole process's)")
	fs.DurationVar(&c.Timeout, "timeout", 10*time.Second, "how long a user waits for a reply before giving up on a journey")
	fs.StringVar(&c.DatabaseURL, "database-url", envOr("VILLAGELOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "PostgreSQL server (a database villageload_<random> is created there and dropped)")
	fs.StringVar(&c.RedisURL, "redis-url", envOr("VILLAGELOAD_REDIS_URL", "redis://127.0.0.1:6379/0"), "Redis (keys under villageload:<random>:, deleted at the end)")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write the bot process's CPU profile to this file")
	fs.StringVar(&c.MemProfile, "memprofile", "", "write the bot process's heap profile (at its end) to this file")
	fs.StringVar(&c.GenProfile, "genprofile", "", "write the load generator's CPU profile (in-memory Telegram and users; with -inproc, the bot too) to this file")
	fs.Uint64Var(&c.Seed, "seed", 1, "random seed of the users' choices")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return c, c.Validate()
}

// Validate checks the bounds that keep a run finite and on this machine.
func (c Config) Validate() error {
	switch {
	case c.Mix != MixBrowse && c.Mix != MixCheckout && c.Mix != MixMixed:
		return fmt.Errorf("-mix: want browse, checkout or mixed, not %q", c.Mix)
	case c.Users < 1 || c.Users > 50_000:
		return fmt.Errorf("-users: want 1 to 50000")
	case c.Duration < 0 || c.Duration > time.Hour:
		return fmt.Errorf("-duration: want 0 to 1h")
	case c.Warmup < 0 || c.Warmup > 10*time.Minute:
		return fmt.Errorf("-warmup: want 0 to 10m")
	case c.Updates < 0:
		return fmt.Errorf("-updates: want 0 or more")
	case c.Workers < 1 || c.Workers > 1024:
		return fmt.Errorf("-workers: want 1 to 1024")
	case c.Rate < 0:
		return fmt.Errorf("-rate: want 0 or more")
	case c.Sessions < 0 || c.Sessions > 200_000:
		return fmt.Errorf("-sessions: want 0 to 200000")
	case c.Timeout <= 0:
		return fmt.Errorf("-timeout: want more than 0")
	}
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
