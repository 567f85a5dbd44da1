package bot

import (
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"villagebot/catalog"
)

// largest is the longest text an argument of kind a can be.
func largest(t *testing.T, a cbArg) string {
	switch a {
	case argID:
		return strconv.FormatInt(maxID, 10)
	case argPage:
		return strconv.Itoa(maxPage)
	case argQty:
		return strconv.Itoa(maxQuantity)
	case argIndex:
		return strconv.Itoa(max(len(catalog.Categories), len(deliveries)) - 1)
	case argToken:
		return newToken()
	case argLang:
		long := ""
		for _, l := range catalog.Languages {
			if len(l) > len(long) {
				long = l
			}
		}
		return long
	}
	t.Fatalf("argument kind %d has no largest value", a)
	return ""
}

// Every kind of callback data fits Telegram's 64 bytes with its largest
// arguments, and parses back to its kind and arguments.
func TestEveryCallbackKindFits64Bytes(t *testing.T) {
	for kind, args := range callbackKinds {
		parts := []string{kind}
		for _, a := range args {
			parts = append(parts, largest(t, a))
		}
		data := strings.Join(parts, ":")
		if len(data) > maxCallbackData {
			t.Errorf("%q is %d bytes", data, len(data))
		}
		got := parseCallback(data)
		if got.Kind != kind || !slices.Equal(got.Args, parts[1:]) {
			t.Errorf("parseCallback(%q) = %+v", data, got)
		}
	}
}

// The router routes exactly the declared kinds of callback data.
func TestRouterRoutesEveryCallbackKind(t *testing.T) {
	rt := (&Bot{}).routes()
	for kind := range callbackKinds {
		if rt.callbacks[kind] == nil {
			t.Errorf("callback kind %q has no route", kind)
		}
	}
	for kind := range rt.callbacks {
		if _, ok := callbackKinds[kind]; !ok {
			t.Errorf("route for callback kind %q, which is not declared", kind)
		}
	}
}

// The command menus come from the route table: every listed command is
// routed, named once, and has a description in every language.
func TestCommandMenusComeFromTheRouteTable(t *testing.T) {
	rt := (&Bot{}).routes()
	m, err := LoadMessages("en")
	if err != nil {
		t.Fatal(err)
	}
	visitor := rt.menuCommands(visitorMenu)
	if !slices.Equal(visitor, []string{"start", "search", "cart", "orders", "language", "help", "cancel"}) {
		t.Errorf("the visitor menu is %v", visitor)
	}
	seen := map[string]bool{}
	for _, c := range rt.commands {
		if seen[c.name] {
			t.Errorf("command %q routed twice", c.name)
		}
		seen[c.name] = true
		if c.menu == unlisted {
			continue
		}
		for _, lang := range catalog.Languages {
			if d, found := m.render(lang, "cmd_"+c.name, nil, nil); !found || d == "" {
				t.Errorf("/%s has no menu description in %s", c.name, lang)
			}
		}
	}
	if len(rt.menuCommands(coordinatorMenu)) == 0 || len(rt.menuCommands(officeMenu)) == 0 {
		t.Errorf("a staff menu is empty")
	}
}

// The languages are declared once (catalog.Languages): each has its
// message file, which names it, and there is no file of another.
func TestLanguagesAreDeclaredOnce(t *testing.T) {
	files, err := fs.Glob(localeFiles, "locales/*.toml")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, strings.TrimSuffix(path.Base(f), ".toml"))
	}
	want := slices.Clone(catalog.Languages)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("message files %v; languages %v", got, catalog.Languages)
	}
	m, err := LoadMessages("en")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, l := range catalog.Languages {
		names[m.T(l, "language_name")] = true
	}
	if len(names) != len(catalog.Languages) {
		t.Errorf("languages share a name: %v", names)
	}
}
