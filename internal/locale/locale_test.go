package locale_test

import (
	"testing"

	"villagebot/internal/locale"
)

var supported = []string{"zh", "en", "ru"}

func TestResolve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, code string
		want       locale.Choice
	}{
		{"a supported language is itself", "en", locale.Choice{Lang: "en"}},
		{"Russian is itself", "ru", locale.Choice{Lang: "ru"}},
		{"a regional English is English", "en-GB", locale.Choice{Lang: "en"}},
		{"case and underscores do not matter", "RU_ru", locale.Choice{Lang: "ru"}},
		{"Ukrainian reads Russian", "uk", locale.Choice{Lang: "ru"}},
		{"Belarusian reads Russian", "be", locale.Choice{Lang: "ru"}},
		{"Kazakh reads Russian", "kk", locale.Choice{Lang: "ru"}},
		{"Kyrgyz reads Russian", "ky", locale.Choice{Lang: "ru"}},
		{"Uzbek reads Russian", "uz", locale.Choice{Lang: "ru"}},
		{"Uzbek in Latin script reads Russian", "uz-Latn", locale.Choice{Lang: "ru"}},
		{"Tajik reads Russian", "tg", locale.Choice{Lang: "ru"}},
		{"Armenian reads Russian", "hy", locale.Choice{Lang: "ru"}},
		{"Azerbaijani reads Russian", "az", locale.Choice{Lang: "ru"}},
		{"Tatar reads Russian", "tt", locale.Choice{Lang: "ru"}},
		{"Chinese is simplified", "zh", locale.Choice{Lang: "zh"}},
		{"zh-hans is simplified", "zh-hans", locale.Choice{Lang: "zh"}},
		{"mainland China is simplified", "zh-CN", locale.Choice{Lang: "zh"}},
		{"Singapore is simplified", "zh-SG", locale.Choice{Lang: "zh"}},
		{"zh-hant is traditional", "zh-hant", locale.Choice{Lang: "zh", Traditional: true}},
		{"Taiwan is traditional", "zh-tw", locale.Choice{Lang: "zh", Traditional: true}},
		{"Hong Kong is traditional", "zh-HK", locale.Choice{Lang: "zh", Traditional: true}},
		{"Macau is traditional", "zh-mo", locale.Choice{Lang: "zh", Traditional: true}},
		{"simplified script in Hong Kong wins over the region", "zh-Hans-HK", locale.Choice{Lang: "zh"}},
		{"Cantonese reads traditional Chinese", "yue", locale.Choice{Lang: "zh", Traditional: true}},
		{"an unsupported language gets the default", "de", locale.Choice{Lang: "en"}},
		{"Brazilian Portuguese gets the default", "pt-br", locale.Choice{Lang: "en"}},
		{"an empty code gets the default", "", locale.Choice{Lang: "en"}},
		{"nonsense gets the default", "!!--", locale.Choice{Lang: "en"}},
		{"an unknown subtag gets the default", "xx", locale.Choice{Lang: "en"}},
		{"a very long code gets the default", "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", locale.Choice{Lang: "en"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := locale.Resolve(tt.code, supported, "en"); got != tt.want {
				t.Errorf("Resolve(%q) = %+v, want %+v", tt.code, got, tt.want)
			}
		})
	}
	t.Run("the default is the one configured", func(t *testing.T) {
		t.Parallel()
		if got := locale.Resolve("de", supported, "zh"); got != (locale.Choice{Lang: "zh"}) {
			t.Errorf("Resolve(de, default zh) = %+v", got)
		}
	})
	t.Run("a default not supported falls to the first supported", func(t *testing.T) {
		t.Parallel()
		if got := locale.Resolve("de", supported, "fr"); got != (locale.Choice{Lang: "zh"}) {
			t.Errorf("Resolve(de, default fr) = %+v", got)
		}
	})
	t.Run("Russian readers get the default when Russian is not supported", func(t *testing.T) {
		t.Parallel()
		if got := locale.Resolve("uk", []string{"en", "zh"}, "en"); got != (locale.Choice{Lang: "en"}) {
			t.Errorf("Resolve(uk) without ru = %+v", got)
		}
	})
}

func TestMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang string
		fen  int64
		want string
	}{
		{"en", 252000, "¥2,520.00"},
		{"zh", 252000, "¥2,520.00"},
		{"ru", 252000, "2\u00a0520,00\u00a0¥"},
		{"en", 17800, "¥178.00"},
		{"ru", 17800, "178,00\u00a0¥"},
		{"en", 0, "¥0.00"},
		{"en", 5, "¥0.05"},
		{"en", 99, "¥0.99"},
		{"ru", 1, "0,01\u00a0¥"},
		{"en", 100000000, "¥1,000,000.00"},
		{"ru", 100000000, "1\u00a0000\u00a0000,00\u00a0¥"},
		{"en", 123456789012345, "¥1,234,567,890,123.45"},
		{"en", -12345, "-¥123.45"},
		{"ru", -12345, "-123,45\u00a0¥"},
		{"de", 252000, "¥2.520,00"},
		{"not a language", 252000, "¥2,520.00"},
	}
	for _, tt := range tests {
		if got := locale.Money(tt.lang, tt.fen); got != tt.want {
			t.Errorf("Money(%q, %d) = %q, want %q", tt.lang, tt.fen, got, tt.want)
		}
	}
}

func TestScript(t *testing.T) {
	t.Parallel()
	traditional := locale.Choice{Lang: "zh", Traditional: true}
	simplified := locale.Choice{Lang: "zh"}
	tests := []struct {
		name   string
		choice locale.Choice
		in     string
		want   string
	}{
		{"a name in traditional", traditional, "五指山红茶", "五指山紅茶"},
		{"a sentence in traditional", traditional, "兴隆挂耳咖啡，价格¥88", "興隆掛耳咖啡，價格¥88"},
		{"a phrase, not only characters", traditional, "头发", "頭髮"},
		{"traditional stays traditional", traditional, "紅茶", "紅茶"},
		{"no Chinese is left alone", traditional, "Black tea <b>&amp;</b>", "Black tea <b>&amp;</b>"},
		{"a simplified reader reads simplified", simplified, "五指山红茶", "五指山红茶"},
		{"other languages are left alone", locale.Choice{Lang: "ru"}, "红茶", "红茶"},
	}
	for _, tt := range tests {
		if got := tt.choice.Script(tt.in); got != tt.want {
			t.Errorf("%s: Script(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestScriptIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	c := locale.Choice{Lang: "zh", Traditional: true}
	done := make(chan string)
	for range 8 {
		go func() { done <- c.Script("兴隆香草兰豆荚") }()
	}
	for range 8 {
		if got := <-done; got != "興隆香草蘭豆莢" {
			t.Errorf("Script = %q", got)
		}
	}
}
