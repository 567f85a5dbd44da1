package telegramtest

import (
	"cmp"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is an in-memory Telegram Bot API server on a real HTTP listener.
// All its methods are safe for concurrent use.
type Server struct {
	cfg   config
	spec  *apiSpec
	token string
	me    wireUser
	url   string
	srv   *http.Server
	done  chan struct{}

	closeOnce  sync.Once
	deliveries sync.WaitGroup // webhook requests in flight

	mu    sync.RWMutex // guards the two maps, not the chats in them
	users map[int64]*User
	chats map[int64]*chat

	updates   updateQueue
	files     fileStore
	commands  commandStore
	callbacks callbackStore
	payments  paymentStore
	faults    faults
	events    hub
	stats     counters
	routes    map[string]handler

	vmu        sync.Mutex
	violations []Violation
}

type handler func(*request) (any, *apiError)

// routeTable lists every method the server implements. A method that exists in
// the Bot API but not here is refused with a violation that says so.
func (s *Server) routeTable() map[string]handler {
	return map[string]handler{
		"getMe":                  s.getMe,
		"logOut":                 s.ok,
		"close":                  s.ok,
		"getUpdates":             s.getUpdates,
		"setWebhook":             s.setWebhook,
		"deleteWebhook":          s.deleteWebhook,
		"getWebhookInfo":         s.getWebhookInfo,
		"sendMessage":            s.sendMessage,
		"sendPhoto":              s.sendPhoto,
		"sendDocument":           s.sendDocument,
		"sendChatAction":         s.sendChatAction,
		"editMessageText":        s.editMessageText,
		"editMessageCaption":     s.editMessageCaption,
		"editMessageReplyMarkup": s.editMessageReplyMarkup,
		"deleteMessage":          s.deleteMessage,
		"answerCallbackQuery":    s.answerCallbackQuery,
		"getFile":                s.getFile,
		"getChat":                s.getChat,
		"setMyCommands":          s.setMyCommands,
		"getMyCommands":          s.getMyCommands,
		"deleteMyCommands":       s.deleteMyCommands,
		"sendInvoice":            s.sendInvoice,
		"answerPreCheckoutQuery": s.answerPreCheckoutQuery,
	}
}

// Option configures a Server.
type Option func(*config)

type config struct {
	token           string
	username        string
	firstName       string
	addr            string
	now             func() time.Time
	callbackTimeout time.Duration
	webhookMinRetry time.Duration
	webhookMaxRetry time.Duration
	webhookTimeout  time.Duration
	logger          *slog.Logger
	firstUpdateID   int // 0: random
}

// WithToken sets the bot token; by default a random one of Telegram's shape
// ("123456789:AA…") is made.
func WithToken(token string) Option { return func(c *config) { c.token = token } }

// WithUsername sets the bot's username (default "villagebot_test_bot").
func WithUsername(username string) Option { return func(c *config) { c.username = username } }

// WithFirstName sets the bot's name (default "Village Bot").
func WithFirstName(name string) Option { return func(c *config) { c.firstName = name } }

// WithAddr sets the listen address (default "127.0.0.1:0", any free port).
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// WithClock sets the clock used for message dates, callback query expiry
// and flood control.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithCallbackTimeout sets how long after a button press the bot may answer
// the callback query (default 15 s); later answers get "query is too old".
func WithCallbackTimeout(d time.Duration) Option {
	return func(c *config) { c.callbackTimeout = d }
}

// WithWebhookRetry sets the delay before a failed webhook delivery is tried
// again: min at first, doubling up to max (defaults 10 ms and 1 s; Telegram
// waits longer, tests should not).
func WithWebhookRetry(minDelay, maxDelay time.Duration) Option {
	return func(c *config) { c.webhookMinRetry, c.webhookMaxRetry = minDelay, maxDelay }
}

// WithLogger logs violations (and nothing else) to l. The token is never
// logged.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

var tokenRe = regexp.MustCompile(`^([0-9]{1,20}):[A-Za-z0-9_-]{20,}$`)

// NewServer starts a server. It panics if it cannot listen, like
// httptest.NewServer; call Close when done.
func NewServer(opts ...Option) *Server {
	cfg := config{
		username:        "villagebot_test_bot",
		firstName:       "Village Bot",
		addr:            "127.0.0.1:0",
		now:             time.Now,
		callbackTimeout: 15 * time.Second,
		webhookMinRetry: 10 * time.Millisecond,
		webhookMaxRetry: time.Second,
		webhookTimeout:  60 * time.Second,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.token == "" {
		cfg.token = fmt.Sprintf("%d:AA%s", 1_000_000_000+randUint64()%8_000_000_000, randToken(33))
	}
	m := tokenRe.FindStringSubmatch(cfg.token)
	if m == nil {
		panic("telegramtest: a token looks like 123456789:AAbc… (digits, a colon, 20 or more of [A-Za-z0-9_-])")
	}
	botID, _ := strconv.ParseInt(m[1], 10, 64)
	spec, err := loadSpec()
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		panic(fmt.Sprintf("telegramtest: listen on %s: %v", cfg.addr, err))
	}
	s := &Server{
		cfg:   cfg,
		spec:  spec,
		token: cfg.token,
		me: wireUser{
			ID: botID, IsBot: true, FirstName: cfg.firstName, Username: cfg.username,
			CanJoinGroups: true,
		},
		url:   "http://" + ln.Addr().String(),
		done:  make(chan struct{}),
		users: map[int64]*User{},
		chats: map[int64]*chat{},
	}
	s.routes = s.routeTable()
	// Telegram's update ids do not start at 1; neither do these.
	s.updates.init(cmp.Or(cfg.firstUpdateID, 100_000_000+int(randUint64()%800_000_000)))
	s.faults.perChat = map[int64]*bucket{}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s
}

// URL is the base URL: the bot calls URL()+"/bot<token>/<method>".
func (s *Server) URL() string { return s.url }

// Token is the bot token the server accepts.
func (s *Server) Token() string { return s.token }

// Endpoint is the format string tgbotapi.NewBotAPIWithClient wants.
func (s *Server) Endpoint() string { return s.url + "/bot%s/%s" }

// FileEndpoint is the format of file download URLs (token, file_path).
func (s *Server) FileEndpoint() string { return s.url + "/file/bot%s/%s" }

// BotID is the bot's user id (the digits before the colon of the token).
func (s *Server) BotID() int64 { return s.me.ID }

// Username is the bot's username.
func (s *Server) Username() string { return s.me.Username }

// Close stops the server: long polls return at once, webhook deliveries
// are cancelled, connections are closed. Waits return an error after it.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.stopWebhook()
		_ = s.srv.Close()
		s.deliveries.Wait()
	})
}

func (s *Server) closed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *Server) now() time.Time { return s.cfg.now() }

var errNotFound = &apiError{code: 404, description: "Not Found"}

// ServeHTTP serves the Bot API: POST or GET /bot<token>/<method>, and file
// downloads at GET /file/bot<token>/<file_path>.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.faults.refusing() {
		s.stats.dropped.Add(1)
		hangUp(w)
		return
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"); ok {
		s.serveFile(w, r, rest)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	if !ok {
		writeError(w, errNotFound)
		return
	}
	token, name, _ := strings.Cut(rest, "/")
	if token != s.token {
		writeError(w, &apiError{code: 401, description: "Unauthorized"})
		return
	}
	s.stats.requests.Add(1)
	m, ok := s.spec.method(name)
	if !ok {
		params, files, _ := decodeRequest(r)
		s.record(name, params, files, &apiError{code: 404, description: "Not Found", violation: true})
		writeError(w, errNotFound)
		return
	}
	s.stats.count(m.name)
	if s.faults.takeDrop(m.name) {
		s.stats.dropped.Add(1)
		hangUp(w)
		return
	}
	if s.faults.takePage(w, m.name) {
		return
	}
	if s.faults.pollsEmpty(m.name) {
		writeResult(w, []any{})
		return
	}
	params, files, err := decodeRequest(r)
	switch {
	case errors.Is(err, errTooLarge):
		aerr := &apiError{code: 413, description: "Request Entity Too Large", violation: true}
		s.record(m.name, params, files, aerr)
		writeError(w, aerr)
		return
	case err != nil:
		aerr := badRequest("can't parse request body")
		s.record(m.name, params, files, aerr)
		writeError(w, aerr)
		return
	}
	result, aerr := s.call(r.Context(), m, params, files)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeResult(w, result)
}

// call runs one method: injected faults, validation, flood control, then
// the handler. It is shared by HTTP requests and webhook replies.
func (s *Server) call(ctx context.Context, m *methodSpec, params map[string]string, files map[string]*upload) (any, *apiError) {
	r := &request{ctx: ctx, method: m.name, params: params, files: files}
	result, aerr := s.run(m, r)
	if aerr != nil {
		if aerr.code == 429 {
			s.stats.tooMany.Add(1)
		}
		if aerr.violation {
			s.record(m.name, params, files, aerr)
		}
	}
	return result, aerr
}

func (s *Server) run(m *methodSpec, r *request) (any, *apiError) {
	if aerr := s.faults.takeFail(m.name); aerr != nil {
		return nil, aerr
	}
	if aerr := s.validate(m, r); aerr != nil {
		return nil, aerr
	}
	if aerr := s.faults.admit(m.name, r.params["chat_id"], s.now()); aerr != nil {
		return nil, aerr
	}
	h := s.routes[m.name]
	if h == nil {
		return nil, badRequest("method %s is valid, but telegramtest does not implement it", m.name)
	}
	return h(r)
}

// record keeps a violation.
func (s *Server) record(method string, params map[string]string, files map[string]*upload, aerr *apiError) {
	v := Violation{
		Time:        s.now(),
		Method:      method,
		Code:        aerr.code,
		Description: aerr.description,
		Params:      describe(params, files, s.token),
	}
	s.stats.violations.Add(1)
	s.vmu.Lock()
	s.violations = append(s.violations, v)
	s.vmu.Unlock()
	if l := s.cfg.logger; l != nil {
		l.Warn("telegramtest: violation", "method", method, "code", aerr.code, "description", aerr.description)
	}
}

func (s *Server) getMe(*request) (any, *apiError) { return s.me, nil }

func (s *Server) ok(*request) (any, *apiError) { return true, nil }

func writeResult(w http.ResponseWriter, result any) {
	b, err := json.Marshal(struct {
		OK     bool `json:"ok"`
		Result any  `json:"result"`
	}{true, result})
	if err != nil {
		writeError(w, &apiError{code: 500, description: "Internal Server Error"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

type errorReply struct {
	OK          bool             `json:"ok"`
	ErrorCode   int              `json:"error_code"`
	Description string           `json:"description"`
	Parameters  *replyParameters `json:"parameters,omitempty"`
}

type replyParameters struct {
	RetryAfter int `json:"retry_after,omitempty"`
}

func writeError(w http.ResponseWriter, e *apiError) {
	reply := errorReply{ErrorCode: e.code, Description: e.description}
	if e.retryAfter > 0 {
		reply.Parameters = &replyParameters{RetryAfter: e.retryAfter}
	}
	b, _ := json.Marshal(reply)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.code)
	_, _ = w.Write(b)
}

// hangUp closes the connection without a reply.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// Stats counts what the server saw.
type Stats struct {
	Requests        int            // Bot API calls with the right token
	Methods         map[string]int // calls per method
	TooManyRequests int            // 429 replies, injected or from flood control
	Dropped         int            // connections closed by DropNext or Refuse
	Violations      int
	WebhookAttempts int
	WebhookFailures int
}

type counters struct {
	requests, tooMany, dropped, violations atomic.Int64
	webhookAttempts, webhookFailures       atomic.Int64
	methods                                sync.Map // name → *atomic.Int64
}

func (c *counters) count(method string) {
	v, ok := c.methods.Load(method)
	if !ok {
		v, _ = c.methods.LoadOrStore(method, new(atomic.Int64))
	}
	v.(*atomic.Int64).Add(1)
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	st := Stats{
		Requests:        int(s.stats.requests.Load()),
		Methods:         map[string]int{},
		TooManyRequests: int(s.stats.tooMany.Load()),
		Dropped:         int(s.stats.dropped.Load()),
		Violations:      int(s.stats.violations.Load()),
		WebhookAttempts: int(s.stats.webhookAttempts.Load()),
		WebhookFailures: int(s.stats.webhookFailures.Load()),
	}
	s.stats.methods.Range(func(k, v any) bool {
		st.Methods[k.(string)] = int(v.(*atomic.Int64).Load())
		return true
	})
	return st
}

// TooManyRequests is the number of 429 replies sent so far.
func (s *Server) TooManyRequests() int { return int(s.stats.tooMany.Load()) }

func randRead(b []byte) {
	if _, err := io.ReadFull(crand.Reader, b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
}

func randUint64() uint64 {
	var b [8]byte
	randRead(b[:])
	return binary.LittleEndian.Uint64(b[:])
}
