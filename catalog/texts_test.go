package catalog_test

import (
	"testing"

	"villagebot/catalog"
)

func TestTextsGet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		texts catalog.Texts
		lang  string
		want  string
	}{
		{"the asked language wins", catalog.Texts{"zh": "红茶", "en": "Black tea", "ru": "Чёрный чай"}, "ru", "Чёрный чай"},
		{"a missing language falls back to English", catalog.Texts{"zh": "红茶", "en": "Black tea"}, "ru", "Black tea"},
		{"an empty text counts as missing", catalog.Texts{"zh": "红茶", "en": "Black tea", "ru": ""}, "ru", "Black tea"},
		{"without English it falls back to Chinese", catalog.Texts{"zh": "红茶", "fr": "Thé noir"}, "ru", "红茶"},
		{"without either any language is better than nothing", catalog.Texts{"fr": "Thé noir", "de": "Schwarztee"}, "ru", "Schwarztee"},
		{"no text at all is empty", catalog.Texts{}, "en", ""},
		{"nil texts are empty", nil, "en", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.texts.Get(tt.lang); got != tt.want {
				t.Errorf("Get(%q) = %q, want %q", tt.lang, got, tt.want)
			}
		})
	}
}

func TestTextsStorage(t *testing.T) {
	t.Parallel()
	t.Run("empty texts are left out of the stored object and come back absent", func(t *testing.T) {
		v, err := catalog.Texts{"zh": "茶", "en": ""}.Value()
		if err != nil {
			t.Fatal(err)
		}
		var back catalog.Texts
		if err := back.Scan(v); err != nil {
			t.Fatal(err)
		}
		if len(back) != 1 || back["zh"] != "茶" {
			t.Errorf("round trip gave %v", back)
		}
	})
	t.Run("a column that is not an object of strings is an error", func(t *testing.T) {
		var back catalog.Texts
		if err := back.Scan([]byte(`["tea"]`)); err == nil {
			t.Error("Scan accepted a JSON array")
		}
	})
}
