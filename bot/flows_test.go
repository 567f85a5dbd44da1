package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"villagebot/bot"
	"villagebot/bot/telegramtest"
	"villagebot/orders"
)

// Import through chat: a good file; a file with a row of another village
// (refused whole); a broken file (every bad row reported by line).
func TestCoordinatorImportsAFile(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()

	good := "sku,village,category,name_en,name_zh,price,stock\r\n" +
		"MN-GREENTEA,maona,tea,Maona Green Tea,毛纳绿茶,66.00,30\r\n" +
		"MN-BLACKTEA,maona,tea,Wuzhishan Black Tea,五指山红茶,168.00,77\r\n"
	us.own.SendDocument("maona.csv", "text/csv", []byte(good), "/import")
	h.waitText(us.own, "Imported: 1 products created, 1 updated")
	if p := h.product("MN-GREENTEA"); p.Stock != 30 || p.Price != 6600 {
		t.Errorf("imported product = %+v", p)
	}
	if p := h.product("MN-BLACKTEA"); p.Stock != 77 {
		t.Errorf("updated stock = %d, want 77", p.Stock)
	}

	before := h.fingerprint()
	other := "sku,village,category,name_en,price,stock\n" +
		"MN-RICE2,maona,grain,Rice,10.00,5\n" +
		"XL-COFFEE,xinglong,coffee,Coffee,1.00,1\n"
	us.own.Send("/import")
	h.waitText(us.own, "Send the .csv")
	us.own.SendDocument("mixed.csv", "text/csv", []byte(other), "")
	m := h.waitText(us.own, "not imported")
	if !strings.Contains(m.Text, "mixed.csv:3") {
		t.Errorf("the other village's row is not named by line:\n%s", m.Text)
	}
	if h.fingerprint() != before {
		t.Errorf("a refused import changed the database")
	}

	broken := "sku,village,category,name_en,price,stock,colour\n" +
		"MN-A,maona,tea,A,abc,5,red\n" +
		"MN-B,maona,tea,,1.00,-2,blue\n"
	us.own.SendDocument("broken.csv", "text/csv", []byte(broken), "/import")
	m = h.waitText(us.own, "not imported")
	for _, want := range []string{"colour", "broken.csv:2", "broken.csv:3"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the rejection does not mention %q:\n%s", want, m.Text)
		}
	}
	us.own.SendDocument("junk.xlsx", "application/octet-stream", []byte("PK\x03\x04 not really a zip"), "/import")
	h.waitText(us.own, "not imported")
	us.own.SendDocument("notes.txt", "text/plain", []byte("hello"), "/import")
	h.waitText(us.own, "Send a .csv or .xlsx file")
	if h.fingerprint() != before {
		t.Errorf("a broken import changed the database")
	}
}

// A coordinator adds a product through /newproduct, with each answer
// checked.
func TestCoordinatorAddsAProduct(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	u := us.own
	u.Send("/newproduct")
	h.waitText(u, "Send its SKU")
	u.Send("bad sku!")
	h.waitText(u, "A SKU is")
	u.Send("MN-BLACKTEA")
	h.waitText(u, "is taken")
	u.Send("MN-HONEY")
	h.waitText(u, "Its category?")
	h.press(u, "Other")
	h.waitText(u, "Its name in Chinese")
	u.Send("-")
	h.waitText(u, "Send a name of 1 to 200 characters")
	u.Send("毛纳野蜂蜜")
	h.waitText(u, "Its name in English")
	u.Send("Maona Wild Honey")
	h.waitText(u, "Its name in Russian (or - to skip)")
	u.Send("-")
	h.waitText(u, "Its unit")
	u.Send("jar (250 g)")
	h.waitText(u, "Its price")
	u.Send("12.345")
	h.waitText(u, "more than two decimals")
	u.Send("58")
	h.waitText(u, "How many are in stock")
	u.Send("-3")
	h.waitText(u, "whole number")
	u.Send("12")
	h.waitText(u, "diplomatic gift")
	h.press(u, "Yes")
	h.waitText(u, "Its story")
	u.Send("-")
	h.waitText(u, "New product")
	h.press(u, "✅ Create")
	h.waitText(u, "is created")
	p := h.product("MN-HONEY")
	if p.Price != 5800 || p.Stock != 12 || !p.Gift || p.Name["en"] != "Maona Wild Honey" || p.Name["zh"] != "毛纳野蜂蜜" || p.Name["ru"] != "" {
		t.Errorf("created %+v", p)
	}
}

// A gift order end to end: /gift → confirm → coordinators notified →
// /ready by each village → /status delivered.
func TestGiftOrderEndToEnd(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	ctx := context.Background()
	shamei := h.user(5005, "en")
	if _, err := h.catalog.Grant(ctx, 5005, "coordinator", "shamei", "test"); err != nil {
		t.Fatal(err)
	}
	office := us.office
	office.Send("/gift")
	h.waitText(office, "Gift order")
	h.pressContaining(office, "Li Brocade Wall Hanging")
	h.waitText(office, "How many")
	office.Send("2")
	h.waitText(office, "Chosen")
	h.pressContaining(office, "Carved Coconut-Shell Tea Set")
	h.waitText(office, "How many")
	office.Send("1")
	h.waitText(office, "Carved Coconut-Shell Tea Set × 1")
	h.press(office, "➡️ Next")
	h.waitText(office, "occasion")
	office.Send("Boao Forum for Asia Annual Conference 2027")
	h.waitText(office, "recipient")
	office.Send("Delegation of the Republic of Kazakhstan")
	h.waitText(office, "country")
	office.Send("Kazakhstan")
	h.waitText(office, "date needed")
	office.Send("2020-01-01")
	h.waitText(office, "from today on")
	office.Send(time.Now().AddDate(0, 0, 7).Format("2006-01-02"))
	h.waitText(office, "Notes")
	office.Send("Wrap in red paper, with a card")
	h.waitText(office, "please check it")
	h.press(office, "✅ Place the gift order")
	placed := h.waitText(office, "Gift order")
	ref := orderRef.FindString(placed.Text)
	if ref == "" {
		t.Fatalf("no order number in %q", placed.Text)
	}

	h.waitText(us.own, "New order "+ref)
	h.waitText(shamei, "New order "+ref)
	us.own.Send("/ready " + ref)
	h.waitText(us.own, "are ready")
	shamei.Send("/ready " + ref)
	h.waitText(shamei, "Order "+ref+" is ready")
	office.Send("/status " + ref + " delivered")
	h.waitText(office, "→ delivered")

	var kind, status, occasion string
	if err := h.db.QueryRow(`SELECT kind, status, occasion FROM orders WHERE number = $1`, strings.TrimPrefix(ref, "#")).Scan(&kind, &status, &occasion); err != nil {
		t.Fatal(err)
	}
	if kind != "gift" || status != "delivered" || !strings.Contains(occasion, "Boao") {
		t.Errorf("gift order is %s, %s, %q", kind, status, occasion)
	}
	office.Send("/export gift csv")
	doc := h.waitText(office, "gift-orders-")
	if doc.Document == nil {
		t.Fatalf("/export answered %v", doc)
	}
	for _, want := range []string{ref + ",", "gift,delivered,maona,LI-BROCADE", "黎锦挂毯 / Li Brocade Wall Hanging", "Kazakhstan"} {
		if !strings.Contains(string(doc.Document.Data), want) {
			t.Errorf("the gift export lacks %q:\n%s", want, doc.Document.Data)
		}
	}
}

// Coordinators hear of new orders with their lines; customers hear of
// status changes in their language; a product falling to the low-stock
// mark tells its coordinators once.
func TestNotifications(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	buyer := h.user(5101, "ru")
	buyer.Send("/start")
	h.waitText(buyer, "Добро пожаловать")

	// BR-COCOCHIPS has little stock: buying it down to the mark tells
	// its coordinator.
	ctx := context.Background()
	if _, err := h.catalog.Grant(ctx, 5006, "coordinator", "beireng", "test"); err != nil {
		t.Fatal(err)
	}
	beireng := h.user(5006, "en")
	if _, err := h.catalog.SetStock(ctx, "BR-COCOCHIPS", 7, "test"); err != nil {
		t.Fatal(err)
	}
	number := h.placeOrderQty(5101, "BR-COCOCHIPS", 3)
	ref := fmt.Sprintf("#%d", number)
	h.waitText(beireng, "New order "+ref)
	h.waitText(beireng, "Low stock")
	h.placeOrderQty(5101, "BR-COCOCHIPS", 1)
	h.waitText(beireng, "New order")

	us.office.Send("/status " + ref + " confirmed")
	h.waitText(us.office, "→ confirmed")
	h.waitText(buyer, "подтверждён")
	if n := countMessages(beireng.Messages(), "Low stock"); n != 1 {
		t.Errorf("the low-stock notice came %d times, want once per crossing", n)
	}

	// The office cancels it (why, and are you sure): the village's
	// coordinator hears of it, with the units back in stock.
	us.office.Send("/status " + ref + " cancelled")
	h.waitText(us.office, "Why is order "+ref)
	h.press(us.office, "📦 Out of stock")
	h.waitText(us.office, "Cancel order "+ref+"?")
	h.press(us.office, "✖️ Yes, cancel the order")
	h.waitText(us.office, ref+" · sale · cancelled")
	if m := h.waitText(beireng, "Order "+ref+" was cancelled"); !strings.Contains(m.Text, "BR-COCOCHIPS) × 3") {
		t.Errorf("the cancellation notice reads %q", m.Text)
	}
	_ = telegramtest.MessageSent
}

func (h *harness) placeOrderQty(customer int64, sku string, qty int) int64 {
	h.t.Helper()
	p := h.product(sku)
	o, _, err := h.orders.Place(context.Background(), ordersRequest(customer, p.ID, qty, fmt.Sprintf("q-%d-%s-%d-%d", customer, sku, qty, time.Now().UnixNano())))
	if err != nil {
		h.t.Fatal(err)
	}
	return o.Number
}

// /qr answers a PNG that decodes back to the deep link.
func TestQRCodeDecodesToTheDeepLink(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	for code, link := range map[string]string{
		"MN-BLACKTEA": "https://t.me/" + h.srv.Username() + "?start=p_MN-BLACKTEA",
		"maona":       "https://t.me/" + h.srv.Username() + "?start=v_maona",
	} {
		us.office.Send("/qr " + code)
		m := h.waitText(us.office, link)
		if m.Document == nil || !strings.HasSuffix(m.Document.FileName, ".png") {
			t.Fatalf("/qr %s answered %v", code, m)
		}
		got, err := decodeQR(m.Document.Data)
		if err != nil {
			t.Fatal(err)
		}
		if got != link {
			t.Errorf("/qr %s decodes to %q, want %q", code, got, link)
		}
	}
	us.office.Send("/qr NOPE")
	h.waitText(us.office, "No product or village")
	us.office.Send("/qr")
	h.waitText(us.office, "Usage")
}

// /export sends the spreadsheet of SPEC §7, the same as the command line
// writes for the same range; /stats sums up per village.
func TestExportAndStats(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	n := h.placeOrderQty(5201, "XL-COFFEE", 2)
	h.placeOrderQty(5202, "MN-BLACKTEA", 1)

	us.office.Send("/export sale csv")
	m := h.waitText(us.office, "sale-orders-")
	if m.Document == nil || !strings.HasSuffix(m.Document.FileName, ".csv") {
		t.Fatalf("/export answered %v", m)
	}
	// The command line writes through the same WriteExport.
	var want bytes.Buffer
	today := time.Now().In(shanghai(t))
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, shanghai(t))
	last := first.AddDate(0, 1, -1)
	if _, err := h.orders.WriteExport(context.Background(), orders.ExportFilter{Kind: "sale", From: &first, To: &last}, shanghai(t), "csv", &want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Document.Data, want.Bytes()) {
		t.Errorf("the chat export differs from the command line's:\n%s\n---\n%s", m.Document.Data, want.Bytes())
	}
	if !strings.Contains(string(m.Document.Data), fmt.Sprintf("#%d", n)) {
		t.Errorf("order #%d missing from the export", n)
	}

	us.office.Send("/export all 2026-01-01 2026-12-31")
	x := h.waitText(us.office, "orders-2026-01-01_2026-12-31.xlsx")
	if x.Document == nil || len(x.Document.Data) < 100 {
		t.Fatalf("/export xlsx answered %v", x)
	}
	us.office.Send("/export 2026-12-31 2026-01-01")
	h.waitText(us.office, "Usage")

	us.office.Send("/stats")
	s := h.waitText(us.office, "Sales and gifts")
	for _, want := range []string{"Xinglong", "Maona Village", "sale: 1 orders · 2 units · ¥176.00", "All villages"} {
		if !strings.Contains(s.Text, want) {
			t.Errorf("/stats lacks %q:\n%s", want, s.Text)
		}
	}
}

func shanghai(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// A staff member's gift order or new product whose session was flushed
// mid-way is told the bot lost track, not that the button is out of date.
func TestStaffFlowsAfterASessionFlushSayTheBotLostTrack(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	ctx := context.Background()
	// forget deletes the session once it is saved at the flow's step.
	forget := func(u *telegramtest.User, flow, step string) {
		t.Helper()
		key := fmt.Sprintf("%ssession:%d", h.prefix, u.ID())
		h.until("the session at "+flow+"/"+step, func() bool {
			var s bot.Session
			b, err := h.rdb.Get(ctx, key).Bytes()
			return err == nil && json.Unmarshal(b, &s) == nil && s.Flow == flow && s.Step == step
		})
		if err := h.rdb.Del(ctx, key).Err(); err != nil {
			t.Fatal(err)
		}
	}
	lost := sessionLostWords["en"]

	us.office.Send("/gift")
	h.waitText(us.office, "Gift order")
	forget(us.office, "gift", "products")
	if a := h.answer(us.office, h.pressContaining(us.office, "Li Brocade Wall Hanging")); !strings.Contains(a.Text, lost) {
		t.Errorf("a gift's product pressed after the flush was answered %q", a.Text)
	}

	us.own.Send("/newproduct")
	h.waitText(us.own, "Send its SKU")
	us.own.Send("MN-HONEY")
	h.waitText(us.own, "Its category?")
	forget(us.own, "newproduct", "category")
	if a := h.answer(us.own, h.pressContaining(us.own, "Other")); !strings.Contains(a.Text, lost) {
		t.Errorf("a new product's category pressed after the flush was answered %q", a.Text)
	}
	if n := h.count(`SELECT count(*) FROM orders`); n != 0 {
		t.Errorf("%d orders", n)
	}
}
