package orders_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"villagebot/orders"
)

func (f *fixture) notice(chatID int64) int64 {
	f.tb.Helper()
	var id int64
	if err := f.db.GetContext(f.ctx, &id, `INSERT INTO outbox (chat_id, kind, payload) VALUES ($1, 'status', '{"order": 1001}') RETURNING id`, chatID); err != nil {
		f.tb.Fatal(err)
	}
	return id
}

func (f *fixture) claim(limit int) []orders.Notification {
	f.tb.Helper()
	ns, err := f.store.ClaimNotifications(f.ctx, limit)
	if err != nil {
		f.tb.Fatal(err)
	}
	return ns
}

func TestClaimNotificationsConcurrentlyNeverHandsARowOutTwice(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const rows = 300
	f.exec(`INSERT INTO outbox (chat_id, kind, payload)
	        SELECT 1000 + g, 'status', jsonb_build_object('order', g) FROM generate_series(1, $1) g`, rows)

	const workers = 4
	claimed := make([][]orders.Notification, workers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range workers {
		wg.Go(func() {
			<-start
			for {
				ns, err := f.store.ClaimNotifications(f.ctx, 7)
				if err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
				if len(ns) == 0 {
					return
				}
				claimed[w] = append(claimed[w], ns...)
			}
		})
	}
	close(start)
	wg.Wait()

	seen := map[int64]int{}
	for w, ns := range claimed {
		for _, n := range ns {
			if seen[n.ID] != 0 {
				t.Errorf("row %d claimed by workers %d and %d", n.ID, seen[n.ID]-1, w)
			}
			seen[n.ID] = w + 1
			if n.Attempts != 1 || n.ChatID != 1000+n.ID || n.Kind != "status" || string(n.Payload) != fmt.Sprintf(`{"order": %d}`, n.ID) {
				t.Errorf("row %d = %+v (payload %s)", n.ID, n, n.Payload)
			}
		}
	}
	if len(seen) != rows {
		t.Errorf("%d rows claimed, want %d", len(seen), rows)
	}
	t.Logf("claimed per worker: %d %d %d %d", len(claimed[0]), len(claimed[1]), len(claimed[2]), len(claimed[3]))
}

func TestOutboxSentFailedAndRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sent, flaky, blocked := f.notice(1), f.notice(2), f.notice(3)

	ns := f.claim(2)
	if len(ns) != 2 || ns[0].ID != sent || ns[1].ID != flaky {
		t.Fatalf("first claim = %+v, want the two oldest", ns)
	}
	if ns := f.claim(10); len(ns) != 1 || ns[0].ID != blocked {
		t.Fatalf("second claim = %+v, want the third", ns)
	}
	if ns := f.claim(10); len(ns) != 0 {
		t.Fatalf("leased rows claimed again: %+v", ns)
	}

	if err := f.store.MarkSent(f.ctx, sent); err != nil {
		t.Fatal(err)
	}
	if err := f.store.MarkSent(f.ctx, sent); err != nil {
		t.Errorf("MarkSent() again = %v", err)
	}
	if err := f.store.MarkSent(f.ctx, 999999); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("MarkSent(unknown) = %v, want ErrNotFound", err)
	}
	if err := f.store.MarkFailed(f.ctx, 999999, errors.New("x"), false); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("MarkFailed(unknown) = %v, want ErrNotFound", err)
	}

	// 403: given up at once, the error kept without the bot token.
	err403 := errors.New(`Post "https://api.telegram.org/bot123456:AAE-secret_Token/sendMessage": Forbidden: bot was blocked by the user`)
	if err := f.store.MarkFailed(f.ctx, blocked, err403, true); err != nil {
		t.Fatal(err)
	}
	var lastError string
	if err := f.db.GetContext(f.ctx, &lastError, `SELECT last_error FROM outbox WHERE id = $1 AND failed_at IS NOT NULL`, blocked); err != nil {
		t.Fatalf("blocked row not given up: %v", err)
	}
	if strings.Contains(lastError, "secret") || !strings.Contains(lastError, "bot was blocked") {
		t.Errorf("last_error = %q", lastError)
	}

	// A transient failure is retried after a growing pause, and given up
	// at the last attempt.
	for attempt := 1; attempt <= orders.MaxAttempts; attempt++ {
		if err := f.store.MarkFailed(f.ctx, flaky, errors.New("timeout"), false); err != nil {
			t.Fatal(err)
		}
		if attempt == orders.MaxAttempts {
			break
		}
		pause := 30 * time.Second << (attempt - 1)
		f.clock.Add(pause - time.Second)
		if ns := f.claim(10); len(ns) != 0 {
			t.Fatalf("attempt %d: claimed %+v before the pause of %v ended", attempt, ns, pause)
		}
		f.clock.Add(time.Second)
		ns := f.claim(10)
		if len(ns) != 1 || ns[0].ID != flaky || ns[0].Attempts != attempt+1 {
			t.Fatalf("attempt %d: claim = %+v, want the flaky row at attempt %d", attempt, ns, attempt+1)
		}
	}
	if n := f.count(`SELECT count(*) FROM outbox WHERE id = $1 AND failed_at IS NOT NULL AND attempts = $2 AND last_error = 'timeout'`, flaky, orders.MaxAttempts); n != 1 {
		t.Errorf("flaky row not given up after %d attempts", orders.MaxAttempts)
	}

	// A sender that vanished: its lease runs out and the row is due again.
	lost := f.notice(4)
	if ns := f.claim(10); len(ns) != 1 || ns[0].ID != lost || ns[0].Attempts != 1 {
		t.Fatalf("claim = %+v, want the new row", ns)
	}
	f.clock.Add(5*time.Minute - time.Second)
	if ns := f.claim(10); len(ns) != 0 {
		t.Fatalf("claimed during the lease: %+v", ns)
	}
	f.clock.Add(time.Second)
	ns = f.claim(10)
	if len(ns) != 1 || ns[0].ID != lost || ns[0].Attempts != 2 {
		t.Fatalf("after the lease: %+v, want only the lost row, at attempt 2", ns)
	}
	if err := f.store.MarkSent(f.ctx, lost); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(24 * time.Hour)
	if ns := f.claim(10); len(ns) != 0 {
		t.Errorf("sent or failed rows claimed: %+v", ns)
	}
	if _, err := f.store.ClaimNotifications(f.ctx, 0); !errors.Is(err, orders.ErrInvalid) {
		t.Errorf("ClaimNotifications(0) = %v, want ErrInvalid", err)
	}
}
