package bot

import (
	"context"

	"villagebot/catalog"
	"villagebot/internal/console"
)

// Console is the web console as the chat knows it: where it is, and how a
// staff member gets a one-time sign-in link to it.
type Console struct {
	// URL is CONSOLE_URL, the console's public base address.
	URL string
	// Links issues a sign-in link for a staff account (catalog.Store).
	Links interface {
		IssueLink(ctx context.Context, staffID int64, actor string) (string, error)
	}
}

// consoleLink is /console: a one-time sign-in link (24 h) on which the
// staff member sets a password for the web console, sent to their private
// chat only.
func (b *Bot) consoleLink(ctx context.Context, r *Request, me catalog.Staff) error {
	if b.console == nil || b.console.URL == "" || b.console.Links == nil {
		return refuse(b.msg.T(r.Lang, "console_chat_off"))
	}
	token, err := b.console.Links.IssueLink(ctx, me.ID, actor(r.UserID))
	if err != nil {
		return err
	}
	// IssueLink gives an account without a sign-in name one: read it back.
	me, err = b.catalog.StaffMember(ctx, r.UserID)
	if err != nil {
		return err
	}
	return b.send(ctx, r, b.msg.T(r.Lang, "console_chat_link", "URL", esc(console.LinkURL(b.console.URL, token)), "Name", esc(me.Name)), nil)
}
