package telegram

import (
	"context"
	"sync"
	"testing"
	"time"
)

// freePace is a shared bucket that always has a token at once.
type freePace struct{}

func (freePace) Reserve(context.Context, time.Duration, time.Duration, time.Duration) (time.Duration, bool, error) {
	return 0, true, nil
}

// holdDuring is the shared bucket, with something happening while it is
// asked for the first time.
type holdDuring struct {
	SharedPace
	once   sync.Once
	during func()
}

func (h *holdDuring) Reserve(ctx context.Context, interval, slack, maxWait time.Duration) (time.Duration, bool, error) {
	h.once.Do(h.during)
	return h.SharedPace.Reserve(ctx, interval, slack, maxWait)
}

// A global 429 that comes while the shared bucket is asked holds the call
// that asked, even when the bucket's slot is free at once.
func TestAHoldThatComesWhileTheSharedBucketIsAskedIsKept(t *testing.T) {
	t.Parallel()
	l := newLimiter(Limits{PerSecond: 1000, Burst: 1000}, realClock())
	var until time.Time
	l.shared = &holdDuring{SharedPace: freePace{}, during: func() {
		l.mu.Lock()
		until = time.Now().Add(300 * time.Millisecond)
		l.hold = until // as a 429 for the whole bot would
		l.mu.Unlock()
	}}
	p, err := l.wait(context.Background(), 42, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p.done(0)
	if p.sent.Before(until) {
		t.Errorf("the call went at %v, %v before the hold that came meanwhile ended", p.sent.Format("15:04:05.000"), until.Sub(p.sent))
	}
}
