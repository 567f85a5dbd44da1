package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
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
func WithSharedPace(sp SharedPace) TelegramOption {
	return func(t *Telegram) { t.shared = sp }
}

// RedisPace is a SharedPace in one Redis key, "<prefix>sendpace": the
// time (microseconds, by Redis's clock, the one clock all processes
// share) at which the bucket is full again.
type RedisPace struct {
	rdb redis.UniversalClient
	key string
}

// NewRedisPace returns a shared bucket keeping its key under prefix.
func NewRedisPace(rdb redis.UniversalClient, prefix string) *RedisPace {
	return &RedisPace{rdb: rdb, key: prefix + "sendpace"}
}

// reserveScript takes the next token of the bucket unless it comes after
// the most the caller waits; it returns the wait in microseconds, negated
// (minus one) when nothing was taken.
//
// KEYS: the bucket. ARGV: interval, slack, most wait (microseconds).
var reserveScript = redis.NewScript(`
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call("GET", KEYS[1]) or "0")
if tat < now then tat = now end
local at = tat - tonumber(ARGV[2])
if at < now then at = now end
local wait = at - now
if wait > tonumber(ARGV[3]) then
	return -1 - wait
end
tat = tat + tonumber(ARGV[1])
redis.call("SET", KEYS[1], tat, "PX", math.floor((tat - now) / 1000) + 1000)
return wait`)

// Reserve implements SharedPace.
func (p *RedisPace) Reserve(ctx context.Context, interval, slack, maxWait time.Duration) (time.Duration, bool, error) {
	// The interval rounded up, as the own bucket's (newPace) is: a bucket
	// a little slow, never a little fast.
	intervalUS := (interval + time.Microsecond - 1) / time.Microsecond
	us, err := reserveScript.Run(ctx, p.rdb, []string{p.key},
		int64(intervalUS), slack.Microseconds(), max(maxWait, 0).Microseconds()).Int64()
	if err != nil {
		return 0, false, fmt.Errorf("shared send pace: %w", err)
	}
	if us < 0 {
		return time.Duration(-1-us) * time.Microsecond, false, nil
	}
	return time.Duration(us) * time.Microsecond, true, nil
}
