package bot

import (
	"embed"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"villagebot/catalog"
	"villagebot/internal/locale"
)

//go:embed locales/*.toml
var localeFiles embed.FS

// Messages holds the message catalogues of every language.
type Messages struct {
	bundle     *i18n.Bundle
	localizers map[string]*i18n.Localizer
	fallback   string
	// log is where a missing message is reported; bot.New sets it to the
	// bot's logger.
	log *slog.Logger
	// plain holds messages without data once rendered, by lang and id:
	// most of a screen's text and buttons, on every update.
	plain sync.Map
}

// LoadMessages reads the embedded catalogues, one file per language of
// catalog.Languages (each names its language in itself as language_name);
// fallback is the language used when a user's Telegram language is not
// supported.
func LoadMessages(fallback string) (*Messages, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	m := &Messages{bundle: b, localizers: map[string]*i18n.Localizer{}, fallback: fallback, log: slog.Default()}
	for _, lang := range catalog.Languages {
		if _, err := b.LoadMessageFileFS(localeFiles, "locales/"+lang+".toml"); err != nil {
			return nil, fmt.Errorf("messages: %w", err)
		}
		m.localizers[lang] = i18n.NewLocalizer(b, lang, "en")
	}
	if !m.Supported(fallback) {
		return nil, fmt.Errorf("messages: default language %q is not one of %s", fallback, strings.Join(catalog.Languages, ", "))
	}
	return m, nil
}

// Supported reports whether lang has a complete catalogue.
func (m *Messages) Supported(lang string) bool {
	_, ok := m.localizers[lang]
	return ok
}

// Pick chooses the language for a user: their explicit choice, else their
// Telegram language ("zh-hans" counts as "zh"), else the default.
func (m *Messages) Pick(chosen, telegram string) string {
	if m.Supported(chosen) {
		return chosen
	}
	base, _, _ := strings.Cut(strings.ToLower(telegram), "-")
	if m.Supported(base) {
		return base
	}
	return m.fallback
}

// T returns message id in lang, filled from data (a map, or key-value
// pairs: T(lang, "x", "Name", n)). A missing message is logged and its id
// returned, so a gap in a catalogue never breaks a reply.
func (m *Messages) T(lang, id string, kv ...any) string {
	if len(kv) > 0 {
		return m.localize(lang, id, nil, kv)
	}
	key := lang + "\x00" + id
	if s, ok := m.plain.Load(key); ok {
		return s.(string)
	}
	s, found := m.render(lang, id, nil, nil)
	if found { // an id not in the catalogues may come from stored data: not kept
		m.plain.Store(key, s)
	}
	return s
}

// N is T for a message with plural forms chosen by count.
func (m *Messages) N(lang, id string, count int, kv ...any) string {
	return m.localize(lang, id, count, append(kv, "Count", count))
}

func (m *Messages) localize(lang, id string, count any, kv []any) string {
	s, _ := m.render(lang, id, count, kv)
	return s
}

// render is localize, also reporting whether the message was found.
func (m *Messages) render(lang, id string, count any, kv []any) (string, bool) {
	l, ok := m.localizers[lang]
	if !ok {
		l = m.localizers[m.fallback]
	}
	data := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		data[fmt.Sprint(kv[i])] = kv[i+1]
	}
	s, err := l.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil {
		m.log.Error("message missing", "id", id, "lang", lang, "err", err)
		return id, false
	}
	return s, true
}

// money writes an amount as lang writes money, sign included. A message
// that shows money takes it whole ("{{.Total}}", never "¥{{.Total}}").
func money(lang string, m catalog.Money) string { return locale.Money(lang, int64(m)) }
