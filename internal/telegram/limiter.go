package telegram

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// The outbound limiter keeps the bot inside Telegram's flood control
// (README, "Limits") so that a 429 is rare, and holds a chat back — or every send —
// for as long as Telegram asks when one comes all the same.
//
// What counts: a call that puts or changes a message in a chat — every
// send* but sendChatAction, copyMessage, forwardMessage, and the edits
// (editMessageText, editMessageCaption, editMessageReplyMarkup…). Telegram
// applies flood control to edits as to sends, so they take a token from
// the same buckets; a user pressing buttons quickly still gets the chat's
// burst of ChatBurst edits at once. Nothing else counts and nothing else
// waits here: answerCallbackQuery (it must stop the button's spinner at
// once), deleteMessage (it posts nothing), getUpdates, getFile, getMe,
// setMyCommands, sendChatAction.
//
// Lanes: a counted call first waits for its chat's turn — one call per
// chat at a time, in the order they came, which also keeps a chat's
// messages in order — then for a token of the chat's bucket (private chats
// and groups, negative ids, have buckets of their own sizes) and of the
// bot's global bucket. A call with no chat id takes only a global token.
// Calls that do not count never touch the limiter.
//
// A chat's bucket is charged as if the call happened when its reply came
// back rather than when it left (the bucket does not refill while the call
// is under way), so network delays can only make the bot slower than
// Telegram's count, never faster. The global bucket has no such margin;
// its default burst of 1 spaces sends evenly, far inside Telegram's own
// burst, which absorbs the jitter instead.
//
// A 429 with retry_after holds the chat it was for that long; when a
// second chat gets one while another is still held, the limit hit is
// taken to be the bot's global one and every counted call waits it out.
//
// Bounds: a call waits with its context, and at most Limits.MaxWait in all
// (retries included). When its turn would come later than that, or after
// the context's deadline, it fails at once with ErrThrottled rather than
// queueing on. That bounds the queues in time, and so in length.
//
// Memory: a chat's state is dropped once its bucket is full again and
// nobody waits for it — such a chat behaves exactly like one never seen —
// so the bot keeps state only for the chats it wrote to in the last few
// seconds (burst × interval), however many chats it has.

// Limits are how fast the bot writes to Telegram. Zero fields take the
// defaults (DefaultLimits).
type Limits struct {
	// PerSecond is the counted calls a second to all chats together;
	// default 30.
	PerSecond float64
	// Burst is how many of them may go at once; default 1, which spaces
	// them 1/PerSecond apart so that no second ever holds more than
	// PerSecond.
	Burst int
	// ChatPerSecond is the steady pace to one private chat; default 1.
	ChatPerSecond float64
	// ChatBurst is how many calls may go to one private chat at once;
	// default 3.
	ChatBurst int
	// GroupPerMinute is the pace to one group (a negative chat id);
	// default 20.
	GroupPerMinute float64
	// GroupBurst is how many calls may go to one group at once; default
	// 1, so that no minute holds more than GroupPerMinute.
	GroupBurst int
	// MaxWait is the longest one call waits for its turn, retries after
	// a 429 included; default 1 minute.
	MaxWait time.Duration
}

// DefaultLimits are Telegram's limits (README, "Limits").
func DefaultLimits() Limits {
	return Limits{
		PerSecond:      30,
		Burst:          1,
		ChatPerSecond:  1,
		ChatBurst:      3,
		GroupPerMinute: 20,
		GroupBurst:     1,
		MaxWait:        time.Minute,
	}
}

// withDefaults fills the zero fields.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	l.PerSecond = cmp.Or(l.PerSecond, d.PerSecond)
	l.Burst = cmp.Or(l.Burst, d.Burst)
	l.ChatPerSecond = cmp.Or(l.ChatPerSecond, d.ChatPerSecond)
	l.ChatBurst = cmp.Or(l.ChatBurst, d.ChatBurst)
	l.GroupPerMinute = cmp.Or(l.GroupPerMinute, d.GroupPerMinute)
	l.GroupBurst = cmp.Or(l.GroupBurst, d.GroupBurst)
	l.MaxWait = cmp.Or(l.MaxWait, d.MaxWait)
	return l
}

// ErrThrottled is a call the limiter gave up on: its turn to go would come
// later than the caller can wait. Telegram never saw it.
var ErrThrottled = errors.New("outbound limit")

// throttledError tells which chat and how long the wait would have been.
type throttledError struct {
	chatID      int64
	wait, bound time.Duration
}

func (e *throttledError) Error() string {
	return fmt.Sprintf("chat %d: %v: its turn would come in %s, past the %s it may wait",
		e.chatID, ErrThrottled, e.wait.Round(time.Millisecond), e.bound.Round(time.Millisecond))
}

func (e *throttledError) Unwrap() error { return ErrThrottled }

// counts reports whether a Bot API method counts against flood control.
func counts(method string) bool {
	switch method {
	case "sendChatAction":
		return false
	case "copyMessage", "forwardMessage", "copyMessages", "forwardMessages":
		return true
	}
	return len(method) > 4 && (method[:4] == "send" || method[:4] == "edit")
}

// clock is the limiter's time: now, and a sleep that ends early with ctx.
// Tests give it a fake one.
type clock struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

func realClock() clock {
	return clock{now: time.Now, sleep: func(ctx context.Context, d time.Duration) error {
		if d <= 0 {
			return ctx.Err()
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}}
}

// pace is a token bucket in the form of the generic cell rate algorithm:
// one call every interval, and burst calls at once. A bucket's state is
// one time, tat: when it will be full again.
type pace struct {
	interval time.Duration
	slack    time.Duration // (burst-1) × interval
}

func newPace(perSecond float64, burst int) pace {
	iv := time.Duration(math.Ceil(float64(time.Second) / perSecond))
	return pace{interval: iv, slack: time.Duration(max(burst, 1)-1) * iv}
}

// next is the earliest time, not before now, at which a bucket that is
// full again at tat has a token.
func (p pace) next(tat, now time.Time) time.Time {
	if t := tat.Add(-p.slack); t.After(now) {
		return t
	}
	return now
}

// take spends a token at t (not before next) and returns the new tat.
func (p pace) take(tat, t time.Time) time.Time {
	return later(tat, t).Add(p.interval)
}

// chatState is what the limiter knows of one chat.
type chatState struct {
	pace  pace
	tat   time.Time     // the chat's bucket is full again then
	hold  time.Time     // a 429 asked to wait until then
	turn  chan struct{} // held (filled) by the one call going to the chat
	users int           // calls waiting for the turn or holding it
}

// limiter is the outbound limiter of one Telegram client.
type limiter struct {
	limits Limits
	clock  clock
	queue  func(delta float64) // reports calls waiting, for metrics

	global, private, group pace

	// shared, when set, keeps the global bucket for every process of the
	// bot; sharedFailed hears of it failing, once until it answers again
	// (l.mu is held).
	shared       SharedPace
	sharedFailed func(error)

	mu            sync.Mutex
	sharedFailing bool // the shared bucket failed last time it was asked
	globalTAT     time.Time
	hold          time.Time // every counted call waits until then
	held          struct {  // the chat a 429 held last, and until when
		chatID int64
		until  time.Time
	}
	chats   map[int64]*chatState
	sweepAt int       // sweep when this many chats are known…
	swept   time.Time // …or a minute after the last sweep
}

const minSweep = 1024

func newLimiter(l Limits, c clock) *limiter {
	l = l.withDefaults()
	return &limiter{
		limits:       l,
		clock:        c,
		queue:        func(float64) {},
		sharedFailed: func(error) {},
		global:       newPace(l.PerSecond, l.Burst),
		private:      newPace(l.ChatPerSecond, l.ChatBurst),
		group:        newPace(l.GroupPerMinute/60, l.GroupBurst),
		chats:        map[int64]*chatState{},
		sweepAt:      minSweep,
		swept:        c.now(),
	}
}

// permit is a counted call let through; done must be called once the
// call has its answer.
type permit struct {
	l      *limiter
	chatID int64
	c      *chatState // nil for a call without a chat
	sent   time.Time
}

// wait waits until a counted call to chatID (0: none known) may go. since
// is when the call was first tried, so that retries share one MaxWait.
func (l *limiter) wait(ctx context.Context, chatID int64, since time.Time) (*permit, error) {
	c, err := l.join(ctx, chatID, since)
	if err != nil {
		return nil, err
	}
	return l.await(ctx, c, chatID, since)
}

// join queues a call for chatID's turn and waits for it: it fails at once
// when the call's turn would come past its bound. It returns the chat's
// state (nil without a chat), its turn held.
func (l *limiter) join(ctx context.Context, chatID int64, since time.Time) (*chatState, error) {
	l.mu.Lock()
	now := l.clock.now()
	l.sweep(now)
	var c *chatState
	if chatID != 0 {
		c = l.chat(chatID)
		c.users++
	}
	l.queue(1)
	if err := l.check(ctx, chatID, since, now, now.Add(l.estimate(c, now))); err != nil {
		l.leave(c, false)
		l.mu.Unlock()
		return nil, err
	}
	l.mu.Unlock()
	if c == nil {
		return nil, nil
	}
	select {
	case c.turn <- struct{}{}:
		return c, nil
	case <-ctx.Done():
		l.mu.Lock()
		l.leave(c, false)
		l.mu.Unlock()
		return nil, fmt.Errorf("chat %d: waiting for a turn to send: %w", chatID, ctx.Err())
	}
}

// await waits, the chat's turn held, for the chat's bucket and then the
// bot's, and lets the call through.
func (l *limiter) await(ctx context.Context, c *chatState, chatID int64, since time.Time) (*permit, error) {
	fail := func(err error) (*permit, error) {
		l.leave(c, true)
		l.mu.Unlock()
		return nil, err
	}
	for {
		l.mu.Lock()
		now := l.clock.now()
		// First the chat: its hold, its bucket. Only the caller holding
		// the turn changes them, so the time found stays true.
		at := later(now, l.hold)
		if c != nil {
			at = later(at, c.hold, c.pace.next(c.tat, now))
		}
		if at.After(now) {
			if err := l.check(ctx, chatID, since, now, at); err != nil {
				return fail(err)
			}
			l.mu.Unlock()
			if err := l.clock.sleep(ctx, at.Sub(now)); err != nil {
				l.mu.Lock()
				return fail(fmt.Errorf("chat %d: waiting for a turn to send: %w", chatID, err))
			}
			continue
		}
		// Then the bot as a whole: take the next global slot, in the
		// order callers come to it.
		wait, err := l.globalSlot(ctx, chatID, since, now)
		if err != nil {
			return fail(err)
		}
		if wait > 0 {
			l.mu.Unlock()
			if err := l.clock.sleep(ctx, wait); err != nil {
				l.mu.Lock()
				return fail(fmt.Errorf("chat %d: waiting for a turn to send: %w", chatID, err))
			}
			l.mu.Lock()
		}
		// l.mu was let go (the sleep, or the shared bucket's answer): a
		// global 429 may have come meanwhile, and then the slot is lost.
		if now = l.clock.now(); l.hold.After(now) {
			l.mu.Unlock()
			continue
		}
		return l.let(c, chatID, now), nil
	}
}

// globalSlot takes the bot's next global slot — from the shared bucket
// when there is one that answers, else from this process's own — and
// returns how long until it comes. l.mu is held; it is given up while the
// shared bucket is asked.
//
// The shared bucket gets sharedWait to answer; when it fails, this call
// keeps to the process's own bucket. Backing off a shared bucket that is
// down is the bucket's business (internal/redisstore answers at once
// while Redis is taken to be down).
func (l *limiter) globalSlot(ctx context.Context, chatID int64, since, now time.Time) (time.Duration, error) {
	if l.shared != nil {
		bound := l.bound(ctx, since, now)
		l.mu.Unlock()
		rctx, cancel := context.WithTimeout(ctx, sharedWait)
		wait, ok, err := l.shared.Reserve(rctx, l.global.interval, l.global.slack, bound)
		cancel()
		l.mu.Lock()
		switch {
		case err == nil:
			l.sharedFailing = false
			if ok {
				return wait, nil
			}
			return 0, &throttledError{chatID: chatID, wait: wait, bound: max(bound, 0)}
		case ctx.Err() != nil:
			return 0, fmt.Errorf("chat %d: waiting for a turn to send: %w", chatID, ctx.Err())
		case !l.sharedFailing:
			l.sharedFailing = true
			l.sharedFailed(err)
		}
		now = l.clock.now()
	}
	g := l.global.next(l.globalTAT, now)
	if g.After(now) {
		if err := l.check(ctx, chatID, since, now, g); err != nil {
			return 0, err
		}
	}
	l.globalTAT = l.global.take(l.globalTAT, g)
	return g.Sub(now), nil
}

// let lets a call through at now, taking the chat's token; l.mu is held,
// and let gives it back.
func (l *limiter) let(c *chatState, chatID int64, now time.Time) *permit {
	if c != nil {
		c.tat = c.pace.take(c.tat, now)
	}
	l.queue(-1)
	l.mu.Unlock()
	return &permit{l: l, chatID: chatID, c: c, sent: now}
}

// sharedWait bounds asking the shared bucket for a slot.
const sharedWait = 200 * time.Millisecond

// done records the call's answer — retryAfter > 0 for a 429 — and gives
// the chat's turn to the next call.
func (p *permit) done(retryAfter time.Duration) {
	l := p.l
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.now()
	if c := p.c; c != nil && now.After(p.sent) {
		// Charge the chat as of now: no refill while the call was out.
		c.tat = c.tat.Add(now.Sub(p.sent))
	}
	if retryAfter > 0 {
		until := now.Add(retryAfter)
		if p.c == nil || l.held.chatID != p.chatID && l.held.until.After(now) {
			// No chat to blame, or a second chat refused while another
			// is still held: it is the bot's own limit.
			l.hold = later(l.hold, until)
		}
		if p.c != nil {
			p.c.hold = later(p.c.hold, until)
			l.held.chatID, l.held.until = p.chatID, until
		}
	}
	if p.c != nil {
		<-p.c.turn
		p.c.users--
	}
}

// leave takes a caller that gives up out of the queue. l.mu is held.
func (l *limiter) leave(c *chatState, hasTurn bool) {
	l.queue(-1)
	if c == nil {
		return
	}
	if hasTurn {
		<-c.turn
	}
	c.users--
}

// chat returns the state of chatID, made on first use. l.mu is held.
func (l *limiter) chat(chatID int64) *chatState {
	c := l.chats[chatID]
	if c == nil {
		p := l.private
		if chatID < 0 {
			p = l.group
		}
		c = &chatState{pace: p, turn: make(chan struct{}, 1)}
		l.chats[chatID] = c
	}
	return c
}

// estimate is a lower bound of how long a caller coming now waits: the
// calls ahead of it to the same chat go one per interval once the burst is
// spent, and the global slots taken already go first. l.mu is held.
func (l *limiter) estimate(c *chatState, now time.Time) time.Duration {
	at := later(now, l.hold, l.global.next(l.globalTAT, now))
	if c != nil {
		ahead := time.Duration(c.users - 1)
		at = later(at, c.hold, c.pace.next(later(c.tat, now).Add(ahead*c.pace.interval), now))
	}
	return at.Sub(now)
}

// bound is how long from now a caller that first tried at since may still
// wait: up to MaxWait in all, and not past its context's deadline.
func (l *limiter) bound(ctx context.Context, since, now time.Time) time.Duration {
	bound := l.limits.MaxWait - now.Sub(since)
	if dl, ok := ctx.Deadline(); ok {
		bound = min(bound, time.Until(dl))
	}
	return bound
}

// check fails a caller whose turn would come at at, past its bound.
func (l *limiter) check(ctx context.Context, chatID int64, since, now, at time.Time) error {
	wait := at.Sub(now)
	bound := l.bound(ctx, since, now)
	if wait > bound {
		return &throttledError{chatID: chatID, wait: wait, bound: max(bound, 0)}
	}
	return nil
}

// sweep forgets the chats that are as good as new: bucket full, no hold,
// nobody waiting. It runs when the map has doubled or a minute passed, so
// its cost is spread thin. l.mu is held.
func (l *limiter) sweep(now time.Time) {
	if len(l.chats) < l.sweepAt && now.Sub(l.swept) < time.Minute {
		return
	}
	for id, c := range l.chats {
		if c.users == 0 && !c.tat.After(now) && !c.hold.After(now) {
			delete(l.chats, id)
		}
	}
	l.sweepAt = max(minSweep, 2*len(l.chats))
	l.swept = now
}

// later returns the latest of its times.
func later(t time.Time, ts ...time.Time) time.Time {
	for _, u := range ts {
		if u.After(t) {
			t = u
		}
	}
	return t
}
