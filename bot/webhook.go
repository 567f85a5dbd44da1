package bot

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Webhook mode. Telegram POSTs each update to the bot's URL and waits for
// the answer before it sends that chat's next update; an answer that is
// slow or not 2xx makes it retry later and slow down. So the handler only
// takes the update in and answers at once, well within a second, whatever
// the database is doing; the update is handled afterwards, with the same
// dedupe as polling.
//
// Taking in, one process (no Queue): the update joins its chat's line in
// the dispatcher and the answer is 200. When the dispatcher already holds
// MaxPending updates the handler waits up to admitWait for room, then
// answers 503 with Retry-After: Telegram sends the update again later
// (it is deduped if it had got in after all). Updates answered 200 but not
// yet handled when the process dies are lost, as they would be to a crash
// in any webhook bot that answers before handling.
//
// Taking in, replicas (Queue and Locker): the update, as Telegram sent it,
// is first added to its chat's queue in Redis, then the chat is marked for
// a drain here and the answer is 200. A drain takes the chat's lock and
// the lowest update_id waiting in the queue in one step, handles the
// update, then removes it and gives the lock back in another, and starts
// again until the queue is empty. The lock is the one Locker takes, so an
// update handled here without the queue (see below) waits for a drain of
// its chat, and the other way round. Any process may drain any chat:
// the one that gets the lock handles what waits, in update_id order, so
// the updates of one chat are handled one at a time and in order even
// when consecutive ones reach different processes (Telegram sends a
// chat's next update only after the previous one was answered, that is,
// queued).
//
// Drains run on a fixed pool of workers (Options.Workers), at most one
// drain of a chat at a time here, in turns: a worker handles one update
// of a chat and puts the chat at the back of the line, so that a chat
// whose user answers at once cannot keep a worker from the others; the
// chat stays in hand until its queue is found empty, by the step that
// removes its last update or by a turn. Marking a chat
// never blocks the request and is never lost: a chat not in hand is
// queued for a worker; one waiting for its turn finds the new update
// then; one having its turn gets another, since that turn may have looked
// at the queue before the new update was in it. So a process holds one
// entry per chat with work waiting, however many updates that is (the
// queue in Redis bounds those per chat). A turn that finds the chat's
// lock taken for lockTry does not keep its worker: the holder, usually
// another process draining the same chat, handles what waits anyway, and
// the chat is tried again here after a pause that grows to retryMost — in
// case the holder is not draining at all (an update handled without the
// queue) or stops before the queue is empty — for up to HandlerTimeout,
// after which the chat is left to the sweeper. A turn that finds the
// queue empty takes no lock, whoever holds it.
//
// An update queued by a process that died before draining it is taken up
// by the sweeper of any process once its chat has seen no progress for
// the queue's StaleAfter. When Redis does not answer, the update is
// handled here as with one process: the bot keeps answering, without the
// order across processes.
//
// Limits: a lock whose holder runs past its TTL (a handler stuck beyond
// HandlerTimeout in a call that ignores its context) frees itself, and the
// same update may then be handled twice at once; exactly-once effects
// still hold where PostgreSQL enforces them (the checkout token makes one
// order of one confirmation).

// SecretHeader is the header Telegram sends the webhook's secret_token in.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

const (
	// maxWebhookBody bounds an update's size; Telegram's are a few
	// kilobytes (a message of 4096 characters with its entities).
	maxWebhookBody = 1 << 20
	// pushWait bounds adding an update to the shared queue.
	pushWait = 300 * time.Millisecond
	// admitWait bounds waiting for room in the dispatcher.
	admitWait = 500 * time.Millisecond
	// lockTry bounds how long a drain's turn waits for its chat's lock
	// before it leaves the chat to be tried again later. It is short because the
	// holder handles what waits anyway, and long enough that a Redis
	// round trip on a busy machine fits in it many times over.
	lockTry = 250 * time.Millisecond
	// retryFirst is the pause before a chat whose lock was taken is tried
	// again; it doubles on each try up to retryMost.
	retryFirst = 50 * time.Millisecond
	retryMost  = time.Second
	// sweepEvery is how often the queue is asked for chats left waiting.
	sweepEvery = time.Second
)

// allowedUpdates are the kinds of update the bot asks Telegram for.
var allowedUpdates = []string{"message", "callback_query", "pre_checkout_query"}

// webhook is the bot's intake of webhook requests.
type webhook struct {
	b *Bot
	// drains runs the drains of chats' queues when there is a Queue.
	drains *drainer
	// work is the handlers' context; it ends when shutdown gives up
	// waiting for them.
	work   context.Context
	cancel context.CancelFunc

	mu     sync.RWMutex // read-held while an update is taken in
	closed bool
}

// newWebhook returns the intake of b, with workers draining chats' queues
// when b has a Queue. The drains hold one entry per chat with work
// waiting, bounded by the queue itself, not by MaxPending.
func newWebhook(b *Bot, workers int) *webhook {
	h := &webhook{b: b}
	h.work, h.cancel = context.WithCancel(context.Background())
	if b.queue != nil {
		h.drains = &drainer{turn: b.drainTurn, ctx: h.work, giveUp: b.handlerTimeout, metrics: b.metrics, log: b.log}
		h.drains.start(workers)
	}
	return h
}

// WebhookHandler is the HTTP handler Telegram delivers updates to. It
// answers 403, and takes nothing in, unless the request carries secret in
// the X-Telegram-Bot-Api-Secret-Token header (compared in constant time);
// an empty secret refuses every request. A taken-in update is answered 200
// at once and handled afterwards; 503 means "send it again later" (the
// bot is full or shutting down). RunWebhook must run for the background
// jobs and for shutdown.
func (b *Bot) WebhookHandler(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := r.Header.Get(SecretHeader)
		if secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
			b.log.Warn("webhook request refused: wrong or missing secret", "remote_addr", r.RemoteAddr, "header_present", got != "")
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			b.log.Warn("webhook request refused: body too large", "limit", tooLarge.Limit)
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		var u tgbotapi.Update
		if err == nil {
			err = json.Unmarshal(body, &u)
		}
		if err != nil {
			b.log.Warn("webhook request refused: not an update", "err", err)
			http.Error(w, "not an update", http.StatusBadRequest)
			return
		}
		if status := b.hook.take(r.Context(), u, body); status != http.StatusOK {
			w.Header().Set("Retry-After", "1")
			http.Error(w, http.StatusText(status), status)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// take takes u in for handling and returns the HTTP status to answer;
// body is u as Telegram sent it, which is what the queue keeps.
func (h *webhook) take(ctx context.Context, u tgbotapi.Update, body []byte) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	b := h.b
	if h.closed {
		return http.StatusServiceUnavailable
	}
	chat := chatKey(u)
	if b.queue != nil && chat != 0 {
		pctx, cancel := context.WithTimeout(ctx, pushWait)
		err := b.queue.Push(pctx, chat, u.UpdateID, body)
		cancel()
		switch {
		case err == nil:
			b.log.Debug("update queued", "update_id", u.UpdateID, "chat_id", chat)
			// The drainer is not stopped while h.mu is read-held and
			// h.closed is false, so the chat is drained.
			h.drains.wake(chat)
			return http.StatusOK
		case errors.Is(err, ErrBacklog):
			b.log.Warn("update refused: the chat's queue is full", "update_id", u.UpdateID, "chat_id", chat)
			return http.StatusServiceUnavailable
		default:
			b.log.Warn("chat queue unavailable: update handled here, out of the shared order", "update_id", u.UpdateID, "chat_id", chat, "err", err)
		}
	}
	actx, cancel := context.WithTimeout(ctx, admitWait)
	defer cancel()
	if err := b.dispatch.Dispatch(actx, h.work, u, nil); err != nil {
		b.log.Warn("update refused: too many in hand", "update_id", u.UpdateID, "chat_id", chat)
		return http.StatusServiceUnavailable
	}
	b.log.Debug("update taken in", "update_id", u.UpdateID, "chat_id", chat)
	return http.StatusOK
}

// close stops taking updates in (requests get 503 from now on) and waits
// at most drain for the ones in hand; those still running then have their
// context cancelled.
func (h *webhook) close(drain time.Duration) {
	deadline := time.Now().Add(drain)
	h.stop()
	ok := h.b.dispatch.Wait(time.Until(deadline))
	if h.drains != nil {
		ok = h.drains.Wait(max(time.Until(deadline), 0)) && ok
	}
	if !ok {
		h.b.log.Warn("shutdown: updates still in flight; cancelled (queued ones stay for the other processes)")
	}
	h.cancel()
}

// stop ends the dispatchers' workers once their queues are empty; nothing
// is taken in after it.
func (h *webhook) stop() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.b.dispatch.stop()
	if h.drains != nil {
		h.drains.stop()
	}
}

// RunWebhook runs the background jobs for updates taken in by
// WebhookHandler until ctx ends; then it stops taking updates in (later
// requests get 503 and Telegram sends them again, to another process when
// there is one) and waits at most drain for those in hand. It leaves the
// webhook set. Stop the HTTP server first, so that Telegram's requests
// end on their own rather than on a 503.
func (b *Bot) RunWebhook(ctx context.Context, drain time.Duration) error {
	return b.serve(ctx, func() error {
		<-ctx.Done()
		b.hook.close(drain)
		return nil
	})
}

// SetWebhook has Telegram deliver updates to url, with secret as the
// secret_token it sends back in every request, over at most
// maxConnections connections at once (0: Telegram's default, 40).
func (b *Bot) SetWebhook(ctx context.Context, url, secret string, maxConnections int) error {
	p := tgbotapi.Params{"url": url}
	p.AddNonEmpty("secret_token", secret)
	p.AddNonZero("max_connections", maxConnections)
	if err := p.AddInterface("allowed_updates", allowedUpdates); err != nil {
		return err
	}
	_, err := b.tg.call(ctx, "setWebhook", p)
	return err
}

// call makes a Bot API call by name with raw parameters, for what the
// library's configs lack (v5.5.1's WebhookConfig has no secret_token). It
// takes the path of every call: retries, and errors without the token. The
// call must be safe to repeat.
func (t *Telegram) call(ctx context.Context, method string, p tgbotapi.Params) (*tgbotapi.APIResponse, error) {
	var resp *tgbotapi.APIResponse
	err := t.retry(ctx, method, true, func() error {
		var err error
		resp, err = t.api.MakeRequest(method, p)
		return err
	})
	return resp, err
}

// errChatBusy is a chat whose lock another holder kept for all of lockTry.
var errChatBusy = errors.New("chat lock held elsewhere")

// drainTurn is one turn of a drain: it handles the chat's lowest queued
// update, if one waits, under the chat's lock. more reports that one was
// handled and others wait; busy that the chat's lock was held elsewhere,
// so that the chat is worth trying again later.
func (b *Bot) drainTurn(ctx context.Context, chat int64) (more, busy bool) {
	more, err := b.drainOne(ctx, chat)
	switch {
	case errors.Is(err, errChatBusy):
		return false, true
	case err != nil:
		if ctx.Err() == nil {
			b.log.Warn("chat queue not drained; left for later", "chat_id", chat, "err", err)
		}
		return false, false
	}
	return more, false
}

// drainOne takes the chat's lowest queued update with the chat's lock,
// handles it, and releases both; it reports whether more updates wait.
// It waits at most lockTry for the lock, then fails with errChatBusy.
func (b *Bot) drainOne(ctx context.Context, chat int64) (more bool, err error) {
	takeCtx, cancel := context.WithTimeout(ctx, lockTry)
	t, ok, err := b.queue.Take(takeCtx, chat)
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
	b.handleUpdate(ctx, t.Update, false)
	// Released even when ctx has ended: the update was handled (or
	// skipped), and the lock is not to be held for its TTL by nobody.
	releaseCtx, cancelRelease := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancelRelease()
	return b.queue.Release(releaseCtx, t)
}

// runSweeper starts drains of the chats the queue names as left waiting,
// until ctx ends.
func (b *Bot) runSweeper(ctx context.Context) {
	tick := time.NewTicker(sweepEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		chats, err := b.queue.Stale(ctx, 100)
		if err != nil {
			if ctx.Err() == nil {
				b.log.Warn("chat queue unavailable for the sweep", "err", err)
			}
			continue
		}
		for _, chat := range chats {
			b.log.Info("chat left waiting: draining it", "chat_id", chat)
			if !b.hook.startDrain(chat) {
				break
			}
		}
	}
}

// startDrain has chat drained here, unless the webhook is closed; it
// reports whether it will be.
func (h *webhook) startDrain(chat int64) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed {
		return false
	}
	return h.drains.wake(chat)
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
	ch := make(chan struct{})
	go func() { d.pending.Wait(); close(ch) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}
