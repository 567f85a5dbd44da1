package bot_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"villagebot/bot/telegramtest"
	"villagebot/catalog"
	"villagebot/orders"
)

// pressDataOn presses the button of m whose callback data is exactly
// data, or fails when m has none.
func (h *harness) pressDataOn(u *telegramtest.User, m telegramtest.Message, data string) string {
	h.t.Helper()
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData == data {
				id, err := u.PressData(m.ID, data)
				if err != nil {
					h.t.Fatal(err)
				}
				return id
			}
		}
	}
	h.t.Fatalf("no button %q on %q: %v", data, m.Text, m.Buttons())
	return ""
}

// forge presses data as if it were a button of u's newest bot message,
// which does not carry it: what a forged callback does.
func (h *harness) forge(u *telegramtest.User, data string) telegramtest.CallbackAnswer {
	h.t.Helper()
	m, ok := u.Last()
	if !ok {
		h.t.Fatal("no message to press on")
	}
	id, err := u.PressData(m.ID, data)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.answer(u, id)
}

// isStaff reports whether id holds a role now.
func (h *harness) isStaff(id int64) bool {
	h.t.Helper()
	_, err := h.catalog.StaffMember(context.Background(), id)
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		h.t.Fatal(err)
	}
	return err == nil
}

// /revoke asks to confirm, in every language: Keep changes nothing,
// Revoke takes the role away. A press by someone who lost the office
// role since the question changes nothing; the last office account is
// refused at once, and a forged confirmation of it changes nothing.
func TestRevokeAsksToConfirm(t *testing.T) {
	t.Parallel()
	h := start(t)
	words := map[string]struct{ ask, yes, keep, kept, done, refused, last string }{
		"zh": {"确定要撤销", "🚫 撤销", "↩️ 保留角色", "保留原有角色", "已不再有工作人员角色", "不再具有该身份", "最后一个外事办账号"},
		"en": {"Take away the staff role of", "🚫 Revoke", "↩️ Keep the role", "keeps their role", "has no staff role any more", "no longer have it", "last office account"},
		"ru": {"Отозвать роль сотрудника у", "🚫 Отозвать", "↩️ Оставить роль", "остаётся прежняя роль", "больше нет роли сотрудника", "больше нет", "последняя учётная запись офиса"},
	}
	langs := []string{"zh", "en", "ru"}
	offices := map[string]*telegramtest.User{}
	for i, lang := range langs {
		offices[lang] = h.staffUser(int64(5401+i), lang, catalog.Office, "")
	}
	for i, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			h := h.with(t)
			w, office := words[lang], offices[lang]
			target := int64(5411 + i)
			h.grant(target, catalog.Coordinator, "maona")
			before := h.fingerprint()
			ask := h.reply(office, fmt.Sprintf("/revoke %d", target))
			if !strings.Contains(ask.Text, w.ask) || !strings.Contains(ask.Text, fmt.Sprint(target)) || !strings.Contains(ask.Text, "maona") {
				t.Errorf("the question reads %q", ask.Text)
			}
			if h.fingerprint() != before || !h.isStaff(target) {
				t.Fatal("asking changed something")
			}
			h.answer(office, h.pressIn(office, ask, w.keep))
			h.waitEdited(office, ask.ID, w.kept)
			if h.fingerprint() != before || !h.isStaff(target) {
				t.Fatal("Keep changed something")
			}
			ask = h.reply(office, fmt.Sprintf("/revoke %d", target))
			h.answer(office, h.pressIn(office, ask, w.yes))
			h.waitEdited(office, ask.ID, w.done)
			if h.isStaff(target) {
				t.Errorf("%d keeps a role after Revoke", target)
			}
		})
	}

	// The zh office member asks to revoke the en one, then loses the
	// office role before pressing: the press changes nothing.
	zh, en, ru := offices["zh"], offices["en"], offices["ru"]
	ask := h.reply(zh, "/revoke 5402")
	if err := h.catalog.Revoke(context.Background(), 5401, "test"); err != nil {
		t.Fatal(err)
	}
	before := h.fingerprint()
	if a := h.answer(zh, h.pressIn(zh, ask, words["zh"].yes)); !strings.Contains(a.Text, words["zh"].refused) {
		t.Errorf("a press by a member no longer office answered %q", a.Text)
	}
	if h.fingerprint() != before || !h.isStaff(5402) {
		t.Error("a press by a member no longer office changed something")
	}

	// Two office accounts are left: asking to revoke oneself says so;
	// one may go, the last may not.
	self := h.reply(en, "/revoke 5402")
	if !strings.Contains(self.Text, "Take away your own staff role (office staff)") {
		t.Errorf("revoking oneself asks %q", self.Text)
	}
	h.answer(en, h.pressIn(en, self, words["en"].keep))
	h.waitEdited(en, self.ID, words["en"].kept)
	ask = h.reply(en, "/revoke 5403")
	h.answer(en, h.pressIn(en, ask, words["en"].yes))
	h.waitEdited(en, ask.ID, words["en"].done)
	if m := h.reply(en, "/revoke 5402"); !strings.Contains(m.Text, words["en"].last) || len(m.InlineKeyboard) > 0 {
		t.Errorf("revoking the last office account: %v", m)
	}
	before = h.fingerprint()
	h.forge(en, "rvy:5402")
	h.settle(en)
	if a := h.forge(ru, "rvy:5402"); !strings.Contains(a.Text, words["ru"].refused) {
		t.Errorf("a forged confirmation by a revoked member answered %q", a.Text)
	}
	if h.fingerprint() != before || !h.isStaff(5402) {
		t.Error("the last office account was revoked")
	}
}

// /price asks to confirm a price of 0 and a change beyond ×3 either way,
// in every language: Keep changes nothing, Set applies; a change within
// ×3 applies at once. The confirmation re-checks the price (changed
// meanwhile: nothing happens), the presser's village and their role.
func TestUnusualPriceAsksToConfirm(t *testing.T) {
	t.Parallel()
	h := start(t)
	ctx := context.Background()
	tea := h.product("MN-BLACKTEA")
	words := map[string]struct{ up, down, zero, fromZero, set, keep, kept, meanwhile, refused string }{
		"zh": {"¥168.00 → ¥16,800.00，是原价的 100 倍。确定修改吗？", "¥168.00 → ¥55.99，只有原价的 3 分之一", "¥168.00 → ¥0.00，访客将免费获得", "此前没有价格",
			"✅ 确定修改", "↩️ 保持原价", "仍为 ¥168.00", "在您确认之前", "不再具有该身份"},
		"en": {"¥168.00 → ¥16,800.00, 100× the old price. Set it?", "¥168.00 → ¥55.99, 1/3 of the old price", "¥168.00 → ¥0.00: visitors would get it for nothing", "it had no price until now",
			"✅ Set", "↩️ Keep", "still costs ¥168.00", "after you were asked", "no longer have it"},
		"ru": {"168,00\u00a0¥ → 16\u00a0800,00\u00a0¥, это ×100 от прежней цены. Установить?", "168,00\u00a0¥ → 55,99\u00a0¥, это 1/3 прежней цены", "168,00\u00a0¥ → 0,00\u00a0¥: посетители получат товар бесплатно", "до сих пор у товара не было цены",
			"✅ Установить", "↩️ Оставить прежнюю", "по-прежнему стоит 168,00\u00a0¥", "пока вы решали", "больше нет"},
	}
	reset := func(t *testing.T) {
		if _, err := h.catalog.SetPrice(ctx, "MN-BLACKTEA", 16800, "test"); err != nil {
			t.Fatal(err)
		}
	}
	price := func() catalog.Money { return h.product("MN-BLACKTEA").Price }
	for i, lang := range []string{"zh", "en", "ru"} {
		t.Run(lang, func(t *testing.T) {
			h := h.with(t)
			w := words[lang]
			u := h.staffUser(int64(5421+i), lang, catalog.Coordinator, "maona")
			reset(t)

			// ×100: asks; Keep changes nothing; asked again, Set applies.
			before := h.fingerprint()
			ask := h.reply(u, "/price MN-BLACKTEA 16800")
			if !strings.Contains(ask.Text, w.up) {
				t.Errorf("×100 asks %q", ask.Text)
			}
			if h.fingerprint() != before {
				t.Fatal("asking changed something")
			}
			h.answer(u, h.pressIn(u, ask, w.keep))
			h.waitEdited(u, ask.ID, w.kept)
			if h.fingerprint() != before {
				t.Fatal("Keep changed something")
			}
			ask = h.reply(u, "/price MN-BLACKTEA 16800")
			h.answer(u, h.pressIn(u, ask, w.set))
			h.waitEdited(u, ask.ID, "MN-BLACKTEA")
			if p := price(); p != 1680000 {
				t.Errorf("after Set the price is %s", p)
			}

			// A third and less: asks.
			reset(t)
			if ask := h.reply(u, "/price MN-BLACKTEA 55.99"); !strings.Contains(ask.Text, w.down) || len(ask.InlineKeyboard) == 0 {
				t.Errorf("a third asks %q", ask.Text)
			}
			// 0: asks; Set makes it 0; from 0 asks again.
			ask = h.reply(u, "/price MN-BLACKTEA 0")
			if !strings.Contains(ask.Text, w.zero) {
				t.Errorf("0 asks %q", ask.Text)
			}
			h.answer(u, h.pressIn(u, ask, w.set))
			h.waitFor("the price set to 0", func() bool { return price() == 0 })
			ask = h.reply(u, "/price MN-BLACKTEA 168")
			if !strings.Contains(ask.Text, w.fromZero) {
				t.Errorf("a price from 0 asks %q", ask.Text)
			}
			h.answer(u, h.pressIn(u, ask, w.set))
			h.waitFor("the price set back to 168", func() bool { return price() == 16800 })

			// Exactly ×3 and exactly a third apply at once.
			for _, c := range []struct {
				arg  string
				want catalog.Money
			}{{"504", 50400}, {"168", 16800}, {"56", 5600}} {
				m := h.reply(u, "/price MN-BLACKTEA "+c.arg)
				if len(m.InlineKeyboard) > 0 || price() != c.want {
					t.Errorf("/price %s: %q, price %s", c.arg, m.Text, price())
				}
				reset(t)
			}

			// The price changed since the question: Set changes nothing.
			ask = h.reply(u, "/price MN-BLACKTEA 16800")
			if _, err := h.catalog.SetPrice(ctx, "MN-BLACKTEA", 17000, "test"); err != nil {
				t.Fatal(err)
			}
			before = h.fingerprint()
			h.answer(u, h.pressIn(u, ask, w.set))
			h.waitEdited(u, ask.ID, w.meanwhile)
			if h.fingerprint() != before {
				t.Error("a Set over a price changed meanwhile changed something")
			}
			reset(t)
		})
	}

	// Another village's coordinator forging a confirmation, and a
	// coordinator revoked after the question: nothing changes.
	other := h.staffUser(5431, "en", catalog.Coordinator, "xinglong")
	en := h.staffUser(5432, "en", catalog.Coordinator, "maona")
	ask := h.reply(en, "/price MN-BLACKTEA 16800")
	if err := h.catalog.Revoke(ctx, 5432, "test"); err != nil {
		t.Fatal(err)
	}
	before := h.fingerprint()
	if a := h.answer(en, h.pressIn(en, ask, words["en"].set)); !strings.Contains(a.Text, words["en"].refused) {
		t.Errorf("a revoked coordinator's Set answered %q", a.Text)
	}
	if a := h.forge(other, fmt.Sprintf("prs:%d:1680000:16800", tea.ID)); !strings.Contains(a.Text, "belongs to another village") {
		t.Errorf("another village's forged Set answered %q", a.Text)
	}
	for _, data := range []string{fmt.Sprintf("prs:%d:100000001:16800", tea.ID), fmt.Sprintf("prs:%d:-1:16800", tea.ID), "prs:x:1:2", "prs:999999:1:2"} {
		if a := h.forge(other, data); a.Text == "" {
			t.Errorf("forged %q got no answer", data)
		}
	}
	if h.fingerprint() != before || price() != 16800 {
		t.Errorf("refused confirmations changed something; the price is %s", price())
	}
}

// /stock pages carry −, + and hide/show buttons per product, in every
// language, which edit the list in place; the step button switches − and
// + to 10; the stock never goes below 0; a forged button of another
// village's coordinator, a visitor or bad data changes nothing. Office
// staff open a village's page from the overview and use the same buttons.
func TestStockButtons(t *testing.T) {
	t.Parallel()
	h := start(t)
	ctx := context.Background()
	tea, rice := h.product("MN-BLACKTEA"), h.product("MN-SHANLAN")
	maona, err := h.catalog.VillageByCode(ctx, "maona")
	if err != nil {
		t.Fatal(err)
	}
	stock := func(sku string) int { return h.product(sku).Stock }
	words := map[string]struct{ hide, show, step, set, below, hidden string }{
		"zh": {"🙈 隐藏", "👀 显示", "🔢 每次增减 10", "库存", "库存不能低于 0", "已隐藏"},
		"en": {"🙈 Hide", "👀 Show", "🔢 Change by 10", "stock", "Stock cannot go below 0", "hidden"},
		"ru": {"🙈 Скрыть", "👀 Показать", "🔢 Менять на 10", "остаток", "Остаток не может быть меньше 0", "скрыт"},
	}
	for i, lang := range []string{"zh", "en", "ru"} {
		t.Run(lang, func(t *testing.T) {
			h := h.with(t)
			w := words[lang]
			u := h.staffUser(int64(5441+i), lang, catalog.Coordinator, "maona")
			m := h.reply(u, "/stock")
			labels := strings.Join(m.Buttons(), "|")
			if !strings.Contains(labels, "MN-BLACKTEA −1|+1|"+w.hide) || !strings.Contains(labels, w.step) {
				t.Fatalf("the /stock buttons: %s", labels)
			}

			// +1 then −1, edited in place, with a toast.
			n := stock("MN-BLACKTEA")
			a := h.answer(u, h.pressDataOn(u, m, fmt.Sprintf("sa:%d:1:0", tea.ID)))
			if !strings.Contains(a.Text, fmt.Sprintf("%d → %d", n, n+1)) || !strings.Contains(a.Text, w.set) {
				t.Errorf("+1 answered %q", a.Text)
			}
			m = h.waitEdited(u, m.ID, fmt.Sprintf("MN-BLACKTEA · %s · %d ·", tea.Name.Get(lang), n+1))
			if got := stock("MN-BLACKTEA"); got != n+1 {
				t.Errorf("after +1 the stock is %d, want %d", got, n+1)
			}
			h.answer(u, h.pressDataOn(u, m, fmt.Sprintf("sa:%d:0:0", tea.ID)))
			m = h.waitEdited(u, m.ID, fmt.Sprintf("MN-BLACKTEA · %s · %d ·", tea.Name.Get(lang), n))

			// By 10, then hide and show again.
			h.answer(u, h.pressIn(u, m, w.step))
			m = h.waitButtonOn(u, m.ID, fmt.Sprintf("sa:%d:3:0", tea.ID))
			h.answer(u, h.pressDataOn(u, m, fmt.Sprintf("sa:%d:3:0", tea.ID)))
			m = h.waitEdited(u, m.ID, fmt.Sprintf("MN-BLACKTEA · %s · %d ·", tea.Name.Get(lang), n+10))
			h.answer(u, h.pressDataOn(u, m, fmt.Sprintf("sa:%d:2:0", tea.ID)))
			m = h.waitEdited(u, m.ID, fmt.Sprintf("MN-BLACKTEA · %s · %d ·", tea.Name.Get(lang), n))
			h.answer(u, h.pressDataOn(u, m, fmt.Sprintf("sv:%d:2:0", tea.ID)))
			m = h.waitEdited(u, m.ID, " · "+w.hidden)
			if h.product("MN-BLACKTEA").Visible {
				t.Error("the product is visible after Hide")
			}
			if !strings.Contains(strings.Join(m.Buttons(), "|"), "+10|"+w.show) {
				t.Errorf("a hidden product's buttons: %v", m.Buttons())
			}
			h.answer(u, h.pressDataOn(u, m, fmt.Sprintf("sv:%d:3:0", tea.ID)))
			h.waitFor("the product shown again", func() bool { return h.product("MN-BLACKTEA").Visible })

			// Never below 0.
			if _, err := h.catalog.SetStock(ctx, "MN-SHANLAN", 0, "test"); err != nil {
				t.Fatal(err)
			}
			before := h.fingerprint()
			if a := h.answer(u, h.pressDataOn(u, m, fmt.Sprintf("sa:%d:2:0", rice.ID))); !strings.Contains(a.Text, w.below) {
				t.Errorf("−1 at 0 answered %q", a.Text)
			}
			if h.fingerprint() != before || stock("MN-SHANLAN") != 0 {
				t.Errorf("−1 at 0 changed something: stock %d", stock("MN-SHANLAN"))
			}
		})
	}

	// Forged buttons: another village's coordinator, a visitor, bad data.
	other := h.staffUser(5451, "en", catalog.Coordinator, "xinglong")
	visitor := h.user(5452, "en")
	h.reply(other, "/stock")
	h.reply(visitor, "/start")
	before := h.fingerprint()
	for _, data := range []string{
		fmt.Sprintf("sa:%d:1:0", tea.ID), fmt.Sprintf("sa:%d:3:0", tea.ID), fmt.Sprintf("sv:%d:0:0", tea.ID), fmt.Sprintf("ss:%d:0:1", maona.ID),
	} {
		if a := h.forge(other, data); !strings.Contains(a.Text, "belongs to another village") {
			t.Errorf("another village's coordinator pressing %s was answered %q", data, a.Text)
		}
		if a := h.forge(visitor, data); !strings.Contains(a.Text, "no longer have it") {
			t.Errorf("a visitor pressing %s was answered %q", data, a.Text)
		}
	}
	for _, data := range []string{
		fmt.Sprintf("sa:%d:4:0", tea.ID), fmt.Sprintf("sv:%d:-1:0", tea.ID), "sa:99999999:1:0", fmt.Sprintf("sa:%d:1", tea.ID),
		fmt.Sprintf("ss:%d:0:2", maona.ID), "ss:99999999:0:0",
	} {
		if a := h.forge(other, data); !strings.Contains(a.Text, "out of date") {
			t.Errorf("bad data %s was answered %q", data, a.Text)
		}
	}
	if n := countMessages(other.Messages(), "MN-BLACKTEA"); n != 0 {
		t.Errorf("another village's coordinator was shown Maona's products")
	}
	if h.fingerprint() != before {
		t.Error("forged /stock buttons changed something")
	}

	// Office staff: from the overview to a village's page and its buttons.
	office := h.staffUser(5453, "en", catalog.Office, "")
	overview := h.reply(office, "/stock")
	h.answer(office, h.pressOn(office, overview, "Maona Village (3)"))
	m := h.waitButtonOn(office, overview.ID, fmt.Sprintf("sa:%d:1:0", tea.ID))
	n := stock("MN-BLACKTEA")
	h.answer(office, h.pressDataOn(office, m, fmt.Sprintf("sa:%d:1:0", tea.ID)))
	h.waitFor("the office's +1", func() bool { return stock("MN-BLACKTEA") == n+1 })
}

// waitButtonOn waits until message id of u's chat has a button with
// callback data data, and returns it.
func (h *harness) waitButtonOn(u *telegramtest.User, id int, data string) telegramtest.Message {
	h.t.Helper()
	var got telegramtest.Message
	if _, err := u.WaitFor(wait, func(ms []telegramtest.Message) bool {
		for _, m := range ms {
			if m.ID != id {
				continue
			}
			for _, row := range m.InlineKeyboard {
				for _, b := range row {
					if b.CallbackData == data {
						got = m
						return true
					}
				}
			}
		}
		return false
	}); err != nil {
		h.t.Fatal(err)
	}
	return got
}

// A payment through Telegram Payments tells the office staff with alerts
// on and the coordinator of the order's village, each in their language,
// once — though successful_payment comes three times. One that is due
// back (the order was cancelled meanwhile) says so.
func TestTelegramPaymentNotifiesStaffOnce(t *testing.T) {
	t.Parallel()
	h := start(t, withPayments)
	staff := map[string]*telegramtest.User{
		"zh": h.staffUser(5461, "zh", catalog.Office, ""),
		"ru": h.staffUser(5462, "ru", catalog.Office, ""),
		"en": h.staffUser(5463, "en", catalog.Coordinator, "xinglong"),
	}
	quiet := h.staffUser(5464, "en", catalog.Office, "")
	quiet.Send("/alerts off")
	h.waitText(quiet, "Order alerts are off")

	u := h.user(5471, "en")
	h.checkout(u, "XL-COFFEE", 2)
	h.pressContaining(u, "Confirm")
	ref := orderRef.FindString(h.waitText(u, "is placed").Text)
	var number int64
	fmt.Sscanf(ref, "#%d", &number)
	h.answer(u, h.pressContaining(u, "Pay now"))
	if _, err := u.WaitFor(wait, func(ms []telegramtest.Message) bool { return len(ms) > 0 && ms[len(ms)-1].Invoice != nil }); err != nil {
		t.Fatal(err)
	}
	p, err := u.Pay(wait)
	if err != nil || !p.Answer.OK {
		t.Fatalf("Pay = %+v, %v", p, err)
	}
	if err := h.srv.Redeliver(p.UpdateID); err != nil {
		t.Fatal(err)
	}
	u.RepeatPayment(p.Charge)
	h.settle(u)

	want := map[string]string{
		"zh": "订单 " + ref + " 已通过 Telegram 支付付款 ¥176.00",
		"ru": "Заказ " + ref + " оплачен через Telegram Payments: 176,00\u00a0¥",
		"en": "Order " + ref + " paid ¥176.00 by Telegram Payments",
	}
	for lang, s := range staff {
		m := h.waitText(s, want[lang])
		if !strings.Contains(m.Text, "XL-COFFEE") {
			t.Errorf("%s: the notice lacks the order's lines:\n%s", lang, m.Text)
		}
	}
	if n := h.count(`SELECT count(*) FROM outbox WHERE kind = 'order_paid'`); n != 3 {
		t.Errorf("%d payment notices, want 3 (two office members, one coordinator)", n)
	}
	h.waitFor("every notice sent", func() bool {
		return h.count(`SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL`) == 0
	})
	for lang, s := range staff {
		if n := countMessages(s.Messages(), want[lang]); n != 1 {
			t.Errorf("%s was told %d times", lang, n)
		}
	}
	if n := countMessages(quiet.Messages(), "Telegram Payments"); n != 0 {
		t.Errorf("the office member with alerts off was told of the payment")
	}

	// A payment Telegram reports for an order cancelled meanwhile.
	second := h.placeOrderQty(5471, "XL-COFFEE", 1)
	if _, err := h.orders.CancelByCustomer(context.Background(), second, 5471); err != nil {
		t.Fatal(err)
	}
	if _, recorded, _, err := h.orders.RecordTelegramPayment(context.Background(), orders.TelegramPayment{
		Payload: orders.InvoicePayload(second), CustomerID: 5471, Currency: "CNY", Amount: 8800, ChargeID: "tg_late_1",
	}); err != nil || !recorded {
		t.Fatalf("RecordTelegramPayment = %v, %v", recorded, err)
	}
	h.waitText(staff["zh"], fmt.Sprintf("订单 #%d 通过 Telegram 支付收到 ¥88.00，但该订单已取消或已付过款：请办理退款", second))
	h.waitText(staff["en"], fmt.Sprintf("Telegram Payments took ¥88.00 for order #%d, but the order is cancelled or was paid already: refund it", second))
}

// Fifty visitors confirm at once a checkout of a product with thirty
// units, through the Bot API: thirty orders are placed, twenty refused,
// and the placed ones hold the numbers from the first on without a gap —
// the refused ones used none — as does the next order.
func TestConcurrentCheckoutsLeaveNoGapInOrderNumbers(t *testing.T) {
	t.Parallel()
	h := start(t)
	if _, err := h.catalog.SetStock(context.Background(), "LI-BROCADE", 30, "test"); err != nil {
		t.Fatal(err)
	}
	const buyers, units = 50, 30
	var ready, wg sync.WaitGroup
	ready.Add(buyers)
	gate := make(chan struct{})
	refs := make(chan string, buyers)
	for i := range buyers {
		wg.Go(func() {
			arrived := sync.OnceFunc(ready.Done)
			defer arrived() // even when the checkout fails
			h := h.with(t)
			u := h.user(int64(5501+i), "en")
			sum := h.checkout(u, "LI-BROCADE", 1)
			data := confirmData(t, sum)
			arrived()
			<-gate
			if _, err := u.PressData(sum.ID, data); err != nil {
				t.Error(err)
				return
			}
			msgs, err := u.WaitFor(wait, func(ms []telegramtest.Message) bool {
				return countMessages(ms, "is placed") > 0 || countMessages(ms, "not enough stock") > 0
			})
			if err != nil {
				t.Error(err)
				return
			}
			for _, m := range msgs {
				if m.FromBot && strings.Contains(m.Text, "is placed") {
					refs <- orderRef.FindString(m.Text)
					return
				}
			}
			refs <- ""
		})
	}
	ready.Wait()
	close(gate)
	wg.Wait()
	close(refs)
	var told []string
	refused := 0
	for ref := range refs {
		if ref == "" {
			refused++
			continue
		}
		told = append(told, ref)
	}
	if len(told) != units || refused != buyers-units {
		t.Fatalf("%d placed and %d refused, want %d and %d", len(told), refused, units, buyers-units)
	}
	var numbers []int64
	if err := h.db.Select(&numbers, `SELECT number FROM orders ORDER BY number`); err != nil {
		t.Fatal(err)
	}
	for i, n := range numbers {
		if n != numbers[0]+int64(i) {
			t.Fatalf("order numbers %v have a gap", numbers)
		}
	}
	slices.Sort(told)
	var want []string
	for _, n := range numbers {
		want = append(want, fmt.Sprintf("#%d", n))
	}
	slices.Sort(want)
	if !slices.Equal(told, want) {
		t.Errorf("buyers were told %v, the orders are %v", told, want)
	}
	if _, err := h.catalog.SetStock(context.Background(), "LI-BROCADE", 1, "test"); err != nil {
		t.Fatal(err)
	}
	if next := h.placeOrderQty(5599, "LI-BROCADE", 1); next != numbers[len(numbers)-1]+1 {
		t.Errorf("the next order is #%d, want #%d", next, numbers[len(numbers)-1]+1)
	}
}
