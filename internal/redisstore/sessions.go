package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sessions keeps each chat's session, as the bytes the bot encodes, under
// "<prefix>session:<chat>", and the ids of handled updates under
// "<prefix>update:<id>". While Redis is taken to be down (see guard) its
// calls fail at once with ErrDown.
type Sessions struct {
	st  *Store
	ttl time.Duration
}

// SessionTTL is how long a quiet chat's session is kept.
const SessionTTL = 7 * 24 * time.Hour

// UpdateTTL is how long a handled update id, or a journaled or queued
// update, is kept; Telegram keeps unconfirmed updates for 24 hours.
const UpdateTTL = 25 * time.Hour

// Sessions returns the store's sessions.
func (s *Store) Sessions() *Sessions { return &Sessions{st: s, ttl: SessionTTL} }

func (r *Sessions) sessionKey(chatID int64) string {
	return r.st.prefix + "session:" + strconv.FormatInt(chatID, 10)
}

func (r *Sessions) updateKey(id int) string {
	return r.st.prefix + "update:" + strconv.Itoa(id)
}

// Load returns the chat's stored session, nil when there is none.
func (r *Sessions) Load(ctx context.Context, chatID int64) ([]byte, error) {
	var b []byte
	err := r.st.guard.do(ctx, 0, func(ctx context.Context) error {
		var err error
		b, err = r.st.rdb.Get(ctx, r.sessionKey(chatID)).Bytes()
		return err
	})
	switch {
	case errors.Is(err, redis.Nil):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("load session: %w", err)
	}
	return b, nil
}

// Save stores the chat's session and renews its expiry.
func (r *Sessions) Save(ctx context.Context, chatID int64, session []byte) error {
	err := r.st.guard.do(ctx, 0, func(ctx context.Context) error {
		return r.st.rdb.Set(ctx, r.sessionKey(chatID), session, r.ttl).Err()
	})
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

// Begin reports whether the update was marked handled and, when it was
// not, returns the chat's stored session (nil: none), asked in one round
// trip.
func (r *Sessions) Begin(ctx context.Context, updateID int, chatID int64) (handled bool, session []byte, err error) {
	var seen *redis.IntCmd
	var stored *redis.StringCmd
	err = r.st.guard.do(ctx, 0, func(ctx context.Context) error {
		_, err := r.st.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			seen = p.Exists(ctx, r.updateKey(updateID))
			stored = p.Get(ctx, r.sessionKey(chatID))
			return nil
		})
		if errors.Is(err, redis.Nil) {
			err = nil // no session stored: Get's answer, looked at below
		}
		return err
	})
	if err != nil {
		return false, nil, fmt.Errorf("begin update: %w", err)
	}
	if seen.Val() > 0 {
		return true, nil, nil
	}
	b, err := stored.Bytes()
	if err != nil { // redis.Nil: nothing stored
		return false, nil, nil
	}
	return false, b, nil
}

// Finish marks the update handled (SET NX with a TTL) and, when session
// is not nil, saves it as the chat's session, in one round trip.
func (r *Sessions) Finish(ctx context.Context, updateID int, chatID int64, session []byte) error {
	err := r.st.guard.do(ctx, 0, func(ctx context.Context) error {
		_, err := r.st.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if session != nil {
				p.Set(ctx, r.sessionKey(chatID), session, r.ttl)
			}
			p.SetNX(ctx, r.updateKey(updateID), 1, UpdateTTL)
			return nil
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("finish update: %w", err)
	}
	return nil
}
