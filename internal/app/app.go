// Package app puts a bot process together: the Telegram client, the
// Redis adapters under the bot's namespace, the bot and the delivery
// source, with their metrics. `villagebot serve`, villageload and the
// end-to-end tests build a process through it, so that they run the same
// thing.
package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"villagebot/bot"
	"villagebot/internal/delivery"
	"villagebot/internal/redisstore"
	"villagebot/internal/telegram"
)

// Intake is how a process takes updates in.
type Intake int

const (
	// Poll polls Telegram, journaling fetched updates in Redis.
	Poll Intake = iota
	// PollBare polls without a journal: the playground's own in-memory
	// Telegram, whose update ids start anew with each run.
	PollBare
	// Webhook takes webhook requests; the processes share chats' locks
	// and queues, and the send pace, through Redis.
	Webhook
)

// Options are the parts of a process.
type Options struct {
	// Bot are the bot's parts; Telegram, Sessions and Metrics are filled
	// in when left empty.
	Bot bot.Options
	// Delivery are the source's; Handler, Log and Metrics are filled in.
	Delivery delivery.Options
	Intake   Intake
	// Store keeps what Redis keeps for the process: sessions, the
	// journal (Poll), chats' locks and queues (Webhook).
	Store *redisstore.Store
	// Journal, Locker and Queue, when set, stand in for the Store's.
	Journal delivery.UpdateJournal
	Locker  delivery.ChatLocker
	Queue   delivery.ChatQueue
	// NoLocks takes webhook updates without chats' locks and queues: one
	// process alone.
	NoLocks bool
	// PollTimeout is the long poll's; default 30s.
	PollTimeout time.Duration
	// Secret is the webhook's secret_token.
	Secret string
	// ChatLockTTL is how long a chat's lock lasts unless given back; a
	// little above the handler's timeout.
	ChatLockTTL time.Duration
	// Metrics, when set, are recorded.
	Metrics *Metrics
}

// Process is a bot process: the bot and its source of updates.
type Process struct {
	Bot    *bot.Bot
	Client *telegram.Client
	// Source is the Poller or the Webhook.
	Source delivery.Source
	poller *delivery.Poller
	hook   *delivery.Webhook
}

// Build makes a process talking to Telegram through tg.
func Build(tg *telegram.Client, o Options) (*Process, error) {
	if o.Metrics != nil {
		tg.Metrics = o.Metrics.Telegram
		o.Bot.Metrics = cmpPtr(o.Bot.Metrics, o.Metrics.Bot)
		o.Delivery.Metrics = cmpPtr(o.Delivery.Metrics, o.Metrics.Delivery)
	}
	if o.Bot.Telegram == nil {
		o.Bot.Telegram = tg
	}
	if o.Bot.Sessions == nil && o.Store != nil {
		o.Bot.Sessions = o.Store.Sessions()
	}
	b, err := bot.New(o.Bot)
	if err != nil {
		return nil, err
	}
	p := &Process{Bot: b, Client: tg}
	d := o.Delivery
	d.Handler = b
	d.Log = cmpPtr(d.Log, o.Bot.Log)
	d.HandlerTimeout = max(d.HandlerTimeout, o.Bot.HandlerTimeout)
	if o.Intake == Webhook {
		return p, p.webhook(o, d)
	}
	po := delivery.PollOptions{Options: d, Updates: tg, Journal: o.Journal, Timeout: o.PollTimeout}
	if po.Journal == nil && o.Intake == Poll && o.Store != nil {
		po.Journal = o.Store.Journal()
	}
	p.poller = delivery.NewPoller(po)
	p.Source = p.poller
	return p, nil
}

// webhook makes the process's source a Webhook.
func (p *Process) webhook(o Options, d delivery.Options) error {
	wo := delivery.WebhookOptions{Options: d, Secret: o.Secret, Locker: o.Locker, Queue: o.Queue}
	if !o.NoLocks && o.Store != nil && wo.Locker == nil {
		locks := o.Store.ChatLocker(o.ChatLockTTL)
		wo.Locker, wo.Queue = locks, redisstore.NewChatQueue(locks)
	}
	w, err := delivery.NewWebhook(wo)
	if err != nil {
		return err
	}
	p.hook, p.Source = w, w
	return nil
}

// Start prepares the intake: a polling process removes the webhook a
// deployment before may have left (updates waiting for it are kept). A
// webhook process registers its webhook itself (Client.SetWebhook), as
// only it knows its URL.
func (p *Process) Start(ctx context.Context) error {
	if p.poller == nil {
		return nil
	}
	return p.poller.LeaveWebhook(ctx)
}

// Run runs the process until ctx ends or its source is closed, then
// drains; see delivery.Source.
func (p *Process) Run(ctx context.Context) error { return p.Bot.Serve(ctx, p.Source) }

// Close stops the source: Run returns once the updates in hand are done.
func (p *Process) Close() error { return p.Source.Close() }

// WebhookHandler is the HTTP handler Telegram delivers updates to; nil
// when polling.
func (p *Process) WebhookHandler() http.Handler {
	if p.hook == nil {
		return nil
	}
	return p.hook
}

// Ready is nil while the process can take updates in, else why not:
// polling, the last getUpdates failed.
func (p *Process) Ready() error {
	if p.poller == nil {
		return nil
	}
	if err := p.poller.Ready(); err != nil {
		return errors.Join(errNotFetching, err)
	}
	return nil
}

// errNotFetching is the reason of a poller that cannot fetch updates.
var errNotFetching = errors.New("updates cannot be fetched")

func cmpPtr[T any](v, def *T) *T {
	if v != nil {
		return v
	}
	return def
}

// Config is what Open needs beyond Options.
type Config struct {
	APIURL, Token string
	Limits        telegram.Limits
	Redis         redis.UniversalClient
	// RedisPrefix is REDIS_PREFIX; empty: "bot<id>:" (redisstore.Prefix).
	RedisPrefix string
	Log         *slog.Logger
	// Registry, when set, gets the process's metrics.
	Registry prometheus.Registerer
}

// Open connects to the Bot API and builds a process whose Redis keys are
// under the bot's namespace.
func Open(ctx context.Context, c Config, o Options) (*Process, error) {
	tg, err := telegram.New(ctx, c.APIURL, c.Token, c.Log, telegram.WithLimits(c.Limits))
	if err != nil {
		return nil, err
	}
	prefix := redisstore.Prefix(c.RedisPrefix, tg.ID())
	o.Store = redisstore.New(c.Redis, prefix)
	if o.Intake == Webhook {
		// Replicas share one token: they share its global pace too.
		tg.ShareSendPace(o.Store.Pace())
	}
	if c.Registry != nil && o.Metrics == nil {
		o.Metrics = NewMetrics(c.Registry)
	}
	c.Log.Info("redis namespace", "prefix", prefix)
	return Build(tg, o)
}
