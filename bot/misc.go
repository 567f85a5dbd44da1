package bot

import (
	"context"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/catalog"
)

// language shows the language picker.
func (b *Bot) language(ctx context.Context, r *Request) error {
	var row []tgbotapi.InlineKeyboardButton
	for _, l := range catalog.Languages {
		row = append(row, button(b.msg.T(l, "language_name"), cbLanguageData(l)))
	}
	return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "language_prompt"), buttons: [][]tgbotapi.InlineKeyboardButton{row, b.menuRow(r.Lang)}})
}

// setLanguage is a press on the picker ("l:<code>"), or the menu's
// language button ("l") which shows the picker.
func (b *Bot) setLanguage(ctx context.Context, r *Request) error {
	if len(r.Data.Args) == 0 {
		return b.language(ctx, r)
	}
	lang := r.Data.Args[0]
	if len(r.Data.Args) != 1 || !b.msg.Supported(lang) {
		return errStale
	}
	r.Session.Lang, r.Lang = lang, lang
	r.Toast(b.msg.T(lang, "language_set"))
	return b.menu(ctx, r)
}

// help lists the commands this user may use.
func (b *Bot) help(ctx context.Context, r *Request) error {
	text := b.msg.T(r.Lang, "help")
	if me, err := b.catalog.StaffMember(ctx, r.UserID); err == nil {
		text += b.msg.T(r.Lang, "help_staff_coordinator")
		if me.Role == catalog.Office {
			text += b.msg.T(r.Lang, "help_staff_office")
		}
	}
	return b.show(ctx, r, screen{text: text, buttons: [][]tgbotapi.InlineKeyboardButton{b.menuRow(r.Lang)}})
}

// cancel leaves whatever flow the user is in.
func (b *Bot) cancel(ctx context.Context, r *Request) error {
	key := "cancelled"
	if r.Session.Flow == "" {
		key = "nothing_to_cancel"
	}
	wasCheckout := r.Session.Flow == flowCheckout
	r.Session.Leave()
	if wasCheckout {
		// Take the checkout's reply keyboard (share my phone) away.
		if err := b.ask(ctx, r, b.msg.T(r.Lang, key), nil); err != nil {
			return err
		}
		return b.send(ctx, r, b.msg.T(r.Lang, "menu_title"), b.menuButtons(r))
	}
	return b.send(ctx, r, b.msg.T(r.Lang, key), b.menuButtons(r))
}

// unknown answers what no route took. Text sent outside any flow is
// taken as a search.
func (b *Bot) unknown(ctx context.Context, r *Request) error {
	if r.Command != "" {
		return b.send(ctx, r, b.msg.T(r.Lang, "unknown_command"), nil)
	}
	if r.Message != nil && r.Text != "" && r.Session.Flow == "" {
		return b.searchFreeText(ctx, r)
	}
	if r.Session.restarted() {
		// Most likely an answer to a question of a flow the bot forgot.
		return b.send(ctx, r, b.msg.T(r.Lang, "session_lost"), b.menuButtons(r))
	}
	return b.send(ctx, r, b.msg.T(r.Lang, "unknown_text"), b.menuButtons(r))
}
