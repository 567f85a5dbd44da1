package orders

import (
	"context"
	"time"
)

// RemindDue reminds staff of the sales still placed that the hold will
// cancel within remind: for each, the readers of its new-order notice as
// they are now (coordinators of its villages, office staff with alerts on,
// all office staff for a village without a coordinator) get a
// NoticeReminder. A sale is reminded of once: the statement that writes
// the reminders also stamps the order's reminded_at, and picks orders
// with FOR UPDATE SKIP LOCKED, so concurrent runs in several processes,
// and runs after a restart, never remind twice. A sale the hold has
// already ended is left to ExpireStale, not reminded of. It returns how
// many orders were reminded of.
func (s *Store) RemindDue(ctx context.Context, hold, remind time.Duration) (n int, err error) {
	defer wrap(&err, "RemindDue(%v, %v)", hold, remind)
	if hold <= 0 || remind <= 0 || remind >= hold {
		return 0, invalid("remind", "must be positive and shorter than the hold")
	}
	now := s.Now()
	err = s.db.GetContext(ctx, &n, `
		WITH due AS (
		    UPDATE orders SET reminded_at = $3
		     WHERE id IN (SELECT id
		                    FROM orders
		                   WHERE status = 'placed' AND kind = 'sale' AND reminded_at IS NULL
		                     AND created_at < $1 AND created_at >= $2
		                   ORDER BY created_at, id
		                     FOR UPDATE SKIP LOCKED)
		 RETURNING id, number
		), notices AS (
		    INSERT INTO outbox (chat_id, kind, payload, created_at)
		    SELECT r.telegram_id, '`+string(NoticeReminder)+`', `+orderNoticeSQL("due.number", "r.village_id")+`, $3
		      FROM due, LATERAL (`+readersOf("ARRAY(SELECT DISTINCT village_id FROM order_lines WHERE order_id = due.id)", "0")+`) r
		     ORDER BY due.number, r.village_id NULLS LAST, r.telegram_id
		)
		SELECT count(*) FROM due`,
		now.Add(remind-hold), now.Add(-hold), now)
	return n, err
}
