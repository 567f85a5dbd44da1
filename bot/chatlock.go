package bot

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/redis/go-redis/v9"
)

// What the processes serving one bot share in Redis: a lock per chat and
// a queue per chat of the updates taken in but not yet handled (see
// webhook.go for how they are used together). Both need one Redis server
// (a primary, as for sessions), not a Redis Cluster: the queue's scripts
// touch two keys.

// RedisChatLocker is a ChatLocker for several processes: the lock is a
// Redis key set only if absent (SET NX) to a random token of its holder,
// with a TTL, and given back by deleting it only if it still holds that
// token, so that a holder whose lock ran out never frees the next
// holder's. A holder that dies frees its chats when the TTL runs out.
type RedisChatLocker struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
}

// NewRedisChatLocker returns a locker keeping its keys under prefix
// ("<prefix>chatlock:<chat>"). ttl, how long a lock lasts unless given
// back, should be a little above the bot's HandlerTimeout; 0 means 35s.
func NewRedisChatLocker(rdb redis.UniversalClient, prefix string, ttl time.Duration) *RedisChatLocker {
	return &RedisChatLocker{rdb: rdb, prefix: prefix, ttl: cmp(ttl, 35*time.Second)}
}

// unlockScript deletes the lock only if it holds the caller's token.
var unlockScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// Lock waits, trying again after a short and growing pause, until it has
// the chat's lock or ctx ends.
func (l *RedisChatLocker) Lock(ctx context.Context, chatID int64) (unlock func(), err error) {
	key := l.prefix + "chatlock:" + strconv.FormatInt(chatID, 10)
	token := rand.Text()
	pause := 2 * time.Millisecond
	for {
		ok, err := l.rdb.SetNX(ctx, key, token, l.ttl).Result()
		if err != nil {
			if ctx.Err() != nil {
				// The SET may have been done and only its answer lost
				// as ctx ended: give back whatever the token holds, or
				// the chat would stay locked, by nobody, for the TTL.
				// In the background, so as not to outlast ctx.
				go l.unlock(key, token)
			}
			return nil, fmt.Errorf("chat lock: %w", err)
		}
		if ok {
			return sync.OnceFunc(func() { l.unlock(key, token) }), nil
		}
		// Jitter keeps waiting processes from asking in step.
		t := time.NewTimer(pause/2 + mrand.N(pause))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("chat lock: %w", ctx.Err())
		case <-t.C:
		}
		pause = min(pause*2, 50*time.Millisecond)
	}
}

// unlock gives the lock back if it is still the caller's. It runs even
// when the handler's context has ended; if Redis does not answer, the
// lock runs out by itself.
func (l *RedisChatLocker) unlock(key, token string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = unlockScript.Run(ctx, l.rdb, []string{key}, token).Err()
}

// ChatQueue holds, for each chat, the updates a process took in and none
// has handled yet, where every process sees them; a process handles them
// while it holds the chat's lock, lowest update_id first.
type ChatQueue interface {
	// Push adds u to the chat's queue (adding it again changes nothing);
	// it fails with ErrBacklog when too many of the chat's updates wait.
	Push(ctx context.Context, chatID int64, u tgbotapi.Update) error
	// Next returns the chat's waiting update with the lowest update_id;
	// ok is false when none waits.
	Next(ctx context.Context, chatID int64) (u tgbotapi.Update, ok bool, err error)
	// Done removes the update, every copy of it, from the chat's queue.
	Done(ctx context.Context, chatID int64, updateID int) error
	// Stale names up to limit chats whose queue has gone a while without
	// progress (the process that took their updates in may have died),
	// each at most once in that while.
	Stale(ctx context.Context, limit int) ([]int64, error)
}

// ErrBacklog is a chat with too many updates waiting.
var ErrBacklog = errors.New("too many updates waiting in the chat")

// RedisChatQueue is a ChatQueue in Redis: a sorted set per chat
// ("<prefix>chatqueue:<chat>", the update as JSON scored by its
// update_id), and a sorted set of the chats with updates waiting
// ("<prefix>chatqueues", scored by when the chat last saw progress).
type RedisChatQueue struct {
	rdb    redis.UniversalClient
	prefix string

	// MaxPerChat bounds a chat's waiting updates; default 100.
	MaxPerChat int
	// StaleAfter is how long a chat's queue may go without progress
	// before Stale names it; default 10s.
	StaleAfter time.Duration
	// TTL is how long an untouched queue is kept; default 25h (Telegram
	// gives up on an update after a day).
	TTL time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// NewRedisChatQueue returns a queue keeping its keys under prefix.
func NewRedisChatQueue(rdb redis.UniversalClient, prefix string) *RedisChatQueue {
	return &RedisChatQueue{rdb: rdb, prefix: prefix, MaxPerChat: 100, StaleAfter: 10 * time.Second, TTL: updateTTL, Now: time.Now}
}

func (q *RedisChatQueue) key(chatID int64) string {
	return q.prefix + "chatqueue:" + strconv.FormatInt(chatID, 10)
}

func (q *RedisChatQueue) index() string { return q.prefix + "chatqueues" }

// pushScript adds the update unless the queue is full, and enters the
// chat in the index if it is not there.
//
// KEYS: the chat's queue, the index. ARGV: update_id, the update, now
// (ms), the most waiting, the queue's TTL (ms), the chat id.
var pushScript = redis.NewScript(`
if not redis.call("ZSCORE", KEYS[1], ARGV[2]) and redis.call("ZCARD", KEYS[1]) >= tonumber(ARGV[4]) then
	return 0
end
redis.call("ZADD", KEYS[1], ARGV[1], ARGV[2])
redis.call("PEXPIRE", KEYS[1], ARGV[5])
redis.call("ZADD", KEYS[2], "NX", ARGV[3], ARGV[6])
return 1`)

// Push implements ChatQueue.
func (q *RedisChatQueue) Push(ctx context.Context, chatID int64, u tgbotapi.Update) error {
	data, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("queue update: %w", err)
	}
	added, err := pushScript.Run(ctx, q.rdb, []string{q.key(chatID), q.index()},
		u.UpdateID, data, q.Now().UnixMilli(), q.MaxPerChat, q.TTL.Milliseconds(), chatID).Int()
	if err != nil {
		return fmt.Errorf("queue update: %w", err)
	}
	if added == 0 {
		return ErrBacklog
	}
	return nil
}

// nextScript returns the lowest update waiting; when none is, it takes
// the chat out of the index, in the same step so that a Push cannot slip
// in between.
//
// KEYS: the chat's queue, the index. ARGV: the chat id.
var nextScript = redis.NewScript(`
local first = redis.call("ZRANGE", KEYS[1], 0, 0)
if #first == 0 then
	redis.call("ZREM", KEYS[2], ARGV[1])
	return false
end
return first[1]`)

// Next implements ChatQueue.
func (q *RedisChatQueue) Next(ctx context.Context, chatID int64) (tgbotapi.Update, bool, error) {
	data, err := nextScript.Run(ctx, q.rdb, []string{q.key(chatID), q.index()}, chatID).Text()
	if errors.Is(err, redis.Nil) {
		return tgbotapi.Update{}, false, nil
	}
	if err != nil {
		return tgbotapi.Update{}, false, fmt.Errorf("next queued update: %w", err)
	}
	var u tgbotapi.Update
	if err := json.Unmarshal([]byte(data), &u); err != nil {
		// Not ours to handle; drop it rather than block the chat.
		q.rdb.ZRem(ctx, q.key(chatID), data)
		return tgbotapi.Update{}, false, fmt.Errorf("next queued update: %w", err)
	}
	return u, true, nil
}

// Done implements ChatQueue; it also records progress on the chat.
func (q *RedisChatQueue) Done(ctx context.Context, chatID int64, updateID int) error {
	id := strconv.Itoa(updateID)
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRemRangeByScore(ctx, q.key(chatID), id, id)
		p.ZAddXX(ctx, q.index(), redis.Z{Score: float64(q.Now().UnixMilli()), Member: chatID})
		return nil
	})
	if err != nil {
		return fmt.Errorf("queued update done: %w", err)
	}
	return nil
}

// staleScript names the chats without progress since ARGV[1] and restarts
// their clock, so that the next sweep, here or in another process, does
// not name them again at once.
//
// KEYS: the index. ARGV: since (ms), now (ms), limit.
var staleScript = redis.NewScript(`
local chats = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1], "LIMIT", 0, ARGV[3])
for _, c in ipairs(chats) do
	redis.call("ZADD", KEYS[1], "XX", ARGV[2], c)
end
return chats`)

// Stale implements ChatQueue.
func (q *RedisChatQueue) Stale(ctx context.Context, limit int) ([]int64, error) {
	now := q.Now()
	ids, err := staleScript.Run(ctx, q.rdb, []string{q.index()},
		now.Add(-q.StaleAfter).UnixMilli(), now.UnixMilli(), limit).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("stale chats: %w", err)
	}
	chats := make([]int64, 0, len(ids))
	for _, s := range ids {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			chats = append(chats, id)
		}
	}
	return chats, nil
}
