// Package qrcard renders the printable card behind the office command
// `/qr SKU` or `/qr VILLAGE_CODE` (SPEC section 5): a PNG holding the QR code
// of a deep link and, under it, a few centred lines of text — typically the
// product's or village's Chinese name, its English name and the SKU or code.
//
// # Fonts
//
// Latin, Greek and Cyrillic are drawn with the Go fonts
// (golang.org/x/image/font/gofont, BSD-licensed), which are compiled into the
// binary, so a card always has text whatever machine it is made on.
//
// No Go module ships a CJK font, and a usable one is several megabytes (it
// cannot be subset at run time either, since the names come from the
// catalog), so none is embedded. Instead, on first use the package looks for
// one at well-known system paths (Debian's fonts-droid-fallback,
// fonts-wqy-microhei, fonts-wqy-zenhei, fonts-noto-cjk, fonts-arphic-uming,
// and their usual places on other systems) and, when one is there, draws with
// it every character the Go fonts lack. [CJKFont] tells which one was found,
// so that the program can log it at start-up.
//
// On a machine without a CJK font, a line holding a letter or digit that no
// font can draw (a Chinese name, say) is left off the card rather than
// printed as empty boxes or as half a name; the other lines are kept. Callers
// should therefore pass the SKU or village code as a line of its own: it is
// ASCII and always drawn. Emoji and other symbols that no font has are
// dropped from their line, and the line is kept. If no line at all can be
// drawn, the link itself is printed under the code instead, so a card is
// never unlabelled.
package qrcard

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"strings"
	"unicode/utf8"

	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/image/math/fixed"
)

// MaxLinkLen is the longest link, in bytes, that Render accepts. It fits a
// QR code at error correction level M (at most 2331 bytes at version 40).
const MaxLinkLen = 2048

// ErrInvalidLink is returned (wrapped) by Render for a link that is not an
// absolute http or https URL of at most MaxLinkLen bytes.
var ErrInvalidLink = errors.New("qrcard: invalid link")

// minWidth is the narrowest card, in pixels: about 8.7 cm at 300 dpi, large
// enough for a booth table and for a phone to read from a metre away.
const minWidth = 1024

// Render returns a PNG card: the QR code of link, with a quiet zone of four
// modules and error correction level H (or M when the link is too long for
// H), at least 1024 pixels wide, and under it lines, each centred and wrapped
// when too wide. The first line is drawn larger, in bold. Text is cleaned
// first: invalid UTF-8, control characters and characters no available font
// can draw are removed (see the package documentation for what happens to
// Chinese text on a machine without a CJK font), and very long lines are
// cut with an ellipsis.
//
// Render is safe for concurrent use.
func Render(link string, lines []string) ([]byte, error) {
	return render(systemFonts(), link, lines)
}

func render(fs *fontSet, link string, lines []string) (_ []byte, err error) {
	if err := validateLink(link); err != nil {
		return nil, err
	}
	code, err := qrBitmap(link)
	if err != nil {
		return nil, fmt.Errorf("qrcard: encoding %q: %w", link, err)
	}

	modules := len(code) // the quiet zone included
	scale := (minWidth + modules - 1) / modules
	width := modules * scale

	margin := max(4*scale, width/16)
	text := layout(fs, lines, width, fixed.I(width-2*margin))
	if len(text.lines) == 0 {
		text = layoutLink(fs, link, width, fixed.I(width-2*margin))
	}

	// Text starts right under the QR code's own quiet zone, and the card ends
	// with as much white again.
	bottom := 4 * scale
	height := width + text.height.Ceil() + bottom
	img := image.NewGray(image.Rect(0, 0, width, height))
	fill(img, img.Bounds(), color.Gray{Y: 0xff})
	for y, row := range code {
		for x, dark := range row {
			if dark {
				fill(img, image.Rect(x*scale, y*scale, (x+1)*scale, (y+1)*scale), color.Gray{})
			}
		}
	}
	text.draw(img, width)

	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qrcard: encoding PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// validateLink accepts only absolute http(s) URLs with a host, in valid
// UTF-8, of at most MaxLinkLen bytes.
func validateLink(link string) error {
	if len(link) > MaxLinkLen {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidLink, len(link), MaxLinkLen)
	}
	if !utf8.ValidString(link) {
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidLink)
	}
	u, err := url.Parse(link)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidLink, err)
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return fmt.Errorf("%w: %q is not an http or https URL", ErrInvalidLink, link)
	}
	if u.Host == "" {
		return fmt.Errorf("%w: %q has no host", ErrInvalidLink, link)
	}
	return nil
}

// qrBitmap encodes link at the highest error correction level it fits,
// trying H then M. The bitmap includes a quiet zone of four modules.
func qrBitmap(link string) ([][]bool, error) {
	var err error
	for _, level := range []qrcode.RecoveryLevel{qrcode.Highest, qrcode.Medium} {
		var q *qrcode.QRCode
		if q, err = qrcode.New(link, level); err == nil {
			return q.Bitmap(), nil
		}
	}
	return nil, err
}

func fill(img *image.Gray, r image.Rectangle, c color.Gray) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		for i := range row {
			row[i] = c.Y
		}
	}
}

// NameLines are the lines under a card's code: the Chinese and English
// names (those that exist), then the SKU or village code. The chat's /qr
// and the console's QR page print the same card through it.
func NameLines(names map[string]string, code string) []string {
	var lines []string
	for _, l := range []string{"zh", "en"} {
		if s := names[l]; s != "" {
			lines = append(lines, s)
		}
	}
	return append(lines, code)
}
