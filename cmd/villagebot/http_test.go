package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"villagebot/bot/telegramtest"
	"villagebot/internal/pgtest"
	"villagebot/internal/redistest"
)

// syncBuffer is a buffer safe for a running command's logging.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freeAddr is a local address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// `villagebot serve` against the in-memory Bot API, in either mode: it
// answers a user and serves /healthz, /readyz and /metrics; by webhook it
// registers the webhook with its secret and refuses a request without
// it. On a signal it exits 0 within SPEC §4's 10 s, leaving the webhook
// set.
func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"webhook", "long polling"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			testServe(t, mode == "webhook")
		})
	}
}

func testServe(t *testing.T, webhook bool) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	addr := freeAddr(t)
	secret := "hook_" + strconv.FormatUint(mrand.Uint64(), 36)
	hookURL := "http://" + addr + "/telegram/hook"
	// serve keeps its keys without a prefix, as in production: a user id
	// no other test uses, and the keys removed at the end.
	u := srv.AddUser(telegramtest.UserConfig{ID: 8_000_000_000 + mrand.Int64N(1_000_000_000), FirstName: "Ops", LanguageCode: "en", Started: true})
	vars := map[string]string{
		"TELEGRAM_BOT_TOKEN": srv.Token(),
		"TELEGRAM_API_URL":   srv.URL(),
		"DATABASE_URL":       pgtest.NewURL(t),
		"REDIS_URL":          redistest.URL(),
		"LISTEN_ADDR":        addr,
		"LOG_LEVEL":          "debug",
	}
	mode := "mode=\"long polling\""
	if webhook {
		vars["WEBHOOK_URL"] = hookURL
		vars["WEBHOOK_SECRET"] = secret
		mode = "mode=webhook"
	}
	var stderr syncBuffer
	m := &Main{
		Getenv: env(vars),
		Stdin:  strings.NewReader(""),
		Stdout: io.Discard,
		Stderr: &stderr,
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	exit := make(chan int, 1)
	go func() { exit <- m.Run(ctx, []string{"serve"}) }()

	id := u.Send("/start")
	t.Cleanup(func() { forgetKeys(t, u.ID(), id) })
	if _, err := u.WaitText(10*time.Second, "Welcome"); err != nil {
		t.Fatalf("%v\nlogs:\n%s", err, stderr.String())
	}

	base := "http://" + addr
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz = %d %q", code, body)
	}
	counted := `villagebot_updates_total{kind="message",outcome="ok"} 1`
	// The count follows the reply: wait for it, with a deadline.
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var metrics string
	for {
		_, metrics = get(t, base+"/metrics")
		if strings.Contains(metrics, counted) || time.Now().After(deadline) {
			break
		}
		<-tick.C
	}
	for _, want := range []string{counted, "go_goroutines", "process_cpu_seconds_total", "villagebot_handler_seconds_bucket"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	resp, err := http.Post(hookURL, "application/json", strings.NewReader(`{"update_id":1,"message":{"text":"/start"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := map[bool]int{true: http.StatusForbidden, false: http.StatusNotFound}[webhook]; resp.StatusCode != want {
		t.Errorf("webhook request without the secret = %d, want %d", resp.StatusCode, want)
	}

	stopped := time.Now()
	stop()
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("serve exited %d:\n%s", code, stderr.String())
		}
		if d := time.Since(stopped); d > 10*time.Second {
			t.Errorf("serve took %v to stop", d)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}

	var info struct {
		Result struct {
			URL string `json:"url"`
		} `json:"result"`
	}
	resp, err = http.Get(srv.URL() + "/bot" + srv.Token() + "/getWebhookInfo")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	if webhook && info.Result.URL != hookURL {
		t.Errorf("webhook after serve stopped = %q, want it left at %q", info.Result.URL, hookURL)
	}
	srv.AssertNoViolations(t)
	logs := stderr.String()
	if strings.Contains(logs, srv.Token()) || strings.Contains(logs, secret) {
		t.Errorf("the token or the webhook secret is in the logs:\n%s", logs)
	}
	for _, want := range []string{mode, "update_id=", "chat_id="} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s", want)
		}
	}
}

// forgetKeys removes what serve kept in Redis for the test's user.
func forgetKeys(t *testing.T, chat int64, updates ...int) {
	opt, err := redis.ParseURL(redistest.URL())
	if err != nil {
		t.Error(err)
		return
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	c := strconv.FormatInt(chat, 10)
	keys := []string{"session:" + c, "chatlock:" + c, "chatqueue:" + c}
	for _, id := range updates {
		keys = append(keys, "update:"+strconv.Itoa(id))
	}
	rdb.Del(ctx, keys...)
	rdb.ZRem(ctx, "chatqueues", c)
}

// /readyz is 200 while PostgreSQL and Redis answer and the schema is
// current, and 503 with a short reason when Redis does not answer;
// /healthz stays 200 meanwhile.
func TestReadyz(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	good, _ := redistest.New(t)
	gone := redis.NewClient(&redis.Options{Addr: freeAddr(t), MaxRetries: -1})
	defer gone.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := prometheus.NewRegistry()

	for _, tc := range []struct {
		name   string
		rdb    *redis.Client
		status int
		body   string
	}{
		{"ready when everything answers", good, 200, "ready\n"},
		{"not ready when Redis does not answer", gone, 503, "not ready: redis not answering\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := httptest.NewServer(routes(readiness{db: db, rdb: tc.rdb, log: log}, reg, "", nil))
			defer s.Close()
			start := time.Now()
			if code, body := get(t, s.URL+"/readyz"); code != tc.status || body != tc.body {
				t.Errorf("/readyz = %d %q, want %d %q", code, body, tc.status, tc.body)
			}
			if d := time.Since(start); d > 2*readyTimeout {
				t.Errorf("/readyz took %v", d)
			}
			if code, _ := get(t, s.URL+"/healthz"); code != 200 {
				t.Errorf("/healthz = %d, want 200", code)
			}
		})
	}
}

// serve refuses a webhook it could not run safely, before connecting to
// anything.
func TestServeRefusesABadWebhookSetting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no secret", map[string]string{"WEBHOOK_URL": "https://bot.example.org/hook"}, "WEBHOOK_SECRET is required"},
		{"a path of the health checks", map[string]string{"WEBHOOK_URL": "https://bot.example.org/healthz", "WEBHOOK_SECRET": "s"}, "/healthz"},
		{"a secret Telegram refuses", map[string]string{"WEBHOOK_URL": "https://bot.example.org/hook", "WEBHOOK_SECRET": "no spaces"}, "WEBHOOK_SECRET must be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{
				"TELEGRAM_BOT_TOKEN": "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
				"DATABASE_URL":       "postgres://nobody@127.0.0.1:1/none",
			}
			for k, v := range tc.env {
				vars[k] = v
			}
			var stderr bytes.Buffer
			m := &Main{Getenv: env(vars), Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr}
			if code := m.Run(context.Background(), []string{"serve"}); code != 1 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("serve = %d, %q; want 1 and %q", code, stderr.String(), tc.want)
			}
		})
	}
}

// /readyz answers well inside Kubernetes' default probe timeout (1 s) when
// Redis is gone without a word (a dead link: connections open, nothing
// answers), and is 503 with the reason while updates cannot be fetched.
func TestReadyzAnswersInTimeAndSaysWhyNotReady(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	good, _ := redistest.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accepts, reads, never answers
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go io.Copy(io.Discard, c)
		}
	}()
	silent := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), MaxRetries: -1, ContextTimeoutEnabled: true})
	defer silent.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	fetching := func() error { return errors.New("getUpdates: Conflict") }
	for _, tc := range []struct {
		name   string
		ready  readiness
		status int
		body   string
	}{
		{"Redis silent", readiness{db: db, rdb: silent, log: log}, 503, "not ready: redis not answering\n"},
		{"updates not fetched", readiness{db: db, rdb: good, intake: fetching, log: log}, 503, "not ready: updates cannot be fetched from Telegram\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := httptest.NewServer(routes(tc.ready, prometheus.NewRegistry(), "", nil))
			defer s.Close()
			start := time.Now()
			if code, body := get(t, s.URL+"/readyz"); code != tc.status || body != tc.body {
				t.Errorf("/readyz = %d %q, want %d %q", code, body, tc.status, tc.body)
			}
			if d := time.Since(start); d > 700*time.Millisecond {
				t.Errorf("/readyz took %v, want well inside 1 s", d)
			}
		})
	}
}
