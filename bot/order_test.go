package bot_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"villagebot/bot/telegramtest"
)

// The words of the ordering journey, per language.
var orderWords = map[string]struct {
	product, add, cart, checkout, pickup, hotel, askHotel, confirm, placed, myOrders, cancel, yes, cancelled string
}{
	"zh": {"兴隆咖啡豆", "🛒 加入", "🛒 购物车", "✅ 去结算", "🏪 活动展位自提", "🏨 送到我的酒店", "哪家酒店", "✅ 确认下单", "已提交", "📦 我的订单", "✖️ 取消 #", "是的，取消", "已取消"},
	"en": {"Xinglong Coffee Beans", "🛒 Add", "🛒 Cart", "✅ Checkout", "🏪 Pick up at the event booth", "🏨 Delivery to my hotel", "Which hotel", "✅ Confirm order", "is placed", "📦 My orders", "✖️ Cancel #", "Yes, cancel it", "is cancelled"},
	"ru": {"Кофе Синлун в зёрнах", "🛒 Добавить", "🛒 Корзина", "✅ Оформить", "🏪 Заберу на стенде мероприятия", "🏨 Доставка в мой отель", "Какой отель", "✅ Подтвердить заказ", "оформлен", "📦 Мои заказы", "✖️ Отменить #", "Да, отменить", "отменён"},
}

var orderRef = regexp.MustCompile(`#\d+`)

// A visitor in each language follows a deep link, adds to the cart,
// checks out with the contact button, confirms, sees #number, finds the
// order in /orders and cancels it: stock is restored.
func TestVisitorOrdersInEveryLanguage(t *testing.T) {
	t.Parallel()
	h := start(t)
	for i, lang := range []string{"zh", "en", "ru"} {
		t.Run(lang, func(t *testing.T) {
			h := h.with(t)
			w := orderWords[lang]
			u := h.user(int64(3001+i), lang)
			before := h.product("XL-COFFEE").Stock

			u.Send("/start p_XL-COFFEE")
			h.waitText(u, w.product)
			h.pressContaining(u, "➕")
			h.waitButton(u, " 2 ")
			h.answer(u, h.pressContaining(u, w.add))
			h.waitText(u, w.product)
			h.pressContaining(u, w.cart)
			h.waitText(u, map[string]string{"zh": "2 × ¥", "en": "2 × ¥", "ru": "2 × 88,00\u00a0¥"}[lang])
			h.pressContaining(u, w.checkout)

			h.waitText(u, "/cancel")
			u.Send("Ivan Petrov")
			h.waitText(u, map[string]string{"zh": "手机号", "en": "phone number", "ru": "номер телефона"}[lang])
			if _, err := u.ShareContact(); err != nil {
				t.Fatal(err)
			}
			h.waitButton(u, w.pickup)
			h.press(u, w.hotel)
			h.waitText(u, w.askHotel)
			u.Send("Boao Forum Hotel, room 1208")
			h.waitText(u, "Boao Forum Hotel")
			h.pressContaining(u, w.confirm)
			placed := h.waitText(u, w.placed)
			ref := orderRef.FindString(placed.Text)
			if ref == "" {
				t.Fatalf("no #number in the confirmation:\n%s", placed.Text)
			}
			if got := h.product("XL-COFFEE").Stock; got != before-2 {
				t.Errorf("stock after ordering 2 = %d, want %d", got, before-2)
			}

			u.Send("/orders")
			h.waitText(u, ref)
			h.pressContaining(u, w.cancel)
			h.waitText(u, ref)
			h.answer(u, h.press(u, w.yes))
			h.waitText(u, ref)
			if got := h.product("XL-COFFEE").Stock; got != before {
				t.Errorf("stock after cancelling = %d, want %d", got, before)
			}
		})
	}
}

// checkout takes u from an empty chat to the summary of an order of qty
// units of sku, and returns the summary message.
func (h *harness) checkout(u *telegramtest.User, sku string, qty int) telegramtest.Message {
	h.t.Helper()
	u.Send("/start p_" + sku)
	h.waitButton(u, "🛒 Add 1")
	for q := 1; q < qty; q++ {
		h.pressContaining(u, "➕")
		h.waitButton(u, fmt.Sprintf("🛒 Add %d", q+1))
	}
	h.answer(u, h.pressContaining(u, "🛒 Add"))
	u.Send("/cart")
	h.waitText(u, "Your cart")
	h.press(u, "✅ Checkout")
	h.waitText(u, "What name")
	u.Send("Guest " + fmt.Sprint(u.ID()))
	h.waitText(u, "phone")
	u.Send("+86 138 0013 8000")
	h.waitText(u, "How would you like")
	h.press(u, "🏪 Pick up at the event booth")
	return h.waitText(u, "please check it")
}

func confirmData(t *testing.T, m telegramtest.Message) string {
	t.Helper()
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if strings.HasPrefix(b.CallbackData, "cc:") {
				return b.CallbackData
			}
		}
	}
	t.Fatalf("no confirm button on %v", m)
	return ""
}

// Confirm pressed twice at once, or its update delivered twice, makes one
// order; the second press shows the first order.
func TestDoubleConfirmMakesOneOrder(t *testing.T) {
	t.Parallel()
	h := start(t)

	u := h.user(3101, "en")
	sum := h.checkout(u, "MN-BLACKTEA", 1)
	data := confirmData(t, sum)
	a := mustPress(t, u, sum.ID, data)
	b := mustPress(t, u, sum.ID, data)
	h.answer(u, a)
	h.answer(u, b)
	h.settle(u)
	if n := h.count(`SELECT count(*) FROM orders WHERE customer_id = $1`, u.ID()); n != 1 {
		t.Errorf("a double tap made %d orders", n)
	}

	v := h.user(3102, "en")
	sum = h.checkout(v, "MN-BLACKTEA", 1)
	h.srv.SetDuplicates(3)
	mustPress(t, v, sum.ID, confirmData(t, sum))
	h.waitText(v, "is placed")
	h.srv.SetDuplicates(1)
	h.settle(v)
	if n := h.count(`SELECT count(*) FROM orders WHERE customer_id = $1`, v.ID()); n != 1 {
		t.Errorf("a confirm delivered 3 times made %d orders", n)
	}
}

// The bot dies after the order is committed but before it replied, saved
// the session or marked the update handled; Telegram delivers the update
// again: the user gets the confirmation of the one order.
func TestConfirmRedeliveredAfterACrashMakesOneOrder(t *testing.T) {
	t.Parallel()
	h := start(t)
	ctx := context.Background()
	u := h.user(3201, "en")
	sum := h.checkout(u, "XL-PEPPER", 2)
	key := h.prefix + fmt.Sprintf("session:%d", u.ID())
	sessionBefore, err := h.rdb.Get(ctx, key).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	id, err := u.PressData(sum.ID, confirmData(t, sum))
	if err != nil {
		t.Fatal(err)
	}
	h.answer(u, id)
	h.waitText(u, "is placed")

	// What a crash right after the commit would have left: the session as
	// before the press, the update not marked handled, its offset not
	// confirmed; a new process then gets the update again.
	callbackUpdate := lastUpdateID(t, h, u)
	h.stop()
	if err := h.rdb.Set(ctx, key, sessionBefore, 0).Err(); err != nil {
		t.Fatal(err)
	}
	updates, err := h.rdb.Keys(ctx, h.prefix+"update:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	h.rdb.Del(ctx, updates...)
	if err := h.srv.Redeliver(callbackUpdate); err != nil {
		t.Fatal(err)
	}
	h.run()
	h.settle(u)
	if n := h.count(`SELECT count(*) FROM orders WHERE customer_id = $1`, u.ID()); n != 1 {
		t.Fatalf("the redelivered confirm made %d orders", n)
	}
	if n := countMessages(u.Messages(), "already placed"); n != 1 {
		t.Errorf("the redelivered confirm was answered %d times with the order", n)
	}
}

// lastUpdateID is the update id of the user's newest action; Press returns
// the query id, so the update is found as the one before /help's.
func lastUpdateID(t *testing.T, h *harness, u *telegramtest.User) int {
	t.Helper()
	id := u.Send("/noop")
	h.waitText(u, "don't know that command")
	return id - 1
}

// Simulated users race through checkout for a product with 25 units:
// exactly 25 are sold, the others are told it is sold out, the stock ends
// at 0 and the ledger balances.
func TestRacingCheckoutsSellExactlyTheStock(t *testing.T) {
	t.Parallel()
	h := start(t)
	ctx := context.Background()
	if _, err := h.catalog.SetStock(ctx, "LI-BROCADE", 25, "test"); err != nil {
		t.Fatal(err)
	}
	const buyers = 40
	// Every buyer gets to the summary while there is stock for all, then
	// they all press confirm at once.
	var ready, wg sync.WaitGroup
	ready.Add(buyers)
	gate := make(chan struct{})
	results := make(chan string, buyers)
	for i := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			arrived := sync.OnceFunc(ready.Done)
			defer arrived() // even when the checkout fails
			h := h.with(t)
			u := h.user(int64(4000+i), "en")
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
			if countMessages(msgs, "is placed") > 0 {
				results <- "sold"
			} else {
				results <- "short"
			}
		}()
	}
	ready.Wait()
	close(gate)
	wg.Wait()
	close(results)
	sold := 0
	for r := range results {
		if r == "sold" {
			sold++
		}
	}
	if sold != 25 {
		t.Errorf("%d buyers were sold a unit, want 25", sold)
	}
	if s := h.product("LI-BROCADE").Stock; s != 0 {
		t.Errorf("stock ends at %d, want 0", s)
	}
	if n := h.count(`SELECT COALESCE(sum(quantity), 0) FROM order_lines l JOIN products p ON p.id = l.product_id WHERE p.sku = 'LI-BROCADE'`); n != 25 {
		t.Errorf("%d units in orders, want 25", n)
	}
	if bad := h.count(`SELECT count(*) FROM products p WHERE p.stock <> (SELECT COALESCE(sum(delta), 0) FROM stock_ledger l WHERE l.product_id = p.id)`); bad != 0 {
		t.Errorf("%d products whose ledger does not sum to their stock", bad)
	}
}

// No user can see or touch another user's order or cart, whatever
// callback data they send.
func TestOtherUsersOrdersCannotBeTouched(t *testing.T) {
	t.Parallel()
	h := start(t)
	owner := h.user(3301, "en")
	sum := h.checkout(owner, "QZ-ORANGE", 1)
	mustPress(t, owner, sum.ID, confirmData(t, sum))
	placed := h.waitText(owner, "is placed")
	ref := orderRef.FindString(placed.Text)
	number := strings.TrimPrefix(ref, "#")

	thief := h.user(3302, "en")
	thief.Send("/start")
	menu := h.waitText(thief, "Welcome")
	for _, data := range []string{"ox:" + number, "oy:" + number, confirmData(t, sum), "kq:1:0"} {
		a := h.answer(thief, mustPress(t, thief, menu.ID, data))
		if a.Text == "" {
			t.Errorf("no toast for %q", data)
		}
	}
	h.settle(thief)
	if n := h.count(`SELECT count(*) FROM orders WHERE status = 'placed'`); n != 1 {
		t.Errorf("%d placed orders after the thief's presses, want 1", n)
	}
	for _, m := range thief.Messages() {
		if strings.Contains(m.Text, ref) {
			t.Errorf("the thief saw the order: %s", m.Text)
		}
	}
}

// Cancelling at the checkout's summary answers the press, says so, and
// shows the cart again as a new message, the cart kept.
func TestCancellingTheCheckoutKeepsTheCart(t *testing.T) {
	t.Parallel()
	h := start(t)
	u := h.user(3401, "en")
	sum := h.checkout(u, "MN-BLACKTEA", 2)
	id, err := u.PressData(sum.ID, "cx")
	if err != nil {
		t.Fatal(err)
	}
	h.answer(u, id)
	h.waitText(u, "Your cart")
	if n := h.count(`SELECT count(*) FROM orders`); n != 0 {
		t.Errorf("%d orders after cancelling the checkout", n)
	}
}
