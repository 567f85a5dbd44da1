package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"villagebot/bot"
	"villagebot/bot/telegramtest"
	"villagebot/catalog"
	"villagebot/internal/app"
	"villagebot/orders"
)

// providerToken is a test provider token of the shape @BotFather gives.
const providerToken = "284685063:TEST:Y2E2ZmFjYjUwMGQw"

func withPayments(o *app.Options) {
	o.Bot.Payment = bot.PaymentOptions{ProviderToken: providerToken}
}

func (h *harness) order(number int64) orders.Order {
	h.t.Helper()
	o, err := h.orders.Get(context.Background(), number)
	if err != nil {
		h.t.Fatal(err)
	}
	return o
}

// Office staff record a payment with /paid, in every language; the
// customer's /orders and the office's /stats show it; bad input is refused
// with what was wrong and changes nothing.
func TestPaymentRecordedWithPaid(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	words := map[string]struct{ recorded, paid, wechat, separators, method, stats string }{
		"zh": {"已付款：¥176.00 · 微信支付", "已付款 · 微信支付", "微信支付", "千位分隔符位置不对", "不是付款方式", "已付款：%d 笔（¥%s）"},
		"en": {"paid: ¥176.00 · WeChat Pay", "paid · WeChat Pay", "WeChat Pay", "thousands separators in the wrong places", "is not a way of paying", "Sales paid: %d (¥%s)"},
		"ru": {"оплачен: 176,00\u00a0¥ · WeChat Pay", "оплачен · WeChat Pay", "WeChat Pay", "разделители тысяч стоят не там", "не способ оплаты", "оплачено: %d (%s\u00a0¥)"},
	}
	for i, lang := range []string{"zh", "en", "ru"} {
		t.Run(lang, func(t *testing.T) {
			h := h.with(t)
			w := words[lang]
			office := h.user(int64(5401+i), lang)
			if _, err := h.catalog.Grant(context.Background(), office.ID(), "office", "", "test"); err != nil {
				t.Fatal(err)
			}
			customer := h.user(int64(5411+i), lang)
			n := h.placeOrderQty(customer.ID(), "XL-COFFEE", 2)
			ref := fmt.Sprintf("#%d", n)

			before := h.fingerprint() + h.paymentPrint()
			for _, bad := range []struct{ cmd, says string }{
				{"/paid " + ref + " cash 12,80", w.separators},
				{"/paid " + ref + " bitcoin", w.method},
				{"/paid " + ref, "/paid"},
				{"/paid 99999 cash", "99999"},
			} {
				office.Send(bad.cmd)
				h.waitText(office, bad.says)
			}
			if after := h.fingerprint() + h.paymentPrint(); after != before {
				t.Errorf("refused /paid changed something:\n%s\n%s", before, after)
			}

			office.Send("/paid " + ref + " 微信")
			h.waitText(office, w.recorded)
			o := h.order(n)
			if o.Payment.State != orders.Paid || o.Payment.Method != orders.WeChat || *o.Payment.Amount != 17600 ||
				o.Payment.By != fmt.Sprintf("telegram:%d", office.ID()) {
				t.Errorf("payment = %+v", o.Payment)
			}
			office.Send("/paid " + ref + " cash")
			h.waitText(office, w.wechat) // already paid: how, shown

			customer.Send("/orders")
			m := h.waitText(customer, ref)
			if !strings.Contains(m.Text, w.paid) {
				t.Errorf("/orders does not show the payment %q:\n%s", w.paid, m.Text)
			}
			// Each language's office member paid one more order of ¥176.
			value := catalog.Money(17600 * (i + 1)).String() // under ¥1,000: no grouping
			if lang == "ru" {
				value = strings.Replace(value, ".", ",", 1)
			}
			stats := fmt.Sprintf(w.stats, i+1, value)
			office.Send("/stats")
			if m := h.waitText(office, "💳"); !strings.Contains(m.Text, stats) {
				t.Errorf("/stats lacks %q:\n%s", stats, m.Text)
			}
		})
	}

	t.Run("a gift is not paid and a visitor cannot record a payment", func(t *testing.T) {
		h := h.with(t)
		g, _, err := h.orders.Place(context.Background(), orders.PlaceRequest{
			Token: "gift-paid", Kind: orders.Gift, Customer: orders.Customer{TelegramID: us.office.ID(), ChatID: us.office.ID()},
			Occasion: "Forum", Recipient: "Delegation", Lines: []orders.LineRequest{{ProductID: h.product("LI-BROCADE").ID, Quantity: 1}},
		})
		if err != nil {
			t.Fatal(err)
		}
		us.office.Send(fmt.Sprintf("/paid %s cash", g.Ref()))
		h.waitText(us.office, "is a gift")
		n := h.placeOrder(us.visitor.ID(), "MN-BLACKTEA")
		us.visitor.Send(fmt.Sprintf("/paid %d cash", n))
		h.waitText(us.visitor, "office staff")
		us.own.Send(fmt.Sprintf("/paid %d cash", n))
		h.waitText(us.own, "office staff")
		if p := h.order(n).Payment.State; p != orders.Unpaid {
			t.Errorf("payment = %s after refusals", p)
		}
	})
}

// paymentPrint sums up every order's payment and the payment events.
func (h *harness) paymentPrint() string {
	h.t.Helper()
	var s string
	if err := h.db.Get(&s, `SELECT concat_ws('|',
		(SELECT string_agg(concat_ws(',', number, payment, payment_method, paid_fen), ';' ORDER BY number) FROM orders),
		(SELECT count(*) FROM payment_events))`); err != nil {
		h.t.Fatal(err)
	}
	return s
}

// The paid button of a notification asks the method and records the
// payment; pressed again after the presser lost the office role, it
// changes nothing.
func TestPaidButtonChecksTheRoleAtThePress(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	n := h.placeOrderQty(5201, "XL-COFFEE", 1)
	m := h.placeOrderQty(5202, "XL-COFFEE", 1)
	us.office.Send("/help")
	help := h.waitText(us.office, "/start")

	press := func(data string) telegramtest.CallbackAnswer {
		t.Helper()
		id, err := us.office.PressData(help.ID, data)
		if err != nil {
			t.Fatal(err)
		}
		return h.answer(us.office, id)
	}
	press(fmt.Sprintf("pa:%d", n))
	h.waitButton(us.office, "Alipay")
	h.answer(us.office, h.press(us.office, "Alipay"))
	h.waitText(us.office, "paid: ¥88.00 · Alipay")
	if p := h.order(n).Payment; p.State != orders.Paid || p.Method != orders.Alipay {
		t.Errorf("payment = %+v", p)
	}
	if a := press(fmt.Sprintf("pa:%d", n)); !strings.Contains(a.Text, "already paid") {
		t.Errorf("pressing paid on a paid order answered %q", a.Text)
	}

	press(fmt.Sprintf("pa:%d", m))
	ask := h.waitButton(us.office, "Alipay")
	// Another office account stays: the last one cannot be revoked.
	if _, err := h.catalog.Grant(context.Background(), 5999, catalog.Office, "", "test"); err != nil {
		t.Fatal(err)
	}
	if err := h.catalog.Revoke(context.Background(), us.office.ID(), "test"); err != nil {
		t.Fatal(err)
	}
	before := h.paymentPrint()
	for _, b := range ask.InlineKeyboard[0] {
		id, err := us.office.PressData(ask.ID, b.CallbackData)
		if err != nil {
			t.Fatal(err)
		}
		if a := h.answer(us.office, id); !strings.Contains(a.Text, "office staff") {
			t.Errorf("a revoked office member's press answered %q", a.Text)
		}
	}
	if a := press(fmt.Sprintf("pa:%d", m)); !strings.Contains(a.Text, "office staff") {
		t.Errorf("a revoked office member's paid button answered %q", a.Text)
	}
	if after := h.paymentPrint(); after != before {
		t.Errorf("presses after the revoke changed payments:\n%s\n%s", before, after)
	}
	for _, forged := range []string{"pm:1:99", "pm:x:0", "pa:", "ry:0"} {
		press(forged)
	}
}

// Cancelling a paid order asks the office to confirm the refund: keeping
// it changes nothing; confirming cancels, marks it refunded and tells the
// customer.
func TestCancellingAPaidOrderConfirmsTheRefund(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	customer := h.user(5201, "ru")
	customer.Send("/start")
	h.waitText(customer, "Добро пожаловать")
	n := h.placeOrderQty(customer.ID(), "XL-COFFEE", 1)
	ref := fmt.Sprintf("#%d", n)
	stock := h.product("XL-COFFEE").Stock

	us.office.Send("/paid " + ref + " card 88元")
	h.waitText(us.office, "paid: ¥88.00 · card")
	us.office.Send("/status " + ref + " cancelled")
	h.waitText(us.office, "Cancel it and mark the payment refunded?")
	h.answer(us.office, h.press(us.office, "Keep the order"))
	h.waitText(us.office, "Nothing changed")
	if o := h.order(n); o.Status != orders.Placed || o.Payment.State != orders.Paid {
		t.Fatalf("after keeping: %s, %s", o.Status, o.Payment.State)
	}

	us.office.Send("/status " + ref + " cancelled")
	h.waitText(us.office, "Cancel it and mark the payment refunded?")
	h.answer(us.office, h.press(us.office, "Cancel and refund"))
	h.waitText(us.office, "marked refunded")
	o := h.order(n)
	if o.Status != orders.Cancelled || o.Payment.State != orders.Refunded {
		t.Errorf("after the refund: %s, %s", o.Status, o.Payment.State)
	}
	if got := h.product("XL-COFFEE").Stock; got != stock+1 {
		t.Errorf("stock = %d, want %d", got, stock+1)
	}
	h.waitText(customer, ref)
	if got := h.count(`SELECT count(*) FROM payment_events e JOIN orders o ON o.id = e.order_id WHERE o.number = $1 AND to_state = 'refunded'`, n); got != 1 {
		t.Errorf("%d refund events, want 1", got)
	}
}

// With Telegram Payments on, the confirmation offers Pay now; the invoice
// is paid, and a successful_payment Telegram delivers three times (twice
// the same update, once more as a new one) is one payment and one thank
// you.
func TestTelegramPaymentOncePerCharge(t *testing.T) {
	t.Parallel()
	h := start(t, withPayments)
	u := h.user(5301, "en")
	summary := h.checkout(u, "XL-COFFEE", 2)
	if !strings.Contains(summary.Text, "Pay at the booth when you collect") {
		t.Errorf("the summary does not say how to pay:\n%s", summary.Text)
	}
	h.pressContaining(u, "Confirm")
	placed := h.waitText(u, "is placed")
	ref := orderRef.FindString(placed.Text)
	if !strings.Contains(placed.Text, "Pay at the booth") {
		t.Errorf("the confirmation does not say how to pay:\n%s", placed.Text)
	}
	h.answer(u, h.pressContaining(u, "Pay now ¥176.00"))
	inv, err := u.WaitFor(wait, func(ms []telegramtest.Message) bool {
		return len(ms) > 0 && ms[len(ms)-1].Invoice != nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := inv[len(inv)-1].Invoice; got.TotalAmount != 17600 || got.Currency != "CNY" || got.Title != "Order "+ref {
		t.Errorf("invoice = %+v", got)
	}

	p, err := u.Pay(wait)
	if err != nil || !p.Answer.OK {
		t.Fatalf("Pay = %+v, %v", p, err)
	}
	h.waitText(u, "We received ¥176.00 for order "+ref)
	if err := h.srv.Redeliver(p.UpdateID); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Redeliver(p.UpdateID); err != nil {
		t.Fatal(err)
	}
	u.RepeatPayment(p.Charge)
	h.settle(u)
	if got := countMessages(u.Messages(), "We received"); got != 1 {
		t.Errorf("%d thank-you messages, want 1", got)
	}
	var number int64
	fmt.Sscanf(ref, "#%d", &number)
	o := h.order(number)
	if o.Payment.State != orders.Paid || o.Payment.Method != orders.Telegram || *o.Payment.Amount != 17600 {
		t.Errorf("payment = %+v", o.Payment)
	}
	if got := h.count(`SELECT count(*) FROM payment_events WHERE telegram_charge_id = $1`, p.Charge.TelegramPaymentChargeID); got != 1 {
		t.Errorf("%d payment events of the charge, want 1", got)
	}
	if got := h.count(`SELECT count(*) FROM payment_events`); got != 1 {
		t.Errorf("%d payment events, want 1", got)
	}

	u.Send("/orders")
	m := h.waitText(u, ref)
	if !strings.Contains(m.Text, "paid · Telegram") {
		t.Errorf("/orders:\n%s", m.Text)
	}
	for _, label := range m.Buttons() {
		if strings.Contains(label, ref) {
			t.Errorf("/orders offers %q on a paid order", label)
		}
	}
	id, err := u.PressData(m.ID, fmt.Sprintf("oy:%d", number))
	if err != nil {
		t.Fatal(err)
	}
	if a := h.answer(u, id); !strings.Contains(a.Text, "write to the office") {
		t.Errorf("cancelling a paid order answered %q", a.Text)
	}
	if o := h.order(number); o.Status != orders.Placed {
		t.Errorf("the paid order is %s after the customer's cancel", o.Status)
	}
	if strings.Contains(h.logs.String(), providerToken) {
		t.Errorf("the provider token appears in the logs")
	}
}

// A pre_checkout_query for an order cancelled since the invoice was sent
// is answered not ok, with the reason in the payer's language; nothing is
// charged or recorded.
func TestPreCheckoutOfACancelledOrderIsRefused(t *testing.T) {
	t.Parallel()
	h := start(t, withPayments)
	for i, tc := range []struct{ lang, says string }{
		{"zh", "已关闭，不能付款"},
		{"en", "is no longer open"},
		{"ru", "уже закрыт"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			h := h.with(t)
			u := h.user(int64(5311+i), tc.lang)
			u.Send("/start")
			h.waitText(u, "🌿")
			n := h.placeOrderQty(u.ID(), "XL-COFFEE", 1)
			u.Send("/orders")
			h.waitText(u, fmt.Sprintf("#%d", n))
			id, err := u.PressData(u.Messages()[len(u.Messages())-1].ID, fmt.Sprintf("pn:%d", n))
			if err != nil {
				t.Fatal(err)
			}
			h.answer(u, id)
			if _, err := u.WaitFor(wait, func(ms []telegramtest.Message) bool { return ms[len(ms)-1].Invoice != nil }); err != nil {
				t.Fatal(err)
			}
			if _, err := h.orders.CancelByCustomer(context.Background(), n, u.ID()); err != nil {
				t.Fatal(err)
			}
			p, err := u.Pay(wait)
			if err != nil {
				t.Fatal(err)
			}
			if p.Answer.OK || !strings.Contains(p.Answer.ErrorMessage, tc.says) {
				t.Errorf("pre-checkout answer = %+v, want not ok saying %q", p.Answer, tc.says)
			}
			if got := h.count(`SELECT count(*) FROM payment_events`); got != 0 {
				t.Errorf("%d payment events, want none", got)
			}
		})
	}
}

// The office changes how to pay for a delivery in one language without a
// rebuild: the checkout shows the new text in that language only, and
// "default" brings the catalogue's back.
func TestOfficeChangesHowToPay(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	us.office.Send("/paytext pickup en Pay at booth 12 when you collect: WeChat Pay or cash.")
	h.waitText(us.office, "Pay at booth 12")
	us.office.Send("/paytext drone en x")
	h.waitText(us.office, "Usage")
	us.visitor.Send("/paytext pickup en x")
	h.waitText(us.visitor, "office staff")
	us.office.Send("/paytext")
	list := h.waitText(us.office, "How and when to pay")
	for _, want := range []string{"Pay at booth 12", "取货时在展位付款", "Оплата на стенде"} {
		if !strings.Contains(list.Text, want) {
			t.Errorf("/paytext lacks %q:\n%s", want, list.Text)
		}
	}

	u := h.user(5321, "en")
	if s := h.checkout(u, "MN-BLACKTEA", 1); !strings.Contains(s.Text, "Pay at booth 12 when you collect") {
		t.Errorf("the summary does not show the office's text:\n%s", s.Text)
	}
	us.office.Send("/paytext pickup en default")
	h.waitText(us.office, "default again")
	u2 := h.user(5322, "en")
	if s := h.checkout(u2, "MN-BLACKTEA", 1); !strings.Contains(s.Text, "Pay at the booth when you collect") {
		t.Errorf("the summary does not show the default again:\n%s", s.Text)
	}
}

// A payment recorded in chat is in the export the office downloads.
func TestPaymentRecordedAndExported(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	n := h.placeOrderQty(5201, "XL-COFFEE", 2)
	h.placeOrderQty(5202, "MN-BLACKTEA", 1)
	us.office.Send(fmt.Sprintf("/paid %d alipay ¥176", n))
	h.waitText(us.office, "paid: ¥176.00 · Alipay")
	us.office.Send("/export sale csv")
	m := h.waitText(us.office, "sale-orders-")
	if m.Document == nil {
		t.Fatalf("/export answered %v", m)
	}
	lines := strings.Split(strings.TrimPrefix(string(m.Document.Data), "\uFEFF"), "\r\n")
	if !strings.HasSuffix(lines[0], ",notes,payment,payment_method,paid_at") {
		t.Errorf("header %q lacks the payment columns", lines[0])
	}
	paidAt := h.order(n).Payment.At.In(shanghai(t)).Format("2006-01-02T15:04:05-07:00")
	var paid, unpaid int
	for _, l := range lines[1:] {
		switch {
		case strings.HasPrefix(l, fmt.Sprintf("#%d,", n)) && strings.HasSuffix(l, ",paid,alipay,"+paidAt):
			paid++
		case strings.HasSuffix(l, ",unpaid,,"):
			unpaid++
		}
	}
	if paid != 1 || unpaid != 1 {
		t.Errorf("export rows: %d paid and %d unpaid, want 1 and 1:\n%s", paid, unpaid, m.Document.Data)
	}
}
