package bot

import (
	"context"
	"errors"
	"slices"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/catalog"
	"villagebot/orders"
)

// Back-in-stock alerts. A sold-out card offers 🔔; the press subscribes
// the chat, in the language it reads, for catalog.SubscriptionTTL. When
// the product can be ordered again — whoever brought it back: /stock, the
// command line, an import, a cancelled order — the database writes a
// restock notification into the outbox in that same transaction and ends
// the subscription (migration 00014). The notifier sends it like every
// other notification, under the outbox's leases, so each subscriber is
// told once, also across restarts; sendRestock is the one way out.

// subscriptionDays is catalog.SubscriptionTTL in days, as visitors read it.
const subscriptionDays = int(catalog.SubscriptionTTL / (24 * time.Hour))

// withRestockButton adds to a sold-out product's card, in a private chat,
// the button that asks for an alert, or stops the one asked for. It goes
// just above the card's last row (Back and Menu).
func (b *Bot) withRestockButton(ctx context.Context, r *Request, p catalog.Product, sc screen) screen {
	if p.Stock > 0 || !p.Visible || r.Group {
		return sc
	}
	on, err := b.catalog.Subscribed(ctx, r.ChatID, p.ID)
	if err != nil {
		// The card without the button rather than no card.
		b.log.Warn("subscription not read", "chat_id", r.ChatID, "product_id", p.ID, "err", err)
		return sc
	}
	row := []tgbotapi.InlineKeyboardButton{button(b.msg.T(r.Lang, "btn_restock_on"), cb(cbRestockOn, p.ID))}
	if on {
		row = []tgbotapi.InlineKeyboardButton{button(b.msg.T(r.Lang, "btn_restock_stop"), cb(cbRestockStop, p.ID))}
	}
	sc.buttons = slices.Insert(slices.Clone(sc.buttons), max(len(sc.buttons)-1, 0), row)
	return sc
}

// restockOn is 🔔 on a sold-out card ("bn:<product id>"): the chat is
// told when the product is back, in its language; the card shows 🔕.
func (b *Bot) restockOn(ctx context.Context, r *Request) error {
	id, ok := r.Data.ID(0, maxID)
	if !ok || len(r.Data.Args) != 1 {
		return errStale
	}
	_, err := b.catalog.Subscribe(ctx, r.ChatID, id, r.Lang)
	switch {
	case errors.Is(err, catalog.ErrInStock):
		r.Toast(b.msg.T(r.Lang, "restock_in_stock"))
	case errors.Is(err, catalog.ErrInvalid):
		return &usageError{b.msg.T(r.Lang, "restock_too_many", "Max", catalog.MaxSubscriptions)}
	case err != nil:
		return err
	default:
		r.Toast(b.msg.T(r.Lang, "restock_on", "Days", subscriptionDays))
	}
	return b.showRestocked(ctx, r, id)
}

// restockStop is 🔕 ("bs:<product id>"): no alert for the product. One
// already ended (sent, expired) is stopped all the same.
func (b *Bot) restockStop(ctx context.Context, r *Request) error {
	id, ok := r.Data.ID(0, maxID)
	if !ok || len(r.Data.Args) != 1 {
		return errStale
	}
	if err := b.catalog.Unsubscribe(ctx, r.ChatID, id); err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return err
	}
	r.Toast(b.msg.T(r.Lang, "restock_off"))
	return b.showRestocked(ctx, r, id)
}

// showRestocked shows the card of product id again after a press of its
// alert button.
func (b *Bot) showRestocked(ctx context.Context, r *Request, id int64) error {
	p, err := b.catalog.Product(ctx, id)
	if err != nil {
		return err
	}
	if !p.Visible {
		return catalog.ErrNotFound
	}
	return b.showProduct(ctx, r, p, 1)
}

// errNotTrueAnymore is a notification that has nothing left to tell: it
// is dropped, not retried.
var errNotTrueAnymore = errors.New("the notification is no longer true")

// restockScreen is the alert that a product is back, in the language the
// subscriber read when they asked, with the card's button. A product gone
// or hidden since has nothing to tell; one sold out again before the
// alert went has its subscriber wait for the next time.
func (b *Bot) restockScreen(ctx context.Context, chatID int64, n orders.RestockNotice) (screen, error) {
	lang := b.msg.Pick(n.Language, "")
	p, err := b.catalog.Product(ctx, n.ProductID)
	if errors.Is(err, catalog.ErrNotFound) {
		return screen{}, errNotTrueAnymore
	}
	if err != nil {
		return screen{}, err
	}
	if !p.Visible {
		return screen{}, errNotTrueAnymore
	}
	if p.Stock == 0 {
		if _, err := b.catalog.Subscribe(ctx, chatID, p.ID, lang); err != nil {
			b.log.Warn("subscription not renewed", "chat_id", chatID, "product_id", p.ID, "err", err)
		}
		return screen{}, errNotTrueAnymore
	}
	v, err := b.catalog.Village(ctx, p.VillageID)
	if err != nil {
		return screen{}, err
	}
	text := b.msg.T(lang, "restock_alert", "Name", esc(p.Name.Get(lang)), "Village", esc(v.Name.Get(lang)), "Price", money(lang, p.Price))
	return screen{text: text, buttons: [][]tgbotapi.InlineKeyboardButton{
		{button(b.msg.T(lang, "btn_restock_open"), cbProductData(p.ID, 1))},
	}}, nil
}

// sendRestock sends a back-in-stock alert: bulk, which may wait behind
// replies and staff's notices.
func (b *Bot) sendRestock(ctx context.Context, chatID int64, sc screen) error {
	_, err := b.sendText(ctx, chatID, sc.text, sc.markup())
	return err
}
