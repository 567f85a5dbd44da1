package main

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"villagebot/bot"
	"villagebot/catalog"
	"villagebot/internal/app"
	"villagebot/internal/delivery"
	"villagebot/internal/pg"
	"villagebot/internal/redisstore"
	"villagebot/internal/telegram"
	"villagebot/orders"
)

// The bots villageload runs.
const (
	roleBot  = "bot"  // villagebot
	roleEcho = "echo" // the bare echo bot
)

// A child process gets its role and settings from the environment, so
// that nothing (the token least of all) shows on its command line.
const (
	childRoleEnv = "VILLAGELOAD_CHILD"
	childAPIEnv  = "VILLAGELOAD_API_URL"
	childTokEnv  = "VILLAGELOAD_TOKEN"
	childDBEnv   = "VILLAGELOAD_DB"
	childRdbEnv  = "VILLAGELOAD_REDIS"
	childPfxEnv  = "VILLAGELOAD_PREFIX"
	childWrkEnv  = "VILLAGELOAD_WORKERS"
	childCPUEnv  = "VILLAGELOAD_CPUPROFILE"
	childMemEnv  = "VILLAGELOAD_MEMPROFILE"
	childHookEnv = "VILLAGELOAD_WEBHOOK"
)

// botSpec is what a bot process needs to know.
type botSpec struct {
	Role       string
	APIURL     string
	Token      string
	DBURL      string
	RedisURL   string
	Prefix     string
	Workers    int
	CPUProfile string
	MemProfile string
	Webhook    bool // receive updates by webhook rather than long polling
}

// botProc is a running bot: a child process, or goroutines of this one.
type botProc struct {
	pid  int
	stop func() error
}

// startBot starts the bot of spec, in a child process or, with inproc,
// here. Its log (warnings and errors) goes to logs.
func startBot(ctx context.Context, spec botSpec, inproc bool, logs *logSink) (*botProc, error) {
	if inproc {
		return startInProc(ctx, spec, logs)
	}
	return startChild(spec, logs)
}

func startInProc(ctx context.Context, spec botSpec, logs *logSink) (*botProc, error) {
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ready := make(chan error, 1)
	done := make(chan error, 1)
	go func() { done <- serve(runCtx, spec, log, ready) }()
	select {
	case err := <-ready:
		if err != nil {
			cancel()
			return nil, err
		}
	case err := <-done:
		cancel()
		return nil, fmt.Errorf("%s: stopped at start: %v", spec.Role, err)
	}
	return &botProc{pid: os.Getpid(), stop: func() error {
		cancel()
		return <-done
	}}, nil
}

func startChild(spec botSpec, logs *logSink) (*botProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(),
		childRoleEnv+"="+spec.Role,
		childAPIEnv+"="+spec.APIURL,
		childTokEnv+"="+spec.Token,
		childDBEnv+"="+spec.DBURL,
		childRdbEnv+"="+spec.RedisURL,
		childPfxEnv+"="+spec.Prefix,
		childWrkEnv+"="+strconv.Itoa(spec.Workers),
		childCPUEnv+"="+spec.CPUProfile,
		childMemEnv+"="+spec.MemProfile,
		childHookEnv+"="+strconv.FormatBool(spec.Webhook),
	)
	cmd.Stdout = logs
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// The child says "ready" on stderr once it polls; everything else it
	// writes there is its log.
	ready := make(chan struct{})
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			if !signalled && line == "villageload-child: ready" {
				signalled = true
				close(ready)
				continue
			}
			logs.Write([]byte(line + "\n"))
		}
	}()
	exited := make(chan error, 1)
	go func() {
		<-copied
		exited <- cmd.Wait()
	}()
	select {
	case <-ready:
	case err := <-exited:
		return nil, fmt.Errorf("%s process ended at start: %v", spec.Role, err)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-exited
		return nil, fmt.Errorf("%s process not ready after 60s", spec.Role)
	}
	return &botProc{pid: cmd.Process.Pid, stop: func() error {
		cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			return err
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			return fmt.Errorf("%s process killed: it did not stop within 20s", spec.Role)
		}
	}}, nil
}

// runChild is the child process: it runs the bot its environment names
// until interrupted.
func runChild(role string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	workers, _ := strconv.Atoi(os.Getenv(childWrkEnv))
	webhook, _ := strconv.ParseBool(os.Getenv(childHookEnv))
	spec := botSpec{
		Role:       role,
		APIURL:     os.Getenv(childAPIEnv),
		Token:      os.Getenv(childTokEnv),
		DBURL:      os.Getenv(childDBEnv),
		RedisURL:   os.Getenv(childRdbEnv),
		Prefix:     os.Getenv(childPfxEnv),
		Workers:    workers,
		CPUProfile: os.Getenv(childCPUEnv),
		MemProfile: os.Getenv(childMemEnv),
		Webhook:    webhook,
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ready := make(chan error, 1)
	go func() {
		if err := <-ready; err == nil {
			fmt.Fprintln(os.Stderr, "villageload-child: ready")
		}
	}()
	if err := serve(ctx, spec, log, ready); err != nil {
		fmt.Fprintf(os.Stderr, "villageload %s: %v\n", role, err)
		return 1
	}
	return 0
}

// serve runs the bot of spec until ctx ends, with the profiles spec asks
// for around it. ready gets nil once the bot is about to poll, or the
// error that kept it from starting.
func serve(ctx context.Context, spec botSpec, log *slog.Logger, ready chan<- error) (err error) {
	if spec.CPUProfile != "" {
		stop, err := startCPUProfile(spec.CPUProfile)
		if err != nil {
			ready <- err
			return err
		}
		defer stop()
	}
	if spec.MemProfile != "" {
		defer func() {
			if merr := writeHeapProfile(spec.MemProfile); err == nil {
				err = merr
			}
		}()
	}
	switch spec.Role {
	case roleBot:
		return serveVillagebot(ctx, spec, log, ready)
	case roleEcho:
		return serveEcho(ctx, spec, ready)
	}
	err = fmt.Errorf("unknown role %q", spec.Role)
	ready <- err
	return err
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// serveVillagebot builds villagebot as `villagebot serve` does (see
// cmd/villagebot's openApp): catalog and orders stores on PostgreSQL, Redis
// sessions, the messages, Prometheus metrics, -workers workers, and runs
// it by long polling, or with spec.Webhook by webhook with the chat lock
// and queue in Redis, as serve does when WEBHOOK_URL is set.
//
// One thing differs: the outbound limiter is lifted. With Telegram's own
// limits (telegram.DefaultLimits: 30 messages a second in all, 1 a second to a
// chat after a burst of 3) every run would measure those, about 30
// updates a second; the in-memory Telegram enforces no flood control, so
// the limiter stays in the path (its cost is measured) but never waits.
func serveVillagebot(ctx context.Context, spec botSpec, log *slog.Logger, ready chan<- error) error {
	fail := func(err error) error { ready <- err; return err }
	db, err := pg.Open(ctx, spec.DBURL)
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	opt, err := redis.ParseURL(spec.RedisURL)
	if err != nil {
		return fail(err)
	}
	redisstore.Tune(opt, spec.Workers) // as serve does
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	msgs, err := bot.LoadMessages("en")
	if err != nil {
		return fail(err)
	}
	intake := app.Poll // as serve polls, journaled
	if spec.Webhook {
		intake = app.Webhook
	}
	secret := randomHex(16)
	p, err := app.Open(ctx, app.Config{
		APIURL: spec.APIURL, Token: spec.Token, Limits: unlimited,
		Redis: rdb, RedisPrefix: spec.Prefix, Log: log, Registry: prometheus.NewRegistry(),
	}, app.Options{
		Bot: bot.Options{
			Catalog:  catalog.NewStore(db),
			Orders:   orders.NewStore(db),
			Messages: msgs,
			Log:      log,
		},
		Delivery: delivery.Options{Workers: spec.Workers, Drain: 8 * time.Second},
		Intake:   intake,
		Secret:   secret,
	})
	if err != nil {
		return fail(err)
	}
	if spec.Webhook {
		return serveWebhook(ctx, p, secret, ready)
	}
	ready <- nil
	return p.Run(ctx)
}

// serveWebhook takes updates in over HTTP on 127.0.0.1, registers that
// as the webhook, and runs until ctx ends; then it stops the listener
// first and the bot after, as serve does.
func serveWebhook(ctx context.Context, p *app.Process, secret string, ready chan<- error) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ready <- err
		return err
	}
	hs := &http.Server{Handler: p.WebhookHandler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	if err := p.Client.SetWebhook(ctx, "http://"+ln.Addr().String()+"/telegram", secret, 0); err != nil {
		hs.Close()
		ready <- err
		return err
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	ready <- nil
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(shutdownCtx)
	stop()
	return <-done
}

// unlimited are outbound limits the load never reaches.
var unlimited = telegram.Limits{
	PerSecond: 1e9, Burst: 1e9,
	ChatPerSecond: 1e9, ChatBurst: 1e9,
	GroupPerMinute: 1e9, GroupBurst: 1e9,
}

// serveEcho is the yardstick: the smallest bot that behaves like
// villagebot on the wire, with the same client library (tgbotapi v5.5.1)
// and no database. It long polls getUpdates and answers each message
// with an HTML text and an inline keyboard, from a pool of workers.
func serveEcho(ctx context.Context, spec botSpec, ready chan<- error) error {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: spec.Workers + 2}}
	api, err := tgbotapi.NewBotAPIWithClient(spec.Token, spec.APIURL+"/bot%s/%s", client)
	if err != nil {
		ready <- err
		return err
	}
	ready <- nil
	work := make(chan *tgbotapi.Message, 1024)
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range max(spec.Workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keyboard := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
				tgbotapi.NewInlineKeyboardButtonData("🛒 Cart", "k"),
				tgbotapi.NewInlineKeyboardButtonData("🏠 Menu", "m"),
			))
			for m := range work {
				reply := tgbotapi.NewMessage(m.Chat.ID, "<b>echo</b> "+html.EscapeString(m.Text))
				reply.ParseMode = tgbotapi.ModeHTML
				reply.ReplyMarkup = keyboard
				if _, err := api.Send(reply); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	offset := 0
	for ctx.Err() == nil {
		ups, err := api.GetUpdates(tgbotapi.UpdateConfig{Offset: offset, Limit: 100, Timeout: 1})
		if err != nil {
			continue
		}
		for _, u := range ups {
			offset = u.UpdateID + 1
			if u.Message != nil {
				work <- u.Message
			}
		}
	}
	close(work)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("echo: %d replies failed", n)
	}
	return nil
}

// logSink takes the bots' log lines: it counts warnings and errors and
// passes the first few on.
type logSink struct {
	mu     sync.Mutex
	out    io.Writer
	shown  int
	warns  int
	errors int
	first  map[string]int // message → count, for the summary
}

const logLinesShown = 20

func newLogSink(out io.Writer) *logSink { return &logSink{out: out, first: map[string]int{}} }

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range strings.SplitAfter(string(p), "\n") {
		if line == "" {
			continue
		}
		switch {
		case strings.Contains(line, "level=ERROR"):
			l.errors++
		case strings.Contains(line, "level=WARN"):
			l.warns++
		}
		if msg := logMsg(line); msg != "" {
			l.first[msg]++
		}
		if l.shown < logLinesShown {
			l.shown++
			fmt.Fprint(l.out, "  bot log: "+line)
		}
	}
	return len(p), nil
}

// logMsg is the msg="…" of a text log line.
func logMsg(line string) string {
	_, rest, ok := strings.Cut(line, "msg=")
	if !ok {
		return ""
	}
	if strings.HasPrefix(rest, `"`) {
		if end := strings.Index(rest[1:], `"`); end >= 0 {
			return rest[1 : end+1]
		}
	}
	msg, _, _ := strings.Cut(rest, " ")
	return msg
}

func (l *logSink) counts() (warns, errs int, top map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	top = map[string]int{}
	for k, v := range l.first {
		top[k] = v
	}
	return l.warns, l.errors, top
}
