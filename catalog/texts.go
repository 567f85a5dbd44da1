package catalog

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
)

// Languages are the languages villagebot speaks completely, in the order
// catalog files list their columns.
var Languages = []string{"zh", "en", "ru"}

// Texts holds one text per language code ("zh", "en", "ru", …). It is
// stored as a jsonb object.
type Texts map[string]string

// Get returns the text in lang, falling back to English, then Chinese, then
// any language present, so a missing translation never shows an empty name.
func (t Texts) Get(lang string) string {
	if s := t[lang]; s != "" {
		return s
	}
	for _, l := range []string{"en", "zh"} {
		if s := t[l]; s != "" {
			return s
		}
	}
	keys := make([]string, 0, len(t))
	for k, s := range t {
		if s != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	sort.Strings(keys)
	return t[keys[0]]
}

// Empty reports whether no language has a text.
func (t Texts) Empty() bool {
	for _, s := range t {
		if s != "" {
			return false
		}
	}
	return true
}

// Value stores Texts as a JSON object, leaving out empty texts.
func (t Texts) Value() (driver.Value, error) {
	m := make(map[string]string, len(t))
	for k, s := range t {
		if s != "" {
			m[k] = s
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// Scan reads Texts from a jsonb column.
func (t *Texts) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*t = Texts{}
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("catalog: cannot scan %T into Texts", src)
	}
	m := Texts{}
	if err := json.Unmarshal(b, &m); err != nil {
		return errors.New("catalog: texts column is not a JSON object of strings")
	}
	*t = m
	return nil
}

// sortedLangs returns the languages of t: those of Languages first, in
// their order, then the others alphabetically.
func sortedLangs(t Texts) []string {
	set := make(map[string]bool, len(t))
	for k := range t {
		set[k] = true
	}
	return orderLangs(set)
}

// orderLangs orders a set of languages as sortedLangs does.
func orderLangs(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for _, l := range Languages {
		if set[l] {
			out = append(out, l)
		}
	}
	var rest []string
	for l := range set {
		if !slices.Contains(Languages, l) {
			rest = append(rest, l)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}
