package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"villagebot/internal/pg"
	"villagebot/internal/pgtest"
	"villagebot/internal/redistest"
)

// A short run of every phase with a few users, the bot in this process:
// the echo bot answers, browsing and buying users finish their journeys
// with nothing failing, every -sessions user ends with a session, and the
// run leaves no database and no Redis key behind.
func TestShortRunOfEveryPhase(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the bot for a few seconds")
	}
	cfg := Config{
		Users:  6,
		Warmup: 200 * time.Millisecond,
		// Long enough for a checkout journey (8 steps) under -race on a
		// busy machine.
		Duration:    4 * time.Second,
		Mix:         MixMixed,
		Workers:     8,
		Echo:        true,
		Sessions:    30,
		InProc:      true,
		Timeout:     10 * time.Second,
		DatabaseURL: pgtest.ServerURL(),
		RedisURL:    redistest.URL(),
		Seed:        1, // with this seed the users' first journeys both browse and buy
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var out, logs bytes.Buffer
	m := NewMain(cfg, &out, &logs)
	rep, err := m.Run(context.Background())
	var dbName, prefix string
	if m.env != nil {
		dbName, prefix = m.env.dbName, m.env.prefix
	}
	m.Close()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, logs.String())
	}
	t.Logf("report:\n%s", out.String())

	for _, p := range []*Phase{rep.Echo, rep.Load, rep.Sessions} {
		if p == nil {
			t.Fatalf("a phase did not run:\n%s", out.String())
		}
		if p.Updates == 0 || p.P50 <= 0 || p.P99 < p.P50 {
			t.Errorf("%s: %d updates answered, p50 %v, p99 %v", p.Name, p.Updates, p.P50, p.P99)
		}
		for step, n := range p.Errors {
			t.Errorf("%s: %s ×%d", p.Name, step, n)
		}
	}
	for _, journey := range []string{"browse", "checkout"} {
		if rep.Load.Done[journey] == 0 {
			t.Errorf("no %s journey was completed: %v", journey, rep.Load.Done)
		}
	}
	if rep.Echo.Done["echo"] == 0 {
		t.Errorf("the echo bot never answered")
	}
	if got := rep.Sessions.Done["cart filled"]; got != cfg.Sessions {
		t.Errorf("%d of %d users filled a cart", got, cfg.Sessions)
	}
	if rep.LiveSessions < cfg.Sessions {
		t.Errorf("%d sessions in Redis, want at least %d", rep.LiveSessions, cfg.Sessions)
	}
	if rep.Sessions.Mem.RSS == 0 {
		t.Errorf("no memory figure")
	}
	if rep.Errors > 0 || rep.Violations > 0 {
		t.Errorf("%d errors logged, %d Bot API violations:\n%s", rep.Errors, rep.Violations, logs.String())
	}
	for _, want := range []string{"updates/s", "p99", "villagebot / echo bot throughput", "live sessions in Redis"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q", want)
		}
	}

	// Nothing is left behind.
	ctx := context.Background()
	admin, err := pg.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	if err := admin.GetContext(ctx, &n, `SELECT count(*) FROM pg_database WHERE datname = $1`, dbName); err != nil || n != 0 {
		t.Errorf("database %q still there (%d, %v)", dbName, n, err)
	}
	rdb, _ := redistest.New(t)
	if keys, err := rdb.Keys(ctx, prefix+"*").Result(); err != nil || len(keys) > 0 {
		t.Errorf("%d Redis keys under %q left (%v)", len(keys), prefix, err)
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-mix", "shopping"}, {"-users", "0"}, {"-duration", "2h"}, {"-workers", "0"},
		{"-rate", "-1"}, {"-sessions", "1000000"}, {"extra"},
	} {
		if _, err := parseFlags(args, &bytes.Buffer{}); err == nil {
			t.Errorf("villageload %s: no error", strings.Join(args, " "))
		}
	}
	c, err := parseFlags([]string{"-mix", "checkout", "-hot", "-users", "3000", "-rate", "3000"}, &bytes.Buffer{})
	if err != nil || c.Mix != MixCheckout || !c.Hot || c.Users != 3000 || c.Rate != 3000 || !c.Echo {
		t.Errorf("parseFlags = %+v, %v", c, err)
	}
}
