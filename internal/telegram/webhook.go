package telegram

import (
	"context"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// SetWebhook has Telegram deliver updates to url, with secret as the
// secret_token it sends back in every request, over at most
// maxConnections connections at once (0: Telegram's default, 40).
func (t *Client) SetWebhook(ctx context.Context, url, secret string, maxConnections int) error {
	p := tgbotapi.Params{"url": url}
	p.AddNonEmpty("secret_token", secret)
	p.AddNonZero("max_connections", maxConnections)
	if err := p.AddInterface("allowed_updates", AllowedUpdates); err != nil {
		return err
	}
	_, err := t.Call(ctx, "setWebhook", p)
	return err
}

// DeleteWebhook removes the webhook, so that getUpdates works again; with
// dropPending false the updates waiting for the webhook are kept for
// getUpdates.
func (t *Client) DeleteWebhook(ctx context.Context, dropPending bool) error {
	p := tgbotapi.Params{}
	p.AddBool("drop_pending_updates", dropPending)
	_, err := t.Call(ctx, "deleteWebhook", p)
	return err
}

// Call makes a Bot API call by name with raw parameters, for what the
// library's configs lack (v5.5.1's WebhookConfig has no secret_token). It
// takes the path of every call: retries, and errors without the token. The
// call must be safe to repeat.
func (t *Client) Call(ctx context.Context, method string, p tgbotapi.Params) (*tgbotapi.APIResponse, error) {
	return t.CallTo(ctx, method, 0, true, p)
}

// CallTo makes one Bot API call with the parameters as given, paced as a
// call to chatID (0: no chat) like every other; safe says whether it may
// be repeated after a lost reply. It is for calls the client library
// spells wrong (answerPreCheckoutQuery's "ok": false) or does not pace
// as a send (sendInvoice).
func (t *Client) CallTo(ctx context.Context, method string, chatID int64, safe bool, p tgbotapi.Params) (*tgbotapi.APIResponse, error) {
	var resp *tgbotapi.APIResponse
	err := t.do(ctx, method, chatID, safe, func() error {
		var err error
		resp, err = t.api.MakeRequest(method, p)
		return err
	})
	return resp, err
}
