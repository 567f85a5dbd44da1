package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"villagebot/internal/pgtest"
)

// `staff invite` prints a one-time sign-in link on CONSOLE_URL, and
// `staff list` shows accounts with and without Telegram.
func TestStaffInvite(t *testing.T) {
	t.Parallel()
	db := pgtest.NewURL(t)
	runEnv := func(vars map[string]string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		vars["DATABASE_URL"] = db
		m := &Main{Getenv: env(vars), Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut}
		return m.Run(context.Background(), args), out.String(), errOut.String()
	}
	withURL := map[string]string{"CONSOLE_URL": "https://console.example.org/"}
	if code, _, errOut := runEnv(map[string]string{}, "staff", "invite", "li.mei", "office"); code != 1 || !strings.Contains(errOut, "CONSOLE_URL") {
		t.Fatalf("invite without CONSOLE_URL: %d %s", code, errOut)
	}
	runEnv(map[string]string{}, "catalog", "demo")
	code, out, errOut := runEnv(withURL, "staff", "invite", "Li.Mei", "coordinator", "MAONA")
	if code != 0 || !strings.Contains(out, "li.mei is now coordinator of maona") || !strings.Contains(out, "https://console.example.org/link/") {
		t.Fatalf("invite: %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := runEnv(withURL, "staff", "invite", "li.mei", "office"); code != 1 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("invite of a taken name: %d %s", code, errOut)
	}
	if code, _, _ := runEnv(withURL, "staff", "invite", "x", "king"); code != 2 {
		t.Fatalf("invite with a bad role: %d", code)
	}
	runEnv(map[string]string{}, "staff", "grant", "42", "office")
	code, out, _ = runEnv(map[string]string{}, "staff", "list")
	if code != 0 || !strings.Contains(out, "li.mei") || !strings.Contains(out, "42") || !strings.Contains(out, "no password yet") {
		t.Fatalf("list: %d\n%s", code, out)
	}
	if code, out, _ := runEnv(map[string]string{}, "staff", "revoke", "42"); code != 0 {
		t.Fatalf("the operator revoking the last office account: %d %s", code, out)
	}
}
