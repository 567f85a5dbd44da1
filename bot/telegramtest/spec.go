package telegramtest

import (
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The two Bot API descriptions (see apispec/README.md for their source and
// licence). api-5.5.json is the version the client library was written
// against; api.json is the newest. A parameter or field is known when either
// lists it.
//
//go:embed apispec/api-5.5.json apispec/api.json
var specFiles embed.FS

// The parsed description is immutable once built, so one copy is shared by
// every Server in the process (parsing 1.3 MB of JSON per test would be
// wasteful). Nothing writes to it after the sync.Once.
var (
	specOnce   sync.Once
	specCached *apiSpec
	specErr    error
)

func loadSpec() (*apiSpec, error) {
	specOnce.Do(func() { specCached, specErr = buildSpec() })
	return specCached, specErr
}

// apiSpec is the merged view of both description files.
type apiSpec struct {
	methods map[string]*methodSpec // by exact name
	lower   map[string]string      // lower-case name → exact name (methods are case-insensitive)
	types   map[string]*typeSpec
}

type methodSpec struct {
	name   string
	fields map[string]*fieldSpec
	order  []string // field names in documentation order
}

type typeSpec struct {
	name     string
	fields   map[string]*fieldSpec
	order    []string
	subtypes []string
	// discField/discValue identify a subtype of a union: the field (usually
	// "type") whose description says "must be X".
	discField, discValue string
}

type fieldSpec struct {
	name     string
	types    []string // alternatives, union over both versions
	required bool
	limit    *lengthLimit
}

// lengthLimit is a length range parsed from a description such as
// "1-4096 characters after entities parsing" or "1-64 bytes".
type lengthLimit struct {
	min, max      int
	bytes         bool // count bytes rather than characters (UTF-16 code units)
	afterEntities bool // measured on the text after parse_mode is applied
}

type rawSpec struct {
	Methods map[string]rawEntry `json:"methods"`
	Types   map[string]rawEntry `json:"types"`
}

type rawEntry struct {
	Name     string     `json:"name"`
	Fields   []rawField `json:"fields"`
	Subtypes []string   `json:"subtypes"`
}

type rawField struct {
	Name        string   `json:"name"`
	Types       []string `json:"types"`
	Required    bool     `json:"required"`
	Description string   `json:"description"`
}

var (
	limitRe = regexp.MustCompile(`(\d+)-(\d+) (characters|bytes)`)
	mustBe  = regexp.MustCompile(`must be [*"“]?([a-z_]+)`)
)

func buildSpec() (*apiSpec, error) {
	var old, cur rawSpec
	for _, f := range []struct {
		name string
		dst  *rawSpec
	}{{"apispec/api-5.5.json", &old}, {"apispec/api.json", &cur}} {
		b, err := specFiles.ReadFile(f.name)
		if err != nil {
			return nil, fmt.Errorf("telegramtest: read %s: %w", f.name, err)
		}
		if err := json.Unmarshal(b, f.dst); err != nil {
			return nil, fmt.Errorf("telegramtest: parse %s: %w", f.name, err)
		}
	}
	s := &apiSpec{
		methods: map[string]*methodSpec{},
		lower:   map[string]string{},
		types:   map[string]*typeSpec{},
	}
	// The old file is read first: for anything it lists, its "required" flags
	// win, because that is what the client library was written against.
	for _, src := range []rawSpec{old, cur} {
		for name, e := range src.Methods {
			m := s.methods[name]
			fresh := m == nil
			if fresh {
				m = &methodSpec{name: name, fields: map[string]*fieldSpec{}}
				s.methods[name] = m
				s.lower[strings.ToLower(name)] = name
			}
			m.order = mergeFields(m.fields, m.order, e.Fields, fresh)
		}
		for name, e := range src.Types {
			t := s.types[name]
			fresh := t == nil
			if fresh {
				t = &typeSpec{name: name, fields: map[string]*fieldSpec{}}
				s.types[name] = t
			}
			t.order = mergeFields(t.fields, t.order, e.Fields, fresh)
			for _, st := range e.Subtypes {
				if !slices.Contains(t.subtypes, st) {
					t.subtypes = append(t.subtypes, st)
				}
			}
			for _, f := range e.Fields {
				if t.discField != "" || !f.Required || len(f.Types) != 1 || f.Types[0] != "String" {
					continue
				}
				if m := mustBe.FindStringSubmatch(f.Description); m != nil {
					t.discField, t.discValue = f.Name, m[1]
				}
			}
		}
	}
	// The client library still calls the deprecated name.
	if _, ok := s.methods["getChatMemberCount"]; ok {
		s.lower["getchatmemberscount"] = "getChatMemberCount"
	}
	return s, nil
}

// mergeFields adds raw fields to fields. When the owner is new (fresh), the
// required flags are taken as they are; otherwise a field seen for the first
// time is optional, and types and limits are widened.
func mergeFields(fields map[string]*fieldSpec, order []string, raw []rawField, fresh bool) []string {
	for _, rf := range raw {
		f := fields[rf.Name]
		if f == nil {
			f = &fieldSpec{name: rf.Name, required: fresh && rf.Required}
			fields[rf.Name] = f
			order = append(order, rf.Name)
		}
		for _, t := range rf.Types {
			if !slices.Contains(f.types, t) {
				f.types = append(f.types, t)
			}
		}
		if l := parseLimit(rf.Description); l != nil {
			if f.limit == nil {
				f.limit = l
			} else {
				f.limit.min = min(f.limit.min, l.min)
				f.limit.max = max(f.limit.max, l.max)
				f.limit.afterEntities = f.limit.afterEntities || l.afterEntities
			}
		}
	}
	return order
}

func parseLimit(desc string) *lengthLimit {
	m := limitRe.FindStringSubmatchIndex(desc)
	if m == nil {
		return nil
	}
	lo, _ := strconv.Atoi(desc[m[2]:m[3]])
	hi, _ := strconv.Atoi(desc[m[4]:m[5]])
	rest := desc[m[1]:]
	return &lengthLimit{
		min:           lo,
		max:           hi,
		bytes:         desc[m[6]:m[7]] == "bytes",
		afterEntities: strings.HasPrefix(rest, " after entit"),
	}
}

// method finds a method by name, case-insensitively as Telegram does.
func (s *apiSpec) method(name string) (*methodSpec, bool) {
	exact, ok := s.lower[strings.ToLower(name)]
	if !ok {
		return nil, false
	}
	return s.methods[exact], true
}
