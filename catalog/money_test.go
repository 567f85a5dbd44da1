package catalog_test

import (
	"errors"
	"testing"

	"villagebot/catalog"
)

func TestParseYuan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want catalog.Money
		bad  bool
	}{
		{"a whole number of yuan is that many hundred fen", "88", 8800, false},
		{"one decimal is tenths of a yuan", "88.5", 8850, false},
		{"two decimals are fen", "88.00", 8800, false},
		{"fen are kept exactly", "19.99", 1999, false},
		{"zero is a price", "0", 0, false},
		{"the highest price parses", "1000000", 100000000, false},
		{"a yuan sign and spaces are allowed", " ¥12.30 ", 1230, false},
		{"a negative amount is refused", "-1", 0, true},
		{"an exponent is refused", "1e3", 0, true},
		{"three decimals are refused", "88.001", 0, true},
		{"an empty amount is refused", "", 0, true},
		{"fullwidth digits are refused", "１２", 0, true},
		{"a huge amount is refused instead of overflowing", "99999999999999999999", 0, true},
		{"a thousands separator is refused", "1,000", 0, true},
		{"a trailing dot is refused", "88.", 0, true},
		{"a leading dot is refused", ".5", 0, true},
		{"a plus sign is refused", "+5", 0, true},
		{"words are refused", "free", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := catalog.ParseYuan(tt.in)
			if tt.bad {
				if !errors.Is(err, catalog.ErrBadMoney) {
					t.Fatalf("ParseYuan(%q) = %d, %v; want ErrBadMoney", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseYuan(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestMoneyString(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		m    catalog.Money
		want string
	}{
		{0, "0.00"}, {5, "0.05"}, {8850, "88.50"}, {100000000, "1000000.00"}, {-150, "-1.50"},
	} {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("Money(%d).String() = %q, want %q", int64(tt.m), got, tt.want)
		}
		if tt.m >= 0 {
			if back, err := catalog.ParseYuan(tt.m.String()); err != nil || back != tt.m {
				t.Errorf("ParseYuan(%q) = %d, %v; want the amount back", tt.m.String(), back, err)
			}
		}
	}
}
