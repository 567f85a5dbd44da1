package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"villagebot/catalog"
)

// Session is what the bot remembers of one chat between updates: the
// language chosen, the flow and step the user is in, the answers given so
// far and the cart. It is kept as JSON in Redis and expires when the chat
// goes quiet.
type Session struct {
	Lang   string            `json:"lang,omitempty"` // chosen with /language; empty: from Telegram
	TgLang string            `json:"tl,omitempty"`   // the language Telegram last reported
	Flow   string            `json:"flow,omitempty"` // "search", "checkout", …; empty: none
	Step   string            `json:"step,omitempty"`
	Data   map[string]string `json:"data,omitempty"` // answers of the current flow
	Cart   []CartLine        `json:"cart,omitempty"`
	Gift   []CartLine        `json:"gift,omitempty"` // an office member's gift order being put together
	// Screen is the id of the bot's message that navigation edits in place.
	Screen int `json:"screen,omitempty"`
	// ScreenPhoto is the photo that message shows, when it is one; a
	// new screen with the same photo edits the caption instead.
	ScreenPhoto string `json:"screen_photo,omitempty"`
}

// CartLine is a product and a quantity; prices are always read anew from
// the catalog.
type CartLine struct {
	ProductID int64 `json:"p"`
	Quantity  int   `json:"q"`
	// Price is the price the user saw when adding, in fen: shown beside a
	// changed price, never charged.
	Price catalog.Money `json:"s,omitempty"`
}

// Enter starts a flow at its first step, forgetting any other flow.
func (s *Session) Enter(flow, step string) {
	s.Flow, s.Step, s.Data = flow, step, nil
}

// Leave ends the current flow.
func (s *Session) Leave() {
	s.Flow, s.Step, s.Data = "", "", nil
}

// Set records an answer of the current flow.
func (s *Session) Set(key, value string) {
	if s.Data == nil {
		s.Data = map[string]string{}
	}
	s.Data[key] = value
}

// Sessions keeps sessions and remembers which updates were handled.
type Sessions interface {
	Load(ctx context.Context, chatID int64) (Session, error)
	Save(ctx context.Context, chatID int64, s Session) error
	// Handled reports whether the update was marked done before.
	Handled(ctx context.Context, updateID int) (bool, error)
	// MarkHandled records that the update was handled.
	MarkHandled(ctx context.Context, updateID int) error
}

// RedisSessions stores sessions under "<prefix>session:<chat>" and handled
// update ids under "<prefix>update:<id>".
type RedisSessions struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
}

// SessionTTL is how long a quiet chat's session is kept.
const SessionTTL = 7 * 24 * time.Hour

// updateTTL is how long a handled update id is remembered; Telegram keeps
// unconfirmed updates for 24 hours.
const updateTTL = 25 * time.Hour

// NewRedisSessions returns a Sessions backed by rdb, with every key under
// prefix (empty in production, unique per test).
func NewRedisSessions(rdb redis.UniversalClient, prefix string) *RedisSessions {
	return &RedisSessions{rdb: rdb, prefix: prefix, ttl: SessionTTL}
}

func (r *RedisSessions) sessionKey(chatID int64) string {
	return r.prefix + "session:" + strconv.FormatInt(chatID, 10)
}

// Load returns the chat's session, or an empty one when there is none or
// the stored one cannot be read (a broken session restarts, it never blocks
// the user).
func (r *RedisSessions) Load(ctx context.Context, chatID int64) (Session, error) {
	b, err := r.rdb.Get(ctx, r.sessionKey(chatID)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Session{}, nil
	}
	if err != nil {
		return Session{}, fmt.Errorf("load session: %w", err)
	}
	var s Session
	if err := json.Unmarshal(b, &s); err != nil {
		return Session{}, nil
	}
	return s, nil
}

// Save stores the session and renews its expiry.
func (r *RedisSessions) Save(ctx context.Context, chatID int64, s Session) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	if err := r.rdb.Set(ctx, r.sessionKey(chatID), b, r.ttl).Err(); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

func (r *RedisSessions) updateKey(id int) string {
	return r.prefix + "update:" + strconv.Itoa(id)
}

// Handled reports whether the update was marked handled.
func (r *RedisSessions) Handled(ctx context.Context, updateID int) (bool, error) {
	n, err := r.rdb.Exists(ctx, r.updateKey(updateID)).Result()
	if err != nil {
		return false, fmt.Errorf("update seen: %w", err)
	}
	return n > 0, nil
}

// MarkHandled records the update as handled (SET NX with a TTL).
func (r *RedisSessions) MarkHandled(ctx context.Context, updateID int) error {
	if err := r.rdb.SetNX(ctx, r.updateKey(updateID), 1, updateTTL).Err(); err != nil {
		return fmt.Errorf("mark update: %w", err)
	}
	return nil
}
