package telegramtest

import (
	"slices"
	"strconv"
	"sync"
	"time"
)

// CallbackAnswer is the bot's answer to a callback query: a toast, an
// alert, or nothing visible (empty Text).
type CallbackAnswer struct {
	QueryID   string
	Text      string
	ShowAlert bool
	URL       string
}

// CallbackQuery is a button press the bot has not answered.
type CallbackQuery struct {
	ID        string
	UserID    int64
	MessageID int
	Data      string
	Sent      time.Time
}

// callbackStore keeps unanswered queries. An answered or unknown query gets
// the same reply from Telegram, so answered ones are forgotten.
type callbackStore struct {
	mu      sync.Mutex
	pending map[string]*callbackQuery
}

type callbackQuery struct {
	CallbackQuery
	chat *chat
}

func (cs *callbackStore) add(q *callbackQuery) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.pending == nil {
		cs.pending = map[string]*callbackQuery{}
	}
	cs.pending[q.ID] = q
}

func (s *Server) answerCallbackQuery(r *request) (any, *apiError) {
	id := r.params["callback_query_id"]
	cs := &s.callbacks
	cs.mu.Lock()
	q := cs.pending[id]
	delete(cs.pending, id)
	cs.mu.Unlock()
	if q == nil || s.now().Sub(q.Sent) > s.cfg.callbackTimeout {
		return nil, errQueryTooOld
	}
	showAlert, _ := strconv.ParseBool(r.params["show_alert"])
	a := CallbackAnswer{QueryID: id, Text: r.params["text"], ShowAlert: showAlert, URL: r.params["url"]}
	c := q.chat
	c.mu.Lock()
	c.answers = append(c.answers, a)
	c.touch()
	s.events.publish(Event{Kind: CallbackAnswered, ChatID: c.id, Answer: a})
	c.mu.Unlock()
	return true, nil
}

// UnansweredCallbacks lists the callback queries the bot has not answered,
// oldest first. Telegram shows a spinner on the button until it does.
func (s *Server) UnansweredCallbacks() []CallbackQuery {
	cs := &s.callbacks
	cs.mu.Lock()
	defer cs.mu.Unlock()
	out := make([]CallbackQuery, 0, len(cs.pending))
	for _, q := range cs.pending {
		out = append(out, q.CallbackQuery)
	}
	slices.SortFunc(out, func(a, b CallbackQuery) int { return a.Sent.Compare(b.Sent) })
	return out
}
