package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"villagebot/internal/app"
	"villagebot/internal/redisstore"
	"villagebot/internal/redistest"
	"villagebot/internal/telegram"
)

// The journal keeps what is synced in, lowest id first, forgets what is
// done, and skips a field that is not an update id.
func TestUpdateJournalKeepsAndForgets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb, prefix := redistest.New(t)
	j := redisstore.New(rdb, prefix).Journal()
	raw := func(id int) json.RawMessage { return json.RawMessage(fmt.Sprintf(`{"update_id":%d}`, id)) }
	if err := j.Sync(ctx, []telegram.RawUpdate{{ID: 12, Raw: raw(12)}, {ID: 3, Raw: raw(3)}, {ID: 7, Raw: raw(7)}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := rdb.HSet(ctx, prefix+"polled", "not-an-id", "{}").Err(); err != nil {
		t.Fatal(err)
	}
	if err := j.Sync(ctx, []telegram.RawUpdate{{ID: 20, Raw: raw(20)}}, []int{7, 99}); err != nil {
		t.Fatal(err)
	}
	kept, err := j.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	for _, u := range kept {
		ids = append(ids, u.ID)
		if string(u.Raw) != string(raw(u.ID)) {
			t.Errorf("update %d kept as %s", u.ID, u.Raw)
		}
	}
	if fmt.Sprint(ids) != "[3 12 20]" {
		t.Errorf("kept %v, want [3 12 20]", ids)
	}
	if ttl := rdb.PTTL(ctx, prefix+"polled").Val(); ttl <= 24*time.Hour {
		t.Errorf("the journal expires in %v, want over a day", ttl)
	}
}

// A polled update is confirmed to Telegram once it is in the journal,
// while its handler still waits, and leaves the journal once handled.
func TestPolledUpdatesAreConfirmedOnceJournaled(t *testing.T) {
	t.Parallel()
	h := start(t)
	ctx := context.Background()
	u := h.user(3301, "en")
	sum := h.checkout(u, "XL-PEPPER", 1)

	release := h.lockProduct("XL-PEPPER")
	defer release()
	data := confirmData(t, sum)
	mustPress(t, u, sum.ID, data)
	h.until("the confirm press is confirmed to Telegram", func() bool { return h.srv.PendingUpdates() == 0 })
	if n := h.count(`SELECT count(*) FROM orders`); n != 0 {
		t.Fatalf("%d orders while the product's row is locked", n)
	}
	// The journal holds the press (and perhaps the one before it, handled
	// but taken out only with the next batch).
	kept := strings.Join(h.rdb.HVals(ctx, h.prefix+"polled").Val(), "\n")
	if !strings.Contains(kept, data) {
		t.Errorf("the journal holds no update with %q while the confirm waits:\n%s", data, kept)
	}
	release()
	h.waitText(u, "is placed")
	u.Send("/help") // the next poll takes the handled press out
	h.waitText(u, "What I can do")
	h.until("the journal is empty", func() bool { return h.rdb.HLen(ctx, h.prefix+"polled").Val() == 0 })
}

// What a process fetched, confirmed and did not handle before it stopped
// is in the journal: the next process handles it, although Telegram will
// not send it again.
func TestJournaledUpdatesAreHandledAfterARestart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	t.Cleanup(func() { h.stop() })
	ctx := context.Background()
	u := h.user(3302, "en")
	update := fmt.Sprintf(`{"update_id":41,"message":{"message_id":1,"date":%d,"text":"/help",`+
		`"from":{"id":%d,"is_bot":false,"first_name":"Ana","language_code":"en"},`+
		`"chat":{"id":%[2]d,"type":"private","first_name":"Ana"},`+
		`"entities":[{"type":"bot_command","offset":0,"length":5}]}}`, time.Now().Unix(), u.ID())
	j := redisstore.New(h.rdb, h.prefix).Journal()
	if err := j.Sync(ctx, []telegram.RawUpdate{{ID: 41, Raw: json.RawMessage(update)}}, nil); err != nil {
		t.Fatal(err)
	}
	h.run()
	h.waitText(u, "What I can do")
	h.until("the journal is empty", func() bool { return h.rdb.HLen(ctx, h.prefix+"polled").Val() == 0 })
	h.stop()

	// The same update kept again (as a process that handled it and died
	// before taking it out would leave it): the next process skips it by
	// its handled mark.
	if err := j.Sync(ctx, []telegram.RawUpdate{{ID: 41, Raw: json.RawMessage(update)}}, nil); err != nil {
		t.Fatal(err)
	}
	h.run()
	h.until("the journal is empty again", func() bool { return h.rdb.HLen(ctx, h.prefix+"polled").Val() == 0 })
	u.Send("/noop")
	h.waitText(u, "don't know that command")
	if n := countMessages(u.Messages(), "What I can do"); n != 1 {
		t.Errorf("the journaled /help was answered %d times, want 1", n)
	}
}

// A journal that does not answer (Redis behind a dead link) slows polling
// only now and then: it is given journalWait, then left alone for a while;
// the bot answers meanwhile, confirming updates once handled, and says so
// once in its log.
func TestPollingWithAJournalThatDoesNotAnswer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() { // accepts, reads, never answers
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go io.Copy(io.Discard, c)
		}
	}()
	dead := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { dead.Close() })

	h := start(t, func(o *app.Options) { o.Journal = redisstore.New(dead, "").Journal() })
	u := h.user(3303, "en")
	began := time.Now()
	for i := range 10 {
		u.Send(fmt.Sprintf("/help %d", i))
		h.until(fmt.Sprintf("answer %d", i+1), func() bool { return countMessages(u.Messages(), "What I can do") == i+1 })
	}
	if took := time.Since(began); took > 4*time.Second {
		t.Errorf("10 answers took %v with the journal unreachable", took)
	}
	h.stop() // its log is read below
	if n := strings.Count(h.logs.String(), "update journal unavailable"); n != 1 {
		t.Errorf("the unreachable journal was logged %d times, want once", n)
	}
}

// A journal write that Redis did but answered too late (the poller had
// given up on it) is taken out once Redis answers in time again: nothing
// is left in the journal to be handed over again after a restart.
func TestAJournalWriteAnsweredLateIsTakenOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb, prefix := redistest.New(t)
	p := newTCPProxy(t, rdb.Options().Addr)
	// No handshake on connecting (RESP2, no CLIENT SETINFO): a write on a
	// new connection reaches Redis at once too.
	slow := redis.NewClient(&redis.Options{Addr: p.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1,
		Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { slow.Close() })

	h := start(t, func(o *app.Options) { o.Journal = redisstore.New(slow, prefix).Journal() })
	u := h.user(3304, "en")
	u.Send("/help")
	h.waitText(u, "What I can do")
	h.until("the journal is empty", func() bool { return rdb.HLen(ctx, prefix+"polled").Val() == 0 })

	// The answer to the write that emptied it may still be on its way
	// through the proxy: let it arrive before answers are held back.
	time.Sleep(200 * time.Millisecond)
	p.Delay(800 * time.Millisecond) // past the poller's 500 ms
	u.Send("/help")
	h.until("the second answer", func() bool { return countMessages(u.Messages(), "What I can do") == 2 })
	if n := rdb.HLen(ctx, prefix+"polled").Val(); n != 1 {
		t.Fatalf("%d updates in the journal after the late write, want the 1 Redis did", n)
	}

	p.Delay(0)
	time.Sleep(1100 * time.Millisecond) // the journal's first rest after a failure
	u.Send("/help")
	h.until("the third answer", func() bool { return countMessages(u.Messages(), "What I can do") == 3 })
	h.until("the journal is empty again", func() bool { return rdb.HLen(ctx, prefix+"polled").Val() == 0 })
}
