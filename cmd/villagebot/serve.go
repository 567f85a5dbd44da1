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
	"villagebot/internal/app"
	"villagebot/internal/delivery"
	"villagebot/internal/telegram"
	"villagebot/orders"
)

// Shutdown budget: the process is gone within 10 s of a signal (README,
// "Operations").
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
	intake := app.Poll
	if webhook {
		intake = app.Webhook
	}
	bp, err := m.openApp(ctx, m.config.APIURL, m.config.Token, intake)
	if err != nil {
		return err
	}
	defer bp.Close()
	if err := bp.Bot.SetCommands(ctx); err != nil {
		m.log.Warn("command menus not set", "err", err)
	}
	ready := readiness{db: bp.DB, rdb: bp.Redis, intake: bp.Ready, log: m.log.With(slog.String("component", "http"))}
	hs, err := startHTTP(m.config.ListenAddr, routes(ready, bp.Registry, hookPath, bp.WebhookHandler()), m.log)
	if err != nil {
		return err
	}
	cs, err := m.startConsole(bp)
	if err != nil {
		hs.Shutdown(httpGrace)
		return err
	}
	defer cs.stop()
	if err := m.startIntake(ctx, bp, webhook); err != nil {
		hs.Shutdown(httpGrace)
		return err
	}
	m.log.Info("serving", "bot", bp.Bot.Username(), "mode", modeName(webhook), "listen", hs.Addr())
	return m.runUntilSignal(ctx, bp, hs, cs, webhook)
}

func modeName(webhook bool) string {
	if webhook {
		return "webhook"
	}
	return "long polling"
}

// startIntake registers the webhook, or removes one a deployment before
// left when polling (README, "Switching modes").
func (m *Main) startIntake(ctx context.Context, bp *proc, webhook bool) error {
	if !webhook {
		return bp.Start(ctx)
	}
	if err := bp.Client.SetWebhook(ctx, m.config.WebhookURL, m.config.WebhookSecret, 0); err != nil {
		return fmt.Errorf("registering the webhook: %w", err)
	}
	u, _ := url.Parse(m.config.WebhookURL)
	m.log.Info("webhook registered", "host", u.Host) // the path may hold secrets
	return nil
}

// runUntilSignal runs the bot until ctx ends (a signal), the listener
// fails or the bot stops, then shuts down in the order of the mode.
func (m *Main) runUntilSignal(ctx context.Context, bp *proc, hs, cs *httpServer, webhook bool) error {
	// The bot runs on past the signal, until the shutdown below stops it
	// in its turn.
	botCtx, stopBot := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBot()
	botDone := make(chan error, 1)
	go func() { botDone <- bp.Run(botCtx) }()
	var runErr error
	botEnded := false
	select {
	case <-ctx.Done():
	case runErr = <-hs.failed:
	case runErr = <-cs.failedCh(): // the console's listener
	case runErr = <-botDone:
		botEnded = true
	}
	m.log.Info("shutting down", "mode", modeName(webhook))
	stopBotAndWait := func() {
		stopBot()
		if !botEnded {
			runErr = errors.Join(runErr, <-botDone)
		}
	}
	stopHTTP := func() {
		if err := hs.Shutdown(httpGrace); err != nil {
			m.log.Warn("http shutdown", "err", err)
		}
	}
	if webhook {
		// Stop taking updates first: Telegram's requests in progress
		// are answered, later ones go to the other processes or wait.
		stopHTTP()
		stopBotAndWait()
	} else {
		stopBotAndWait()
		stopHTTP()
	}
	m.log.Info("stopped")
	return runErr
}

// proc is a running bot process with what it stands on.
type proc struct {
	*app.Process
	Catalog  *catalog.Store
	Orders   *orders.Store
	DB       *sqlx.DB
	Redis    *redis.Client
	Registry *prometheus.Registry
	close    []func() error
}

func (a *proc) Close() {
	for i := len(a.close) - 1; i >= 0; i-- {
		a.close[i]()
	}
}

// open connects to PostgreSQL (migrating it), Redis and the Bot API at
// apiURL, and builds the bot for one process polling the playground's
// in-memory Telegram, whose update ids start anew with each run: nothing
// is journaled.
func (m *Main) open(ctx context.Context, apiURL, token string) (*proc, error) {
	return m.openApp(ctx, apiURL, token, app.PollBare)
}

// openApp is open, for the given intake.
func (m *Main) openApp(ctx context.Context, apiURL, token string, intake app.Intake) (*proc, error) {
	a := &proc{Registry: prometheus.NewRegistry()}
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
	opts, err := m.processOptions(a, db, intake)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Process, err = app.Open(ctx, app.Config{
		APIURL: apiURL, Token: token, Limits: telegram.Limits{PerSecond: m.config.Rate},
		Redis: rdb, RedisPrefix: m.config.RedisPrefix, Log: m.log, Registry: a.Registry,
	}, opts)
	if err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// processOptions are the parts of a bot process serve runs.
func (m *Main) processOptions(a *proc, db *sqlx.DB, intake app.Intake) (app.Options, error) {
	msgs, err := bot.LoadMessages(m.config.DefaultLanguage)
	if err != nil {
		return app.Options{}, err
	}
	store := orders.NewStore(db)
	store.LowStock = m.config.LowStockN
	hold := m.config.Hold
	if hold == 0 {
		hold = -1 // bot.Options: negative never expires
	}
	remind := m.config.Remind
	if remind == 0 {
		remind = -1 // bot.Options: negative never reminds
	}
	a.Catalog, a.Orders = catalog.NewStore(db), store
	var cons *bot.Console
	if u := m.config.consoleURL(); u != "" {
		cons = &bot.Console{URL: u, Links: a.Catalog}
	}
	return app.Options{
		Bot: bot.Options{
			Catalog:        a.Catalog,
			Orders:         store,
			Location:       m.config.Location(),
			Hold:           hold,
			Remind:         remind,
			Console:        cons,
			Payment:        bot.PaymentOptions{ProviderToken: m.config.PaymentProviderToken, Currency: m.config.PaymentCurrency},
			Messages:       msgs,
			Log:            m.log.With(slog.String("component", "bot")),
			HandlerTimeout: handlerTimeout,
		},
		Delivery:    delivery.Options{Drain: shutdownGrace},
		Intake:      intake,
		Secret:      m.config.WebhookSecret,
		ChatLockTTL: chatLockTTL,
	}, nil
}
