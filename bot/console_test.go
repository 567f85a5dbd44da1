package bot_test

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"villagebot/bot"
	"villagebot/catalog"
	"villagebot/internal/app"
)

// /console gives staff a one-time sign-in link to the web console; a
// visitor is refused; without a console the answer says so.
func TestConsoleLinkInChat(t *testing.T) {
	t.Parallel()
	h := start(t, func(o *app.Options) {
		o.Bot.Console = &bot.Console{URL: "https://console.example.org", Links: o.Bot.Catalog.(*catalog.Store)}
	})
	us := h.staffUsers()
	us.own.Send("/console")
	m := h.waitText(us.own, "https://console.example.org/link/")
	token := regexp.MustCompile(`/link/([A-Za-z0-9_-]+)`).FindStringSubmatch(m.Text)
	if token == nil {
		t.Fatalf("no link in %q", m.Text)
	}
	acct, err := h.catalog.StaffByLink(context.Background(), token[1])
	if err != nil || acct.TelegramID != 5002 || acct.Name != "tg5002" {
		t.Fatalf("the link is for %+v, %v", acct, err)
	}
	h.waitText(us.own, "tg5002")

	before := h.fingerprint()
	us.visitor.Send("/console")
	h.waitText(us.visitor, "This command is for")
	if h.fingerprint() != before {
		t.Error("a visitor's /console changed something")
	}
}

func TestConsoleOffInChat(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers()
	us.office.Send("/console")
	h.waitText(us.office, "not set up")
}

// The chat's /revoke refuses to take the last office account's role.
func TestRevokeKeepsTheLastOfficeAccount(t *testing.T) {
	t.Parallel()
	h := start(t)
	us := h.staffUsers() // 5004 is the only office account
	us.office.Send("/revoke 5004")
	h.waitText(us.office, "last office account")
	if _, err := h.catalog.StaffMember(context.Background(), 5004); errors.Is(err, catalog.ErrNotFound) {
		t.Fatal("the last office account was revoked")
	}
}
