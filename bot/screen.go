package bot

import (
	"context"
	"html"
	"regexp"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Telegram's limits on what one message holds (its Bot API documents
// them; the emulator in telegramtest enforces them).
const (
	maxText    = 4096 // characters of a message's text
	maxCaption = 1024 // characters of a photo's caption
)

// screen is what the bot shows in reply: HTML text, inline buttons, and a
// photo (a file_id or an http(s) URL) when there is one.
type screen struct {
	text    string
	buttons [][]tgbotapi.InlineKeyboardButton
	photo   string
}

func (s screen) markup() *tgbotapi.InlineKeyboardMarkup {
	if len(s.buttons) == 0 {
		return nil
	}
	m := tgbotapi.NewInlineKeyboardMarkup(s.buttons...)
	return &m
}

// show puts s on the chat. A button press replaces the message the button
// was on — edited in place when it can be, else deleted and sent anew (a
// text message cannot become a photo) — and anything else sends a new
// message.
func (b *Bot) show(ctx context.Context, r *Request, s screen) error {
	if r.Callback != nil && r.Callback.Message != nil {
		old := r.Callback.Message
		done, err := b.edit(ctx, r, old, s)
		if done || err != nil {
			return err
		}
		b.delete(ctx, r.ChatID, old.MessageID)
	}
	return b.sendScreen(ctx, r, s)
}

// edit replaces message old with s where Telegram allows it; done is false
// when it cannot, so the caller sends a new message instead.
func (b *Bot) edit(ctx context.Context, r *Request, old *tgbotapi.Message, s screen) (done bool, err error) {
	oldPhoto := len(old.Photo) > 0
	var c tgbotapi.Chattable
	switch {
	case !oldPhoto && s.photo == "":
		e := tgbotapi.NewEditMessageText(r.ChatID, old.MessageID, s.text)
		e.ParseMode = tgbotapi.ModeHTML
		e.DisableWebPagePreview = true
		e.ReplyMarkup = s.markup()
		c = e
	case oldPhoto && s.photo != "" && r.Session.Screen == old.MessageID && r.Session.ScreenPhoto == s.photo:
		e := tgbotapi.NewEditMessageCaption(r.ChatID, old.MessageID, s.text)
		e.ParseMode = tgbotapi.ModeHTML
		e.ReplyMarkup = s.markup()
		c = e
	default:
		return false, nil
	}
	_, err = b.tg.Request(ctx, c)
	switch {
	case err == nil || notModified(err):
		r.Session.Screen, r.Session.ScreenPhoto = old.MessageID, s.photo
		return true, nil
	case apiErrorCode(err) == 400: // gone, too old to edit: send anew
		return false, nil
	}
	return false, err
}

// sendScreen sends s as a new message and remembers it as the chat's
// current screen. A photo Telegram refuses is replaced by the text alone.
func (b *Bot) sendScreen(ctx context.Context, r *Request, s screen) error {
	if s.photo != "" {
		var file tgbotapi.RequestFileData = tgbotapi.FileID(s.photo)
		if strings.HasPrefix(s.photo, "http://") || strings.HasPrefix(s.photo, "https://") {
			file = tgbotapi.FileURL(s.photo)
		}
		p := tgbotapi.NewPhoto(r.ChatID, file)
		p.Caption = s.text
		p.ParseMode = tgbotapi.ModeHTML
		if m := s.markup(); m != nil {
			p.ReplyMarkup = m
		}
		msg, err := b.tg.Send(ctx, p)
		if err == nil {
			r.Session.Screen, r.Session.ScreenPhoto = msg.MessageID, s.photo
			return nil
		}
		if apiErrorCode(err) != 400 {
			return err
		}
		b.log.Warn("photo refused, sending text", "chat_id", r.ChatID, "err", err)
	}
	msg, err := b.sendText(ctx, r.ChatID, s.text, s.markup())
	if err != nil {
		return err
	}
	r.Session.Screen, r.Session.ScreenPhoto = msg.MessageID, ""
	return nil
}

// send sends a text message with optional inline buttons.
func (b *Bot) send(ctx context.Context, r *Request, text string, buttons [][]tgbotapi.InlineKeyboardButton) error {
	return b.sendScreen(ctx, r, screen{text: text, buttons: buttons})
}

func (b *Bot) sendText(ctx context.Context, chatID int64, text string, markup any) (tgbotapi.Message, error) {
	m := tgbotapi.NewMessage(chatID, text)
	m.ParseMode = tgbotapi.ModeHTML
	m.DisableWebPagePreview = true
	if markup != nil {
		if km, ok := markup.(*tgbotapi.InlineKeyboardMarkup); !ok || km != nil {
			m.ReplyMarkup = markup
		}
	}
	return b.tg.Send(ctx, m)
}

func (b *Bot) delete(ctx context.Context, chatID int64, messageID int) {
	if _, err := b.tg.Request(ctx, tgbotapi.NewDeleteMessage(chatID, messageID)); err != nil && apiErrorCode(err) != 400 {
		b.log.Warn("delete message failed", "chat_id", chatID, "err", err)
	}
}

// esc escapes text from users or the catalog for Telegram's HTML.
func esc(s string) string {
	return htmlEscaper.Replace(s)
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

var tagRE = regexp.MustCompile(`<[^>]*>`)

// plainLen is the length Telegram counts for an HTML text: tags removed,
// entities decoded, in UTF-16 code units.
func plainLen(htmlText string) int {
	return utf16Len(html.UnescapeString(tagRE.ReplaceAllString(htmlText, "")))
}

// plainText is an HTML text as the user reads it, for toasts.
func plainText(htmlText string) string {
	return html.UnescapeString(tagRE.ReplaceAllString(htmlText, ""))
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// fit returns head followed by as much of the plain text tail (escaped) as
// keeps the whole within limit characters, ending in "…" when cut.
func fit(head, tail string, limit int) string {
	room := limit - plainLen(head)
	if utf16Len(tail) <= room {
		return head + esc(tail)
	}
	if room <= 1 {
		return head
	}
	var sb strings.Builder
	n := 0
	for _, r := range tail {
		w := utf16.RuneLen(r)
		if n+w > room-1 {
			break
		}
		sb.WriteRune(r)
		n += w
	}
	return head + esc(strings.TrimRightFunc(sb.String(), isSpace)) + "…"
}

func isSpace(r rune) bool { return r == ' ' || r == '\n' || r == '\t' }

// truncateRunes cuts s to at most n runes.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
