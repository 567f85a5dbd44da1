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

// Telegram is the one path every call to the Bot API takes. Calls that
// put or change a message wait for their turn in the outbound limiter
// (limiter.go); a 429 is waited out for its retry_after and tried again,
// never dropped and never counted as a failure; calls that are safe to
// repeat are retried after a network error or a 5xx. The token is kept
// out of every error it returns and every line it logs.
type Telegram struct {
	api    *tgbotapi.BotAPI
	token  string
	base   string // e.g. https://api.telegram.org
	http   *http.Client
	log    *slog.Logger
	limits Limits
	clock  clock
	lim    *limiter
	shared SharedPace // see WithSharedPace

	// MaxRetries bounds how often one call is retried after a network
	// error or a 5xx. A 429 is always retried; Limits.MaxWait and the
	// call's context bound those.
	MaxRetries int
	// Metrics, when set, are recorded: calls by method and result (ok,
	// 4xx, 5xx, 429, network, and not_sent for a call the limiter gave up
	// on), 429s, and the calls waiting for their turn (queue "outbound").
	// bot.New sets it from Options.Metrics.
	Metrics *Metrics
}

// DefaultAPIURL is Telegram's own Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

var setLoggerOnce sync.Once

// TelegramOption configures a Telegram client.
type TelegramOption func(*Telegram)

// WithLimits sets how fast the client writes; zero fields keep the
// defaults (DefaultLimits).
func WithLimits(l Limits) TelegramOption {
	return func(t *Telegram) { t.limits = l }
}

// withClock gives the client a clock of the test's.
func withClock(c clock) TelegramOption {
	return func(t *Telegram) { t.clock = c }
}

// NewTelegram connects to the Bot API at base (getMe is called to learn the
// bot's username).
func NewTelegram(ctx context.Context, base, token string, log *slog.Logger, opts ...TelegramOption) (*Telegram, error) {
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
	t := &Telegram{token: token, base: base, http: client, log: log, clock: realClock(), MaxRetries: 5}
	for _, o := range opts {
		o(t)
	}
	t.lim = newLimiter(t.limits, t.clock)
	if t.shared != nil {
		t.lim.shared = t.shared
		t.lim.sharedFailed = func(err error) {
			t.log.Warn("shared send pace unavailable: this process keeps its own for a while", "err", t.scrub(err))
		}
	}
	t.lim.queue = func(delta float64) { t.Metrics.queue("outbound", delta) }
	var api *tgbotapi.BotAPI
	err := t.do(ctx, "getMe", 0, true, func() error {
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
	err := t.do(ctx, methodOf(c), chatOf(c), repeatable(c), func() error {
		var err error
		resp, err = t.api.Request(c)
		return err
	})
	return resp, err
}

// Send makes a call that returns a message.
func (t *Telegram) Send(ctx context.Context, c tgbotapi.Chattable) (tgbotapi.Message, error) {
	var msg tgbotapi.Message
	err := t.do(ctx, methodOf(c), chatOf(c), repeatable(c), func() error {
		var err error
		msg, err = t.api.Send(c)
		return err
	})
	return msg, err
}

// do runs call until it succeeds, fails for good, or ctx ends. A call that
// counts against flood control first waits for its turn to chatID. A 429
// is always retried (Telegram did not act on the call): a counted call's
// retry waits in the limiter, which holds the chat that long; any other
// waits here. A network error or 5xx is retried only when the call is safe
// to repeat, since a send that reached Telegram before the connection
// broke must not be sent twice.
func (t *Telegram) do(ctx context.Context, method string, chatID int64, safe bool, call func() error) error {
	counted := counts(method)
	start := t.clock.now()
	backoff := 200 * time.Millisecond
	failures := 0
	for attempt := 1; ; attempt++ {
		var p *permit
		if counted {
			var err error
			if p, err = t.lim.wait(ctx, chatID, start); err != nil {
				t.Metrics.outbound(method, "not_sent")
				t.log.Warn("telegram call not sent", "method", method, "chat_id", chatID, "err", err)
				return &CallError{Method: method, Err: err}
			}
		}
		result, retryAfter, err := t.callOnce(method, p, call)
		wait := retryAfter
		switch result {
		case "ok":
			return nil
		case "429":
			if counted {
				wait = 0 // the limiter holds the chat for retryAfter
			}
		case "5xx", "network":
			failures++
			if !safe || failures > t.MaxRetries {
				return &CallError{Method: method, Err: err}
			}
			wait = backoff
			backoff = min(backoff*2, 5*time.Second)
		default:
			return &CallError{Method: method, Err: err}
		}
		if now := t.clock.now(); t.lim.check(ctx, chatID, start, now, now.Add(wait)) != nil {
			return &CallError{Method: method, Err: err} // it would wait too long
		}
		attrs := []any{"method", method, "attempt", attempt, "wait", max(wait, retryAfter), "err", err}
		if chatID != 0 {
			attrs = append(attrs, "chat_id", chatID)
		}
		t.log.Warn("telegram call retried", attrs...)
		if t.clock.sleep(ctx, wait) != nil {
			return &CallError{Method: method, Err: err}
		}
	}
}

// callOnce makes one try of call and names its result. The permit, if
// any, is given back whatever happens, a panic included.
func (t *Telegram) callOnce(method string, p *permit, call func() error) (result string, retryAfter time.Duration, err error) {
	if p != nil {
		defer func() { p.done(retryAfter) }()
	}
	if err = call(); err != nil {
		err = t.scrub(err)
	}
	result, retryAfter = outcome(err)
	t.Metrics.outbound(method, result)
	return result, retryAfter, err
}

// retry is do for a call to no chat in particular.
func (t *Telegram) retry(ctx context.Context, method string, safe bool, call func() error) error {
	return t.do(ctx, method, 0, safe, call)
}

// outcome names the result of a call for metrics, with Telegram's
// retry_after for a 429.
func outcome(err error) (result string, retryAfter time.Duration) {
	var apiErr *tgbotapi.Error
	switch {
	case err == nil:
		return "ok", 0
	case errors.As(err, &apiErr) && apiErr.Code == http.StatusTooManyRequests:
		return "429", time.Duration(max(apiErr.RetryAfter, 1)) * time.Second
	case errors.As(err, &apiErr) && apiErr.Code >= 500:
		return "5xx", 0
	case errors.As(err, &apiErr):
		return "4xx", 0
	}
	return "network", 0
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
	case tgbotapi.ChatActionConfig:
		return "sendChatAction"
	case tgbotapi.CopyMessageConfig:
		return "copyMessage"
	case tgbotapi.ForwardConfig:
		return "forwardMessage"
	case tgbotapi.MediaGroupConfig:
		return "sendMediaGroup"
	case tgbotapi.LocationConfig:
		return "sendLocation"
	case tgbotapi.StickerConfig:
		return "sendSticker"
	}
	return fmt.Sprintf("%T", c)
}

// chatOf is the chat a call goes to, 0 when it names none by number.
func chatOf(c tgbotapi.Chattable) int64 {
	switch c := c.(type) {
	case tgbotapi.MessageConfig:
		return c.ChatID
	case tgbotapi.PhotoConfig:
		return c.ChatID
	case tgbotapi.DocumentConfig:
		return c.ChatID
	case tgbotapi.StickerConfig:
		return c.ChatID
	case tgbotapi.LocationConfig:
		return c.ChatID
	case tgbotapi.ChatActionConfig:
		return c.ChatID
	case tgbotapi.CopyMessageConfig:
		return c.ChatID
	case tgbotapi.ForwardConfig:
		return c.ChatID
	case tgbotapi.MediaGroupConfig:
		return c.ChatID
	case tgbotapi.EditMessageTextConfig:
		return c.ChatID
	case tgbotapi.EditMessageCaptionConfig:
		return c.ChatID
	case tgbotapi.EditMessageReplyMarkupConfig:
		return c.ChatID
	case tgbotapi.DeleteMessageConfig:
		return c.ChatID
	}
	return 0
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
	err := t.do(ctx, "getFile", 0, true, func() error {
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
	data, result, err := t.download(ctx, f.FilePath, limit)
	t.Metrics.outbound("download", result)
	if err != nil {
		return nil, &CallError{Method: "download", Err: err}
	}
	if int64(len(data)) > limit {
		return nil, ErrFileTooLarge
	}
	return data, nil
}

// download reads up to limit+1 bytes of a file and names the result for
// metrics. Its errors carry no token.
func (t *Telegram) download(ctx context.Context, path string, limit int64) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.base+"/file/bot"+t.token+"/"+path, nil)
	if err != nil {
		return nil, "network", t.scrub(err)
	}
	resp, err := t.http.Do(req)
	if err != nil {
		return nil, "network", t.scrub(err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500:
		return nil, "5xx", fmt.Errorf("HTTP %d", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, "4xx", fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, "network", t.scrub(err)
	}
	return data, "ok", nil
}

// ErrFileTooLarge is a file over the size the bot accepts.
var ErrFileTooLarge = errors.New("file too large")
