package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Telegram keeps an update until a getUpdates call asks for a later
// offset, and the next batch only comes with that later offset. A poller
// that confirms an update only once it is handled fetches every update in
// hand again on each call (up to 100 of them, mostly waste) and sees
// nothing new while its 100 oldest are in hand. A poller that confirms on
// fetching loses what it held when it dies.
//
// The journal is the way between: fetched updates are written to Redis
// first, in one call per batch, and confirmed at once; a handled one is
// taken out of the journal with the next batch. A process that starts
// handles what the journal holds (updates handled before are skipped by
// the handled marks). When the journal cannot be written, the poller
// falls back to confirming updates once handled.

// RawUpdate is an update as fetched: its id, and the rest still encoded.
type RawUpdate struct {
	ID  int
	Raw json.RawMessage
}

// UpdateJournal keeps the fetched, unhandled updates of a poller where the
// next process to poll finds them.
type UpdateJournal interface {
	// Sync adds keep and removes the updates done, in one step.
	Sync(ctx context.Context, keep []RawUpdate, done []int) error
	// Pending returns the updates kept, lowest id first.
	Pending(ctx context.Context) ([]RawUpdate, error)
}

// RedisUpdateJournal is an UpdateJournal in a Redis hash,
// "<prefix>polled", of the updates by id. One bot token has one poller
// at a time (Telegram refuses a second), so one hash serves it.
type RedisUpdateJournal struct {
	rdb redis.UniversalClient
	key string
}

// NewRedisUpdateJournal returns a journal keeping its hash under prefix.
func NewRedisUpdateJournal(rdb redis.UniversalClient, prefix string) *RedisUpdateJournal {
	return &RedisUpdateJournal{rdb: rdb, key: prefix + "polled"}
}

// Sync implements UpdateJournal. The hash expires a day after its last
// change, as Telegram forgets an update after a day.
func (j *RedisUpdateJournal) Sync(ctx context.Context, keep []RawUpdate, done []int) error {
	if len(keep) == 0 && len(done) == 0 {
		return nil
	}
	_, err := j.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if len(done) > 0 {
			ids := make([]string, len(done))
			for i, id := range done {
				ids[i] = strconv.Itoa(id)
			}
			p.HDel(ctx, j.key, ids...)
		}
		if len(keep) > 0 {
			fields := make([]any, 0, 2*len(keep))
			for _, u := range keep {
				fields = append(fields, strconv.Itoa(u.ID), []byte(u.Raw))
			}
			p.HSet(ctx, j.key, fields...)
			p.PExpire(ctx, j.key, updateTTL)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update journal: %w", err)
	}
	return nil
}

// Pending implements UpdateJournal. An entry that is not an update id is
// dropped.
func (j *RedisUpdateJournal) Pending(ctx context.Context) ([]RawUpdate, error) {
	all, err := j.rdb.HGetAll(ctx, j.key).Result()
	if err != nil {
		return nil, fmt.Errorf("update journal: %w", err)
	}
	kept := make([]RawUpdate, 0, len(all))
	for field, raw := range all {
		if id, err := strconv.Atoi(field); err == nil {
			kept = append(kept, RawUpdate{ID: id, Raw: json.RawMessage(raw)})
		}
	}
	slices.SortFunc(kept, func(a, b RawUpdate) int { return a.ID - b.ID })
	return kept, nil
}
