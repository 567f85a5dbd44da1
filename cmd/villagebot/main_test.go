package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"villagebot/internal/pgtest"
)

// run runs villagebot with args against the database at dbURL and returns
// its exit status, stdout and stderr.
func run(t *testing.T, dbURL string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{
		Getenv: env(map[string]string{"DATABASE_URL": dbURL}),
		Stdin:  strings.NewReader(""),
		Stdout: &out,
		Stderr: &errOut,
	}
	code := m.Run(context.Background(), args)
	return code, out.String(), errOut.String()
}

func TestCommandLine(t *testing.T) {
	t.Parallel()
	db := pgtest.NewURL(t)
	dir := t.TempDir()

	steps := []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{"migrate"}, 0, "schema version", ""},
		{[]string{"catalog", "demo"}, 0, "6 villages created", ""},
		{[]string{"catalog", "demo"}, 0, "0 products created, 0 updated", ""},
		{[]string{"catalog", "export", filepath.Join(dir, "cat")}, 0, "exported", ""},
		{[]string{"catalog", "export", filepath.Join(dir, "cat.xlsx")}, 0, "exported", ""},
		{[]string{"catalog", "import", filepath.Join(dir, "cat")}, 0, "0 products created, 0 updated", ""},
		{[]string{"catalog", "import", filepath.Join(dir, "cat.xlsx")}, 0, "0 products created, 0 updated", ""},
		{[]string{"staff", "grant", "42", "office"}, 0, "42 is now office", ""},
		{[]string{"staff", "grant", "43", "coordinator", "maona"}, 0, "coordinator of maona", ""},
		{[]string{"staff", "grant", "44", "coordinator", "atlantis"}, 1, "", "not found"},
		{[]string{"staff", "grant", "x", "office"}, 1, "", "TELEGRAM_ID"},
		{[]string{"staff", "list"}, 0, "coordinator of maona", ""},
		{[]string{"staff", "revoke", "42"}, 0, "no staff role now", ""},
		{[]string{"staff", "revoke", "42"}, 1, "", "has no staff role"},
		{[]string{"catalog", "import", filepath.Join(dir, "bad.csv")}, 1, "", "bad.csv:2: price"},
		{[]string{"catalog"}, 2, "", "Usage"},
		{[]string{"frobnicate"}, 2, "", "unknown command"},
		{[]string{"serve"}, 1, "", "TELEGRAM_BOT_TOKEN is not set"},
		{[]string{"help"}, 0, "villagebot chat", ""},
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.csv"), []byte("sku,village,category,name_en,price,stock\nMN-X,maona,tea,X,12.345,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		code, out, errOut := run(t, db, s.args...)
		if code != s.code || !strings.Contains(out, s.out) || !strings.Contains(errOut, s.err) {
			t.Errorf("villagebot %s = %d\nstdout: %s\nstderr: %s\nwant %d, stdout with %q, stderr with %q",
				strings.Join(s.args, " "), code, out, errOut, s.code, s.out, s.err)
		}
		if code != 0 && strings.Count(strings.TrimSpace(errOut), "\n") > 0 && s.code == 1 {
			t.Errorf("villagebot %s failed with more than one line:\n%s", strings.Join(s.args, " "), errOut)
		}
	}
}
