// Package telegram is the bot's one way to the Bot API: calls with
// retries and errors free of the token, the outbound limiter that keeps to
// Telegram's flood control, getUpdates, the webhook's registration, file
// downloads and the metrics of every call. It knows HTTP and Telegram's
// rules, and nothing of the shop.
package telegram

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Client is the one path every call to the Bot API takes. Calls that
// put or change a message wait for their turn in the outbound limiter
// (limiter.go); a 429 is waited out for its retry_after and tried again,
// never dropped and never counted as a failure; calls that are safe to
// repeat are retried after a network error or a 5xx. The token is kept
// out of every error it returns and every line it logs.
type Client struct {
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
	// on), 429s, and the calls waiting for their turn.
	Metrics *Metrics
}

// DefaultAPIURL is Telegram's own Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

var setLoggerOnce sync.Once

// Option configures a Telegram client.
type Option func(*Client)

// WithLimits sets how fast the client writes; zero fields keep the
// defaults (DefaultLimits).
func WithLimits(l Limits) Option {
	return func(t *Client) { t.limits = l }
}

// withClock gives the client a clock of the test's.
func withClock(c clock) Option {
	return func(t *Client) { t.clock = c }
}

// New connects to the Bot API at base (getMe is called to learn the
// bot's username).
func New(ctx context.Context, base, token string, log *slog.Logger, opts ...Option) (*Client, error) {
	if log == nil {
		log = slog.Default()
	}
	// The library prints through a package-level logger, with URLs that
	// carry the token. Nothing it prints is needed: silence it for good.
	setLoggerOnce.Do(func() { tgbotapi.SetLogger(discardLogger{}) })
	base = strings.TrimRight(base, "/")
	client := &http.Client{
		Timeout: 75 * time.Second, // above the long-poll timeout
		Transport: answerCheck{token: token, next: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			MaxIdleConns:        200,
			MaxIdleConnsPerHost: 200,
			IdleConnTimeout:     90 * time.Second,
		}},
	}
	t := &Client{token: token, base: base, http: client, log: log, clock: realClock(), MaxRetries: 5}
	for _, o := range opts {
		o(t)
	}
	t.lim = newLimiter(t.limits, t.clock)
	t.ShareSendPace(t.shared)
	t.lim.queue = func(delta float64) { t.Metrics.waiting(delta) }
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

// ShareSendPace has the client's global bucket kept in sp, shared with the
// other processes of the bot (see WithSharedPace), from now on; nil keeps
// the client's own. Call it before the client sends: a caller that needs
// the bot's id (getMe) to name sp has it only once the client is made.
func (t *Client) ShareSendPace(sp SharedPace) {
	t.lim.mu.Lock()
	defer t.lim.mu.Unlock()
	t.shared = sp
	t.lim.shared = sp
	t.lim.sharedFailed = func(err error) {
		t.log.Warn("shared send pace unavailable: this process keeps its own for a while", "err", t.scrub(err))
	}
}

// Username is the bot's @username, without the @.
func (t *Client) Username() string { return t.api.Self.UserName }

// ID is the bot's user id, the number before the colon of its token.
func (t *Client) ID() int64 { return t.api.Self.ID }

// Request makes one Bot API call.
func (t *Client) Request(ctx context.Context, c tgbotapi.Chattable) (*tgbotapi.APIResponse, error) {
	var resp *tgbotapi.APIResponse
	err := t.do(ctx, methodOf(c), chatOf(c), repeatable(c), func() error {
		var err error
		resp, err = t.api.Request(c)
		return err
	})
	return resp, err
}

// Send makes a call that returns a message.
func (t *Client) Send(ctx context.Context, c tgbotapi.Chattable) (tgbotapi.Message, error) {
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
func (t *Client) do(ctx context.Context, method string, chatID int64, safe bool, call func() error) error {
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
func (t *Client) callOnce(method string, p *permit, call func() error) (result string, retryAfter time.Duration, err error) {
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

// outcome names the result of a call for metrics, with Telegram's
// retry_after for a 429.
func outcome(err error) (result string, retryAfter time.Duration) {
	var apiErr *tgbotapi.Error
	var httpErr *HTTPError
	switch {
	case err == nil:
		return "ok", 0
	case errors.As(err, &httpErr) && httpErr.Status == http.StatusTooManyRequests:
		return "429", time.Second
	case errors.As(err, &httpErr) && httpErr.Status >= 500:
		return "5xx", 0
	case errors.As(err, &httpErr):
		return "4xx", 0
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
func (t *Client) scrub(err error) error {
	var apiErr *tgbotapi.Error
	if errors.As(err, &apiErr) {
		return apiErr
	}
	var httpErr *HTTPError // its excerpt is scrubbed already
	if errors.As(err, &httpErr) {
		return httpErr
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

type discardLogger struct{}

func (discardLogger) Println(...any)        {}
func (discardLogger) Printf(string, ...any) {}
