package catalog_test

import (
	"errors"
	"strings"
	"testing"

	"villagebot/catalog"
)

// FuzzParseYuan: whatever a coordinator types as a price, ParseYuan never
// panics; an accepted amount is not negative, fits the twelve whole digits
// the parser allows, carries at most one currency sign, and formats back
// (String) to text that parses to the same amount; a refused one is
// ErrBadMoney.
//
//	go test -run '^$' -fuzz FuzzParseYuan -fuzztime 90s ./catalog/
func FuzzParseYuan(f *testing.F) {
	for _, s := range []string{
		"88", "88.5", "88.00", "¥88", "￥ 88", " 1000000 ", "0", "0.01", "007.10", "-1", "+1",
		"1e3", "1,000", "1.234", ".5", "5.", "1.2.3", "999999999999.99", "9999999999999",
		"９", "¥¥1", "¥￥1", "", " ", "\t12.30\n", "0x10", "1_000", "NaN", "88.0\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := catalog.ParseYuan(s)
		if err != nil {
			if !errors.Is(err, catalog.ErrBadMoney) {
				t.Fatalf("ParseYuan(%q): error %v is not ErrBadMoney", s, err)
			}
			if m != 0 {
				t.Fatalf("ParseYuan(%q) = %d with an error", s, m)
			}
			return
		}
		if m < 0 || m > 999_999_999_999_99 {
			t.Fatalf("ParseYuan(%q) = %d fen, out of range", s, m)
		}
		str := m.String()
		back, err := catalog.ParseYuan(str)
		if err != nil || back != m {
			t.Fatalf("ParseYuan(%q) = %d, formatted %q, which parses to %d, %v", s, m, str, back, err)
		}
		if strings.ContainsAny(str, "-+eE,") {
			t.Fatalf("ParseYuan(%q) = %d, formatted %q", s, m, str)
		}
		if n := strings.Count(s, "¥") + strings.Count(s, "￥"); n > 1 {
			t.Fatalf("ParseYuan(%q) = %d, accepted %d currency signs", s, m, n)
		}
	})
}
