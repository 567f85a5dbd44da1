package delivery

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/internal/telegram"
)

// Updates is what polling needs of the Bot API client.
type Updates interface {
	GetUpdates(ctx context.Context, offset, limit int, timeout time.Duration) ([]telegram.RawUpdate, error)
	DeleteWebhook(ctx context.Context, dropPending bool) error
}

// PollOptions configure a Poller.
type PollOptions struct {
	Options
	Updates Updates
	// Journal, when set, keeps the updates fetched until they are
	// handled, so that they are confirmed to Telegram at once; see
	// journal.go.
	Journal UpdateJournal
	// Timeout is the long poll's; default 30s.
	Timeout time.Duration
	// MinPause is the least time between two polls that brought nothing,
	// so that a server answering at once with nothing (a proxy, a
	// misbehaving emulator) is not asked hundreds of times a second;
	// default 1s.
	MinPause time.Duration
}

// Poller is the long-polling Source.
type Poller struct {
	o     PollOptions
	d     *dispatcher
	off   *offsets
	close *closer

	mu       sync.Mutex
	handled  []int // journaled updates handled since the last Sync
	replayed bool  // the journal's updates from before were handed over

	journalFailing bool         // the journal failed last time: logged once
	fetchErr       atomic.Value // of the last poll: a fetchState
}

// fetchState is how the last poll went, for Ready.
type fetchState struct{ err error }

// NewPoller returns a Poller of o.Updates handing updates to o.Handler.
func NewPoller(o PollOptions) *Poller {
	o.Options = o.withDefaults()
	o.Timeout = cmp.Or(o.Timeout, 30*time.Second)
	o.MinPause = cmp.Or(o.MinPause, time.Second)
	p := &Poller{o: o, off: newOffsets(), close: newCloser()}
	p.d = newDispatcher(o.Options, o.Handler)
	p.fetchErr.Store(fetchState{err: errors.New("not polled yet")})
	return p
}

// Close implements Source.
func (p *Poller) Close() error { p.close.close(); return nil }

// Ready is nil while updates can be fetched, else why not.
func (p *Poller) Ready() error { return p.fetchErr.Load().(fetchState).err }

// Run implements Source: it receives updates by long polling and hands
// them to the dispatcher. With a Journal, a fetched batch is written to it
// and confirmed to Telegram with the next call; without one, or while it
// cannot be written, an update is confirmed only once it was handled. On
// a failed call it backs off, honouring retry_after. When it stops it
// waits (at most Drain) for the updates in hand and confirms them.
func (p *Poller) Run(ctx context.Context) error {
	ctx, cancel := p.close.bind(ctx)
	defer cancel()
	handleCtx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()
	backoff := time.Second
	for ctx.Err() == nil {
		if !p.replayed {
			p.replay(ctx, handleCtx)
		}
		began := time.Now()
		updates, err := p.o.Updates.GetUpdates(ctx, p.off.confirmed(), 100, p.o.Timeout)
		if err != nil {
			if ctx.Err() != nil || !p.failed(ctx, err, backoff) {
				break
			}
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		p.fetchErr.Store(fetchState{})
		backoff = time.Second
		p.take(ctx, handleCtx, updates)
		if len(updates) == 0 && time.Since(began) < p.o.MinPause {
			sleep(ctx, p.o.MinPause-time.Since(began)) // answered at once with nothing
		}
	}
	p.shutdown(cancelHandlers)
	return nil
}

// LeaveWebhook removes the webhook a deployment before may have left set,
// keeping the updates waiting for it: Telegram answers getUpdates with 409
// while one is set. Call it before Run when polling starts.
func (p *Poller) LeaveWebhook(ctx context.Context) error {
	if err := p.o.Updates.DeleteWebhook(ctx, false); err != nil {
		return fmt.Errorf("removing the webhook before polling: %w", err)
	}
	p.o.Log.Info("polling: webhook removed, if one was set; updates waiting for it are kept")
	return nil
}

// failed notes a failed poll and waits before the next; it reports false
// when ctx ended meanwhile.
func (p *Poller) failed(ctx context.Context, err error, backoff time.Duration) bool {
	p.fetchErr.Store(fetchState{err: err})
	wait := backoff
	var apiErr *tgbotapi.Error
	if errors.As(err, &apiErr) && apiErr.RetryAfter > 0 {
		wait = time.Duration(apiErr.RetryAfter) * time.Second
	}
	if errors.As(err, &apiErr) && apiErr.Code == 409 {
		// A webhook was set since, by another deployment of the bot:
		// not this process's to remove.
		p.o.Log.Warn("getUpdates refused: a webhook is set (another deployment?); not ready until it is removed", "err", err, "retry_in", wait)
	} else {
		p.o.Log.Warn("getUpdates failed", "err", err, "retry_in", wait)
	}
	return sleep(ctx, wait)
}

// take hands the fresh updates of a batch over.
func (p *Poller) take(ctx, handleCtx context.Context, updates []telegram.RawUpdate) {
	var fresh []telegram.RawUpdate
	for _, ru := range updates {
		if p.off.take(ru.ID) {
			fresh = append(fresh, ru)
		}
	}
	kept := p.record(ctx, fresh)
	for _, ru := range fresh {
		if !p.dispatch(ctx, handleCtx, ru, kept) {
			return // ctx is over; what was not started stays unconfirmed
		}
	}
	if len(fresh) == 0 && len(updates) > 0 {
		// Everything fetched is already in hand: wait for one to finish
		// instead of asking again at once.
		t := time.NewTimer(time.Second)
		defer t.Stop()
		select {
		case <-p.off.changed:
		case <-ctx.Done():
		case <-t.C:
		}
	}
}

// shutdown lets the updates in hand finish, then confirms them.
func (p *Poller) shutdown(cancelHandlers context.CancelFunc) {
	p.d.stop()
	if !p.d.Wait(p.o.Drain) {
		p.o.Log.Warn("shutdown: updates still in flight", "count", p.off.pending())
		cancelHandlers()
	}
	confirmCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p.record(confirmCtx, nil)
	if _, err := p.o.Updates.GetUpdates(confirmCtx, p.off.confirmed(), 1, 0); err != nil {
		p.o.Log.Warn("shutdown: confirming offsets failed", "err", err)
	}
}

// journal calls the journal and logs its failing and recovering, once
// each. Backing off a journal that does not answer is the journal's
// business (internal/redisstore answers at once while Redis is down).
func (p *Poller) journal(ctx context.Context, what string, call func(ctx context.Context) error) error {
	err := call(ctx)
	switch {
	case err != nil && ctx.Err() != nil:
		// Shutting down: not the journal's fault.
	case err != nil:
		if !p.journalFailing {
			p.o.Log.Warn("update journal unavailable: "+what, "err", err)
		}
		p.journalFailing = true
	case p.journalFailing:
		p.o.Log.Info("update journal available again")
		p.journalFailing = false
	}
	return err
}

// record writes fresh to the journal and takes out the updates handled
// since the last time, and reports whether fresh is kept there (always
// false without a Journal).
func (p *Poller) record(ctx context.Context, fresh []telegram.RawUpdate) bool {
	j := p.o.Journal
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
// handled. One that cannot be read, or whose chat has too many waiting,
// is dropped. It reports false when ctx ended before the update was
// handed over; the update then stays unconfirmed.
func (p *Poller) dispatch(ctx, handleCtx context.Context, ru telegram.RawUpdate, kept bool) bool {
	id := ru.ID
	done := func() { p.off.finish(id) }
	if kept {
		done = func() { p.forget(id) }
	}
	var u tgbotapi.Update
	if err := json.Unmarshal(ru.Raw, &u); err != nil {
		p.o.Log.Warn("update not readable, skipped", "update_id", id, "err", err)
		p.skip(id, kept)
		return true
	}
	switch err := p.d.Dispatch(ctx, handleCtx, u, done); {
	case errors.Is(err, ErrChatFull):
		p.skip(id, kept)
	case err != nil:
		return false
	case kept:
		p.off.finish(id)
	}
	return true
}

// skip confirms an update that is not handled, and takes it out of the
// journal if it is there.
func (p *Poller) skip(id int, kept bool) {
	p.off.finish(id)
	if kept {
		p.forget(id)
	}
}

// forget notes a journaled update handled, to be taken out of the journal
// with the next Sync.
func (p *Poller) forget(id int) {
	p.mu.Lock()
	p.handled = append(p.handled, id)
	p.mu.Unlock()
}

// replay hands over the updates a journal kept from before: fetched and
// confirmed by a process that stopped before it handled them all. Run
// tries again before each poll until the journal could be read. Those it
// did handle are skipped by their handled marks. They are not Telegram's
// to confirm any more, so the offsets do not track them.
func (p *Poller) replay(ctx, handleCtx context.Context) {
	j := p.o.Journal
	if j == nil {
		p.replayed = true
		return
	}
	var kept []telegram.RawUpdate
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
		p.o.Log.Info("handling updates fetched before a restart", "count", len(kept))
	}
	for _, ru := range kept {
		id := ru.ID
		var u tgbotapi.Update
		if err := json.Unmarshal(ru.Raw, &u); err != nil {
			p.o.Log.Warn("update not readable, skipped", "update_id", id, "err", err)
			p.forget(id)
			continue
		}
		err := p.d.Dispatch(ctx, handleCtx, u, func() { p.forget(id) })
		switch {
		case errors.Is(err, ErrChatFull):
			p.forget(id)
		case err != nil:
			return
		}
	}
}
