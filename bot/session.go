package bot

import (
	"context"
	"encoding/json"
	"errors"

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
	// Search keeps the last queries, for their results' pager (search.go).
	Search *searchState `json:"search,omitempty"`
	// Screen is the id of the bot's message that navigation edits in place.
	Screen int `json:"screen,omitempty"`
	// ScreenPhoto is the photo that message shows, when it is one; a
	// new screen with the same photo edits the caption instead.
	ScreenPhoto string `json:"screen_photo,omitempty"`

	// New is set, never stored, when no usable session was stored for the
	// chat: a new chat, one quiet for longer than the store keeps sessions, or one whose
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
