package bot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"unicode"

	"villagebot/catalog"
	"villagebot/orders"
)

// How and when to pay, per delivery, in the reader's language: the text
// the office set with /paytext, else the message catalogue's default
// (pay_how_pickup, pay_how_hotel, pay_how_shipping).

// PaymentNote is how and when to pay for an order of this delivery, as HTML
// for a message: the checkout's summary and the confirmation show it. An
// office text that cannot be read (the database is down) gives way to the
// default rather than fail the screen.
func (b *Bot) PaymentNote(ctx context.Context, lang string, d orders.Delivery) string {
	if !d.Valid() {
		return ""
	}
	text, err := b.orders.PaymentText(ctx, d, lang)
	if err != nil {
		if !errors.Is(err, orders.ErrNotFound) {
			b.log.Warn("payment text unavailable, default shown", "delivery", d, "lang", lang, "err", err)
		}
		return "💳 " + b.msg.T(lang, "pay_how_"+string(d))
	}
	return "💳 " + esc(text)
}

// payText is /paytext: with no arguments it lists the texts of every
// delivery and language; /paytext DELIVERY LANG TEXT sets one, and
// /paytext DELIVERY LANG default brings back the default.
func (b *Bot) payText(ctx context.Context, r *Request, me catalog.Staff) error {
	if r.Args == "" {
		return b.payTexts(ctx, r)
	}
	f := strings.Fields(r.Args)
	if len(f) < 3 {
		return b.usage(r, "paytext")
	}
	d := orders.Delivery(strings.ToLower(f[0]))
	lang := strings.ToLower(f[1])
	if !d.Valid() || !slices.Contains(catalog.Languages, lang) {
		return b.usage(r, "paytext")
	}
	// The text as typed after DELIVERY and LANG, line breaks kept.
	text := strings.TrimSpace(r.Args)
	for range 2 {
		text = strings.TrimSpace(text[strings.IndexFunc(text, unicode.IsSpace):])
	}
	text = cleanPayText(text)
	reset := strings.EqualFold(text, "default")
	if reset {
		text = ""
	}
	if len([]rune(text)) > orders.MaxPaymentText {
		return refuse(b.msg.T(r.Lang, "paytext_too_long", "Max", orders.MaxPaymentText))
	}
	if err := b.orders.SetPaymentText(ctx, d, lang, text, actor(r.UserID)); err != nil {
		if errors.Is(err, orders.ErrInvalid) {
			return b.usage(r, "paytext")
		}
		return err
	}
	key := "paytext_set"
	if reset {
		key = "paytext_reset"
	}
	return b.send(ctx, r, b.msg.T(r.Lang, key, "Delivery", b.msg.T(r.Lang, "delivery_"+string(d)), "Lang", lang)+
		"\n\n"+b.PaymentNote(ctx, lang, d), nil)
}

// payTexts lists how and when to pay for each delivery in each language,
// marking the office's own texts.
func (b *Bot) payTexts(ctx context.Context, r *Request) error {
	set, err := b.orders.PaymentTexts(ctx)
	if err != nil {
		return err
	}
	own := map[string]bool{}
	for _, t := range set {
		own[string(t.Delivery)+"/"+t.Language] = true
	}
	var sb strings.Builder
	sb.WriteString(b.msg.T(r.Lang, "paytext_title") + "\n")
	for _, d := range deliveries {
		sb.WriteString("\n<b>" + b.msg.T(r.Lang, "delivery_"+string(d)) + "</b>\n")
		for _, lang := range catalog.Languages {
			mark := b.msg.T(r.Lang, "paytext_default")
			if own[string(d)+"/"+lang] {
				mark = b.msg.T(r.Lang, "paytext_own")
			}
			sb.WriteString("<code>" + lang + "</code> (" + mark + "): " + strings.TrimPrefix(b.PaymentNote(ctx, lang, d), "💳 ") + "\n")
		}
	}
	sb.WriteString("\n" + b.msg.T(r.Lang, "paytext_hint"))
	return b.send(ctx, r, fit(sb.String(), "", maxText), nil)
}

// cleanPayText drops control characters but line breaks, and trims each line.
func cleanPayText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = cleanLine(l, orders.MaxPaymentText+1)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
