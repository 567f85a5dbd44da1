package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"villagebot/internal/telegram"
)

// Journal is the poll journal (see internal/delivery) in a Redis hash,
// "<prefix>polled", of the updates by id. One bot token has one poller
// at a time (Telegram refuses a second), so one hash serves it.
type Journal struct {
	st  *Store
	key string
}

// Journal returns the store's poll journal.
func (s *Store) Journal() *Journal { return &Journal{st: s, key: s.prefix + "polled"} }

// journalWait bounds a call to the journal: an unreachable Redis must not
// hold the poll loop up for long.
const journalWait = 500 * time.Millisecond

// Sync adds keep and removes the updates done, in one step. The hash expires a day after its last
// change, as Telegram forgets an update after a day.
func (j *Journal) Sync(ctx context.Context, keep []telegram.RawUpdate, done []int) error {
	if len(keep) == 0 && len(done) == 0 {
		return nil
	}
	err := j.st.guard.do(ctx, journalWait, func(ctx context.Context) error {
		_, err := j.st.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
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
				p.PExpire(ctx, j.key, UpdateTTL)
			}
			return nil
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("update journal: %w", err)
	}
	return nil
}

// Pending returns the updates kept, lowest id first. An entry that is not an update id is
// dropped.
func (j *Journal) Pending(ctx context.Context) ([]telegram.RawUpdate, error) {
	var all map[string]string
	err := j.st.guard.do(ctx, journalWait, func(ctx context.Context) error {
		var err error
		all, err = j.st.rdb.HGetAll(ctx, j.key).Result()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update journal: %w", err)
	}
	kept := make([]telegram.RawUpdate, 0, len(all))
	for field, raw := range all {
		if id, err := strconv.Atoi(field); err == nil {
			kept = append(kept, telegram.RawUpdate{ID: id, Raw: json.RawMessage(raw)})
		}
	}
	slices.SortFunc(kept, func(a, b telegram.RawUpdate) int { return a.ID - b.ID })
	return kept, nil
}
