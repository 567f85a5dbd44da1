// Package bot is villagebot's Telegram side: the update loop, the router
// and middleware, sessions, messages in every language, and the flows of
// visitors, coordinators and office staff. It talks to the catalog and the
// orders through the small interfaces declared here.
package bot

import (
	"bytes"
	"cmp"
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
	ProductsByIDs(ctx context.Context, ids []int64) (map[int64]catalog.Product, error)
	ProductBySKU(ctx context.Context, sku string) (catalog.Product, error)
	ProductsByVillage(ctx context.Context, villageID int64, visibleOnly bool) ([]catalog.Product, error)
	ProductsByCategory(ctx context.Context, c catalog.Category, visibleOnly bool) ([]catalog.Product, error)
	CategoryCounts(ctx context.Context) (map[catalog.Category]int, error)
	Products(ctx context.Context) ([]catalog.Product, error)
	Search(ctx context.Context, query string, limit int) (catalog.Results, error)
	SearchPage(ctx context.Context, query string, offset, limit int) (catalog.Results, error)

	// Back-in-stock alerts (restock.go).
	Subscribe(ctx context.Context, chatID, productID int64, lang string) (catalog.Subscription, error)
	Unsubscribe(ctx context.Context, chatID, productID int64) error
	Subscribed(ctx context.Context, chatID, productID int64) (bool, error)
	PurgeExpiredSubscriptions(ctx context.Context) (int, error)

	SetStock(ctx context.Context, sku string, n int, actor string) (catalog.Product, error)
	AdjustStock(ctx context.Context, sku string, delta int, actor string) (catalog.Product, error)
	SetPrice(ctx context.Context, sku string, price catalog.Money, actor string) (catalog.Product, error)
	SetPriceFrom(ctx context.Context, sku string, from, price catalog.Money, actor string) (catalog.Product, error)
	SetVisible(ctx context.Context, sku string, visible bool, actor string) (catalog.Product, error)
	SetPhoto(ctx context.Context, sku, fileID string) (catalog.Product, error)
	CreateProduct(ctx context.Context, p catalog.Product, actor string) (catalog.Product, error)
	Import(ctx context.Context, b *catalog.Batch, opt catalog.ImportOptions) (catalog.ImportResult, error)

	StaffMember(ctx context.Context, telegramID int64) (catalog.Staff, error)
	StaffList(ctx context.Context) ([]catalog.Staff, error)
	Grant(ctx context.Context, telegramID int64, role catalog.Role, villageCode, actor string) (catalog.Staff, error)
	Revoke(ctx context.Context, telegramID int64, actor string) error
	Alerts(ctx context.Context, telegramID int64) (bool, error)
	SetAlerts(ctx context.Context, telegramID int64, on bool) error
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
	RemindDue(ctx context.Context, hold, remind time.Duration) (int, error)
	CancelByStaff(ctx context.Context, number int64, reason orders.CancelReason, text, actor string) (orders.Order, error)
	ClaimNotifications(ctx context.Context, limit int) ([]orders.Notification, error)
	MarkSent(ctx context.Context, id int64) error
	MarkFailed(ctx context.Context, id int64, cause error, permanent bool) error
	Payments // see payment.go
	CustomerNames(ctx context.Context, ids []int64) (map[int64]orders.CustomerName, error)
}

// Options configure a Bot.
type Options struct {
	Telegram Telegram
	Catalog  Catalog
	Orders   Orders
	Sessions Sessions
	Messages *Messages
	Log      *slog.Logger

	// HandlerTimeout bounds one update's handling; default 30s.
	HandlerTimeout time.Duration
	// Hold is how long a sale order may stay placed before it is
	// cancelled; default 48h, negative: never.
	Hold time.Duration
	// Remind is how long before the hold ends staff are reminded of a
	// sale still placed; default 12h, negative: never.
	Remind time.Duration
	// ExpireEvery is how often reminders and expiry run; default 1m.
	ExpireEvery time.Duration
	// Location is the office's time zone, for dates shown; default
	// Asia/Shanghai.
	Location *time.Location
	// NotifyEvery is how often the outbox is checked; default 2s.
	NotifyEvery time.Duration
	// Metrics, when set, are recorded.
	Metrics *Metrics
	// Console, when set, lets /console give staff a sign-in link to the
	// web console; see console.go.
	Console *Console
	// Payment turns on Telegram Payments; see payment.go.
	Payment PaymentOptions
}

// Bot is villagebot in Telegram. It handles one update at a time per
// chat as a delivery source hands them over (HandleUpdate), and runs the
// background jobs (Serve).
type Bot struct {
	tg       Telegram
	catalog  Catalog
	orders   Orders
	sessions sessionStore
	msg      *Messages
	log      *slog.Logger
	metrics  *Metrics
	console  *Console
	payment  PaymentOptions

	router         *Router
	handler        func(context.Context, *Request)
	handlerTimeout time.Duration
	hold           time.Duration
	remind         time.Duration
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
	b := &Bot{
		tg:             o.Telegram,
		catalog:        o.Catalog,
		orders:         o.Orders,
		sessions:       sessionStore{o.Sessions},
		msg:            o.Messages,
		log:            o.Log,
		metrics:        o.Metrics,
		handlerTimeout: cmp.Or(o.HandlerTimeout, 30*time.Second),
		hold:           cmp.Or(o.Hold, 48*time.Hour),
		remind:         cmp.Or(o.Remind, 12*time.Hour),
		console:        o.Console,
		payment:        o.Payment,
		loc:            o.Location,
		nudge:          make(chan struct{}, 1),
		notifyEvery:    cmp.Or(o.NotifyEvery, 2*time.Second),
		expireEvery:    cmp.Or(o.ExpireEvery, time.Minute),
	}
	b.router = b.routes()
	b.handler = chain(b.router.Route, b.logUpdates, b.answerCallbacks, b.explainErrors, b.recoverPanics, b.menuOnFirstUpdate)
	return b, nil
}

// HandleUpdate handles one update completely: it skips an update handled
// before, loads the chat's session, routes the update, saves the session
// and marks the update handled. Errors are answered to the user and
// logged here; nothing escapes. Delivery (internal/delivery) calls it, one
// update of a chat at a time, under the chat's lock when replicas share
// chats.
func (b *Bot) HandleUpdate(ctx context.Context, u tgbotapi.Update) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, b.handlerTimeout)
	defer cancel()
	kind := updateKind(u)
	if u.PreCheckoutQuery != nil {
		b.PreCheckout(ctx, u.PreCheckoutQuery) // it has no chat; see payment.go
		b.metrics.update("pre_checkout_query", "ok")
		return
	}
	r := newRequest(u)
	if r.ChatID == 0 {
		b.metrics.update(kind, "ignored")
		return // nothing the bot handles
	}
	seen, sess, err := b.sessions.Begin(ctx, u.UpdateID, r.sessionChat())
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
	if err := b.sessions.Finish(finishCtx, u.UpdateID, r.sessionChat(), changed); err != nil {
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

// Source is where updates come from (internal/delivery's Poller or
// Webhook): Run hands them to HandleUpdate until ctx ends, then drains.
type Source interface {
	Run(ctx context.Context) error
}

// Serve runs src with the background jobs alongside — the notifier and
// the expiry of unconfirmed orders — and stops them once src has
// returned.
func (b *Bot) Serve(ctx context.Context, src Source) error {
	bg, stop := context.WithCancel(ctx)
	var jobs sync.WaitGroup
	jobs.Go(func() { b.runNotifier(bg) })
	jobs.Go(func() { b.runExpiry(bg) })
	err := src.Run(ctx)
	stop()
	jobs.Wait()
	return err
}
