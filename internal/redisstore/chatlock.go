package redisstore

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// What the processes serving one bot share in Redis: a lock per chat and
// a queue per chat of the updates taken in but not yet handled (see
// internal/delivery/webhook.go for how they are used together). Both need one Redis server
// (a primary, as for sessions), not a Redis Cluster: the queue's scripts
// touch the chat's queue, its lock and the index of chats at once.

// ChatLocker is a delivery.ChatLocker for several processes: the lock is a
// Redis key set only if absent (SET NX) to a random token of its holder,
// with a TTL, and given back by deleting it only if it still holds that
// token, so that a holder whose lock ran out never frees the next
// holder's. A holder that dies frees its chats when the TTL runs out.
type ChatLocker struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
}

// ChatLocker returns the store's chat locks ("<prefix>chatlock:<chat>").
// ttl, how long a lock lasts unless given back, should be a little above
// the bot's HandlerTimeout; 0 means 35s.
func (s *Store) ChatLocker(ttl time.Duration) *ChatLocker {
	return &ChatLocker{rdb: s.rdb, prefix: s.prefix, ttl: cmp.Or(ttl, 35*time.Second)}
}

func (l *ChatLocker) key(chatID int64) string {
	return l.prefix + "chatlock:" + strconv.FormatInt(chatID, 10)
}

// unlockScript deletes the lock only if it holds the caller's token.
var unlockScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// Lock waits, trying again after a short and growing pause, until it has
// the chat's lock or ctx ends.
func (l *ChatLocker) Lock(ctx context.Context, chatID int64) (unlock func(), err error) {
	key := l.key(chatID)
	token := rand.Text()
	err = whileHeld(ctx, func() (bool, error) {
		ok, err := l.rdb.SetNX(ctx, key, token, l.ttl).Result()
		if err != nil && ctx.Err() != nil {
			// The SET may have been done and only its answer lost as
			// ctx ended: give back whatever the token holds, or the
			// chat would stay locked, by nobody, for the TTL. In the
			// background, so as not to outlast ctx.
			go l.unlock(key, token)
		}
		return !ok, err
	})
	if err != nil {
		return nil, fmt.Errorf("chat lock: %w", err)
	}
	return sync.OnceFunc(func() { l.unlock(key, token) }), nil
}

// whileHeld calls try until it reports the chat's lock not held
// elsewhere or fails, pausing between calls for a short and growing
// while; it fails with ctx's error once ctx ends.
func whileHeld(ctx context.Context, try func() (held bool, err error)) error {
	pause := 2 * time.Millisecond
	for {
		held, err := try()
		if err != nil || !held {
			return err
		}
		// Jitter keeps waiting processes from asking in step.
		t := time.NewTimer(pause/2 + mrand.N(pause))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		pause = min(pause*2, 50*time.Millisecond)
	}
}

// unlock gives the lock back if it is still the caller's. It runs even
// when the handler's context has ended; if Redis does not answer, the
// lock runs out by itself.
func (l *ChatLocker) unlock(key, token string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = unlockScript.Run(ctx, l.rdb, []string{key}, token).Err()
}
