package delivery

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// errChatBusy is a chat whose lock another holder kept for all of lockTry.
var errChatBusy = errors.New("chat lock held elsewhere")

// drainTurn is one turn of a drain: it handles the chat's lowest queued
// update, if one waits, under the chat's lock. more reports that one was
// handled and others wait; busy that the chat's lock was held elsewhere,
// so that the chat is worth trying again later.
func (w *Webhook) drainTurn(ctx context.Context, chat int64) (more, busy bool) {
	more, err := w.drainOne(ctx, chat)
	switch {
	case errors.Is(err, errChatBusy):
		return false, true
	case err != nil:
		if ctx.Err() == nil {
			w.o.Log.Warn("chat queue not drained; left for later", "chat_id", chat, "err", err)
		}
		return false, false
	}
	return more, false
}

// drainOne takes the chat's lowest queued update with the chat's lock,
// handles it, and releases both; it reports whether more updates wait.
// It waits at most lockTry for the lock, then fails with errChatBusy.
func (w *Webhook) drainOne(ctx context.Context, chat int64) (more bool, err error) {
	takeCtx, cancel := context.WithTimeout(ctx, lockTry)
	t, ok, err := w.o.Queue.Take(takeCtx, chat)
	timedOut := takeCtx.Err() != nil
	cancel()
	if err != nil {
		if timedOut && ctx.Err() == nil {
			return false, errChatBusy
		}
		return false, err
	}
	if !ok {
		return false, nil
	}
	w.o.Handler.HandleUpdate(ctx, t.Update) // under the lock Take took
	// Released even when ctx has ended: the update was handled (or
	// skipped), and the lock is not to be held for its TTL by nobody.
	releaseCtx, cancelRelease := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancelRelease()
	return w.o.Queue.Release(releaseCtx, t)
}

// runSweeper starts drains of the chats the queue names as left waiting,
// until ctx ends.
func (w *Webhook) runSweeper(ctx context.Context) {
	tick := time.NewTicker(sweepEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		chats, err := w.o.Queue.Stale(ctx, 100)
		if err != nil {
			if ctx.Err() == nil {
				w.o.Log.Warn("chat queue unavailable for the sweep", "err", err)
			}
			continue
		}
		for _, chat := range chats {
			w.o.Log.Info("chat left waiting: draining it", "chat_id", chat)
			if !w.startDrain(chat) {
				break
			}
		}
	}
}

// startDrain has chat drained here, unless the webhook is closed; it
// reports whether it will be.
func (w *Webhook) startDrain(chat int64) bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return false
	}
	return w.drains.wake(chat)
}

// drainer drains chats' queues on a fixed pool of workers, at most one
// drain of a chat at a time; see "Drains run on a fixed pool" above.
type drainer struct {
	turn    func(ctx context.Context, chat int64) (more, busy bool)
	ctx     context.Context // the drains' context
	giveUp  time.Duration   // how long a chat's lock may stay held elsewhere before the chat is left to the sweeper
	metrics *Metrics
	log     *slog.Logger

	mu      sync.Mutex
	wakeup  *sync.Cond            // a chat was queued, or the last chat left after stop
	chats   map[int64]*drainState // chats queued, being drained, or waiting to try the lock again
	ready   []int64               // chats queued for a worker, first come first served
	stopped bool
	pending sync.WaitGroup // one per entry of chats
}

// drainState is where a chat stands in the drainer.
type drainState struct {
	running   bool          // a worker has it for a turn
	again     bool          // woken while running: give it another turn
	busySince time.Time     // when its lock was first found held elsewhere; zero if it was not
	pause     time.Duration // before the next try of a lock held elsewhere
}

// start starts the workers; the fields above mu are set before.
func (d *drainer) start(workers int) {
	d.chats = map[int64]*drainState{}
	d.wakeup = sync.NewCond(&d.mu)
	for range workers {
		go d.work()
	}
}

// wake has chat drained here. It never blocks beyond the drainer's mutex,
// and reports false, doing nothing, once the drainer is stopped.
func (d *drainer) wake(chat int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return false
	}
	s, ok := d.chats[chat]
	switch {
	case !ok:
		d.chats[chat] = &drainState{}
		d.pending.Add(1)
		d.enqueue(chat)
	case s.running:
		s.again = true
	}
	// Otherwise the chat is queued, or waiting to try its lock again: its
	// coming turn finds the new update in the queue.
	return true
}

// enqueue queues a chat in hand for a worker; d.mu is held.
func (d *drainer) enqueue(chat int64) {
	d.ready = append(d.ready, chat)
	d.metrics.queue("drains", 1)
	d.wakeup.Signal()
}

// work gives the chats queued their turns, one at a time, until the
// drainer is stopped and no chat is left in hand.
func (d *drainer) work() {
	d.mu.Lock()
	for {
		for len(d.ready) == 0 && !(d.stopped && len(d.chats) == 0) {
			d.wakeup.Wait()
		}
		if len(d.ready) == 0 {
			d.mu.Unlock()
			return
		}
		chat := d.ready[0]
		d.ready = d.ready[1:]
		s := d.chats[chat]
		s.running = true
		d.mu.Unlock()

		d.metrics.queue("drains", -1)
		more, busy := d.turn(d.ctx, chat)

		d.mu.Lock()
		s.running = false
		d.settle(chat, s, more, busy)
	}
}

// settle decides what comes next for a chat that has just had its turn;
// d.mu is held.
func (d *drainer) settle(chat int64, s *drainState, more, busy bool) {
	switch {
	case busy:
		now := time.Now()
		if s.busySince.IsZero() {
			s.busySince, s.pause = now, retryFirst
		}
		if now.Sub(s.busySince) >= d.giveUp {
			d.log.Warn("chat lock held elsewhere too long: chat left to its holder and the sweeper", "chat_id", chat, "since", s.busySince)
			d.forget(chat)
			return
		}
		// The next try finds whatever woke the chat meanwhile.
		s.again = false
		pause := s.pause
		s.pause = min(2*pause, retryMost)
		// Still in hand meanwhile: wake leaves it be, and shutdown
		// waits for it as for any drain.
		time.AfterFunc(pause, func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			d.enqueue(chat)
		})
	case more || s.again:
		// Back of the line: a chat whose user answers at once must
		// not keep a worker from the chats waiting for one.
		s.again, s.busySince = false, time.Time{}
		d.enqueue(chat)
	default:
		d.forget(chat)
	}
}

// forget lets go of a chat whose drain is over; d.mu is held.
func (d *drainer) forget(chat int64) {
	delete(d.chats, chat)
	d.pending.Done()
	if d.stopped && len(d.chats) == 0 {
		d.wakeup.Broadcast() // the workers may end
	}
}

// stop lets the workers end once no chat is left in hand; nothing is
// woken after it.
func (d *drainer) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopped = true
	d.wakeup.Broadcast()
}

// Wait waits up to timeout for every chat in hand to be drained and
// reports whether they all were.
func (d *drainer) Wait(timeout time.Duration) bool {
	return waitWithin(&d.pending, timeout)
}
