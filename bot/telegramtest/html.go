package telegramtest

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// entity is a MessageEntity; Offset and Length are in UTF-16 code units, as
// Telegram counts them.
type entity struct {
	Type     string         `json:"type"`
	Offset   int            `json:"offset"`
	Length   int            `json:"length"`
	URL      string         `json:"url,omitempty"`
	User     map[string]any `json:"user,omitempty"`
	Language string         `json:"language,omitempty"`
}

// formatted is a text after its parse_mode was applied: the plain text the
// user reads and the entities that style it.
type formatted struct {
	raw      string // as the bot sent it
	text     string // as the user sees it
	entities []entity
}

// htmlTags maps each tag Telegram accepts to the entity it makes.
var htmlTags = map[string]string{
	"b": "bold", "strong": "bold",
	"i": "italic", "em": "italic",
	"u": "underline", "ins": "underline",
	"s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
	"span": "spoiler", "tg-spoiler": "spoiler",
	"a":          "text_link",
	"code":       "code",
	"pre":        "pre",
	"blockquote": "blockquote",
	"tg-emoji":   "custom_emoji",
}

// parseHTML applies parse_mode HTML the way Telegram does (the algorithm of
// TDLib's parser, written afresh), and returns the error text Telegram puts
// after "Bad Request: can't parse entities: ".
//
// One deliberate difference: Telegram keeps a bare "&" that does not start
// one of &lt; &gt; &amp; &quot; or a numeric reference as a literal
// character. Here it is an error, because in a bot that escapes every
// catalogue string it can only mean an unescaped string slipped through.
func parseHTML(src string) (formatted, error) {
	type open struct {
		tag      string
		arg      string
		offset   int // UTF-16 offset where the entity starts
		entities int // len(entities) when it opened, to keep nesting order
	}
	var (
		out      strings.Builder
		pos16    int
		stack    []open
		entities []entity
	)
	write := func(s string) {
		out.WriteString(s)
		pos16 += utf16Len(s)
	}
	n := len(src)
	at := func(i int) byte { // 0 past the end, like the C string TDLib reads
		if i < n {
			return src[i]
		}
		return 0
	}
	for i := 0; i < n; {
		c := src[i]
		switch c {
		case '&':
			r, next, ok := decodeEntity(src, i)
			if !ok {
				return formatted{}, htmlErrorf("character \"&\" must be escaped as \"&amp;\" at byte offset %d", i)
			}
			write(string(r))
			i = next
			continue
		case '<':
		default:
			_, size := utf8.DecodeRuneInString(src[i:])
			write(src[i : i+size])
			i += size
			continue
		}

		begin := i
		i++
		if at(i) != '/' {
			nameStart := i
			for i < n && !isSpace(src[i]) && src[i] != '>' {
				i++
			}
			if i >= n {
				return formatted{}, htmlErrorf("Unclosed start tag at byte offset %d", begin)
			}
			tag := strings.ToLower(src[nameStart:i])
			if _, ok := htmlTags[tag]; !ok {
				return formatted{}, htmlErrorf("Unsupported start tag %q at byte offset %d", tag, begin)
			}
			var arg string
			for at(i) != '>' {
				for i < n && isSpace(src[i]) {
					i++
				}
				if at(i) == '>' {
					break
				}
				attrStart := i
				for i < n && !isSpace(src[i]) && src[i] != '=' && src[i] != '>' {
					i++
				}
				attr := strings.ToLower(src[attrStart:i])
				if attr == "" {
					return formatted{}, htmlErrorf("Empty attribute name in the tag %q at byte offset %d", tag, begin)
				}
				for i < n && isSpace(src[i]) {
					i++
				}
				if at(i) != '=' {
					return formatted{}, htmlErrorf("Expected equal sign in declaration of an attribute of the tag %q at byte offset %d", tag, begin)
				}
				i++
				for i < n && isSpace(src[i]) {
					i++
				}
				if i >= n {
					return formatted{}, htmlErrorf("Unclosed start tag %q at byte offset %d", tag, begin)
				}
				var value strings.Builder
				if q := src[i]; q == '"' || q == '\'' {
					i++
					for i < n && src[i] != q {
						if src[i] == '&' {
							r, next, ok := decodeEntity(src, i)
							if !ok {
								return formatted{}, htmlErrorf("character \"&\" must be escaped as \"&amp;\" at byte offset %d", i)
							}
							value.WriteRune(r)
							i = next
							continue
						}
						value.WriteByte(src[i])
						i++
					}
					if i < n {
						i++
					}
				} else {
					tokenStart := i
					for i < n && (isAlnum(src[i]) || src[i] == '.' || src[i] == '-') {
						i++
					}
					value.WriteString(strings.ToLower(src[tokenStart:i]))
					if c := at(i); !isSpace(c) && c != '>' {
						return formatted{}, htmlErrorf("Unexpected end of name token at byte offset %d", tokenStart)
					}
				}
				if i >= n {
					return formatted{}, htmlErrorf("Unclosed start tag at byte offset %d", begin)
				}
				v := value.String()
				switch {
				case tag == "a" && attr == "href":
					arg = v
				case tag == "code" && attr == "class" && strings.HasPrefix(v, "language-"):
					arg = strings.TrimPrefix(v, "language-")
				case tag == "span" && attr == "class" && strings.HasPrefix(v, "tg-"):
					arg = v
				case tag == "tg-emoji" && attr == "emoji-id":
					arg = v
				}
			}
			if tag == "span" && arg != "tg-spoiler" {
				return formatted{}, htmlErrorf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", begin)
			}
			stack = append(stack, open{tag: tag, arg: arg, offset: pos16, entities: len(entities)})
			i++ // '>'
			continue
		}

		// An end tag.
		if len(stack) == 0 {
			return formatted{}, htmlErrorf("Unexpected end tag at byte offset %d", begin)
		}
		i++ // '/'
		nameStart := i
		for i < n && !isSpace(src[i]) && src[i] != '>' {
			i++
		}
		name := strings.ToLower(src[nameStart:i])
		for i < n && isSpace(src[i]) {
			i++
		}
		if at(i) != '>' {
			return formatted{}, htmlErrorf("Unclosed end tag at byte offset %d", begin)
		}
		i++
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if name != "" && name != top.tag {
			return formatted{}, htmlErrorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", begin, top.tag, name)
		}
		if pos16 == top.offset {
			continue // Telegram drops empty entities
		}
		e := entity{Type: htmlTags[top.tag], Offset: top.offset, Length: pos16 - top.offset}
		switch top.tag {
		case "a":
			if id, ok := strings.CutPrefix(top.arg, "tg://user?id="); ok {
				uid, _ := strconv.ParseInt(id, 10, 64)
				e.Type = "text_mention"
				e.User = map[string]any{"id": uid, "is_bot": false, "first_name": ""}
			} else if top.arg == "" {
				continue // a link without an address is plain text
			} else {
				e.URL = top.arg
			}
		case "code":
			// <pre><code class="language-go"> is one pre entity with a language.
			if len(stack) > 0 && stack[len(stack)-1].tag == "pre" && top.arg != "" {
				stack[len(stack)-1].arg = top.arg
				continue
			}
		case "pre":
			e.Language = top.arg
		}
		// Outer entities come before the inner ones that opened after them.
		entities = append(entities, entity{})
		copy(entities[top.entities+1:], entities[top.entities:])
		entities[top.entities] = e
	}
	if len(stack) > 0 {
		return formatted{}, htmlErrorf("Can't find end tag corresponding to start tag %q", stack[len(stack)-1].tag)
	}
	return trimFormatted(formatted{raw: src, text: out.String(), entities: entities}), nil
}

// htmlError is a parse error in Telegram's words, which begin with a capital.
type htmlError struct{ msg string }

func (e *htmlError) Error() string { return e.msg }

func htmlErrorf(format string, args ...any) error {
	return &htmlError{msg: fmt.Sprintf(format, args...)}
}

// decodeEntity decodes the character reference starting at src[i] == '&':
// &lt; &gt; &amp; &quot; and numeric ones (&#NN; &#xHH;). Like Telegram, the
// closing semicolon is optional.
func decodeEntity(src string, i int) (r rune, next int, ok bool) {
	j := i + 1
	if j < len(src) && src[j] == '#' {
		j++
		base := 10
		if j < len(src) && (src[j] == 'x' || src[j] == 'X') {
			base = 16
			j++
		}
		start := j
		for j < len(src) && isDigit(src[j], base) {
			j++
		}
		if j == start {
			return 0, 0, false
		}
		v, err := strconv.ParseUint(src[start:j], base, 32)
		if err != nil || v == 0 || v > unicode.MaxRune || (v >= 0xD800 && v <= 0xDFFF) {
			return 0, 0, false
		}
		r = rune(v)
	} else {
		start := j
		for j < len(src) && isAlpha(src[j]) {
			j++
		}
		switch src[start:j] {
		case "lt":
			r = '<'
		case "gt":
			r = '>'
		case "amp":
			r = '&'
		case "quot":
			r = '"'
		default:
			return 0, 0, false
		}
	}
	if j < len(src) && src[j] == ';' {
		j++
	}
	return r, j, true
}

// plainFormatted is a text sent without parse_mode.
func plainFormatted(s string) formatted {
	return trimFormatted(formatted{raw: s, text: s})
}

// trimFormatted removes leading and trailing white space, as Telegram does
// before it stores a message, and moves the entities with the text.
func trimFormatted(f formatted) formatted {
	trimmed := strings.TrimLeftFunc(f.text, unicode.IsSpace)
	shift := utf16Len(f.text[:len(f.text)-len(trimmed)])
	trimmed = strings.TrimRightFunc(trimmed, unicode.IsSpace)
	if shift == 0 && len(trimmed) == len(f.text) {
		return f
	}
	size := utf16Len(trimmed)
	var kept []entity
	for _, e := range f.entities {
		start, end := max(e.Offset-shift, 0), min(e.Offset+e.Length-shift, size)
		if end <= start {
			continue
		}
		e.Offset, e.Length = start, end-start
		kept = append(kept, e)
	}
	f.text, f.entities = trimmed, kept
	return f
}

// utf16Len is the length of s in UTF-16 code units: how Telegram counts
// "characters" in its limits and entity offsets.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isAlnum(c byte) bool { return isAlpha(c) || (c >= '0' && c <= '9') }

func isDigit(c byte, base int) bool {
	if c >= '0' && c <= '9' {
		return true
	}
	return base == 16 && c|0x20 >= 'a' && c|0x20 <= 'f'
}
