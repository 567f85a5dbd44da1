package orders

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strings"

	"github.com/jmoiron/sqlx"
)

// MaxPaymentText is the longest how-and-when-to-pay text, in characters.
const MaxPaymentText = 500

var paymentLangRE = regexp.MustCompile(`^[a-z]{2,8}$`)

// PaymentText is how and when to pay for one delivery, in one language, as
// the office wrote it.
type PaymentText struct {
	Delivery Delivery `db:"delivery"`
	Language string   `db:"language"`
	Text     string   `db:"text"`
	By       string   `db:"updated_by"`
}

// PaymentText returns the office's text for a delivery in a language;
// ErrNotFound when they wrote none (the message catalogue's default
// applies).
func (s *Store) PaymentText(ctx context.Context, d Delivery, lang string) (text string, err error) {
	defer wrap(&err, "PaymentText(%q, %q)", d, lang)
	err = sqlx.GetContext(ctx, s.prep, &text, `
		SELECT text FROM payment_texts WHERE delivery = $1 AND language = $2`, d, lang)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return text, err
}

// PaymentTexts returns every text the office wrote, by delivery then
// language.
func (s *Store) PaymentTexts(ctx context.Context) (ts []PaymentText, err error) {
	defer wrap(&err, "PaymentTexts")
	err = sqlx.SelectContext(ctx, s.db, &ts, `
		SELECT delivery, language, text, updated_by FROM payment_texts
		 ORDER BY array_position(ARRAY['pickup', 'hotel', 'shipping'], delivery), language`)
	return ts, err
}

// SetPaymentText sets how and when to pay for a delivery in a language;
// an empty text removes the office's text, so the default applies again.
// The text is one paragraph of at most MaxPaymentText characters (line
// breaks allowed).
func (s *Store) SetPaymentText(ctx context.Context, d Delivery, lang, text, actor string) (err error) {
	defer wrap(&err, "SetPaymentText(%q, %q)", d, lang)
	if !d.Valid() {
		return invalid("delivery", "%q is not pickup, hotel or shipping", d)
	}
	if !paymentLangRE.MatchString(lang) {
		return invalid("language", "%q is not a language code", lang)
	}
	text = strings.TrimSpace(text)
	if err := checkText("text", text, MaxPaymentText, false, true); err != nil {
		return err
	}
	if err := checkText("actor", actor, maxActor, true, false); err != nil {
		return err
	}
	if text == "" {
		_, err = s.db.ExecContext(ctx, `DELETE FROM payment_texts WHERE delivery = $1 AND language = $2`, d, lang)
		return err
	}
	_, err = s.db.ExecContext(ctx, `
		INSERT INTO payment_texts (delivery, language, text, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (delivery, language)
		DO UPDATE SET text = EXCLUDED.text, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at`,
		d, lang, text, actor, s.Now())
	return err
}
