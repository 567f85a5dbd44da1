package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"villagebot/bot/telegramtest"
	"villagebot/catalog"
)

// A session stored by the bot before typed flows (answers in "data", no
// version) is read by this one without an error: the answer to the old
// flow's question, or a press of its confirm button, is told the bot lost
// track and the flow starts again; language and cart are kept, and the
// session is stored anew in the current shape.
func TestOldSessionRestartsItsFlowPolitely(t *testing.T) {
	t.Parallel()
	h := start(t)
	ctx := context.Background()
	u := h.user(3901, "en")
	u.Send("/start")
	welcome := h.waitText(u, "Welcome")
	tea := h.product("MN-BLACKTEA")
	key := fmt.Sprintf("%ssession:%d", h.prefix, u.ID())
	old := func(step, data string) {
		t.Helper()
		raw := fmt.Sprintf(`{"flow":"checkout","step":%q,"data":%s,"cart":[{"p":%d,"q":2,"s":%d}],"screen":%d}`,
			step, data, tea.ID, int64(tea.Price), welcome.ID)
		if err := h.rdb.Set(ctx, key, raw, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	lost := sessionLostWords["en"]

	old("phone", `{"name":"Anna"}`)
	if m := h.reply(u, "+86 138 0013 8000"); !strings.Contains(m.Text, lost) || len(m.InlineKeyboard) == 0 {
		t.Errorf("the answer to the old flow's question got %q, want the restart message with the menu", m.Text)
	}
	h.until("the session stored in the current shape", func() bool {
		var s struct {
			V    int    `json:"v"`
			Flow string `json:"flow"`
			Data any    `json:"data"`
		}
		b, err := h.rdb.Get(ctx, key).Bytes()
		return err == nil && json.Unmarshal(b, &s) == nil && s.V > 1 && s.Flow == "" && s.Data == nil
	})

	old("confirm", `{"name":"Anna","phone":"+8613800138000","delivery":"pickup","token":"0123456789abcdef"}`)
	id, err := u.PressData(welcome.ID, "cc:0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	if a := h.answer(u, id); !strings.Contains(a.Text, lost) {
		t.Errorf("the old summary's confirm was answered %q", a.Text)
	}
	if n := h.count(`SELECT count(*) FROM orders`); n != 0 {
		t.Errorf("%d orders placed from an old session", n)
	}
	if m := h.reply(u, "/cart"); !strings.Contains(m.Text, tea.Name.Get("en")) || !strings.Contains(m.Text, "2 ×") {
		t.Errorf("the cart after the restart is %q; want the old session's cart", m.Text)
	}
}

// Text with NUL and other control characters is cleaned before it reaches a query or a log: /search answers normally, and
// nothing is logged as an error (checked after the run).
func TestControlCharactersAreCleanedBeforeQueries(t *testing.T) {
	t.Parallel()
	h := start(t)
	u := h.user(3902, "en")
	for _, text := range []string{"/search black\x00tea", "/search black\atea\u0085", "/search \x00black\x7ftea"} {
		m := h.reply(u, text)
		if !strings.Contains(m.Text, "Results for «blacktea»") && !strings.Contains(m.Text, "Nothing found for «blacktea»") {
			t.Errorf("%q was answered %q", text, m.Text)
		}
	}
	u.Send("/search")
	h.waitText(u, "Send me a word")
	if m := h.reply(u, "black\x00 tea"); !strings.Contains(m.Text, "Results for «black tea»") {
		t.Errorf("a query with NUL after the prompt was answered %q", m.Text)
	}
}

// waitEdited waits until message id of u's chat reads s, and returns it.
func (h *harness) waitEdited(u *telegramtest.User, id int, s string) telegramtest.Message {
	h.t.Helper()
	var got telegramtest.Message
	if _, err := u.WaitFor(wait, func(ms []telegramtest.Message) bool {
		for _, m := range ms {
			if m.ID == id && strings.Contains(m.Text, s) {
				got = m
				return true
			}
		}
		return false
	}); err != nil {
		h.t.Fatal(err)
	}
	return got
}

// pressOn presses the button of m whose label contains label.
func (h *harness) pressOn(u *telegramtest.User, m telegramtest.Message, label string) string {
	h.t.Helper()
	data := buttonData(m, label)
	if data == "" {
		h.t.Fatalf("no button %q on %q", label, m.Text)
	}
	id, err := u.PressData(m.ID, data)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

// A confirm press places exactly the summary it belongs to: a line added
// on an older product card, or a price raised, after the summary was
// shown places nothing and shows the new summary with the change marked;
// confirming that one places it.
func TestConfirmPlacesWhatTheSummaryShowed(t *testing.T) {
	t.Parallel()
	h := start(t)
	ctx := context.Background()
	changed := "nothing was placed"

	t.Run("a line added on an old product card", func(t *testing.T) {
		h := h.with(t)
		u := h.user(3903, "en")
		sum := h.checkout(u, "XL-PEPPER", 2)
		if a := h.answer(u, h.pressContaining(u, "🛒 Add")); !strings.Contains(a.Text, "Added 1") {
			t.Fatalf("the old card's Add was answered %q", a.Text)
		}
		id, err := u.PressData(sum.ID, confirmData(t, sum))
		if err != nil {
			t.Fatal(err)
		}
		if a := h.answer(u, id); !strings.Contains(a.Text, "nothing was placed") {
			t.Errorf("the confirm press was answered %q", a.Text)
		}
		again := h.waitEdited(u, sum.ID, changed)
		if !strings.Contains(again.Text, "3 ×") || !strings.Contains(again.Text, "(quantity was 2)") {
			t.Errorf("the new summary reads %q", again.Text)
		}
		if n := h.count(`SELECT count(*) FROM orders WHERE customer_id = $1`, u.ID()); n != 0 {
			t.Fatalf("%d orders placed from a summary that no longer held", n)
		}
		h.answer(u, h.pressOn(u, again, "✅ Confirm order"))
		h.waitText(u, "is placed")
		if q := h.count(`SELECT sum(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.customer_id = $1`, u.ID()); q != 3 {
			t.Errorf("the order holds %d units, want the 3 of the new summary", q)
		}
	})

	t.Run("a price raised by a coordinator", func(t *testing.T) {
		h := h.with(t)
		u := h.user(3904, "en")
		sum := h.checkout(u, "MN-SHANLAN", 1)
		old := h.product("MN-SHANLAN").Price
		if _, err := h.catalog.SetPrice(ctx, "MN-SHANLAN", 99900, "telegram:1"); err != nil {
			t.Fatal(err)
		}
		id, err := u.PressData(sum.ID, confirmData(t, sum))
		if err != nil {
			t.Fatal(err)
		}
		h.answer(u, id)
		again := h.waitEdited(u, sum.ID, changed)
		if !strings.Contains(again.Text, "¥999.00") || !strings.Contains(again.Text, "(was ¥"+old.String()+")") {
			t.Errorf("the new summary reads %q", again.Text)
		}
		if n := h.count(`SELECT count(*) FROM orders WHERE customer_id = $1`, u.ID()); n != 0 {
			t.Errorf("%d orders placed at a price the summary did not show", n)
		}
	})

	t.Run("a gift order's price raised", func(t *testing.T) {
		h := h.with(t)
		u := h.user(3905, "en")
		if _, err := h.catalog.Grant(ctx, u.ID(), catalog.Office, "", "test"); err != nil {
			t.Fatal(err)
		}
		u.Send("/gift")
		h.waitText(u, "Gift order")
		h.pressContaining(u, "Li Brocade Wall Hanging")
		h.waitText(u, "How many")
		u.Send("2")
		h.waitButton(u, "Next")
		h.pressContaining(u, "Next")
		for _, answer := range []string{"Boao Forum", "Delegation", "Kazakhstan", "2030-05-01", "-"} {
			h.reply(u, answer)
		}
		sum := h.waitButton(u, "Place the gift order")
		if _, err := h.catalog.SetPrice(ctx, "LI-BROCADE", 88800, "telegram:1"); err != nil {
			t.Fatal(err)
		}
		h.answer(u, h.pressOn(u, sum, "✅ Place the gift order"))
		again := h.waitEdited(u, sum.ID, changed)
		if !strings.Contains(again.Text, "¥1,776.00") || !strings.Contains(again.Text, "(was ¥680.00)") {
			t.Errorf("the new gift summary reads %q", again.Text)
		}
		if n := h.count(`SELECT count(*) FROM orders WHERE kind = 'gift'`); n != 0 {
			t.Errorf("%d gift orders placed at a price the summary did not show", n)
		}
	})
}

// /stock of a village with more products than a message holds pages
// within the village with buttons, for its coordinator and for office
// staff, and a page button is checked against the presser's role.
func TestStockPagesWithinAVillage(t *testing.T) {
	t.Parallel()
	h := start(t)
	ctx := context.Background()
	maona, err := h.catalog.VillageByCode(ctx, "maona")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 80; i++ {
		p := catalog.Product{SKU: fmt.Sprintf("MN-EXTRA-%03d", i), VillageID: maona.ID, VillageCode: "maona",
			Category: catalog.Categories[0], Name: catalog.Texts{"en": fmt.Sprintf("Extra tea no. %d", i)},
			Price: 1000, Stock: i, Visible: true}
		if _, err := h.catalog.CreateProduct(ctx, p, "telegram:1"); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	if err := h.db.Select(&want, `SELECT sku FROM products WHERE village_id = $1 ORDER BY sku`, maona.ID); err != nil {
		t.Fatal(err)
	}
	us := h.staffUsers()
	skuRE := regexp.MustCompile(`(?m)^([A-Z0-9-]+) · `)
	// pages reads every page of the list m starts, pressing ▶️.
	pages := func(u *telegramtest.User, m telegramtest.Message) []string {
		t.Helper()
		var got []string
		for page := 1; ; page++ {
			if !strings.Contains(m.Text, fmt.Sprintf("page %d of 3", page)) {
				t.Fatalf("page %d reads %q", page, m.Text)
			}
			for _, s := range skuRE.FindAllStringSubmatch(m.Text, -1) {
				got = append(got, s[1])
			}
			if page == 3 {
				return got
			}
			h.answer(u, h.pressOn(u, m, "▶️"))
			m = h.waitEdited(u, m.ID, fmt.Sprintf("page %d of 3", page+1))
		}
	}
	slices.Sort(want)
	got := pages(us.own, h.reply(us.own, "/stock"))
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("the coordinator's pages list %d products, want the village's %d:\n%v", len(got), len(want), got)
	}

	overview := h.reply(us.office, "/stock")
	h.answer(us.office, h.pressOn(us.office, overview, "Maona Village (83)"))
	got = pages(us.office, h.waitEdited(us.office, overview.ID, "page 1 of 3"))
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("the office's pages list %d products, want %d", len(got), len(want))
	}

	// Another village's coordinator pressing a forged page button.
	m := h.reply(us.other, "/stock")
	id, err := us.other.PressData(m.ID, fmt.Sprintf("sp:%d:1", maona.ID))
	if err != nil {
		t.Fatal(err)
	}
	if a := h.answer(us.other, id); !strings.Contains(a.Text, "belongs to another village") {
		t.Errorf("another village's page was answered %q", a.Text)
	}
	h.settle(us.other)
	if n := countMessages(us.other.Messages(), "MN-EXTRA"); n != 0 {
		t.Errorf("another village's coordinator was shown Maona's products")
	}
}

// In a group the shop points to the private chat: /start, deep links,
// visitor commands and button presses get one short message with a button
// opening the private chat (same payload); staff commands are refused;
// nothing of anyone's cart, orders, phone or address is shown there; and
// sessions stay per user.
func TestGroupChatsPointToThePrivateChat(t *testing.T) {
	t.Parallel()
	h := start(t)
	ctx := context.Background()
	us := h.staffUsers()
	group := h.srv.AddGroup(-1001234567890, "Forum guests", true)
	a, b := h.user(3911, "en"), h.user(3912, "en")
	inA, inB, office := group.Member(a), group.Member(b), group.Member(us.office)

	// A has a cart and an order, made in the private chat.
	h.checkout(a, "MN-BLACKTEA", 1)
	h.answer(a, h.pressContaining(a, "✅ Confirm order"))
	h.waitText(a, "is placed")
	card := h.reply(a, "/start p_XL-PEPPER")
	h.answer(a, h.pressOn(a, card, "🛒 Add"))
	h.settle(a)

	link := "https://t.me/" + h.bot.Username()
	pointer := func(u *telegramtest.User, text, wantURL string) {
		t.Helper()
		m := h.reply(u, text)
		if !strings.Contains(m.Text, "private chat") || len(m.InlineKeyboard) != 1 || m.InlineKeyboard[0][0].URL != wantURL {
			t.Errorf("%q in the group was answered %q %+v; want the pointer to %s", text, m.Text, m.InlineKeyboard, wantURL)
		}
	}
	pointer(inA, "/start", link)
	pointer(inB, "/start p_MN-BLACKTEA", link+"?start=p_MN-BLACKTEA")
	pointer(inB, "/start@"+h.bot.Username()+" v_maona", link+"?start=v_maona")
	pointer(inB, "/cart", link)
	pointer(inA, "/orders", link)
	m := h.reply(office, "/pending")
	if !strings.Contains(m.Text, "use a private chat") {
		t.Errorf("/pending in the group was answered %q", m.Text)
	}
	id, err := inB.PressData(m.ID, cbCartData)
	if err != nil {
		t.Fatal(err)
	}
	if ans := h.answer(inB, id); !strings.Contains(ans.Text, "private chat") {
		t.Errorf("a cart press in the group was answered %q", ans.Text)
	}
	inA.Send("/start@someotherbot")
	inA.Send("hello everyone")
	pointer(inA, "/help", link)

	for _, m := range inA.Messages() {
		for _, leak := range []string{"+86", "Pepper", "Black Tea", "#10", "Guest", "Your cart", "¥"} {
			if m.FromBot && strings.Contains(m.Text, leak) {
				t.Errorf("the group was shown %q: %q", leak, m.Text)
			}
		}
	}
	if n := countMessages(inA.Messages(), ""); n != 8 {
		t.Errorf("%d bot messages in the group, want one per command or press addressed to the bot (8)", n)
	}
	if n, err := h.rdb.Exists(ctx, fmt.Sprintf("%ssession:%d", h.prefix, group.ID())).Result(); err != nil || n != 0 {
		t.Errorf("a session of the group itself is kept (%d, %v)", n, err)
	}
	// A's private cart is A's alone; B's is empty.
	if m := h.reply(b, "/cart"); !strings.Contains(m.Text, "empty") {
		t.Errorf("B's private cart after the group reads %q", m.Text)
	}
	if m := h.reply(a, "/cart"); !strings.Contains(m.Text, "Pepper") {
		t.Errorf("A's private cart after the group reads %q", m.Text)
	}
}

// cbCartData is the cart button's data, as a forged press in a group sends it.
const cbCartData = "k"

// Text that does not fit a step waiting for a button press asks that step
// again, with its buttons, in the user's language — never the main menu
// while a flow is open — and the flow goes on from there.
func TestTextAtAButtonStepAsksThatStepAgain(t *testing.T) {
	t.Parallel()
	h := start(t)
	u := h.user(3921, "ru")
	u.Send("/start p_XL-PEPPER")
	h.answer(u, h.pressOn(u, h.waitButton(u, "🛒"), "🛒"))
	h.reply(u, "/cart")
	h.answer(u, h.pressContaining(u, "✅"))
	h.waitText(u, "имя")
	u.Send("Анна")
	h.waitText(u, "телефон")
	h.reply(u, "+86 138 0013 8000")
	h.waitButton(u, "🏪")
	notMenu := func(m telegramtest.Message, want string) {
		t.Helper()
		if buttonData(m, "🏡") != "" || !hasButton(want)(m) {
			t.Errorf("text at the step was answered %q %v; want the step again with %q", m.Text, m.Buttons(), want)
		}
	}
	m := h.reply(u, "привет")
	notMenu(m, "🏪")
	h.answer(u, h.pressOn(u, m, "🏪"))
	sum := h.waitButton(u, "✅")
	m = h.reply(u, "что дальше?")
	notMenu(m, "✅")
	if !strings.Contains(m.Text, "Анна") {
		t.Errorf("the summary asked again reads %q", m.Text)
	}
	h.answer(u, h.pressOn(u, sum, "✅")) // the old summary's button is stale now
	if n := h.count(`SELECT count(*) FROM orders`); n != 0 {
		t.Errorf("the summary replaced by a new one placed %d orders", n)
	}
	h.answer(u, h.pressOn(u, m, "✅"))
	h.waitText(u, "#")
	if n := h.count(`SELECT count(*) FROM orders`); n != 1 {
		t.Errorf("%d orders after confirming the summary asked again", n)
	}

	us := h.staffUsers()
	us.own.Send("/newproduct")
	h.waitText(us.own, "SKU")
	us.own.Send("MN-HONEY")
	h.waitText(us.own, "category")
	notMenu(h.reply(us.own, "tea please"), "Tea")
}
