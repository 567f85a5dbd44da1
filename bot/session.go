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
// language chosen, the flow and step the user is in with that flow's
// answers so far (a typed state per flow), and the cart. It is kept as
// JSON in Redis (encode, decodeSession) and expires when the chat goes
// quiet.
type Session struct {
	// Version is the shape the session was stored in; see sessionVersion.
	Version int    `json:"v"`
	Lang    string `json:"lang,omitempty"` // chosen with /language; empty: from Telegram
	TgLang  string `json:"tl,omitempty"`   // the language Telegram last reported
	Flow    Flow   `json:"flow,omitempty"` // empty: none
	Step    Step   `json:"step,omitempty"`

	// The answers of the current flow: only the one of Flow is set.
	Checkout   *checkoutState   `json:"checkout,omitempty"`
	GiftOrder  *giftState       `json:"gift_order,omitempty"`
	NewProduct *newProductState `json:"new_product,omitempty"`
	Photo      *photoState      `json:"photo,omitempty"`
	Desk       *DeskState       `json:"desk,omitempty"` // a cancellation whose reason staff type (orderdesk.go)

	Cart Lines `json:"cart,omitempty"`
	// Screen is the id of the bot's message that navigation edits in place.
	Screen int `json:"screen,omitempty"`
	// ScreenPhoto is the photo that message shows, when it is one; a
	// new screen with the same photo edits the caption instead.
	ScreenPhoto string `json:"screen_photo,omitempty"`

	// New is set, never stored, when no usable session was stored for the
	// chat: a new chat, one quiet for longer than SessionTTL, or one whose
	// session was flushed, unreadable or stored in an older shape. A flow
	// the user was in is gone, and the next step of it is told so.
	New bool `json:"-"`
	// Unreachable is set, never stored, when the session store could not
	// be reached: the update is handled with an empty session, and nothing
	// of it is kept (Save refuses it rather than overwrite the stored one).
	Unreachable bool `json:"-"`
	// outdated is set when the stored session had an older shape: it is
	// saved in the current one even if the update changes nothing.
	outdated bool
}

// sessionVersion is the shape of a stored session. Version 1 (stored
// without "v") kept a flow's answers as a map of strings; a session of
// another version is read as New, keeping only its language and cart,
// whose shape never changed.
const sessionVersion = 2

// Flow names a conversation that spans several updates. (An alias: tests
// and tools read the stored JSON as plain strings.)
type Flow = string

// The flows; each has its own state type in its file.
const (
	flowSearch     Flow = "search"     // the next text is a query
	flowCheckout   Flow = "checkout"   // checkoutState, checkout.go
	flowGift       Flow = "gift"       // giftState, gift.go
	flowNewProduct Flow = "newproduct" // newProductState, newproduct.go
	flowPhoto      Flow = "photo"      // photoState, stock.go
	flowImport     Flow = "import"     // the next document is a catalog file
	flowDesk       Flow = "desk"       // DeskState, orderdesk_cancel.go: staff type why an order is cancelled
)

// Step names where a flow stands; router.go routes each flow's steps.
type Step = string

// The steps of every flow.
const (
	stepQuery     Step = "query"
	stepName      Step = "name"
	stepPhone     Step = "phone"
	stepDelivery  Step = "delivery"
	stepAddress   Step = "address"
	stepConfirm   Step = "confirm"
	stepProducts  Step = "products"
	stepQty       Step = "qty"
	stepOccasion  Step = "occasion"
	stepRecipient Step = "recipient"
	stepCountry   Step = "country"
	stepDate      Step = "date"
	stepNotes     Step = "notes"
	stepVillage   Step = "village"
	stepSKU       Step = "sku"
	stepCategory  Step = "category"
	stepUnit      Step = "unit"
	stepPrice     Step = "price"
	stepStock     Step = "stock"
	stepGiftMark  Step = "gift"
	stepStory     Step = "story"
	stepWait      Step = "wait"
	stepReason    Step = "reason"
)

// at reports whether the session stands at step of flow.
func (s *Session) at(flow Flow, step Step) bool { return s.Flow == flow && s.Step == step }

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
func (s *Session) Enter(flow Flow, step Step) {
	s.Leave()
	s.Flow, s.Step = flow, step
}

// Leave ends the current flow and forgets its answers.
func (s *Session) Leave() {
	s.Flow, s.Step = "", ""
	s.Checkout, s.GiftOrder, s.NewProduct, s.Photo, s.Desk = nil, nil, nil, nil, nil
}

// encode is the session as stored: JSON in the current shape.
func (s *Session) encode() []byte {
	c := *s
	c.Version = sessionVersion
	b, err := json.Marshal(c)
	if err != nil { // strings, numbers and slices of them always marshal
		panic("session: " + err.Error())
	}
	return b
}

// decodeSession reads a stored session. It never fails: one that cannot be
// read is an empty one marked New, and one stored in an older shape keeps
// its language and cart and is marked New, so that a step of the flow it
// was in is told the bot lost track and the flow starts again.
func decodeSession(raw []byte) Session {
	var s Session
	if err := json.Unmarshal(raw, &s); err != nil {
		return Session{New: true}
	}
	if s.Version != sessionVersion {
		return Session{Version: sessionVersion, Lang: s.Lang, TgLang: s.TgLang, Cart: s.Cart, New: true, outdated: true}
	}
	return s
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
	err := r.rdb.Set(ctx, r.sessionKey(chatID), s.encode(), r.ttl).Err()
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
