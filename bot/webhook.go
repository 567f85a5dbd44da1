package bot

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Webhook mode. Telegram POSTs each update to the bot's URL and waits for
// the answer before it sends that chat's next update; an answer that is
// slow or not 2xx makes it retry later and slow down. So the handler only
// takes the update in and answers at once, well within a second, whatever
// the database is doing; the update is handled afterwards, by the same
// per-chat, bounded dispatcher as polling, with the same dedupe.
//
// Taking in, one process (no Queue): the update joins its chat's line in
// the dispatcher and the answer is 200. When the dispatcher already holds
// MaxPending updates the handler waits up to admitWait for room, then
// answers 503 with Retry-After: Telegram sends the update again later
// (it is deduped if it had got in after all). Updates answered 200 but not
// yet handled when the process dies are lost, as they would be to a crash
// in any webhook bot that answers before handling.
//
// Taking in, replicas (Queue and Locker): the update is first added to its
// chat's queue in Redis, then the answer is 200, and a drain of the chat
// is started here. A drain takes the chat's lock, handles the lowest
// update_id waiting in the queue, removes it, gives the lock back and
// starts again until the queue is empty. Any process may drain any chat:
// the one that gets the lock handles what waits, in update_id order, so
// the updates of one chat are handled one at a time and in order even
// when consecutive ones reach different processes (Telegram sends a
// chat's next update only after the previous one was answered, that is,
// queued). An update queued by a process that died before draining it is
// taken up by the sweeper of any process once its chat has seen no
// progress for the queue's StaleAfter. When Redis does not answer, the
// update is handled here as with one process: the bot keeps answering,
// without the order across processes.
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
	// drainWait bounds starting a drain here once the update is queued
	// where every process sees it.
	drainWait = 20 * time.Millisecond
	// sweepEvery is how often the queue is asked for chats left waiting.
	sweepEvery = time.Second
)

// allowedUpdates are the kinds of update the bot asks Telegram for.
var allowedUpdates = []string{"message", "callback_query"}

// webhook is the bot's intake of webhook requests.
type webhook struct {
	b *Bot
	// drains runs drains of chats' queues, one chat at a time, when
	// there is a Queue; each job's update names the chat to drain.
	drains *dispatcher
	// work is the handlers' context; it ends when shutdown gives up
	// waiting for them.
	work   context.Context
	cancel context.CancelFunc

	mu     sync.RWMutex // read-held while an update is taken in
	closed bool
}

func newWebhook(b *Bot, workers, maxPending int) *webhook {
	h := &webhook{b: b}
	h.work, h.cancel = context.WithCancel(context.Background())
	if b.queue != nil {
		h.drains = newDispatcher(workers, maxPending, func(ctx context.Context, u tgbotapi.Update) {
			b.drain(ctx, chatKey(u))
		})
		h.drains.metrics = b.metrics
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
		var u tgbotapi.Update
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxWebhookBody)).Decode(&u); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				b.log.Warn("webhook request refused: body too large", "limit", tooLarge.Limit)
				http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
				return
			}
			b.log.Warn("webhook request refused: not an update", "err", err)
			http.Error(w, "not an update", http.StatusBadRequest)
			return
		}
		if status := b.hook.take(r.Context(), u); status != http.StatusOK {
			w.Header().Set("Retry-After", "1")
			http.Error(w, http.StatusText(status), status)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// take takes u in for handling and returns the HTTP status to answer.
func (h *webhook) take(ctx context.Context, u tgbotapi.Update) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	b := h.b
	if h.closed {
		return http.StatusServiceUnavailable
	}
	chat := chatKey(u)
	if b.queue != nil && chat != 0 {
		pctx, cancel := context.WithTimeout(ctx, pushWait)
		err := b.queue.Push(pctx, chat, u)
		cancel()
		switch {
		case err == nil:
			b.log.Debug("update queued", "update_id", u.UpdateID, "chat_id", chat)
			dctx, cancel := context.WithTimeout(ctx, drainWait)
			defer cancel()
			if err := h.drains.Dispatch(dctx, h.work, u, nil); err != nil {
				// The update is safe in the queue; whoever drains the
				// chat next, or the sweeper, handles it.
				b.log.Debug("drain not started here: busy", "update_id", u.UpdateID, "chat_id", chat)
			}
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

// drain handles the chat's queued updates, lowest update_id first, each
// under the chat's lock, until none is left.
func (b *Bot) drain(ctx context.Context, chat int64) {
	for ctx.Err() == nil {
		more, err := b.drainOne(ctx, chat)
		if err != nil {
			if ctx.Err() == nil {
				b.log.Warn("chat queue not drained; left for later", "chat_id", chat, "err", err)
			}
			return
		}
		if !more {
			return
		}
	}
}

// drainOne handles the chat's lowest queued update under the chat's lock
// and reports whether it found one.
func (b *Bot) drainOne(ctx context.Context, chat int64) (bool, error) {
	lockCtx, cancel := context.WithTimeout(ctx, b.handlerTimeout)
	defer cancel()
	unlock, err := b.locker.Lock(lockCtx, chat)
	if err != nil {
		return false, err
	}
	defer unlock()
	u, ok, err := b.queue.Next(ctx, chat)
	if err != nil || !ok {
		return false, err
	}
	b.handleUpdate(ctx, u, false)
	// Done even when ctx has ended: the update was handled (or skipped).
	doneCtx, cancelDone := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancelDone()
	if err := b.queue.Done(doneCtx, chat, u.UpdateID); err != nil {
		return false, err
	}
	return true, nil
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
			if !b.hook.startDrain(ctx, chat) {
				break
			}
		}
	}
}

// startDrain starts a drain of chat here, unless the webhook is closed or
// the drains are full; it reports whether it did.
func (h *webhook) startDrain(ctx context.Context, chat int64) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, drainWait)
	defer cancel()
	// A drain job names its chat by an update of that chat.
	u := tgbotapi.Update{Message: &tgbotapi.Message{Chat: &tgbotapi.Chat{ID: chat}}}
	return h.drains.Dispatch(ctx, h.work, u, nil) == nil
}
