package bot

import (
	"strings"
	"testing"
	"time"

	"villagebot/catalog"
	"villagebot/orders"
)

// Every desk button's data fits Telegram's 64 bytes with the largest
// order number, reason and place, and parses back to what was encoded.
func TestDeskCallbacksFit64Bytes(t *testing.T) {
	const n = maxOrderNumber
	for _, data := range []string{
		cb(cbDeskConfirm, n, onPending), cb(cbDeskReady, n, onPending), cb(cbDeskDelivered, n, onPending),
		cb(cbDeskCancel, n, onPending), cb(cbDeskKeep, n, onPending),
		cb(cbDeskReason, n, int64(len(orders.CancelReasons)-1), onPending),
		cb(cbDeskCancelYes, n, int64(len(orders.CancelReasons)-1), onPending),
	} {
		if len(data) > maxCallbackData {
			t.Errorf("%q is %d bytes", data, len(data))
		}
		c := parseCallback(data)
		if got, ok := c.ID(0, maxOrderNumber); !ok || got != n {
			t.Errorf("%q: order %d, %v", data, got, ok)
		}
	}
}

// The confirmation of a sale says by when it must be confirmed, in every
// language; a gift, or a bot whose orders never expire, says nothing of it.
func TestPlacedNextSaysByWhen(t *testing.T) {
	msgs, err := LoadMessages("en")
	if err != nil {
		t.Fatal(err)
	}
	b := &Bot{msg: msgs, hold: 48 * time.Hour, loc: time.FixedZone("CST", 8*3600)}
	o := orders.Order{Kind: orders.Sale, CreatedAt: time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)}
	for _, lang := range catalog.Languages {
		if got := b.placedNext(lang, o); !strings.Contains(got, "2026-03-22 18:00") {
			t.Errorf("%s: %q lacks the deadline", lang, got)
		}
	}
	if got := b.placedNext("en", orders.Order{Kind: orders.Gift, CreatedAt: o.CreatedAt}); got != "" {
		t.Errorf("a gift: %q", got)
	}
	b.hold = -1
	if got := b.placedNext("en", o); got != "" {
		t.Errorf("orders never expire: %q", got)
	}
}

// A typed reason is kept to one line of printable text.
func TestCleanReason(t *testing.T) {
	for in, want := range map[string]string{
		"  Closed\nfor the\ttyphoon  ": "Closed for the typhoon",
		"a\x00b\x07c":                  "abc",
		"\n\t ":                        "",
		"台风停业":                         "台风停业",
	} {
		if got := cleanReason(in); got != want {
			t.Errorf("cleanReason(%q) = %q, want %q", in, got, want)
		}
	}
}
