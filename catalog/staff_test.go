package catalog_test

import (
	"context"
	"errors"
	"testing"

	"villagebot/catalog"
)

func TestStaffAccounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, db := demoStore(t)

	t.Run("an invited account has no Telegram id and a one-time link", func(t *testing.T) {
		m, token, err := s.Invite(ctx, "Li.Mei", catalog.Coordinator, "maona", "cli")
		if err != nil {
			t.Fatal(err)
		}
		if m.Name != "li.mei" || m.TelegramID != 0 || m.Role != catalog.Coordinator || m.VillageCode != "maona" || m.HasPassword {
			t.Fatalf("invited %+v", m)
		}
		if got, err := s.StaffByLink(ctx, token); err != nil || got.ID != m.ID {
			t.Fatalf("StaffByLink = %+v, %v", got, err)
		}
		set, err := s.SetPasswordByLink(ctx, token, "$argon2id$fake")
		if err != nil || !set.HasPassword || set.Generation != m.Generation+1 {
			t.Fatalf("SetPasswordByLink = %+v, %v", set, err)
		}
		if _, err := s.SetPasswordByLink(ctx, token, "$argon2id$again"); !errors.Is(err, catalog.ErrLinkInvalid) {
			t.Fatalf("second use of the link: %v, want ErrLinkInvalid", err)
		}
		got, hash, err := s.Credentials(ctx, " LI.MEI ")
		if err != nil || got.ID != m.ID || hash != "$argon2id$fake" {
			t.Fatalf("Credentials = %+v, %q, %v", got, hash, err)
		}
		if got.Actor() != "console:li.mei" {
			t.Fatalf("Actor = %q", got.Actor())
		}
	})

	t.Run("a name in use, a bad name, an unknown village are refused", func(t *testing.T) {
		if _, _, err := s.Invite(ctx, "li.mei", catalog.Office, "", "cli"); !errors.Is(err, catalog.ErrExists) {
			t.Fatalf("taken name: %v", err)
		}
		if _, _, err := s.Invite(ctx, "Li Mei", catalog.Office, "", "cli"); !errors.Is(err, catalog.ErrInvalid) {
			t.Fatalf("bad name: %v", err)
		}
		if _, _, err := s.Invite(ctx, "wang", catalog.Coordinator, "atlantis", "cli"); !errors.Is(err, catalog.ErrNotFound) {
			t.Fatalf("unknown village: %v", err)
		}
		if _, _, err := s.Invite(ctx, "wang", catalog.Coordinator, "", "cli"); !errors.Is(err, catalog.ErrInvalid) {
			t.Fatalf("coordinator without village: %v", err)
		}
	})

	t.Run("an expired link does not work", func(t *testing.T) {
		_, token, err := s.Invite(ctx, "late", catalog.Office, "", "cli")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `UPDATE staff SET link_expires = now() - interval '1 minute' WHERE name = 'late'`); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetPasswordByLink(ctx, token, "$argon2id$x"); !errors.Is(err, catalog.ErrLinkInvalid) {
			t.Fatalf("expired link: %v", err)
		}
	})

	t.Run("a Telegram staff member's link gives them a sign-in name", func(t *testing.T) {
		g, err := s.Grant(ctx, 777, catalog.Office, "", "cli")
		if err != nil {
			t.Fatal(err)
		}
		token, err := s.IssueLink(ctx, g.ID, "telegram:777")
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.StaffByLink(ctx, token)
		if err != nil || m.Name != "tg777" || m.TelegramID != 777 {
			t.Fatalf("StaffByLink = %+v, %v", m, err)
		}
	})

	t.Run("the list shows accounts with and without Telegram", func(t *testing.T) {
		list, err := s.StaffList(ctx)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]int64{}
		for _, m := range list {
			names[m.Name] = m.TelegramID
		}
		if tg, ok := names["li.mei"]; !ok || tg != 0 {
			t.Fatalf("li.mei missing or with Telegram: %v", names)
		}
		if names["tg777"] != 777 {
			t.Fatalf("tg777 missing: %v", names)
		}
	})

	t.Run("sign out everywhere raises the generation", func(t *testing.T) {
		m, _, _ := s.Credentials(ctx, "li.mei")
		if err := s.SignOutEverywhere(ctx, m.ID, m.Actor()); err != nil {
			t.Fatal(err)
		}
		again, err := s.StaffByID(ctx, m.ID)
		if err != nil || again.Generation != m.Generation+1 {
			t.Fatalf("generation %d → %+v, %v", m.Generation, again, err)
		}
	})

	t.Run("every change is in the audit with its actor", func(t *testing.T) {
		events, err := s.StaffAudit(ctx, 50)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]string{}
		for _, e := range events {
			seen[e.Action+" "+e.Name] = e.Actor
		}
		for want, actor := range map[string]string{
			"invite li.mei": "cli", "password li.mei": "console:li.mei",
			"signout li.mei": "console:li.mei", "link tg777": "telegram:777",
		} {
			if seen[want] != actor {
				t.Errorf("audit %q by %q, want %q (audit: %v)", want, seen[want], actor, seen)
			}
		}
	})
}

func TestLastOfficeAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := demoStore(t)
	only, err := s.Grant(ctx, 100, catalog.Office, "", "cli")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(ctx, 100, "telegram:100"); !errors.Is(err, catalog.ErrLastOffice) {
		t.Fatalf("revoking the only office account: %v, want ErrLastOffice", err)
	}
	if _, err := s.Grant(ctx, 100, catalog.Coordinator, "maona", "telegram:100"); !errors.Is(err, catalog.ErrLastOffice) {
		t.Fatalf("demoting the only office account: %v, want ErrLastOffice", err)
	}
	if _, err := s.GrantAccount(ctx, only.ID, catalog.Coordinator, "maona", "telegram:100"); !errors.Is(err, catalog.ErrLastOffice) {
		t.Fatalf("demoting the only office account by id: %v, want ErrLastOffice", err)
	}
	if m, err := s.StaffMember(ctx, 100); err != nil || m.Role != catalog.Office {
		t.Fatalf("after the refusals: %+v, %v", m, err)
	}
	second, _, err := s.Invite(ctx, "clerk", catalog.Office, "", "telegram:100")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(ctx, 100, "console:clerk"); err != nil {
		t.Fatalf("revoking one of two office accounts: %v", err)
	}
	if err := s.RevokeAccount(ctx, second.ID, "console:clerk"); !errors.Is(err, catalog.ErrLastOffice) {
		t.Fatalf("revoking the remaining office account: %v, want ErrLastOffice", err)
	}
	if err := s.Revoke(ctx, 100, "cli"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("revoking a revoked id: %v, want ErrNotFound", err)
	}
	if err := s.RevokeAccount(ctx, second.ID, catalog.OperatorActor); err != nil {
		t.Fatalf("the operator on the server revoking the last office account: %v", err)
	}
}
