package delivery

import (
	"sort"
	"sync"
)

// offsets tracks which fetched updates are still being handled, so that the
// offset confirmed to Telegram never passes an update that was not handled.
type offsets struct {
	mu       sync.Mutex
	next     int          // the offset to confirm: every update below it is handled
	inflight map[int]bool // fetched, not yet handled
	done     map[int]bool // handled, but above an unhandled one
	changed  chan struct{}
}

func newOffsets() *offsets {
	return &offsets{inflight: map[int]bool{}, done: map[int]bool{}, changed: make(chan struct{}, 1)}
}

// take reports whether a fetched update is new and marks it in flight.
func (o *offsets) take(id int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if id < o.next || o.inflight[id] || o.done[id] {
		return false
	}
	o.inflight[id] = true
	return true
}

// finish marks an update handled and advances the offset past every
// handled update that has no unhandled one before it.
func (o *offsets) finish(id int) {
	o.mu.Lock()
	delete(o.inflight, id)
	o.done[id] = true
	low := -1
	for f := range o.inflight {
		if low == -1 || f < low {
			low = f
		}
	}
	var ids []int
	for d := range o.done {
		if low == -1 || d < low {
			ids = append(ids, d)
		}
	}
	sort.Ints(ids)
	for _, d := range ids {
		delete(o.done, d)
		if d+1 > o.next {
			o.next = d + 1
		}
	}
	o.mu.Unlock()
	select {
	case o.changed <- struct{}{}:
	default:
	}
}

func (o *offsets) confirmed() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.next
}

func (o *offsets) pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.inflight)
}
