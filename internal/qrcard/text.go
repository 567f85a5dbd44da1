package qrcard

import (
	"image"
	"image/draw"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"
)

// Limits that keep a card's size and the work per card bounded whatever the
// input.
const (
	maxScanned    = 32   // input lines looked at; the rest are ignored
	maxParagraphs = 6    // input lines drawn
	maxWrapped    = 3    // printed lines per input line; more is cut with "…"
	maxInputBytes = 4096 // of one input line, before cleaning
	maxGlyphs     = 400  // of one input line, after cleaning
)

// glyph is one character, the face that draws it and its advance.
type glyph struct {
	r    rune
	face font.Face
	adv  fixed.Int26_6
}

// textLine is one printed line, positioned on the card.
type textLine struct {
	glyphs   []glyph
	width    fixed.Int26_6
	baseline fixed.Int26_6 // from the top of the text block
}

// textBlock is the text under the QR code.
type textBlock struct {
	lines  []textLine
	height fixed.Int26_6
}

// layout cleans, shapes and wraps lines into a block at most maxW wide. The
// first line that can be drawn is the title: larger and bold.
func layout(fs *fontSet, lines []string, cardWidth int, maxW fixed.Int26_6) textBlock {
	titlePx, bodyPx := float64(cardWidth)/14, float64(cardWidth)/20
	title, body := fs.newFaces(titlePx, true), fs.newFaces(bodyPx, false)

	var b textBlock
	kept := 0
	for i, s := range lines {
		if i == maxScanned || kept == maxParagraphs {
			break
		}
		ff, px := body, bodyPx
		if kept == 0 {
			ff, px = title, titlePx
		}
		gs, ok := shape(ff, clean(s), true)
		if !ok || len(gs) == 0 {
			continue
		}
		if kept > 0 {
			b.height += fixedFloat(px * 0.35) // between paragraphs
		}
		b.add(wrap(gs, ff, maxW), px)
		kept++
	}
	return b
}

// layoutLink lays out the link itself, for a card none of whose lines could
// be drawn.
func layoutLink(fs *fontSet, link string, cardWidth int, maxW fixed.Int26_6) textBlock {
	px := float64(cardWidth) / 28
	ff := fs.newFaces(px, false)
	gs, _ := shape(ff, clean(link), false)
	var b textBlock
	b.add(wrap(gs, ff, maxW), px)
	return b
}

// add appends printed lines of text of size px to the block.
func (b *textBlock) add(lines [][]glyph, px float64) {
	gap := fixedFloat(px * 0.2)
	for _, gs := range lines {
		var ascent, descent fixed.Int26_6
		for _, g := range gs {
			m := g.face.Metrics()
			ascent, descent = max(ascent, m.Ascent), max(descent, m.Descent)
		}
		b.lines = append(b.lines, textLine{glyphs: gs, width: measure(gs), baseline: b.height + ascent})
		b.height += ascent + descent + gap
	}
}

// draw draws the block onto img, each line centred, starting at the bottom
// of the QR code (y = cardWidth).
func (b textBlock) draw(img draw.Image, cardWidth int) {
	top := fixed.I(cardWidth)
	for _, l := range b.lines {
		dot := fixed.Point26_6{X: (fixed.I(cardWidth) - l.width) / 2, Y: top + l.baseline}
		for i, g := range l.glyphs {
			if i > 0 && l.glyphs[i-1].face == g.face {
				dot.X += g.face.Kern(l.glyphs[i-1].r, g.r)
			}
			dr, mask, mp, _, ok := g.face.Glyph(dot, g.r)
			if ok {
				draw.DrawMask(img, dr, image.Black, image.Point{}, mask, mp, draw.Over)
			}
			dot.X += g.adv
		}
	}
}

// clean returns s as valid UTF-8 in NFC, at most maxInputBytes long, with
// control characters, line breaks and other spaces turned into single spaces,
// invisible formatting characters and private-use characters removed, and
// no leading or trailing space.
func clean(s string) string {
	if len(s) > maxInputBytes {
		s = s[:maxInputBytes] // a rune cut in two is removed below
	}
	s = norm.NFC.String(strings.ToValidUTF8(s, ""))
	var sb strings.Builder
	space := true // no leading space
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp):
			if !space {
				sb.WriteByte(' ')
			}
			space = true
		case unicode.In(r, unicode.Cf, unicode.Co, unicode.Noncharacter_Code_Point) || r == utf8.RuneError:
			// zero-width joiners, direction marks, soft hyphens, BOMs…
		default:
			sb.WriteRune(r)
			space = false
		}
	}
	return strings.TrimSuffix(sb.String(), " ")
}

// shape picks a face for each character of s. A character no face can draw
// is dropped when it is a symbol, a mark or punctuation (emoji, say); when it
// is a letter or a digit the whole line is refused (ok false) if
// refuseMissingLetters, since half a name is worse than none, and dropped
// otherwise. Spaces left doubled by dropped characters are collapsed. At most
// maxGlyphs are kept; when there were more, the line ends with "…".
func shape(ff faces, s string, refuseMissingLetters bool) (gs []glyph, ok bool) {
	for _, r := range s {
		f := ff.faceFor(r)
		if f == nil {
			if refuseMissingLetters && (unicode.IsLetter(r) || unicode.IsNumber(r)) {
				return nil, false
			}
			continue
		}
		if r == ' ' && (len(gs) == 0 || gs[len(gs)-1].r == ' ') {
			continue
		}
		adv, _ := f.GlyphAdvance(r)
		gs = append(gs, glyph{r: r, face: f, adv: adv})
	}
	gs = trimSpaces(gs)
	if len(gs) > maxGlyphs {
		gs = append(trimSpaces(gs[:maxGlyphs-1]), ellipsis(ff)...)
	}
	return gs, true
}

// wrap breaks gs into lines at most maxW wide: between words, or between
// Chinese or Japanese characters (not before closing punctuation), or, for a
// word too long for a line, anywhere. Past maxWrapped lines the text is cut
// and the last line ends with "…".
func wrap(gs []glyph, ff faces, maxW fixed.Int26_6) [][]glyph {
	var lines [][]glyph
	for len(gs) > 0 && len(lines) <= maxWrapped {
		n, lastBreak := fits(gs, maxW)
		if n == len(gs) {
			lines = append(lines, gs)
			break
		}
		cut := n
		if lastBreak > 0 {
			cut = lastBreak
		}
		lines = append(lines, trimSpaces(gs[:cut]))
		gs = trimSpaces(gs[cut:])
	}
	if len(lines) <= maxWrapped {
		return lines
	}
	lines = lines[:maxWrapped]
	last := lines[maxWrapped-1]
	ell := ellipsis(ff)
	for len(last) > 0 && measure(append(last[:len(last):len(last)], ell...)) > maxW {
		last = trimSpaces(last[:len(last)-1])
	}
	lines[maxWrapped-1] = append(last[:len(last):len(last)], ell...)
	return lines
}

// fits returns how many glyphs of gs fit in maxW (at least one), and the last
// place before that, or just after it, where the line may break (0 if none).
func fits(gs []glyph, maxW fixed.Int26_6) (n, lastBreak int) {
	var w fixed.Int26_6
	for n < len(gs) {
		next := w + gs[n].adv
		if n > 0 && gs[n-1].face == gs[n].face {
			next += gs[n].face.Kern(gs[n-1].r, gs[n].r)
		}
		if n > 0 && next > maxW {
			break
		}
		w = next
		n++
		if n < len(gs) && canBreakBefore(gs, n) {
			lastBreak = n
		}
	}
	return n, lastBreak
}

func canBreakBefore(gs []glyph, i int) bool {
	prev, r := gs[i-1].r, gs[i].r
	switch {
	case r == ' ' || prev == ' ':
		return true
	case unicode.In(r, unicode.Pe, unicode.Pf, unicode.Po) || unicode.In(prev, unicode.Ps, unicode.Pi):
		return false // not before "，", "。", "）", nor after "（"
	default:
		return isIdeographic(r) || isIdeographic(prev)
	}
}

// isIdeographic reports whether r belongs to a script written without spaces
// between words, where a line may break between any two characters.
func isIdeographic(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) ||
		(r >= 0x3000 && r <= 0x303f) || // CJK symbols and punctuation
		(r >= 0xff00 && r <= 0xffef) // fullwidth forms
}

// measure returns the width of gs as draw draws it.
func measure(gs []glyph) fixed.Int26_6 {
	var w fixed.Int26_6
	for i, g := range gs {
		if i > 0 && gs[i-1].face == g.face {
			w += g.face.Kern(gs[i-1].r, g.r)
		}
		w += g.adv
	}
	return w
}

// ellipsis returns "…" as glyphs: one, from the Go fonts, which have it.
func ellipsis(ff faces) []glyph {
	f := ff.faceFor('…')
	if f == nil {
		return nil
	}
	adv, _ := f.GlyphAdvance('…')
	return []glyph{{r: '…', face: f, adv: adv}}
}

func trimSpaces(gs []glyph) []glyph {
	for len(gs) > 0 && gs[0].r == ' ' {
		gs = gs[1:]
	}
	for len(gs) > 0 && gs[len(gs)-1].r == ' ' {
		gs = gs[:len(gs)-1]
	}
	return gs
}

func fixedFloat(f float64) fixed.Int26_6 { return fixed.Int26_6(f * 64) }
