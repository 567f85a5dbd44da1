package catalog

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits of the catalog's fields.
const (
	MaxStock       = 1_000_000 // units of one product
	MaxNameRunes   = 200       // a name or a region, in any language
	MaxUnitRunes   = 100       // a unit such as "tin (250 g)"
	MaxStoryRunes  = 2000      // a story, in any language
	MaxURLBytes    = 2048      // photo_url
	MaxFileIDBytes = 256       // a Telegram file_id
)

var (
	codeRE = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)
	skuRE  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)
	langRE = regexp.MustCompile(`^[a-z]{2,3}$`)
)

// FieldError is a value that breaks a rule. Field is named as the column of
// a catalog file ("sku", "price", "name_ru"…). It wraps ErrInvalid.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, reason string) *FieldError {
	return &FieldError{Field: field, Reason: reason}
}

// Validate reports the first rule the village breaks, as a *FieldError.
func (v *Village) Validate() error {
	if p := v.problems(); len(p) > 0 {
		return p[0]
	}
	return nil
}

// Validate reports the first rule the product breaks, as a *FieldError.
// A product names its village by VillageID or VillageCode.
func (p *Product) Validate() error {
	if pr := p.problems(); len(pr) > 0 {
		return pr[0]
	}
	return nil
}

func (v *Village) problems() []*FieldError {
	var out []*FieldError
	if e := checkCode(v.Code); e != nil {
		out = append(out, invalid("code", e.Error()))
	}
	out = append(out, checkTexts("name", v.Name, MaxNameRunes, false)...)
	if v.Name["zh"] == "" && v.Name["en"] == "" {
		out = append(out, invalid("name", "a name in zh or en is required"))
	}
	out = append(out, checkTexts("region", v.Region, MaxNameRunes, false)...)
	out = append(out, checkTexts("story", v.Story, MaxStoryRunes, true)...)
	if e := checkFileID(v.PhotoFileID); e != nil {
		out = append(out, invalid("photo_file_id", e.Error()))
	}
	return out
}

func (p *Product) problems() []*FieldError {
	var out []*FieldError
	if e := checkSKU(p.SKU); e != nil {
		out = append(out, invalid("sku", e.Error()))
	}
	if p.VillageID <= 0 && p.VillageCode == "" {
		out = append(out, invalid("village", "required"))
	} else if p.VillageID <= 0 {
		if e := checkCode(p.VillageCode); e != nil {
			out = append(out, invalid("village", e.Error()))
		}
	}
	if !p.Category.Valid() {
		out = append(out, invalid("category", categoryReason(string(p.Category))))
	}
	out = append(out, checkTexts("name", p.Name, MaxNameRunes, false)...)
	if p.Name["zh"] == "" && p.Name["en"] == "" {
		out = append(out, invalid("name", "a name in zh or en is required"))
	}
	out = append(out, checkTexts("unit", p.Unit, MaxUnitRunes, false)...)
	out = append(out, checkTexts("story", p.Story, MaxStoryRunes, true)...)
	if p.Price < 0 || p.Price > MaxPrice {
		out = append(out, invalid("price", "must be between 0 and "+MaxPrice.String()+" yuan"))
	}
	if p.Stock < 0 || p.Stock > MaxStock {
		out = append(out, invalid("stock", "must be a whole number from 0 to 1000000"))
	}
	if e := checkPhotoURL(p.PhotoURL); e != nil {
		out = append(out, invalid("photo_url", e.Error()))
	}
	if e := checkFileID(p.PhotoFileID); e != nil {
		out = append(out, invalid("photo_file_id", e.Error()))
	}
	return out
}

type reason string

func (r reason) Error() string { return string(r) }

func checkCode(code string) error {
	switch {
	case code == "":
		return reason("required")
	case !codeRE.MatchString(code):
		return reason("must be 1 to 32 of a-z, 0-9, _ and -")
	}
	return nil
}

func checkSKU(sku string) error {
	switch {
	case sku == "":
		return reason("required")
	case !skuRE.MatchString(sku):
		return reason("must be 1 to 40 of A-Z, a-z, 0-9, _ and -")
	}
	return nil
}

func categoryReason(c string) string {
	names := make([]string, len(Categories))
	for i, k := range Categories {
		names[i] = string(k)
	}
	if c == "" {
		return "required, one of " + strings.Join(names, ", ")
	}
	return "must be one of " + strings.Join(names, ", ")
}

// checkTexts checks every language of t; the field of an error is
// prefix_lang, such as name_ru.
func checkTexts(prefix string, t Texts, maxRunes int, multiline bool) []*FieldError {
	var out []*FieldError
	for _, lang := range sortedLangs(t) {
		field := prefix + "_" + lang
		if !langRE.MatchString(lang) {
			out = append(out, invalid(field, "language must be 2 or 3 lowercase letters"))
			continue
		}
		if e := checkText(t[lang], maxRunes, multiline); e != nil {
			out = append(out, invalid(field, e.Error()))
		}
	}
	return out
}

// checkText checks one text: valid UTF-8, trimmed, no control characters
// (a story may hold line breaks) and not too long.
func checkText(s string, maxRunes int, multiline bool) error {
	if !utf8.ValidString(s) {
		return reason("not valid UTF-8")
	}
	if strings.TrimSpace(s) != s {
		return reason("has leading or trailing spaces")
	}
	for _, r := range s {
		if r == '\n' && multiline {
			continue
		}
		if unicode.IsControl(r) || isBidiControl(r) {
			return reason("holds a control character")
		}
	}
	if n := utf8.RuneCountInString(s); n > maxRunes {
		return reason("too long (" + strconv.Itoa(n) + " characters, at most " + strconv.Itoa(maxRunes) + ")")
	}
	return nil
}

// isBidiControl reports the explicit direction overrides and isolates, which
// can make a name display as something else.
func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

func checkPhotoURL(s string) error {
	if s == "" {
		return nil
	}
	if len(s) > MaxURLBytes {
		return reason("too long (at most 2048 bytes)")
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || !utf8.ValidRune(r) || r == utf8.RuneError {
			return reason("must be an http or https URL without spaces")
		}
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return reason("must be an http or https URL")
	}
	return nil
}

func checkFileID(s string) error {
	if len(s) > MaxFileIDBytes {
		return reason("too long")
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == utf8.RuneError {
			return reason("holds a space or control character")
		}
	}
	return nil
}

// Normalize tidies the village's texts the way every write does: Unicode
// NFC, line breaks as \n, surrounding spaces trimmed, empty texts dropped.
func (v *Village) Normalize() {
	v.Code = strings.TrimSpace(v.Code)
	v.Name = normalizeTexts(v.Name, false)
	v.Region = normalizeTexts(v.Region, false)
	v.Story = normalizeTexts(v.Story, true)
	v.PhotoFileID = strings.TrimSpace(v.PhotoFileID)
}

// Normalize tidies the product's texts the way every write does (see
// Village.Normalize).
func (p *Product) Normalize() {
	p.SKU = strings.TrimSpace(p.SKU)
	p.VillageCode = strings.TrimSpace(p.VillageCode)
	p.Category = Category(strings.TrimSpace(string(p.Category)))
	p.Name = normalizeTexts(p.Name, false)
	p.Unit = normalizeTexts(p.Unit, false)
	p.Story = normalizeTexts(p.Story, true)
	p.PhotoURL = strings.TrimSpace(p.PhotoURL)
	p.PhotoFileID = strings.TrimSpace(p.PhotoFileID)
}

func normalizeTexts(t Texts, multiline bool) Texts {
	out := make(Texts, len(t))
	for k, s := range t {
		if s = normalizeText(s, multiline); s != "" {
			out[k] = s
		}
	}
	return out
}

// normalizeText puts s in NFC, turns CRLF and CR into LF and trims it. In a
// single-line text every line break becomes a space. Invalid UTF-8 is left
// for validation to report.
func normalizeText(s string, multiline bool) string {
	if !utf8.ValidString(s) {
		return s
	}
	if strings.ContainsRune(s, '\r') {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	if !multiline && strings.ContainsRune(s, '\n') {
		s = strings.Join(strings.Fields(s), " ")
	}
	return strings.TrimSpace(norm.NFC.String(s))
}

// equalTexts compares two Texts, empty texts counting as absent.
func equalTexts(a, b Texts) bool {
	for k, s := range a {
		if s != "" && b[k] != s {
			return false
		}
	}
	for k, s := range b {
		if s != "" && a[k] != s {
			return false
		}
	}
	return true
}
