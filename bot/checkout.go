package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/catalog"
	"villagebot/orders"
)

// deliveries are the ways an order reaches a visitor, in button order.
var deliveries = []orders.Delivery{orders.Pickup, orders.Hotel, orders.Shipping}

// checkoutState is what the checkout has gathered so far.
type checkoutState struct {
	Name     string          `json:"name,omitempty"`
	Phone    string          `json:"phone,omitempty"`
	Delivery orders.Delivery `json:"delivery,omitempty"`
	Address  string          `json:"address,omitempty"` // the hotel or the shipping address
	// Token is the one the summary's confirm button carries, and Shown
	// the lines that summary showed, at the prices it showed: its confirm
	// places those or nothing.
	Token string `json:"token,omitempty"`
	Shown Lines  `json:"shown,omitempty"`
}

// checkoutAnswers is the checkout's state, made when missing.
func (s *Session) checkoutAnswers() *checkoutState {
	if s.Checkout == nil {
		s.Checkout = &checkoutState{}
	}
	return s.Checkout
}

var tokenRE = regexp.MustCompile(`^[0-9a-f]{16}$`)

func newToken() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// checkout starts the checkout: name → phone → delivery → hotel or
// address → summary → confirm.
func (b *Bot) checkout(ctx context.Context, r *Request) error {
	if err := r.Session.keepable(); err != nil {
		return err
	}
	if len(r.Session.Cart) == 0 {
		return b.showCart(ctx, r)
	}
	r.Session.Enter(flowCheckout, stepName)
	if r.Callback != nil && r.Callback.Message != nil {
		b.dropButtons(ctx, r, r.Callback.Message.MessageID)
	}
	return b.ask(ctx, r, b.msg.T(r.Lang, "ask_name"), nameKeyboard(r.Name))
}

// ask sends a question of the checkout with a reply keyboard (or the
// removal of the previous one).
func (b *Bot) ask(ctx context.Context, r *Request, text string, kb any) error {
	if kb == nil {
		kb = tgbotapi.NewRemoveKeyboard(true)
	}
	_, err := b.sendText(ctx, r.ChatID, text, kb)
	return err
}

// dropButtons removes the inline buttons of a message the flow has moved
// past, so that they cannot be pressed again out of turn.
func (b *Bot) dropButtons(ctx context.Context, r *Request, messageID int) {
	e := tgbotapi.NewEditMessageReplyMarkup(r.ChatID, messageID, tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}})
	if _, err := b.tg.Request(ctx, e); err != nil && apiErrorCode(err) != 400 {
		b.log.Warn("buttons not removed", "chat_id", r.ChatID, "err", err)
	}
}

func nameKeyboard(name string) any {
	name = cleanLine(name, 100)
	if name == "" {
		return nil
	}
	kb := tgbotapi.NewReplyKeyboard(tgbotapi.NewKeyboardButtonRow(tgbotapi.NewKeyboardButton(name)))
	kb.OneTimeKeyboard = true
	return kb
}

// checkoutName takes the name for the order.
func (b *Bot) checkoutName(ctx context.Context, r *Request) error {
	name := cleanLine(r.Text, 1000)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return b.ask(ctx, r, b.msg.T(r.Lang, "bad_name"), nameKeyboard(r.Name))
	}
	r.Session.checkoutAnswers().Name = name
	r.Session.Step = stepPhone
	kb := tgbotapi.NewReplyKeyboard(tgbotapi.NewKeyboardButtonRow(tgbotapi.NewKeyboardButtonContact(b.msg.T(r.Lang, "btn_share_phone"))))
	kb.OneTimeKeyboard = true
	return b.ask(ctx, r, b.msg.T(r.Lang, "ask_phone"), kb)
}

// checkoutPhone takes a typed phone number.
func (b *Bot) checkoutPhone(ctx context.Context, r *Request) error {
	phone, ok := normalizePhone(r.Text)
	if !ok {
		return b.ask(ctx, r, b.msg.T(r.Lang, "bad_phone"), nil)
	}
	return b.gotPhone(ctx, r, phone)
}

// contact takes a shared contact as the phone number; it must be the
// user's own.
func (b *Bot) contact(ctx context.Context, r *Request) error {
	if !r.Session.at(flowCheckout, stepPhone) {
		if r.Session.restarted() {
			return errSessionLost // the "share my phone" button of a checkout the bot forgot
		}
		return b.unknown(ctx, r)
	}
	c := r.Message.Contact
	phone, ok := normalizePhone(c.PhoneNumber)
	if c.UserID != r.UserID || !ok {
		return b.ask(ctx, r, b.msg.T(r.Lang, "bad_contact"), nil)
	}
	return b.gotPhone(ctx, r, phone)
}

func (b *Bot) gotPhone(ctx context.Context, r *Request, phone string) error {
	r.Session.checkoutAnswers().Phone = phone
	r.Session.Step = stepDelivery
	if err := b.ask(ctx, r, b.msg.T(r.Lang, "phone_ok", "Phone", esc(phone)), nil); err != nil {
		return err
	}
	return b.askDelivery(ctx, r)
}

// askDelivery asks how the order should reach the visitor, with a button
// for each way; text sent at this step gets the question again.
func (b *Bot) askDelivery(ctx context.Context, r *Request) error {
	var rows [][]tgbotapi.InlineKeyboardButton
	for i, d := range deliveries {
		rows = append(rows, []tgbotapi.InlineKeyboardButton{button(b.msg.T(r.Lang, "delivery_"+string(d)), cb(cbDelivery, int64(i)))})
	}
	rows = append(rows, []tgbotapi.InlineKeyboardButton{button(b.msg.T(r.Lang, "btn_cancel"), cbAbort)})
	return b.send(ctx, r, b.msg.T(r.Lang, "ask_delivery"), rows)
}

// checkoutDelivery is a press on a delivery button.
func (b *Bot) checkoutDelivery(ctx context.Context, r *Request) error {
	i, ok := r.Data.Int(0, len(deliveries)-1)
	if !ok {
		return errStale
	}
	if !r.Session.at(flowCheckout, stepDelivery) {
		return r.Session.stale()
	}
	d := deliveries[i]
	r.Session.checkoutAnswers().Delivery = d
	if d == orders.Pickup {
		return b.summary(ctx, r)
	}
	r.Session.Step = stepAddress
	return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "ask_address_"+string(d)), buttons: [][]tgbotapi.InlineKeyboardButton{
		{button(b.msg.T(r.Lang, "btn_cancel"), cbAbort)},
	}})
}

// checkoutAddress takes the hotel or the shipping address.
func (b *Bot) checkoutAddress(ctx context.Context, r *Request) error {
	addr := cleanLine(r.Text, 2000)
	if n := utf8.RuneCountInString(addr); n < 3 || n > 300 {
		return b.ask(ctx, r, b.msg.T(r.Lang, "bad_address"), nil)
	}
	r.Session.checkoutAnswers().Address = addr
	return b.summary(ctx, r)
}

// summary shows the order as it will be placed, with a confirm button
// carrying a fresh checkout token.
func (b *Bot) summary(ctx context.Context, r *Request) error {
	views, total, err := b.loadCart(ctx, r)
	if err != nil {
		return err
	}
	return b.showSummary(ctx, r, views, total, "")
}

// resummarize shows the summary anew when the cart or its products
// changed since the one whose confirm was pressed, with the changes
// marked; changed is false when nothing did.
func (b *Bot) resummarize(ctx context.Context, r *Request) (changed bool, err error) {
	views, total, err := b.loadCart(ctx, r)
	if err != nil {
		return false, err
	}
	gone, changed := b.markChanges(r.Lang, views, r.Session.checkoutAnswers().Shown, true)
	if !changed {
		return false, nil
	}
	head, err := b.goneText(ctx, r.Lang, gone)
	if err != nil {
		return true, err
	}
	r.Toast(b.msg.T(r.Lang, "summary_changed_toast"))
	return true, b.showSummary(ctx, r, views, total, b.msg.T(r.Lang, "summary_changed")+"\n"+head)
}

// showSummary shows the summary of views, under note (what changed) when
// there is one.
func (b *Bot) showSummary(ctx context.Context, r *Request, views []cartLineView, total catalog.Money, note string) error {
	r.Session.Step = stepConfirm
	d := r.Session.checkoutAnswers()
	d.Token, d.Shown = newToken(), shownLines(views)
	var sb strings.Builder
	if note != "" {
		sb.WriteString(note + "\n")
	}
	sb.WriteString(b.msg.T(r.Lang, "summary_title") + "\n\n")
	orderable := 0
	for i, v := range views {
		sb.WriteString(b.cartLineText(r.Lang, i+1, v) + "\n")
		if v.Problem == "" {
			orderable++
		}
	}
	sb.WriteString("\n" + b.msg.T(r.Lang, "cart_total", "Total", money(r.Lang, total)) + "\n\n")
	sb.WriteString("👤 " + esc(d.Name) + "\n📞 " + esc(d.Phone) + "\n")
	sb.WriteString(b.msg.T(r.Lang, "delivery_"+string(d.Delivery))) // the label has its own emoji
	if d.Address != "" && d.Delivery != orders.Pickup {
		sb.WriteString(": " + esc(d.Address))
	}
	sb.WriteString("\n" + b.PaymentNote(ctx, r.Lang, d.Delivery))
	var rows [][]tgbotapi.InlineKeyboardButton
	if orderable == len(views) && len(views) > 0 {
		rows = append(rows, []tgbotapi.InlineKeyboardButton{button(b.msg.T(r.Lang, "btn_confirm", "Total", money(r.Lang, total)), cbConfirm+":"+d.Token)})
	} else {
		sb.WriteString("\n\n" + b.msg.T(r.Lang, "summary_fix_cart"))
	}
	rows = append(rows, []tgbotapi.InlineKeyboardButton{
		button(b.msg.T(r.Lang, "btn_edit_cart"), cbCart),
		button(b.msg.T(r.Lang, "btn_cancel"), cbAbort),
	})
	return b.show(ctx, r, screen{text: fit(sb.String(), "", maxText), buttons: rows})
}

// confirm places the visitor's order from the summary's button.
func (b *Bot) confirm(ctx context.Context, r *Request) error {
	var token string
	var shown Lines
	if d := r.Session.Checkout; d != nil {
		token, shown = d.Token, d.Shown
	}
	return b.confirmOrder(ctx, r, placing{
		flow: flowCheckout, token: token, lines: &r.Session.Cart, shown: shown,
		changed: b.resummarize,
		request: b.saleRequest,
		done:    b.placed,
		short:   func(short *orders.ShortError) error { return b.shortage(ctx, r, short) },
	})
}

// placing is what confirming an order needs of its flow (the checkout or a
// gift order).
type placing struct {
	flow  Flow
	token string // the token of the flow's current summary; "" when none
	lines *Lines // the lines to place; emptied once they are the order
	shown Lines  // the lines the summary showed, with its prices
	// changed shows the summary anew, with the changes marked, when the
	// lines, quantities or prices are not those the summary showed; then
	// nothing is placed.
	changed func(ctx context.Context, r *Request) (bool, error)
	// request is the order the flow's answers make, without its lines.
	request func(r *Request, token string) orders.PlaceRequest
	// done tells the user the order is in (created false: it was before).
	done  func(ctx context.Context, r *Request, o orders.Order, created bool) error
	short func(*orders.ShortError) error
}

// confirmOrder is the confirm button of a checkout or a gift order. It is
// idempotent: the button carries the checkout token, which is stored with
// the order under a unique constraint, so a double tap or a redelivered
// update shows the order the first press made (done with created false).
// A press whose token is not the flow's current one is stale. Once the
// lines became the order, the flow ends and they are emptied — but a late
// press of an old button leaves lines gathered since alone.
func (b *Bot) confirmOrder(ctx context.Context, r *Request, f placing) error {
	if len(r.Data.Args) != 1 || !tokenRE.MatchString(r.Data.Args[0]) {
		return errStale
	}
	token := r.Data.Args[0]
	current := r.Session.at(f.flow, stepConfirm) && f.token == token
	if !current {
		// Not the press the flow waits for: one that placed its order
		// already (a double tap) shows that order; any other is stale.
		// The press the flow waits for goes to Place, which knows a used
		// token by itself.
		return b.confirmedBefore(ctx, r, f, token)
	}
	if f.changed != nil {
		if changed, err := f.changed(ctx, r); changed || err != nil {
			return err
		}
	}
	req := f.request(r, token)
	for _, l := range *f.lines {
		// The lines are those the summary showed (f.changed checked); each
		// carries the price it showed, so that Place refuses a price
		// changed between that check and the reservation.
		lr := orders.LineRequest{ProductID: l.ProductID, Quantity: l.Quantity}
		if p, ok := f.shown.price(l.ProductID); ok {
			lr.Seen = &orders.Seen{UnitPrice: p}
		}
		req.Lines = append(req.Lines, lr)
	}
	o, created, err := b.place(ctx, r, req)
	var s *orders.ShortError
	switch {
	case errors.Is(err, orders.ErrChanged) && f.changed != nil:
		// Changed since the check above: the summary is shown anew.
		_, err := f.changed(ctx, r)
		return err
	case errors.As(err, &s):
		b.metrics.stockOut()
		return f.short(s)
	case errors.Is(err, orders.ErrForbidden):
		return errStale
	case errors.Is(err, orders.ErrInvalid):
		return refuse(b.msg.T(r.Lang, "np_invalid", "Reason", esc(err.Error())))
	case err != nil:
		return err
	}
	if created {
		b.metrics.placed(string(o.Kind))
	}
	b.nudgeNotifier()
	r.Session.Leave()
	*f.lines = nil
	return f.done(ctx, r, o, created)
}

// confirmedBefore answers a confirm press that is not the one the flow
// waits for: the order its token placed, when it placed one, else stale.
func (b *Bot) confirmedBefore(ctx context.Context, r *Request, f placing, token string) error {
	o, err := b.orders.ByToken(ctx, token)
	switch {
	case errors.Is(err, orders.ErrNotFound):
		return r.Session.stale()
	case err != nil:
		return err
	case o.CustomerID != r.UserID:
		return errStale
	}
	if r.Session.Flow == f.flow && f.token == token {
		r.Session.Leave()
		*f.lines = nil
	}
	return f.done(ctx, r, o, false)
}

// place places req, asking once more when the connection broke: placing
// is idempotent by token, so what a press committed before the break is
// found, and counts as made by this press.
func (b *Bot) place(ctx context.Context, r *Request, req orders.PlaceRequest) (orders.Order, bool, error) {
	o, created, err := b.orders.Place(ctx, req)
	if err != nil && isConnError(err) && ctx.Err() == nil {
		// A restart, a failover, a terminated backend, perhaps after the
		// commit: ask again on a fresh connection.
		b.log.Warn("placing an order: connection lost, trying again", "chat_id", r.ChatID, "err", err)
		o, created, err = b.orders.Place(ctx, req)
		created = created || err == nil
	}
	return o, created, err
}

// saleRequest is the order the checkout's answers and the cart make.
func (b *Bot) saleRequest(r *Request, token string) orders.PlaceRequest {
	d := r.Session.checkoutAnswers()
	return orders.PlaceRequest{
		Token:    token,
		Kind:     orders.Sale,
		Customer: r.customer(),
		Contact:  d.Name,
		Phone:    d.Phone,
		Delivery: d.Delivery,
		Address:  d.Address,
		Actor:    actor(r.UserID),
	}
}

// placed tells the user their order is in.
func (b *Bot) placed(ctx context.Context, r *Request, o orders.Order, created bool) error {
	key := "order_placed"
	if !created {
		key = "order_already_placed"
	}
	text := b.msg.T(r.Lang, key, "Order", o.Ref(), "Total", o.Total.String()) + "\n\n" + b.orderText(r.Lang, o) +
		"\n\n" + b.PaymentNote(ctx, r.Lang, o.Delivery) + "\n\n" + b.placedNext(r.Lang, o)
	return b.show(ctx, r, screen{text: fit(text, "", maxText), buttons: append(b.PayNowRows(r.Lang, o),
		[]tgbotapi.InlineKeyboardButton{button(b.msg.T(r.Lang, "btn_my_orders"), cbMyOrders)},
		b.menuRow(r.Lang),
	)})
}

// shortage tells which products are short and how many are left; the
// cart is kept for the user to adjust.
func (b *Bot) shortage(ctx context.Context, r *Request, short *orders.ShortError) error {
	r.Session.Leave()
	var sb strings.Builder
	sb.WriteString(b.msg.T(r.Lang, "order_short") + "\n")
	for _, s := range short.Lines {
		name := esc(s.Name.Get(r.Lang))
		if name == "" {
			name = esc(s.SKU)
		}
		if s.Unavailable || s.Left == 0 {
			sb.WriteString("• " + name + " — " + b.msg.T(r.Lang, "product_sold_out") + "\n")
			continue
		}
		sb.WriteString("• " + name + " — " + b.msg.N(r.Lang, "cart_only_left", s.Left) + "\n")
	}
	return b.show(ctx, r, screen{text: fit(sb.String(), "", maxText), buttons: [][]tgbotapi.InlineKeyboardButton{
		{button(b.msg.T(r.Lang, "btn_cart", "Count", r.Session.cartCount()), cbCart)},
		b.menuRow(r.Lang),
	}})
}

// abort is a flow's cancel button: it leaves the flow, as /cancel does.
func (b *Bot) abort(ctx context.Context, r *Request) error {
	flow := r.Session.Flow
	if flow == "" {
		return r.Session.stale()
	}
	r.Session.Leave()
	if r.Callback != nil && r.Callback.Message != nil {
		b.dropButtons(ctx, r, r.Callback.Message.MessageID)
	}
	if err := b.ask(ctx, r, b.msg.T(r.Lang, "cancelled"), nil); err != nil {
		return err
	}
	if flow != flowCheckout {
		return nil
	}
	// The cart comes as a new message, below the one just sent.
	s, err := b.cartScreen(ctx, r)
	if err != nil {
		return err
	}
	return b.sendScreen(ctx, r, s)
}

// customer is the sender as an order's customer.
func (r *Request) customer() orders.Customer {
	c := orders.Customer{TelegramID: r.UserID, ChatID: r.ChatID, FirstName: r.Name, Language: r.Lang}
	switch {
	case r.Message != nil && r.Message.From != nil:
		c.Username = cleanText(r.Message.From.UserName)
	case r.Callback != nil && r.Callback.From != nil:
		c.Username = cleanText(r.Callback.From.UserName)
	}
	return c
}

// actor names a Telegram user in the ledger and order events.
func actor(userID int64) string { return "telegram:" + strconv.FormatInt(userID, 10) }

// cleanLine trims text, folds runs of white space into one space and drops
// control characters; the result is at most max runes of input examined.
func cleanLine(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max])
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u200b' || r == '\ufeff' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// normalizePhone checks that s is plausibly a phone number — an optional
// +, then 6 to 15 digits with spaces, dashes, dots or parentheses between —
// and returns it tidied.
func normalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 32 {
		return "", false
	}
	var sb strings.Builder
	digits := 0
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			sb.WriteRune(c)
			digits++
		case c == '+' && i == 0:
			sb.WriteRune(c)
		case c == ' ' || c == '-' || c == '(' || c == ')' || c == '.':
		default:
			return "", false
		}
	}
	if digits < 6 || digits > 15 {
		return "", false
	}
	return sb.String(), true
}
