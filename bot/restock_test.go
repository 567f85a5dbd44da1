package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"villagebot/bot"
	"villagebot/bot/telegramtest"
	"villagebot/catalog"
	"villagebot/internal/app"
	"villagebot/internal/redisstore"
	"villagebot/internal/telegram"
)

// What a visitor reads of back-in-stock alerts, per language.
var restockWords = map[string]struct {
	notify, stop, willTell, stopped, back, open, add string
}{
	"zh": {"🔔 到货提醒我", "🔕 取消到货提醒", "到货后我会通知您（30 天内有效）", "不再通知您", "又有货了", "🛒 查看", "🛒 加入"},
	"en": {"🔔 Notify me when back", "🔕 Stop notifying me", "I'll tell you when it's back (for 30 days)", "I won't tell you", "is back in stock", "🛒 Open", "🛒 Add"},
	"ru": {"🔔 Сообщить о поступлении", "🔕 Не сообщать", "Сообщу, когда товар снова появится (в течение 30 дней)", "сообщать не буду", "снова в наличии", "🛒 Открыть", "🛒 Добавить"},
}

var restockLangs = []string{"zh", "en", "ru"}

// soldOut sets sku's stock to 0.
func (h *harness) soldOut(sku string) {
	h.t.Helper()
	if _, err := h.catalog.SetStock(context.Background(), sku, 0, "test"); err != nil {
		h.t.Fatal(err)
	}
}

// subscribe opens sku's sold-out card as u and presses 🔔; it checks the
// press's answer and that the card then offers 🔕.
func (h *harness) subscribe(u *telegramtest.User, lang, sku string) {
	h.t.Helper()
	w := restockWords[lang]
	u.Send("/start p_" + sku)
	card := h.waitText(u, h.product(sku).Name.Get(lang))
	if slices.Contains(card.Buttons(), w.stop) {
		h.t.Fatalf("a card offers %q before 🔔 was pressed: %v", w.stop, card.Buttons())
	}
	if a := h.answer(u, h.pressOn(u, card, w.notify)); !strings.Contains(a.Text, w.willTell) {
		h.t.Errorf("🔔 answered %q, want %q", a.Text, w.willTell)
	}
	if again := h.waitEdit(u, card); !slices.Contains(again.Buttons(), w.stop) {
		h.t.Errorf("the card after 🔔 offers %v, want %q", again.Buttons(), w.stop)
	}
}

// restockRows counts the restock notifications of chat in the outbox,
// sent or not.
func (h *harness) restockRows(chat int64) int {
	h.t.Helper()
	return h.count(`SELECT count(*) FROM outbox WHERE kind = 'restock' AND chat_id = $1`, chat)
}

// waitRestocksSent waits until no restock notification is left to send.
func (h *harness) waitRestocksSent() {
	h.t.Helper()
	waitFor(h.t, wait, "the restock alerts sent", func() bool {
		return h.count(`SELECT count(*) FROM outbox WHERE kind = 'restock' AND sent_at IS NULL AND failed_at IS NULL`) == 0
	})
}

// A visitor asks to be told on a sold-out card, in every language; the
// coordinator's /stock brings it back and each visitor gets one alert, in
// their own language, with the card's button. Stock that
// sells out and comes back again alerts nobody: the subscriptions ended.
// 🔕 stops an alert before it is sent.
func TestNotifyMeThenStockAlertsEachSubscriberOnceInTheirLanguage(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.soldOut("MN-BLACKTEA")
	coordinator := h.staffUser(12201, "en", catalog.Coordinator, "maona")
	users := map[string]*telegramtest.User{}
	for i, lang := range restockLangs {
		users[lang] = h.user(int64(12210+i), lang)
		h.subscribe(users[lang], lang, "MN-BLACKTEA")
	}
	// One changes their mind, and back: subscribed once.
	quitter := h.user(12219, "ru")
	h.subscribe(quitter, "ru", "MN-BLACKTEA")
	card, _ := quitter.Last()
	if a := h.answer(quitter, h.pressOn(quitter, card, restockWords["ru"].stop)); !strings.Contains(a.Text, restockWords["ru"].stopped) {
		t.Errorf("🔕 answered %q", a.Text)
	}
	if card = h.waitEdit(quitter, card); !slices.Contains(card.Buttons(), restockWords["ru"].notify) {
		t.Errorf("the card after 🔕 offers %v", card.Buttons())
	}

	coordinator.Send("/stock MN-BLACKTEA 5")
	h.waitText(coordinator, "→ 5")
	for _, lang := range restockLangs {
		t.Run(lang, func(t *testing.T) {
			h := h.with(t)
			w, u := restockWords[lang], users[lang]
			alert := h.waitText(u, w.back)
			if !strings.Contains(alert.Text, h.product("MN-BLACKTEA").Name.Get(lang)) || !slices.Equal(alert.Buttons(), []string{w.open}) {
				t.Errorf("the alert reads %q with %v", alert.Text, alert.Buttons())
			}
			for _, other := range restockLangs {
				if other != lang && strings.Contains(alert.Text, restockWords[other].back) {
					t.Errorf("the %s alert is in %s: %q", lang, other, alert.Text)
				}
			}
		})
	}
	h.waitRestocksSent()

	coordinator.Send("/stock MN-BLACKTEA 0")
	h.waitText(coordinator, "→ 0")
	coordinator.Send("/stock MN-BLACKTEA 7")
	h.waitText(coordinator, "→ 7")
	for _, lang := range restockLangs {
		u := users[lang]
		h.settle(u)
		if n := h.restockRows(u.ID()); n != 1 {
			t.Errorf("%s: %d restock alerts written, want 1", lang, n)
		}
		if n := countMessages(u.Messages(), restockWords[lang].back); n != 1 {
			t.Errorf("%s: %d alerts received, want 1", lang, n)
		}
	}
	if n := h.restockRows(quitter.ID()); n != 0 {
		t.Errorf("🔕 still alerted: %d", n)
	}
	if n := h.count(`SELECT count(*) FROM stock_subscriptions`); n != 0 {
		t.Errorf("%d subscriptions left after the alerts", n)
	}
}

// An order cancelled gives its units back, and whoever waits for them is
// told, in their language; the alert's button opens the card to order.
func TestACancelledOrderAlertsTheSubscribers(t *testing.T) {
	t.Parallel()
	h := start(t)
	ctx := context.Background()
	if _, err := h.catalog.SetStock(ctx, "QZ-HONEY", 1, "test"); err != nil {
		t.Fatal(err)
	}
	order := h.placeSale(12300, "en", "QZ-HONEY")
	for i, lang := range restockLangs {
		u := h.user(int64(12301+i), lang)
		h.subscribe(u, lang, "QZ-HONEY")
		defer func() {
			w := restockWords[lang]
			alert := h.waitText(u, w.back)
			if !strings.Contains(alert.Text, h.product("QZ-HONEY").Name.Get(lang)) {
				t.Errorf("%s: the alert reads %q", lang, alert.Text)
			}
			// Its button opens the card, to order at once.
			h.pressOn(u, alert, w.open)
			h.waitButton(u, w.add)
		}()
	}
	if _, err := h.orders.CancelByCustomer(ctx, order, 12300); err != nil {
		t.Fatal(err)
	}
}

// An expired subscription is never alerted, and the card offers 🔔 again;
// the live ones are.
func TestAnExpiredSubscriptionIsNotAlerted(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.soldOut("MN-BLACKTEA")
	coordinator := h.staffUser(12401, "ru", catalog.Coordinator, "maona")
	users := map[string]*telegramtest.User{}
	for i, lang := range restockLangs {
		users[lang] = h.user(int64(12410+i), lang)
		h.subscribe(users[lang], lang, "MN-BLACKTEA")
	}
	expired := users["zh"]
	if _, err := h.db.Exec(`UPDATE stock_subscriptions SET expires_at = now() - interval '1 second' WHERE chat_id = $1`, expired.ID()); err != nil {
		t.Fatal(err)
	}
	expired.Send("/start p_MN-BLACKTEA")
	card := h.waitText(expired, h.product("MN-BLACKTEA").Name.Get("zh"))
	if !slices.Contains(card.Buttons(), restockWords["zh"].notify) {
		t.Errorf("an expired subscription's card offers %v", card.Buttons())
	}

	coordinator.Send("/stock MN-BLACKTEA +3")
	h.waitText(coordinator, "→ 3")
	if n := h.restockRows(expired.ID()); n != 0 {
		t.Errorf("an expired subscription was alerted: %d", n)
	}
	for _, lang := range []string{"en", "ru"} {
		h.waitText(users[lang], restockWords[lang].back)
	}
	h.waitRestocksSent()
	h.settle(expired)
	if n := countMessages(expired.Messages(), restockWords["zh"].back); n != 0 {
		t.Errorf("the expired subscriber got %d alerts", n)
	}
}

// The running bot deletes subscriptions past their time.
func TestExpiredSubscriptionsArePurged(t *testing.T) {
	t.Parallel()
	h := start(t, func(o *app.Options) { o.Bot.ExpireEvery = 20 * time.Millisecond })
	h.soldOut("MN-SHANLAN")
	u, v := h.user(12501, "en"), h.user(12502, "ru")
	h.subscribe(u, "en", "MN-SHANLAN")
	h.subscribe(v, "ru", "MN-SHANLAN")
	if _, err := h.db.Exec(`UPDATE stock_subscriptions SET expires_at = now() - interval '1 second' WHERE chat_id = $1`, u.ID()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, wait, "the expired subscription purged", func() bool {
		return h.count(`SELECT count(*) FROM stock_subscriptions WHERE chat_id = $1`, u.ID()) == 0
	})
	if n := h.count(`SELECT count(*) FROM stock_subscriptions WHERE chat_id = $1`, v.ID()); n != 1 {
		t.Errorf("the live subscription: %d rows, want 1", n)
	}
}

// idle is an update source that gives none: a bot process that only runs
// the background jobs.
type idle struct{}

func (idle) Run(ctx context.Context) error { <-ctx.Done(); return nil }

// runNotifier starts a second bot process against the harness's server and
// stores that only sends notifications, and returns its stop.
func (h *harness) runNotifier() (stop func()) {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tg, err := telegram.New(ctx, h.srv.URL(), h.srv.Token(), h.log, telegram.WithLimits(testLimits))
	if err != nil {
		h.t.Fatal(err)
	}
	msgs, err := bot.LoadMessages("en")
	if err != nil {
		h.t.Fatal(err)
	}
	b, err := bot.New(bot.Options{
		Telegram: tg, Catalog: h.catalog, Orders: h.orders, Messages: msgs, Log: h.log,
		Sessions:    redisstore.New(h.rdb, h.prefix).Sessions(),
		NotifyEvery: 10 * time.Millisecond,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Serve(ctx, idle{}) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("the notifier stopped with %v", err)
		}
	}
}

// Alerts written while no bot runs (a restock from the command line) are
// sent once each when it is back, also with two processes sending at
// once, and not again after another restart.
func TestRestockAlertsAreSentOncePerSubscriberAcrossARestart(t *testing.T) {
	t.Parallel()
	h := start(t)
	ctx := context.Background()
	h.soldOut("MN-SHANLAN")
	h.soldOut("LI-BROCADE")
	users := map[string]*telegramtest.User{}
	for i, lang := range restockLangs {
		users[lang] = h.user(int64(12601+i), lang)
		h.subscribe(users[lang], lang, "MN-SHANLAN")
	}
	late := h.user(12609, "en")
	h.subscribe(late, "en", "LI-BROCADE")
	h.stop()

	if _, err := h.catalog.SetStock(ctx, "MN-SHANLAN", 10, "cli"); err != nil {
		t.Fatal(err)
	}
	second := h.runNotifier()
	h.run()
	for _, lang := range restockLangs {
		h.waitText(users[lang], restockWords[lang].back)
	}
	h.waitRestocksSent()
	second()
	h.stop()

	h.run()
	// A restock after the restart is sent: the notifier has run since.
	if _, err := h.catalog.SetStock(ctx, "LI-BROCADE", 2, "cli"); err != nil {
		t.Fatal(err)
	}
	h.waitText(late, restockWords["en"].back)
	h.waitRestocksSent()
	for _, lang := range restockLangs {
		u := users[lang]
		h.settle(u)
		if n := countMessages(u.Messages(), restockWords[lang].back); n != 1 {
			t.Errorf("%s: %d alerts, want 1", lang, n)
		}
	}
	if n := h.count(`SELECT count(*) FROM outbox WHERE kind = 'restock' AND sent_at IS NOT NULL`); n != 4 {
		t.Errorf("%d restock alerts sent, want 4", n)
	}
}

// An alert that is no longer true when it would go is dropped, not
// retried: the product was hidden since, or sold out again — then the
// visitor keeps waiting for the next time.
func TestAnAlertNoLongerTrueIsDropped(t *testing.T) {
	t.Parallel()
	h := start(t)
	ctx := context.Background()
	h.soldOut("MN-SHANLAN")
	h.soldOut("LI-BROCADE")
	u := h.user(12701, "ru")
	h.subscribe(u, "ru", "MN-SHANLAN")
	h.subscribe(u, "ru", "LI-BROCADE")
	h.stop()
	for _, sku := range []string{"MN-SHANLAN", "LI-BROCADE"} {
		if _, err := h.catalog.SetStock(ctx, sku, 4, "cli"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.catalog.SetVisible(ctx, "LI-BROCADE", false, "cli"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.catalog.SetStock(ctx, "MN-SHANLAN", 0, "cli"); err != nil {
		t.Fatal(err)
	}
	h.run()
	waitFor(t, wait, "both alerts dropped", func() bool {
		return h.count(`SELECT count(*) FROM outbox WHERE kind = 'restock' AND failed_at IS NOT NULL AND sent_at IS NULL`) == 2
	})
	h.settle(u)
	if n := countMessages(u.Messages(), restockWords["ru"].back); n != 0 {
		t.Errorf("%d alerts no longer true were sent", n)
	}
	if on, err := h.catalog.Subscribed(ctx, u.ID(), h.product("MN-SHANLAN").ID); !on || err != nil {
		t.Errorf("the visitor no longer waits for the product sold out again: %v, %v", on, err)
	}
	if _, err := h.catalog.SetStock(ctx, "MN-SHANLAN", 6, "cli"); err != nil {
		t.Fatal(err)
	}
	h.waitText(u, restockWords["ru"].back)
}
