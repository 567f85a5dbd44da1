package telegramtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"
)

// queued is one update waiting to be confirmed (polling) or delivered
// (webhook).
type queued struct {
	id      int
	kind    string // "message", "callback_query", …
	chatID  int64  // 0 when unknown; updates of one chat go out in order
	payload []byte // the Update object, encoded once

	// Webhook delivery state, guarded by updateQueue.mu.
	inflight  bool
	attempts  int
	notBefore time.Time
	done      bool
}

// recentUpdates bounds how many past updates Redeliver can find.
const recentUpdates = 10000

// updateQueue holds the bot's pending updates. One mutex guards it and the
// webhook settings, so "is a webhook set?" and "what is pending?" are always
// answered together.
type updateQueue struct {
	mu      sync.Mutex
	nextID  int
	entries []*queued // ascending ids; done entries are skipped
	pending int       // entries not done
	again   []*queued // redeliveries: sent once more whatever the offset
	changed chan struct{}
	allowed map[string]bool // nil: Telegram's default set
	dup     int             // each new update is delivered this many times

	recent     map[int]*queued
	recentRing []int
	recentNext int

	poll chan struct{} // closed to end the running long poll
	hook *webhook
}

func (q *updateQueue) init(firstID int) {
	q.nextID = firstID
	q.changed = make(chan struct{})
	q.dup = 1
	q.recent = map[int]*queued{}
	q.recentRing = make([]int, 0, recentUpdates)
}

// signal wakes long polls and the webhook dispatcher. q.mu must be held.
func (q *updateQueue) signal() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// allows applies allowed_updates; by default Telegram leaves out chat_member
// and reaction updates. q.mu must be held.
func (q *updateQueue) allows(kind string) bool {
	if q.allowed != nil {
		return q.allowed[kind]
	}
	switch kind {
	case "chat_member", "message_reaction", "message_reaction_count":
		return false
	}
	return true
}

// enqueue adds an update; build gets the new update_id and returns the
// Update object. It returns the id, or 0 when allowed_updates filters the
// kind out (Telegram then never creates the update).
func (q *updateQueue) enqueue(kind string, chatID int64, build func(id int) any) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.allows(kind) {
		return 0
	}
	id := q.nextID
	q.nextID++
	payload, err := json.Marshal(build(id))
	if err != nil {
		panic(fmt.Sprintf("telegramtest: encode update: %v", err))
	}
	e := &queued{id: id, kind: kind, chatID: chatID, payload: payload}
	q.entries = append(q.entries, e)
	q.pending++
	q.remember(e)
	for i := 1; i < q.dup; i++ {
		q.again = append(q.again, &queued{id: id, kind: kind, chatID: chatID, payload: payload})
	}
	q.signal()
	return id
}

func (q *updateQueue) remember(e *queued) {
	if len(q.recentRing) < recentUpdates {
		q.recentRing = append(q.recentRing, e.id)
	} else {
		delete(q.recent, q.recentRing[q.recentNext])
		q.recentRing[q.recentNext] = e.id
		q.recentNext = (q.recentNext + 1) % recentUpdates
	}
	q.recent[e.id] = e
}

// markDone forgets a confirmed or delivered update. q.mu must be held.
func (q *updateQueue) markDone(e *queued) {
	if !e.done {
		e.done = true
		q.pending--
	}
	for len(q.entries) > 0 && q.entries[0].done {
		q.entries[0] = nil
		q.entries = q.entries[1:]
	}
}

// confirm applies getUpdates' offset: updates below a positive offset are
// confirmed; a negative offset keeps only the last -offset updates. q.mu must
// be held.
func (q *updateQueue) confirm(offset int) {
	switch {
	case offset > 0:
		// markDone keeps the head of entries not done.
		for len(q.entries) > 0 && q.entries[0].id < offset {
			q.markDone(q.entries[0])
		}
	case offset < 0:
		keep := -offset
		list := slices.Clone(q.entries) // markDone reslices q.entries
		for i := len(list) - 1; i >= 0; i-- {
			e := list[i]
			if e.done {
				continue
			}
			if keep > 0 {
				keep--
				continue
			}
			q.markDone(e)
		}
	}
}

// take returns up to limit updates for a poll: redeliveries first, then the
// pending updates from the oldest. q.mu must be held.
func (q *updateQueue) take(limit int) [][]byte {
	var out [][]byte
	for len(q.again) > 0 && len(out) < limit {
		out = append(out, q.again[0].payload)
		q.again[0] = nil
		q.again = q.again[1:]
	}
	for _, e := range q.entries {
		if len(out) >= limit {
			break
		}
		if !e.done {
			out = append(out, e.payload)
		}
	}
	return out
}

// dropPending forgets every pending update (drop_pending_updates). q.mu must
// be held.
func (q *updateQueue) dropPending() {
	for _, e := range slices.Clone(q.entries) { // markDone reslices q.entries
		if !e.done && !e.inflight {
			q.markDone(e)
		}
	}
	q.again = nil
}

var (
	errWebhookActive = &apiError{code: 409, violation: true,
		description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
	errTerminated = expected(409,
		"Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
)

func (s *Server) getUpdates(r *request) (any, *apiError) {
	offset, _ := strconv.Atoi(r.params["offset"])
	limit, _ := strconv.Atoi(r.params["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100 // Telegram clamps rather than refuses
	}
	timeout, _ := strconv.Atoi(r.params["timeout"])
	timeout = max(timeout, 0)

	q := &s.updates
	q.mu.Lock()
	if q.hook != nil {
		q.mu.Unlock()
		return nil, errWebhookActive
	}
	if v, ok := r.json["allowed_updates"]; ok {
		q.allowed = allowedSet(v)
	}
	if q.poll != nil {
		close(q.poll) // a newer poll ends the older one, as Telegram does
	}
	mine := make(chan struct{})
	q.poll = mine
	q.confirm(offset)
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		if q.poll == mine {
			q.poll = nil
		}
		q.mu.Unlock()
	}()

	var deadline <-chan time.Time
	for {
		q.mu.Lock()
		if q.hook != nil {
			q.mu.Unlock()
			return nil, errWebhookActive
		}
		batch := q.take(limit)
		wake := q.changed
		q.mu.Unlock()
		if len(batch) > 0 || timeout == 0 {
			return joinJSON(batch), nil
		}
		if deadline == nil {
			t := time.NewTimer(time.Duration(timeout) * time.Second)
			defer t.Stop()
			deadline = t.C
		}
		select {
		case <-wake:
		case <-deadline:
			return joinJSON(nil), nil
		case <-mine:
			return nil, errTerminated
		case <-r.ctx.Done():
			return joinJSON(nil), nil
		case <-s.done:
			return joinJSON(nil), nil
		}
	}
}

// allowedSet turns a decoded allowed_updates list into a set; an empty list
// means Telegram's default.
func allowedSet(v any) map[string]bool {
	list, _ := v.([]any)
	if len(list) == 0 {
		return nil
	}
	set := map[string]bool{}
	for _, x := range list {
		if s, ok := x.(string); ok {
			set[s] = true
		}
	}
	return set
}

func joinJSON(items [][]byte) json.RawMessage {
	return json.RawMessage(append(append([]byte{'['}, bytes.Join(items, []byte{','})...), ']'))
}

// Redeliver sends a recent update again with the same update_id, the way
// Telegram does when it is not sure the bot got it: in the next getUpdates
// reply whatever its offset, or in one more webhook request.
func (s *Server) Redeliver(updateID int) error {
	q := &s.updates
	q.mu.Lock()
	defer q.mu.Unlock()
	e := q.recent[updateID]
	if e == nil {
		return fmt.Errorf("telegramtest: no recent update %d", updateID)
	}
	q.again = append(q.again, &queued{id: e.id, kind: e.kind, chatID: e.chatID, payload: e.payload})
	q.signal()
	return nil
}

// SetDuplicates makes every update created from now on be delivered n times
// (n ≥ 1), to check that the bot handles each update_id once.
func (s *Server) SetDuplicates(n int) {
	q := &s.updates
	q.mu.Lock()
	q.dup = max(n, 1)
	q.mu.Unlock()
}

// PendingUpdates is the number of updates not yet confirmed or delivered.
func (s *Server) PendingUpdates() int {
	q := &s.updates
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.pending + len(q.again)
}

// InjectUpdate queues a raw Update object, such as {"message": {...}} or
// {"my_chat_member": {...}}, for updates the simulated users cannot make.
// The server sets update_id and returns it.
func (s *Server) InjectUpdate(update json.RawMessage) (int, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(update, &obj); err != nil {
		return 0, fmt.Errorf("telegramtest: inject update: %w", err)
	}
	delete(obj, "update_id")
	var kind string
	for k := range obj {
		kind = k
	}
	if len(obj) != 1 {
		return 0, errors.New("telegramtest: inject update: want exactly one field besides update_id")
	}
	var probe struct {
		Chat *struct {
			ID int64 `json:"id"`
		} `json:"chat"`
		Message *struct {
			Chat struct {
				ID int64 `json:"id"`
			} `json:"chat"`
		} `json:"message"`
		From *struct {
			ID int64 `json:"id"`
		} `json:"from"`
	}
	_ = json.Unmarshal(obj[kind], &probe)
	var chatID int64
	switch {
	case probe.Chat != nil:
		chatID = probe.Chat.ID
	case probe.Message != nil:
		chatID = probe.Message.Chat.ID
	case probe.From != nil:
		chatID = probe.From.ID
	}
	id := s.updates.enqueue(kind, chatID, func(id int) any {
		out := map[string]json.RawMessage{kind: obj[kind], "update_id": json.RawMessage(strconv.Itoa(id))}
		return out
	})
	return id, nil
}

// sortedAllowed lists an allowed_updates set for getWebhookInfo.
func sortedAllowed(set map[string]bool) []string {
	return slices.Sorted(maps.Keys(set))
}
