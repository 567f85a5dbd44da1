package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"

	"villagebot/internal/pgtest"
)

var updateFold = flag.Bool("update-fold", false, "rewrite search_fold's character table in migrations/00013_search.sql from OpenCC")

const foldMigration = "../migrations/00013_search.sql"

// openCCFold is the character table search_fold should hold: every Han
// character that OpenCC's t2s conversion writes as one other character,
// with chains followed to their end so that folding is idempotent.
func openCCFold(t *testing.T) (from, to []rune) {
	t.Helper()
	cc, err := opencc.New("t2s")
	if err != nil {
		t.Fatal(err)
	}
	table := map[rune]rune{}
	var order []rune
	for r := rune(0x2E80); r <= 0x3134F; r++ {
		if !unicode.Is(unicode.Han, r) {
			continue
		}
		s, err := cc.Convert(string(r))
		if err != nil {
			t.Fatal(err)
		}
		if to, n := utf8.DecodeRuneInString(s); n == len(s) && to != r {
			table[r] = to
			order = append(order, r)
		}
	}
	for _, r := range order {
		end := table[r]
		for seen := 0; seen < 8; seen++ {
			next, ok := table[end]
			if !ok || next == end {
				break
			}
			end = next
		}
		from, to = append(from, r), append(to, end)
	}
	return from, to
}

// TestSearchFoldMatchesOpenCC checks that search_fold writes every
// traditional character as OpenCC does, and that folding twice changes
// nothing. With -update-fold it first rewrites the table in the migration
// (only ever before that migration has landed).
func TestSearchFoldMatchesOpenCC(t *testing.T) {
	t.Parallel()
	from, to := openCCFold(t)
	if len(from) < 2500 {
		t.Fatalf("OpenCC's t2s table has %d characters; expected thousands", len(from))
	}
	if *updateFold {
		writeFoldTable(t, from, to)
	}
	db := pgtest.New(t)
	var once, twice string
	err := db.QueryRowContext(context.Background(), `SELECT search_fold($1), search_fold(search_fold($1))`, string(from)).Scan(&once, &twice)
	if err != nil {
		t.Fatal(err)
	}
	if once != string(to) {
		got := []rune(once)
		for i := range to {
			if i >= len(got) || got[i] != to[i] {
				t.Errorf("search_fold(%c) is not %c (first of the differences); run go test ./catalog -run TestSearchFoldMatchesOpenCC -update-fold", from[i], to[i])
				break
			}
		}
	}
	if twice != once {
		t.Error("folding twice changes the text")
	}
}

func writeFoldTable(t *testing.T, from, to []rune) {
	t.Helper()
	table := make(map[string]string, len(from))
	for i, r := range from {
		table[string(r)] = string(to[i])
	}
	js, err := json.Marshal(table) // keys sorted, so the line is stable
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(foldMigration)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(src, []byte("\n"))
	for i, line := range lines {
		if string(line) == "-- search_fold: traditional to simplified" {
			lines[i+1] = []byte("'" + strings.ReplaceAll(string(js), "'", "''") + "'")
		}
	}
	if err := os.WriteFile(foldMigration, bytes.Join(lines, []byte("\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}
