package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"villagebot/bot/telegramtest"
	"villagebot/catalog"
)

// What a visitor reads of a search, per language.
var searchWords = map[string]struct {
	results, nothing, tooLong, noWords, help, gone string
	blackTea, honey, boaoVillage                   string
}{
	"zh": {"的搜索结果", "没有找到", "内容太长", "只能搜索文字和数字", "❓ 帮助", "已过期", "五指山红茶", "琼中山蜂蜜", "北仍村"},
	"en": {"Results for", "Nothing found", "too long to look for", "only look for words", "❓ Help", "too old", "Wuzhishan Black Tea", "Qiongzhong Mountain Honey", "Beireng Village"},
	"ru": {"Результаты по запросу", "ничего не нашлось", "Слишком длинный запрос", "только по словам", "❓ Помощь", "устарел", "Чёрный чай «Учжишань»", "Горный мёд Цюнчжун", "Деревня Бэйжэн"},
}

// productButtons are the labels of m's buttons that open a product (its
// name · price), in order.
func productButtons(m telegramtest.Message) []string {
	var labels []string
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if strings.HasPrefix(b.CallbackData, "p:") {
				labels = append(labels, b.Text)
			}
		}
	}
	return labels
}

// quoted is a query as the results' headline quotes it.
func quoted(lang, query string) string {
	if lang == "zh" {
		return "“" + query + "”"
	}
	return "«" + query + "»"
}

// waitEdit waits for message m to be edited and returns it as it is then.
func (h *harness) waitEdit(u *telegramtest.User, m telegramtest.Message) telegramtest.Message {
	h.t.Helper()
	var got telegramtest.Message
	if _, err := u.WaitFor(wait, func(ms []telegramtest.Message) bool {
		for _, e := range ms {
			if e.ID == m.ID && e.EditCount > m.EditCount {
				got = e
				return true
			}
		}
		return false
	}); err != nil {
		h.t.Fatal(err)
	}
	return got
}

// Text sent outside any flow is a search, in every language: what people
// type (a typo, е for ё, traditional Chinese, a region, two words) finds
// the products; nothing found says so with the way on; a very long text or
// one of no words gets one clear line and the menu.
func TestFreeTextOutsideAFlowIsASearch(t *testing.T) {
	t.Parallel()
	h := start(t)
	for i, lang := range []string{"zh", "en", "ru"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			h := h.with(t)
			w := searchWords[lang]
			u := h.user(int64(12001+i), lang)

			// The very first message of a new chat.
			u.Send("tea")
			m := h.waitText(u, w.results)
			if !slices.ContainsFunc(productButtons(m), func(l string) bool { return strings.HasPrefix(l, w.blackTea) }) {
				t.Errorf("«tea» found %v, want %s", m.Buttons(), w.blackTea)
			}
			h.pressContaining(u, w.blackTea)
			h.waitText(u, "168")

			for _, tt := range []struct{ query, want string }{
				{"cofee", "XL-COFFEE"}, {"tee", "MN-BLACKTEA"}, {"мед", "QZ-HONEY"}, {"зеленый", "BS-GREENTEA"},
				{"чай маона", "MN-BLACKTEA"}, {"紅茶", "MN-BLACKTEA"}, {"博鳌", "BR-COCOCANDY"},
			} {
				u.Send(tt.query)
				m := h.waitText(u, quoted(lang, tt.query))
				want := h.product(tt.want).Name.Get(lang)
				if !slices.ContainsFunc(productButtons(m), func(l string) bool { return strings.HasPrefix(l, want) }) {
					t.Errorf("%q found %v, want %s", tt.query, m.Buttons(), want)
				}
			}
			u.Send("博鳌")
			m = h.waitText(u, w.results)
			if labels := m.Buttons(); !slices.Contains(labels, "🏡 "+w.boaoVillage) || !strings.HasPrefix(labels[0], "🏡") {
				t.Errorf("a region's villages are not shown first: %v", labels)
			}

			u.Send("zzqqxx")
			m = h.waitText(u, w.nothing)
			if !slices.Contains(m.Buttons(), w.help) {
				t.Errorf("nothing found offers %v, want help too", m.Buttons())
			}

			before := h.count(`SELECT count(*) FROM orders`) + h.count(`SELECT count(*) FROM stock_subscriptions`)
			for text, want := range map[string]string{
				strings.Repeat("чай ", 60):  w.tooLong,
				"👍🎉":                        w.noWords,
				"\u200d\u200b\u2060\u202e…": w.noWords,
			} {
				u.Send(text)
				if m := h.waitText(u, want); len(m.Buttons()) == 0 {
					t.Errorf("%q: the answer offers no way on", text)
				}
			}
			if after := h.count(`SELECT count(*) FROM orders`) + h.count(`SELECT count(*) FROM stock_subscriptions`); after != before {
				t.Errorf("odd text changed what is stored: %d rows, then %d", before, after)
			}
		})
	}
}

// Results come a page at a time, best first, in every language: the
// pager goes forward and back on the same message, the pages hold every
// product once in the catalog's order, and the first page shows the
// villages found. A pager button of a search the session no longer keeps
// asks for a new search; forged ones change nothing.
func TestSearchResultsArePagedBestFirst(t *testing.T) {
	t.Parallel()
	h := start(t)
	ctx := context.Background()
	names := map[string]string{"zh": "荔枝酱", "en": "Lychee Jam", "ru": "Варенье из личи"}
	for i := range 11 {
		p := catalog.Product{
			SKU: fmt.Sprintf("MN-LYCHEE%d", i), VillageCode: "maona", Category: catalog.Other,
			Name:  catalog.Texts{"zh": fmt.Sprintf("%s%d号", names["zh"], i), "en": fmt.Sprintf("%s No. %d", names["en"], i), "ru": fmt.Sprintf("%s № %d", names["ru"], i)},
			Price: catalog.Money(1000 + i), Stock: 5, Visible: true,
		}
		if i == 4 { // its own name holds the village's too: ranked first
			p.Name = catalog.Texts{"zh": "毛纳村荔枝酱", "en": "Maona Lychee Jam", "ru": "Варенье из личи Маона"}
		}
		if _, err := h.catalog.CreateProduct(ctx, p, "test"); err != nil {
			t.Fatal(err)
		}
	}
	for i, lang := range []string{"zh", "en", "ru"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			h := h.with(t)
			w := searchWords[lang]
			u := h.user(int64(12101+i), lang)
			query := names[lang] + " " + map[string]string{"zh": "毛纳", "en": "maona", "ru": "маона"}[lang]
			all, err := h.catalog.Search(ctx, query, 100)
			if err != nil || all.Total != 11 {
				t.Fatalf("the catalog finds %d for %q, %v", all.Total, query, err)
			}
			var want []string
			for _, p := range all.Products {
				want = append(want, p.Name.Get(lang))
			}
			if !strings.Contains(want[0], map[string]string{"zh": "毛纳村", "en": "Maona", "ru": "Маона"}[lang]) {
				t.Fatalf("the catalog ranks %v", want)
			}

			u.Send(query)
			first := h.waitText(u, w.results)
			if !strings.Contains(first.Text, "11") || !strings.Contains(first.Text, "2") {
				t.Errorf("the first page does not say its page and count: %q", first.Text)
			}
			got := productButtons(first)
			h.pressOn(u, first, "▶️")
			second := h.waitEdit(u, first)
			got = append(got, productButtons(second)...)
			if len(got) != len(want) {
				t.Fatalf("the pages show %d products, want %d: %v", len(got), len(want), got)
			}
			for j := range want {
				if !strings.HasPrefix(got[j], want[j]) {
					t.Errorf("product %d on the pages is %q, want %q (best first)", j, got[j], want[j])
				}
			}
			if slices.Contains(second.Buttons(), "▶️") || !slices.Contains(second.Buttons(), "◀️") {
				t.Errorf("the last page's pager: %v", second.Buttons())
			}
			h.pressOn(u, second, "◀️")
			back := h.waitEdit(u, second)
			if !slices.Equal(productButtons(back), productButtons(first)) {
				t.Errorf("back to the first page shows %v, want %v", productButtons(back), productButtons(first))
			}

			// The first page of a region shows its villages; the second does not.
			u.Send("maona")
			villages := h.waitText(u, quoted(lang, "maona"))
			if !strings.HasPrefix(villages.Buttons()[0], "🏡") {
				t.Errorf("the villages found are not shown first: %v", villages.Buttons())
			}
			h.pressOn(u, villages, "▶️")
			page2 := h.waitEdit(u, villages)
			if strings.HasPrefix(page2.Buttons()[0], "🏡") {
				t.Errorf("the second page shows villages again: %v", page2.Buttons())
			}

			// The first search's pager, four searches later, is gone.
			for _, q := range []string{"tea", "coffee", "honey"} {
				u.Send(q)
				h.waitText(u, quoted(lang, q))
			}
			a := h.answer(u, h.pressOn(u, first, "▶️"))
			if !strings.Contains(a.Text, w.gone) {
				t.Errorf("an old search's pager answered %q", a.Text)
			}
			for _, data := range []string{"sr:0:1", "sr:99999999:0", "sr:1:-1", "sr:1:99999", "sr:1:1:1", "sr:x:1", "sr"} {
				id, err := u.PressData(first.ID, data)
				if err != nil {
					t.Fatal(err)
				}
				h.answer(u, id)
			}
			h.settle(u)
		})
	}
}
