// Package pgtest gives each test its own freshly created and migrated
// PostgreSQL database, dropped when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"villagebot/internal/pg"
	"villagebot/migrations"
)

// ServerURL is the PostgreSQL server tests use: $TEST_DATABASE_URL or the
// local default. Its database part is ignored.
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// NewURL creates an empty, migrated database and returns its URL; the
// database is dropped at the end of the test.
func NewURL(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	admin, err := pg.Open(ctx, ServerURL())
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "villagebot_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		admin.Close()
		tb.Fatalf("pgtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop database: %v", err)
		}
	})
	u := withDatabase(tb, ServerURL(), name)
	db, err := pg.Open(ctx, u)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	defer db.Close()
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return u
}

// New returns a connection to a fresh migrated database for this test.
func New(tb testing.TB) *sqlx.DB {
	tb.Helper()
	u := NewURL(tb)
	db, err := pg.Open(context.Background(), u)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
