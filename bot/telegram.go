package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Telegram is the one path every call to the Bot API takes. It waits out a
// 429 for its retry_after and tries again, retries calls that are safe to
// repeat after a network error, and keeps the token out of every error it
// returns.
type Telegram struct {
	api   *tgbotapi.BotAPI
	token string
	base  string // e.g. https://api.telegram.org
	http  *http.Client
	log   *slog.Logger

	// MaxRetries bounds how often one call is retried.
	MaxRetries int
}

// DefaultAPIURL is Telegram's own Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

var setLoggerOnce sync.Once

// NewTelegram connects to the Bot API at base (getMe is called to learn the
// bot's username).
func NewTelegram(ctx context.Context, base, token string, log *slog.Logger) (*Telegram, error) {
	if log == nil {
		log = slog.Default()
	}
	// The library prints through a package-level logger, with URLs that
	// carry the token. Nothing it prints is needed: silence it for good.
	setLoggerOnce.Do(func() { tgbotapi.SetLogger(discardLogger{}) })
	base = strings.TrimRight(base, "/")
	client := &http.Client{
		Timeout: 75 * time.Second, // above the long-poll timeout
		Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			MaxIdleConns:        200,
			MaxIdleConnsPerHost: 200,
			IdleConnTimeout:     90 * time.Second,
		},
	}
	t := &Telegram{token: token, base: base, http: client, log: log, MaxRetries: 5}
	var api *tgbotapi.BotAPI
	err := t.retry(ctx, "getMe", true, func() error {
		var err error
		api, err = tgbotapi.NewBotAPIWithClient(token, base+"/bot%s/%s", client)
		return err
	})
	if err != nil {
		return nil, err
	}
	t.api = api
	return t, nil
}

// Username is the bot's @username, without the @.
func (t *Telegram) Username() string { return t.api.Self.UserName }

// Request makes one Bot API call.
func (t *Telegram) Request(ctx context.Context, c tgbotapi.Chattable) (*tgbotapi.APIResponse, error) {
	var resp *tgbotapi.APIResponse
	err := t.retry(ctx, methodOf(c), repeatable(c), func() error {
		var err error
		resp, err = t.api.Request(c)
		return err
	})
	return resp, err
}

// Send makes a call that returns a message.
func (t *Telegram) Send(ctx context.Context, c tgbotapi.Chattable) (tgbotapi.Message, error) {
	var msg tgbotapi.Message
	err := t.retry(ctx, methodOf(c), repeatable(c), func() error {
		var err error
		msg, err = t.api.Send(c)
		return err
	})
	return msg, err
}

// retry runs call until it succeeds, fails for good, or ctx ends. A 429 is
// always retried after retry_after (Telegram did not act on the call); a
// network error or 5xx only when the call is safe to repeat, since a send
// that reached Telegram before the connection broke must not be sent twice.
func (t *Telegram) retry(ctx context.Context, method string, safe bool, call func() error) error {
	backoff := 200 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := call()
		if err == nil {
			return nil
		}
		err = t.scrub(err)
		wait, again := time.Duration(0), false
		var apiErr *tgbotapi.Error
		switch {
		case errors.As(err, &apiErr) && apiErr.Code == http.StatusTooManyRequests:
			wait, again = time.Duration(max(apiErr.RetryAfter, 1))*time.Second, true
		case errors.As(err, &apiErr) && apiErr.Code >= 500:
			wait, again = backoff, safe
		case errors.As(err, &apiErr):
			again = false
		default: // network
			wait, again = backoff, safe
		}
		if !again || attempt >= t.MaxRetries {
			return &CallError{Method: method, Err: err}
		}
		t.log.Warn("telegram call retried", "method", method, "attempt", attempt+1, "wait", wait, "err", err)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return &CallError{Method: method, Err: err}
		case <-timer.C:
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// scrub removes the token from an error's text. Errors of the HTTP client
// carry the request URL, and the URL carries the token.
func (t *Telegram) scrub(err error) error {
	var apiErr *tgbotapi.Error
	if errors.As(err, &apiErr) {
		return apiErr
	}
	if t.token == "" || !strings.Contains(err.Error(), t.token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), t.token, "<token>"))
}

// CallError is a failed Bot API call.
type CallError struct {
	Method string
	Err    error
}

func (e *CallError) Error() string { return "telegram " + e.Method + ": " + e.Err.Error() }
func (e *CallError) Unwrap() error { return e.Err }

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

func methodOf(c tgbotapi.Chattable) string {
	switch c.(type) {
	case tgbotapi.MessageConfig:
		return "sendMessage"
	case tgbotapi.PhotoConfig:
		return "sendPhoto"
	case tgbotapi.DocumentConfig:
		return "sendDocument"
	case tgbotapi.EditMessageTextConfig:
		return "editMessageText"
	case tgbotapi.EditMessageCaptionConfig:
		return "editMessageCaption"
	case tgbotapi.EditMessageReplyMarkupConfig:
		return "editMessageReplyMarkup"
	case tgbotapi.DeleteMessageConfig:
		return "deleteMessage"
	case tgbotapi.CallbackConfig:
		return "answerCallbackQuery"
	case tgbotapi.SetMyCommandsConfig:
		return "setMyCommands"
	case tgbotapi.FileConfig:
		return "getFile"
	}
	return fmt.Sprintf("%T", c)
}

// repeatable reports whether repeating the call after a lost reply is
// harmless: edits, deletions and answers are; sends are not.
func repeatable(c tgbotapi.Chattable) bool {
	switch c.(type) {
	case tgbotapi.MessageConfig, tgbotapi.PhotoConfig, tgbotapi.DocumentConfig:
		return false
	}
	return true
}

type discardLogger struct{}

func (discardLogger) Println(...any)        {}
func (discardLogger) Printf(string, ...any) {}

// Download fetches a file a user sent, refusing one larger than limit
// bytes. The download URL carries the token, so errors are scrubbed.
func (t *Telegram) Download(ctx context.Context, fileID string, limit int64) ([]byte, error) {
	var f tgbotapi.File
	err := t.retry(ctx, "getFile", true, func() error {
		var err error
		f, err = t.api.GetFile(tgbotapi.FileConfig{FileID: fileID})
		return err
	})
	if err != nil {
		return nil, err
	}
	if f.FileSize > 0 && int64(f.FileSize) > limit {
		return nil, ErrFileTooLarge
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.base+"/file/bot"+t.token+"/"+f.FilePath, nil)
	if err != nil {
		return nil, &CallError{Method: "download", Err: t.scrub(err)}
	}
	resp, err := t.http.Do(req)
	if err != nil {
		return nil, &CallError{Method: "download", Err: t.scrub(err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &CallError{Method: "download", Err: fmt.Errorf("HTTP %d", resp.StatusCode)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, &CallError{Method: "download", Err: t.scrub(err)}
	}
	if int64(len(data)) > limit {
		return nil, ErrFileTooLarge
	}
	return data, nil
}

// ErrFileTooLarge is a file over the size the bot accepts.
var ErrFileTooLarge = errors.New("file too large")
