package orders

import (
	"time"

	"github.com/jmoiron/sqlx"

	"villagebot/internal/pg"
)

// querier is what the store's queries run on: the pool, a transaction,
// or either through pg.Prepared.
type querier interface {
	sqlx.QueryerContext
	sqlx.ExecerContext
}

// Store keeps orders in PostgreSQL. Its methods are safe for concurrent
// use, also by several processes sharing one database.
type Store struct {
	db *sqlx.DB
	// prep runs the queries of placing and reading an order prepared.
	prep *pg.Prepared

	// Now is the clock; tests replace it. Orders, events, ledger rows and
	// outbox rows written by the store are stamped with it, and expiry and
	// outbox leases are measured with it.
	Now func() time.Time
	// LowStock is the low-stock mark: coordinators are told when a sale
	// takes a product's stock from above the mark to the mark or below.
	LowStock int
}

// NewStore returns a store on db with the real clock and a low-stock mark
// of 5.
func NewStore(db *sqlx.DB) *Store {
	return &Store{db: db, prep: pg.NewPrepared(db), Now: time.Now, LowStock: 5}
}
