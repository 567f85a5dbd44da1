package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/catalog"
)

// staffHandler handles a staff command for a staff member.
type staffHandler func(ctx context.Context, r *Request, me catalog.Staff) error

// staffOnly lets a command through for staff of at least the given role
// (a coordinator's commands are open to office staff too); everyone else
// gets a plain refusal and nothing changes. The role is read from the
// database on every command, so a revoke takes effect at once.
func (b *Bot) staffOnly(role catalog.Role, h staffHandler) Handler {
	return func(ctx context.Context, r *Request) error {
		me, err := b.catalog.StaffMember(ctx, r.UserID)
		if errors.Is(err, catalog.ErrNotFound) || err == nil && role == catalog.Office && me.Role != catalog.Office {
			return refuse(b.msg.T(r.Lang, "refused_"+string(role)))
		}
		if err != nil {
			return err
		}
		return h(ctx, r, me)
	}
}

// refuse is a refusal or usage reminder: one line to the user, nothing
// logged as an error.
func refuse(text string) error { return &usageError{text} }

// usage is the reminder of how a command is written.
func (b *Bot) usage(r *Request, cmd string) error {
	return refuse(b.msg.T(r.Lang, "usage", "Usage", esc(b.msg.T(r.Lang, "usage_"+cmd))))
}

// managedProduct finds the product a staff command names by SKU and
// checks that me may manage it.
func (b *Bot) managedProduct(ctx context.Context, r *Request, me catalog.Staff, sku string) (catalog.Product, error) {
	if !skuRE.MatchString(sku) {
		return catalog.Product{}, refuse(b.msg.T(r.Lang, "unknown_sku", "SKU", esc(truncateRunes(sku, 40))))
	}
	p, err := b.catalog.ProductBySKU(ctx, sku)
	if errors.Is(err, catalog.ErrNotFound) {
		return p, refuse(b.msg.T(r.Lang, "unknown_sku", "SKU", esc(sku)))
	}
	if err != nil {
		return p, err
	}
	if !me.CanManage(p.VillageID) {
		return p, refuse(b.msg.T(r.Lang, "not_your_village", "SKU", esc(p.SKU)))
	}
	return p, nil
}

// grant is /grant ID office and /grant ID coordinator VILLAGE.
func (b *Bot) grant(ctx context.Context, r *Request, me catalog.Staff) error {
	f := strings.Fields(r.Args)
	if len(f) < 2 || len(f) > 3 {
		return b.usage(r, "grant")
	}
	id, err := strconv.ParseInt(f[0], 10, 64)
	role := catalog.Role(strings.ToLower(f[1]))
	ok := err == nil && id > 0 && (role == catalog.Office && len(f) == 2 || role == catalog.Coordinator && len(f) == 3)
	if !ok {
		return b.usage(r, "grant")
	}
	code := ""
	if len(f) == 3 {
		code = strings.ToLower(f[2])
	}
	s, err := b.catalog.Grant(ctx, id, role, code, actor(r.UserID))
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return refuse(b.msg.T(r.Lang, "unknown_village", "Code", esc(truncateRunes(code, 32))))
	case errors.Is(err, catalog.ErrLastOffice):
		return refuse(b.msg.T(r.Lang, "revoke_last_office"))
	case errors.Is(err, catalog.ErrInvalid):
		return b.usage(r, "grant")
	case err != nil:
		return err
	}
	b.refreshCommands(ctx, s.TelegramID)
	return b.send(ctx, r, b.msg.T(r.Lang, "granted", "ID", s.TelegramID, "Role", b.roleText(r.Lang, s)), nil)
}

// revoke is /revoke ID: it asks to confirm (revokeYes does it), unless
// ID has no role or holds the last office account, which are refused at
// once.
func (b *Bot) revoke(ctx context.Context, r *Request, me catalog.Staff) error {
	f := strings.Fields(r.Args)
	if len(f) != 1 {
		return b.usage(r, "revoke")
	}
	id, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || id <= 0 || id >= maxID {
		return b.usage(r, "revoke")
	}
	s, err := b.catalog.StaffMember(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return refuse(b.msg.T(r.Lang, "not_staff", "ID", id))
	}
	if err != nil {
		return err
	}
	if s.Role == catalog.Office {
		last, err := b.lastOffice(ctx)
		if err != nil {
			return err
		}
		if last {
			return refuse(b.msg.T(r.Lang, "revoke_last_office"))
		}
	}
	who := "<code>" + strconv.FormatInt(id, 10) + "</code>"
	if names, err := b.orders.CustomerNames(ctx, []int64{id}); err == nil && names[id].FirstName != "" {
		who = "<b>" + esc(names[id].FirstName) + "</b> (" + who + ")"
	}
	key := "revoke_ask"
	if id == r.UserID {
		key = "revoke_ask_self"
	}
	return b.send(ctx, r, b.msg.T(r.Lang, key, "Who", who, "Role", b.roleText(r.Lang, s)), [][]tgbotapi.InlineKeyboardButton{{
		button(b.msg.T(r.Lang, "btn_revoke_yes"), cb(cbRevokeYes, id)),
		button(b.msg.T(r.Lang, "btn_revoke_keep"), cb(cbRevokeKeep, id)),
	}})
}

// lastOffice reports whether there is at most one office account: the
// chat does not offer to revoke it (the catalog refuses it anyway).
func (b *Bot) lastOffice(ctx context.Context) (bool, error) {
	staff, err := b.catalog.StaffList(ctx)
	if err != nil {
		return false, err
	}
	n := 0
	for _, s := range staff {
		if s.Role == catalog.Office {
			n++
		}
	}
	return n <= 1, nil
}

// revokeYes is the confirmation of /revoke ("rvy:<telegram id>"), pressed
// by someone who is office staff at the press (deskOnly).
func (b *Bot) revokeYes(ctx context.Context, r *Request, me catalog.Staff) error {
	id, ok := r.Data.ID(0, maxID)
	if !ok || id == 0 {
		return errStale
	}
	err := b.catalog.Revoke(ctx, id, actor(r.UserID))
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "not_staff", "ID", id)})
	case errors.Is(err, catalog.ErrLastOffice):
		return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "revoke_last_office")})
	case err != nil:
		return err
	}
	b.refreshCommands(ctx, id)
	return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "revoked", "ID", id)})
}

// revokeKeep leaves the role as it is ("rvn:<telegram id>").
func (b *Bot) revokeKeep(ctx context.Context, r *Request, me catalog.Staff) error {
	id, ok := r.Data.ID(0, maxID)
	if !ok || id == 0 {
		return errStale
	}
	return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "revoke_kept", "ID", id)})
}

func (b *Bot) roleText(lang string, s catalog.Staff) string {
	if s.Role == catalog.Coordinator {
		return b.msg.T(lang, "role_coordinator", "Village", esc(s.VillageCode))
	}
	return b.msg.T(lang, "role_office")
}

// Command menus: visitors see the visitor commands; each staff member sees
// the commands of their role, set for their chat alone. The route table
// (router.go) says which command is in which menu.

// commands are the menu entries, in lang, of the commands the menus list.
func (b *Bot) commands(lang string, menus ...commandMenu) []tgbotapi.BotCommand {
	var cmds []tgbotapi.BotCommand
	for _, n := range b.router.menuCommands(menus...) {
		cmds = append(cmds, tgbotapi.BotCommand{Command: n, Description: b.msg.T(lang, "cmd_"+n)})
	}
	return cmds
}

// SetCommands publishes the visitor command menu in every language, and
// each staff member's own menu.
func (b *Bot) SetCommands(ctx context.Context) error {
	for _, lang := range catalog.Languages {
		c := tgbotapi.NewSetMyCommands(b.commands(lang, visitorMenu)...)
		if lang != b.msg.fallback {
			c.LanguageCode = lang
		}
		if _, err := b.tg.Request(ctx, c); err != nil {
			return err
		}
		if lang == b.msg.fallback {
			c.LanguageCode = lang
			if _, err := b.tg.Request(ctx, c); err != nil {
				return err
			}
		}
	}
	staff, err := b.catalog.StaffList(ctx)
	if err != nil {
		return err
	}
	for _, s := range staff {
		if s.TelegramID == 0 {
			continue // a console account without Telegram has no menu
		}
		b.refreshCommands(ctx, s.TelegramID)
	}
	return nil
}

// refreshCommands sets the command menu of one person's chat to what
// their role allows now (the visitor menu when they have none).
func (b *Bot) refreshCommands(ctx context.Context, telegramID int64) {
	lang := b.readerLang(ctx, telegramID)
	scope := tgbotapi.NewBotCommandScopeChat(telegramID)
	var c tgbotapi.Chattable
	s, err := b.catalog.StaffMember(ctx, telegramID)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		c = tgbotapi.NewDeleteMyCommandsWithScope(scope)
	case err != nil:
		b.log.Warn("command menu not refreshed", "telegram_id", telegramID, "err", err)
		return
	case s.Role == catalog.Office:
		c = tgbotapi.NewSetMyCommandsWithScope(scope, b.commands(lang, visitorMenu, coordinatorMenu, officeMenu)...)
	default:
		c = tgbotapi.NewSetMyCommandsWithScope(scope, b.commands(lang, visitorMenu, coordinatorMenu)...)
	}
	_, err = b.tg.Request(ctx, c)
	switch code := apiErrorCode(err); {
	case err == nil:
		b.menuOwed.Delete(telegramID)
	case code == 400 || code == 403:
		// A chat the bot was never opened in (or is blocked in) has no
		// menu to set: it is set at the person's next update.
		b.menuOwed.Store(telegramID, true)
		b.log.Info("command menu owed until the chat is opened", "telegram_id", telegramID, "err", err)
	default:
		b.log.Warn("command menu not set", "telegram_id", telegramID, "err", err)
	}
}

// menuOnFirstUpdate sets the command menu of a staff member whose menu
// could not be set before, at their first update in their own chat: one
// the menu is owed to (its setting failed in this process), or any staff
// member whose session is new (a chat never opened, or quiet for long,
// perhaps granted a role by another process). A visitor's new session
// costs one look-up of the staff table by key.
func (b *Bot) menuOnFirstUpdate(next Handler) Handler {
	return func(ctx context.Context, r *Request) error {
		if r.ChatID == r.UserID && r.UserID != 0 {
			_, owed := b.menuOwed.Load(r.UserID)
			if owed {
				b.refreshCommands(ctx, r.UserID)
			} else if r.Session.New {
				if _, err := b.catalog.StaffMember(ctx, r.UserID); err == nil {
					b.refreshCommands(ctx, r.UserID)
				}
			}
		}
		return next(ctx, r)
	}
}

// badMoney is the refusal of an amount ParseYuan or ParsePrice refused,
// saying what was wrong with it, followed on the same line by the
// command's usage when the amount was an argument of cmd.
func (b *Bot) badMoney(r *Request, input string, err error, cmd string) error {
	var me *catalog.MoneyError
	if !errors.As(err, &me) {
		return err
	}
	text := b.msg.T(r.Lang, "money_"+string(me.Problem), "Input", esc(truncateRunes(input, 40)))
	if cmd != "" {
		text += " " + b.msg.T(r.Lang, "usage", "Usage", esc(b.msg.T(r.Lang, "usage_"+cmd)))
	}
	return refuse(text)
}

// staffList is /staff: every staff member with the name Telegram gave
// when they last ordered (when they ever did), their id and their role.
func (b *Bot) staffList(ctx context.Context, r *Request, me catalog.Staff) error {
	if r.Args != "" {
		return b.usage(r, "staff")
	}
	staff, err := b.catalog.StaffList(ctx)
	if err != nil {
		return err
	}
	if len(staff) == 0 {
		return b.send(ctx, r, b.msg.T(r.Lang, "staff_none"), nil)
	}
	ids := make([]int64, len(staff))
	for i, s := range staff {
		ids[i] = s.TelegramID
	}
	names, err := b.orders.CustomerNames(ctx, ids)
	if err != nil {
		return err
	}
	var sb strings.Builder
	sb.WriteString(b.msg.T(r.Lang, "staff_title") + "\n")
	for _, s := range staff {
		name := b.msg.T(r.Lang, "staff_no_name")
		if n, ok := names[s.TelegramID]; ok && (n.FirstName != "" || n.Username != "") {
			name = "<b>" + esc(n.FirstName) + "</b>"
			if n.Username != "" {
				name = strings.TrimSpace(name + " @" + esc(n.Username))
			}
		}
		fmt.Fprintf(&sb, "• %s · <code>%d</code> · %s\n", name, s.TelegramID, b.roleText(r.Lang, s))
	}
	return b.send(ctx, r, fitLinesHTML(sb.String(), maxText), nil)
}

// fitLinesHTML cuts text, made of whole lines of HTML, after the last
// line that fits within limit, with a count of the lines left out.
func fitLinesHTML(text string, limit int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	var sb strings.Builder
	for i, l := range lines {
		if plainLen(sb.String()+l) > limit-40 {
			sb.WriteString("… +" + itoa(len(lines)-i))
			break
		}
		sb.WriteString(l + "\n")
	}
	return strings.TrimRight(sb.String(), "\n")
}
