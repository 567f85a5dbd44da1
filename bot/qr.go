package bot

import (
	"context"
	"errors"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/catalog"
	"villagebot/internal/qrcard"
)

// qr is /qr SKU or /qr VILLAGE_CODE: a printable PNG of the deep link's QR
// code with the name under it, sent as a file so that it keeps its
// resolution. The caption warns when the product is hidden.
func (b *Bot) qr(ctx context.Context, r *Request, me catalog.Staff) error {
	f := strings.Fields(r.Args)
	if len(f) != 1 || !skuRE.MatchString(f[0]) {
		return b.usage(r, "qr")
	}
	var payload, title, warning string
	var lines []string
	if p, err := b.catalog.ProductBySKU(ctx, f[0]); err == nil {
		payload, title = "p_"+p.SKU, p.Name.Get(r.Lang)
		lines = cardLines(p.Name, p.SKU)
		if !p.Visible {
			// The card works once the product is shown; say so before
			// it is printed.
			warning = b.msg.T(r.Lang, "qr_hidden", "Name", esc(title), "SKU", esc(p.SKU)) + "\n\n"
		}
	} else if !errors.Is(err, catalog.ErrNotFound) {
		return err
	} else if v, err := b.catalog.VillageByCode(ctx, strings.ToLower(f[0])); err == nil {
		payload, title = "v_"+v.Code, v.Name.Get(r.Lang)
		lines = cardLines(v.Name, v.Code)
	} else if errors.Is(err, catalog.ErrNotFound) {
		return refuse(b.msg.T(r.Lang, "qr_unknown", "Code", esc(f[0])))
	} else {
		return err
	}
	link := "https://t.me/" + b.tg.Username() + "?start=" + payload
	png, err := qrcard.Render(link, lines)
	if err != nil {
		return err
	}
	doc := tgbotapi.NewDocument(r.ChatID, tgbotapi.FileBytes{Name: "qr-" + payload[2:] + ".png", Bytes: png})
	doc.Caption = warning + b.msg.T(r.Lang, "qr_caption", "Name", esc(title), "Link", esc(link))
	doc.ParseMode = tgbotapi.ModeHTML
	_, err = b.tg.Send(ctx, doc)
	return err
}

// cardLines are the lines under a QR code: the Chinese name, the English
// one, and the code, which every font can draw.
func cardLines(name catalog.Texts, code string) []string { return qrcard.NameLines(name, code) }
