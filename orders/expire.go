package orders

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"villagebot/internal/pg"
)

// ExpireStale cancels the sales still placed (nobody confirmed them and no
// village started preparing them) that were created more than hold ago,
// returning their stock with ledger reason 'expire', recording actor
// "system", and telling each customer through the outbox (kind "expired").
// Gift orders never expire. It returns how many orders it cancelled.
//
// Several bot processes may run it at once. Each order is cancelled in a
// transaction of its own that picks the oldest stale order with
// FOR UPDATE SKIP LOCKED: an order another process (or a customer or
// staff member) is changing right now is skipped rather than waited for,
// and once that transaction commits the order is no longer placed, so it
// cannot be picked again — every order is cancelled at most once and no
// caller blocks on another. Under READ COMMITTED the row lock re-reads the
// newest version of the order and checks the WHERE clause again, so an
// order confirmed a moment ago is not taken either (should that re-check
// drop the oldest row, this run stops early and the next one goes on).
// One order per
// transaction keeps the product rows locked only briefly, so checkouts are
// not held up behind a long batch.
func (s *Store) ExpireStale(ctx context.Context, hold time.Duration) (n int, err error) {
	defer wrap(&err, "ExpireStale(%v)", hold)
	if hold <= 0 {
		return 0, invalid("hold", "must be positive")
	}
	cutoff := s.Now().Add(-hold)
	for {
		expired, err := s.expireOne(ctx, cutoff)
		if err != nil || !expired {
			return n, err
		}
		n++
	}
}

// expireOne cancels the oldest stale sale nobody else holds, and reports
// whether there was one.
func (s *Store) expireOne(ctx context.Context, cutoff time.Time) (bool, error) {
	expired := false
	err := pg.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		var o Order
		err := tx.GetContext(ctx, &o, `
			SELECT `+orderColumns+`
			  FROM orders
			 WHERE status = 'placed' AND kind = 'sale' AND payment <> 'paid' AND created_at < $1
			 ORDER BY created_at, id
			 LIMIT 1
			   FOR UPDATE SKIP LOCKED`, cutoff)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		expired = true
		return s.transition(ctx, tx, &o, change{
			to: Cancelled, actor: "system", ledger: "expire", notice: NoticeExpired, note: "expired",
		})
	})
	return expired, err
}
