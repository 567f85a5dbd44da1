package bot

import (
	"encoding/json"
	"testing"
)

// Sessions as the bot before typed flows stored them: the flow's answers in
// "data", an office member's gift lines in "gift", no version.
const (
	oldCheckoutSession = `{"lang":"ru","tl":"ru","flow":"checkout","step":"confirm",` +
		`"data":{"name":"Anna","phone":"+8613800138000","delivery":"pickup","token":"0123456789abcdef"},` +
		`"cart":[{"p":3,"q":2,"s":3600}],"screen":41}`
	oldGiftSession = `{"flow":"gift","step":"occasion","data":{"product":"7"},"gift":[{"p":7,"q":2}]}`
)

func TestDecodeSession(t *testing.T) {
	t.Run("an old session keeps its language and cart, and its flow restarts", func(t *testing.T) {
		s := decodeSession([]byte(oldCheckoutSession))
		if !s.New || !s.restarted() || s.Flow != "" || s.Step != "" || s.Checkout != nil {
			t.Errorf("flow kept: %+v", s)
		}
		if s.Lang != "ru" || len(s.Cart) != 1 || s.Cart[0] != (CartLine{ProductID: 3, Quantity: 2, Price: 3600}) {
			t.Errorf("language or cart lost: %+v", s)
		}
		if !s.outdated {
			t.Errorf("an old session is not marked to be saved anew")
		}
	})
	t.Run("an old gift order is dropped with its flow", func(t *testing.T) {
		s := decodeSession([]byte(oldGiftSession))
		if !s.New || s.Flow != "" || s.GiftOrder != nil || len(s.Cart) != 0 {
			t.Errorf("decoded %+v", s)
		}
	})
	t.Run("unreadable data is a new session", func(t *testing.T) {
		for _, raw := range []string{"", "{broken", "[]", `{"v":2,"cart":"x"}`, "null"} {
			s := decodeSession([]byte(raw))
			if !s.New || s.Flow != "" || len(s.Cart) != 0 {
				t.Errorf("decodeSession(%q) = %+v", raw, s)
			}
		}
	})
	t.Run("a session round-trips through encode", func(t *testing.T) {
		in := Session{Lang: "zh", Flow: flowGift, Step: stepDate, Cart: Lines{{ProductID: 1, Quantity: 1}},
			GiftOrder: &giftState{Lines: Lines{{ProductID: 7, Quantity: 3}}, Occasion: "Forum", Recipient: "Delegation"}}
		out := decodeSession(in.encode())
		if out.New || out.outdated || !out.at(flowGift, stepDate) || out.GiftOrder == nil ||
			out.GiftOrder.Occasion != "Forum" || out.GiftOrder.Lines.quantity(7) != 3 || out.Lang != "zh" {
			t.Errorf("round trip gave %+v", out)
		}
		var raw map[string]any
		if err := json.Unmarshal(in.encode(), &raw); err != nil || raw["v"] != float64(sessionVersion) {
			t.Errorf("encoded %s: no version", in.encode())
		}
	})
}
