package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
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
	// Token is the one the summary's confirm button carries; "" while
	// no summary stands (a line ran short and waits for its fix).
	Token string `json:"token,omitempty"`
	// Digest sums up what the summary showed: the lines with their
	// prices and every answer. The confirm press places the order only
	// when the catalog still gives the same digest.
	Digest string `json:"digest,omitempty"`
	// Shown are the lines the summary showed, at its prices: Place
	// refuses a price changed since, and a new summary marks it.
	Shown Lines `json:"shown,omitempty"`
	// Editing is set when an answer is changed from the summary: the
	// summary comes back once it is taken, instead of the next question.
	Editing bool `json:"editing,omitempty"`
}

// maxGiftQty is the most units of one product a gift order may hold.
const maxGiftQty = 999

// The fields of a gift order the summary's edit buttons name, by index
// (ge:<index>).
var giftFields = []Step{stepProducts, stepOccasion, stepRecipient, stepCountry, stepDate, stepNotes}

// answered reports whether every question up to the notes has an answer:
// the choice of products then leads back to the summary.
func (g *giftState) answered() bool { return g.Date != "" }

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
		label := fmt.Sprintf("%s · %s · %d", truncateRunes(p.Name.Get(r.Lang), 30), money(r.Lang, p.Price), p.Stock)
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

// giftNext ends the choice of products: on to the occasion, or back to
// the summary when every question has its answer already.
func (b *Bot) giftNext(ctx context.Context, r *Request, me catalog.Staff) error {
	g := r.Session.giftAnswers()
	if !r.Session.at(flowGift, stepProducts) || len(g.Lines) == 0 {
		return r.Session.stale()
	}
	if r.Callback != nil && r.Callback.Message != nil {
		b.dropButtons(ctx, r, r.Callback.Message.MessageID)
	}
	if g.answered() {
		return b.giftSummary(ctx, r, "")
	}
	r.Session.Step = stepOccasion
	return b.send(ctx, r, b.msg.T(r.Lang, "gift_ask_occasion"), nil)
}

// giftQty takes how many units of the product picked to give; 0 takes
// it out of the choice. More than are left to sell is refused, saying
// how many are.
func (b *Bot) giftQty(ctx context.Context, r *Request, me catalog.Staff) error {
	text := cleanLine(r.Text, 3000)
	n, err := strconv.Atoi(text)
	if err != nil || n < 0 || n > maxGiftQty || text != strconv.Itoa(n) {
		return refuse(b.msg.T(r.Lang, "gift_bad_qty"))
	}
	g := r.Session.giftAnswers()
	p, err := b.catalog.Product(ctx, g.Product)
	if err != nil {
		return err
	}
	if n > 0 && (!p.Gift || !p.Visible) {
		return catalog.ErrNotFound
	}
	if n > p.Stock {
		return refuse(b.msg.N(r.Lang, "gift_qty_left", p.Stock, "Name", esc(p.Name.Get(r.Lang))))
	}
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
// question (or shows the summary again, when the answer was an edit).
func (b *Bot) giftText(ctx context.Context, r *Request, set func(*giftState, string), next Step) error {
	text := cleanLine(r.Text, 3000)
	if text == "" || utf8.RuneCountInString(text) > 200 {
		return refuse(b.msg.T(r.Lang, "gift_bad_text"))
	}
	set(r.Session.giftAnswers(), text)
	return b.giftAsk(ctx, r, next)
}

// giftAsk goes on to step, or back to the summary after an edit.
func (b *Bot) giftAsk(ctx context.Context, r *Request, step Step) error {
	if g := r.Session.giftAnswers(); g.Editing {
		g.Editing = false
		return b.giftSummary(ctx, r, "")
	}
	r.Session.Step = step
	return b.send(ctx, r, b.msg.T(r.Lang, "gift_ask_"+string(step)), nil)
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
	return b.giftAsk(ctx, r, stepNotes)
}

// giftNotes takes the notes ("-" for none) and shows the summary.
func (b *Bot) giftNotes(ctx context.Context, r *Request, me catalog.Staff) error {
	text := cleanLine(r.Text, 3000)
	if text == "" || utf8.RuneCountInString(text) > 1000 {
		return refuse(b.msg.T(r.Lang, "gift_bad_text"))
	}
	g := r.Session.giftAnswers()
	g.Notes = ""
	if text != "-" {
		g.Notes = text
	}
	g.Editing = false
	return b.giftSummary(ctx, r, "")
}

// giftSummary shows the gift order as it will be placed, under note when
// there is one, with a confirm button carrying a fresh token, a button to
// edit each answer, back and cancel. Prices are the catalog's now: the
// value of the gift. What it shows is remembered as a digest.
func (b *Bot) giftSummary(ctx context.Context, r *Request, note string) error {
	sc, err := b.giftSummaryScreen(ctx, r, note, false)
	if err != nil {
		return err
	}
	return b.send(ctx, r, sc.text, sc.buttons)
}

// giftSummaryScreen is the gift summary as giftSummary shows it; with
// marked, each line whose price differs from the last summary's says so.
func (b *Bot) giftSummaryScreen(ctx context.Context, r *Request, note string, marked bool) (screen, error) {
	g := r.Session.giftAnswers()
	text, digest, shown, err := b.giftSummaryText(ctx, r.Lang, g, marked)
	if err != nil {
		return screen{}, err
	}
	if note != "" {
		text = note + "\n\n" + text
	}
	r.Session.Step = stepConfirm
	g.Editing = false
	g.Token, g.Digest, g.Shown = newToken(), digest, shown
	edit := func(field Step) tgbotapi.InlineKeyboardButton {
		return button(b.msg.T(r.Lang, "gift_edit_"+string(field)), cb(cbGiftEdit, int64(slices.Index(giftFields, field))))
	}
	return screen{text: fit(text, "", maxText), buttons: [][]tgbotapi.InlineKeyboardButton{
		{button(b.msg.T(r.Lang, "gift_confirm"), cbGiftConfirm+":"+g.Token)},
		{edit(stepProducts), edit(stepOccasion), edit(stepRecipient)},
		{edit(stepCountry), edit(stepDate), edit(stepNotes)},
		{button(b.msg.T(r.Lang, "gift_back"), cbGiftBack), button(b.msg.T(r.Lang, "btn_cancel"), cbAbort)},
	}}, nil
}

// giftSummaryText is the summary of g as the catalog gives it now, its
// digest and its lines at the prices shown; with marked, lines whose price
// differs from the last summary's (g.Shown) say so.
func (b *Bot) giftSummaryText(ctx context.Context, lang string, g *giftState, marked bool) (text, digest string, shown Lines, err error) {
	views, _, err := b.loadLines(ctx, lang, g.Lines)
	if err != nil {
		return "", "", nil, err
	}
	if marked {
		b.markChanges(lang, views, g.Shown, false)
	}
	var sb, sum strings.Builder
	sb.WriteString(b.msg.T(lang, "gift_summary") + "\n\n")
	var total catalog.Money
	for _, v := range views {
		if v.Product.ID == 0 {
			return "", "", nil, catalog.ErrNotFound // a product of the choice is gone
		}
		line := v.Product.Price * catalog.Money(v.Line.Quantity)
		total += line
		sb.WriteString(fmt.Sprintf("• %s × %d — %s", esc(v.Product.Name.Get(lang)), v.Line.Quantity, money(lang, line)))
		if v.Note != "" {
			sb.WriteString(" " + v.Note)
		}
		sb.WriteString("\n")
		fmt.Fprintf(&sum, "%d×%d@%d;", v.Product.ID, v.Line.Quantity, v.Product.Price)
	}
	sb.WriteString(b.msg.T(lang, "cart_total", "Total", money(lang, total)) + "\n\n")
	sb.WriteString(b.msg.T(lang, "gift_details", "Occasion", esc(g.Occasion), "Recipient", esc(g.Recipient),
		"Country", esc(g.Country), "Date", g.Date))
	if g.Notes != "" {
		sb.WriteString("\n📝 " + esc(g.Notes))
	}
	for _, a := range []string{g.Occasion, g.Recipient, g.Country, g.Date, g.Notes} {
		sum.WriteString(strconv.Quote(a))
	}
	h := sha256.Sum256([]byte(sum.String()))
	return sb.String(), hex.EncodeToString(h[:8]), shownLines(views), nil
}

// giftEdit is an edit button of the summary (or of the shortage screen):
// the field's question again, its answer now shown; once answered, the
// summary comes back with every other answer kept.
func (b *Bot) giftEdit(ctx context.Context, r *Request, me catalog.Staff) error {
	i, ok := r.Data.Int(0, len(giftFields)-1)
	if !ok {
		return errStale
	}
	if !r.Session.at(flowGift, stepConfirm) {
		return r.Session.stale()
	}
	g := r.Session.giftAnswers()
	g.Editing, g.Token = true, ""
	field := giftFields[i]
	r.Session.Step = field
	if r.Callback != nil && r.Callback.Message != nil {
		b.dropButtons(ctx, r, r.Callback.Message.MessageID)
	}
	if field == stepProducts {
		return b.giftProducts(ctx, r)
	}
	now := map[Step]string{stepOccasion: g.Occasion, stepRecipient: g.Recipient, stepCountry: g.Country, stepDate: g.Date, stepNotes: g.Notes}[field]
	text := b.msg.T(r.Lang, "gift_ask_"+string(field))
	if now != "" {
		text += "\n" + b.msg.T(r.Lang, "gift_edit_now", "Answer", esc(now))
	}
	return b.send(ctx, r, text, nil)
}

// giftBack is the summary's back button: the question before it (the
// notes) again; its answer leads back to the summary.
func (b *Bot) giftBack(ctx context.Context, r *Request, me catalog.Staff) error {
	r.Data.Args = []string{strconv.Itoa(slices.Index(giftFields, stepNotes))}
	return b.giftEdit(ctx, r, me)
}

// giftConfirm places the gift order, idempotently like a sale, when the
// catalog still gives the summary the button belongs to; if a price
// changed since, nothing is placed and the summary is shown anew. When a
// line runs short every answer stays, and the shortage screen offers to
// fix the quantities.
func (b *Bot) giftConfirm(ctx context.Context, r *Request, me catalog.Staff) error {
	g := r.Session.giftAnswers()
	return b.confirmOrder(ctx, r, placing{
		flow: flowGift, token: g.Token, lines: &g.Lines, shown: g.Shown,
		changed: b.giftResummarize,
		request: b.giftRequest,
		done:    b.giftPlaced,
		short: func(short *orders.ShortError) error {
			b.dropPressed(ctx, r)
			return b.giftShort(ctx, r, short)
		},
	})
}

// dropPressed takes the buttons off the message whose button was pressed.
func (b *Bot) dropPressed(ctx context.Context, r *Request) {
	if r.Callback != nil && r.Callback.Message != nil {
		b.dropButtons(ctx, r, r.Callback.Message.MessageID)
	}
}

// giftShort is the shortage screen of a gift order: which lines are
// short and how many are left, a button per line to take what is left
// or to drop it, and the summary's edit of the products. Every answer is
// kept; the summary's token is void until the fix gives a new summary.
func (b *Bot) giftShort(ctx context.Context, r *Request, short *orders.ShortError) error {
	g := r.Session.giftAnswers()
	g.Token, g.Digest = "", ""
	r.Session.Step = stepConfirm
	var sb strings.Builder
	sb.WriteString(b.msg.T(r.Lang, "gift_short") + "\n")
	var rows [][]tgbotapi.InlineKeyboardButton
	for _, s := range short.Lines {
		name := s.Name.Get(r.Lang)
		if name == "" {
			name = s.SKU
		}
		left := s.Left
		if s.Unavailable {
			left = 0
		}
		sb.WriteString("• " + b.msg.T(r.Lang, "gift_short_line", "Name", esc(name), "Wanted", s.Wanted, "Left", left) + "\n")
		label := truncateRunes(name, 24)
		var row []tgbotapi.InlineKeyboardButton
		if left > 0 && !s.Unavailable {
			row = append(row, button(b.msg.T(r.Lang, "gift_fix_take", "Name", label, "Left", left), cb(cbGiftFix, s.ProductID, int64(left))))
		}
		row = append(row, button(b.msg.T(r.Lang, "gift_fix_drop", "Name", label), cb(cbGiftFix, s.ProductID, 0)))
		rows = append(rows, row)
	}
	rows = append(rows, []tgbotapi.InlineKeyboardButton{
		button(b.msg.T(r.Lang, "gift_edit_products"), cb(cbGiftEdit, int64(slices.Index(giftFields, stepProducts)))),
		button(b.msg.T(r.Lang, "btn_cancel"), cbAbort),
	})
	return b.send(ctx, r, fit(sb.String(), "", maxText), rows)
}

// giftFix is a button of the shortage screen: a line set to the units
// left (0 drops it). A quantity that is more than is left now shows the
// shortage again; otherwise the summary comes back, or the choice of
// products when no line is left.
func (b *Bot) giftFix(ctx context.Context, r *Request, me catalog.Staff) error {
	id, ok1 := r.Data.ID(0, maxID)
	n, ok2 := r.Data.Int(1, maxGiftQty)
	if !ok1 || !ok2 {
		return errStale
	}
	g := r.Session.giftAnswers()
	if !r.Session.at(flowGift, stepConfirm) || g.Token != "" || g.Lines.index(id) < 0 {
		return r.Session.stale()
	}
	p, err := b.catalog.Product(ctx, id)
	if err != nil {
		return err
	}
	if n > 0 && (!p.Gift || !p.Visible || n > p.Stock) {
		left := p.Stock
		if !p.Gift || !p.Visible {
			left = 0
		}
		want := g.Lines[g.Lines.index(id)].Quantity
		return b.giftShort(ctx, r, &orders.ShortError{Lines: []orders.Shortage{{
			ProductID: p.ID, SKU: p.SKU, Name: p.Name, Wanted: want, Left: left, Unavailable: left == 0,
		}}})
	}
	g.Lines.set(id, n, 0)
	b.dropPressed(ctx, r)
	if len(g.Lines) == 0 {
		g.Editing = true
		r.Session.Step = stepProducts
		return b.giftProducts(ctx, r)
	}
	return b.giftSummary(ctx, r, "")
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

// giftSummaryAgain shows the summary again, as it stands.
func (b *Bot) giftSummaryAgain(ctx context.Context, r *Request) error {
	return b.giftSummary(ctx, r, "")
}

// giftResummarize shows the gift summary anew, in place and with each
// changed price marked, when the catalog no longer gives the summary whose
// confirm was pressed; changed is false when it still does.
func (b *Bot) giftResummarize(ctx context.Context, r *Request) (changed bool, err error) {
	g := r.Session.giftAnswers()
	_, digest, _, err := b.giftSummaryText(ctx, r.Lang, g, false)
	if err != nil || digest == g.Digest {
		return false, err
	}
	sc, err := b.giftSummaryScreen(ctx, r, b.msg.T(r.Lang, "gift_changed"), true)
	if err != nil {
		return true, err
	}
	r.Toast(b.msg.T(r.Lang, "summary_changed_toast"))
	return true, b.show(ctx, r, sc)
}
