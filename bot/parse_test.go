package bot

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text, cmd, args string
	}{
		{"/start", "start", ""},
		{"/start p_MN-BLACKTEA", "start", "p_MN-BLACKTEA"},
		{"/START@villagebot  v_maona ", "start", "v_maona"},
		{"/stock SKU +5", "stock", "SKU +5"},
		{"/stock\nSKU 5", "stock", "SKU 5"},
		{"hello", "", ""},
		{"/", "", ""},
		{"/ start", "", ""},
		{"/стоп", "", ""},
		{"/" + strings.Repeat("a", 33), "", ""},
		{"/a-b", "", ""},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.text), func(t *testing.T) {
			cmd, args := parseCommand(tt.text)
			if cmd != tt.cmd || args != tt.args {
				t.Errorf("parseCommand(%q) = %q, %q; want %q, %q", tt.text, cmd, args, tt.cmd, tt.args)
			}
		})
	}
}

func TestCallbackIDsRefuseAnythingButSmallPlainNumbers(t *testing.T) {
	tests := []struct {
		data string
		ok   bool
		id   int64
	}{
		{"p:42:1", true, 42},
		{"p:0:1", true, 0},
		{"p:-1:1", false, 0},
		{"p:+1:1", false, 0},
		{"p:007:1", false, 0},
		{"p:1e3:1", false, 0},
		{"p:" + strconv.FormatInt(math.MaxInt64, 10) + ":1", false, 0},
		{"p:99999999999999999999999:1", false, 0},
		{"p", false, 0},
		{"p::1", false, 0},
		{"p:４２:1", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.data, func(t *testing.T) {
			id, ok := parseCallback(tt.data).ID(0, 1<<53)
			if ok != tt.ok || id != tt.id {
				t.Errorf("ID(0) of %q = %d, %v; want %d, %v", tt.data, id, ok, tt.id, tt.ok)
			}
		})
	}
}

func TestCallbackDataTooLongOrTooManyPartsIsEmpty(t *testing.T) {
	for _, s := range []string{strings.Repeat("p", 65), "a:1:2:3:4", "", "\x00\xff"} {
		if c := parseCallback(s); c.Kind != "" && len(c.Args) > 3 {
			t.Errorf("parseCallback(%q) = %+v", s, c)
		}
	}
	if c := parseCallback(strings.Repeat("p", 65)); c.Kind != "" {
		t.Errorf("65-byte data parsed as %+v", c)
	}
}

// Every kind of callback data fits Telegram's 64 bytes with the largest
// ids it can carry.
func TestEveryCallbackDataFits64Bytes(t *testing.T) {
	const big = int64(1<<53 - 1)
	all := []string{
		cbMenu, cbVillagesData(10_000), cbVillageData(big, 10_000), cbCategories,
		cbCategoryData(7, 10_000), cbProductData(big, maxQuantity), cbSearch,
		cbLanguageData("zh"), cbHelp, cbAddData(big, maxQuantity), cbCart,
		cbCartQtyData(big, maxQuantity), cbCheckout, cb(cbDelivery, 2),
		cbConfirm + ":" + newToken(), cbAbort, cbMyOrders, cb(cbCancelAsk, big), cb(cbCancelOrder, big),
	}
	for _, d := range all {
		if len(d) == 0 || len(d) > maxCallbackData {
			t.Errorf("callback data %q is %d bytes", d, len(d))
		}
		if parseCallback(d).Kind == "" {
			t.Errorf("callback data %q does not parse", d)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, out string
		ok      bool
	}{
		{"+86 138 0013 8000", "+8613800138000", true},
		{"(0898) 6666-1234", "089866661234", true},
		{"+7 912 345-67-89", "+79123456789", true},
		{"12345", "", false},
		{"+1234567890123456", "", false},
		{"86+138", "", false},
		{"call me", "", false},
		{"١٢٣٤٥٦٧", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		out, ok := normalizePhone(tt.in)
		if out != tt.out || ok != tt.ok {
			t.Errorf("normalizePhone(%q) = %q, %v; want %q, %v", tt.in, out, ok, tt.out, tt.ok)
		}
	}
}

func TestFitKeepsWithinLimitAndEscapes(t *testing.T) {
	head := "<b>Tea &amp; more</b>\n"
	story := strings.Repeat("Li brocade <weaving> & 黎锦 🌺 ", 200)
	for _, limit := range []int{maxCaption, maxText} {
		out := fit(head, story, limit)
		if n := plainLen(out); n > limit {
			t.Errorf("fit to %d gave %d characters", limit, n)
		}
		if strings.Contains(out, "<weaving>") {
			t.Errorf("story not escaped: %q", out[:80])
		}
		if !strings.HasSuffix(out, "…") {
			t.Errorf("cut text does not end in …")
		}
	}
	if got := fit(head, "short", maxText); got != head+"short" {
		t.Errorf("fit of a short text = %q", got)
	}
}

func TestCleanLine(t *testing.T) {
	if got := cleanLine("  Ann\x00a \u200b Lee\n\t", 100); got != "Ann a Lee" {
		t.Errorf("cleanLine = %q", got)
	}
	if got := cleanLine("\xff\xfeName", 100); !utf8.ValidString(got) || got != "Name" {
		t.Errorf("cleanLine of invalid UTF-8 = %q", got)
	}
}
