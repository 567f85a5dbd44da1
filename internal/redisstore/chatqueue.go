package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/redis/go-redis/v9"

	"villagebot/internal/delivery"
)

// ChatQueue is a delivery.ChatQueue in Redis: a sorted set per chat
// ("<prefix>chatqueue:<chat>", the update as JSON scored by its
// update_id), and a sorted set of the chats with updates waiting
// ("<prefix>chatqueues", scored by when the chat last saw progress). The
// chats' locks are a ChatLocker's.
type ChatQueue struct {
	rdb    redis.UniversalClient
	prefix string
	locks  *ChatLocker

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

// NewChatQueue returns a queue whose Take and Release take and give
// back the chats' locks of locks, keeping its keys in the same Redis
// under the same prefix: the scripts that take an update with its lock
// touch both.
func NewChatQueue(locks *ChatLocker) *ChatQueue {
	return &ChatQueue{rdb: locks.rdb, prefix: locks.prefix, locks: locks,
		MaxPerChat: 100, StaleAfter: 10 * time.Second, TTL: UpdateTTL, Now: time.Now}
}

func (q *ChatQueue) key(chatID int64) string {
	return q.prefix + "chatqueue:" + strconv.FormatInt(chatID, 10)
}

func (q *ChatQueue) index() string { return q.prefix + "chatqueues" }

// pushScript adds the update unless one with its update_id waits already
// (Telegram's copy of an update need not be byte for byte the same) or
// the queue is full, and enters the chat in the index if it is not there.
//
// KEYS: the chat's queue, the index. ARGV: update_id, the update, now
// (ms), the most waiting, the queue's TTL (ms), the chat id.
var pushScript = redis.NewScript(`
if redis.call("ZCOUNT", KEYS[1], ARGV[1], ARGV[1]) == 0 then
	if redis.call("ZCARD", KEYS[1]) >= tonumber(ARGV[4]) then
		return 0
	end
	redis.call("ZADD", KEYS[1], ARGV[1], ARGV[2])
end
redis.call("PEXPIRE", KEYS[1], ARGV[5])
redis.call("ZADD", KEYS[2], "NX", ARGV[3], ARGV[6])
return 1`)

// Push implements delivery.ChatQueue.
func (q *ChatQueue) Push(ctx context.Context, chatID int64, updateID int, update []byte) error {
	added, err := pushScript.Run(ctx, q.rdb, []string{q.key(chatID), q.index()},
		updateID, update, q.Now().UnixMilli(), q.MaxPerChat, q.TTL.Milliseconds(), chatID).Int()
	if err != nil {
		return fmt.Errorf("queue update: %w", err)
	}
	if added == 0 {
		return delivery.ErrBacklog
	}
	return nil
}

// takeScript returns the lowest update waiting with its update_id, having
// set the lock to the caller's token (SET NX PX, as ChatLocker.Lock
// does); 0 when the lock is held elsewhere. When no update waits it takes
// no lock and takes the chat out of the index, in the same step so that a
// Push cannot slip in between.
//
// KEYS: the chat's queue, the index, the chat's lock. ARGV: the chat id,
// the token, the lock's TTL (ms).
var takeScript = redis.NewScript(`
local first = redis.call("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
if #first == 0 then
	redis.call("ZREM", KEYS[2], ARGV[1])
	return false
end
if not redis.call("SET", KEYS[3], ARGV[2], "NX", "PX", ARGV[3]) then
	return 0
end
return first`)

// Take implements delivery.ChatQueue. Like ChatLocker.Lock, it tries again
// after a short and growing pause while the lock is held elsewhere.
func (q *ChatQueue) Take(ctx context.Context, chatID int64) (delivery.Taken, bool, error) {
	lock := q.locks.key(chatID)
	t := delivery.Taken{ChatID: chatID, Token: rand.Text()}
	var first []any
	err := whileHeld(ctx, func() (bool, error) {
		reply, err := takeScript.Run(ctx, q.rdb, []string{q.key(chatID), q.index(), lock},
			chatID, t.Token, q.locks.ttl.Milliseconds()).Result()
		switch {
		case errors.Is(err, redis.Nil):
			return false, nil
		case err != nil:
			if ctx.Err() != nil {
				// As in Lock: the answer may be lost, not the lock.
				go q.locks.unlock(lock, t.Token)
			}
			return false, err
		}
		first, _ = reply.([]any)
		return first == nil, nil
	})
	if err != nil {
		return delivery.Taken{}, false, fmt.Errorf("take queued update: %w", err)
	}
	if first == nil {
		return delivery.Taken{}, false, nil
	}
	data, _ := first[0].(string)
	score, _ := first[1].(string)
	id, err := strconv.Atoi(score)
	if err == nil {
		err = json.Unmarshal([]byte(data), &t.Update)
	}
	if err == nil && t.Update.UpdateID != id {
		err = fmt.Errorf("update %d queued as %d", t.Update.UpdateID, id)
	}
	if err != nil {
		// Not ours to handle; drop it rather than block the chat.
		t.Update = tgbotapi.Update{UpdateID: id}
		_, _ = q.Release(ctx, t)
		return delivery.Taken{}, false, fmt.Errorf("take queued update: %w", err)
	}
	return t, true, nil
}

// releaseScript removes the update, records progress on the chat, and
// deletes the lock only if it holds the caller's token. It takes the chat
// out of the index when no update is left, as takeScript does, and
// returns how many are.
//
// KEYS: the chat's queue, the index, the chat's lock. ARGV: the chat id,
// update_id, now (ms), the token.
var releaseScript = redis.NewScript(`
redis.call("ZREMRANGEBYSCORE", KEYS[1], ARGV[2], ARGV[2])
local left = redis.call("ZCARD", KEYS[1])
if left == 0 then
	redis.call("ZREM", KEYS[2], ARGV[1])
else
	redis.call("ZADD", KEYS[2], "XX", ARGV[3], ARGV[1])
end
if redis.call("GET", KEYS[3]) == ARGV[4] then
	redis.call("DEL", KEYS[3])
end
return left`)

// Release implements delivery.ChatQueue. When Redis does not answer it still tries
// to give the lock back, as ChatLocker's unlock would; the update
// then stays in the queue, to be taken again and skipped as handled.
func (q *ChatQueue) Release(ctx context.Context, t delivery.Taken) (bool, error) {
	lock := q.locks.key(t.ChatID)
	left, err := releaseScript.Run(ctx, q.rdb, []string{q.key(t.ChatID), q.index(), lock},
		t.ChatID, t.Update.UpdateID, q.Now().UnixMilli(), t.Token).Int()
	if err != nil {
		q.locks.unlock(lock, t.Token)
		return false, fmt.Errorf("release queued update: %w", err)
	}
	return left > 0, nil
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

// Stale implements delivery.ChatQueue.
func (q *ChatQueue) Stale(ctx context.Context, limit int) ([]int64, error) {
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
