package bot_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// The words a visitor reads, per language.
var journey = map[string]struct {
	welcome, villages, village, villageStory, product, search, searchHit, price string
}{
	"zh": {"欢迎", "🏡 村庄", "毛纳村", "五指山", "五指山红茶", "咖啡", "兴隆咖啡豆", "¥"},
	"en": {"Welcome", "🏡 Villages", "Maona Village", "Wuzhishan", "Wuzhishan Black Tea", "coffee", "Xinglong Coffee Beans", "¥"},
	"ru": {"Добро пожаловать", "🏡 Деревни", "Деревня Маона", "Учжишань", "Чёрный чай «Учжишань»", "кофе", "Кофе Синлун в зёрнах", "¥"},
}

func TestVisitorBrowsesInEveryLanguage(t *testing.T) {
	t.Parallel()
	h := start(t)
	for i, lang := range []string{"zh", "en", "ru"} {
		t.Run(lang, func(t *testing.T) {
			h := h.with(t)
			w := journey[lang]
			u := h.user(int64(2001+i), lang)

			u.Send("/start")
			h.waitText(u, w.welcome)

			h.press(u, w.villages)
			list := h.waitText(u, strings.TrimPrefix(w.villages, "🏡 "))

			h.pressContaining(u, w.village)
			page := h.waitText(u, w.villageStory)
			if page.ID != list.ID {
				t.Errorf("the village page is message %d, want the list's message %d edited in place", page.ID, list.ID)
			}

			h.pressContaining(u, w.product)
			card := h.waitText(u, w.product)
			if !strings.Contains(card.Text+card.Caption, w.price) {
				t.Errorf("the product card shows no price:\n%s", card.Text+card.Caption)
			}

			u.Send("/search " + w.search)
			h.waitText(u, w.search)
			h.pressContaining(u, w.searchHit)
			h.waitText(u, w.searchHit)

			u.Send("/start p_MN-BLACKTEA")
			deep := h.waitText(u, w.product)
			if deep.FromBot != true {
				t.Errorf("deep link answered by %v", deep)
			}
		})
	}
}

func TestSearchAnswersEveryLanguageWhateverTheUsersOwn(t *testing.T) {
	t.Parallel()
	h := start(t)
	u := h.user(2101, "en")
	for _, q := range []string{"咖啡", "coffee", "кофе", "XL-COFFEE"} {
		u.Send("/search " + q)
		m := h.waitText(u, q)
		if !strings.Contains(strings.Join(m.Buttons(), "|"), "Xinglong Coffee Beans") {
			t.Errorf("search %q found %v", q, m.Buttons())
		}
	}
	u.Send("/search zzzzqqqq")
	h.waitText(u, "Nothing found")
	// The prompt, then the query as the next message.
	h.press(u, "🔍 Search")
	h.waitText(u, "Send me a word")
	u.Send("brocade")
	h.waitText(u, "Results for «brocade»")
}

func TestDeepLinks(t *testing.T) {
	t.Parallel()
	h := start(t)
	u := h.user(2201, "en")
	u.Send("/start v_maona")
	h.waitText(u, "Maona Village")
	u.Send("/start p_NOPE")
	h.waitText(u, "not in the shop any more")
	u.Send("/start p_" + strings.Repeat("x", 80))
	h.waitText(u, "not in the shop any more")
	u.Send("/start <b>")
	h.waitText(u, "Welcome")
}

func TestLanguageCanBeChanged(t *testing.T) {
	t.Parallel()
	h := start(t)
	u := h.user(2301, "de") // not supported: English
	u.Send("/start")
	h.waitText(u, "Welcome")
	u.Send("/language")
	h.waitText(u, "Choose your language")
	h.answer(u, h.press(u, "Русский"))
	h.waitText(u, "Что хотите посмотреть?")
	u.Send("/help")
	h.waitText(u, "Что я умею")
}

func TestTheSameUpdateTwiceIsHandledOnce(t *testing.T) {
	t.Parallel()
	h := start(t)
	u := h.user(2401, "en")
	h.srv.SetDuplicates(2)
	u.Send("/start")
	h.waitText(u, "Welcome")
	h.srv.SetDuplicates(1)
	h.settle(u)
	if n := countMessages(u.Messages(), "Welcome"); n != 1 {
		t.Errorf("/start delivered twice was answered %d times", n)
	}

	id := u.Send("/language")
	h.waitText(u, "Choose your language")
	if err := h.srv.Redeliver(id); err != nil {
		t.Fatal(err)
	}
	h.settle(u)
	if n := countMessages(u.Messages(), "Choose your language"); n != 1 {
		t.Errorf("a redelivered /language was answered %d times", n)
	}
}

// Forged or stale callback data — random bytes, unknown kinds, huge or
// negative numbers, ids of things that do not exist — gets a toast and
// changes nothing.
func TestForgedCallbackDataGetsAToastAndChangesNothing(t *testing.T) {
	t.Parallel()
	h := start(t)
	u := h.user(2501, "en")
	u.Send("/start")
	menu := h.waitText(u, "Welcome")

	forged := []string{
		"zz", "p", "p:", "p:abc:1", "p:-1:1", "p:1:0", "p:1:100", "p:99999999:1",
		"p:99999999999999999999999999:1", "v:1:-5", "c:8:0", "c:-1:0", "l:xx", "l:en:1",
		"a:1:1000", "kq:1:5", "oy:1001", "ox:1001", "cc:0123456789abcdef", "cc:../../etc",
		"cd:0", "gy:0123456789abcdef", "ny", "nc:0", ":::", "p:1:1:1:1",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10 {
		b := make([]byte, 1+rng.IntN(64))
		for i := range b {
			b[i] = byte(33 + rng.IntN(94))
		}
		forged = append(forged, string(b))
	}
	before := h.count(`SELECT count(*) FROM stock_ledger`)
	for _, data := range forged {
		t.Run(fmt.Sprintf("%q", data), func(t *testing.T) {
			a := h.answer(u, mustPress(t, u, menu.ID, data))
			if a.Text == "" {
				t.Errorf("no toast for forged data %q", data)
			}
		})
	}
	h.settle(u)
	if after := h.count(`SELECT count(*) FROM stock_ledger`); after != before {
		t.Errorf("forged callbacks changed stock: %d ledger rows, want %d", after, before)
	}
	if n := h.count(`SELECT count(*) FROM orders`); n != 0 {
		t.Errorf("forged callbacks made %d orders", n)
	}
	// The bot still serves.
	u.Send("/start")
	h.waitText(u, "Welcome")
}

func mustPress(t *testing.T, u interface {
	PressData(int, string) (string, error)
}, msgID int, data string) string {
	t.Helper()
	id, err := u.PressData(msgID, data)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestOddInputGetsAnAnswer(t *testing.T) {
	t.Parallel()
	h := start(t)
	u := h.user(2601, "en")
	for _, text := range []string{
		strings.Repeat("茶", 4096), "/stock", "/price X 1", "/unknowncommand", "\u202e\u200b", "/start@other_bot",
		"<script>alert(1)</script>", "&amp; &", "/search " + strings.Repeat("a", 200),
	} {
		u.Send(text)
	}
	h.settle(u)
	if _, err := h.rdb.Ping(context.Background()).Result(); err != nil {
		t.Fatal(err)
	}
}

func TestCategoriesAndPaging(t *testing.T) {
	t.Parallel()
	h := start(t)
	ctx := context.Background()
	// Enough tea for three pages.
	for i := range 20 {
		p := h.product("MN-BLACKTEA")
		p.ID, p.SKU, p.Name = 0, fmt.Sprintf("MN-TEA%02d", i), map[string]string{"en": fmt.Sprintf("Tea No. %02d", i)}
		if _, err := h.catalog.CreateProduct(ctx, p, "test"); err != nil {
			t.Fatal(err)
		}
	}
	u := h.user(2701, "en")
	u.Send("/start")
	h.waitText(u, "Welcome")
	h.pressContaining(u, "Categories")
	h.waitText(u, "Categories")
	h.pressContaining(u, "Tea (")
	first := h.waitText(u, "page 1 of 3")
	h.press(u, "▶️")
	h.waitText(u, "page 2 of 3")
	h.press(u, "▶️")
	last := h.waitText(u, "page 3 of 3")
	if last.ID != first.ID {
		t.Errorf("paging sent a new message instead of editing")
	}
	for _, b := range last.Buttons() {
		if b == "▶️" {
			t.Errorf("the last page has a next button")
		}
	}
	// The hidden demo product is not listed.
	h.pressContaining(u, "Menu")
	h.waitText(u, "What would you like")
	u.Send("/search vanilla")
	h.waitText(u, "Nothing found")
}
