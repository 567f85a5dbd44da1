package bot_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"villagebot/bot/telegramtest"
	"villagebot/catalog"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden screens in testdata/screens")

// goldenClock is the time every order of the golden screens is placed.
var goldenClock = time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)

// The main screens in every language, as a user reads them (HTML as sent,
// buttons with their data), compared with testdata/screens/*.txt, so that
// every change of wording or layout is a diff a reviewer sees.
// `go test ./bot -run Golden -update` rewrites them.
func TestGoldenScreens(t *testing.T) {
	h := newHarness(t)
	h.orders.Now = func() time.Time { return goldenClock }
	h.run()
	t.Cleanup(func() {
		h.stop()
		h.checkAfterRun(t)
	})
	ctx := context.Background()
	langs := []string{"zh", "en", "ru"}
	for i := range langs {
		if _, err := h.catalog.Grant(ctx, int64(6201+i), catalog.Coordinator, "maona", "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.catalog.Grant(ctx, int64(6301+i), catalog.Office, "", "test"); err != nil {
			t.Fatal(err)
		}
	}
	// Visitors first, one language after the other, so that order
	// numbers are the same on every run; then staff, who see all orders.
	for i, lang := range langs {
		g := golden{h: h, t: t, lang: lang}
		g.visitor(h.user(int64(6101+i), lang))
	}
	for i, lang := range langs {
		g := golden{h: h, t: t, lang: lang}
		g.coordinator(h.user(int64(6201+i), lang))
		g.office(h.user(int64(6301+i), lang))
	}
}

// golden captures the screens of one language.
type golden struct {
	h    *harness
	t    *testing.T
	lang string
}

// visitor: menu, village, product card, cart, checkout summary, order
// confirmation, /orders.
func (g golden) visitor(u *telegramtest.User) {
	g.check("menu", g.send(u, "/menu", hasData("vl:0")))
	g.check("village", g.send(u, "/start v_maona", hasData("p:")))
	card := g.send(u, "/start p_MN-BLACKTEA", hasData("a:"))
	g.check("product", card)
	g.h.answer(u, g.pressData(u, card, "a:"))
	cart := g.send(u, "/cart", hasData("co"))
	g.check("cart", cart)
	n := len(u.Messages())
	g.pressData(u, cart, "co")
	g.waitFrom(u, n, hasReplyKeyboard) // what name? with the user's own below
	g.send(u, "Anna Li", hasReplyKeyboard)
	delivery := g.send(u, "+86 138 0013 8000", hasData("cd:0"))
	g.pressData(u, delivery, "cd:0")
	summary := g.wait(u, func(m telegramtest.Message) bool { return m.ID == delivery.ID && hasData("cc:")(m) })
	g.check("checkout-summary", summary)
	g.pressData(u, summary, "cc:")
	g.check("order-placed", g.wait(u, func(m telegramtest.Message) bool { return m.ID == summary.ID && hasData("o")(m) }))
	g.check("orders", g.send(u, "/orders", hasData("ox:")))
}

// coordinator: /stock and /pending of their village.
func (g golden) coordinator(u *telegramtest.User) {
	g.check("stock", g.send(u, "/stock", contains("🏡")))
	g.check("pending-coordinator", g.send(u, "/pending", contains("📋")))
}

// office: /pending of every village, and a gift order's summary.
func (g golden) office(u *telegramtest.User) {
	g.check("pending-office", g.send(u, "/pending", contains("📋")))
	list := g.send(u, "/gift", hasData("gp:"))
	brocade := g.h.product("LI-BROCADE")
	n := len(u.Messages())
	g.pressData(u, list, fmt.Sprintf("gp:%d", brocade.ID))
	g.waitFrom(u, n, anyMessage) // how many?
	chosen := g.send(u, "2", hasData("gn"))
	n = len(u.Messages())
	g.pressData(u, chosen, "gn")
	g.waitFrom(u, n, anyMessage) // the occasion?
	for _, answer := range []string{"Boao Forum for Asia", "Delegation of Kazakhstan", "Kazakhstan", "2030-05-01"} {
		g.send(u, answer, anyMessage)
	}
	g.check("gift-summary", g.send(u, "-", hasData("gy:")))
}

// send sends text and returns the first bot message after it that is
// accepted.
func (g golden) send(u *telegramtest.User, text string, accept func(telegramtest.Message) bool) telegramtest.Message {
	g.t.Helper()
	n := len(u.Messages())
	u.Send(text)
	return g.waitFrom(u, n, accept)
}

// wait waits for any bot message of the chat that is accepted.
func (g golden) wait(u *telegramtest.User, accept func(telegramtest.Message) bool) telegramtest.Message {
	g.t.Helper()
	return g.waitFrom(u, 0, accept)
}

func (g golden) waitFrom(u *telegramtest.User, n int, accept func(telegramtest.Message) bool) telegramtest.Message {
	g.t.Helper()
	var got telegramtest.Message
	_, err := u.WaitFor(wait, func(ms []telegramtest.Message) bool {
		for i := len(ms) - 1; i >= min(n, len(ms)); i-- {
			if ms[i].FromBot && accept(ms[i]) {
				got = ms[i]
				return true
			}
		}
		return false
	})
	if err != nil {
		g.t.Fatalf("%s: %v", g.lang, err)
	}
	return got
}

// pressData presses m's first button whose data starts with prefix.
func (g golden) pressData(u *telegramtest.User, m telegramtest.Message, prefix string) string {
	g.t.Helper()
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if strings.HasPrefix(b.CallbackData, prefix) {
				id, err := u.PressData(m.ID, b.CallbackData)
				if err != nil {
					g.t.Fatal(err)
				}
				return id
			}
		}
	}
	g.t.Fatalf("%s: no button %q on %q", g.lang, prefix, m.Text)
	return ""
}

func hasData(prefix string) func(telegramtest.Message) bool {
	return func(m telegramtest.Message) bool {
		for _, row := range m.InlineKeyboard {
			for _, b := range row {
				if strings.HasPrefix(b.CallbackData, prefix) {
					return true
				}
			}
		}
		return false
	}
}

func contains(s string) func(telegramtest.Message) bool {
	return func(m telegramtest.Message) bool { return strings.Contains(m.HTML+m.CaptionHTML, s) }
}

func hasReplyKeyboard(m telegramtest.Message) bool { return len(m.ReplyKeyboard) > 0 }

func anyMessage(telegramtest.Message) bool { return true }

// tokenRE finds checkout tokens, which are random.
var tokenRE = regexp.MustCompile(`\b[0-9a-f]{16}\b`)

// render is a screen as its golden file holds it.
func render(m telegramtest.Message) string {
	var sb strings.Builder
	if m.Photo != "" {
		sb.WriteString("[photo " + m.Photo + "]\n")
	}
	sb.WriteString(m.HTML + m.CaptionHTML + "\n")
	for _, row := range m.InlineKeyboard {
		sb.WriteString("\n")
		for i, b := range row {
			if i > 0 {
				sb.WriteString("  ")
			}
			sb.WriteString("[" + b.Text + " → " + b.CallbackData + b.URL + "]")
		}
	}
	if len(m.InlineKeyboard) > 0 {
		sb.WriteString("\n")
	}
	return tokenRE.ReplaceAllString(sb.String(), "<token>")
}

// check compares m with its golden file, or rewrites it with -update.
func (g golden) check(name string, m telegramtest.Message) {
	g.t.Helper()
	path := filepath.Join("testdata", "screens", name+"."+g.lang+".txt")
	got := render(m)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			g.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			g.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		g.t.Fatalf("%v (go test ./bot -run Golden -update writes it)", err)
	}
	if got != string(want) {
		g.t.Errorf("screen %s in %s differs from %s:\n--- got\n%s\n--- want\n%s", name, g.lang, path, got, want)
	}
}
