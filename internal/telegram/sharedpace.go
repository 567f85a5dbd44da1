package telegram

import (
	"context"
	"time"
)

// Telegram's limit of about 30 messages a second is the bot's, not a
// process's: webhook replicas that each kept 30 a second would send N×30
// together. A SharedPace is the global bucket of the outbound limiter kept
// where every process takes from it. The buckets of chats stay in each
// process: a chat's updates are handled one at a time, mostly by one
// process in a row, and a 429 that slips through is waited out.

// SharedPace is a bucket of the generic cell rate algorithm (see pace)
// that several processes take tokens from.
type SharedPace interface {
	// Reserve takes the bucket's next token if it comes within maxWait,
	// and returns how long until it comes. When it comes later, nothing
	// is taken and ok is false.
	Reserve(ctx context.Context, interval, slack, maxWait time.Duration) (wait time.Duration, ok bool, err error)
}

// WithSharedPace has the client's global bucket kept in sp, shared with
// the other processes of the bot. While sp fails, the client's own bucket
// stands in for it.
func WithSharedPace(sp SharedPace) Option {
	return func(t *Client) { t.shared = sp }
}
