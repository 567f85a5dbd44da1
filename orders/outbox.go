package orders

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// Notification is a message waiting in the outbox, written in the same
// transaction as the change it tells of. Its kinds and their payloads are
// listed in notice.go; Decode reads the payload.
type Notification struct {
	ID       int64            `db:"id"`
	ChatID   int64            `db:"chat_id"`
	Kind     NotificationKind `db:"kind"`
	Payload  json.RawMessage  `db:"payload"`
	Attempts int              `db:"attempts"` // sending attempts, this one included
}

const (
	// MaxAttempts is how many times a notification is tried before it is
	// given up.
	MaxAttempts = 5
	// claimLease is how long a claimed notification belongs to its sender;
	// long enough to wait out Telegram's rate limits.
	claimLease = 5 * time.Minute
	maxError   = 1000
)

// ClaimNotifications takes up to limit notifications due for sending,
// oldest first, and leases them to the caller, counting an attempt. The
// rows are picked with FOR UPDATE SKIP LOCKED and leased in the same
// statement, so concurrent callers, in this process or another, never get
// the same row; a row whose sender vanished without MarkSent or MarkFailed
// is due again when its lease runs out.
func (s *Store) ClaimNotifications(ctx context.Context, limit int) (ns []Notification, err error) {
	defer wrap(&err, "ClaimNotifications(%d)", limit)
	if limit <= 0 {
		return nil, invalid("limit", "must be positive")
	}
	now := s.Now()
	err = sqlx.SelectContext(ctx, s.db, &ns, `
		UPDATE outbox
		   SET attempts = attempts + 1, claimed_until = $2
		 WHERE id IN (SELECT id
		                FROM outbox
		               WHERE sent_at IS NULL AND failed_at IS NULL
		                 AND (claimed_until IS NULL OR claimed_until <= $1)
		               ORDER BY id
		               LIMIT $3
		                 FOR UPDATE SKIP LOCKED)
		RETURNING id, chat_id, kind, payload, attempts`,
		now, now.Add(claimLease), limit)
	if err != nil {
		return nil, err
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i].ID < ns[j].ID })
	return ns, nil
}

// MarkSent records that a notification was delivered. Marking it again
// changes nothing.
func (s *Store) MarkSent(ctx context.Context, id int64) (err error) {
	defer wrap(&err, "MarkSent(%d)", id)
	res, err := s.db.ExecContext(ctx, `
		UPDATE outbox SET sent_at = $2, claimed_until = NULL
		 WHERE id = $1 AND sent_at IS NULL`, id, s.Now())
	if err != nil {
		return err
	}
	return s.affected(ctx, res, id)
}

// MarkFailed records a failed attempt. A permanent failure (say Telegram's
// 403, the user never opened the bot or blocked it) or the MaxAttempts-th
// failure gives the notification up; any other is retried later, after a
// pause that doubles with each attempt (30 s, 1 min, 2 min, …).
func (s *Store) MarkFailed(ctx context.Context, id int64, cause error, permanent bool) (err error) {
	defer wrap(&err, "MarkFailed(%d)", id)
	msg := ""
	if cause != nil {
		msg = cleanError(cause.Error())
	}
	res, err := s.db.ExecContext(ctx, `
		UPDATE outbox
		   SET last_error = $2,
		       failed_at = CASE WHEN $3::boolean OR attempts >= $4 THEN $5::timestamptz END,
		       claimed_until = $5::timestamptz
		                       + interval '30 seconds' * power(2, least(greatest(attempts - 1, 0), 8))
		 WHERE id = $1 AND sent_at IS NULL AND failed_at IS NULL`,
		id, msg, permanent, MaxAttempts, s.Now())
	if err != nil {
		return err
	}
	return s.affected(ctx, res, id)
}

// affected turns "no row changed" into ErrNotFound when the row does not
// exist; a row already sent or given up is left alone without error.
func (s *Store) affected(ctx context.Context, res interface{ RowsAffected() (int64, error) }, id int64) error {
	n, err := res.RowsAffected()
	if err != nil || n > 0 {
		return err
	}
	var exists bool
	if err := s.db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM outbox WHERE id = $1)`, id); err != nil {
		return err
	}
	if !exists {
		return ErrNotFound
	}
	return nil
}

// botToken matches a Telegram bot token inside a Bot API URL, which
// errors of HTTP clients tend to quote.
var botToken = regexp.MustCompile(`bot[0-9]+:[A-Za-z0-9_-]+`)

// cleanError makes an error text safe to store: no bot token, valid UTF-8
// without NUL bytes, and not too long.
func cleanError(s string) string {
	s = botToken.ReplaceAllString(s, "bot<token>")
	s = strings.ToValidUTF8(s, "?")
	s = strings.ReplaceAll(s, "\x00", "")
	if utf8.RuneCountInString(s) > maxError {
		s = string([]rune(s)[:maxError])
	}
	return s
}
