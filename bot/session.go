package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
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
	Desk   *DeskState        `json:"desk,omitempty"` // a cancellation whose reason staff type (orderdesk.go)
	// Screen is the id of the bot's message that navigation edits in place.
	Screen int `json:"screen,omitempty"`
	// ScreenPhoto is the photo that message shows, when it is one; a
	// new screen with the same photo edits the caption instead.
	ScreenPhoto string `json:"screen_photo,omitempty"`

	// New is set, never stored, when no usable session was stored for the
	// chat: a new chat, one quiet for longer than SessionTTL, or one whose
	// session was flushed or unreadable. A flow the user was in is gone.
	New bool `json:"-"`
	// Unreachable is set, never stored, when the session store could not
	// be reached: the update is handled with an empty session, and nothing
	// of it is kept (Save refuses it rather than overwrite the stored one).
	Unreachable bool `json:"-"`
}

// errSessionLost is the answer to a step of a flow whose session is gone
// (flushed, expired or unreachable): the user is told to start again.
var errSessionLost = errors.New("the session of this flow is gone")

// errSessionUnavailable is the answer to a change the session cannot keep
// because the session store is unreachable.
var errSessionUnavailable = errors.New("session store unavailable")

// restarted reports that the chat's session was not there to be read.
func (s *Session) restarted() bool { return s.New || s.Unreachable }

// stale is the error of a flow's step taken out of turn: errSessionLost
// when the session restarted (the user was in the flow, the bot forgot),
// else errStale.
func (s *Session) stale() error {
	if s.restarted() {
		return errSessionLost
	}
	return errStale
}

// keepable is nil when changes to the session will be kept, else
// errSessionUnavailable.
func (s *Session) keepable() error {
	if s.Unreachable {
		return errSessionUnavailable
	}
	return nil
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

// Sessions keeps sessions and remembers which updates were handled. An
// update costs two calls: Begin before it is handled, Finish after.
type Sessions interface {
	// Begin reports whether the update was marked handled before and,
	// when it was not, returns the chat's session as Load does.
	Begin(ctx context.Context, updateID int, chatID int64) (handled bool, s Session, err error)
	// Finish marks the update handled and, when session is not nil,
	// saves it (a Session as JSON) as the chat's session.
	Finish(ctx context.Context, updateID int, chatID int64, session []byte) error
	Load(ctx context.Context, chatID int64) (Session, error)
	Save(ctx context.Context, chatID int64, s Session) error
}

// RedisSessions stores sessions under "<prefix>session:<chat>" and handled
// update ids under "<prefix>update:<id>".
//
// When Redis cannot be reached, each call would wait out the client's
// retries and dials, seconds, and an update makes two calls or more. So a call
// that fails to reach Redis marks it down for a moment (downFor), in which
// calls fail at once with errSessionsDown; the first call after it tries
// Redis again. One update a moment pays for finding out, the others are
// answered without delay.
type RedisSessions struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration

	downUntil atomic.Int64 // unix nanoseconds; Redis is taken to be down before
}

// errSessionsDown is returned, at once, while Redis was found unreachable
// a moment ago.
var errSessionsDown = errors.New("sessions: redis unreachable a moment ago")

// downFor is how long Redis is taken to be down after a call failed to
// reach it.
const downFor = time.Second

// up returns errSessionsDown while Redis is taken to be down.
func (r *RedisSessions) up() error {
	if time.Now().UnixNano() < r.downUntil.Load() {
		return errSessionsDown
	}
	return nil
}

// seen notes the outcome of a call to Redis: an error that is neither
// redis.Nil, nor a reply of Redis, nor the caller's context ending, nor
// waiting too long for a connection of the pool, marks Redis down for
// downFor.
func (r *RedisSessions) seen(ctx context.Context, err error) {
	var reply redis.Error
	if err == nil || errors.Is(err, redis.Nil) || errors.As(err, &reply) || ctx.Err() != nil ||
		errors.Is(err, redis.ErrPoolTimeout) { // busy for a moment, not down
		return
	}
	r.downUntil.Store(time.Now().Add(downFor).UnixNano())
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

// Load returns the chat's session. When there is none, or the stored one
// cannot be read, it is an empty one marked New (a broken session
// restarts, it never blocks the user); when Redis cannot be reached, an
// empty one marked Unreachable, with the error.
func (r *RedisSessions) Load(ctx context.Context, chatID int64) (Session, error) {
	if err := r.up(); err != nil {
		return Session{Unreachable: true}, fmt.Errorf("load session: %w", err)
	}
	b, err := r.rdb.Get(ctx, r.sessionKey(chatID)).Bytes()
	r.seen(ctx, err)
	if errors.Is(err, redis.Nil) {
		return Session{New: true}, nil
	}
	if err != nil {
		return Session{Unreachable: true}, fmt.Errorf("load session: %w", err)
	}
	return decodeSession(b), nil
}

// decodeSession reads a stored session; one that cannot be read is an
// empty one marked New: a broken session restarts, it never blocks the
// user.
func decodeSession(b []byte) Session {
	var s Session
	if err := json.Unmarshal(b, &s); err != nil {
		return Session{New: true}
	}
	return s
}

// errNotLoaded refuses to save a session that was never loaded.
var errNotLoaded = errors.New("save session: it could not be loaded; the stored one is kept")

// Save stores the session and renews its expiry. A session that could not
// be loaded (Unreachable) is not saved: the one stored, when Redis comes
// back, is worth more than what an update without it made.
func (r *RedisSessions) Save(ctx context.Context, chatID int64, s Session) error {
	if s.Unreachable {
		return errNotLoaded
	}
	if err := r.up(); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	err = r.rdb.Set(ctx, r.sessionKey(chatID), b, r.ttl).Err()
	r.seen(ctx, err)
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

func (r *RedisSessions) updateKey(id int) string {
	return r.prefix + "update:" + strconv.Itoa(id)
}

// Begin implements Sessions: whether the update is marked handled and
// the chat's session, asked in one round trip. When Redis cannot be
// reached the update counts as not handled, with an Unreachable session.
func (r *RedisSessions) Begin(ctx context.Context, updateID int, chatID int64) (bool, Session, error) {
	if err := r.up(); err != nil {
		return false, Session{Unreachable: true}, fmt.Errorf("begin update: %w", err)
	}
	var seen *redis.IntCmd
	var stored *redis.StringCmd
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		seen = p.Exists(ctx, r.updateKey(updateID))
		stored = p.Get(ctx, r.sessionKey(chatID))
		return nil
	})
	if errors.Is(err, redis.Nil) {
		err = nil // no session stored: Get's answer, looked at below
	}
	r.seen(ctx, err)
	if err != nil {
		return false, Session{Unreachable: true}, fmt.Errorf("begin update: %w", err)
	}
	if seen.Val() > 0 {
		return true, Session{}, nil
	}
	b, err := stored.Bytes()
	if err != nil { // redis.Nil: nothing stored
		return false, Session{New: true}, nil
	}
	return false, decodeSession(b), nil
}

// Finish implements Sessions: the handled mark (SET NX with a TTL) and,
// when session is not nil, the session (as JSON), in one round trip.
func (r *RedisSessions) Finish(ctx context.Context, updateID int, chatID int64, session []byte) error {
	if err := r.up(); err != nil {
		return fmt.Errorf("finish update: %w", err)
	}
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if session != nil {
			p.Set(ctx, r.sessionKey(chatID), session, r.ttl)
		}
		p.SetNX(ctx, r.updateKey(updateID), 1, updateTTL)
		return nil
	})
	r.seen(ctx, err)
	if err != nil {
		return fmt.Errorf("finish update: %w", err)
	}
	return nil
}
