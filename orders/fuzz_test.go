package orders_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"villagebot/orders"
)

// FuzzParseRef: whatever is typed as an order (/status, /ready), ParseRef
// never panics; an accepted number is positive and is what the text spells
// (its Ref form, "#number", parses back to it); anything else is ErrInvalid.
//
//	go test -run '^$' -fuzz FuzzParseRef -fuzztime 90s ./orders/
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{
		"#1042", "1042", " #7 ", "#", "##1", "# 1", "0", "#0", "-1", "+1", "1e3", "1 042",
		"٣", "１", "9223372036854775807", "9223372036854775808", "00000000000000000001",
		"#0001042", "", "\t#12\n", "#12#",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := orders.ParseRef(s)
		if err != nil {
			if !errors.Is(err, orders.ErrInvalid) {
				t.Fatalf("ParseRef(%q): error %v is not ErrInvalid", s, err)
			}
			if n != 0 {
				t.Fatalf("ParseRef(%q) = %d with an error", s, n)
			}
			return
		}
		if n <= 0 {
			t.Fatalf("ParseRef(%q) = %d, not positive", s, n)
		}
		digits := strings.TrimLeft(strings.TrimPrefix(strings.TrimSpace(s), "#"), "0")
		if digits != strconv.FormatInt(n, 10) {
			t.Fatalf("ParseRef(%q) = %d, not the number written", s, n)
		}
		for _, ref := range []string{orders.Order{Number: n}.Ref(), strconv.FormatInt(n, 10)} {
			if back, err := orders.ParseRef(ref); err != nil || back != n {
				t.Fatalf("ParseRef(%q) = %d, but %q parses to %d, %v", s, n, ref, back, err)
			}
		}
	})
}
