package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/catalog"
	"villagebot/orders"
)

// The /gift flow's callbacks.
const (
	cbGiftPick    = "gp" // gp:<product id>: ask how many
	cbGiftNext    = "gn" // gn: products chosen, on to the occasion
	cbGiftClear   = "gc" // gc: start the choice again
	cbGiftConfirm = "gy" // gy:<checkout token>
)

// gift is /gift: a guided gift order for a delegation — gift-eligible
// products and quantities, occasion, recipient, country, date needed,
// notes, summary, confirm. Stock is reserved as for a sale.
func (b *Bot) gift(ctx context.Context, r *Request, me catalog.Staff) error {
	if r.Args != "" {
		return b.usage(r, "gift")
	}
	r.Session.Enter("gift", "products")
	r.Session.Gift = nil
	return b.giftProducts(ctx, r)
}

// giftProducts shows the gift-eligible products and the choice so far.
func (b *Bot) giftProducts(ctx context.Context, r *Request) error {
	all, err := b.catalog.Products(ctx)
	if err != nil {
		return err
	}
	var sb strings.Builder
	sb.WriteString(b.msg.T(r.Lang, "gift_title") + "\n")
	var rows [][]tgbotapi.InlineKeyboardButton
	for _, p := range all {
		if !p.Gift || !p.Visible {
			continue
		}
		label := fmt.Sprintf("%s · ¥%s · %d", truncateRunes(p.Name.Get(r.Lang), 30), p.Price.String(), p.Stock)
		rows = append(rows, []tgbotapi.InlineKeyboardButton{button(label, cb(cbGiftPick, p.ID))})
		if len(rows) == 90 {
			break
		}
	}
	if len(rows) == 0 {
		r.Session.Leave()
		return b.send(ctx, r, b.msg.T(r.Lang, "gift_none_eligible"), nil)
	}
	if len(r.Session.Gift) > 0 {
		sb.WriteString("\n" + b.msg.T(r.Lang, "gift_chosen") + "\n")
		for _, l := range r.Session.Gift {
			name := strconv.FormatInt(l.ProductID, 10)
			for _, p := range all {
				if p.ID == l.ProductID {
					name = p.Name.Get(r.Lang)
				}
			}
			sb.WriteString(fmt.Sprintf("• %s × %d\n", esc(name), l.Quantity))
		}
		rows = append(rows, []tgbotapi.InlineKeyboardButton{
			button(b.msg.T(r.Lang, "gift_next"), cbGiftNext), button(b.msg.T(r.Lang, "gift_clear"), cbGiftClear),
		})
	}
	rows = append(rows, []tgbotapi.InlineKeyboardButton{button(b.msg.T(r.Lang, "btn_cancel"), cbAbort)})
	return b.show(ctx, r, screen{text: sb.String(), buttons: rows})
}

// giftPick asks how many units of the pressed product to give.
func (b *Bot) giftPick(ctx context.Context, r *Request, me catalog.Staff) error {
	id, ok := r.Data.ID(0, 1<<53)
	if !ok {
		return errStale
	}
	if r.Session.Flow != "gift" || r.Session.Step != "products" && r.Session.Step != "qty" {
		return r.Session.stale()
	}
	p, err := b.catalog.Product(ctx, id)
	if err != nil {
		return err
	}
	if !p.Gift || !p.Visible {
		return catalog.ErrNotFound
	}
	r.Session.Step = "qty"
	r.Session.Set("product", strconv.FormatInt(p.ID, 10))
	return b.send(ctx, r, b.msg.T(r.Lang, "gift_ask_qty", "Name", esc(p.Name.Get(r.Lang)), "Stock", p.Stock), nil)
}

func (b *Bot) giftClear(ctx context.Context, r *Request, me catalog.Staff) error {
	if r.Session.Flow != "gift" {
		return r.Session.stale()
	}
	r.Session.Gift = nil
	r.Session.Step = "products"
	return b.giftProducts(ctx, r)
}

func (b *Bot) giftNext(ctx context.Context, r *Request, me catalog.Staff) error {
	if r.Session.Flow != "gift" || len(r.Session.Gift) == 0 {
		return r.Session.stale()
	}
	r.Session.Step = "occasion"
	if r.Callback != nil && r.Callback.Message != nil {
		b.dropButtons(ctx, r, r.Callback.Message.MessageID)
	}
	return b.send(ctx, r, b.msg.T(r.Lang, "gift_ask_occasion"), nil)
}

// giftStep takes the text answers of the gift flow.
func (b *Bot) giftStep(ctx context.Context, r *Request, me catalog.Staff) error {
	s := r.Session
	text := cleanLine(r.Text, 3000)
	switch s.Step {
	case "qty":
		n, err := strconv.Atoi(text)
		id, _ := strconv.ParseInt(s.Data["product"], 10, 64)
		if err != nil || n < 0 || n > 999 || text != strconv.Itoa(n) {
			return refuse(b.msg.T(r.Lang, "gift_bad_qty"))
		}
		i := -1
		for j, l := range s.Gift {
			if l.ProductID == id {
				i = j
			}
		}
		switch {
		case n == 0 && i >= 0:
			s.Gift = append(s.Gift[:i], s.Gift[i+1:]...)
		case n > 0 && i >= 0:
			s.Gift[i].Quantity = n
		case n > 0 && len(s.Gift) < maxCartLines:
			s.Gift = append(s.Gift, CartLine{ProductID: id, Quantity: n})
		}
		s.Step = "products"
		return b.giftProducts(ctx, r)
	case "occasion", "recipient", "country":
		if text == "" || utf8.RuneCountInString(text) > 200 {
			return refuse(b.msg.T(r.Lang, "gift_bad_text"))
		}
		s.Set(s.Step, text)
		s.Step = map[string]string{"occasion": "recipient", "recipient": "country", "country": "date"}[s.Step]
		return b.send(ctx, r, b.msg.T(r.Lang, "gift_ask_"+s.Step), nil)
	case "date":
		d, err := time.ParseInLocation("2006-01-02", text, b.loc)
		today := time.Now().In(b.loc).Truncate(24 * time.Hour)
		if err != nil || d.Before(time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, b.loc)) || d.Year() > today.Year()+5 {
			return refuse(b.msg.T(r.Lang, "gift_bad_date"))
		}
		s.Set("date", d.Format("2006-01-02"))
		s.Step = "notes"
		return b.send(ctx, r, b.msg.T(r.Lang, "gift_ask_notes"), nil)
	case "notes":
		if text == "" || utf8.RuneCountInString(text) > 1000 {
			return refuse(b.msg.T(r.Lang, "gift_bad_text"))
		}
		if text != "-" {
			s.Set("notes", text)
		}
		return b.giftSummary(ctx, r)
	}
	return refuse(b.msg.T(r.Lang, "np_use_buttons"))
}

func (b *Bot) giftSummary(ctx context.Context, r *Request) error {
	s := r.Session
	s.Step = "confirm"
	token := newToken()
	s.Set("token", token)
	var sb strings.Builder
	sb.WriteString(b.msg.T(r.Lang, "gift_summary") + "\n\n")
	var total catalog.Money
	for _, l := range s.Gift {
		p, err := b.catalog.Product(ctx, l.ProductID)
		if err != nil {
			return err
		}
		total += p.Price * catalog.Money(l.Quantity)
		sb.WriteString(fmt.Sprintf("• %s × %d — ¥%s\n", esc(p.Name.Get(r.Lang)), l.Quantity, (p.Price * catalog.Money(l.Quantity)).String()))
	}
	sb.WriteString(b.msg.T(r.Lang, "cart_total", "Total", total.String()) + "\n\n")
	sb.WriteString(b.msg.T(r.Lang, "gift_details", "Occasion", esc(s.Data["occasion"]), "Recipient", esc(s.Data["recipient"]),
		"Country", esc(s.Data["country"]), "Date", s.Data["date"]))
	if s.Data["notes"] != "" {
		sb.WriteString("\n📝 " + esc(s.Data["notes"]))
	}
	return b.send(ctx, r, fit(sb.String(), "", maxText), [][]tgbotapi.InlineKeyboardButton{
		{button(b.msg.T(r.Lang, "gift_confirm"), cbGiftConfirm+":"+token)},
		{button(b.msg.T(r.Lang, "btn_cancel"), cbAbort)},
	})
}

// giftConfirm places the gift order, idempotently like a sale.
func (b *Bot) giftConfirm(ctx context.Context, r *Request, me catalog.Staff) error {
	return b.confirmOrder(ctx, r, "gift", &r.Session.Gift, b.giftRequest, b.giftPlaced, func(short *orders.ShortError) error {
		if err := b.shortage(ctx, r, short); err != nil {
			return err
		}
		r.Session.Enter("gift", "products") // the choice stays, to adjust
		return nil
	})
}

// giftRequest is the gift order the flow's answers make.
func (b *Bot) giftRequest(r *Request, token string) orders.PlaceRequest {
	s := r.Session
	needed, _ := time.ParseInLocation("2006-01-02", s.Data["date"], b.loc)
	return orders.PlaceRequest{
		Token:     token,
		Kind:      orders.Gift,
		Customer:  r.customer(),
		Occasion:  s.Data["occasion"],
		Recipient: s.Data["recipient"],
		Country:   s.Data["country"],
		NeededBy:  &needed,
		Notes:     s.Data["notes"],
		Actor:     actor(r.UserID),
	}
}

// giftPlaced tells the office member the gift order is in.
func (b *Bot) giftPlaced(ctx context.Context, r *Request, o orders.Order, created bool) error {
	key := "gift_placed"
	if !created {
		key = "order_already_placed"
	}
	text := b.msg.T(r.Lang, key, "Order", o.Ref()) + "\n\n" + b.staffOrderText(r.Lang, o)
	return b.show(ctx, r, screen{text: fit(text, "", maxText)})
}
