package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"villagebot/bot/telegramtest"
)

// A fleet is a set of simulated users on one server. Their waits are
// event-driven: one srv.Watch goroutine hands each bot event to the user
// whose chat it is in (an array lookup), records the latency of the first
// reply to the user's latest action, and wakes that user's goroutine. No
// user goroutine polls or copies the chat; waiting costs nothing.
type fleet struct {
	srv  *telegramtest.Server
	base int64 // user ids are base+1 … base+len(users)
	lang func(i int) string

	mu    sync.RWMutex
	users []*vuser

	rec *recorder
}

func newFleet(srv *telegramtest.Server, base int64, rec *recorder) *fleet {
	return &fleet{srv: srv, base: base, rec: rec}
}

// watch starts routing the server's events to the fleet's users.
func (f *fleet) watch() (stop func()) { return f.srv.Watch(f.event) }

// add makes user number i (from 0) of the fleet.
func (f *fleet) add(i int, seed uint64, think time.Duration) *vuser {
	id := f.base + int64(i) + 1
	lang := "en"
	if f.lang != nil {
		lang = f.lang(i)
	}
	u := &vuser{
		f:     f,
		id:    id,
		tg:    f.srv.AddUser(telegramtest.UserConfig{ID: id, FirstName: fmt.Sprintf("Guest%d", i+1), LanguageCode: lang, Started: true}),
		rng:   rand.New(rand.NewPCG(seed, uint64(id))),
		wake:  make(chan struct{}, 1),
		think: think,
	}
	f.mu.Lock()
	for len(f.users) <= i {
		f.users = append(f.users, nil)
	}
	f.users[i] = u
	f.mu.Unlock()
	return u
}

func (f *fleet) user(chatID int64) *vuser {
	i := chatID - f.base - 1
	f.mu.RLock()
	defer f.mu.RUnlock()
	if i < 0 || i >= int64(len(f.users)) {
		return nil
	}
	return f.users[i]
}

// event is the Watch callback; it runs on the watcher's one goroutine.
func (f *fleet) event(ev telegramtest.Event) {
	if ev.Kind == telegramtest.UserMessage {
		return
	}
	u := f.user(ev.ChatID)
	if u == nil {
		return
	}
	now := time.Now()
	if ev.Kind == telegramtest.MessageSent && !ev.Message.Date.IsZero() {
		f.rec.lag(now.Sub(ev.Message.Date))
	}
	u.mu.Lock()
	if u.waitingFirst {
		u.waitingFirst = false
		f.rec.reply(u.step, u.actAt, now)
	}
	u.events = append(u.events, timedEvent{ev, now})
	switch ev.Kind {
	case telegramtest.MessageSent, telegramtest.MessageEdited:
		if len(ev.Message.InlineKeyboard) > 0 {
			u.screen = ev.Message
		} else if ev.Message.ID == u.screen.ID {
			u.screen = telegramtest.Message{}
		}
	case telegramtest.MessageDeleted:
		if ev.Message.ID == u.screen.ID {
			u.screen = telegramtest.Message{}
		}
	}
	u.mu.Unlock()
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// censor records, for every user still waiting for the bot's first reply
// when the measured time ended, the time waited so far: an update the bot
// sits on must weigh in the percentiles, not drop out of them.
func (f *fleet) censor(end time.Time) {
	f.mu.RLock()
	users := f.users
	f.mu.RUnlock()
	for _, u := range users {
		u.mu.Lock()
		if u.waitingFirst {
			u.waitingFirst = false
			f.rec.unanswered(u.step, u.actAt, end)
		}
		u.mu.Unlock()
	}
}

// vuser is one simulated user: a goroutine that acts, then waits for the
// bot's answer on its wake channel.
type vuser struct {
	f     *fleet
	id    int64
	tg    *telegramtest.User
	rng   *rand.Rand
	wake  chan struct{}
	think time.Duration // mean time between actions; 0: none
	next  time.Time     // when the next action is due

	mu           sync.Mutex
	step         string               // what the latest action was
	actAt        time.Time            // when the latest action was made
	waitingFirst bool                 // no bot event since it yet
	events       []timedEvent         // bot events since it
	screen       telegramtest.Message // the newest bot message with inline buttons
}

var (
	errTimeout  = errors.New("no reply in time")
	errNoButton = errors.New("no such button on the screen")
)

// stepError names the step of a journey that failed.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// pace waits until the next action is due: think on average, from 0.5 to
// 1.5 times it, after the previous one was due. A user that fell behind
// acts at once but does not try to catch up.
func (u *vuser) pace(ctx context.Context) error {
	if u.think <= 0 {
		return ctx.Err()
	}
	now := time.Now()
	if u.next.IsZero() {
		u.next = now.Add(time.Duration(u.rng.Float64() * float64(u.think)))
	}
	if d := u.next.Sub(now); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	} else if d < -u.think {
		u.next = now
	}
	u.next = u.next.Add(time.Duration((0.5 + u.rng.Float64()) * float64(u.think)))
	return nil
}

// act makes one update, the journey's step: it notes the time and forgets
// the events of the previous action, then runs do (a Send or a Press).
func (u *vuser) act(ctx context.Context, step string, do func()) error {
	if err := u.pace(ctx); err != nil {
		return err
	}
	u.f.rec.acted()
	u.mu.Lock()
	u.events = u.events[:0]
	u.step = step
	u.actAt = time.Now()
	u.waitingFirst = true
	u.mu.Unlock()
	do()
	return nil
}

// await waits for a bot event since the action that done accepts, and
// records the time from the action to it: the step's completion.
func (u *vuser) await(ctx context.Context, done func(telegramtest.Event) bool) error {
	timer := time.NewTimer(u.f.rec.timeout)
	defer timer.Stop()
	for {
		u.mu.Lock()
		for _, ev := range u.events {
			if done(ev.Event) {
				step, at := u.step, u.actAt
				u.mu.Unlock()
				u.f.rec.complete(step, at, ev.at)
				return nil
			}
		}
		u.mu.Unlock()
		select {
		case <-u.wake:
		case <-timer.C:
			return errTimeout
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// timedEvent is a bot event and when the watcher saw it.
type timedEvent struct {
	telegramtest.Event
	at time.Time
}

// send sends text and waits for a bot message that want accepts.
func (u *vuser) send(ctx context.Context, step, text string, want func(telegramtest.Message) bool) error {
	if err := u.act(ctx, step, func() { u.tg.Send(text) }); err != nil {
		return err
	}
	err := u.await(ctx, func(ev telegramtest.Event) bool {
		return (ev.Kind == telegramtest.MessageSent || ev.Kind == telegramtest.MessageEdited) && want(ev.Message)
	})
	if err != nil {
		return &stepError{step, err}
	}
	return nil
}

// press presses a button of the kind given (callback data "kind" or
// "kind:…") on the current screen, a random one when there are several.
func (u *vuser) press(ctx context.Context, kind string) error {
	u.mu.Lock()
	scr := u.screen
	u.mu.Unlock()
	var choices []string
	for _, row := range scr.InlineKeyboard {
		for _, b := range row {
			if isKind(b.CallbackData, kind) {
				choices = append(choices, b.CallbackData)
			}
		}
	}
	step := buttonNames[kind]
	if step == "" {
		step = "press " + kind
	}
	if len(choices) == 0 {
		return &stepError{step, errNoButton}
	}
	return u.click(ctx, step, scr.ID, choices[u.rng.IntN(len(choices))])
}

// click presses the button with data on message msgID and waits for the
// bot to answer the callback query, which it does last.
func (u *vuser) click(ctx context.Context, step string, msgID int, data string) error {
	var qid string
	var perr error
	if err := u.act(ctx, step, func() { qid, perr = u.tg.PressData(msgID, data) }); err != nil {
		return err
	}
	if perr != nil {
		return &stepError{step, perr}
	}
	err := u.await(ctx, func(ev telegramtest.Event) bool {
		return ev.Kind == telegramtest.CallbackAnswered && ev.Answer.QueryID == qid
	})
	if err != nil {
		return &stepError{step, err}
	}
	return nil
}

// screenHas reports whether the current screen has a button of kind.
func (u *vuser) screenHas(kind string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return hasButton(u.screen, kind)
}

func isKind(data, kind string) bool {
	return data == kind || strings.HasPrefix(data, kind+":")
}

func hasButton(m telegramtest.Message, kind string) bool {
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if isKind(b.CallbackData, kind) {
				return true
			}
		}
	}
	return false
}

// buttonOf accepts a message with a button of kind.
func buttonOf(kind string) func(telegramtest.Message) bool {
	return func(m telegramtest.Message) bool { return hasButton(m, kind) }
}

// replyKeyboard accepts a message that brings up a reply keyboard.
func replyKeyboard(m telegramtest.Message) bool { return len(m.ReplyKeyboard) > 0 }

// anyMessage accepts any message.
func anyMessage(telegramtest.Message) bool { return true }

// recorder collects what a phase measured. Replies are recorded from the
// watcher goroutine, orders and errors from the users'.
type recorder struct {
	timeout time.Duration
	start   time.Time     // the measured window: from start …
	end     atomic.Int64  // … to end (unix ns), fixed when the phase ends
	limit   int64         // updates in the window that end it early; 0: none
	full    chan struct{} // closed when limit is reached
	counted atomic.Int64  // updates made in the window

	mu          sync.Mutex
	samples     []sample // first replies
	completions []sample // steps' ends
	lags        []time.Duration
	orders      []time.Time
	short       int
	errs        map[string]int
	done        map[string]int // journeys completed, by name
	fullOne     sync.Once
}

type sample struct {
	step string
	at   int64 // the action, unix ns
	lat  time.Duration
	open bool // no reply yet when the measured time ended: lat is a lower bound
}

// unanswered records an update without a reply when the measured time
// ended, with the time it waited until then.
func (r *recorder) unanswered(step string, at, end time.Time) {
	r.mu.Lock()
	r.samples = append(r.samples, sample{step: step, at: at.UnixNano(), lat: end.Sub(at), open: true})
	r.mu.Unlock()
}

// complete records the time from an action to the end of its step (the
// reply the user waited for: the answer to a button, the message asked
// for).
func (r *recorder) complete(step string, at, done time.Time) {
	r.mu.Lock()
	r.completions = append(r.completions, sample{step: step, at: at.UnixNano(), lat: done.Sub(at)})
	r.mu.Unlock()
}

func newRecorder(start time.Time, limit int, timeout time.Duration) *recorder {
	return &recorder{start: start, limit: int64(limit), full: make(chan struct{}), errs: map[string]int{}, done: map[string]int{}, timeout: timeout}
}

// acted counts an update made; the limit counts only those in the window.
func (r *recorder) acted() {
	if time.Now().Before(r.start) || r.end.Load() != 0 {
		return
	}
	if n := r.counted.Add(1); r.limit > 0 && n >= r.limit {
		r.fullOne.Do(func() { close(r.full) })
	}
}

func (r *recorder) reply(step string, at, now time.Time) {
	r.mu.Lock()
	r.samples = append(r.samples, sample{step: step, at: at.UnixNano(), lat: now.Sub(at)})
	r.mu.Unlock()
}

func (r *recorder) lag(d time.Duration) {
	r.mu.Lock()
	if len(r.lags) < 1_000_000 {
		r.lags = append(r.lags, d)
	}
	r.mu.Unlock()
}

func (r *recorder) order(placed bool) {
	r.mu.Lock()
	if placed {
		r.orders = append(r.orders, time.Now())
	} else {
		r.short++
	}
	r.mu.Unlock()
}

// completed counts a journey done from start to end (in any phase time).
func (r *recorder) completed(journey string) {
	r.mu.Lock()
	r.done[journey]++
	r.mu.Unlock()
}

// fail counts a journey that failed, by its step and cause. A journey cut
// short by the end of the phase is not a failure.
func (r *recorder) fail(err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	key := firstLine(err.Error())
	r.mu.Lock()
	r.errs[key]++
	r.mu.Unlock()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// close ends the measured window now, unless it ended before.
func (r *recorder) close(at time.Time) {
	r.end.CompareAndSwap(0, at.UnixNano())
}
