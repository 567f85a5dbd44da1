package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"villagebot/bot/telegramtest"
	"villagebot/catalog"
	"villagebot/internal/app"
	"villagebot/orders"
)

// pressIn presses the button labelled label on the bot message m.
func (h *harness) pressIn(u *telegramtest.User, m telegramtest.Message, label string) string {
	h.t.Helper()
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if b.Text == label {
				id, err := u.PressData(m.ID, b.CallbackData)
				if err != nil {
					h.t.Fatal(err)
				}
				return id
			}
		}
	}
	h.t.Fatalf("no button %q on message %d %q %v", label, m.ID, m.Text, m.Buttons())
	return ""
}

// staffUser is a staff member with a role who has opened the bot (so it
// knows their language).
func (h *harness) staffUser(id int64, lang string, role catalog.Role, village string) *telegramtest.User {
	h.t.Helper()
	h.grant(id, role, village)
	u := h.user(id, lang)
	h.settle(u)
	return u
}

// grant gives a role, failing the test on error.
func (h *harness) grant(id int64, role catalog.Role, village string) {
	h.t.Helper()
	if _, err := h.catalog.Grant(context.Background(), id, role, village, "test"); err != nil {
		h.t.Fatal(err)
	}
}

// placeSale places a sale of the given SKUs, one unit each, for customer
// in lang, and returns its number.
func (h *harness) placeSale(customer int64, lang string, skus ...string) int64 {
	h.t.Helper()
	req := ordersRequest(customer, 0, 0, fmt.Sprintf("od-%d-%d", customer, time.Now().UnixNano()))
	req.Customer.Language = lang
	req.Lines = nil
	for _, sku := range skus {
		req.Lines = append(req.Lines, orders.LineRequest{ProductID: h.product(sku).ID, Quantity: 1})
	}
	o, _, err := h.orders.Place(context.Background(), req)
	if err != nil {
		h.t.Fatal(err)
	}
	return o.Number
}

func (h *harness) status(number int64) string {
	h.t.Helper()
	var s string
	if err := h.db.Get(&s, `SELECT status FROM orders WHERE number = $1`, number); err != nil {
		h.t.Fatal(err)
	}
	return s
}

// A sale of a village without a coordinator reaches every office member,
// alerts on or off, in their language, with the order's essentials and
// buttons; the confirm button moves it to confirmed and the customer is
// told. A second office member's press on the same order, now confirmed,
// changes nothing and says so.
func TestOfficeConfirmsAnOrderOfAVillageWithoutCoordinator(t *testing.T) {
	t.Parallel()
	h := start(t)
	offices := map[string]*telegramtest.User{
		"zh": h.staffUser(5201, "zh", catalog.Office, ""),
		"en": h.staffUser(5202, "en", catalog.Office, ""),
		"ru": h.staffUser(5203, "ru", catalog.Office, ""),
	}
	offices["en"].Send("/alerts off")
	h.waitText(offices["en"], "Order alerts are off")
	buyer := h.user(5301, "ru")

	number := h.placeSale(5301, "ru", "BR-COCOCHIPS") // beireng has no coordinator
	ref := fmt.Sprintf("#%d", number)
	want := map[string][]string{
		"zh": {"新订单 " + ref, "BR-COCOCHIPS", "Test Buyer · +8613800138000", "活动展位自提"},
		"en": {"New order " + ref, "BR-COCOCHIPS", "Test Buyer · +8613800138000", "Pick up at the event booth"},
		"ru": {"Новый заказ " + ref, "BR-COCOCHIPS", "Test Buyer · +8613800138000", "Заберу на стенде"},
	}
	cards := map[string]telegramtest.Message{}
	for lang, u := range offices {
		m := h.waitText(u, want[lang][0])
		for _, w := range want[lang] {
			if !strings.Contains(m.Text, w) {
				t.Errorf("%s: the notice lacks %q:\n%s", lang, w, m.Text)
			}
		}
		cards[lang] = m
	}

	a := h.answer(offices["zh"], h.pressIn(offices["zh"], cards["zh"], "✔️ 确认"))
	if !strings.Contains(a.Text, "已确认") {
		t.Errorf("the confirm press answered %q", a.Text)
	}
	if s := h.status(number); s != "confirmed" {
		t.Fatalf("order %s is %s, want confirmed", ref, s)
	}
	h.waitText(offices["zh"], ref+" · 销售 · 已确认")
	h.waitText(buyer, "подтверждён")

	before := h.fingerprint()
	a = h.answer(offices["ru"], h.pressIn(offices["ru"], cards["ru"], "✔️ Подтвердить"))
	if !strings.Contains(a.Text, "ничего не изменено") {
		t.Errorf("a second confirm answered %q", a.Text)
	}
	if after := h.fingerprint(); after != before {
		t.Errorf("a second confirm changed\n%s\nto\n%s", before, after)
	}

	// With a coordinator for the village, an office member with alerts
	// off is no longer told; those with alerts on are.
	coord := h.staffUser(5204, "en", catalog.Coordinator, "beireng")
	second := h.placeSale(5301, "ru", "BR-COCOCHIPS")
	h.waitText(coord, fmt.Sprintf("New order #%d", second))
	h.waitText(offices["zh"], fmt.Sprintf("新订单 #%d", second))
	h.waitText(offices["ru"], fmt.Sprintf("Новый заказ #%d", second))
	if n := h.count(`SELECT count(*) FROM outbox WHERE chat_id = 5202 AND payload->>'order' = $1`, fmt.Sprint(second)); n != 0 {
		t.Errorf("the office member with alerts off was told of #%d", second)
	}
}

// A button pressed by someone whose role was revoked after the message
// was sent changes nothing and is answered with a toast.
func TestRevokedStaffButtonChangesNothing(t *testing.T) {
	t.Parallel()
	h := start(t)
	coord := h.staffUser(5211, "en", catalog.Coordinator, "maona")
	office := h.staffUser(5212, "ru", catalog.Office, "")
	h.grant(5213, catalog.Office, "")
	number := h.placeSale(5301, "zh", "MN-BLACKTEA")
	ref := fmt.Sprintf("#%d", number)
	cm := h.waitText(coord, "New order "+ref)
	if !strings.Contains(cm.Text, "Your village's lines: ¥") {
		t.Errorf("the coordinator's notice lacks their total:\n%s", cm.Text)
	}
	om := h.waitText(office, "Новый заказ "+ref)

	ctx := context.Background()
	for _, id := range []int64{5211, 5212} {
		if err := h.catalog.Revoke(ctx, id, "test"); err != nil {
			t.Fatal(err)
		}
	}
	before := h.fingerprint()
	if a := h.answer(coord, h.pressIn(coord, cm, "✅ Our lines are ready")); !strings.Contains(a.Text, "no longer") {
		t.Errorf("the revoked coordinator's press answered %q", a.Text)
	}
	for _, label := range []string{"✔️ Подтвердить", "✅ Готов", "✖️ Отменить"} {
		if a := h.answer(office, h.pressIn(office, om, label)); !strings.Contains(a.Text, "больше нет") {
			t.Errorf("the revoked office member's %q answered %q", label, a.Text)
		}
	}
	if after := h.fingerprint(); after != before {
		t.Errorf("revoked presses changed\n%s\nto\n%s", before, after)
	}
	if s := h.status(number); s != "placed" {
		t.Errorf("order is %s", s)
	}
}

// settableClock is a clock a test moves, safe for concurrent use.
type settableClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *settableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *settableClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// A sale left placed is reminded of to its coordinator and the office
// ORDER_REMIND before the hold ends it, once, also across a restart; then
// it expires and the customer is told what to do now.
func TestReminderBeforeExpiry(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	clock := &settableClock{t: time.Now()}
	h.orders.Now = clock.Now
	h.tune = []func(*app.Options){func(o *app.Options) {
		o.Bot.Hold, o.Bot.Remind, o.Bot.ExpireEvery = 48*time.Hour, 12*time.Hour, 20*time.Millisecond
	}}
	h.run()
	t.Cleanup(func() {
		h.stop()
		h.checkAfterRun(t)
	})
	coord := h.staffUser(5221, "ru", catalog.Coordinator, "maona")
	office := h.staffUser(5222, "zh", catalog.Office, "")
	buyer := h.user(5321, "en")
	buyer.Send("/start")
	h.waitText(buyer, "Welcome")

	number := h.placeSale(5321, "en", "MN-BLACKTEA")
	ref := fmt.Sprintf("#%d", number)
	placedAt := clock.Now()
	h.waitText(coord, "Новый заказ "+ref)
	h.waitText(office, "新订单 "+ref)

	deadline := placedAt.Add(48 * time.Hour).In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04")
	clock.Add(37 * time.Hour) // 11 h left
	m := h.waitText(coord, "всё ещё ждёт подтверждения")
	if !strings.Contains(m.Text, deadline) || !strings.Contains(m.Text, "MN-BLACKTEA") || len(m.Buttons()) == 0 {
		t.Errorf("the coordinator's reminder reads %q with buttons %v; want the deadline %s", m.Text, m.Buttons(), deadline)
	}
	m = h.waitText(office, "仍在等待确认")
	if !strings.Contains(m.Text, deadline) || !strings.Contains(strings.Join(m.Buttons(), " "), "✔️ 确认") {
		t.Errorf("the office's reminder reads %q with buttons %v", m.Text, m.Buttons())
	}

	// A restart does not remind again; the hold's end expires the sale.
	h.stop()
	h.run()
	clock.Add(12 * time.Hour)
	m = h.waitText(buyer, "was cancelled because no one could confirm it in time")
	if !strings.Contains(m.Text, "/start") {
		t.Errorf("the expiry notice does not say what to do now: %q", m.Text)
	}
	if s := h.status(number); s != "cancelled" {
		t.Errorf("order is %s", s)
	}
	if n := countMessages(coord.Messages(), "всё ещё ждёт"); n != 1 {
		t.Errorf("the coordinator was reminded %d times", n)
	}
	if n := countMessages(office.Messages(), "仍在等待确认"); n != 1 {
		t.Errorf("the office was reminded %d times", n)
	}
}

// A staff cancel asks for a reason and a confirmation; the customer is
// told the reason in their language, a typed one as typed; "keep" and a
// bad reason change nothing.
func TestStaffCancelAsksReasonAndConfirmation(t *testing.T) {
	t.Parallel()
	h := start(t)
	office := h.staffUser(5231, "en", catalog.Office, "")
	buyers := map[string]*telegramtest.User{"zh": h.user(5331, "zh"), "en": h.user(5332, "en"), "ru": h.user(5333, "ru")}
	numbers := map[string]int64{}
	cards := map[string]telegramtest.Message{}
	for i, lang := range []string{"zh", "en", "ru"} {
		numbers[lang] = h.placeSale(int64(5331+i), lang, "XL-COFFEE")
		cards[lang] = h.waitText(office, fmt.Sprintf("New order #%d", numbers[lang]))
	}

	// Keep: nothing changes.
	before := h.fingerprint()
	h.pressIn(office, cards["zh"], "✖️ Cancel")
	h.waitText(office, fmt.Sprintf("Why is order #%d", numbers["zh"]))
	h.press(office, "🙋 The customer asked")
	h.waitText(office, fmt.Sprintf("Cancel order #%d?", numbers["zh"]))
	h.press(office, "↩️ Keep the order")
	h.waitText(office, fmt.Sprintf("#%d · sale · placed", numbers["zh"]))
	if after := h.fingerprint(); after != before {
		t.Fatalf("keeping the order changed\n%s\nto\n%s", before, after)
	}

	// A typed reason, too long then right, then confirmed.
	zh := fmt.Sprintf("#%d", numbers["zh"])
	h.pressIn(office, cards["zh"], "✖️ Cancel")
	h.waitText(office, "Why is order "+zh)
	h.press(office, "✏️ Other (type it)")
	h.waitText(office, "Type the reason")
	office.Send(strings.Repeat("long ", 50))
	h.waitText(office, "up to 200 characters")
	office.Send("展位因台风关闭 <b>")
	h.waitText(office, "Reason: 展位因台风关闭 <b>")
	if after := h.fingerprint(); after != before {
		t.Fatalf("asking changed\n%s\nto\n%s", before, after)
	}
	h.press(office, "✖️ Yes, cancel the order")
	h.waitText(office, zh+" · sale · cancelled")
	h.waitText(buyers["zh"], "原因：展位因台风关闭 <b>")

	// From /status, with reasons told in the customer's language.
	var yes struct {
		id   int
		data string
	}
	for lang, c := range map[string]struct{ label, told string }{
		"en": {"🕓 Not collected", "it was not collected"},
		"ru": {"📦 Out of stock", "части товаров нет в наличии"},
	} {
		ref := fmt.Sprintf("#%d", numbers[lang])
		office.Send("/status " + ref + " cancelled")
		h.waitText(office, "Why is order "+ref)
		h.press(office, c.label)
		sure := h.waitText(office, "Cancel order "+ref+"?")
		yes.id, yes.data = sure.ID, buttonData(sure, "✖️ Yes, cancel the order")
		h.pressIn(office, sure, "✖️ Yes, cancel the order")
		h.waitText(office, ref+" · sale · cancelled")
		h.waitText(buyers[lang], c.told)
	}
	var notes []string
	if err := h.db.Select(&notes, `SELECT e.note FROM order_events e JOIN orders o ON o.id = e.order_id
		WHERE e.to_status = 'cancelled' AND e.actor = 'telegram:5231' ORDER BY o.number`); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(notes, "|"); got != "other: 展位因台风关闭 <b>|not_collected|out_of_stock" {
		t.Errorf("the cancellations' notes are %q", got)
	}

	// A confirm pressed again, on an order cancelled already, changes
	// nothing.
	before = h.fingerprint()
	again, err := office.PressData(yes.id, yes.data)
	if err != nil {
		t.Fatal(err)
	}
	a := h.answer(office, again)
	if !strings.Contains(a.Text, "nothing was changed") {
		t.Errorf("cancelling again answered %q", a.Text)
	}
	if after := h.fingerprint(); after != before {
		t.Errorf("cancelling again changed\n%s\nto\n%s", before, after)
	}
}

// /pending shows a coordinator only their lines and their total, with
// the button of their next step; office staff see every line and theirs.
func TestPendingShowsEachReaderTheirLinesAndButtons(t *testing.T) {
	t.Parallel()
	h := start(t)
	coord := h.staffUser(5241, "zh", catalog.Coordinator, "maona")
	office := h.staffUser(5242, "en", catalog.Office, "")
	number := h.placeSale(5341, "en", "MN-BLACKTEA", "XL-COFFEE")
	ref := fmt.Sprintf("#%d", number)
	tea, coffee := h.product("MN-BLACKTEA"), h.product("XL-COFFEE")
	h.waitText(coord, "新订单 "+ref)

	coord.Send("/pending")
	m := h.waitText(coord, ref)
	if strings.Contains(m.Text, "XL-COFFEE") || !strings.Contains(m.Text, "MN-BLACKTEA") ||
		!strings.Contains(m.Text, "本村商品小计：¥"+tea.Price.String()) {
		t.Errorf("the coordinator's /pending reads:\n%s", m.Text)
	}
	if got := m.Buttons(); len(got) != 1 || got[0] != ref+" ✅ 本村商品已备好" {
		t.Errorf("the coordinator's /pending buttons: %v", got)
	}
	h.answer(coord, h.pressIn(coord, m, ref+" ✅ 本村商品已备好"))
	h.waitFor("the village's lines ready", func() bool {
		return h.count(`SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id
			WHERE o.number = $1 AND l.ready_at IS NOT NULL AND l.sku = 'MN-BLACKTEA'`, number) == 1
	})
	m = h.waitText(coord, ref)
	if len(m.Buttons()) != 0 {
		t.Errorf("after marking ready the coordinator still sees %v", m.Buttons())
	}

	office.Send("/pending")
	m = h.waitText(office, ref)
	total := tea.Price + coffee.Price
	if !strings.Contains(m.Text, "XL-COFFEE") || !strings.Contains(m.Text, "MN-BLACKTEA") || !strings.Contains(m.Text, "Total: ¥"+total.String()) {
		t.Errorf("the office's /pending reads:\n%s", m.Text)
	}
	if got := strings.Join(m.Buttons(), "|"); got != ref+" ✅ Ready|"+ref+" ✖️ Cancel" {
		t.Errorf("the office's /pending buttons: %s", got)
	}
}

// waitFor is waitFor for this harness's test.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	waitFor(h.t, wait, what, cond)
}

// A gift order's notice carries what its readers need: that it is a gift,
// the occasion, recipient and country, the date needed and the notes; a
// coordinator reads their village's lines only. The office member who
// placed it is not told of it; another is, with every line.
func TestGiftNoticeCarriesDateAndNotes(t *testing.T) {
	t.Parallel()
	h := start(t)
	placer := h.staffUser(5251, "en", catalog.Office, "")
	coord := h.staffUser(5252, "ru", catalog.Coordinator, "maona")
	other := h.staffUser(5253, "zh", catalog.Office, "")
	needed := time.Date(2027, 3, 24, 0, 0, 0, 0, time.UTC)
	o, _, err := h.orders.Place(context.Background(), orders.PlaceRequest{
		Token: "gift-notice", Kind: orders.Gift,
		Customer: orders.Customer{TelegramID: 5251, ChatID: 5251, Language: "en"},
		Occasion: "Boao Forum 2027", Recipient: "Delegation of Kazakhstan", Country: "Kazakhstan",
		NeededBy: &needed, Notes: "Wrap in red paper",
		Lines: []orders.LineRequest{{ProductID: h.product("MN-BLACKTEA").ID, Quantity: 2}, {ProductID: h.product("SM-COCOCARVE").ID, Quantity: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := h.waitText(coord, "Новый заказ "+o.Ref())
	for _, want := range []string{"(подарок)", "Boao Forum 2027 · Delegation of Kazakhstan · Kazakhstan", "Нужен к 2027-03-24", "Wrap in red paper", "MN-BLACKTEA"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the coordinator's gift notice lacks %q:\n%s", want, m.Text)
		}
	}
	if strings.Contains(m.Text, "SM-COCOCARVE") {
		t.Errorf("the coordinator reads another village's line:\n%s", m.Text)
	}
	m = h.waitText(other, "新订单 "+o.Ref())
	for _, want := range []string{"需要日期：2027-03-24", "Wrap in red paper", "MN-BLACKTEA", "SM-COCOCARVE"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the office's gift notice lacks %q:\n%s", want, m.Text)
		}
	}
	if n := countMessages(placer.Messages(), o.Ref()); n != 0 {
		t.Errorf("the office member who placed the gift was told of it %d times", n)
	}
}

// /alerts says whether alerts are on, turns them off and on, answers a
// malformed argument with its usage, and is refused to anyone but office
// staff, changing nothing.
func TestAlertsCommand(t *testing.T) {
	t.Parallel()
	h := start(t)
	office := h.staffUser(5261, "zh", catalog.Office, "")
	coord := h.staffUser(5262, "ru", catalog.Coordinator, "maona")
	visitor := h.user(5263, "en")
	alerts := func() bool {
		on, err := h.catalog.Alerts(context.Background(), 5261)
		if err != nil {
			t.Fatal(err)
		}
		return on
	}

	office.Send("/alerts")
	h.waitText(office, "订单提醒已开启")
	office.Send("/alerts maybe")
	h.waitText(office, "用法：/alerts on · /alerts off")
	if !alerts() {
		t.Fatal("a malformed /alerts turned alerts off")
	}
	office.Send("/alerts OFF")
	h.waitText(office, "订单提醒已关闭")
	if alerts() {
		t.Fatal("/alerts off left alerts on")
	}
	before := h.fingerprint()
	coord.Send("/alerts on")
	h.waitText(coord, "для сотрудников офиса")
	visitor.Send("/alerts on")
	h.waitText(visitor, "This command is for office staff.")
	if after := h.fingerprint(); after != before || alerts() {
		t.Errorf("a refused /alerts changed something")
	}
	office.Send("/alerts on")
	h.waitText(office, "订单提醒已开启")
	if !alerts() {
		t.Error("/alerts on left alerts off")
	}
}
