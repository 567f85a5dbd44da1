package bot

import (
	"context"
	"net/url"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// inGroup answers everything in a group or supergroup chat. The shop works
// in private chats: /start (with its deep link), the other visitor
// commands and button presses get one short message with a button that
// opens the private chat with the same payload; staff commands are
// refused; other text, and commands for other bots, get nothing. No cart,
// order, phone, address or staff list is ever shown in a group, and no
// session of the group is kept (sessionChat).
func (b *Bot) inGroup(ctx context.Context, r *Request) error {
	switch {
	case r.Callback != nil:
		r.Toast(b.msg.T(r.Lang, "group_private_toast"))
		return b.pointToPrivate(ctx, r, "")
	case r.Command == "" || !b.forMe(r.Text):
		return nil
	}
	c, ok := b.router.command(r.Command)
	switch {
	case !ok:
		return nil // perhaps another bot's
	case c.menu == coordinatorMenu || c.menu == officeMenu:
		_, err := b.sendText(ctx, r.ChatID, b.msg.T(r.Lang, "group_staff_refused"), nil)
		return err
	case r.Command == "start" && deepLinkRE.MatchString(r.Args):
		return b.pointToPrivate(ctx, r, r.Args)
	}
	return b.pointToPrivate(ctx, r, "")
}

// forMe reports whether a command in a group is addressed to this bot:
// "/cmd" or "/cmd@<this bot>".
func (b *Bot) forMe(text string) bool {
	head, _, _ := strings.Cut(text, " ")
	if f := strings.Fields(text); len(f) > 0 {
		head = f[0]
	}
	_, to, addressed := strings.Cut(head, "@")
	return !addressed || strings.EqualFold(to, b.tg.Username())
}

// pointToPrivate sends the group the message that opens the private chat,
// with the deep-link payload when there is one. It is sent as a plain
// message, not as the sender's screen: their private session stays as it
// is.
func (b *Bot) pointToPrivate(ctx context.Context, r *Request, payload string) error {
	link := "https://t.me/" + b.tg.Username()
	if payload != "" {
		link += "?start=" + url.QueryEscape(payload)
	}
	kb := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonURL(b.msg.T(r.Lang, "btn_open_private"), link)))
	_, err := b.sendText(ctx, r.ChatID, b.msg.T(r.Lang, "group_private"), &kb)
	return err
}
