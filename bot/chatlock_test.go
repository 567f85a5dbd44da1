package bot_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/redis/go-redis/v9"

	"villagebot/bot"
	"villagebot/internal/redistest"
)

var (
	_ bot.ChatLocker = (*bot.RedisChatLocker)(nil)
	_ bot.ChatQueue  = (*bot.RedisChatQueue)(nil)
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
		l := bot.NewRedisChatLocker(newRedis(t), prefix, 10*time.Second)
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
	other := bot.NewRedisChatLocker(newRedis(t), prefix, 10*time.Second)
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
	dead := bot.NewRedisChatLocker(newRedis(t), prefix, 300*time.Millisecond)
	alive := bot.NewRedisChatLocker(newRedis(t), prefix, 10*time.Second)

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
	l := bot.NewRedisChatLocker(lossy, prefix, time.Hour)
	if _, err := l.Lock(ctx, 9); err == nil {
		t.Fatal("Lock succeeded though its answer was lost")
	}
	waitUntil(t, "the lock given back", func() bool {
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

func update(id int, chat int64, text string) tgbotapi.Update {
	return tgbotapi.Update{UpdateID: id, Message: &tgbotapi.Message{
		MessageID: id, Chat: &tgbotapi.Chat{ID: chat, Type: "private"}, Text: text,
	}}
}

// The queue gives a chat's updates lowest update_id first whatever order
// they came in, keeps one copy of a redelivered update, removes every
// copy on Done, refuses a chat's backlog past its bound, and names a chat
// left without progress once per StaleAfter.
func TestChatQueue(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	q := bot.NewRedisChatQueue(rdb, prefix)
	q.MaxPerChat = 3
	q.StaleAfter = 10 * time.Second
	q.Now = func() time.Time { return now }

	for _, id := range []int{12, 10, 11, 10} {
		if err := q.Push(ctx, 5, update(id, 5, "x")); err != nil {
			t.Fatalf("Push(%d): %v", id, err)
		}
	}
	if err := q.Push(ctx, 5, update(13, 5, "x")); !errors.Is(err, bot.ErrBacklog) {
		t.Errorf("Push past MaxPerChat = %v, want ErrBacklog", err)
	}
	if err := q.Push(ctx, 5, update(12, 5, "x")); err != nil {
		t.Errorf("Push again of a waiting update when full = %v, want nil", err)
	}
	if err := q.Push(ctx, 6, update(20, 6, "other chat")); err != nil {
		t.Fatal(err)
	}
	var got []int
	for {
		u, ok, err := q.Next(ctx, 5)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if u.Message == nil || u.Message.Chat.ID != 5 || u.Message.Text != "x" {
			t.Fatalf("Next = %+v, not the update pushed", u)
		}
		got = append(got, u.UpdateID)
		if err := q.Done(ctx, 5, u.UpdateID); err != nil {
			t.Fatal(err)
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
	// Once drained, the chat leaves the index.
	if u, ok, err := q.Next(ctx, 6); err != nil || !ok || u.UpdateID != 20 {
		t.Fatalf("Next(6) = %v, %v, %v", u.UpdateID, ok, err)
	}
	if err := q.Done(ctx, 6, 20); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := q.Next(ctx, 6); ok {
		t.Fatal("chat 6 still has an update")
	}
	now = now.Add(time.Minute)
	if chats, _ := q.Stale(ctx, 10); len(chats) != 0 {
		t.Errorf("Stale after every chat was drained = %v", chats)
	}
}
