package bot

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fuzz targets below run their seed corpus (the f.Add calls and
// testdata/fuzz/<name>/) as ordinary tests; to search for new inputs:
//
//	go test -run '^$' -fuzz FuzzParseCommand -fuzztime 90s ./bot/
//	go test -run '^$' -fuzz FuzzParseCallback -fuzztime 90s ./bot/

var commandNameRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// FuzzParseCommand: whatever a user types, parseCommand never panics; a
// command name is 1–32 of [a-z0-9_] spelled by the text itself (only
// ASCII letters are folded to lower case); arguments are trimmed, valid
// UTF-8 when the text is, and reading the command back gives the same.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"/start", "/start p_MN-BLACKTEA", "/START@villagebot  v_maona ", "/stock SKU +5",
		"/stock\nSKU 5", "/stock\r\nSKU 5", "/stock\tSKU\t5", "hello", "/", "/ start", "/стоп",
		"/" + strings.Repeat("a", 32), "/" + strings.Repeat("a", 33), "/a-b", "/price@ 88.00",
		"/status #1042 ready", "/\u212aey", "/\u0130", "/stoc\u212a SKU 5", "/start\u00a0p_X", "/start\xff", "//start",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, args := parseCommand(text)
		if cmd == "" {
			if args != "" {
				t.Fatalf("parseCommand(%q): no command but arguments %q", text, args)
			}
			return
		}
		if !commandNameRE.MatchString(cmd) {
			t.Fatalf("parseCommand(%q): command %q is not [a-z0-9_]{1,32}", text, cmd)
		}
		if len(text) < 1+len(cmd) || !strings.HasPrefix(text, "/") || asciiLower(text[1:1+len(cmd)]) != cmd {
			t.Fatalf("parseCommand(%q): command %q is not the text's own name", text, cmd)
		}
		if strings.TrimSpace(args) != args {
			t.Fatalf("parseCommand(%q): arguments %q not trimmed", text, args)
		}
		if utf8.ValidString(text) && !utf8.ValidString(args) {
			t.Fatalf("parseCommand(%q): arguments %q are not valid UTF-8", text, args)
		}
		if len(args) > len(text) {
			t.Fatalf("parseCommand(%q): arguments %q longer than the text", text, args)
		}
		again := "/" + cmd
		if args != "" {
			again += " " + args
		}
		if c2, a2 := parseCommand(again); c2 != cmd || a2 != args {
			t.Fatalf("parseCommand(%q) = %q, %q; read back from %q: %q, %q", text, cmd, args, again, c2, a2)
		}
	})
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// FuzzParseCallback: whatever callback data arrives (Telegram passes back
// what the bot set, but a client can forge anything), parsing never
// panics; data is accepted only within 64 bytes and 4 parts and reads back
// to itself; an id is accepted only as a canonical decimal from 0 to the
// maximum asked for, and encodes back to its argument.
func FuzzParseCallback(f *testing.F) {
	for _, s := range []struct {
		data string
		max  int64
	}{
		{"p:42:1", 1 << 53}, {"p:0:1", 99}, {"p:-1:1", 1 << 53}, {"p:+1:1", 99}, {"p:007:1", 99},
		{"p:1e3:1", 1 << 53}, {"p:9223372036854775807:1", 1<<63 - 1}, {"p:99999999999999999999:1", 1 << 53},
		{"p", 1}, {"p::1", 1}, {"p:４２:1", 1 << 53}, {"cc:0123456789abcdef", 0}, {"l:zh", 2},
		{"a:1:2:3:4", 9}, {strings.Repeat("p", 65), 1}, {"", 0}, {"\x00\xff", 5}, {":", 1}, {"kq:5:0", -1},
		{"cd:2", 2}, {"cd:3", 2}, {"v:9007199254740991:10000", 1 << 53},
	} {
		f.Add(s.data, s.max)
	}
	f.Fuzz(func(t *testing.T, data string, max int64) {
		c := parseCallback(data)
		if data == "" || len(data) > maxCallbackData || strings.Count(data, ":") > 3 {
			if c.Kind != "" || c.Args != nil {
				t.Fatalf("parseCallback(%q) = %+v, want nothing", data, c)
			}
			return
		}
		if len(c.Args) > 3 {
			t.Fatalf("parseCallback(%q): %d arguments", data, len(c.Args))
		}
		if back := strings.Join(append([]string{c.Kind}, c.Args...), ":"); back != data {
			t.Fatalf("parseCallback(%q) = %+v, which reads back as %q", data, c, back)
		}
		ids := make([]int64, 0, len(c.Args))
		for i := range len(c.Args) + 1 { // one past the end too
			id, ok := c.ID(i, max)
			if !ok {
				if id != 0 {
					t.Fatalf("ID(%d, %d) of %q = %d but not ok", i, max, data, id)
				}
				continue
			}
			if id < 0 || id > max {
				t.Fatalf("ID(%d, %d) of %q = %d, out of range", i, max, data, id)
			}
			if s := strconv.FormatInt(id, 10); s != c.Args[i] {
				t.Fatalf("ID(%d) of %q = %d from argument %q", i, data, id, c.Args[i])
			}
			ids = append(ids, id)
			small := int(min(max, 1<<31-1))
			n, ok := c.Int(i, small)
			if want := id <= int64(small); ok != want || ok && int64(n) != id || !ok && n != 0 {
				t.Fatalf("Int(%d, %d) of %q = %d, %v; ID gave %d", i, small, data, n, ok, id)
			}
		}
		if len(ids) == len(c.Args) && c.Kind != "" && !strings.Contains(c.Kind, ":") {
			if got := cb(c.Kind, ids...); got != data {
				t.Fatalf("ids of %q encode back as %q", data, got)
			}
		}
	})
}
