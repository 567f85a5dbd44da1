package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"villagebot/bot"
	"villagebot/catalog"
	"villagebot/orders"
)

// shutdownGrace bounds how long in-flight updates may run after a signal;
// SPEC §4 wants the process gone within 10 s.
const shutdownGrace = 8 * time.Second

func (m *Main) serve(ctx context.Context, args []string) error {
	fs := m.flags("serve", "serve")
	fs.StringVar(&m.config.DatabaseURL, "database-url", m.config.DatabaseURL, "PostgreSQL URL (DATABASE_URL)")
	fs.StringVar(&m.config.RedisURL, "redis-url", m.config.RedisURL, "Redis URL (REDIS_URL)")
	fs.StringVar(&m.config.APIURL, "api-url", m.config.APIURL, "Bot API base URL (TELEGRAM_API_URL)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := m.config.Validate(true); err != nil {
		return err
	}
	if m.config.WebhookURL != "" {
		return fmt.Errorf("WEBHOOK_URL: webhook mode is not available in this version; unset it to use long polling")
	}
	app, err := m.open(ctx, m.config.APIURL, m.config.Token)
	if err != nil {
		return err
	}
	defer app.Close()
	if err := app.Bot.SetCommands(ctx); err != nil {
		m.log.Warn("command menus not set", "err", err)
	}
	m.log.Info("serving", "bot", app.Bot.Username(), "mode", "long polling")
	err = app.Bot.Run(ctx, shutdownGrace)
	m.log.Info("stopped")
	return err
}

// app is a running bot with what it stands on.
type app struct {
	Bot   *bot.Bot
	close []func() error
}

func (a *app) Close() {
	for i := len(a.close) - 1; i >= 0; i-- {
		a.close[i]()
	}
}

// open connects to PostgreSQL (migrating it), Redis and the Bot API at
// apiURL, and builds the bot.
func (m *Main) open(ctx context.Context, apiURL, token string) (*app, error) {
	a := &app{}
	db, version, err := m.openDB(ctx)
	if err != nil {
		return nil, err
	}
	a.close = append(a.close, db.Close)
	m.log.Info("database ready", "schema_version", version)
	rdb, err := m.openRedis(ctx)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.close = append(a.close, rdb.Close)
	msgs, err := bot.LoadMessages(m.config.DefaultLanguage)
	if err != nil {
		a.Close()
		return nil, err
	}
	tg, err := bot.NewTelegram(ctx, apiURL, token, m.log)
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
	b, err := bot.New(bot.Options{
		Telegram: tg,
		Catalog:  catalog.NewStore(db),
		Orders:   store,
		Location: m.config.Location(),
		Hold:     hold,
		Sessions: bot.NewRedisSessions(rdb, ""),
		Messages: msgs,
		Log:      m.log.With(slog.String("component", "bot")),
	})
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Bot = b
	return a, nil
}
