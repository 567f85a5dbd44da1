package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"villagebot/orders"
)

// Notifications (new orders for coordinators, low stock, status changes
// for customers) are written to the outbox in the same transaction as
// their cause; the notifier sends them after commit through the same path
// as replies. A send Telegram refuses for good (403: the person never
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
		text, err := b.renderNotification(ctx, n)
		if err == nil {
			_, err = b.sendText(ctx, n.ChatID, text, nil)
		}
		if err == nil {
			if err := b.orders.MarkSent(mark, n.ID); err != nil {
				b.log.Warn("notification not marked sent", "id", n.ID, "err", err)
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

// renderNotification writes a notification in its reader's language.
func (b *Bot) renderNotification(ctx context.Context, n orders.Notification) (string, error) {
	var p struct {
		Order     int64         `json:"order"`
		VillageID int64         `json:"village_id"`
		Status    orders.Status `json:"status"`
		ProductID int64         `json:"product_id"`
		SKU       string        `json:"sku"`
		Stock     int           `json:"stock"`
	}
	if err := json.Unmarshal(n.Payload, &p); err != nil {
		return "", fmt.Errorf("notification %d: %w", n.ID, err)
	}
	switch n.Kind {
	case "new_order", "order_cancelled":
		o, err := b.orders.Get(ctx, p.Order)
		if err != nil {
			return "", err
		}
		lang := b.readerLang(ctx, n.ChatID)
		var sb strings.Builder
		sb.WriteString(b.msg.T(lang, "notify_"+n.Kind, "Order", o.Ref()) + "\n")
		for _, l := range o.Lines {
			if l.VillageID == p.VillageID {
				sb.WriteString(fmt.Sprintf("• %s (%s) × %d\n", esc(l.Name.Get(lang)), esc(l.SKU), l.Quantity))
			}
		}
		if n.Kind == "order_cancelled" {
			return fit(sb.String(), "", maxText), nil
		}
		if o.Contact != "" {
			sb.WriteString("👤 " + esc(o.Contact) + "\n")
		}
		if o.Delivery != "" {
			sb.WriteString("🚚 " + b.msg.T(lang, "delivery_"+string(o.Delivery)))
			if o.Address != "" {
				sb.WriteString(": " + esc(o.Address))
			}
		}
		return fit(sb.String(), "", maxText), nil
	case "low_stock":
		lang := b.readerLang(ctx, n.ChatID)
		name := p.SKU
		if pr, err := b.catalog.Product(ctx, p.ProductID); err == nil {
			name = pr.Name.Get(lang)
		}
		return b.msg.N(lang, "notify_low_stock", p.Stock, "Name", esc(name), "SKU", esc(p.SKU)), nil
	case "status":
		o, err := b.orders.Get(ctx, p.Order)
		if err != nil {
			return "", err
		}
		lang := b.msg.Pick(o.Language, "") // the customer's, as they ordered
		return b.msg.T(lang, "notify_status", "Order", o.Ref(), "Status", b.msg.T(lang, "status_"+string(p.Status))), nil
	case "expired":
		o, err := b.orders.Get(ctx, p.Order)
		if err != nil {
			return "", err
		}
		lang := b.msg.Pick(o.Language, "")
		return b.msg.T(lang, "notify_expired", "Order", o.Ref()), nil
	}
	return "", fmt.Errorf("notification %d: unknown kind %q", n.ID, n.Kind)
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

// runExpiry cancels sale orders left placed past the hold, once a minute.
// Several bot processes may run it at once: the orders store cancels each
// order once.
func (b *Bot) runExpiry(ctx context.Context) {
	if b.hold <= 0 {
		return
	}
	tick := time.NewTicker(b.expireEvery)
	defer tick.Stop()
	for {
		n, err := b.orders.ExpireStale(ctx, b.hold)
		switch {
		case err != nil && ctx.Err() == nil:
			b.log.Warn("expiring orders failed", "err", err)
		case n > 0:
			b.log.Info("expired unconfirmed orders", "count", n)
			b.nudgeNotifier()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
