package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// webhook is a registered webhook and its delivery state. Fields below the
// line are guarded by updateQueue.mu.
type webhook struct {
	url       string
	secret    string
	ipAddress string
	maxConns  int
	client    *http.Client
	ctx       context.Context
	cancel    context.CancelFunc
	wake      chan struct{}

	inflight         int
	lastErrorDate    int64
	lastErrorMessage string
}

func (s *Server) setWebhook(r *request) (any, *apiError) {
	raw := r.params["url"]
	if raw == "" { // an empty URL removes the webhook
		return s.deleteWebhook(r)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, badRequest("bad webhook: Failed to resolve host: Name or service not known")
	}
	// Telegram wants HTTPS; the emulator delivers to plain HTTP test servers
	// as well, so that tests need no certificates.
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, badRequest("bad webhook: An HTTPS URL must be provided for webhook")
	}
	maxConns, _ := strconv.Atoi(r.params["max_connections"])
	if maxConns <= 0 {
		maxConns = 40
	}
	maxConns = min(maxConns, 100)

	ctx, cancel := context.WithCancel(context.Background())
	h := &webhook{
		url:       raw,
		secret:    r.params["secret_token"],
		ipAddress: r.params["ip_address"],
		maxConns:  maxConns,
		client: &http.Client{
			Timeout: s.cfg.webhookTimeout,
			Transport: &http.Transport{
				Proxy:               nil,
				MaxConnsPerHost:     maxConns,
				MaxIdleConnsPerHost: maxConns,
				IdleConnTimeout:     30 * time.Second,
			},
		},
		ctx:    ctx,
		cancel: cancel,
		wake:   make(chan struct{}, 1),
	}

	q := &s.updates
	q.mu.Lock()
	old := q.hook
	q.hook = h
	if v, ok := r.json["allowed_updates"]; ok {
		q.allowed = allowedSet(v)
	}
	if ok, _ := strconv.ParseBool(r.params["drop_pending_updates"]); ok {
		q.dropPending()
	}
	q.signal() // a waiting getUpdates now answers 409
	q.mu.Unlock()
	if old != nil {
		old.stop()
	}
	go s.runWebhook(h)
	return true, nil
}

func (s *Server) deleteWebhook(r *request) (any, *apiError) {
	q := &s.updates
	q.mu.Lock()
	old := q.hook
	q.hook = nil
	if ok, _ := strconv.ParseBool(r.params["drop_pending_updates"]); ok {
		q.dropPending()
	}
	q.signal()
	q.mu.Unlock()
	if old != nil {
		old.stop()
	}
	return true, nil
}

func (s *Server) getWebhookInfo(*request) (any, *apiError) {
	q := &s.updates
	q.mu.Lock()
	defer q.mu.Unlock()
	info := wireWebhookInfo{PendingUpdateCount: q.pending + len(q.again)}
	if h := q.hook; h != nil {
		info.URL = h.url
		info.IPAddress = h.ipAddress
		info.MaxConnections = h.maxConns
		info.LastErrorDate = h.lastErrorDate
		info.LastErrorMessage = h.lastErrorMessage
		info.AllowedUpdates = sortedAllowed(q.allowed)
	}
	return info, nil
}

// stop cancels the deliveries in flight; Close waits for them to end. It
// does not wait itself, because the bot may remove its webhook in a reply to
// one of those very deliveries.
func (h *webhook) stop() {
	h.cancel()
	h.client.CloseIdleConnections()
}

// stopWebhook is used by Close.
func (s *Server) stopWebhook() {
	q := &s.updates
	q.mu.Lock()
	h := q.hook
	q.hook = nil
	q.mu.Unlock()
	if h != nil {
		h.stop()
	}
}

// runWebhook hands pending updates to deliveries, at most maxConns at a time
// and one at a time per chat, until the webhook is replaced or removed. It
// sleeps on a channel or a timer, never in a loop.
func (s *Server) runWebhook(h *webhook) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		wake, next, current := s.dispatch(h)
		if !current {
			return
		}
		var retry <-chan time.Time
		if !next.IsZero() {
			d := time.Until(next)
			if timer == nil {
				timer = time.NewTimer(d)
			} else {
				timer.Reset(d)
			}
			retry = timer.C
		}
		select {
		case <-wake:
		case <-h.wake:
		case <-retry:
		case <-h.ctx.Done():
			return
		case <-s.done:
			return
		}
	}
}

// dispatch starts the deliveries that may start now. It returns the channel
// that signals new updates, the earliest time a failed update may be retried
// (zero for none) and whether h is still the webhook.
func (s *Server) dispatch(h *webhook) (<-chan struct{}, time.Time, bool) {
	q := &s.updates
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.hook != h || s.closed() {
		return nil, time.Time{}, false
	}
	now := time.Now()
	var next time.Time
	later := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	// Redeliveries do not wait for their chat's turn: they are duplicates.
	var keep []*queued
	for _, e := range q.again {
		switch {
		case h.inflight >= h.maxConns || e.inflight:
			keep = append(keep, e)
		case e.notBefore.After(now):
			later(e.notBefore)
			keep = append(keep, e)
		default:
			s.startDelivery(h, e, true)
		}
	}
	q.again = keep
	busy := map[int64]bool{}
	for _, e := range q.entries {
		if h.inflight >= h.maxConns {
			break
		}
		if e.done {
			continue
		}
		if e.chatID != 0 {
			if busy[e.chatID] {
				continue
			}
			busy[e.chatID] = true
		}
		if e.inflight {
			continue
		}
		if e.notBefore.After(now) {
			later(e.notBefore)
			continue
		}
		s.startDelivery(h, e, false)
	}
	return q.changed, next, true
}

// startDelivery POSTs one update. q.mu must be held.
func (s *Server) startDelivery(h *webhook, e *queued, copied bool) {
	e.inflight = true
	h.inflight++
	s.deliveries.Add(1)
	go func() {
		defer s.deliveries.Done()
		ok, errMsg, reply, replyType := s.post(h, e.payload)
		q := &s.updates
		q.mu.Lock()
		e.inflight = false
		h.inflight--
		switch {
		case ok && !copied:
			q.markDone(e)
		case ok:
		default:
			e.attempts++
			e.notBefore = time.Now().Add(s.retryDelay(e.attempts))
			h.lastErrorDate = s.now().Unix()
			h.lastErrorMessage = errMsg
			if copied && q.hook == h {
				q.again = append(q.again, e)
			}
		}
		q.mu.Unlock()
		select {
		case h.wake <- struct{}{}:
		default:
		}
		if ok && len(reply) > 0 {
			s.webhookReply(h.ctx, reply, replyType)
		}
	}()
}

// retryDelay doubles from the minimum up to the maximum.
func (s *Server) retryDelay(attempts int) time.Duration {
	d := s.cfg.webhookMinRetry
	for i := 1; i < attempts && d < s.cfg.webhookMaxRetry; i++ {
		d *= 2
	}
	return min(d, s.cfg.webhookMaxRetry)
}

// post makes one webhook request.
func (s *Server) post(h *webhook, payload []byte) (ok bool, errMsg string, reply []byte, replyType string) {
	s.stats.webhookAttempts.Add(1)
	req, err := http.NewRequestWithContext(h.ctx, http.MethodPost, h.url, bytes.NewReader(payload))
	if err != nil {
		return false, err.Error(), nil, ""
	}
	req.Header.Set("Content-Type", "application/json")
	if h.secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", h.secret)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		s.stats.webhookFailures.Add(1)
		return false, "Connection failed: " + err.Error(), nil, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxUpload))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		s.stats.webhookFailures.Add(1)
		return false, "Wrong response from the webhook: " + resp.Status, nil, ""
	}
	return true, "", body, resp.Header.Get("Content-Type")
}

// webhookReply runs a method the bot put in its reply to a webhook request
// (https://core.telegram.org/bots/api#making-requests-when-getting-updates).
// Its result goes nowhere, but violations are recorded as usual.
func (s *Server) webhookReply(ctx context.Context, body []byte, contentType string) {
	if len(bytes.TrimSpace(body)) == 0 {
		return
	}
	params := map[string]string{}
	mediaType, _, _ := mime.ParseMediaType(contentType)
	switch mediaType {
	case "application/json":
		var obj map[string]json.RawMessage
		if json.Unmarshal(body, &obj) != nil {
			return
		}
		for k, raw := range obj {
			params[k] = jsonParam(raw)
		}
	case "application/x-www-form-urlencoded":
		vs, err := url.ParseQuery(string(body))
		if err != nil {
			return
		}
		for k, v := range vs {
			params[k] = v[0]
		}
	default:
		return
	}
	name := params["method"]
	delete(params, "method")
	if name == "" {
		return
	}
	m, ok := s.spec.method(name)
	if !ok {
		s.record(name, params, nil, &apiError{code: 404, description: "Not Found", violation: true})
		return
	}
	_, _ = s.call(ctx, m, params, nil)
}

func (h *webhook) String() string {
	return fmt.Sprintf("webhook %s (max %d connections)", strings.SplitN(h.url, "?", 2)[0], h.maxConns)
}
