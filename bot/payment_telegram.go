package bot

import (
	"context"
	"encoding/json"
	"strconv"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Calls of Telegram Payments the client library gets wrong, made with
// their parameters spelt out. They take the client's one path of every call (CallTo):
// the limiter, retries, metrics, the token kept out of errors.
//
//   - answerPreCheckoutQuery: the library's PreCheckoutConfig leaves out
//     "ok" when it is false (Params.AddBool), but Telegram requires it, so
//     a refusal would itself be refused.
//   - sendInvoice: the library's InvoiceConfig is not known to the limiter
//     as a send to a chat, and would be repeated after a lost reply.

// answerPreCheckout answers a pre_checkout_query: ok, or not with the
// reason the user reads.
func (b *Bot) answerPreCheckout(ctx context.Context, queryID string, ok bool, reason string) error {
	p := tgbotapi.Params{"pre_checkout_query_id": queryID, "ok": "false"}
	if ok {
		p["ok"] = "true"
	} else {
		p["error_message"] = reason
	}
	_, err := b.tg.CallTo(ctx, "answerPreCheckoutQuery", 0, true, p)
	return err
}

// sendInvoice sends an invoice to a chat, once.
func (b *Bot) sendInvoice(ctx context.Context, c tgbotapi.InvoiceConfig) (tgbotapi.Message, error) {
	p := tgbotapi.Params{
		"chat_id":        strconv.FormatInt(c.ChatID, 10),
		"title":          c.Title,
		"description":    c.Description,
		"payload":        c.Payload,
		"provider_token": c.ProviderToken,
		"currency":       c.Currency,
	}
	if err := p.AddInterface("prices", c.Prices); err != nil {
		return tgbotapi.Message{}, err
	}
	if c.ReplyMarkup != nil {
		if err := p.AddInterface("reply_markup", c.ReplyMarkup); err != nil {
			return tgbotapi.Message{}, err
		}
	}
	resp, err := b.tg.CallTo(ctx, "sendInvoice", c.ChatID, false, p)
	if err != nil {
		return tgbotapi.Message{}, err
	}
	var m tgbotapi.Message
	err = json.Unmarshal(resp.Result, &m)
	return m, err
}
