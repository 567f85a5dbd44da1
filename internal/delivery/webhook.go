package delivery

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
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
// MaxPending updates (or its chat its MaxPerChat) the handler waits up to admitWait for room, then
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

// WebhookOptions configure a Webhook.
type WebhookOptions struct {
	Options
	// Secret is the secret_token Telegram sends; requests without it are
	// refused (an empty Secret refuses every request).
	Secret string
	// Locker, when set, keeps one chat's updates to one process at a time
	// when several run (webhook replicas).
	Locker ChatLocker
	// Queue, when set (with Locker), holds the updates taken in until a
	// process holding the chat's lock handles them, lowest update_id
	// first. Its Take must take the lock Locker takes.
	Queue ChatQueue
}

// Webhook is the webhook Source: an http.Handler Telegram delivers
// updates to, and Run for the drains and the sweeper. Registering the
// webhook with Telegram is the caller's (telegram.Client.SetWebhook).
type Webhook struct {
	o      WebhookOptions
	d      *dispatcher
	drains *drainer // when there is a Queue
	close  *closer
	// work is the handlers' context; it ends when shutdown gives up
	// waiting for them.
	work   context.Context
	cancel context.CancelFunc

	mu     sync.RWMutex // read-held while an update is taken in
	closed bool
}

// NewWebhook returns the webhook intake of o.Handler.
func NewWebhook(o WebhookOptions) (*Webhook, error) {
	if o.Queue != nil && o.Locker == nil {
		return nil, errors.New("delivery: a Queue needs a Locker")
	}
	o.Options = o.withDefaults()
	w := &Webhook{o: o, close: newCloser()}
	w.work, w.cancel = context.WithCancel(context.Background())
	var h Handler = o.Handler
	if o.Locker != nil {
		h = lockedHandler{h: h, locks: o.Locker, log: o.Log}
	}
	w.d = newDispatcher(o.Options, h)
	if o.Queue != nil {
		w.drains = &drainer{turn: w.drainTurn, ctx: w.work, giveUp: o.HandlerTimeout, metrics: o.Metrics, log: o.Log}
		w.drains.start(o.Workers)
	}
	return w, nil
}

// ServeHTTP takes Telegram's requests. It answers 403, and takes nothing
// in, unless the request carries the secret in the
// X-Telegram-Bot-Api-Secret-Token header (compared in constant time). A
// taken-in update is answered 200 at once and handled afterwards; 503
// means "send it again later" (the bot is full or shutting down).
func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	got := r.Header.Get(SecretHeader)
	if w.o.Secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(w.o.Secret)) != 1 {
		w.o.Log.Warn("webhook request refused: wrong or missing secret", "remote_addr", r.RemoteAddr, "header_present", got != "")
		http.Error(rw, "forbidden", http.StatusForbidden)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxWebhookBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		w.o.Log.Warn("webhook request refused: body too large", "limit", tooLarge.Limit)
		http.Error(rw, "request too large", http.StatusRequestEntityTooLarge)
		return
	}
	var u tgbotapi.Update
	if err == nil {
		err = json.Unmarshal(body, &u)
	}
	if err != nil {
		w.o.Log.Warn("webhook request refused: not an update", "err", err)
		http.Error(rw, "not an update", http.StatusBadRequest)
		return
	}
	if status := w.take(r.Context(), u, body); status != http.StatusOK {
		rw.Header().Set("Retry-After", "1")
		http.Error(rw, http.StatusText(status), status)
		return
	}
	rw.WriteHeader(http.StatusOK)
}

// take takes u in for handling and returns the HTTP status to answer;
// body is u as Telegram sent it, which is what the queue keeps.
func (w *Webhook) take(ctx context.Context, u tgbotapi.Update, body []byte) int {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return http.StatusServiceUnavailable
	}
	chat := chatKey(u)
	if w.o.Queue != nil && chat != 0 {
		pctx, cancel := context.WithTimeout(ctx, pushWait)
		err := w.o.Queue.Push(pctx, chat, u.UpdateID, body)
		cancel()
		switch {
		case err == nil:
			w.o.Log.Debug("update queued", "update_id", u.UpdateID, "chat_id", chat)
			// The drainer is not stopped while w.mu is read-held and
			// w.closed is false, so the chat is drained.
			w.drains.wake(chat)
			return http.StatusOK
		case errors.Is(err, ErrBacklog):
			w.o.Log.Warn("update refused: the chat's queue is full", "update_id", u.UpdateID, "chat_id", chat)
			return http.StatusServiceUnavailable
		default:
			w.o.Log.Warn("chat queue unavailable: update handled here, out of the shared order", "update_id", u.UpdateID, "chat_id", chat, "err", err)
		}
	}
	actx, cancel := context.WithTimeout(ctx, admitWait)
	defer cancel()
	switch err := w.d.Dispatch(actx, w.work, u, nil); {
	case errors.Is(err, ErrChatFull):
		return http.StatusOK // dropped, logged and counted: not to come again
	case err != nil:
		w.o.Log.Warn("update refused: too many in hand", "update_id", u.UpdateID, "chat_id", chat)
		return http.StatusServiceUnavailable
	}
	w.o.Log.Debug("update taken in", "update_id", u.UpdateID, "chat_id", chat)
	return http.StatusOK
}

// Close implements Source.
func (w *Webhook) Close() error { w.close.close(); return nil }

// Run implements Source: it runs the sweeper of chats left waiting, when
// there is a Queue, until ctx ends or Close; then it stops taking updates
// in (later requests get 503 and Telegram sends them again, to another
// process when there is one) and waits at most Drain for those in hand. It
// leaves the webhook set. Stop the HTTP server first, so that Telegram's
// requests end on their own rather than on a 503.
func (w *Webhook) Run(ctx context.Context) error {
	ctx, cancel := w.close.bind(ctx)
	defer cancel()
	if w.o.Queue != nil {
		var sweeper sync.WaitGroup
		sweeper.Go(func() { w.runSweeper(ctx) })
		defer sweeper.Wait()
	}
	<-ctx.Done()
	w.shutdown()
	return nil
}

// shutdown stops taking updates in and waits at most Drain for the ones
// in hand; those still running then have their context cancelled.
func (w *Webhook) shutdown() {
	deadline := time.Now().Add(w.o.Drain)
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.d.stop()
	if w.drains != nil {
		w.drains.stop()
	}
	ok := w.d.Wait(time.Until(deadline))
	if w.drains != nil {
		ok = w.drains.Wait(max(time.Until(deadline), 0)) && ok
	}
	if !ok {
		w.o.Log.Warn("shutdown: updates still in flight; cancelled (queued ones stay for the other processes)")
	}
	w.cancel()
}
