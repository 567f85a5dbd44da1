package locale

import (
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// moneyPatterns place the amount (%s) and the yuan sign in each language,
// as CLDR's currency patterns do: before the number in English and
// Chinese, after it and a no-break space in Russian. A language not listed
// uses English's.
var moneyPatterns = map[string]string{
	"en": "¥%s",
	"zh": "¥%s",
	"ru": "%s\u00a0¥",
}

// Money writes fen (1 yuan = 100 fen) as yuan with two decimals and the
// digit grouping and decimal sign of lang: "¥2,520.00" in English and
// Chinese, "2 520,00 ¥" in Russian (the spaces no-break, so a price is
// never split across lines). A negative amount starts with a minus sign.
func Money(lang string, fen int64) string {
	tag, err := language.Parse(lang)
	if err != nil {
		tag = language.English
	}
	pattern, ok := moneyPatterns[lang]
	if !ok {
		pattern = moneyPatterns["en"]
	}
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	// The whole yuan and the fen are written apart, so no amount goes
	// through floating point: the printer groups the yuan and the fen
	// take the decimal sign of a figure with a fraction.
	p := message.NewPrinter(tag)
	yuan := p.Sprint(number.Decimal(fen / 100))
	frac := p.Sprint(number.Decimal(float64(fen%100)/100+1, number.Scale(2)))
	return sign + strings.Replace(pattern, "%s", yuan+frac[1:], 1)
}
