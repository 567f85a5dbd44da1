package redisstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/redis/go-redis/v9"

	"villagebot/internal/delivery"
	"villagebot/internal/redisstore"
	"villagebot/internal/redistest"
)

var (
	_ delivery.ChatLocker = (*redisstore.ChatLocker)(nil)
	_ delivery.ChatQueue  = (*redisstore.ChatQueue)(nil)
)

// newRedis is one more client of the test's Redis, as another process
// would have.
func newRedis(t *testing.T) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(redistest.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// Lockers of several processes contend for one chat: never two holders at
// once, and every attempt gets its turn; another chat is not held up.
func TestChatLockerExcludes(t *testing.T) {
	t.Parallel()
	_, prefix := redistest.New(t)
	const processes, rounds = 6, 25
	var inside, overlaps, entries atomic.Int32
	var wg sync.WaitGroup
	for range processes {
		l := redisstore.New(newRedis(t), prefix).ChatLocker(10 * time.Second)
		wg.Go(func() {
			for range rounds {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				unlock, err := l.Lock(ctx, 42)
				cancel()
				if err != nil {
					t.Error(err)
					return
				}
				if inside.Add(1) != 1 {
					overlaps.Add(1)
				}
				entries.Add(1)
				for range 50 {
					runtime.Gosched() // let the others try meanwhile
				}
				inside.Add(-1)
				unlock()
			}
		})
	}
	// Another chat's lock is free meanwhile.
	other := redisstore.New(newRedis(t), prefix).ChatLocker(10 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	unlock, err := other.Lock(ctx, 43)
	if err != nil {
		t.Fatalf("another chat's lock: %v", err)
	}
	unlock()
	wg.Wait()
	if n := overlaps.Load(); n != 0 {
		t.Errorf("%d times two held one chat's lock at once", n)
	}
	if n := entries.Load(); n != processes*rounds {
		t.Errorf("%d turns, want %d", n, processes*rounds)
	}
}

// A holder that died frees the lock when its TTL runs out; its late
// unlock does not free the next holder's lock, which only the next
// holder's own unlock does.
func TestChatLockerExpiryAndOwnership(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.New(t)
	ctx := context.Background()
	dead := redisstore.New(newRedis(t), prefix).ChatLocker(300 * time.Millisecond)
	alive := redisstore.New(newRedis(t), prefix).ChatLocker(10 * time.Second)

	unlockDead, err := dead.Lock(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	// While it lasts, nobody else gets it.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = alive.Lock(short, 7)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock of a held chat = %v, want context.DeadlineExceeded", err)
	}
	// The holder never gives it back: the TTL frees it.
	start := time.Now()
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	unlockAlive, err := alive.Lock(wait, 7)
	if err != nil {
		t.Fatalf("the lock of a dead holder was never freed: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v to get a lock whose TTL is 300ms", d)
	}

	unlockDead() // too late: not its lock any more
	if n := rdb.Exists(ctx, prefix+"chatlock:7").Val(); n != 1 {
		t.Fatal("the first holder's late unlock freed the second holder's lock")
	}
	short, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = dead.Lock(short, 7)
	cancel()
	if err == nil {
		t.Fatal("the lock was taken while its holder still held it")
	}
	unlockAlive()
	unlockAlive() // twice is harmless
	short, cancel = context.WithTimeout(ctx, time.Second)
	unlock, err := dead.Lock(short, 7)
	cancel()
	if err != nil {
		t.Fatalf("the lock was not free after its holder's unlock: %v", err)
	}
	unlock()
}

// A Lock whose SET was done but whose answer was lost as its context
// ended leaves no lock behind; else the chat would be held, by nobody,
// for the whole TTL.
func TestChatLockerGivesBackALockWhoseAnswerWasLost(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lossy := newRedis(t)
	lossy.AddHook(loseSetAnswer{cancel})
	l := redisstore.New(lossy, prefix).ChatLocker(time.Hour)
	if _, err := l.Lock(ctx, 9); err == nil {
		t.Fatal("Lock succeeded though its answer was lost")
	}
	waitFor(t, wait, "the lock given back", func() bool {
		return rdb.Exists(context.Background(), prefix+"chatlock:9").Val() == 0
	})
}

// loseSetAnswer is a Redis hook that runs SET commands, then ends the
// caller's context and reports that instead of the answer, as when the
// context ends while the answer is on its way.
type loseSetAnswer struct{ cancel context.CancelFunc }

func (loseSetAnswer) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h loseSetAnswer) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if cmd.Name() == "set" && err == nil {
			h.cancel()
			return ctx.Err()
		}
		return err
	}
}

func (loseSetAnswer) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// update is the JSON of a text message update, as Telegram sends it.
func update(id int, chat int64, text string) []byte {
	data, err := json.Marshal(tgbotapi.Update{UpdateID: id, Message: &tgbotapi.Message{
		MessageID: id, Chat: &tgbotapi.Chat{ID: chat, Type: "private"}, Text: text,
	}})
	if err != nil {
		panic(err)
	}
	return data
}

// The queue gives a chat's updates lowest update_id first whatever order
// they came in, keeps one copy of a redelivered update, removes it on
// Release, refuses a chat's backlog past its bound, and names a chat left
// without progress once per StaleAfter.
func TestChatQueue(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	q := redisstore.NewChatQueue(redisstore.New(rdb, prefix).ChatLocker(0))
	q.MaxPerChat = 3
	q.StaleAfter = 10 * time.Second
	q.Now = func() time.Time { return now }

	for _, id := range []int{12, 10, 11, 10} {
		if err := q.Push(ctx, 5, id, update(id, 5, "x")); err != nil {
			t.Fatalf("Push(%d): %v", id, err)
		}
	}
	if err := q.Push(ctx, 5, 13, update(13, 5, "x")); !errors.Is(err, delivery.ErrBacklog) {
		t.Errorf("Push past MaxPerChat = %v, want ErrBacklog", err)
	}
	// A copy need not be byte for byte the original: its update_id tells.
	if err := q.Push(ctx, 5, 12, update(12, 5, "x (copy)")); err != nil {
		t.Errorf("Push again of a waiting update when full = %v, want nil", err)
	}
	if err := q.Push(ctx, 6, 20, update(20, 6, "other chat")); err != nil {
		t.Fatal(err)
	}
	var got []int
	for {
		tk, ok, err := q.Take(ctx, 5)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if u := tk.Update; u.Message == nil || u.Message.Chat.ID != 5 || u.Message.Text != "x" {
			t.Fatalf("Take = %+v, not the update pushed first", u)
		}
		got = append(got, tk.Update.UpdateID)
		more, err := q.Release(ctx, tk)
		if err != nil {
			t.Fatal(err)
		}
		if want := len(got) < 3; more != want {
			t.Errorf("Release of update %d: more = %v, want %v", tk.Update.UpdateID, more, want)
		}
		if len(got) > 5 {
			break
		}
	}
	if want := []int{10, 11, 12}; !slices.Equal(got, want) {
		t.Errorf("chat 5 drained in order %v, want %v", got, want)
	}

	// Chat 6 was never drained: stale after StaleAfter, named once.
	if chats, err := q.Stale(ctx, 10); err != nil || len(chats) != 0 {
		t.Fatalf("Stale at once = %v, %v; want none", chats, err)
	}
	now = now.Add(11 * time.Second)
	if chats, err := q.Stale(ctx, 10); err != nil || !slices.Equal(chats, []int64{6}) {
		t.Fatalf("Stale later = %v, %v; want [6]", chats, err)
	}
	if chats, err := q.Stale(ctx, 10); err != nil || len(chats) != 0 {
		t.Fatalf("Stale right after = %v, %v; want none until StaleAfter passes again", chats, err)
	}
	// Progress restarts a chat's clock, and once drained the chat leaves
	// the index.
	if err := q.Push(ctx, 6, 21, update(21, 6, "x")); err != nil {
		t.Fatal(err)
	}
	tk, ok, err := q.Take(ctx, 6)
	if err != nil || !ok || tk.Update.UpdateID != 20 {
		t.Fatalf("Take(6) = %v, %v, %v", tk.Update.UpdateID, ok, err)
	}
	now = now.Add(11 * time.Second)
	if more, err := q.Release(ctx, tk); err != nil || !more {
		t.Fatalf("Release(20) = %v, %v; want more", more, err)
	}
	if chats, _ := q.Stale(ctx, 10); len(chats) != 0 {
		t.Errorf("Stale right after progress = %v, want none", chats)
	}
	if tk, ok, err = q.Take(ctx, 6); err != nil || !ok || tk.Update.UpdateID != 21 {
		t.Fatalf("Take(6) = %v, %v, %v", tk.Update.UpdateID, ok, err)
	}
	if more, err := q.Release(ctx, tk); err != nil || more {
		t.Fatalf("Release(21) = %v, %v; want no more", more, err)
	}
	if _, ok, _ := q.Take(ctx, 6); ok {
		t.Fatal("chat 6 still has an update")
	}
	now = now.Add(time.Minute)
	if chats, _ := q.Stale(ctx, 10); len(chats) != 0 {
		t.Errorf("Stale after every chat was drained = %v", chats)
	}
	if n := rdb.Exists(ctx, prefix+"chatlock:5", prefix+"chatlock:6").Val(); n != 0 {
		t.Errorf("%d chat locks left after the drains", n)
	}
}

// Take holds the chat's lock, the one RedisChatLocker takes, until
// Release: a Lock waits for it, and a Take waits for a Lock's. A Take of
// an empty queue takes no lock, and does not wait for one held.
func TestChatQueueTakeHoldsTheChatLock(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.New(t)
	ctx := context.Background()
	locks := redisstore.New(rdb, prefix).ChatLocker(10 * time.Second)
	q := redisstore.NewChatQueue(redisstore.New(newRedis(t), prefix).ChatLocker(10 * time.Second))
	short := func() context.Context {
		ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}

	if _, ok, err := q.Take(ctx, 8); err != nil || ok {
		t.Fatalf("Take of an empty queue = %v, %v; want none", ok, err)
	}
	if n := rdb.Exists(ctx, prefix+"chatlock:8").Val(); n != 0 {
		t.Fatal("Take of an empty queue left the chat locked")
	}
	if err := q.Push(ctx, 8, 1, update(1, 8, "x")); err != nil {
		t.Fatal(err)
	}
	tk, ok, err := q.Take(ctx, 8)
	if err != nil || !ok {
		t.Fatalf("Take = %v, %v", ok, err)
	}
	if _, err := locks.Lock(short(), 8); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock of a chat taken from its queue = %v, want context.DeadlineExceeded", err)
	}
	if _, err := q.Release(ctx, tk); err != nil {
		t.Fatal(err)
	}
	unlock, err := locks.Lock(short(), 8)
	if err != nil {
		t.Fatalf("Lock after Release: %v", err)
	}
	unlock()

	// Held by a Lock, here one that runs out: Take waits for it.
	dying := redisstore.New(newRedis(t), prefix).ChatLocker(300 * time.Millisecond)
	if _, err := dying.Lock(short(), 8); err != nil {
		t.Fatal(err)
	}
	if err := q.Push(ctx, 8, 2, update(2, 8, "x")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := q.Take(short(), 8); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Take of a locked chat = %v, want context.DeadlineExceeded", err)
	}
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if tk, ok, err = q.Take(wait, 8); err != nil || !ok || tk.Update.UpdateID != 2 {
		t.Fatalf("Take once the lock is free = %v, %v, %v", tk.Update.UpdateID, ok, err)
	}
	if _, err := q.Release(ctx, tk); err != nil {
		t.Fatal(err)
	}

	// Nothing waits: no lock is taken, and whoever holds it is no matter.
	unlock, err = locks.Lock(short(), 8)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, ok, err := q.Take(short(), 8); err != nil || ok {
		t.Fatalf("Take of an empty queue of a locked chat = %v, %v; want none at once", ok, err)
	}
}

// A Release whose lock ran out and was taken by another does not free the
// other's lock, yet removes its update; the other's Release frees it.
func TestChatQueueReleaseFreesOnlyItsOwnLock(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.New(t)
	ctx := context.Background()
	slow := redisstore.NewChatQueue(redisstore.New(newRedis(t), prefix).ChatLocker(200 * time.Millisecond))
	next := redisstore.NewChatQueue(redisstore.New(newRedis(t), prefix).ChatLocker(10 * time.Second))
	for id := range 2 {
		if err := slow.Push(ctx, 4, id+1, update(id+1, 4, "x")); err != nil {
			t.Fatal(err)
		}
	}
	stuck, ok, err := slow.Take(ctx, 4)
	if err != nil || !ok {
		t.Fatalf("Take = %v, %v", ok, err)
	}
	// The slow holder runs past its TTL: the next one takes the chat,
	// and the same update (the Limits in webhook.go).
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	tk, ok, err := next.Take(wait, 4)
	if err != nil || !ok || tk.Update.UpdateID != 1 {
		t.Fatalf("Take after the TTL = %v, %v, %v", tk.Update.UpdateID, ok, err)
	}
	if more, err := slow.Release(ctx, stuck); err != nil || !more {
		t.Fatalf("late Release = %v, %v; want more", more, err)
	}
	if n := rdb.Exists(ctx, prefix+"chatlock:4").Val(); n != 1 {
		t.Fatal("a late Release freed the next holder's lock")
	}
	if n := rdb.ZCard(ctx, prefix+"chatqueue:4").Val(); n != 1 {
		t.Fatalf("%d updates wait after the late Release, want 1", n)
	}
	if _, err := next.Release(ctx, tk); err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(ctx, prefix+"chatlock:4").Val(); n != 0 {
		t.Fatal("the holder's Release did not free its lock")
	}
}

// An update in the queue that cannot be read is dropped, with the lock
// given back, rather than block the chat.
func TestChatQueueDropsWhatItCannotRead(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.New(t)
	ctx := context.Background()
	q := redisstore.NewChatQueue(redisstore.New(rdb, prefix).ChatLocker(0))
	if err := q.Push(ctx, 3, 1, []byte("not json")); err != nil {
		t.Fatal(err)
	}
	if err := q.Push(ctx, 3, 2, update(3, 3, "queued under another update_id")); err != nil {
		t.Fatal(err)
	}
	if err := q.Push(ctx, 3, 4, update(4, 3, "x")); err != nil {
		t.Fatal(err)
	}
	for _, what := range []string{"not JSON", "another update_id"} {
		if _, ok, err := q.Take(ctx, 3); err == nil || ok {
			t.Fatalf("Take of %s = %v, %v; want an error", what, ok, err)
		}
		if n := rdb.Exists(ctx, prefix+"chatlock:3").Val(); n != 0 {
			t.Fatalf("the chat stays locked after %s", what)
		}
	}
	if tk, ok, err := q.Take(ctx, 3); err != nil || !ok || tk.Update.UpdateID != 4 {
		t.Fatalf("Take after the bad ones = %v, %v, %v", tk.Update.UpdateID, ok, err)
	}
}

// wait is how long a test waits for something to happen.
const wait = 10 * time.Second

// waitFor waits until cond holds, checking it often, or fails t at the
// deadline.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s", what)
		case <-tick.C:
		}
	}
}
