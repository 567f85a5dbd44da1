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
		bad  catalog.MoneyProblem // "" when the amount parses
	}{
		{"a whole number of yuan is that many hundred fen", "88", 8800, ""},
		{"one decimal is tenths of a yuan", "88.5", 8850, ""},
		{"two decimals are fen", "88.00", 8800, ""},
		{"fen are kept exactly", "19.99", 1999, ""},
		{"zero is a price", "0", 0, ""},
		{"the highest price parses", "1000000", 100000000, ""},
		{"a yuan sign and spaces are allowed", " ¥12.30 ", 1230, ""},
		{"a leading yen sign is allowed", "¥158", 15800, ""},
		{"a leading full-width yen sign is allowed", "￥158", 15800, ""},
		{"a trailing 元 is allowed", "158元", 15800, ""},
		{"a trailing 元 after a space is allowed", "158.50 元", 15850, ""},
		{"full-width digits are read as digits", "１５８", 15800, ""},
		{"a full-width dot and digits are read too", "１２．５０", 1250, ""},
		{"thousands separators in their places are allowed", "1,280.00", 128000, ""},
		{"several thousands groups are allowed", "1,000,000", 100000000, ""},
		{"a full-width comma groups thousands too", "１，２８０", 128000, ""},
		{"a negative amount is refused as negative", "-1", 0, catalog.MoneyNegative},
		{"an exponent is not a number", "1e3", 0, catalog.MoneyNotANumber},
		{"three decimals are refused as too many decimals", "88.001", 0, catalog.MoneyDecimals},
		{"an empty amount is refused as empty", "", 0, catalog.MoneyEmpty},
		{"a currency sign alone is empty", "¥", 0, catalog.MoneyEmpty},
		{"a huge amount is refused instead of overflowing", "99999999999999999999", 0, catalog.MoneyTooLarge},
		{"a separator out of place is refused as grouping", "1,00", 0, catalog.MoneyGrouping},
		{"a separator first is refused as grouping", ",100", 0, catalog.MoneyGrouping},
		{"a separator in the decimals is not a number", "1.2,5", 0, catalog.MoneyNotANumber},
		{"two currency marks are refused", "¥158元", 0, catalog.MoneyTwoCurrency},
		{"a trailing dot is not a number", "88.", 0, catalog.MoneyNotANumber},
		{"a leading dot is not a number", ".5", 0, catalog.MoneyNotANumber},
		{"a plus sign is not a number", "+5", 0, catalog.MoneyNotANumber},
		{"words are not a number", "free", 0, catalog.MoneyNotANumber},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := catalog.ParseYuan(tt.in)
			if tt.bad != "" {
				var me *catalog.MoneyError
				if !errors.Is(err, catalog.ErrBadMoney) || !errors.As(err, &me) || me.Problem != tt.bad || got != 0 {
					t.Fatalf("ParseYuan(%q) = %d, %v; want ErrBadMoney for %s", tt.in, got, err, tt.bad)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseYuan(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParsePriceRefusesMoreThanTheHighestPrice(t *testing.T) {
	t.Parallel()
	if m, err := catalog.ParsePrice("1,000,000.00"); err != nil || m != catalog.MaxPrice {
		t.Errorf("ParsePrice(the highest price) = %d, %v", m, err)
	}
	var me *catalog.MoneyError
	if m, err := catalog.ParsePrice("1000000.01"); !errors.As(err, &me) || me.Problem != catalog.MoneyTooLarge || m != 0 {
		t.Errorf("ParsePrice(above the highest price) = %d, %v; want too_large", m, err)
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
