package telegramtest

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseHTMLAcceptsTelegramHTML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		text     string
		entities []entity
	}{
		{"plain text stays as it is", "hello", "hello", nil},
		{"bold is an entity", "<b>Tea</b> 88", "Tea 88", []entity{{Type: "bold", Offset: 0, Length: 3}}},
		{"tags are case-insensitive and synonyms work", "<STRONG>a</STRONG><em>b</em><ins>c</ins><del>d</del>", "abcd",
			[]entity{{Type: "bold", Length: 1}, {Type: "italic", Offset: 1, Length: 1}, {Type: "underline", Offset: 2, Length: 1}, {Type: "strikethrough", Offset: 3, Length: 1}}},
		{"entities are decoded", "&lt;&gt;&amp;&quot;&#39;&#x4E2D;", `<>&"'中`, nil},
		{"a link keeps its address", `<a href="https://example.com/?a=1&amp;b=2">x</a>`, "x",
			[]entity{{Type: "text_link", Length: 1, URL: "https://example.com/?a=1&b=2"}}},
		{"nested entities come outer first", "<b><i>x</i>y</b>", "xy",
			[]entity{{Type: "bold", Length: 2}, {Type: "italic", Length: 1}}},
		{"spoilers in both spellings", `<span class="tg-spoiler">a</span><tg-spoiler>b</tg-spoiler>`, "ab",
			[]entity{{Type: "spoiler", Length: 1}, {Type: "spoiler", Offset: 1, Length: 1}}},
		{"pre with a language", `<pre><code class="language-go">x</code></pre>`, "x",
			[]entity{{Type: "pre", Length: 1, Language: "go"}}},
		{"offsets count UTF-16 code units", "🍵<b>茶</b>", "🍵茶", []entity{{Type: "bold", Offset: 2, Length: 1}}},
		{"a stray > is text", "a > b", "a > b", nil},
		{"white space around the text is trimmed", "  <b> x</b>\n", "x", []entity{{Type: "bold", Length: 1}}},
		{"an empty end tag closes the innermost", "<b>x</>", "x", []entity{{Type: "bold", Length: 1}}},
		{"blockquote", "<blockquote>q</blockquote>", "q", []entity{{Type: "blockquote", Length: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseHTML(tt.in)
			if err != nil {
				t.Fatalf("parseHTML(%q): %v", tt.in, err)
			}
			if got.text != tt.text {
				t.Errorf("text = %q, want %q", got.text, tt.text)
			}
			if !reflect.DeepEqual(got.entities, tt.entities) {
				t.Errorf("entities = %+v, want %+v", got.entities, tt.entities)
			}
		})
	}
}

func TestParseHTMLRefusesWhatTelegramRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"an unclosed tag", "<b>bold", `Can't find end tag corresponding to start tag "b"`},
		{"an unknown tag", "<div>x</div>", `Unsupported start tag "div" at byte offset 0`},
		{"a stray less-than", "1 < 2", `Unsupported start tag "" at byte offset 2`},
		{"a less-than at the end", "x <", "Unclosed start tag at byte offset 2"},
		{"misnested tags", "<b><i>x</b></i>", `Unmatched end tag at byte offset 7, expected "</i>", found "</b>"`},
		{"an end tag with nothing open", "x</b>", "Unexpected end tag at byte offset 1"},
		{"a span that is not a spoiler", `<span class="x">y</span>`, `Tag "span" must have class "tg-spoiler" at byte offset 0`},
		{"a bare ampersand", "Tom & Jerry", `character "&" must be escaped as "&amp;" at byte offset 4`},
		{"an unknown named entity", "a&nbsp;b", `character "&" must be escaped as "&amp;" at byte offset 1`},
		{"a self-closing br", "a<br/>b", `Unsupported start tag "br/" at byte offset 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseHTML(tt.in)
			if err == nil || err.Error() != tt.want {
				t.Errorf("parseHTML(%q) error = %v, want %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestUTF16Len(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"茶", 1},
		{"🍵", 2}, // outside the BMP: a surrogate pair
		{strings.Repeat("é", 10), 10},
	}
	for _, tt := range tests {
		if got := utf16Len(tt.in); got != tt.want {
			t.Errorf("utf16Len(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
