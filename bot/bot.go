// Package bot is villagebot's Telegram side: the update loop, the router
// and middleware, sessions, messages in every language, and the flows of
// visitors, coordinators and office staff. It talks to the catalog and the
// orders through the small interfaces declared here.
package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/catalog"
	"villagebot/orders"
)

// Catalog is what the bot reads of villages and products.
type Catalog interface {
	Villages(ctx context.Context) ([]catalog.Village, error)
	Village(ctx context.Context, id int64) (catalog.Village, error)
	VillageByCode(ctx context.Context, code string) (catalog.Village, error)
	Product(ctx context.Context, id int64) (catalog.Product, error)
	ProductBySKU(ctx context.Context, sku string) (catalog.Product, error)
	ProductsByVillage(ctx context.Context, villageID int64, visibleOnly bool) ([]catalog.Product, error)
	ProductsByCategory(ctx context.Context, c catalog.Category, visibleOnly bool) ([]catalog.Product, error)
	CategoryCounts(ctx context.Context) (map[catalog.Category]int, error)
	Products(ctx context.Context) ([]catalog.Product, error)
	Search(ctx context.Context, query string, limit int) (catalog.Results, error)

	SetStock(ctx context.Context, sku string, n int, actor string) (catalog.Product, error)
	AdjustStock(ctx context.Context, sku string, delta int, actor string) (catalog.Product, error)
	SetPrice(ctx context.Context, sku string, price catalog.Money, actor string) (catalog.Product, error)
	SetVisible(ctx context.Context, sku string, visible bool, actor string) (catalog.Product, error)
	SetPhoto(ctx context.Context, sku, fileID string) (catalog.Product, error)
	CreateProduct(ctx context.Context, p catalog.Product, actor string) (catalog.Product, error)
	Import(ctx context.Context, b *catalog.Batch, opt catalog.ImportOptions) (catalog.ImportResult, error)

	StaffMember(ctx context.Context, telegramID int64) (catalog.Staff, error)
	StaffList(ctx context.Context) ([]catalog.Staff, error)
	Grant(ctx context.Context, telegramID int64, role catalog.Role, villageCode, actor string) (catalog.Staff, error)
	Revoke(ctx context.Context, telegramID int64, actor string) error
}

// Orders is what the bot does with orders.
type Orders interface {
	Place(ctx context.Context, req orders.PlaceRequest) (orders.Order, bool, error)
	Get(ctx context.Context, number int64) (orders.Order, error)
	ByToken(ctx context.Context, token string) (orders.Order, error)
	ForCustomer(ctx context.Context, customerID int64, limit int) ([]orders.Order, error)
	Open(ctx context.Context, villageID int64, limit int) ([]orders.Order, int, error)
	SetStatus(ctx context.Context, number int64, to orders.Status, actor string) (orders.Order, error)
	MarkReady(ctx context.Context, number, villageID int64, actor string) (orders.Order, bool, error)
	WriteExport(ctx context.Context, f orders.ExportFilter, loc *time.Location, format string, w io.Writer) (int, error)
	Stats(ctx context.Context, from, to *time.Time, loc *time.Location) (orders.Stats, error)
	CancelByCustomer(ctx context.Context, number, customerID int64) (orders.Order, error)
	ExpireStale(ctx context.Context, hold time.Duration) (int, error)
	ClaimNotifications(ctx context.Context, limit int) ([]orders.Notification, error)
	MarkSent(ctx context.Context, id int64) error
	MarkFailed(ctx context.Context, id int64, cause error, permanent bool) error
	CustomerNames(ctx context.Context, ids []int64) (map[int64]orders.CustomerName, error)
}

// Options configure a Bot.
type Options struct {
	Telegram *Telegram
	Catalog  Catalog
	Orders   Orders
	Sessions Sessions
	Messages *Messages
	Log      *slog.Logger

	Workers     int           // parallel chats; default 16
	MaxPending  int           // updates waiting at once; default 1024
	PollTimeout time.Duration // long-poll timeout; default 30s
	// HandlerTimeout bounds one update's handling; default 30s.
	HandlerTimeout time.Duration
	// Hold is how long a sale order may stay placed before it is
	// cancelled; default 48h, negative: never.
	Hold time.Duration
	// Location is the office's time zone, for dates shown; default
	// Asia/Shanghai.
	Location *time.Location
	// NotifyEvery is how often the outbox is checked; default 2s.
	NotifyEvery time.Duration
	// Metrics, when set, are recorded.
	Metrics *Metrics
	// Locker, when set, keeps one chat's updates to one process at a time
	// when several run (webhook replicas).
	Locker ChatLocker
	// Queue, when set (with Locker), holds the updates the webhook took in
	// until a process holding the chat's lock handles them, lowest
	// update_id first; see webhook.go. Its Take must take the lock
	// Locker takes, as a RedisChatQueue made from the RedisChatLocker
	// does.
	Queue ChatQueue
	// Journal, when set, keeps the updates Poll fetched until they are
	// handled, so that Poll confirms them to Telegram at once; see
	// journal.go.
	Journal UpdateJournal
}

// ChatLocker gives a process the exclusive right to handle a chat's
// updates for a while. Lock waits until it has it or ctx ends; unlock
// gives it back.
type ChatLocker interface {
	Lock(ctx context.Context, chatID int64) (unlock func(), err error)
}

// Bot is villagebot in Telegram.
type Bot struct {
	tg       *Telegram
	catalog  Catalog
	orders   Orders
	sessions Sessions
	msg      *Messages
	log      *slog.Logger
	metrics  *Metrics
	locker   ChatLocker
	queue    ChatQueue
	journal  UpdateJournal
	hook     *webhook // the webhook's intake; idle when polling

	router         *Router
	handler        func(context.Context, *Request)
	dispatch       *dispatcher
	pollTimeout    time.Duration
	handlerTimeout time.Duration
	hold           time.Duration
	loc            *time.Location
	nudge          chan struct{}
	notifyEvery    time.Duration
	expireEvery    time.Duration
	// menuOwed holds the Telegram ids whose command menu could not be
	// set (they had not opened the bot): it is set at their next update.
	menuOwed sync.Map
}

// New builds a Bot from its parts.
func New(o Options) (*Bot, error) {
	if o.Telegram == nil || o.Catalog == nil || o.Orders == nil || o.Sessions == nil || o.Messages == nil {
		return nil, errors.New("bot: Telegram, Catalog, Orders, Sessions and Messages are required")
	}
	if o.Location == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			return nil, fmt.Errorf("bot: %w", err)
		}
		o.Location = loc
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	o.Messages.log = o.Log
	if o.Queue != nil && o.Locker == nil {
		return nil, errors.New("bot: a Queue needs a Locker")
	}
	b := &Bot{
		tg:             o.Telegram,
		catalog:        o.Catalog,
		orders:         o.Orders,
		sessions:       o.Sessions,
		msg:            o.Messages,
		log:            o.Log,
		metrics:        o.Metrics,
		locker:         o.Locker,
		queue:          o.Queue,
		journal:        o.Journal,
		pollTimeout:    cmp(o.PollTimeout, 30*time.Second),
		handlerTimeout: cmp(o.HandlerTimeout, 30*time.Second),
		hold:           cmp(o.Hold, 48*time.Hour),
		loc:            o.Location,
		nudge:          make(chan struct{}, 1),
		notifyEvery:    cmp(o.NotifyEvery, 2*time.Second),
		expireEvery:    time.Minute,
	}
	b.router = b.routes()
	b.handler = chain(b.router.Route, b.logUpdates, b.answerCallbacks, b.explainErrors, b.recoverPanics, b.menuOnFirstUpdate)
	b.dispatch = newDispatcher(cmp(o.Workers, defaultWorkers), cmp(o.MaxPending, 1024), b.HandleUpdate)
	b.dispatch.metrics = o.Metrics
	o.Telegram.Metrics = o.Metrics
	b.hook = newWebhook(b, cmp(o.Workers, defaultWorkers))
	return b, nil
}

// defaultWorkers is Options.Workers when it is 0.
const defaultWorkers = 16

func cmp[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// HandleUpdate handles one update completely: it skips an update handled
// before, loads the chat's session, routes the update, saves the session
// and marks the update handled, all under the chat's lock when there is a
// Locker. Errors are answered to the user and logged here; nothing
// escapes.
func (b *Bot) HandleUpdate(ctx context.Context, u tgbotapi.Update) {
	b.handleUpdate(ctx, u, b.locker != nil)
}

// handleUpdate is HandleUpdate, taking the chat's lock itself when lock is
// true; false means the caller holds it (or there is none).
func (b *Bot) handleUpdate(ctx context.Context, u tgbotapi.Update, lock bool) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, b.handlerTimeout)
	defer cancel()
	kind := updateKind(u)
	r := newRequest(u)
	if r.ChatID == 0 {
		b.metrics.update(kind, "ignored")
		return // nothing the bot handles
	}
	if lock {
		unlock, err := b.locker.Lock(ctx, r.ChatID)
		if err != nil {
			b.log.Warn("chat lock unavailable", "update_id", u.UpdateID, "chat_id", r.ChatID, "err", err)
		} else {
			defer unlock()
		}
	}
	seen, sess, err := b.sessions.Begin(ctx, u.UpdateID, r.ChatID)
	if err != nil {
		// Without Redis the bot still answers, without dedupe; flows
		// restart.
		b.log.Warn("session unavailable", "update_id", u.UpdateID, "chat_id", r.ChatID, "err", err)
	} else if seen {
		b.log.Debug("update skipped: handled before", "update_id", u.UpdateID)
		b.metrics.update(kind, "duplicate")
		return
	}
	if tl := r.telegramLang(); tl != "" {
		sess.TgLang = tl
	}
	before := sess.encode()
	r.Session = &sess
	r.Lang = b.msg.Pick(sess.Lang, r.telegramLang())

	b.handler(ctx, r)

	// Saved only when changed, and never one that could not be loaded
	// (Begin said so): the one stored, when Redis comes back, is worth
	// more than what this update made of an empty one.
	var changed []byte
	if after := r.Session.encode(); !r.Session.Unreachable && (r.Session.outdated || !bytes.Equal(after, before)) {
		changed = after
	}
	// Finish even when the handler ran out of time or is being cancelled
	// at shutdown: what it did is done, and without the handled mark the
	// update would be handled again when delivered again.
	finishCtx, cancelFinish := context.WithTimeout(context.WithoutCancel(ctx), finishWait)
	defer cancelFinish()
	if err := b.sessions.Finish(finishCtx, u.UpdateID, r.ChatID, changed); err != nil {
		b.log.Warn("update not marked handled or session not saved", "update_id", u.UpdateID, "chat_id", r.ChatID, "err", err)
	}
	outcome := "ok"
	if r.failed {
		outcome = "error"
	}
	b.metrics.update(kind, outcome)
	b.metrics.handled(time.Since(start).Seconds())
}

// finishWait bounds recording an update handled, past the handler's own
// context.
const finishWait = 2 * time.Second

func updateKind(u tgbotapi.Update) string {
	switch {
	case u.Message != nil:
		return "message"
	case u.CallbackQuery != nil:
		return "callback"
	}
	return "other"
}

// Username is the bot's Telegram username.
func (b *Bot) Username() string { return b.tg.Username() }

// Run serves updates by long polling, with the background jobs alongside,
// until ctx ends; then it drains as Poll does.
func (b *Bot) Run(ctx context.Context, drain time.Duration) error {
	return b.serve(ctx, func() error { return b.Poll(ctx, drain) })
}

// serve runs receive with the background jobs alongside — the notifier,
// the expiry of unconfirmed orders and, with a Queue, the sweeper of
// chats left waiting — and stops them and the dispatchers once receive
// has returned.
func (b *Bot) serve(ctx context.Context, receive func() error) error {
	bg, stop := context.WithCancel(ctx)
	var jobs sync.WaitGroup
	jobs.Go(func() { b.runNotifier(bg) })
	jobs.Go(func() { b.runExpiry(bg) })
	if b.queue != nil {
		jobs.Go(func() { b.runSweeper(bg) })
	}
	err := receive()
	b.dispatch.stop()
	b.hook.stop()
	stop()
	jobs.Wait()
	return err
}
