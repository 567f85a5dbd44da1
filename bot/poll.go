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
func (t *Telegram) getUpdates(ctx context.Context, offset, limit int, timeout time.Duration) ([]rawUpdate, error) {
	form := url.Values{}
	form.Set("offset", strconv.Itoa(offset))
	form.Set("limit", strconv.Itoa(limit))
	form.Set("timeout", strconv.Itoa(int(timeout/time.Second)))
	form.Set("allowed_updates", `["message","callback_query"]`)
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
	var r tgbotapi.APIResponse
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
	var raws []json.RawMessage
	if err := json.Unmarshal(r.Result, &raws); err != nil {
		return nil, &CallError{Method: "getUpdates", Err: err}
	}
	updates := make([]rawUpdate, len(raws))
	for i, raw := range raws {
		var head struct {
			UpdateID int `json:"update_id"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, &CallError{Method: "getUpdates", Err: err}
		}
		updates[i] = rawUpdate{ID: head.UpdateID, Raw: raw}
	}
	return updates, nil
}

// rawUpdate is an update as fetched: its id, and the rest still encoded.
// A poll gets again every update not yet confirmed, and under load most
// of them are already in hand: only new ones are decoded whole.
type rawUpdate struct {
	ID  int
	Raw json.RawMessage
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

// Poll receives updates by long polling until ctx ends, hands them to the
// dispatcher, and confirms each one's offset only after it was handled.
// On a failed call it backs off, honouring retry_after. When ctx ends it
// waits (at most drain) for the updates in hand and confirms them.
func (b *Bot) Poll(ctx context.Context, drain time.Duration) error {
	off := newOffsets()
	handleCtx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()
	backoff := time.Second
	for ctx.Err() == nil {
		updates, err := b.tg.getUpdates(ctx, off.confirmed(), 100, b.pollTimeout)
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
		fresh := 0
		for _, ru := range updates {
			if !off.take(ru.ID) {
				continue
			}
			fresh++
			id := ru.ID
			var u tgbotapi.Update
			if err := json.Unmarshal(ru.Raw, &u); err != nil {
				b.log.Warn("update not readable, skipped", "update_id", id, "err", err)
				off.finish(id)
				continue
			}
			if err := b.dispatch.Dispatch(ctx, handleCtx, u, func() { off.finish(id) }); err != nil {
				off.finish(id) // not started; ctx is over, it will be delivered again
				break
			}
		}
		if fresh == 0 && len(updates) > 0 {
			// Everything fetched is already in hand: wait for one to finish
			// instead of asking again at once.
			select {
			case <-off.changed:
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	// Shutdown: let the updates in hand finish, then confirm them.
	if !b.dispatch.Wait(drain) {
		b.log.Warn("shutdown: updates still in flight", "count", off.pending())
		cancelHandlers()
	}
	confirmCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := b.tg.getUpdates(confirmCtx, off.confirmed(), 1, 0); err != nil {
		b.log.Warn("shutdown: confirming offsets failed", "err", err)
	}
	return nil
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
