package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"villagebot/bot/telegramtest"
	"villagebot/catalog"
	"villagebot/orders"
)

// staffUsers are one person of each kind: a visitor, a coordinator of
// Maona (whose products the commands name), a coordinator of another
// village, and office staff.
type staffUsers struct {
	visitor, own, other, office *telegramtest.User
}

func (h *harness) staffUsers() staffUsers {
	h.t.Helper()
	ctx := context.Background()
	s := staffUsers{
		visitor: h.user(5001, "en"),
		own:     h.user(5002, "en"),
		other:   h.user(5003, "en"),
		office:  h.user(5004, "en"),
	}
	for _, g := range []struct {
		id   int64
		role catalog.Role
		code string
	}{{5002, catalog.Coordinator, "maona"}, {5003, catalog.Coordinator, "xinglong"}, {5004, catalog.Office, ""}} {
		if _, err := h.catalog.Grant(ctx, g.id, g.role, g.code, "test"); err != nil {
			h.t.Fatal(err)
		}
	}
	return s
}

// fingerprint sums up everything a staff command could change.
func (h *harness) fingerprint() string {
	h.t.Helper()
	var s string
	err := h.db.Get(&s, `SELECT concat_ws('|',
		(SELECT string_agg(concat_ws(',', sku, stock, price_fen, visible, photo_file_id, gift, names::text), ';' ORDER BY sku) FROM products),
		(SELECT string_agg(concat_ws(',', telegram_id, role, village_id), ';' ORDER BY telegram_id) FROM staff),
		(SELECT string_agg(concat_ws(',', number, status), ';' ORDER BY number) FROM orders),
		(SELECT string_agg(concat_ws(',', id, ready_at), ';' ORDER BY id) FROM order_lines),
		(SELECT count(*) FROM stock_ledger), (SELECT count(*) FROM order_events), (SELECT count(*) FROM staff_audit))`)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// placeOrder places a sale of one MN-BLACKTEA for a visitor, returning
// its number.
func (h *harness) placeOrder(customer int64, sku string) int64 {
	h.t.Helper()
	return h.placeOrderQty(customer, sku, 1)
}

func ordersRequest(customer, productID int64, qty int, token string) orders.PlaceRequest {
	return orders.PlaceRequest{
		Token:    token,
		Kind:     orders.Sale,
		Customer: orders.Customer{TelegramID: customer, ChatID: customer, Language: "ru"},
		Contact:  "Test Buyer", Phone: "+8613800138000", Delivery: orders.Pickup,
		Lines: []orders.LineRequest{{ProductID: productID, Quantity: qty}},
	}
}

// Every staff command × every kind of user: refused where the role does
// not allow it, with a plain answer and nothing changed; done where it
// does. Roles act in the order visitor, other village's coordinator, own
// village's coordinator, office, so the expected answers follow from one
// another.
func TestStaffAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	order := h.placeOrder(5999, "MN-BLACKTEA")
	ref := fmt.Sprintf("#%d", order)

	const (
		R = "This command is for"        // refused: no role
		V = "belongs to another village" // refused: not their village
	)
	tests := []struct {
		cmd                         string
		visitor, other, own, office string
		flow                        bool // leaves a flow open: /cancel after
	}{
		{cmd: "/stock MN-BLACKTEA 50", visitor: R, other: V, own: "→ 50", office: "→ 50"},
		{cmd: "/stock MN-BLACKTEA +5", visitor: R, other: V, own: "→ 55", office: "→ 60"},
		{cmd: "/stock MN-BLACKTEA -5", visitor: R, other: V, own: "→ 55", office: "→ 50"},
		{cmd: "/price MN-BLACKTEA 99.50", visitor: R, other: V, own: "→ ¥99.50", office: "→ ¥99.50"},
		{cmd: "/hide MN-BLACKTEA", visitor: R, other: V, own: "is hidden", office: "is hidden"},
		{cmd: "/show MN-BLACKTEA", visitor: R, other: V, own: "is shown", office: "is shown"},
		{cmd: "/photo MN-BLACKTEA", visitor: R, other: V, own: "Send the photo", office: "Send the photo", flow: true},
		{cmd: "/stock", visitor: R, other: "XL-COFFEE", own: "MN-BLACKTEA", office: "XL-COFFEE"},
		{cmd: "/pending", visitor: R, other: "No open orders", own: ref, office: ref},
		{cmd: "/ready " + ref, visitor: R, other: "none of your village", own: "Order " + ref + " is ready", office: "Order " + ref + " is ready"},
		{cmd: "/status " + ref + " delivered", visitor: R, other: R, own: R, office: "→ delivered"},
		{cmd: "/grant 777 office", visitor: R, other: R, own: R, office: "777 is now office staff"},
		{cmd: "/revoke 777", visitor: R, other: R, own: R, office: "Take away the staff role of 777"}, // asks to confirm
		{cmd: "/gift", visitor: R, other: R, own: R, office: "Gift order", flow: true},
		{cmd: "/qr MN-BLACKTEA", visitor: R, other: R, own: R, office: "QR code for"},
		{cmd: "/export all csv", visitor: R, other: R, own: R, office: "orders-"},
		{cmd: "/stats", visitor: R, other: R, own: R, office: "Sales and gifts"},
		{cmd: "/newproduct", visitor: R, other: "New product", own: "New product", office: "Which village", flow: true},
		{cmd: "/import", visitor: R, other: "Send the .csv", own: "Send the .csv", office: "Send the .csv", flow: true},
	}
	for _, tt := range tests {
		for _, who := range []struct {
			name string
			u    *telegramtest.User
			want string
		}{{"a visitor", us.visitor, tt.visitor}, {"another village's coordinator", us.other, tt.other}, {"the village's coordinator", us.own, tt.own}, {"office staff", us.office, tt.office}} {
			refused := who.want == R || who.want == V
			verb := "is done for "
			if refused {
				verb = "is refused to "
			}
			t.Run(tt.cmd+" "+verb+who.name, func(t *testing.T) {
				h := h.with(t)
				before := h.fingerprint()
				who.u.Send(tt.cmd)
				h.waitText(who.u, who.want)
				if refused && h.fingerprint() != before {
					t.Errorf("the refused %s changed the database", tt.cmd)
				}
				if tt.flow {
					who.u.Send("/cancel")
					h.waitText(who.u, "What next?")
				}
			})
		}
	}
}

// Malformed staff commands get a one-line usage reminder and change
// nothing.
func TestMalformedStaffCommandsGetUsage(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	before := h.fingerprint()
	for _, cmd := range []string{
		"/stock MN-BLACKTEA lots", "/stock MN-BLACKTEA +0", "/stock MN-BLACKTEA 99999999999999999999",
		"/stock MN-BLACKTEA -1000000000", "/stock MN-BLACKTEA 1 2", "/price MN-BLACKTEA 1.234", "/price MN-BLACKTEA -1",
		"/price MN-BLACKTEA 1e9", "/price MN-BLACKTEA 1000000.01", "/hide", "/show A B", "/ready", "/ready abc",
		"/ready #99999999999999999999999", "/status #1", "/status #1 shipped", "/grant", "/grant x office",
		"/grant 5 king", "/grant 5 coordinator", "/revoke", "/revoke -5", "/pending now",
	} {
		t.Run(cmd, func(t *testing.T) {
			h := h.with(t)
			us.office.Send(cmd)
			m := h.waitText(us.office, "Usage: ")
			if strings.Count(m.Text, "\n") > 0 {
				t.Errorf("the reminder is more than one line: %q", m.Text)
			}
		})
	}
	for cmd, answer := range map[string]string{
		"/stock NOPE 5": "No product", "/price NOPE 5": "No product", "/stock MN-BLACKTEA -100000": "below 0",
		"/stock MN-BLACKTEA": "MN-BLACKTEA · Wuzhishan Black Tea", "/stock nope": "No product",
	} {
		us.office.Send(cmd)
		h.waitText(us.office, answer)
	}
	if h.fingerprint() != before {
		t.Errorf("malformed commands changed the database")
	}
}

// A coordinator sets a product's photo with a captioned photo, and with
// /photo then a photo; visitors then see it on the card.
func TestCoordinatorSetsAPhoto(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	us.own.SendPhoto("/photo MN-BLACKTEA", telegramtest.JPEG(64, 48))
	h.waitText(us.own, "Photo of MN-BLACKTEA saved")
	first := h.product("MN-BLACKTEA").PhotoFileID
	if first == "" {
		t.Fatal("no photo saved")
	}
	us.own.Send("/photo MN-SHANLAN")
	h.waitText(us.own, "Send the photo")
	us.own.SendPhoto("", telegramtest.JPEG(80, 60))
	h.waitText(us.own, "Photo of MN-SHANLAN saved")

	us.visitor.Send("/start p_MN-BLACKTEA")
	card := h.waitText(us.visitor, "Wuzhishan Black Tea")
	if card.Photo == "" {
		t.Errorf("the card shows no photo: %v", card)
	}
}

// Staff see their commands in the menu of their own chat; a grant and a
// revoke refresh it; visitors see the visitor commands.
func TestCommandMenusFollowRoles(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	if err := h.bot.SetCommands(context.Background()); err != nil {
		t.Fatal(err)
	}
	names := func(u *telegramtest.User) string {
		var ns []string
		for _, c := range u.Commands() {
			ns = append(ns, c.Command)
		}
		return strings.Join(ns, ",")
	}
	if got := names(us.visitor); strings.Contains(got, "stock") || !strings.Contains(got, "cart") {
		t.Errorf("a visitor's menu: %s", got)
	}
	if got := names(us.own); !strings.Contains(got, "stock") || strings.Contains(got, "grant") {
		t.Errorf("a coordinator's menu: %s", got)
	}
	if got := names(us.office); !strings.Contains(got, "grant") || !strings.Contains(got, "export") {
		t.Errorf("office staff's menu: %s", got)
	}
	zh := h.srv.Commands(telegramtest.CommandScope{}, "zh")
	if len(zh) == 0 || zh[0].Description != "主菜单" {
		t.Errorf("the Chinese visitor menu: %v", zh)
	}

	newcomer := h.user(5301, "ru")
	newcomer.Send("/start")
	h.waitText(newcomer, "Добро пожаловать")
	us.office.Send("/grant 5301 coordinator maona")
	h.waitText(us.office, "5301 is now coordinator of maona")
	if got := names(newcomer); !strings.Contains(got, "stock") {
		t.Errorf("after the grant the menu is %s", got)
	}
	if c := newcomer.Commands(); len(c) == 0 || c[0].Description != "Главное меню" {
		t.Errorf("the new coordinator's menu is not in Russian: %v", c)
	}
	us.office.Send("/revoke 5301")
	h.waitText(us.office, "Take away the staff role of 5301")
	h.answer(us.office, h.pressContaining(us.office, "Revoke"))
	h.waitText(us.office, "5301 has no staff role any more")
	if got := names(newcomer); strings.Contains(got, "stock") {
		t.Errorf("after the revoke the menu is %s", got)
	}
}

// /pending with more open orders than one message holds shows the oldest
// and counts the rest, all of them.
func TestPendingCountsWhatDoesNotFit(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	const n = 80
	for i := range n {
		h.placeOrderQty(int64(6001+i), "MN-BLACKTEA", 1)
	}
	us.office.Send("/pending")
	m := h.waitText(us.office, "80 open orders")
	shown := strings.Count(m.Text, "MN-BLACKTEA")
	if shown == 0 || shown >= n {
		t.Fatalf("/pending shows %d of %d orders", shown, n)
	}
	if want := fmt.Sprintf("and %d more", n-shown); !strings.Contains(m.Text, want) {
		t.Errorf("/pending shows %d orders but does not say %q:\n%s", shown, want, m.Text)
	}
}
