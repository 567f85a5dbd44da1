package delivery

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// dispatcher runs updates on a bounded pool of workers: the updates of one
// chat one after another, in the order they came, and different chats in
// parallel. At most maxPending updates wait at once; Dispatch blocks beyond
// that, which slows the source down instead of piling up memory. One chat
// holds at most maxPerChat of them (maxPerGroup for a group): its excess is
// dropped, so that a chat flooding the bot, whose answers Telegram paces
// at one a second, never takes the room of the others.
type dispatcher struct {
	handler Handler
	metrics *Metrics
	log     *slog.Logger

	maxPerChat, maxPerGroup int

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

// ErrChatFull is an update dropped because its chat has too many waiting.
var ErrChatFull = errors.New("too many updates of the chat waiting")

func newDispatcher(o Options, h Handler) *dispatcher {
	d := &dispatcher{
		handler:     h,
		metrics:     o.Metrics,
		log:         o.Log,
		maxPerChat:  o.MaxPerChat,
		maxPerGroup: o.MaxPerGroup,
		chats:       map[int64]*chatQueue{},
		ready:       make(chan int64, o.MaxPending),
		slots:       make(chan struct{}, o.MaxPending),
	}
	for range o.Workers {
		go d.work()
	}
	return d
}

// Dispatch queues u behind the earlier updates of its chat; handleCtx is
// the context the handler gets, done is called once it has run. It waits
// for room while the pool is full, until ctx ends. An update whose chat
// has its fill waiting is dropped at once, logged and counted, with
// ErrChatFull; done is not called.
func (d *dispatcher) Dispatch(ctx, handleCtx context.Context, u tgbotapi.Update, done func()) error {
	key := chatKey(u)
	if d.full(key) {
		return d.drop(u, key)
	}
	select {
	case d.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		<-d.slots
		return errStopped
	}
	q, busy := d.chats[key]
	if busy && len(q.jobs) >= d.bound(key) { // filled while waiting for a slot
		d.mu.Unlock()
		<-d.slots
		return d.drop(u, key)
	}
	d.wg.Add(1)
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

// bound is how many updates of chat may wait.
func (d *dispatcher) bound(chat int64) int {
	if chat < 0 {
		return d.maxPerGroup
	}
	return d.maxPerChat
}

// full reports whether chat has its fill of updates waiting.
func (d *dispatcher) full(chat int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	q := d.chats[chat]
	return q != nil && len(q.jobs) >= d.bound(chat)
}

func (d *dispatcher) drop(u tgbotapi.Update, chat int64) error {
	d.log.Warn("update dropped: its chat has too many waiting", "update_id", u.UpdateID, "chat_id", chat, "limit", d.bound(chat))
	d.metrics.dropped(chat)
	return ErrChatFull
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
			d.handler.HandleUpdate(j.ctx, j.u)
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
	return waitWithin(&d.wg, timeout)
}
