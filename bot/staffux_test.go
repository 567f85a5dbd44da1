package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"villagebot/bot/telegramtest"
	"villagebot/catalog"
)

// pressData presses the first button whose callback data starts with
// prefix on the newest bot message that has one: a press that does not
// depend on the language of the labels.
func (h *harness) pressData(u *telegramtest.User, prefix string) string {
	h.t.Helper()
	return h.pressMatching(u, "data "+prefix, func(b telegramtest.Button) bool { return strings.HasPrefix(b.CallbackData, prefix) })
}

// A gift order survives a shortage, in every language: a quantity above
// the stock is refused with how many are left; an answer is edited from
// the summary without retyping the others; a line that runs short at
// confirm keeps every answer, the office takes what is left with one
// button, and the order placed after the fix holds the edited answers
// and takes the next order number (the refused attempt left no gap).
func TestGiftOrderSurvivesAShortage(t *testing.T) {
	t.Parallel()
	h := start(t)
	ctx := context.Background()
	for i, tc := range []struct {
		lang, left, short string
	}{
		{"en", "Only 12 of", "not enough stock"},
		{"zh", "只剩 12 件", "库存不足"},
		{"ru", "осталось только 12", "не хватает товара"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			h := h.with(t)
			id := int64(5601 + i)
			office := h.user(id, tc.lang)
			if _, err := h.catalog.Grant(ctx, id, catalog.Office, "", "test"); err != nil {
				t.Fatal(err)
			}
			if _, err := h.catalog.SetStock(ctx, "LI-BROCADE", 12, "test"); err != nil {
				t.Fatal(err)
			}
			brocade := h.product("LI-BROCADE")
			office.Send("/gift")
			h.waitButton(office, brocade.Name.Get(tc.lang))
			h.pressData(office, fmt.Sprintf("gp:%d", brocade.ID))
			h.waitText(office, "12")
			office.Send("13")
			h.waitText(office, tc.left)
			office.Send("5")
			h.waitButton(office, "➡️")
			h.pressData(office, "gn")
			for _, answer := range []string{"Boao Forum", "Delegation of Kazakhstan", "Kazakhstan", time.Now().AddDate(0, 0, 7).Format("2006-01-02")} {
				n := len(office.Messages())
				office.Send(answer)
				h.waitMessages(office, n+2)
			}
			office.Send("Red paper")
			h.waitButton(office, "✏️")

			// Edit the occasion: its question comes with the answer now
			// given, and the summary comes back with the others kept.
			h.pressData(office, "ge:1")
			h.waitText(office, "Boao Forum")
			office.Send("Boao Forum 2027")
			m := h.waitButton(office, "✏️")
			for _, want := range []string{"Boao Forum 2027", "Delegation of Kazakhstan", "Red paper", "× 5"} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("the summary after the edit lacks %q:\n%s", want, m.Text)
				}
			}

			// The stock falls to 3 before the confirm press.
			if _, err := h.catalog.SetStock(ctx, "LI-BROCADE", 3, "test"); err != nil {
				t.Fatal(err)
			}
			before := h.count(`SELECT count(*) FROM orders`)
			last := h.count(`SELECT coalesce(max(number), 1000) FROM orders`)
			h.answer(office, h.pressData(office, "gy:"))
			short := h.waitText(office, tc.short)
			if !strings.Contains(short.Text, "5") || !strings.Contains(short.Text, "3") {
				t.Errorf("the shortage does not say 5 wanted, 3 left:\n%s", short.Text)
			}
			if n := h.count(`SELECT count(*) FROM orders`); n != before {
				t.Fatalf("a short gift order placed something: %d orders, %d before", n, before)
			}
			h.answer(office, h.pressData(office, fmt.Sprintf("gf:%d:3", brocade.ID)))
			m = h.waitButton(office, "✏️")
			if !strings.Contains(m.Text, "× 3") || !strings.Contains(m.Text, "Boao Forum 2027") {
				t.Errorf("the summary after the fix:\n%s", m.Text)
			}
			h.answer(office, h.pressData(office, "gy:"))
			waitFor(t, wait, "the gift order placed", func() bool { return h.count(`SELECT count(*) FROM orders`) == before+1 })
			number := h.count(`SELECT max(number) FROM orders`)
			h.waitText(office, fmt.Sprintf("#%d", number))
			if gapless(h) && number != last+1 {
				t.Errorf("the gift order placed after a refusal is #%d, the last one before #%d: a gap", number, last)
			}
			var occasion, recipient, notes string
			var qty int
			err := h.db.QueryRow(`SELECT o.occasion, o.recipient, o.notes, l.quantity FROM orders o JOIN order_lines l ON l.order_id = o.id
				WHERE o.number = $1`, number).Scan(&occasion, &recipient, &notes, &qty)
			if err != nil {
				t.Fatal(err)
			}
			if occasion != "Boao Forum 2027" || recipient != "Delegation of Kazakhstan" || notes != "Red paper" || qty != 3 {
				t.Errorf("placed %q, %q, %q, × %d", occasion, recipient, notes, qty)
			}
		})
	}
}

// gapless reports whether order numbers are allocated gaplessly, on
// success only: the domain branch's order_numbers table. Until that is
// merged a refused order uses up a sequence number, and the gap is not
// this branch's to check; once it is, the check runs.
func gapless(h *harness) bool {
	return h.count(`SELECT count(*) FROM information_schema.tables WHERE table_name = 'order_numbers' AND table_schema = current_schema()`) == 1
}

// waitMessages waits until the chat holds at least n messages.
func (h *harness) waitMessages(u *telegramtest.User, n int) {
	h.t.Helper()
	if _, err := u.WaitFor(wait, func(ms []telegramtest.Message) bool { return len(ms) >= n }); err != nil {
		h.t.Fatal(err)
	}
}

// A confirm press after a price changed places nothing and shows the
// summary again, with the new price.
func TestGiftConfirmAfterAPriceChangeShowsTheSummaryAgain(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	office := us.office
	brocade := h.product("LI-BROCADE")
	office.Send("/gift")
	h.waitText(office, "Gift order")
	h.pressData(office, fmt.Sprintf("gp:%d", brocade.ID))
	h.waitText(office, "How many")
	office.Send("1")
	h.waitButton(office, "Next")
	h.pressData(office, "gn")
	for _, a := range []string{"Occasion", "Recipient", "Country", time.Now().AddDate(0, 0, 3).Format("2006-01-02"), "-"} {
		n := len(office.Messages())
		office.Send(a)
		h.waitMessages(office, n+2)
	}
	h.waitButton(office, "Place the gift order")
	if _, err := h.catalog.SetPrice(context.Background(), "LI-BROCADE", brocade.Price+100, "test"); err != nil {
		t.Fatal(err)
	}
	h.answer(office, h.pressData(office, "gy:"))
	m := h.waitText(office, "Prices changed")
	if !strings.Contains(m.Text, (brocade.Price + 100).String()) {
		t.Errorf("the summary shown again lacks the new price:\n%s", m.Text)
	}
	if n := h.count(`SELECT count(*) FROM orders`); n != 0 {
		t.Errorf("%d orders placed at a changed price", n)
	}
	h.answer(office, h.pressData(office, "gy:"))
	h.waitText(office, "is placed")
}

// Money arguments take what people type and say what was wrong, in their
// language.
func TestPriceArgumentsInEveryLanguage(t *testing.T) {
	t.Parallel()
	h := start(t)
	ctx := context.Background()
	for i, tc := range []struct{ lang, grouping, negative string }{
		{"en", "thousands separators", "cannot be negative"},
		{"zh", "千位分隔符", "不能为负数"},
		{"ru", "Разделители тысяч", "не может быть отрицательной"},
	} {
		id := int64(5701 + i)
		u := h.user(id, tc.lang)
		if _, err := h.catalog.Grant(ctx, id, catalog.Coordinator, "maona", "test"); err != nil {
			t.Fatal(err)
		}
		u.Send("/price MN-BLACKTEA 1,00")
		h.waitText(u, tc.grouping)
		u.Send("/price MN-BLACKTEA -5")
		h.waitText(u, tc.negative)
		for in, want := range map[string]catalog.Money{"￥１，２８０": 128000, "158元": 15800, "1,280.50": 128050} {
			u.Send("/price MN-BLACKTEA " + in)
			h.waitText(u, map[string]map[catalog.Money]string{
				"en": {128000: "¥1,280.00", 15800: "¥158.00", 128050: "¥1,280.50"},
				"zh": {128000: "¥1,280.00", 15800: "¥158.00", 128050: "¥1,280.50"},
				"ru": {128000: "1\u00a0280,00\u00a0¥", 15800: "158,00\u00a0¥", 128050: "1\u00a0280,50\u00a0¥"},
			}[tc.lang][want])
			if h.product("MN-BLACKTEA").Price != want { // more than ×3 either way asks first
				h.answer(u, h.pressData(u, "prs:"))
				h.waitFor("the confirmed price", func() bool { return h.product("MN-BLACKTEA").Price == want })
			}
			if p := h.product("MN-BLACKTEA"); p.Price != want {
				t.Errorf("/price %s set %s", in, p.Price)
			}
		}
	}
}

// /staff lists names, ids and roles for the office only; /qr of a hidden
// product warns; office staff pick the village of a new product by
// button; import errors come in the coordinator's language.
func TestStaffErgonomics(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	if _, err := h.db.Exec(`INSERT INTO customers (telegram_id, chat_id, username, first_name, language) VALUES (5002, 5002, 'wang_mn', 'Wang Li', 'zh')`); err != nil {
		t.Fatal(err)
	}
	us.office.Send("/staff")
	m := h.waitText(us.office, "Staff")
	for _, want := range []string{"Wang Li @wang_mn · 5002 · coordinator of maona", "5003 · coordinator of xinglong", "5004 · office staff", "(no name yet)"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("/staff lacks %q:\n%s", want, m.Text)
		}
	}
	us.own.Send("/staff")
	h.waitText(us.own, "office staff")
	if n := countMessages(us.own.Messages(), "Wang Li"); n != 0 {
		t.Errorf("a coordinator was shown the staff list")
	}

	us.office.Send("/hide MN-BLACKTEA")
	h.waitText(us.office, "MN-BLACKTEA")
	us.office.Send("/qr MN-BLACKTEA")
	if qr := h.waitText(us.office, "is hidden"); qr.Document == nil || !strings.Contains(qr.Caption, "/show MN-BLACKTEA") {
		t.Errorf("/qr of a hidden product: %+v", qr)
	}
	us.office.Send("/qr BS-GREENTEA")
	if qr := h.waitText(us.office, "Baisha Green Tea"); strings.Contains(qr.Caption, "hidden") {
		t.Errorf("/qr of a visible product warns: %q", qr.Caption)
	}

	us.office.Send("/newproduct")
	h.waitButton(us.office, "Maona Village")
	h.answer(us.office, h.press(us.office, "Maona Village"))
	h.waitText(us.office, "Send its SKU")
	us.office.Send("/cancel")

	zh := h.user(5702, "zh")
	if _, err := h.catalog.Grant(context.Background(), 5702, catalog.Coordinator, "maona", "test"); err != nil {
		t.Fatal(err)
	}
	broken := "sku,village,category,name_en,price,stock\n" +
		"MN-A,maona,tea,A,abc,5\n"
	zh.SendDocument("broken.csv", "text/csv", []byte(broken), "/import")
	r := h.waitText(zh, "文件未导入")
	if want := "broken.csv:2: price: 应为以元计、最多两位小数的金额，如 88 或 88.50\n"; !strings.Contains(r.Text+"\n", want) {
		t.Errorf("the Chinese rejection lacks %q:\n%s", want, r.Text)
	}
	other := "sku,village,category,name_en,price,stock\n" +
		"XL-B,xinglong,coffee,B,1.00,2\n"
	zh.SendDocument("other.csv", "text/csv", []byte(other), "/import")
	r = h.waitText(zh, "other.csv:2")
	if want := "other.csv:2: village: 本次导入只限村庄 maona"; !strings.Contains(r.Text, want) {
		t.Errorf("the Chinese rejection lacks %q:\n%s", want, r.Text)
	}
}

// A role granted to someone who never opened the bot cannot set their
// menu then; it is set at their first update.
func TestCommandMenuSetAtFirstUpdateAfterAGrant(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	us.office.Send("/grant 5801 coordinator maona")
	h.waitText(us.office, "5801 is now coordinator of maona")
	newcomer := h.srv.AddUser(telegramtest.UserConfig{ID: 5801, FirstName: "Chen", LanguageCode: "zh"})
	if c := newcomer.Commands(); len(c) != 0 {
		t.Fatalf("a menu before the chat was opened: %v", c)
	}
	newcomer.Send("/start")
	h.waitText(newcomer, "欢迎")
	var names []string
	for _, c := range newcomer.Commands() {
		names = append(names, c.Command)
	}
	if got := strings.Join(names, ","); !strings.Contains(got, "stock") || strings.Contains(got, "grant") {
		t.Errorf("the new coordinator's menu at their first update: %s", got)
	}
}
