package bot

import (
	"context"
	"errors"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/internal/telegram"
)

// Telegram is what the flows need of the Bot API (internal/telegram's
// Client): calls that put or change messages, paced and retried there,
// files users send, and the bot's username.
type Telegram interface {
	Request(ctx context.Context, c tgbotapi.Chattable) (*tgbotapi.APIResponse, error)
	Send(ctx context.Context, c tgbotapi.Chattable) (tgbotapi.Message, error)
	Download(ctx context.Context, fileID string, limit int64) ([]byte, error)
	Username() string
	// CallTo makes a call by name with raw parameters, paced as a call
	// to chatID (0: none); safe says it may be repeated after a lost reply.
	CallTo(ctx context.Context, method string, chatID int64, safe bool, p tgbotapi.Params) (*tgbotapi.APIResponse, error)
}

// CallError is a failed Bot API call: Telegram's fault or answer, never an
// outage of the bot's own stores.
type CallError = telegram.CallError

// ErrFileTooLarge is a file over the size the bot accepts.
var ErrFileTooLarge = telegram.ErrFileTooLarge

// apiErrorCode returns Telegram's error code of err, or 0.
func apiErrorCode(err error) int {
	var apiErr *tgbotapi.Error
	if errors.As(err, &apiErr) {
		return apiErr.Code
	}
	return 0
}

// notModified reports Telegram's answer to an edit that changes nothing.
func notModified(err error) bool {
	var apiErr *tgbotapi.Error
	return errors.As(err, &apiErr) && strings.Contains(apiErr.Message, "message is not modified")
}
