package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Pace is a shared send pace (telegram.SharedPace) in one Redis key, "<prefix>sendpace": the
// time (microseconds, by Redis's clock, the one clock all processes
// share) at which the bucket is full again.
type Pace struct {
	st  *Store
	key string
}

// Pace returns the store's shared send pace.
func (s *Store) Pace() *Pace { return &Pace{st: s, key: s.prefix + "sendpace"} }

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

// Reserve implements telegram.SharedPace.
func (p *Pace) Reserve(ctx context.Context, interval, slack, maxWait time.Duration) (time.Duration, bool, error) {
	// The interval rounded up, as the own bucket's (newPace) is: a bucket
	// a little slow, never a little fast.
	intervalUS := (interval + time.Microsecond - 1) / time.Microsecond
	var us int64
	err := p.st.guard.do(ctx, 0, func(ctx context.Context) error {
		var err error
		us, err = reserveScript.Run(ctx, p.st.rdb, []string{p.key},
			int64(intervalUS), slack.Microseconds(), max(maxWait, 0).Microseconds()).Int64()
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("shared send pace: %w", err)
	}
	if us < 0 {
		return time.Duration(-1-us) * time.Microsecond, false, nil
	}
	return time.Duration(us) * time.Microsecond, true, nil
}
