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

// giftState is what the /gift flow has gathered so far.
type giftState struct {
	Lines Lines `json:"lines,omitempty"`
	// Product is the product whose quantity the qty step asks for.
	Product   int64  `json:"product,omitempty"`
	Occasion  string `json:"occasion,omitempty"`
	Recipient string `json:"recipient,omitempty"`
	Country   string `json:"country,omitempty"`
	Date      string `json:"date,omitempty"` // YYYY-MM-DD, in the office's time zone
	Notes     string `json:"notes,omitempty"`
	// Token is the one the summary's confirm button carries, and Shown
	// the lines that summary showed, at the prices it showed: its confirm
	// places those or nothing.
	Token string `json:"token,omitempty"`
	Shown Lines  `json:"shown,omitempty"`
}

// giftAnswers is the gift flow's state, made when missing.
func (s *Session) giftAnswers() *giftState {
	if s.GiftOrder == nil {
		s.GiftOrder = &giftState{}
	}
	return s.GiftOrder
}

// gift is /gift: a guided gift order for a delegation — gift-eligible
// products and quantities, occasion, recipient, country, date needed,
// notes, summary, confirm. Stock is reserved as for a sale.
func (b *Bot) gift(ctx context.Context, r *Request, me catalog.Staff) error {
	if r.Args != "" {
		return b.usage(r, "gift")
	}
	r.Session.Enter(flowGift, stepProducts)
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
	if chosen := r.Session.giftAnswers().Lines; len(chosen) > 0 {
		sb.WriteString("\n" + b.msg.T(r.Lang, "gift_chosen") + "\n")
		for _, l := range chosen {
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
	id, ok := r.Data.ID(0, maxID)
	if !ok {
		return errStale
	}
	if !r.Session.at(flowGift, stepProducts) && !r.Session.at(flowGift, stepQty) {
		return r.Session.stale()
	}
	p, err := b.catalog.Product(ctx, id)
	if err != nil {
		return err
	}
	if !p.Gift || !p.Visible {
		return catalog.ErrNotFound
	}
	r.Session.Step = stepQty
	r.Session.giftAnswers().Product = p.ID
	return b.send(ctx, r, b.msg.T(r.Lang, "gift_ask_qty", "Name", esc(p.Name.Get(r.Lang)), "Stock", p.Stock), nil)
}

func (b *Bot) giftClear(ctx context.Context, r *Request, me catalog.Staff) error {
	if r.Session.Flow != flowGift {
		return r.Session.stale()
	}
	r.Session.giftAnswers().Lines = nil
	r.Session.Step = stepProducts
	return b.giftProducts(ctx, r)
}

func (b *Bot) giftNext(ctx context.Context, r *Request, me catalog.Staff) error {
	if r.Session.Flow != flowGift || len(r.Session.giftAnswers().Lines) == 0 {
		return r.Session.stale()
	}
	r.Session.Step = stepOccasion
	if r.Callback != nil && r.Callback.Message != nil {
		b.dropButtons(ctx, r, r.Callback.Message.MessageID)
	}
	return b.send(ctx, r, b.msg.T(r.Lang, "gift_ask_occasion"), nil)
}

// giftQty takes how many units of the product picked to give; 0 takes
// it out of the choice.
func (b *Bot) giftQty(ctx context.Context, r *Request, me catalog.Staff) error {
	text := cleanLine(r.Text, 3000)
	n, err := strconv.Atoi(text)
	if err != nil || n < 0 || n > 999 || text != strconv.Itoa(n) {
		return refuse(b.msg.T(r.Lang, "gift_bad_qty"))
	}
	g := r.Session.giftAnswers()
	g.Lines.set(g.Product, n, 0) // a full choice takes no new product
	r.Session.Step = stepProducts
	return b.giftProducts(ctx, r)
}

// giftOccasion, giftRecipient and giftCountry take the short texts of the
// gift order, one after the other.
func (b *Bot) giftOccasion(ctx context.Context, r *Request, me catalog.Staff) error {
	return b.giftText(ctx, r, func(g *giftState, s string) { g.Occasion = s }, stepRecipient)
}

func (b *Bot) giftRecipient(ctx context.Context, r *Request, me catalog.Staff) error {
	return b.giftText(ctx, r, func(g *giftState, s string) { g.Recipient = s }, stepCountry)
}

func (b *Bot) giftCountry(ctx context.Context, r *Request, me catalog.Staff) error {
	return b.giftText(ctx, r, func(g *giftState, s string) { g.Country = s }, stepDate)
}

// giftText takes a short text answer with set and asks the next step's
// question.
func (b *Bot) giftText(ctx context.Context, r *Request, set func(*giftState, string), next Step) error {
	text := cleanLine(r.Text, 3000)
	if text == "" || utf8.RuneCountInString(text) > 200 {
		return refuse(b.msg.T(r.Lang, "gift_bad_text"))
	}
	set(r.Session.giftAnswers(), text)
	r.Session.Step = next
	return b.send(ctx, r, b.msg.T(r.Lang, "gift_ask_"+string(next)), nil)
}

// giftDate takes the date the gift is needed by: today or later, within
// five years.
func (b *Bot) giftDate(ctx context.Context, r *Request, me catalog.Staff) error {
	text := cleanLine(r.Text, 3000)
	d, err := time.ParseInLocation("2006-01-02", text, b.loc)
	now := time.Now().In(b.loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, b.loc)
	if err != nil || d.Before(today) || d.Year() > today.Year()+5 {
		return refuse(b.msg.T(r.Lang, "gift_bad_date"))
	}
	r.Session.giftAnswers().Date = d.Format("2006-01-02")
	r.Session.Step = stepNotes
	return b.send(ctx, r, b.msg.T(r.Lang, "gift_ask_notes"), nil)
}

// giftNotes takes the notes ("-" for none) and shows the summary.
func (b *Bot) giftNotes(ctx context.Context, r *Request, me catalog.Staff) error {
	text := cleanLine(r.Text, 3000)
	if text == "" || utf8.RuneCountInString(text) > 1000 {
		return refuse(b.msg.T(r.Lang, "gift_bad_text"))
	}
	if text != "-" {
		r.Session.giftAnswers().Notes = text
	}
	return b.giftSummary(ctx, r)
}

// staffStep makes a flow's screen the answer to text sent at a step that
// waits for a button press: the step is asked again, with its buttons.
func staffStep(show func(ctx context.Context, r *Request) error) staffHandler {
	return func(ctx context.Context, r *Request, me catalog.Staff) error { return show(ctx, r) }
}

// giftSummary shows the gift order as it will be placed, with a confirm
// button carrying a fresh token. Prices are the catalog's now: the value
// of the gift.
func (b *Bot) giftSummary(ctx context.Context, r *Request) error {
	views, _, err := b.loadLines(ctx, r.Lang, r.Session.giftAnswers().Lines)
	if err != nil {
		return err
	}
	return b.showGiftSummary(ctx, r, views, "")
}

// giftResummarize shows the gift summary anew when its lines or prices
// changed since the one whose confirm was pressed, with the changes
// marked; changed is false when nothing did. (Stock and visibility are
// Place's to check: a short line keeps the choice to adjust.)
func (b *Bot) giftResummarize(ctx context.Context, r *Request) (changed bool, err error) {
	g := r.Session.giftAnswers()
	views, _, err := b.loadLines(ctx, r.Lang, g.Lines)
	if err != nil {
		return false, err
	}
	gone, changed := b.markChanges(r.Lang, views, g.Shown, false)
	if !changed {
		return false, nil
	}
	head, err := b.goneText(ctx, r.Lang, gone)
	if err != nil {
		return true, err
	}
	r.Toast(b.msg.T(r.Lang, "summary_changed_toast"))
	return true, b.showGiftSummary(ctx, r, views, b.msg.T(r.Lang, "summary_changed")+"\n"+head)
}

// showGiftSummary shows the gift summary of views, under note (what
// changed) when there is one.
func (b *Bot) showGiftSummary(ctx context.Context, r *Request, views []cartLineView, note string) error {
	g := r.Session.giftAnswers()
	r.Session.Step = stepConfirm
	g.Token, g.Shown = newToken(), shownLines(views)
	var sb strings.Builder
	if note != "" {
		sb.WriteString(note + "\n")
	}
	sb.WriteString(b.msg.T(r.Lang, "gift_summary") + "\n\n")
	var total catalog.Money
	for _, v := range views {
		if v.Product.ID == 0 {
			return catalog.ErrNotFound // a product of the choice is gone
		}
		line := v.Product.Price * catalog.Money(v.Line.Quantity)
		total += line
		sb.WriteString(fmt.Sprintf("• %s × %d — ¥%s", esc(v.Product.Name.Get(r.Lang)), v.Line.Quantity, line.String()))
		if v.Note != "" {
			sb.WriteString(" " + v.Note)
		}
		sb.WriteString("\n")
	}
	sb.WriteString(b.msg.T(r.Lang, "cart_total", "Total", total.String()) + "\n\n")
	sb.WriteString(b.msg.T(r.Lang, "gift_details", "Occasion", esc(g.Occasion), "Recipient", esc(g.Recipient),
		"Country", esc(g.Country), "Date", g.Date))
	if g.Notes != "" {
		sb.WriteString("\n📝 " + esc(g.Notes))
	}
	return b.show(ctx, r, screen{text: fit(sb.String(), "", maxText), buttons: [][]tgbotapi.InlineKeyboardButton{
		{button(b.msg.T(r.Lang, "gift_confirm"), cbGiftConfirm+":"+g.Token)},
		{button(b.msg.T(r.Lang, "btn_cancel"), cbAbort)},
	}})
}

// giftConfirm places the gift order, idempotently like a sale. When a
// line runs short the choice stays, to adjust.
func (b *Bot) giftConfirm(ctx context.Context, r *Request, me catalog.Staff) error {
	g := r.Session.giftAnswers()
	return b.confirmOrder(ctx, r, placing{
		flow: flowGift, token: g.Token, lines: &g.Lines,
		changed: b.giftResummarize,
		request: b.giftRequest,
		done:    b.giftPlaced,
		short: func(short *orders.ShortError) error {
			if err := b.shortage(ctx, r, short); err != nil {
				return err
			}
			r.Session.Enter(flowGift, stepProducts)
			r.Session.giftAnswers().Lines = g.Lines
			return nil
		},
	})
}

// giftRequest is the gift order the flow's answers make.
func (b *Bot) giftRequest(r *Request, token string) orders.PlaceRequest {
	g := r.Session.giftAnswers()
	needed, _ := time.ParseInLocation("2006-01-02", g.Date, b.loc)
	return orders.PlaceRequest{
		Token:     token,
		Kind:      orders.Gift,
		Customer:  r.customer(),
		Occasion:  g.Occasion,
		Recipient: g.Recipient,
		Country:   g.Country,
		NeededBy:  &needed,
		Notes:     g.Notes,
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
