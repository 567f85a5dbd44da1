package bot

import (
	"context"
	"errors"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// dispatcher runs updates on a bounded pool of workers: the updates of one
// chat one after another, in the order they came, and different chats in
// parallel. At most maxPending updates wait at once; Dispatch blocks beyond
// that, which slows the poller down instead of piling up memory.
type dispatcher struct {
	handle  func(ctx context.Context, u tgbotapi.Update)
	metrics *Metrics

	mu    sync.Mutex
	chats map[int64]*chatQueue // chats with work queued or running
	ready chan int64           // chats whose queue a worker should run
	slots chan struct{}        // one per pending update
	wg    sync.WaitGroup       // pending updates

	stopped bool
}

type job struct {
	ctx  context.Context
	u    tgbotapi.Update
	done func()
}

type chatQueue struct {
	jobs []job
}

var errStopped = errors.New("dispatcher stopped")

func newDispatcher(workers, maxPending int, handle func(context.Context, tgbotapi.Update)) *dispatcher {
	d := &dispatcher{
		handle: handle,
		chats:  map[int64]*chatQueue{},
		ready:  make(chan int64, maxPending),
		slots:  make(chan struct{}, maxPending),
	}
	for range workers {
		go d.work()
	}
	return d
}

// Dispatch queues u behind the earlier updates of its chat; handleCtx is
// the context the handler gets, done is called once it has run. It waits
// for room while the pool is full, until ctx ends.
func (d *dispatcher) Dispatch(ctx, handleCtx context.Context, u tgbotapi.Update, done func()) error {
	select {
	case d.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	key := chatKey(u)
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		<-d.slots
		return errStopped
	}
	d.wg.Add(1)
	q, busy := d.chats[key]
	if !busy {
		q = &chatQueue{}
		d.chats[key] = q
	}
	q.jobs = append(q.jobs, job{ctx: handleCtx, u: u, done: done})
	d.mu.Unlock()
	d.metrics.queue("updates", 1)
	if !busy {
		d.ready <- key
	}
	return nil
}

// work runs one chat's queue at a time until it is empty.
func (d *dispatcher) work() {
	for key := range d.ready {
		for {
			d.mu.Lock()
			q := d.chats[key]
			if len(q.jobs) == 0 {
				delete(d.chats, key)
				d.mu.Unlock()
				break
			}
			j := q.jobs[0]
			q.jobs[0] = job{}
			q.jobs = q.jobs[1:]
			d.mu.Unlock()

			d.metrics.queue("updates", -1)
			d.handle(j.ctx, j.u)
			if j.done != nil {
				j.done()
			}
			<-d.slots
			d.wg.Done()
		}
	}
}

// stop lets the workers end once the queues are empty; nothing may be
// dispatched after it.
func (d *dispatcher) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.stopped {
		d.stopped = true
		close(d.ready)
	}
}

// Wait waits up to timeout for every pending update to be handled and
// reports whether they all were.
func (d *dispatcher) Wait(timeout time.Duration) bool {
	ch := make(chan struct{})
	go func() { d.wg.Wait(); close(ch) }()
	select {
	case <-ch:
		return true
	case <-time.After(timeout):
		return false
	}
}

// chatKey is the chat an update belongs to (the user for updates without
// a chat), so that one person's updates never race each other.
func chatKey(u tgbotapi.Update) int64 {
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		return u.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil && u.CallbackQuery.Message.Chat != nil:
		return u.CallbackQuery.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.From != nil:
		return u.CallbackQuery.From.ID
	case u.PreCheckoutQuery != nil && u.PreCheckoutQuery.From != nil:
		return u.PreCheckoutQuery.From.ID
	}
	return 0
}
