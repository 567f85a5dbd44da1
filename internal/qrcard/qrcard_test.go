package qrcard

import (
	"bytes"
	"errors"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqrcode "github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/image/math/fixed"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	productLink = "https://t.me/villagebot?start=p_MN-BLACKTEA"
	villageLink = "https://t.me/villagebot?start=v_MAOGAN"
)

// decodeCard decodes a card and reads its QR code back.
func decodeCard(t *testing.T, card []byte) (image.Image, string) {
	t.Helper()
	img, format, err := image.Decode(bytes.NewReader(card))
	if err != nil {
		t.Fatalf("card is not an image: %v", err)
	}
	if format != "png" {
		t.Fatalf("card format = %q, want png", format)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("no QR code read back from the card: %v", err)
	}
	return img, res.GetText()
}

func TestRender(t *testing.T) {
	long := "https://t.me/villagebot?start=p_" + strings.Repeat("A", MaxLinkLen-len("https://t.me/villagebot?start=p_"))
	tests := []struct {
		name  string
		link  string
		lines []string
	}{
		{"a product card reads back as the product's deep link", productLink, []string{"毛感黑茶", "Maogan black tea", "MN-BLACKTEA"}},
		{"a village card reads back as the village's deep link", villageLink, []string{"毛感乡", "Maogan village", "MAOGAN"}},
		{"a link of the longest allowed length still reads back", long, []string{"LONG"}},
		{"a card with no lines reads back", villageLink, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			card, err := Render(tt.link, tt.lines)
			if err != nil {
				t.Fatal(err)
			}
			img, got := decodeCard(t, card)
			if got != tt.link {
				t.Errorf("QR code reads %q, want %q", got, tt.link)
			}
			b := img.Bounds()
			if b.Dx() < minWidth || b.Dx() > minWidth+200 {
				t.Errorf("card is %d px wide, want between %d and %d", b.Dx(), minWidth, minWidth+200)
			}
			if b.Dy() <= b.Dx() {
				t.Errorf("card is %dx%d, want text under the square QR code", b.Dx(), b.Dy())
			}
			if n := darkPixels(img, image.Rect(0, b.Dx(), b.Dx(), b.Dy())); n == 0 {
				t.Error("nothing is printed under the QR code")
			}
		})
	}
}

func TestRenderLeavesAQuietZone(t *testing.T) {
	code, err := qrBitmap(productLink)
	if err != nil {
		t.Fatal(err)
	}
	card, err := Render(productLink, []string{"MN-BLACKTEA"})
	if err != nil {
		t.Fatal(err)
	}
	img, _ := decodeCard(t, card)
	w := img.Bounds().Dx()
	scale := w / len(code)
	if scale*len(code) != w {
		t.Fatalf("card width %d is not a whole number of %d modules", w, len(code))
	}
	quiet := 4 * scale
	for _, r := range []image.Rectangle{
		image.Rect(0, 0, w, quiet),                 // top
		image.Rect(0, 0, quiet, w),                 // left
		image.Rect(w-quiet, 0, w, w),               // right
		image.Rect(0, w-quiet, w, w),               // bottom, above the text
		image.Rect(quiet, quiet, quiet+1, w-quiet), // so that the next check means something
	} {
		n := darkPixels(img, r)
		if r.Dx() == 1 {
			if n == 0 {
				t.Errorf("no dark module along the left edge of the symbol %v", r)
			}
			continue
		}
		if n != 0 {
			t.Errorf("%d dark pixels in the quiet zone %v", n, r)
		}
	}
}

func TestRenderRefusesBadLinks(t *testing.T) {
	tests := []struct{ name, link string }{
		{"an empty link", ""},
		{"a link without a scheme", "t.me/villagebot?start=p_MN-BLACKTEA"},
		{"an ftp link", "ftp://example.com/file"},
		{"a javascript link", "javascript:alert(1)"},
		{"a tg link", "tg://resolve?domain=villagebot"},
		{"a link without a host", "https:///start"},
		{"a link of invalid UTF-8", "https://t.me/\xff"},
		{"a link with a control character", "https://t.me/a\nb"},
		{"a link one byte too long", "https://t.me/" + strings.Repeat("a", MaxLinkLen-len("https://t.me/")+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			card, err := Render(tt.link, []string{"X"})
			if !errors.Is(err, ErrInvalidLink) {
				t.Errorf("Render(%q) error = %v, want ErrInvalidLink", tt.link, err)
			}
			if card != nil {
				t.Error("a card came with the error")
			}
		})
	}
	t.Run("HTTP in capitals is accepted", func(t *testing.T) {
		if _, err := Render("HTTPS://T.ME/villagebot?start=v_MAOGAN", nil); err != nil {
			t.Error(err)
		}
	})
}

func TestRenderOddInput(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
	}{
		{"emoji", []string{"🍵🍵🍵", "Black tea 🍵 from 👨‍👩‍👧 farms", "🇨🇳", "MN-BLACKTEA"}},
		{"invalid UTF-8", []string{"\xff\xfe黑茶\xc3", "Black\x80 tea", "\xff"}},
		{"a 500-character Latin name", []string{strings.Repeat("Maogan ", 72), "MN-BLACKTEA"}},
		{"a 500-character Chinese name", []string{strings.Repeat("毛感黑茶", 125), "MN-BLACKTEA"}},
		{"a 500-character word", []string{strings.Repeat("W", 500)}},
		{"a megabyte line", []string{strings.Repeat("a b ", 1<<18)}},
		{"Cyrillic and Greek", []string{"Чай из деревни Маоган", "Τσάι", "MN-BLACKTEA"}},
		{"Chinese", []string{"毛感黑茶（五指山），手工制作。", "MN-BLACKTEA"}},
		{"scripts no font has", []string{"شاي أسود", "תה", "ชา", "MN-BLACKTEA"}},
		{"control and invisible characters", []string{"Black\ttea\r\n\x00from\u200bMaogan\u202e", "\u00adsoft\u00adhyphen"}},
		{"empty and blank lines", []string{"", "   ", "\n\t", ""}},
		{"nothing drawable at all", []string{"🍵", "\xff"}},
		{"a thousand lines", strings.Split(strings.Repeat("line\n", 1000), "\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name+" renders a card that reads back", func(t *testing.T) {
			t.Parallel()
			card, err := Render(productLink, tt.lines)
			if err != nil {
				t.Fatal(err)
			}
			img, got := decodeCard(t, card)
			if got != productLink {
				t.Errorf("QR code reads %q, want %q", got, productLink)
			}
			if b := img.Bounds(); b.Dy() > 3*b.Dx() {
				t.Errorf("card is %dx%d: text is not bounded", b.Dx(), b.Dy())
			}
		})
	}
}

func TestRenderConcurrently(t *testing.T) {
	want, err := Render(productLink, []string{"毛感黑茶", "Maogan black tea", "MN-BLACKTEA"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			got, err := Render(productLink, []string{"毛感黑茶", "Maogan black tea", "MN-BLACKTEA"})
			if err != nil {
				t.Error(err)
				return
			}
			if !bytes.Equal(got, want) {
				t.Error("concurrent renders of the same card differ")
			}
		})
	}
	wg.Wait()
}

// texts returns the printed lines of a block as strings.
func (b textBlock) texts() []string {
	var out []string
	for _, l := range b.lines {
		var sb strings.Builder
		for _, g := range l.glyphs {
			sb.WriteRune(g.r)
		}
		out = append(out, sb.String())
	}
	return out
}

func TestLayout(t *testing.T) {
	latinOnly := loadFonts(nil)
	const width = 1024
	maxW := fixed.I(800)

	t.Run("without a CJK font, Chinese lines are left off and the others kept", func(t *testing.T) {
		got := layout(latinOnly, []string{"毛感黑茶", "Maogan black tea", "Чай", "MN-BLACKTEA"}, width, maxW).texts()
		want := []string{"Maogan black tea", "Чай", "MN-BLACKTEA"}
		if !slices.Equal(got, want) {
			t.Errorf("printed %q, want %q", got, want)
		}
	})
	t.Run("without a CJK font, a line mixing Chinese and Latin is left off whole", func(t *testing.T) {
		got := layout(latinOnly, []string{"黑茶 black tea", "MN-BLACKTEA"}, width, maxW).texts()
		if want := []string{"MN-BLACKTEA"}; !slices.Equal(got, want) {
			t.Errorf("printed %q, want %q", got, want)
		}
	})
	t.Run("emoji and symbols no font has are dropped and their line kept", func(t *testing.T) {
		got := layout(latinOnly, []string{"Black tea 🍵 from 👨‍👩‍👧 farms ✓"}, width, maxW).texts()
		if want := []string{"Black tea from farms"}; !slices.Equal(got, want) {
			t.Errorf("printed %q, want %q", got, want)
		}
	})
	t.Run("the first printed line is the title, larger than the others", func(t *testing.T) {
		b := layout(latinOnly, []string{"毛感黑茶", "Maogan", "MN"}, width, maxW)
		if len(b.lines) != 2 {
			t.Fatalf("printed %q", b.texts())
		}
		title, body := b.lines[0].glyphs[0].face.Metrics().Height, b.lines[1].glyphs[0].face.Metrics().Height
		if title <= body {
			t.Errorf("title line height %v, body %v: want the title larger", title, body)
		}
	})
	t.Run("a long name wraps between words into at most three lines ending with an ellipsis", func(t *testing.T) {
		name := strings.TrimSpace(strings.Repeat("Maogan black tea ", 30))
		b := layout(latinOnly, []string{"X", name}, width, maxW)
		got := b.texts()[1:]
		if len(got) != maxWrapped {
			t.Fatalf("printed %d lines %q, want %d", len(got), got, maxWrapped)
		}
		for i, l := range got {
			if i < len(got)-1 && !strings.HasPrefix(name, strings.Join(got[:i+1], " ")) {
				t.Errorf("line %d %q breaks inside a word", i, l)
			}
		}
		if last := got[len(got)-1]; !strings.HasSuffix(last, "…") {
			t.Errorf("last line %q has no ellipsis", last)
		}
		for i, l := range b.lines {
			if l.width > maxW {
				t.Errorf("line %d is %v wide, more than %v", i, l.width, maxW)
			}
		}
	})
	t.Run("a word too long for a line is broken anywhere", func(t *testing.T) {
		b := layout(latinOnly, []string{strings.Repeat("W", 60)}, width, maxW)
		if len(b.lines) < 2 {
			t.Fatalf("printed %q, want it wrapped", b.texts())
		}
		for i, l := range b.lines {
			if l.width > maxW {
				t.Errorf("line %d is %v wide, more than %v", i, l.width, maxW)
			}
		}
	})
	t.Run("when no line can be drawn the link is printed", func(t *testing.T) {
		w := 1044
		b := layout(latinOnly, []string{"毛感黑茶"}, w, maxW)
		if len(b.lines) != 0 {
			t.Fatalf("printed %q", b.texts())
		}
		card, err := render(latinOnly, productLink, []string{"毛感黑茶"})
		if err != nil {
			t.Fatal(err)
		}
		img, _ := decodeCard(t, card)
		if darkPixels(img, image.Rect(0, img.Bounds().Dx(), img.Bounds().Dx(), img.Bounds().Dy())) == 0 {
			t.Error("nothing printed under the code")
		}
		if got := strings.Join(layoutLink(latinOnly, productLink, w, maxW).texts(), ""); got != productLink {
			t.Errorf("link printed as %q", got)
		}
	})
}

func TestLayoutWithSystemCJKFont(t *testing.T) {
	fs := systemFonts()
	if fs.cjk == nil {
		t.Skip("no CJK font on this machine (e.g. apt-get install fonts-droid-fallback); Chinese lines are left off")
	}
	if CJKFont() != fs.cjkPath || CJKFont() == "" {
		t.Errorf("CJKFont() = %q, want %q", CJKFont(), fs.cjkPath)
	}
	maxW := fixed.I(800)
	t.Run("Chinese and Latin lines are both printed", func(t *testing.T) {
		got := layout(fs, []string{"毛感黑茶", "黑茶 black tea", "MN-BLACKTEA"}, 1024, maxW).texts()
		if want := []string{"毛感黑茶", "黑茶 black tea", "MN-BLACKTEA"}; !slices.Equal(got, want) {
			t.Errorf("printed %q, want %q", got, want)
		}
	})
	t.Run("a long Chinese name wraps between characters, never before closing punctuation", func(t *testing.T) {
		name := strings.Repeat("毛感黑茶，五指山。", 8)
		got := layout(fs, []string{name}, 1024, maxW).texts()
		if len(got) < 2 {
			t.Fatalf("printed %q, want it wrapped", got)
		}
		for _, l := range got {
			if strings.HasPrefix(l, "，") || strings.HasPrefix(l, "。") {
				t.Errorf("line %q starts with closing punctuation", l)
			}
		}
	})
}

func TestLoadFonts(t *testing.T) {
	t.Run("missing files and files that are not fonts are skipped", func(t *testing.T) {
		notFont := filepath.Join(t.TempDir(), "font.ttf")
		if err := os.WriteFile(notFont, []byte("not a font"), 0o600); err != nil {
			t.Fatal(err)
		}
		fs := loadFonts([]string{"/nonexistent/font.ttf", notFont})
		if fs.cjk != nil || fs.cjkPath != "" {
			t.Errorf("a CJK font was loaded from %q", fs.cjkPath)
		}
	})
	t.Run("the Go fonts have the ellipsis used to cut long lines", func(t *testing.T) {
		if len(ellipsis(loadFonts(nil).newFaces(20, false))) != 1 {
			t.Error("no ellipsis")
		}
	})
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  Black   tea  ", "Black tea"},
		{"Black\ttea\r\nfrom\x00Maogan", "Black tea from Maogan"},
		{"\xffBlack\xc3 tea\x80", "Black tea"},
		{"Caf\u0065\u0301", "Café"},                    // composed
		{"zero\u200bwidth\u200djoin", "zerowidthjoin"}, // invisible characters removed
		{"\u202eevil\u202c", "evil"},                   // no direction overrides
		{"\ufeffBOM", "BOM"},
		{"\ue000private", "private"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := clean(strings.Repeat("黑", maxInputBytes)); len(got) > maxInputBytes || !strings.HasPrefix(got, "黑") {
		t.Errorf("clean of a long line kept %d bytes, want at most %d", len(got), maxInputBytes)
	}
}

// TestRenderGolden compares a card drawn with the Go fonts alone (so that it
// does not depend on the fonts of the machine) with testdata/card.golden.png.
// Run with -update after a deliberate change of the layout, and look at it.
func TestRenderGolden(t *testing.T) {
	card, err := render(loadFonts(nil), villageLink, []string{"Maogan village", "Деревня Маоган", "MAOGAN"})
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "card.golden.png")
	if *update {
		if err := os.WriteFile(golden, card, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	got, wantImg := decodeGray(t, card), decodeGray(t, want)
	if got.Bounds() != wantImg.Bounds() {
		t.Fatalf("card is %v, golden %v", got.Bounds(), wantImg.Bounds())
	}
	// Allow a few pixels of anti-aliasing to differ by a little (floating
	// point may round differently on other processors), nothing more.
	differ := 0
	for i, g := range got.Pix {
		if d := int(g) - int(wantImg.Pix[i]); d > 8 || d < -8 {
			differ++
		}
	}
	if differ > 50 {
		t.Errorf("%d pixels differ from %s (run go test -update and look at it if the change is meant)", differ, golden)
	}
}

func FuzzRender(f *testing.F) {
	f.Add(productLink, "毛感黑茶", "MN-BLACKTEA")
	f.Add(villageLink, "\xff🍵\u202e", "")
	f.Add("http://x", strings.Repeat("ab ", 200), "\x00")
	f.Add("mailto:a@b", "a", "b")
	latinOnly := loadFonts(nil)
	f.Fuzz(func(t *testing.T, link, a, b string) {
		card, err := render(latinOnly, link, []string{a, b})
		if err != nil {
			if !errors.Is(err, ErrInvalidLink) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if _, err := png.DecodeConfig(bytes.NewReader(card)); err != nil {
			t.Fatalf("not a PNG: %v", err)
		}
	})
}

func decodeGray(t *testing.T, card []byte) *image.Gray {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(card))
	if err != nil {
		t.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("card decodes as %T, want a grey image", img)
	}
	return g
}

func darkPixels(img image.Image, r image.Rectangle) int {
	n := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if g, _, _, _ := img.At(x, y).RGBA(); g < 0x8000 {
				n++
			}
		}
	}
	return n
}
