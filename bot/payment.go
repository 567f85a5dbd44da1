package bot

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/catalog"
	"villagebot/orders"
)

// Payment (SPEC §12): staff record how an order was paid (/paid, or the
// paid button of a notification), a paid order cancelled is refunded once
// the office confirms, and with Telegram Payments on a visitor pays in
// chat (Pay now → invoice → pre-checkout → successful_payment).

// Payments is what the bot does with payments; orders.Store does it.
type Payments interface {
	RecordPayment(ctx context.Context, req orders.PaymentRequest) (orders.Order, error)
	CancelRefund(ctx context.Context, number int64, actor, note string) (orders.Order, error)
	CheckInvoice(ctx context.Context, inv orders.Invoice) (orders.Order, error)
	RecordTelegramPayment(ctx context.Context, p orders.TelegramPayment) (o orders.Order, recorded, second bool, err error)
	PaymentStats(ctx context.Context, from, to *time.Time, loc *time.Location) (orders.PaymentStats, error)
	PaymentText(ctx context.Context, d orders.Delivery, lang string) (string, error)
	PaymentTexts(ctx context.Context) ([]orders.PaymentText, error)
	SetPaymentText(ctx context.Context, d orders.Delivery, lang, text, actor string) error
}

// PaymentOptions turn on Telegram Payments.
type PaymentOptions struct {
	// ProviderToken is PAYMENT_PROVIDER_TOKEN, from @BotFather; empty
	// leaves Telegram Payments off. Like the bot token, it is never logged.
	ProviderToken string
	// Currency is PAYMENT_CURRENCY (default CNY). Order totals are sent as
	// they are, in hundredths: the currency must be the one of the prices.
	Currency string
}

func (p PaymentOptions) enabled() bool { return p.ProviderToken != "" }

func (p PaymentOptions) currency() string {
	if p.Currency == "" {
		return "CNY"
	}
	return p.Currency
}

// The callbacks of payment are declared with all the others in
// callback.go.

func cbPaidMethodData(number int64, i int) string { return cb(cbPaidMethod, number, int64(i)) }

// PaidButton is the "paid" button of an order's notification to office
// staff: pressing it asks how the order was paid, then records it. The
// role is checked at the press.
func (b *Bot) PaidButton(lang string, o orders.Order) tgbotapi.InlineKeyboardButton {
	return button(b.msg.T(lang, "pay_btn_paid"), cb(cbPaidAsk, o.Number))
}

// PaymentLabel is an order's payment as a few words: "unpaid", "paid ·
// WeChat Pay", "refunded"; empty for a gift.
func (b *Bot) PaymentLabel(lang string, o orders.Order) string {
	switch o.Payment.State {
	case "":
		return ""
	case orders.Paid, orders.Refunded:
		return b.msg.T(lang, "payment_"+string(o.Payment.State)) + " · " + b.methodName(lang, o.Payment.Method)
	}
	return b.msg.T(lang, "payment_"+string(o.Payment.State))
}

func (b *Bot) methodName(lang string, m orders.Method) string {
	return b.msg.T(lang, "method_"+string(m))
}

// paid is /paid ORDER METHOD [AMOUNT]: the order was paid, in full or the
// amount given.
func (b *Bot) paid(ctx context.Context, r *Request, me catalog.Staff) error {
	f := strings.Fields(r.Args)
	if len(f) < 2 {
		return b.usage(r, "paid")
	}
	number, err := orders.ParseRef(f[0])
	if err != nil {
		return b.usage(r, "paid")
	}
	method, ok := parseMethod(f[1])
	if !ok {
		return refuse(b.msg.T(r.Lang, "paid_bad_method", "Method", esc(truncateRunes(f[1], 20)), "Methods", b.staffMethodList()))
	}
	var amount catalog.Money
	if len(f) > 2 {
		amount, err = orders.ParseAmount(strings.Join(f[2:], " "))
		var ae *orders.AmountError
		if errors.As(err, &ae) {
			return refuse(b.msg.T(r.Lang, "amount_"+ae.Problem, "Amount", esc(truncateRunes(ae.Input, 30))))
		}
		if err != nil {
			return err
		}
	}
	o, err := b.orders.RecordPayment(ctx, orders.PaymentRequest{Number: number, Method: method, Amount: amount, Actor: actor(r.UserID)})
	if err != nil {
		return b.paymentRefused(ctx, r, number, err)
	}
	return b.send(ctx, r, b.paidText(r.Lang, o), nil)
}

// paymentRefused puts a refused payment into words.
func (b *Bot) paymentRefused(ctx context.Context, r *Request, number int64, err error) error {
	ref := "#" + strconv.FormatInt(number, 10)
	switch {
	case errors.Is(err, orders.ErrNotFound):
		return refuse(b.msg.T(r.Lang, "order_not_found", "Order", ref))
	case errors.Is(err, orders.ErrNoPayment):
		return refuse(b.msg.T(r.Lang, "paid_gift", "Order", ref))
	case errors.Is(err, orders.ErrAlreadyPaid):
		o, gerr := b.orders.Get(ctx, number)
		if gerr != nil {
			return gerr
		}
		return refuse(b.msg.T(r.Lang, "paid_already", "Order", ref, "Payment", b.paymentDetail(r.Lang, o)))
	case errors.Is(err, orders.ErrBadTransition):
		return refuse(b.msg.T(r.Lang, "paid_cancelled", "Order", ref))
	}
	return err
}

// paidText confirms a recorded payment, noting an amount other than the
// total.
func (b *Bot) paidText(lang string, o orders.Order) string {
	text := b.msg.T(lang, "paid_recorded", "Order", o.Ref(), "Payment", b.paymentDetail(lang, o))
	if a := o.Payment.Amount; a != nil && *a != o.Total {
		text += "\n" + b.msg.T(lang, "paid_not_total", "Total", money(lang, o.Total))
	}
	return text
}

// paymentDetail is "¥116.00 · WeChat Pay · 2026-04-02 15:04".
func (b *Bot) paymentDetail(lang string, o orders.Order) string {
	p := o.Payment
	if p.Amount == nil || p.At == nil {
		return b.PaymentLabel(lang, o)
	}
	return money(lang, *p.Amount) + " · " + b.methodName(lang, p.Method) + " · " + p.At.In(b.loc).Format("2006-01-02 15:04")
}

func (b *Bot) staffMethodList() string {
	names := make([]string, len(orders.StaffMethods))
	for i, m := range orders.StaffMethods {
		names[i] = string(m)
	}
	return strings.Join(names, ", ")
}

// methodAliases are the words staff may type for a method besides its
// name.
var methodAliases = map[string]orders.Method{
	"现金": orders.Cash, "наличные": orders.Cash,
	"微信": orders.WeChat, "wx": orders.WeChat, "weixin": orders.WeChat,
	"支付宝": orders.Alipay, "zfb": orders.Alipay,
	"刷卡": orders.Card, "银行卡": orders.Card, "карта": orders.Card,
	"转账": orders.Bank, "银行转账": orders.Bank, "перевод": orders.Bank,
}

// parseMethod reads a method staff may record: its name in any case, or
// an alias. Telegram is not one: only Telegram records it.
func parseMethod(s string) (orders.Method, bool) {
	s = strings.ToLower(s)
	if m, ok := methodAliases[s]; ok {
		return m, true
	}
	m := orders.Method(s)
	return m, m.Valid() && m != orders.Telegram
}

// paidAsk is the paid button of a notification: it asks how the order was
// paid, in a message of its own so the notification stays as it was.
func (b *Bot) paidAsk(ctx context.Context, r *Request, me catalog.Staff) error {
	number, ok := r.Data.ID(0, 1<<53)
	if !ok {
		return errStale
	}
	o, err := b.orders.Get(ctx, number)
	if errors.Is(err, orders.ErrNotFound) {
		return errStale
	}
	if err != nil {
		return err
	}
	switch {
	case o.Kind != orders.Sale:
		return errStale
	case o.Payment.State != orders.Unpaid:
		r.Toast(b.msg.T(r.Lang, "paid_already", "Order", o.Ref(), "Payment", plainText(b.paymentDetail(r.Lang, o))))
		return nil
	case o.Status == orders.Cancelled:
		r.Toast(b.msg.T(r.Lang, "paid_cancelled", "Order", o.Ref()))
		return nil
	}
	var row []tgbotapi.InlineKeyboardButton
	var rows [][]tgbotapi.InlineKeyboardButton
	for i, m := range orders.StaffMethods {
		row = append(row, button(b.methodName(r.Lang, m), cbPaidMethodData(o.Number, i)))
		if len(row) == 3 {
			rows, row = append(rows, row), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return b.send(ctx, r, b.msg.T(r.Lang, "paid_ask", "Order", o.Ref(), "Total", money(r.Lang, o.Total)), rows)
}

// paidMethod records the full payment of an order by the method pressed.
func (b *Bot) paidMethod(ctx context.Context, r *Request, me catalog.Staff) error {
	number, ok := r.Data.ID(0, 1<<53)
	i, ok2 := r.Data.Int(1, len(orders.StaffMethods)-1)
	if !ok || !ok2 {
		return errStale
	}
	o, err := b.orders.RecordPayment(ctx, orders.PaymentRequest{Number: number, Method: orders.StaffMethods[i], Actor: actor(r.UserID)})
	var u *usageError
	if err != nil {
		if err = b.paymentRefused(ctx, r, number, err); errors.As(err, &u) {
			return b.show(ctx, r, screen{text: u.text})
		}
		return err
	}
	return b.show(ctx, r, screen{text: b.paidText(r.Lang, o)})
}

// AskRefund asks office staff to confirm cancelling a paid order, which
// marks its payment refunded. Cancelling by staff (/status ORDER
// cancelled, the cancel button) calls it instead of cancelling when the
// order is paid.
func (b *Bot) AskRefund(ctx context.Context, r *Request, o orders.Order) error {
	text := b.msg.T(r.Lang, "refund_ask", "Order", o.Ref(), "Payment", b.paymentDetail(r.Lang, o))
	if o.Payment.Method == orders.Telegram {
		text += "\n" + b.msg.T(r.Lang, "refund_telegram")
	}
	return b.send(ctx, r, text, [][]tgbotapi.InlineKeyboardButton{{
		button(b.msg.T(r.Lang, "refund_btn_yes"), cb(cbRefundYes, o.Number)),
		button(b.msg.T(r.Lang, "refund_btn_no"), cb(cbRefundNo, o.Number)),
	}})
}

// refundYes cancels a paid order and marks it refunded.
func (b *Bot) refundYes(ctx context.Context, r *Request, me catalog.Staff) error {
	number, ok := r.Data.ID(0, 1<<53)
	if !ok {
		return errStale
	}
	o, err := b.orders.CancelRefund(ctx, number, actor(r.UserID), "")
	switch {
	case errors.Is(err, orders.ErrNotPaid), errors.Is(err, orders.ErrBadTransition):
		cur, gerr := b.orders.Get(ctx, number)
		if gerr != nil {
			return gerr
		}
		return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "refund_stale", "Order", cur.Ref(),
			"Status", b.msg.T(r.Lang, "status_"+string(cur.Status)), "Payment", b.PaymentLabel(r.Lang, cur))})
	case errors.Is(err, orders.ErrNotFound), errors.Is(err, orders.ErrNoPayment):
		return errStale
	case err != nil:
		return err
	}
	b.nudgeNotifier()
	return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "refund_done", "Order", o.Ref(), "Payment", b.paymentDetail(r.Lang, o))})
}

// refundNo keeps the order as it is.
func (b *Bot) refundNo(ctx context.Context, r *Request, me catalog.Staff) error {
	number, ok := r.Data.ID(0, 1<<53)
	if !ok {
		return errStale
	}
	return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "refund_kept", "Order", "#"+strconv.FormatInt(number, 10))})
}

// PayNowRows is the "Pay now" button of a sale order's confirmation when
// Telegram Payments are on and the order can be paid; nil otherwise.
func (b *Bot) PayNowRows(lang string, o orders.Order) [][]tgbotapi.InlineKeyboardButton {
	if !b.payment.enabled() || o.Kind != orders.Sale || o.Payment.State != orders.Unpaid || !o.Status.Open() {
		return nil
	}
	return [][]tgbotapi.InlineKeyboardButton{{button(b.msg.T(lang, "pay_btn_now", "Total", money(lang, o.Total), "Order", o.Ref()), cb(cbPayNow, o.Number))}}
}

// payNow sends the invoice of the customer's own order.
func (b *Bot) payNow(ctx context.Context, r *Request) error {
	if !b.payment.enabled() {
		return errStale
	}
	o, err := b.ownOrder(ctx, r)
	if err != nil {
		return err
	}
	switch {
	case o.Kind != orders.Sale:
		return errStale
	case o.Payment.State != orders.Unpaid:
		r.Toast(b.msg.T(r.Lang, "pay_already", "Order", o.Ref()))
		return nil
	case !o.Status.Open():
		r.Toast(b.msg.T(r.Lang, "pay_closed", "Order", o.Ref(), "Status", b.msg.T(r.Lang, "status_"+string(o.Status))))
		return nil
	}
	_, err = b.sendInvoice(ctx, b.invoice(r.ChatID, r.Lang, o))
	return err
}

// invoice is the invoice of an order: a price per line (at most ten, else
// one for the whole order), amounts in hundredths of the currency.
func (b *Bot) invoice(chatID int64, lang string, o orders.Order) tgbotapi.InvoiceConfig {
	var prices []tgbotapi.LabeledPrice
	var desc []string
	for _, l := range o.Lines {
		label := truncateRunes(l.Name.Get(lang), 40) + " × " + strconv.Itoa(l.Quantity)
		prices = append(prices, tgbotapi.LabeledPrice{Label: label, Amount: int(l.LineTotal())})
		desc = append(desc, label)
	}
	if len(prices) > 10 {
		prices = []tgbotapi.LabeledPrice{{Label: b.msg.T(lang, "pay_invoice_title", "Order", o.Ref()), Amount: int(o.Total)}}
	}
	c := tgbotapi.NewInvoice(chatID,
		truncateRunes(b.msg.T(lang, "pay_invoice_title", "Order", o.Ref()), 32),
		truncateRunes(strings.Join(desc, ", "), 255),
		orders.InvoicePayload(o.Number), b.payment.ProviderToken, "", b.payment.currency(), prices)
	return c
}

// preCheckoutWait bounds answering a pre_checkout_query: Telegram waits 10
// seconds for the answer.
const preCheckoutWait = 8 * time.Second

// PreCheckout answers a pre_checkout_query: ok only for the payer's own
// sale order, still open and unpaid, for its total in the configured
// currency; otherwise not, with the reason in the payer's language.
// Updates of this kind have no chat, so the update loop calls this
// directly rather than through the router.
func (b *Bot) PreCheckout(ctx context.Context, q *tgbotapi.PreCheckoutQuery) {
	ctx, cancel := context.WithTimeout(ctx, preCheckoutWait)
	defer cancel()
	var payer int64
	lang := b.msg.Pick("", "")
	if q.From != nil {
		payer = q.From.ID
		lang = b.msg.Pick("", q.From.LanguageCode)
		if s, err := b.sessions.Load(ctx, payer); err == nil {
			lang = b.msg.Pick(s.Lang, q.From.LanguageCode)
		}
	}
	reason := ""
	number, err := orders.ParseInvoicePayload(q.InvoicePayload)
	switch {
	case err != nil:
		reason = "not_found"
	case q.Currency != b.payment.currency():
		reason = "amount"
	default:
		_, err = b.orders.CheckInvoice(ctx, orders.Invoice{Number: number, CustomerID: payer, Amount: catalog.Money(q.TotalAmount)})
		var ie *orders.InvoiceError
		switch {
		case errors.As(err, &ie):
			reason = ie.Reason
		case err != nil:
			b.log.Error("pre-checkout not checked", "user_id", payer, "err", err)
			reason = "unavailable"
		}
	}
	text := ""
	if reason != "" {
		text = plainText(b.msg.T(lang, "pay_refused_"+reason, "Order", "#"+strconv.FormatInt(number, 10)))
	}
	if err := b.answerPreCheckout(ctx, q.ID, reason == "", text); err != nil {
		b.log.Warn("pre-checkout not answered", "user_id", payer, "err", err)
		return
	}
	b.log.Info("pre-checkout answered", "user_id", payer, "order", number, "ok", reason == "", "reason", reason)
}

// successfulPayment records a payment Telegram made, once per charge
// however often the message comes, and thanks the customer once.
func (b *Bot) successfulPayment(ctx context.Context, r *Request) error {
	sp := r.Message.SuccessfulPayment
	o, recorded, second, err := b.orders.RecordTelegramPayment(ctx, orders.TelegramPayment{
		Payload: sp.InvoicePayload, CustomerID: r.UserID, Currency: sp.Currency, Amount: catalog.Money(sp.TotalAmount),
		ChargeID: sp.TelegramPaymentChargeID, ProviderChargeID: sp.ProviderPaymentChargeID,
	})
	if err != nil {
		// Telegram has the money: nobody may lose sight of it.
		b.log.Error("payment not recorded", "user_id", r.UserID, "charge", sp.TelegramPaymentChargeID,
			"provider_charge", sp.ProviderPaymentChargeID, "amount", sp.TotalAmount, "currency", sp.Currency, "err", err)
		return err
	}
	if !recorded {
		b.log.Info("payment reported again", "order", o.Number, "charge", sp.TelegramPaymentChargeID)
		return nil
	}
	b.nudgeNotifier() // staff are told (orders.NoticePaid)
	if second || o.Status == orders.Cancelled {
		b.log.Warn("payment to refund", "order", o.Number, "charge", sp.TelegramPaymentChargeID, "status", o.Status)
		return b.send(ctx, r, b.msg.T(r.Lang, "pay_received_refund", "Order", o.Ref(),
			"Amount", money(r.Lang, catalog.Money(sp.TotalAmount))), nil)
	}
	return b.send(ctx, r, b.msg.T(r.Lang, "pay_received", "Order", o.Ref(), "Amount", money(r.Lang, catalog.Money(sp.TotalAmount))), [][]tgbotapi.InlineKeyboardButton{
		{button(b.msg.T(r.Lang, "btn_my_orders"), cbMyOrders)},
	})
}

// paymentStatsText is the /stats line of sale orders paid and unpaid.
func (b *Bot) paymentStatsText(ctx context.Context, lang string, from, to *time.Time) (string, error) {
	st, err := b.orders.PaymentStats(ctx, from, to, b.loc)
	if err != nil {
		return "", err
	}
	return b.msg.T(lang, "stats_payment",
		"Paid", st.PaidOrders, "PaidValue", money(lang, st.PaidValue),
		"Unpaid", st.UnpaidOrders, "UnpaidValue", money(lang, st.UnpaidValue),
		"Refunded", st.RefundedOrders, "RefundedValue", money(lang, st.RefundedValue)), nil
}
