package qrcard

import (
	"os"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
)

// cjkFontPaths are the places where common packages install a CJK font,
// smallest first: the whole font is read into memory on first use.
var cjkFontPaths = []string{
	// Debian and Ubuntu.
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", // fonts-droid-fallback, 4 MB
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",            // fonts-wqy-microhei
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",              // fonts-wqy-zenhei
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",    // fonts-noto-cjk
	"/usr/share/fonts/truetype/arphic/uming.ttc",                // fonts-arphic-uming
	// Fedora, Arch, Alpine.
	"/usr/share/fonts/google-droid-sans-fonts/DroidSansFallbackFull.ttf",
	"/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
	"/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/noto/NotoSansCJK-Regular.ttc",
	// macOS.
	"/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
	"/Library/Fonts/Arial Unicode.ttf",
}

// fontSet holds parsed fonts. It is read-only once built, and the parsed
// fonts are safe for concurrent use; faces, which are not, are made per
// Render call.
type fontSet struct {
	regular *opentype.Font
	bold    *opentype.Font
	cjk     *opentype.Font // nil when no CJK font was found
	cjkPath string
}

// systemFonts is built once, on first use: the Go fonts and the first usable
// CJK font at cjkFontPaths.
var systemFonts = sync.OnceValue(func() *fontSet { return loadFonts(cjkFontPaths) })

// CJKFont returns the path of the system font used for Chinese text on the
// cards, or "" when none was found, in which case Chinese lines are left off
// (see the package documentation).
func CJKFont() string { return systemFonts().cjkPath }

// loadFonts parses the embedded Go fonts and the first font at cjkPaths that
// can be parsed and has Chinese characters.
func loadFonts(cjkPaths []string) *fontSet {
	fs := &fontSet{
		regular: mustParse(goregular.TTF),
		bold:    mustParse(gobold.TTF),
	}
	for _, path := range cjkPaths {
		if f := loadCJK(path); f != nil {
			fs.cjk, fs.cjkPath = f, path
			break
		}
	}
	return fs
}

// mustParse parses a font compiled into the binary; failing is a bug.
func mustParse(ttf []byte) *opentype.Font {
	f, err := opentype.Parse(ttf)
	if err != nil {
		panic("qrcard: parsing an embedded Go font: " + err.Error())
	}
	return f
}

// loadCJK returns the font at path, or from a collection the simplified
// Chinese member when there is one, or nil when the file is missing,
// unreadable or has no Chinese characters.
func loadCJK(path string) *opentype.Font {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	c, err := opentype.ParseCollection(data) // also reads a single font
	if err != nil {
		return nil
	}
	var buf sfnt.Buffer
	var first *opentype.Font
	for i := range c.NumFonts() {
		f, err := c.Font(i)
		if err != nil || !hasGlyph(f, &buf, '中') || !hasGlyph(f, &buf, '茶') {
			continue
		}
		name, _ := f.Name(&buf, sfnt.NameIDFamily)
		if strings.Contains(name, " SC") || strings.Contains(name, " CN") || strings.Contains(name, "GB") {
			return f
		}
		if first == nil {
			first = f
		}
	}
	return first
}

func hasGlyph(f *opentype.Font, buf *sfnt.Buffer, r rune) bool {
	i, err := f.GlyphIndex(buf, r)
	return err == nil && i != 0
}

// faces are the faces of one text size, tried in order for each character.
type faces []font.Face

// newFaces returns the faces for text of size px: Go Bold or Go Regular, then
// the CJK font when there is one. (Closing an opentype face is a no-op.)
func (fs *fontSet) newFaces(px float64, bold bool) faces {
	latin := fs.regular
	if bold {
		latin = fs.bold
	}
	fonts := []*opentype.Font{latin}
	if fs.cjk != nil {
		fonts = append(fonts, fs.cjk)
	}
	var ff faces
	for _, f := range fonts {
		face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingFull})
		if err != nil { // only for a bad size, which px never is
			continue
		}
		ff = append(ff, face)
	}
	return ff
}

// faceFor returns the first face with a glyph for r, or nil.
func (ff faces) faceFor(r rune) font.Face {
	for _, f := range ff {
		if _, ok := f.GlyphAdvance(r); ok {
			return f
		}
	}
	return nil
}
