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

	"villagebot/orders"
)

// The checkout's callbacks.
const (
	cbCheckout = "co" // co: start checkout from the cart
	cbDelivery = "cd" // cd:<delivery index>
	cbConfirm  = "cc" // cc:<checkout token>
	cbAbort    = "cx" // cx: leave checkout
)

// deliveries are the ways an order reaches a visitor, in button order.
var deliveries = []orders.Delivery{orders.Pickup, orders.Hotel, orders.Shipping}

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
	r.Session.Enter("checkout", "name")
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
	r.Session.Set("name", name)
	r.Session.Step = "phone"
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
	if r.Session.Flow != "checkout" || r.Session.Step != "phone" {
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
	r.Session.Set("phone", phone)
	r.Session.Step = "delivery"
	if err := b.ask(ctx, r, b.msg.T(r.Lang, "phone_ok", "Phone", esc(phone)), nil); err != nil {
		return err
	}
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
	if r.Session.Flow != "checkout" || r.Session.Step != "delivery" {
		return r.Session.stale()
	}
	d := deliveries[i]
	r.Session.Set("delivery", string(d))
	if d == orders.Pickup {
		return b.summary(ctx, r)
	}
	r.Session.Step = "address"
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
	r.Session.Set("address", addr)
	return b.summary(ctx, r)
}

// summary shows the order as it will be placed, with a confirm button
// carrying a fresh checkout token.
func (b *Bot) summary(ctx context.Context, r *Request) error {
	views, total, err := b.loadCart(ctx, r)
	if err != nil {
		return err
	}
	r.Session.Step = "confirm"
	token := newToken()
	r.Session.Set("token", token)
	d := r.Session.Data
	var sb strings.Builder
	sb.WriteString(b.msg.T(r.Lang, "summary_title") + "\n\n")
	orderable := 0
	for i, v := range views {
		sb.WriteString(b.cartLineText(r.Lang, i+1, v) + "\n")
		if v.Problem == "" {
			orderable++
		}
	}
	sb.WriteString("\n" + b.msg.T(r.Lang, "cart_total", "Total", total.String()) + "\n\n")
	sb.WriteString("👤 " + esc(d["name"]) + "\n📞 " + esc(d["phone"]) + "\n")
	sb.WriteString("🚚 " + b.msg.T(r.Lang, "delivery_"+d["delivery"]))
	if d["address"] != "" && d["delivery"] != string(orders.Pickup) {
		sb.WriteString(": " + esc(d["address"]))
	}
	sb.WriteString("\n" + b.PaymentNote(ctx, r.Lang, orders.Delivery(d["delivery"])))
	var rows [][]tgbotapi.InlineKeyboardButton
	if orderable == len(views) {
		rows = append(rows, []tgbotapi.InlineKeyboardButton{button(b.msg.T(r.Lang, "btn_confirm", "Total", total.String()), cbConfirm+":"+token)})
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
	return b.confirmOrder(ctx, r, "checkout", &r.Session.Cart, b.saleRequest, b.placed, func(short *orders.ShortError) error {
		return b.shortage(ctx, r, short)
	})
}

// confirmOrder is the confirm button of a checkout or a gift order. It is
// idempotent: the button carries the checkout token, which is stored with
// the order under a unique constraint, so a double tap or a redelivered
// update shows the order the first press made (done with created false).
// A press whose token is not the session's current one is stale. The
// order's lines are *lines; once they became the order, the flow ends and
// they are emptied — but a late press of an old button leaves lines
// gathered since alone.
func (b *Bot) confirmOrder(ctx context.Context, r *Request, flow string, lines *[]CartLine,
	request func(r *Request, token string) orders.PlaceRequest,
	done func(ctx context.Context, r *Request, o orders.Order, created bool) error,
	short func(*orders.ShortError) error,
) error {
	if len(r.Data.Args) != 1 || !tokenRE.MatchString(r.Data.Args[0]) {
		return errStale
	}
	token := r.Data.Args[0]
	finish := func(o orders.Order, created bool) error {
		if created || r.Session.Flow == flow && r.Session.Data["token"] == token {
			r.Session.Leave()
			*lines = nil
		}
		return done(ctx, r, o, created)
	}
	if r.Session.Flow != flow || r.Session.Step != "confirm" || r.Session.Data["token"] != token {
		// Not the press the flow waits for: one that placed its order
		// already (a double tap) shows that order; any other is stale.
		// The press the flow waits for goes to Place, which knows a used
		// token by itself.
		o, err := b.orders.ByToken(ctx, token)
		switch {
		case errors.Is(err, orders.ErrNotFound):
			return r.Session.stale()
		case err != nil:
			return err
		case o.CustomerID != r.UserID:
			return errStale
		}
		return finish(o, false)
	}
	req := request(r, token)
	for _, l := range *lines {
		req.Lines = append(req.Lines, orders.LineRequest{ProductID: l.ProductID, Quantity: l.Quantity})
	}
	o, created, err := b.orders.Place(ctx, req)
	if err != nil && isConnError(err) && ctx.Err() == nil {
		// The connection broke (a restart, a failover, a terminated
		// backend), perhaps after the commit: placing is idempotent by
		// token, so ask once more, on a fresh connection. What this press
		// committed is the user's new order either way.
		b.log.Warn("placing an order: connection lost, trying again", "chat_id", r.ChatID, "err", err)
		o, created, err = b.orders.Place(ctx, req)
		created = created || err == nil
	}
	var s *orders.ShortError
	switch {
	case errors.As(err, &s):
		b.metrics.stockOut()
		return short(s)
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
	return finish(o, created)
}

// saleRequest is the order the checkout's answers and the cart make.
func (b *Bot) saleRequest(r *Request, token string) orders.PlaceRequest {
	d := r.Session.Data
	return orders.PlaceRequest{
		Token:    token,
		Kind:     orders.Sale,
		Customer: r.customer(),
		Contact:  d["name"],
		Phone:    d["phone"],
		Delivery: orders.Delivery(d["delivery"]),
		Address:  d["address"],
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
		"\n\n" + b.PaymentNote(ctx, r.Lang, o.Delivery)
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
	if flow != "checkout" {
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
		c.Username = r.Message.From.UserName
	case r.Callback != nil && r.Callback.From != nil:
		c.Username = r.Callback.From.UserName
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
