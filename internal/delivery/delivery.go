// Package delivery brings Telegram's updates to a Handler: by long
// polling (Poller, with its journal and offsets) or by webhook (Webhook,
// with the chats' locks and queues shared by replicas), both through the
// per-chat ordered dispatcher. It knows nothing of carts or orders.
package delivery

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Handler handles one update completely: dedupe, session, answer. It
// reports nothing; what goes wrong is its own to answer and log.
type Handler interface {
	HandleUpdate(ctx context.Context, u tgbotapi.Update)
}

// A Source delivers updates to its Handler. Run delivers until ctx ends
// or Close is called, then stops taking updates in and waits at most
// Options.Drain for those in hand; Close may be called at any time, more
// than once.
type Source interface {
	Run(ctx context.Context) error
	Close() error
}

// Options are what both sources share.
type Options struct {
	Handler Handler
	Log     *slog.Logger
	Metrics *Metrics

	// Workers is how many chats are handled at once; default 16.
	Workers int
	// MaxPending bounds the updates waiting at once; default 1024.
	MaxPending int
	// MaxPerChat bounds the updates of one private chat waiting at once,
	// MaxPerGroup those of one group; beyond them a chat's updates are
	// dropped (logged and counted), so that one chat flooding cannot
	// take the room of the others. Defaults 32 and 128.
	MaxPerChat  int
	MaxPerGroup int
	// Drain bounds the wait for the updates in hand when a source stops;
	// default 5s.
	Drain time.Duration
	// HandlerTimeout is how long a chat's lock may stay held elsewhere
	// before a drain leaves the chat to the sweeper; default 30s.
	HandlerTimeout time.Duration
}

func (o Options) withDefaults() Options {
	o.Log = cmp.Or(o.Log, slog.Default())
	o.Workers = cmp.Or(o.Workers, 16)
	o.MaxPending = cmp.Or(o.MaxPending, 1024)
	o.MaxPerChat = cmp.Or(o.MaxPerChat, 32)
	o.MaxPerGroup = cmp.Or(o.MaxPerGroup, 128)
	o.Drain = cmp.Or(o.Drain, 5*time.Second)
	o.HandlerTimeout = cmp.Or(o.HandlerTimeout, 30*time.Second)
	return o
}

// ChatLocker gives a process the exclusive right to handle a chat's
// updates for a while. Lock waits until it has it or ctx ends; unlock
// gives it back.
type ChatLocker interface {
	Lock(ctx context.Context, chatID int64) (unlock func(), err error)
}

// lockedHandler handles each update under its chat's lock; without the
// lock (Redis unreachable) it handles it all the same, and says so.
type lockedHandler struct {
	h     Handler
	locks ChatLocker
	log   *slog.Logger
}

func (l lockedHandler) HandleUpdate(ctx context.Context, u tgbotapi.Update) {
	if chat := chatKey(u); chat != 0 {
		unlock, err := l.locks.Lock(ctx, chat)
		if err != nil {
			l.log.Warn("chat lock unavailable", "update_id", u.UpdateID, "chat_id", chat, "err", err)
		} else {
			defer unlock()
		}
	}
	l.h.HandleUpdate(ctx, u)
}

// chatKey is the chat an update belongs to (the user for updates without
// a chat), so that one person's updates never race each other.
func chatKey(u tgbotapi.Update) int64 {
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		return u.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil && u.CallbackQuery.Message.Chat != nil:
		return u.CallbackQuery.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.From != nil:
		return u.CallbackQuery.From.ID
	case u.PreCheckoutQuery != nil && u.PreCheckoutQuery.From != nil:
		return u.PreCheckoutQuery.From.ID
	}
	return 0
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// closer is the Close of a source: Run's context ends with it.
type closer struct {
	once sync.Once
	ch   chan struct{}
}

func newCloser() *closer { return &closer{ch: make(chan struct{})} }

func (c *closer) close() { c.once.Do(func() { close(c.ch) }) }

// bind returns ctx, ended by Close too.
func (c *closer) bind(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-c.ch:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// errStopped is a dispatcher that takes nothing more.
var errStopped = errors.New("dispatcher stopped")

// waitWithin waits up to timeout for wg and reports whether it was done.
func waitWithin(wg *sync.WaitGroup, timeout time.Duration) bool {
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}
