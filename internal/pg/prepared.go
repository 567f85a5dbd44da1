package pg

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// Prepared runs queries as prepared statements: each query is prepared
// once per connection and then only bound and executed. lib/pq sends any
// other query unnamed, so PostgreSQL parses and plans it on every call,
// which for a primary-key read with a join is more than half its cost.
// Use it for the hot queries a store runs with the same text again and
// again; the first MaxPrepared distinct texts are prepared, any beyond run
// as they would on the pool, so a query built on the fly cannot make the
// cache grow without end.
//
// Prepared satisfies sqlx's QueryerContext and ExecerContext, so sqlx.Get,
// sqlx.Select and the like take it in place of the *sqlx.DB or *sqlx.Tx.
type Prepared struct {
	db    *sqlx.DB
	tx    *sqlx.Tx // nil: statements run on the pool
	cache *stmtCache
}

// MaxPrepared bounds the distinct queries a Prepared keeps prepared.
const MaxPrepared = 64

type stmtCache struct {
	mu        sync.Mutex
	stmts     map[string]*sqlx.Stmt
	preparing map[string]bool // being prepared: not to be started again
}

// NewPrepared returns a Prepared on db.
func NewPrepared(db *sqlx.DB) *Prepared {
	return &Prepared{db: db, cache: &stmtCache{stmts: map[string]*sqlx.Stmt{}, preparing: map[string]bool{}}}
}

// InTx returns a Prepared that runs its statements in tx (a transaction
// on the same database), sharing the statements prepared so far.
func (p *Prepared) InTx(tx *sqlx.Tx) *Prepared {
	return &Prepared{db: p.db, tx: tx, cache: p.cache}
}

// stmt returns the prepared statement of query, bound to the transaction
// when there is one; nil when the query is not prepared (yet): the caller
// then runs it as it is.
//
// A statement is prepared on the pool, which takes a connection of its
// own. A transaction holds one already and must not wait for a second (a
// pool full of transactions doing so would wait for ever), so for a query
// not yet prepared it runs the query unprepared and has it prepared in
// the background, for the next time.
func (p *Prepared) stmt(ctx context.Context, query string) *sqlx.Stmt {
	c := p.cache
	c.mu.Lock()
	st, ok := c.stmts[query]
	start := !ok && !c.preparing[query] && len(c.stmts)+len(c.preparing) < MaxPrepared
	if start {
		c.preparing[query] = true
	}
	c.mu.Unlock()
	switch {
	case ok && p.tx != nil:
		// Prepared again on the transaction's connection only the first
		// time it is used there.
		return p.tx.StmtxContext(ctx, st)
	case ok:
		return st
	case !start:
		return nil
	case p.tx != nil:
		go func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			p.prepare(ctx, query)
		}()
		return nil
	}
	return p.prepare(ctx, query)
}

// prepare prepares query on the pool and keeps it; nil when that failed
// (it is tried again on the next use).
func (p *Prepared) prepare(ctx context.Context, query string) *sqlx.Stmt {
	st, err := p.db.PreparexContext(ctx, query)
	c := p.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.preparing, query)
	if err != nil {
		return nil
	}
	c.stmts[query] = st
	return st
}

// queryer is what the statement runs on when it is not prepared.
func (p *Prepared) queryer() interface {
	sqlx.QueryerContext
	sqlx.ExecerContext
} {
	if p.tx != nil {
		return p.tx
	}
	return p.db
}

// QueryContext implements sqlx.QueryerContext.
func (p *Prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.queryer().QueryContext(ctx, query, args...)
}

// QueryxContext implements sqlx.QueryerContext.
func (p *Prepared) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryxContext(ctx, args...)
	}
	return p.queryer().QueryxContext(ctx, query, args...)
}

// QueryRowxContext implements sqlx.QueryerContext.
func (p *Prepared) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryRowxContext(ctx, args...)
	}
	return p.queryer().QueryRowxContext(ctx, query, args...)
}

// ExecContext implements sqlx.ExecerContext.
func (p *Prepared) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.queryer().ExecContext(ctx, query, args...)
}

// Close closes the prepared statements.
func (p *Prepared) Close() error {
	c := p.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
	return nil
}
