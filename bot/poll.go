package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// getUpdates fetches updates from offset on, waiting up to timeout for one
// to arrive. It is written here rather than taken from the library, whose
// calls take no context.
func (t *Telegram) getUpdates(ctx context.Context, offset, limit int, timeout time.Duration) ([]RawUpdate, error) {
	form := url.Values{}
	form.Set("offset", strconv.Itoa(offset))
	form.Set("limit", strconv.Itoa(limit))
	form.Set("timeout", strconv.Itoa(int(timeout/time.Second)))
	form.Set("allowed_updates", `["message","callback_query","pre_checkout_query"]`)
	u := t.base + "/bot" + t.token + "/getUpdates?" + form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &CallError{Method: "getUpdates", Err: t.scrub(err)}
	}
	resp, err := t.http.Do(req)
	if err != nil {
		return nil, &CallError{Method: "getUpdates", Err: t.scrub(err)}
	}
	defer resp.Body.Close()
	// The response decoded once, the updates kept encoded: most of a
	// batch may be in hand already (see journal.go), and only new ones
	// are decoded whole.
	var r struct {
		Ok          bool                         `json:"ok"`
		Result      []json.RawMessage            `json:"result"`
		ErrorCode   int                          `json:"error_code"`
		Description string                       `json:"description"`
		Parameters  *tgbotapi.ResponseParameters `json:"parameters"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, &CallError{Method: "getUpdates", Err: fmt.Errorf("HTTP %d: %w", resp.StatusCode, t.scrub(err))}
	}
	if !r.Ok {
		e := &tgbotapi.Error{Code: r.ErrorCode, Message: r.Description}
		if r.Parameters != nil {
			e.ResponseParameters = *r.Parameters
		}
		return nil, &CallError{Method: "getUpdates", Err: e}
	}
	updates := make([]RawUpdate, len(r.Result))
	for i, raw := range r.Result {
		var head struct {
			UpdateID int `json:"update_id"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, &CallError{Method: "getUpdates", Err: err}
		}
		updates[i] = RawUpdate{ID: head.UpdateID, Raw: raw}
	}
	return updates, nil
}

// offsets tracks which fetched updates are still being handled, so that the
// offset confirmed to Telegram never passes an update that was not handled.
type offsets struct {
	mu       sync.Mutex
	next     int          // the offset to confirm: every update below it is handled
	inflight map[int]bool // fetched, not yet handled
	done     map[int]bool // handled, but above an unhandled one
	changed  chan struct{}
}

func newOffsets() *offsets {
	return &offsets{inflight: map[int]bool{}, done: map[int]bool{}, changed: make(chan struct{}, 1)}
}

// take reports whether a fetched update is new and marks it in flight.
func (o *offsets) take(id int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if id < o.next || o.inflight[id] || o.done[id] {
		return false
	}
	o.inflight[id] = true
	return true
}

// finish marks an update handled and advances the offset past every
// handled update that has no unhandled one before it.
func (o *offsets) finish(id int) {
	o.mu.Lock()
	delete(o.inflight, id)
	o.done[id] = true
	low := -1
	for f := range o.inflight {
		if low == -1 || f < low {
			low = f
		}
	}
	var ids []int
	for d := range o.done {
		if low == -1 || d < low {
			ids = append(ids, d)
		}
	}
	sort.Ints(ids)
	for _, d := range ids {
		delete(o.done, d)
		if d+1 > o.next {
			o.next = d + 1
		}
	}
	o.mu.Unlock()
	select {
	case o.changed <- struct{}{}:
	default:
	}
}

func (o *offsets) confirmed() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.next
}

func (o *offsets) pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.inflight)
}

// Poll receives updates by long polling until ctx ends and hands them to
// the dispatcher. With a Journal, a fetched batch is written to it and
// confirmed to Telegram with the next call; without one, or while it
// cannot be written, an update is confirmed only once it was handled. On
// a failed call it backs off, honouring retry_after. When ctx ends it
// waits (at most drain) for the updates in hand and confirms them.
func (b *Bot) Poll(ctx context.Context, drain time.Duration) error {
	p := &poller{b: b, off: newOffsets()}
	handleCtx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()
	backoff := time.Second
	for ctx.Err() == nil {
		if !p.replayed {
			p.replay(ctx, handleCtx)
		}
		updates, err := b.tg.getUpdates(ctx, p.off.confirmed(), 100, b.pollTimeout)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			wait := backoff
			var apiErr *tgbotapi.Error
			if errors.As(err, &apiErr) && apiErr.RetryAfter > 0 {
				wait = time.Duration(apiErr.RetryAfter) * time.Second
			}
			b.log.Warn("getUpdates failed", "err", err, "retry_in", wait)
			if !sleep(ctx, wait) {
				break
			}
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = time.Second
		var fresh []RawUpdate
		for _, ru := range updates {
			if p.off.take(ru.ID) {
				fresh = append(fresh, ru)
			}
		}
		kept := p.record(ctx, fresh)
		for _, ru := range fresh {
			if !p.dispatch(ctx, handleCtx, ru, kept) {
				break // ctx is over; what was not started stays unconfirmed
			}
		}
		if len(fresh) == 0 && len(updates) > 0 {
			// Everything fetched is already in hand: wait for one to finish
			// instead of asking again at once.
			select {
			case <-p.off.changed:
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	// Shutdown: let the updates in hand finish, then confirm them.
	if !b.dispatch.Wait(drain) {
		b.log.Warn("shutdown: updates still in flight", "count", p.off.pending())
		cancelHandlers()
	}
	confirmCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p.record(confirmCtx, nil)
	if _, err := b.tg.getUpdates(confirmCtx, p.off.confirmed(), 1, 0); err != nil {
		b.log.Warn("shutdown: confirming offsets failed", "err", err)
	}
	return nil
}

// poller is the state of one Poll.
type poller struct {
	b   *Bot
	off *offsets

	mu       sync.Mutex
	handled  []int // journaled updates handled since the last Sync
	replayed bool  // the journal's updates from before were handed over

	// While the journal fails, it is left alone for a pause that doubles
	// up to journalPauseMost, so that an unreachable Redis slows no poll
	// by more than journalWait now and then. Only the poll loop uses
	// these.
	journalDown  time.Time     // when the journal last failed; zero: it works
	journalPause time.Duration // left alone until journalDown + journalPause
}

const (
	// journalWait bounds a call to the journal.
	journalWait = 500 * time.Millisecond
	// journalPauseMost is the longest the journal is left alone after
	// failing.
	journalPauseMost = 30 * time.Second
)

// journal calls the journal, unless it failed a moment ago, within
// journalWait, and keeps track of its failing and recovering (logged
// once each).
func (p *poller) journal(ctx context.Context, what string, call func(ctx context.Context) error) error {
	if !p.journalDown.IsZero() && time.Since(p.journalDown) < p.journalPause {
		return errJournalResting
	}
	cctx, cancel := context.WithTimeout(ctx, journalWait)
	err := call(cctx)
	cancel()
	switch {
	case err != nil && ctx.Err() != nil:
		// Shutting down: not the journal's fault.
	case err != nil:
		if p.journalDown.IsZero() {
			p.b.log.Warn("update journal unavailable: "+what, "err", err)
		}
		p.journalDown, p.journalPause = time.Now(), min(max(2*p.journalPause, time.Second), journalPauseMost)
	case !p.journalDown.IsZero():
		p.b.log.Info("update journal available again")
		p.journalDown, p.journalPause = time.Time{}, 0
	}
	return err
}

// errJournalResting is the journal left alone after failing.
var errJournalResting = errors.New("update journal: failed a moment ago")

// record writes fresh to the journal and takes out the updates handled
// since the last time, and reports whether fresh is kept there (always
// false without a Journal).
func (p *poller) record(ctx context.Context, fresh []RawUpdate) bool {
	j := p.b.journal
	if j == nil || !p.replayed {
		// Until what it held from before is handed over, the journal
		// takes nothing new: the replay would hand that over again.
		return false
	}
	p.mu.Lock()
	handled := p.handled
	p.handled = nil
	p.mu.Unlock()
	if len(fresh) == 0 && len(handled) == 0 {
		return false
	}
	err := p.journal(ctx, "updates are confirmed once handled", func(ctx context.Context) error {
		return j.Sync(ctx, fresh, handled)
	})
	if err != nil {
		// Taken out next time: the handled ones, and fresh too, which
		// are confirmed once handled now but may be in the journal all
		// the same (a Sync can be done with only its answer lost), and
		// would otherwise stay there to be handed over again after a
		// restart.
		p.mu.Lock()
		p.handled = append(p.handled, handled...)
		for _, u := range fresh {
			p.handled = append(p.handled, u.ID)
		}
		p.mu.Unlock()
		return false
	}
	return true
}

// dispatch hands a fetched update to the dispatcher. One kept in the
// journal is confirmed at once (it no longer holds the offset back) and
// taken out of the journal once handled; any other is confirmed once
// handled. It reports false when ctx ended before the update was handed
// over; the update then stays unconfirmed.
func (p *poller) dispatch(ctx, handleCtx context.Context, ru RawUpdate, kept bool) bool {
	id := ru.ID
	done := func() { p.off.finish(id) }
	if kept {
		done = func() { p.forget(id) }
	}
	var u tgbotapi.Update
	if err := json.Unmarshal(ru.Raw, &u); err != nil {
		p.b.log.Warn("update not readable, skipped", "update_id", id, "err", err)
		p.off.finish(id)
		if kept {
			p.forget(id)
		}
		return true
	}
	if err := p.b.dispatch.Dispatch(ctx, handleCtx, u, done); err != nil {
		return false
	}
	if kept {
		p.off.finish(id)
	}
	return true
}

// forget notes a journaled update handled, to be taken out of the journal
// with the next Sync.
func (p *poller) forget(id int) {
	p.mu.Lock()
	p.handled = append(p.handled, id)
	p.mu.Unlock()
}

// replay hands over the updates a journal kept from before: fetched and
// confirmed by a process that stopped before it handled them all. Poll
// tries again before each call until the journal could be read. Those
// it did handle are skipped by their handled marks. They are not
// Telegram's to confirm any more, so the offsets do not track them.
func (p *poller) replay(ctx, handleCtx context.Context) {
	j := p.b.journal
	if j == nil {
		p.replayed = true
		return
	}
	var kept []RawUpdate
	err := p.journal(ctx, "updates fetched before a restart wait until it is back", func(ctx context.Context) error {
		var err error
		kept, err = j.Pending(ctx)
		return err
	})
	if err != nil {
		return
	}
	p.replayed = true
	if len(kept) > 0 {
		p.b.log.Info("handling updates fetched before a restart", "count", len(kept))
	}
	for _, ru := range kept {
		id := ru.ID
		var u tgbotapi.Update
		if err := json.Unmarshal(ru.Raw, &u); err != nil {
			p.b.log.Warn("update not readable, skipped", "update_id", id, "err", err)
			p.forget(id)
			continue
		}
		if err := p.b.dispatch.Dispatch(ctx, handleCtx, u, func() { p.forget(id) }); err != nil {
			return
		}
	}
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
