package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/orders"
)

// Notifications (new orders and reminders for staff, low stock, status
// changes for customers, back-in-stock alerts for visitors; their kinds
// are listed in orders/notice.go) are written to the outbox in the same
// transaction as their cause; the notifier sends them after commit
// through the same path as replies. A send Telegram refuses for good (403: the person never
// opened the bot or blocked it) is logged once and dropped; others are
// retried a few times by the outbox, never forever.

// nudgeNotifier wakes the notifier after an order was placed.
func (b *Bot) nudgeNotifier() {
	select {
	case b.nudge <- struct{}{}:
	default:
	}
}

// runNotifier sends pending notifications until ctx ends.
func (b *Bot) runNotifier(ctx context.Context) {
	tick := time.NewTicker(b.notifyEvery)
	defer tick.Stop()
	for {
		for b.sendNotifications(ctx) {
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-b.nudge:
		}
	}
}

// sendNotifications sends one batch and reports whether there may be more.
func (b *Bot) sendNotifications(ctx context.Context) bool {
	const batch = 50
	list, err := b.orders.ClaimNotifications(ctx, batch)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn("outbox unavailable", "err", err)
		}
		return false
	}
	// What was sent must be marked so even when shutdown cancels ctx, or
	// it would be sent again after a restart.
	mark := context.WithoutCancel(ctx)
	for _, n := range list {
		sc, err := b.renderNotification(ctx, n)
		if err == nil {
			err = b.deliver(ctx, n, sc)
		}
		if err == nil {
			if err := b.orders.MarkSent(mark, n.ID); err != nil {
				b.log.Warn("notification not marked sent", "id", n.ID, "err", err)
			}
			continue
		}
		if errors.Is(err, errNotTrueAnymore) {
			b.log.Info("notification dropped: no longer true", "id", n.ID, "chat_id", n.ChatID, "kind", n.Kind)
			if err := b.orders.MarkFailed(mark, n.ID, err, true); err != nil {
				b.log.Warn("notification failure not recorded", "id", n.ID, "err", err)
			}
			continue
		}
		code := apiErrorCode(err)
		permanent := code == 403 || code == 400
		b.log.Warn("notification not sent", "id", n.ID, "chat_id", n.ChatID, "kind", n.Kind, "permanent", permanent, "err", err)
		if err := b.orders.MarkFailed(mark, n.ID, err, permanent); err != nil {
			b.log.Warn("notification failure not recorded", "id", n.ID, "err", err)
		}
	}
	return len(list) == batch
}

// deliver sends a rendered notification: back-in-stock alerts as bulk
// (sendRestock), the others as they are.
func (b *Bot) deliver(ctx context.Context, n orders.Notification, sc screen) error {
	if n.Kind == orders.NoticeRestock {
		return b.sendRestock(ctx, n.ChatID, sc)
	}
	_, err := b.sendText(ctx, n.ChatID, sc.text, sc.markup())
	return err
}

// renderNotification writes a notification in its reader's language,
// with the buttons of the next step on staff's notices of an order.
func (b *Bot) renderNotification(ctx context.Context, n orders.Notification) (screen, error) {
	payload, err := n.Decode()
	if err != nil {
		return screen{}, err
	}
	switch p := payload.(type) {
	case orders.OrderNotice:
		o, err := b.orders.Get(ctx, p.Order)
		if err != nil {
			return screen{}, err
		}
		lang := b.readerLang(ctx, n.ChatID)
		if n.Kind == orders.NoticeCancelled {
			return screen{text: b.cancelledText(lang, o, p.VillageID)}, nil
		}
		headline := b.msg.T(lang, "desk_new_order", "Order", o.Ref(), "Kind", b.msg.T(lang, "kind_"+string(o.Kind)))
		if n.Kind == orders.NoticeReminder {
			headline = b.msg.T(lang, "desk_reminder", "Order", o.Ref(),
				"Deadline", o.CreatedAt.Add(b.hold).In(b.loc).Format("2006-01-02 15:04"))
		}
		s := screen{text: b.deskText(lang, headline, o, p.VillageID)}
		if row := b.deskButtons(lang, o, p.VillageID, onCard, ""); len(row) > 0 {
			s.buttons = [][]tgbotapi.InlineKeyboardButton{row}
		}
		return s, nil
	case orders.PaidNotice:
		o, err := b.orders.Get(ctx, p.Order)
		if err != nil {
			return screen{}, err
		}
		lang := b.readerLang(ctx, n.ChatID)
		key := "desk_paid_telegram"
		if p.Refund {
			key = "desk_paid_telegram_refund"
		}
		s := screen{text: b.deskText(lang, b.msg.T(lang, key, "Order", o.Ref(), "Amount", money(lang, p.Amount)), o, p.VillageID)}
		if row := b.deskButtons(lang, o, p.VillageID, onCard, ""); len(row) > 0 {
			s.buttons = [][]tgbotapi.InlineKeyboardButton{row}
		}
		return s, nil
	case orders.LowStockNotice:
		lang := b.readerLang(ctx, n.ChatID)
		name := p.SKU
		if pr, err := b.catalog.Product(ctx, p.ProductID); err == nil {
			name = pr.Name.Get(lang)
		}
		return screen{text: b.msg.N(lang, "notify_low_stock", p.Stock, "Name", esc(name), "SKU", esc(p.SKU))}, nil
	case orders.StatusNotice:
		o, err := b.orders.Get(ctx, p.Order)
		if err != nil {
			return screen{}, err
		}
		lang := b.msg.Pick(o.Language, "") // the customer's, as they ordered
		return screen{text: b.customerNotice(lang, n.Kind, o, p)}, nil
	case orders.RestockNotice:
		return b.restockScreen(ctx, n.ChatID, p)
	}
	return screen{}, fmt.Errorf("notification %d: no rendering for %T", n.ID, payload)
}

// cancelledText tells staff an order is off: the lines of the reader's
// village (all lines for office staff) are back in stock.
func (b *Bot) cancelledText(lang string, o orders.Order, villageID int64) string {
	key := "notify_order_cancelled"
	if villageID == 0 {
		key = "desk_cancelled_all"
	}
	var sb strings.Builder
	sb.WriteString(b.msg.T(lang, key, "Order", o.Ref()) + "\n")
	for _, l := range o.Lines {
		if villageID == 0 || l.VillageID == villageID {
			sb.WriteString(fmt.Sprintf("• %s (%s) × %d\n", esc(l.Name.Get(lang)), esc(l.SKU), l.Quantity))
		}
	}
	return fit(sb.String(), "", maxText)
}

// customerNotice tells a customer what became of their order: a status
// change (with the reason of a cancellation by staff), or its expiry with
// what to do now.
func (b *Bot) customerNotice(lang string, kind orders.NotificationKind, o orders.Order, p orders.StatusNotice) string {
	switch {
	case kind == orders.NoticeExpired:
		return b.msg.T(lang, "desk_expired", "Order", o.Ref())
	case p.Reason == orders.ReasonOther && p.ReasonText != "":
		return b.msg.T(lang, "desk_cancelled_because", "Order", o.Ref(), "Reason", esc(p.ReasonText))
	case p.Reason.Valid() && p.Reason != orders.ReasonOther:
		return b.msg.T(lang, "desk_cancelled_because", "Order", o.Ref(),
			"Reason", b.msg.T(lang, "desk_customer_"+string(p.Reason)))
	}
	return b.msg.T(lang, "notify_status", "Order", o.Ref(), "Status", b.msg.T(lang, "status_"+string(p.Status)))
}

// readerLang is the language of whoever reads chatID: their choice in the
// session when there is one, else the default.
func (b *Bot) readerLang(ctx context.Context, chatID int64) string {
	s, err := b.sessions.Load(ctx, chatID)
	if err != nil {
		return b.msg.Pick("", "")
	}
	return b.msg.Pick(s.Lang, s.TgLang)
}

// runExpiry reminds staff of sale orders still placed when the hold
// nears its end (Options.Remind before it), cancels those left placed
// past the hold, and deletes back-in-stock subscriptions past their time,
// once a minute (Options.ExpireEvery). Several bot processes may run it
// at once: the orders store reminds of each order once and cancels it
// once.
func (b *Bot) runExpiry(ctx context.Context) {
	tick := time.NewTicker(b.expireEvery)
	defer tick.Stop()
	for {
		if b.hold > 0 {
			b.expireOrders(ctx)
		}
		b.purgeSubscriptions(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// expireOrders is one round of reminders and expiry of sale orders.
func (b *Bot) expireOrders(ctx context.Context) {
	if b.remind > 0 && b.remind < b.hold {
		n, err := b.orders.RemindDue(ctx, b.hold, b.remind)
		switch {
		case err != nil && ctx.Err() == nil:
			b.log.Warn("reminding of orders failed", "err", err)
		case n > 0:
			b.log.Info("reminded staff of unconfirmed orders", "count", n)
			b.nudgeNotifier()
		}
	}
	n, err := b.orders.ExpireStale(ctx, b.hold)
	switch {
	case err != nil && ctx.Err() == nil:
		b.log.Warn("expiring orders failed", "err", err)
	case n > 0:
		b.log.Info("expired unconfirmed orders", "count", n)
		b.nudgeNotifier()
	}
}

// purgeSubscriptions deletes the back-in-stock subscriptions past their
// time. The database never alerts an expired one anyway; this keeps what
// is stored about visitors to what is still of use.
func (b *Bot) purgeSubscriptions(ctx context.Context) {
	n, err := b.catalog.PurgeExpiredSubscriptions(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		b.log.Warn("purging expired subscriptions failed", "err", err)
	case n > 0:
		b.log.Info("purged expired subscriptions", "count", n)
	}
}
