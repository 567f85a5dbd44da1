package redisstore

import (
	"cmp"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis connections a bot process may use at once: each of its workers
// one (a handler's Redis calls come one after another) — in webhook mode
// twice over, the drains' workers and the dispatcher's that take over
// while the queue cannot be reached —, each webhook request one for its
// Push (Telegram's max_connections, 40 by default), and the background
// jobs (notifier, expiry, sweeper, a readiness probe) one each.
// go-redis's default pool, 10 connections per CPU, is 20 on a 2-core
// machine: under load callers queued for a connection, webhook Pushes ran
// out of their time and updates were handled out of the shared order.
const (
	redisForWebhook    = 40
	redisForBackground = 4
	// minRedisPool leaves room for bursts (a shutdown's unlocks, a
	// sweep's drains) at little cost: idle connections are cheap.
	minRedisPool = 64
	// redisPoolTimeout bounds waiting for a connection: a caller that
	// cannot have one within a second had better fail and say so.
	redisPoolTimeout = time.Second
)

// defaultWorkers is delivery's default Options.Workers.
const defaultWorkers = 16

// Tune sets opt up for a bot process with this many workers (0: the
// default of delivery.Options): context timeouts on every call, and a
// pool sized as above, unless opt sets its size or wait itself.
func Tune(opt *redis.Options, workers int) {
	opt.ContextTimeoutEnabled = true
	if opt.PoolSize == 0 {
		opt.PoolSize = max(minRedisPool, 2*cmp.Or(workers, defaultWorkers)+redisForWebhook+redisForBackground)
	}
	if opt.PoolTimeout == 0 {
		opt.PoolTimeout = redisPoolTimeout
	}
}
