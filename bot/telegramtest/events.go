package telegramtest

import (
	"slices"
	"sync"
	"sync/atomic"
)

// EventKind tells what happened in a chat.
type EventKind int

const (
	// MessageSent: the bot sent Message.
	MessageSent EventKind = iota + 1
	// MessageEdited: the bot edited a message; Message is the new state.
	MessageEdited
	// MessageDeleted: the bot deleted Message.
	MessageDeleted
	// UserMessage: a simulated user sent Message.
	UserMessage
	// CallbackAnswered: the bot answered a callback query with Answer.
	CallbackAnswered
	// ChatAction: the bot sent a chat action such as "typing".
	ChatAction
)

func (k EventKind) String() string {
	switch k {
	case MessageSent:
		return "sent"
	case MessageEdited:
		return "edited"
	case MessageDeleted:
		return "deleted"
	case UserMessage:
		return "user"
	case CallbackAnswered:
		return "answered"
	case ChatAction:
		return "action"
	}
	return "unknown"
}

// Event is a change in a chat, as a user's Telegram app would show it.
type Event struct {
	Kind    EventKind
	ChatID  int64
	Message Message        // MessageSent, MessageEdited, MessageDeleted, UserMessage
	Answer  CallbackAnswer // CallbackAnswered
	Action  string         // ChatAction
}

// Watch calls fn for every event, in the order the changes happened within
// each chat, on a goroutine of its own: fn may be slow or call the server
// without holding anything up. stop ends the watch; events not yet passed to
// fn are dropped.
func (s *Server) Watch(fn func(Event)) (stop func()) {
	w := &watcher{fn: fn, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.events.add(w)
	go w.run(s.done)
	var once sync.Once
	return func() {
		once.Do(func() {
			s.events.remove(w)
			close(w.done)
		})
	}
}

// hub fans events out to watchers without ever blocking the publisher. The
// list of watchers is copied on write, so publishing takes no shared lock.
type hub struct {
	mu       sync.Mutex // serialises add and remove
	watchers atomic.Pointer[[]*watcher]
}

type watcher struct {
	fn   func(Event)
	mu   sync.Mutex
	q    []Event
	wake chan struct{}
	done chan struct{}
}

func (h *hub) add(w *watcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var list []*watcher
	if p := h.watchers.Load(); p != nil {
		list = slices.Clone(*p)
	}
	list = append(list, w)
	h.watchers.Store(&list)
}

func (h *hub) remove(w *watcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.watchers.Load()
	if p == nil {
		return
	}
	list := slices.DeleteFunc(slices.Clone(*p), func(x *watcher) bool { return x == w })
	h.watchers.Store(&list)
}

// publish queues ev for every watcher. It is called with the chat's lock
// held, which is what keeps each chat's events in order.
func (h *hub) publish(ev Event) {
	p := h.watchers.Load()
	if p == nil {
		return
	}
	for _, w := range *p {
		w.mu.Lock()
		w.q = append(w.q, ev)
		w.mu.Unlock()
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

func (w *watcher) run(serverDone <-chan struct{}) {
	for {
		select {
		case <-w.wake:
		case <-w.done:
			return
		case <-serverDone:
			return
		}
		w.mu.Lock()
		batch := w.q
		w.q = nil
		w.mu.Unlock()
		for _, ev := range batch {
			select {
			case <-w.done:
				return
			default:
			}
			w.fn(ev)
		}
	}
}
