package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"villagebot/bot/telegramtest"
	"villagebot/internal/pgtest"
	"villagebot/internal/redistest"
)

// serve with CONSOLE_ADDR serves the staff console there, apart from
// /metrics and the health checks, which stay on LISTEN_ADDR.
func TestServeWithConsole(t *testing.T) {
	t.Parallel()
	srv := telegramtest.NewServer()
	defer srv.Close()
	addr, consoleAddr := freeAddr(t), freeAddr(t)
	var stderr syncBuffer
	m := &Main{
		Getenv: env(map[string]string{
			"TELEGRAM_BOT_TOKEN": srv.Token(), "TELEGRAM_API_URL": srv.URL(),
			"DATABASE_URL": pgtest.NewURL(t), "REDIS_URL": redistest.URL(),
			"LISTEN_ADDR": addr, "CONSOLE_ADDR": consoleAddr,
		}),
		Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr,
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	exit := make(chan int, 1)
	go func() { exit <- m.Run(ctx, []string{"serve"}) }()

	console := "http://" + consoleAddr
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(stderr.String(), "console serving") {
		if time.Now().After(deadline) {
			t.Fatalf("the console did not start:\n%s", stderr.String())
		}
		<-tick.C
	}
	if code, body := get(t, console+"/signin"); code != 200 || !strings.Contains(body, `action="/signin"`) {
		t.Errorf("console /signin = %d %.200s", code, body)
	}
	if code, _ := get(t, console+"/metrics"); code == 200 {
		t.Errorf("/metrics is served on the console's address")
	}
	if code, _ := get(t, "http://"+addr+"/signin"); code == 200 {
		t.Errorf("the console is served on LISTEN_ADDR")
	}
	if code, _ := get(t, "http://"+addr+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	stop()
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("serve exited %d:\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestConsoleConfig(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		vars map[string]string
		want string // "" valid, else the start of the error
		url  string
	}{
		{map[string]string{}, "", ""},
		{map[string]string{"CONSOLE_ADDR": "127.0.0.1:8081"}, "", "http://127.0.0.1:8081"},
		{map[string]string{"CONSOLE_ADDR": "127.0.0.1:8081", "CONSOLE_URL": "https://staff.example.org/"}, "", "https://staff.example.org"},
		{map[string]string{"CONSOLE_ADDR": "8081"}, "CONSOLE_ADDR", ""},
		{map[string]string{"CONSOLE_ADDR": "127.0.0.1:8080"}, "CONSOLE_ADDR must differ", ""},
		{map[string]string{"CONSOLE_URL": "ftp://x"}, "CONSOLE_URL", ""},
	} {
		c := ConfigFromEnv(env(tt.vars))
		err := c.Validate(false)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)) {
			t.Errorf("%v: Validate() = %v, want %q", tt.vars, err, tt.want)
		}
		if tt.want == "" && c.consoleURL() != tt.url {
			t.Errorf("%v: consoleURL() = %q, want %q", tt.vars, c.consoleURL(), tt.url)
		}
	}
}
