package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"villagebot/bot"
	"villagebot/catalog"
	"villagebot/orders"
)

// Shutdown budget: SPEC §4 wants the process gone within 10 s of a signal.
const (
	// httpGrace bounds the requests in progress when the listener stops;
	// webhook requests are answered in well under a second.
	httpGrace = time.Second
	// shutdownGrace bounds how long in-flight updates may run after a
	// signal; polling then takes up to 2 s more to confirm offsets.
	shutdownGrace = 7 * time.Second
	// handlerTimeout bounds one update's handling; a chat's lock lasts a
	// little longer, so that it outlives the handler that holds it.
	handlerTimeout = 30 * time.Second
	chatLockTTL    = handlerTimeout + 5*time.Second
)

func (m *Main) serve(ctx context.Context, args []string) error {
	fs := m.flags("serve", "serve")
	fs.StringVar(&m.config.DatabaseURL, "database-url", m.config.DatabaseURL, "PostgreSQL URL (DATABASE_URL)")
	fs.StringVar(&m.config.RedisURL, "redis-url", m.config.RedisURL, "Redis URL (REDIS_URL)")
	fs.StringVar(&m.config.APIURL, "api-url", m.config.APIURL, "Bot API base URL (TELEGRAM_API_URL)")
	fs.StringVar(&m.config.WebhookURL, "webhook-url", m.config.WebhookURL, "receive updates by webhook at this URL; empty: long polling (WEBHOOK_URL)")
	fs.StringVar(&m.config.ListenAddr, "listen-addr", m.config.ListenAddr, "HTTP listener for the webhook, /healthz, /readyz and /metrics (LISTEN_ADDR)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := m.config.Validate(true); err != nil {
		return err
	}
	webhook := m.config.WebhookURL != ""
	var hookPath string
	if webhook {
		if m.config.WebhookSecret == "" {
			return fmt.Errorf("WEBHOOK_SECRET is required with WEBHOOK_URL: without it anyone could send the bot updates")
		}
		var err error
		if hookPath, err = webhookPath(m.config.WebhookURL); err != nil {
			return err
		}
	}
	intake := intakePoll
	if webhook {
		intake = intakeWebhook
	}
	app, err := m.openApp(ctx, m.config.APIURL, m.config.Token, intake)
	if err != nil {
		return err
	}
	defer app.Close()
	if err := app.Bot.SetCommands(ctx); err != nil {
		m.log.Warn("command menus not set", "err", err)
	}

	ready := readiness{db: app.DB, rdb: app.Redis, log: m.log.With(slog.String("component", "http"))}
	handler := routes(ready, app.Registry, "", nil)
	if webhook {
		handler = routes(ready, app.Registry, hookPath, app.Bot.WebhookHandler(m.config.WebhookSecret))
	}
	hs, err := startHTTP(m.config.ListenAddr, handler, m.log)
	if err != nil {
		return err
	}
	mode := "long polling"
	if webhook {
		mode = "webhook"
		if err := app.Bot.SetWebhook(ctx, m.config.WebhookURL, m.config.WebhookSecret, 0); err != nil {
			hs.Shutdown(httpGrace)
			return fmt.Errorf("registering the webhook: %w", err)
		}
		u, _ := url.Parse(m.config.WebhookURL)
		m.log.Info("webhook registered", "host", u.Host) // the path may hold secrets
	}
	m.log.Info("serving", "bot", app.Bot.Username(), "mode", mode, "listen", hs.Addr())

	// The bot runs on past the signal, until the shutdown below stops it
	// in its turn.
	botCtx, stopBot := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBot()
	botDone := make(chan error, 1)
	go func() {
		if webhook {
			botDone <- app.Bot.RunWebhook(botCtx, shutdownGrace)
		} else {
			botDone <- app.Bot.Run(botCtx, shutdownGrace)
		}
	}()
	var runErr error
	botEnded := false
	select {
	case <-ctx.Done():
	case runErr = <-hs.failed:
	case runErr = <-botDone:
		botEnded = true
	}
	m.log.Info("shutting down", "mode", mode)
	stopBotAndWait := func() {
		stopBot()
		if !botEnded {
			runErr = errors.Join(runErr, <-botDone)
		}
	}
	if webhook {
		// Stop taking updates first: Telegram's requests in progress
		// are answered, later ones go to the other processes or wait.
		if err := hs.Shutdown(httpGrace); err != nil {
			m.log.Warn("http shutdown", "err", err)
		}
		stopBotAndWait()
	} else {
		stopBotAndWait()
		if err := hs.Shutdown(httpGrace); err != nil {
			m.log.Warn("http shutdown", "err", err)
		}
	}
	m.log.Info("stopped")
	return runErr
}

// app is a running bot with what it stands on.
type app struct {
	Bot      *bot.Bot
	DB       *sqlx.DB
	Redis    *redis.Client
	Registry *prometheus.Registry
	close    []func() error
}

func (a *app) Close() {
	for i := len(a.close) - 1; i >= 0; i-- {
		a.close[i]()
	}
}

// open connects to PostgreSQL (migrating it), Redis and the Bot API at
// apiURL, and builds the bot for one process.
func (m *Main) open(ctx context.Context, apiURL, token string) (*app, error) {
	return m.openApp(ctx, apiURL, token, intakePlayground)
}

// How a bot process takes updates in.
const (
	// intakePlayground polls the playground's own in-memory Telegram,
	// whose update ids start anew with each run: nothing is journaled.
	intakePlayground = "playground"
	// intakePoll polls Telegram, journaling fetched updates in Redis
	// (see bot/journal.go).
	intakePoll = "poll"
	// intakeWebhook takes webhook requests; the processes share chats'
	// locks and queues through Redis.
	intakeWebhook = "webhook"
)

// openApp is open, for the given intake.
func (m *Main) openApp(ctx context.Context, apiURL, token, intake string) (*app, error) {
	a := &app{Registry: prometheus.NewRegistry()}
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	db, version, err := m.openDB(ctx)
	if err != nil {
		return nil, err
	}
	a.DB = db
	a.close = append(a.close, db.Close)
	m.log.Info("database ready", "schema_version", version)
	rdb, err := m.openRedis(ctx)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Redis = rdb
	a.close = append(a.close, rdb.Close)
	msgs, err := bot.LoadMessages(m.config.DefaultLanguage)
	if err != nil {
		a.Close()
		return nil, err
	}
	rate, _ := m.config.sendRate()
	tgOpts := []bot.TelegramOption{bot.WithLimits(bot.Limits{PerSecond: rate})}
	if intake == intakeWebhook {
		// Replicas share one token: they share its global pace too.
		tgOpts = append(tgOpts, bot.WithSharedPace(bot.NewRedisPace(rdb, "")))
	}
	tg, err := bot.NewTelegram(ctx, apiURL, token, m.log, tgOpts...)
	if err != nil {
		a.Close()
		return nil, err
	}
	store := orders.NewStore(db)
	store.LowStock, _ = m.config.lowStock()
	hold, _ := m.config.hold()
	if hold == 0 {
		hold = -1 // bot.Options: negative never expires
	}
	opts := bot.Options{
		Telegram:       tg,
		Catalog:        catalog.NewStore(db),
		Orders:         store,
		Location:       m.config.Location(),
		Hold:           hold,
		Sessions:       bot.NewRedisSessions(rdb, ""),
		Messages:       msgs,
		Log:            m.log.With(slog.String("component", "bot")),
		Metrics:        bot.NewMetrics(a.Registry),
		HandlerTimeout: handlerTimeout,
		Payment:        bot.PaymentOptions{ProviderToken: m.config.PaymentProviderToken, Currency: m.config.PaymentCurrency},
	}
	switch intake {
	case intakeWebhook:
		locks := bot.NewRedisChatLocker(rdb, "", chatLockTTL)
		opts.Locker, opts.Queue = locks, bot.NewRedisChatQueue(locks)
	case intakePoll:
		opts.Journal = bot.NewRedisUpdateJournal(rdb, "")
	}
	b, err := bot.New(opts)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Bot = b
	return a, nil
}
