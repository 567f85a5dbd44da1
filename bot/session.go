package bot

import (
	"context"
	"encoding/json"
	"errors"

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

	// New is set, never stored, when no usable session was stored for the
	// chat: a new chat, one quiet for longer than the store keeps sessions, or one whose
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

// Sessions keeps each chat's session, as the bytes encode makes, and
// remembers which updates were handled (internal/redisstore's Sessions).
// An update costs two calls: Begin before it is handled, Finish after.
type Sessions interface {
	// Begin reports whether the update was marked handled and, when it
	// was not, returns the chat's stored session (nil: none).
	Begin(ctx context.Context, updateID int, chatID int64) (handled bool, session []byte, err error)
	// Finish marks the update handled and, when session is not nil,
	// saves it as the chat's session.
	Finish(ctx context.Context, updateID int, chatID int64, session []byte) error
	Load(ctx context.Context, chatID int64) ([]byte, error)
	Save(ctx context.Context, chatID int64, session []byte) error
}

// sessionStore is Sessions in Session values: a chat with none stored, or
// one that cannot be read, has an empty one marked New; when the store
// cannot be reached, an empty one marked Unreachable, with the error.
type sessionStore struct{ s Sessions }

// Begin is Sessions.Begin with the session decoded.
func (st sessionStore) Begin(ctx context.Context, updateID int, chatID int64) (bool, Session, error) {
	handled, raw, err := st.s.Begin(ctx, updateID, chatID)
	if err != nil {
		return false, Session{Unreachable: true}, err
	}
	return handled, decodeSession(raw), nil
}

// Finish is Sessions.Finish.
func (st sessionStore) Finish(ctx context.Context, updateID int, chatID int64, session []byte) error {
	return st.s.Finish(ctx, updateID, chatID, session)
}

// Load returns the chat's session.
func (st sessionStore) Load(ctx context.Context, chatID int64) (Session, error) {
	raw, err := st.s.Load(ctx, chatID)
	if err != nil {
		return Session{Unreachable: true}, err
	}
	return decodeSession(raw), nil
}

// errNotLoaded refuses to save a session that was never loaded.
var errNotLoaded = errors.New("save session: it could not be loaded; the stored one is kept")

// Save stores the session. A session that could not be loaded
// (Unreachable) is not saved: the one stored, when Redis comes back, is
// worth more than what an update without it made.
func (st sessionStore) Save(ctx context.Context, chatID int64, s Session) error {
	if s.Unreachable {
		return errNotLoaded
	}
	return st.s.Save(ctx, chatID, s.encode())
}

// decodeSession reads a stored session; none (nil), or one that cannot be
// read, is an empty one marked New: a broken session restarts, it never
// blocks the user.
func decodeSession(raw []byte) Session {
	var s Session
	if raw == nil || json.Unmarshal(raw, &s) != nil {
		return Session{New: true}
	}
	return s
}

// encode is the session as stored.
func (s *Session) encode() []byte {
	b, _ := json.Marshal(s) // plain data: it cannot fail
	return b
}
