package telegramtest

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// faults holds the injected failures and the optional flood control.
type faults struct {
	// armed turns true the first time any fault or limit is set, so that a
	// server without faults never takes mu on the hot path.
	armed atomic.Bool

	mu     sync.Mutex
	fail   []failRule
	drop   []dropRule
	pages  []pageRule
	refuse bool
	empty  bool // getUpdates answers at once with nothing

	limit   RateLimit
	global  bucket
	perChat map[int64]*bucket
}

type failRule struct {
	method     string // lower case; "" for any method
	left       int
	code       int
	retryAfter int
}

type pageRule struct {
	method string
	left   int
	code   int
	body   string
}

type dropRule struct {
	method string
	left   int
}

func matches(rule, method string) bool {
	return rule == "" || rule == "*" || strings.EqualFold(rule, method)
}

// WithFirstUpdateID has the server number updates from id on, so that two
// servers can hand two bots the same update ids (as two bots sharing a
// Redis would see).
func WithFirstUpdateID(id int) Option { return func(c *config) { c.firstUpdateID = id } }

// FailNext makes the next n calls of method ("" or "*" for any) fail with
// code, as Telegram would: 429 carries parameters.retry_after = retryAfter
// and the description "Too Many Requests: retry after N"; other codes get
// their usual description ("Internal Server Error", "Bad Gateway"…).
// Rules queue up: a later rule applies once earlier ones are used up.
func (s *Server) FailNext(method string, n int, code int, retryAfter int) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.fail = append(s.faults.fail, failRule{method: method, left: n, code: code, retryAfter: retryAfter})
	s.faults.armed.Store(true)
}

// DropNext makes the next n calls of method ("" or "*" for any) end with the
// connection closed and no reply, like a network failure.
func (s *Server) DropNext(method string, n int) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.drop = append(s.faults.drop, dropRule{method: method, left: n})
	s.faults.armed.Store(true)
}

// ProxyPageNext makes the next n calls of method ("" or "*" for any) answer
// as a proxy or load balancer in front of Telegram would: status code with
// body as an HTML page, not the Bot API's JSON.
func (s *Server) ProxyPageNext(method string, n int, code int, body string) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.pages = append(s.faults.pages, pageRule{method: method, left: n, code: code, body: body})
	s.faults.armed.Store(true)
}

// AnswerPollsEmpty makes getUpdates answer at once with no updates,
// whatever its timeout, while on is true — a misbehaving server or proxy.
// Updates wait meanwhile.
func (s *Server) AnswerPollsEmpty(on bool) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.empty = on
	s.faults.armed.Store(true)
}

// takePage answers with an injected proxy page, if one is due; it reports
// whether it did.
func (f *faults) takePage(w http.ResponseWriter, method string) bool {
	if !f.armed.Load() {
		return false
	}
	f.mu.Lock()
	var page *pageRule
	for i := range f.pages {
		if r := &f.pages[i]; r.left > 0 && matches(r.method, method) {
			r.left--
			page = r
			break
		}
	}
	f.mu.Unlock()
	if page == nil {
		return false
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(page.code)
	_, _ = w.Write([]byte(page.body))
	return true
}

// pollsEmpty reports whether getUpdates answers at once with nothing.
func (f *faults) pollsEmpty(method string) bool {
	if !f.armed.Load() || method != "getUpdates" {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.empty
}

// Refuse makes the server close every connection without a reply while on
// is true; the client's error then names the request URL, token included,
// which is what tests for token leaks need.
func (s *Server) Refuse(on bool) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.refuse = on
	s.faults.armed.Store(true)
}

func (f *faults) refusing() bool {
	if !f.armed.Load() {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refuse
}

func (f *faults) takeDrop(method string) bool {
	if !f.armed.Load() {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.drop {
		if r := &f.drop[i]; r.left > 0 && matches(r.method, method) {
			r.left--
			return true
		}
	}
	return false
}

func (f *faults) takeFail(method string) *apiError {
	if !f.armed.Load() {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.fail {
		r := &f.fail[i]
		if r.left <= 0 || !matches(r.method, method) {
			continue
		}
		r.left--
		return failure(r.code, r.retryAfter)
	}
	return nil
}

// failure is an injected error in Telegram's words.
func failure(code, retryAfter int) *apiError {
	e := &apiError{code: code}
	switch code {
	case 429:
		e.retryAfter = max(retryAfter, 1)
		e.description = fmt.Sprintf("Too Many Requests: retry after %d", e.retryAfter)
	case 400:
		e.description = "Bad Request"
	case 401:
		e.description = "Unauthorized"
	case 403:
		e.description = "Forbidden"
	case 404:
		e.description = "Not Found"
	case 409:
		e.description = "Conflict"
	default:
		e.description = http.StatusText(code)
		if e.description == "" {
			e.description = "Error " + strconv.Itoa(code)
		}
	}
	return e
}

// RateLimit is flood control like Telegram's. Zero fields are no limit.
type RateLimit struct {
	// Global is the messages per second the bot may send in all.
	Global float64
	// PerChatBurst messages may go to one chat at once, then PerChatRate
	// per second.
	PerChatBurst int
	PerChatRate  float64
	// PerGroupPerMinute is the messages per minute to one group (chat id < 0).
	PerGroupPerMinute int
}

// TelegramRateLimit is the flood control Telegram documents: about 30
// messages a second in all, a burst of 3 then 1 a second to one chat, 20 a
// minute to a group.
func TelegramRateLimit() RateLimit {
	return RateLimit{Global: 30, PerChatBurst: 3, PerChatRate: 1, PerGroupPerMinute: 20}
}

// SetRateLimit turns flood control on (it is off by default); the zero
// RateLimit turns it off again. Calls that send or edit messages over the
// limit get 429 "Too Many Requests: retry after N" with
// parameters.retry_after = N.
func (s *Server) SetRateLimit(l RateLimit) {
	f := &s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limit = l
	f.global = bucket{}
	f.perChat = map[int64]*bucket{}
	f.armed.Store(true)
}

// rateLimited reports whether method counts against flood control.
func rateLimited(method string) bool {
	return method != "sendChatAction" &&
		(strings.HasPrefix(method, "send") || strings.HasPrefix(method, "edit") ||
			method == "copyMessage" || method == "forwardMessage")
}

// admit takes a token for a call to chat, or answers 429.
func (f *faults) admit(method, chatParam string, now time.Time) *apiError {
	if !f.armed.Load() || !rateLimited(method) {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.limit
	if l == (RateLimit{}) {
		return nil
	}
	chatID, _ := strconv.ParseInt(chatParam, 10, 64)
	var perChat *bucket
	var burst, rate float64
	switch {
	case chatID < 0 && l.PerGroupPerMinute > 0:
		burst, rate = float64(l.PerGroupPerMinute), float64(l.PerGroupPerMinute)/60
	case chatID > 0 && l.PerChatRate > 0:
		burst, rate = float64(max(l.PerChatBurst, 1)), l.PerChatRate
	}
	if rate > 0 {
		perChat = f.perChat[chatID]
		if perChat == nil {
			perChat = &bucket{}
			f.perChat[chatID] = perChat
		}
	}
	wait := time.Duration(0)
	if l.Global > 0 {
		wait = max(wait, f.global.wait(now, l.Global, l.Global))
	}
	if perChat != nil {
		wait = max(wait, perChat.wait(now, burst, rate))
	}
	if wait > 0 {
		return failure(429, int(math.Ceil(wait.Seconds())))
	}
	if l.Global > 0 {
		f.global.take()
	}
	if perChat != nil {
		perChat.take()
	}
	return nil
}

// bucket is a token bucket.
type bucket struct {
	tokens float64
	last   time.Time
	primed bool
}

// wait refills the bucket and returns how long until a token is there.
func (b *bucket) wait(now time.Time, burst, rate float64) time.Duration {
	if !b.primed {
		b.tokens, b.last, b.primed = burst, now, true
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(burst, b.tokens+elapsed*rate)
		b.last = now
	}
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

func (b *bucket) take() { b.tokens-- }
