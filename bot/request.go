package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Request is one update on its way through the router: who sent it, in
// which chat and language, what it asks, and the chat's session.
type Request struct {
	Update tgbotapi.Update
	ChatID int64
	UserID int64
	Name   string // the sender's first name
	// Group is set for an update from a group or supergroup chat, where
	// the shop only points to the private chat.
	Group   bool
	Lang    string
	Session *Session

	Message *tgbotapi.Message // a message update
	Command string            // "start" for "/start@villagebot p_X"
	Args    string            // "p_X"
	Text    string            // the message text, trimmed

	Callback *tgbotapi.CallbackQuery // a callback update
	Data     callbackData            // its parsed data

	failed   bool   // the handler failed unexpectedly
	toast    string // the answer to the callback query
	alert    bool
	answered bool
}

func newRequest(u tgbotapi.Update) *Request {
	r := &Request{Update: u}
	switch {
	case u.Message != nil:
		m := u.Message
		r.Message = m
		if m.Chat != nil {
			r.ChatID, r.Group = m.Chat.ID, isGroup(m.Chat)
		}
		if m.From != nil {
			r.UserID, r.Name = m.From.ID, cleanText(m.From.FirstName)
		}
		r.Text = strings.TrimSpace(cleanText(m.Text))
		if r.Text == "" {
			r.Text = strings.TrimSpace(cleanText(m.Caption))
		}
		r.Command, r.Args = parseCommand(r.Text)
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		r.Callback = q
		if q.From != nil {
			r.UserID, r.Name = q.From.ID, cleanText(q.From.FirstName)
		}
		if q.Message != nil && q.Message.Chat != nil {
			r.ChatID, r.Group = q.Message.Chat.ID, isGroup(q.Message.Chat)
		}
		r.Data = parseCallback(q.Data)
	}
	return r
}

func isGroup(c *tgbotapi.Chat) bool { return c.Type == "group" || c.Type == "supergroup" }

// sessionChat is the id the session is kept under: the chat's, and in a
// group the sender's own — sessions are per user, never shared by a
// group's members. (In a private chat both are the user's id.)
func (r *Request) sessionChat() int64 {
	if r.Group && r.UserID != 0 {
		return r.UserID
	}
	return r.ChatID
}

// cleanText is text from a user as the bot takes it: valid UTF-8 without
// NUL or other control characters (line breaks and tabs stay). Every text
// of an update is cleaned here, before it reaches a query or a log.
func cleanText(s string) string {
	clean := func(r rune) bool { return r != '\n' && r != '\t' && unicode.IsControl(r) }
	if utf8.ValidString(s) && strings.IndexFunc(s, clean) < 0 {
		return s
	}
	s = strings.ToValidUTF8(s, "")
	return strings.Map(func(r rune) rune {
		if clean(r) {
			return -1
		}
		return r
	}, s)
}

func (r *Request) telegramLang() string {
	switch {
	case r.Message != nil && r.Message.From != nil:
		return r.Message.From.LanguageCode
	case r.Callback != nil && r.Callback.From != nil:
		return r.Callback.From.LanguageCode
	}
	return ""
}

// Toast sets the short notice shown when the callback query is answered.
func (r *Request) Toast(text string) { r.toast = text }

// parseCommand splits "/cmd@bot args" into "cmd" and "args". Text that is
// not a command gives "". Command names are at most 32 of [a-z0-9_], as
// Telegram allows, in either case of ASCII; anything else is not a
// command. The name ends at the first white space of any kind (a space, a
// line break, a tab, a no-break space).
func parseCommand(text string) (cmd, args string) {
	if !strings.HasPrefix(text, "/") {
		return "", ""
	}
	head, rest := text[1:], ""
	if i := strings.IndexFunc(head, unicode.IsSpace); i >= 0 {
		_, n := utf8.DecodeRuneInString(head[i:])
		head, rest = head[:i], head[i+n:]
	}
	head, _, _ = strings.Cut(head, "@")
	if head == "" || len(head) > 32 {
		return "", ""
	}
	name := []byte(head)
	for i, c := range name {
		switch {
		case c >= 'A' && c <= 'Z':
			name[i] = c + 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		default: // non-ASCII letters too: strings.ToLower would fold the Kelvin sign into "k"
			return "", ""
		}
	}
	return string(name), strings.TrimSpace(rest)
}
