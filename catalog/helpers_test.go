package catalog_test

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"

	"villagebot/catalog"
	"villagebot/catalog/catalogtest"
	"villagebot/internal/pgtest"
)

// demoStore is a store on a fresh database holding the demo catalog.
func demoStore(t *testing.T) (*catalog.Store, *sqlx.DB) {
	t.Helper()
	db := pgtest.New(t)
	catalogtest.Seed(t, db)
	return catalog.NewStore(db), db
}

// dbState is everything of the catalog a change would show in, updated_at
// and the ledger included, as one comparable text.
func dbState(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var s string
	err := db.GetContext(context.Background(), &s, `SELECT concat_ws(E'\n',
		(SELECT COALESCE(json_agg(v ORDER BY v.id)::text, '') FROM villages v),
		(SELECT COALESCE(json_agg(p ORDER BY p.id)::text, '') FROM products p),
		(SELECT COALESCE(json_agg(l ORDER BY l.id)::text, '') FROM stock_ledger l))`)
	if err != nil {
		t.Fatalf("db state: %v", err)
	}
	return s
}

func ledgerRows(t *testing.T, db *sqlx.DB) int {
	t.Helper()
	var n int
	if err := db.GetContext(context.Background(), &n, `SELECT count(*) FROM stock_ledger`); err != nil {
		t.Fatal(err)
	}
	return n
}

// dbx is what the tests query with.
type dbx interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
}
