// Package locale turns what Telegram says about a visitor into the
// language the shop speaks to them in, and writes numbers as each of those
// languages does: the closest supported language for a Telegram
// language_code (Ukrainian, Kazakh… read Russian; Taiwan and Hong Kong
// read traditional Chinese) and money with the grouping of each locale.
// It knows nothing of Telegram's API or of the catalog.
package locale

import (
	"strings"

	"golang.org/x/text/language"
)

// Choice is the language a visitor is spoken to in.
type Choice struct {
	// Lang is one of the supported languages.
	Lang string
	// Traditional is set for Chinese readers of traditional characters
	// (Taiwan, Hong Kong, Macau, zh-Hant, Cantonese): names are shown in
	// traditional script where the catalog has them.
	Traditional bool
}

// russianReaders are the languages whose speakers mostly read Russian
// better than English: the other languages of the former Soviet Union and
// the languages of Russia's republics.
var russianReaders = map[string]bool{
	"uk": true, "be": true, "kk": true, "ky": true, "uz": true, "tg": true,
	"tk": true, "hy": true, "az": true, "ka": true, "ab": true, "os": true,
	"tt": true, "ba": true, "cv": true, "ce": true, "av": true, "sah": true,
	"udm": true, "kv": true, "mhr": true, "mdf": true, "myv": true, "krc": true,
	"kbd": true, "ady": true, "lez": true, "inh": true, "bua": true, "tyv": true,
}

// chineseReaders are the Chinese languages other than Mandarin, whose
// speakers read written Chinese.
var chineseReaders = map[string]bool{"zh": true, "yue": true, "wuu": true, "nan": true, "hak": true, "gan": true, "hsn": true, "cdo": true, "lzh": true}

// Resolve returns the supported language closest to code, a Telegram
// language_code (an IETF tag such as "en", "pt-br", "zh-hant", "uk"): the
// language itself when supported; Russian for the readers of Russian;
// Chinese, simplified or traditional as the tag's script or region says,
// for readers of Chinese; otherwise def. def must be one of supported;
// when it is not, the first supported language is taken.
func Resolve(code string, supported []string, def string) Choice {
	if !contains(supported, def) && len(supported) > 0 {
		def = supported[0]
	}
	tag, err := language.Parse(strings.ReplaceAll(strings.TrimSpace(code), "_", "-"))
	if err != nil && tag == language.Und {
		return Choice{Lang: def}
	}
	base, conf := tag.Base()
	if conf == language.No {
		return Choice{Lang: def}
	}
	b := base.String()
	switch {
	case chineseReaders[b] && contains(supported, "zh"):
		script, _ := tag.Script()
		return Choice{Lang: "zh", Traditional: script.String() == "Hant"}
	case contains(supported, b):
		return Choice{Lang: b}
	case russianReaders[b] && contains(supported, "ru"):
		return Choice{Lang: "ru"}
	}
	return Choice{Lang: def}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
