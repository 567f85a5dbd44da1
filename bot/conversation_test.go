package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
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
