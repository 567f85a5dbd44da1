package main

import (
	"context"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"villagebot/catalog"
	"villagebot/internal/pg"
	"villagebot/internal/pgtest"
	"villagebot/orders"
)

// screen collects what the playground prints and lets a test wait for a
// text to appear.
type screen struct {
	mu      sync.Mutex
	b       strings.Builder
	changed chan struct{}
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Write(p)
	close(s.changed)
	s.changed = make(chan struct{})
	return len(p), nil
}

func (s *screen) waitFor(t *testing.T, text string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		got, ch := s.b.String(), s.changed
		s.mu.Unlock()
		if strings.Contains(got, text) {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("the playground never showed %q; it shows:\n%s", text, got)
		}
	}
}

// buttonNumber is the number the playground shows for the newest button
// whose label contains label.
func (s *screen) buttonNumber(t *testing.T, label string) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := regexp.MustCompile(`\[(\d+)\] [^\[]*`+regexp.QuoteMeta(label)).FindAllStringSubmatch(s.b.String(), -1)
	if len(ms) == 0 {
		t.Fatalf("no button %q on screen", label)
	}
	return ms[len(ms)-1][1]
}

// placeSale places a sale of one unit of sku for a customer, as the
// checkout does, and returns its number as #N.
func placeSale(t *testing.T, dbURL string, customer int64, sku string) string {
	t.Helper()
	ctx := context.Background()
	db, err := pg.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := catalog.NewStore(db).ProductBySKU(ctx, sku)
	if err != nil {
		t.Fatal(err)
	}
	o, _, err := orders.NewStore(db).Place(ctx, orders.PlaceRequest{
		Token: "playground-" + sku, Kind: orders.Sale,
		Customer: orders.Customer{TelegramID: customer, ChatID: customer, Language: "en"},
		Contact:  "Guest", Phone: "+8613800138000", Delivery: orders.Pickup,
		Lines: []orders.LineRequest{{ProductID: p.ID, Quantity: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return o.Ref()
}

// The playground runs the real bot over the in-memory Bot API server: a
// person types, presses numbered buttons and switches users.
func TestPlayground(t *testing.T) {
	t.Parallel()
	db := pgtest.NewURL(t)
	// The playground keeps sessions under no prefix: give it a Redis
	// database of its own, emptied afterwards.
	const redisURL = "redis://127.0.0.1:6379/9"
	t.Cleanup(func() {
		opt, _ := redis.ParseURL(redisURL)
		rdb := redis.NewClient(opt)
		defer rdb.Close()
		rdb.FlushDB(context.Background())
	})
	if code, _, errOut := run(t, db, "catalog", "demo"); code != 0 {
		t.Fatal(errOut)
	}
	in, typing := io.Pipe()
	out := &screen{changed: make(chan struct{})}
	m := &Main{
		Getenv: env(map[string]string{"DATABASE_URL": db, "REDIS_URL": redisURL}),
		Stdin:  in,
		Stdout: out,
		Stderr: out,
	}
	done := make(chan int, 1)
	go func() { done <- m.Run(context.Background(), []string{"chat", "-user", "7301", "-lang", "zh"}) }()
	out.waitFor(t, "欢迎")
	io.WriteString(typing, "1\n")
	out.waitFor(t, "毛纳村")
	io.WriteString(typing, "/start p_XL-COFFEE\n")
	out.waitFor(t, "兴隆咖啡豆")
	io.WriteString(typing, "/as 7302 ru\n/start\n")
	out.waitFor(t, "Добро пожаловать")

	// A sale paid in chat: Pay now, the invoice, /pay.
	io.WriteString(typing, "/as 7303 en\n/start\n")
	out.waitFor(t, "Welcome")
	number := placeSale(t, db, 7303, "XL-COFFEE")
	io.WriteString(typing, "/orders\n")
	out.waitFor(t, "Pay now ¥88.00")
	io.WriteString(typing, out.buttonNumber(t, "Pay now")+"\n")
	out.waitFor(t, "[invoice] Order "+number)
	io.WriteString(typing, "/pay\n")
	out.waitFor(t, "💳 paid 88.00 CNY")
	out.waitFor(t, "We received ¥88.00 for order "+number)
	io.WriteString(typing, "/quit\n")
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("chat exited with %d", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("chat did not quit")
	}
}
