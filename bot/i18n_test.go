package bot

import (
	"io/fs"
	"slices"
	"testing"

	"github.com/BurntSushi/toml"

	"villagebot/catalog"
)

// Every language has every message the English catalogue has, and no
// message English lacks.
func TestEveryLanguageIsComplete(t *testing.T) {
	keys := func(lang string) []string {
		b, err := fs.ReadFile(localeFiles, "locales/"+lang+".toml")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := toml.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	en := keys("en")
	for _, lang := range catalog.Languages {
		got := keys(lang)
		for _, k := range en {
			if !slices.Contains(got, k) {
				t.Errorf("%s lacks message %q", lang, k)
			}
		}
		for _, k := range got {
			if !slices.Contains(en, k) {
				t.Errorf("%s has message %q that en lacks", lang, k)
			}
		}
	}
}

func TestPickLanguage(t *testing.T) {
	m, err := LoadMessages("en")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ chosen, telegram, want string }{
		{"", "zh-hans", "zh"},
		{"", "ru", "ru"},
		{"", "de", "en"},
		{"", "", "en"},
		{"ru", "zh-hans", "ru"},
		{"xx", "ru", "ru"},
	}
	for _, tt := range tests {
		if got := m.Pick(tt.chosen, tt.telegram); got != tt.want {
			t.Errorf("Pick(%q, %q) = %q, want %q", tt.chosen, tt.telegram, got, tt.want)
		}
	}
}

func TestRussianPlurals(t *testing.T) {
	m, err := LoadMessages("en")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.N("ru", "product_stock", 1); got != "📦 Осталась 1 шт." {
		t.Errorf("ru 1 = %q", got)
	}
	if got := m.N("ru", "product_stock", 5); got != "📦 Осталось 5 шт." {
		t.Errorf("ru 5 = %q", got)
	}
	if got := m.N("zh", "product_stock", 3); got != "📦 剩余 3 件" {
		t.Errorf("zh 3 = %q", got)
	}
}
