package pg_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jmoiron/sqlx"

	"villagebot/internal/pg"
	"villagebot/internal/pgtest"
)

// Queries through Prepared answer as on the pool, in and out of a
// transaction; they run as prepared statements, reused; past MaxPrepared
// distinct texts they still run; a connection that dies is replaced.
func TestPreparedRunsQueriesAsTheDatabaseWould(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewURL(t)
	db, err := pg.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1) // so that the statements seen below are Prepared's
	if _, err := db.Exec(`CREATE TABLE kv (k int PRIMARY KEY, v text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	p := pg.NewPrepared(db)
	t.Cleanup(func() { p.Close() })

	const get = `SELECT v FROM kv WHERE k = $1`
	if _, err := p.ExecContext(ctx, `INSERT INTO kv VALUES ($1, $2), ($3, $4)`, 1, "one", 2, "two"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		var v string
		if err := sqlx.GetContext(ctx, p, &v, get, 2); err != nil || v != "two" {
			t.Fatalf("get 2 = %q, %v", v, err)
		}
	}
	var uses []int
	if err := db.Select(&uses, `SELECT count(*) FROM pg_prepared_statements WHERE statement = $1`, get); err != nil {
		t.Fatal(err)
	}
	if len(uses) != 1 || uses[0] != 1 {
		t.Errorf("the query read three times is prepared %v times on the connection, want once", uses)
	}

	// In a transaction: its own uncommitted write is seen, and gone after
	// the rollback.
	tx, err := db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	in := p.InTx(tx)
	if _, err := in.ExecContext(ctx, `UPDATE kv SET v = $2 WHERE k = $1`, 1, "uno"); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := sqlx.GetContext(ctx, in, &v, get, 1); err != nil || v != "uno" {
		t.Errorf("in the transaction get 1 = %q, %v; want its own write", v, err)
	}
	tx.Rollback()
	if err := sqlx.GetContext(ctx, p, &v, get, 1); err != nil || v != "one" {
		t.Errorf("after the rollback get 1 = %q, %v", v, err)
	}

	// Beyond MaxPrepared texts, queries still run.
	for i := range pg.MaxPrepared + 5 {
		var n int
		if err := sqlx.GetContext(ctx, p, &n, fmt.Sprintf(`SELECT %d + $1::int`, i), 1); err != nil || n != i+1 {
			t.Fatalf("query %d = %d, %v", i, n, err)
		}
	}

	// A terminated connection: the statement is prepared again on the
	// next one.
	killer, err := pg.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close()
	if _, err := killer.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	if err := sqlx.GetContext(ctx, p, &v, get, 2); err != nil || v != "two" {
		t.Errorf("after the connections were terminated get 2 = %q, %v", v, err)
	}

	// A query PostgreSQL refuses fails as it would unprepared.
	if _, err := p.ExecContext(ctx, `UPDATE nowhere SET x = 1`); err == nil {
		t.Errorf("a query on a missing table did not fail")
	}
}
