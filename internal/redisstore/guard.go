// Package redisstore keeps in Redis what the processes of one bot share:
// sessions and the handled marks of updates, the poll journal, the chats'
// locks and queues, and the shared send pace. Every key is under one
// prefix, so that bots sharing a Redis never meet (see the README's
// REDIS_PREFIX). The bot encodes and decodes sessions; this package keeps
// bytes.
package redisstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrDown is returned at once, without asking Redis, while Redis is taken
// to be down: a call found it unreachable a moment ago.
var ErrDown = errors.New("redis unreachable a moment ago")

// guard is the one "Redis is down, back off" of every adapter of a Store.
// When Redis cannot be reached, each call would wait out the client's
// dials and timeouts, and an update makes several calls. So a call that
// fails to reach Redis marks it down for a pause, in which calls fail at
// once with ErrDown; then one call (the probe) asks Redis again while the
// others still fail at once. A failed probe doubles the pause, up to
// pauseMost; a probe that gets through ends it.
type guard struct {
	mu        sync.Mutex
	downUntil time.Time     // calls fail at once before then
	pause     time.Duration // 0: Redis is up
	probing   bool          // a probe is under way
}

const (
	pauseFirst = time.Second
	pauseMost  = 5 * time.Second
)

// do runs call with ctx, within wait when wait > 0, unless Redis is taken
// to be down.
func (g *guard) do(ctx context.Context, wait time.Duration, call func(ctx context.Context) error) error {
	probe, ok := g.enter()
	if !ok {
		return ErrDown
	}
	cctx := ctx
	if wait > 0 {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	err := call(cctx)
	g.exit(probe, outage(ctx, err))
	return err
}

// enter reports whether a call may ask Redis, and whether it is the probe.
func (g *guard) enter() (probe, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.pause == 0:
		return false, true
	case time.Now().Before(g.downUntil) || g.probing:
		return false, false
	}
	g.probing = true
	return true, true
}

// exit notes a call's outcome.
func (g *guard) exit(probe, down bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if probe {
		g.probing = false
	}
	switch {
	case down:
		g.pause = min(max(2*g.pause, pauseFirst), pauseMost)
		g.downUntil = time.Now().Add(g.pause)
	case probe:
		g.pause = 0
	}
}

// outage reports whether err says Redis could not be reached: anything
// but success, a key not found (redis.Nil), a reply of Redis itself, a
// pool too busy to lend a connection at once (busy, not down), and the
// caller's own context ending.
func outage(ctx context.Context, err error) bool {
	var reply redis.Error
	switch {
	case err == nil, ctx.Err() != nil,
		errors.Is(err, redis.Nil),
		errors.As(err, &reply),
		errors.Is(err, redis.ErrPoolTimeout):
		return false
	}
	return true
}
