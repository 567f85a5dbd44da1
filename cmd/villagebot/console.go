package main

import (
	"log/slog"

	"villagebot/bot"
	"villagebot/internal/console"
)

// startConsole serves the staff console on CONSOLE_ADDR, a listener of
// its own apart from /metrics and the webhook; nil when CONSOLE_ADDR is
// empty.
func (m *Main) startConsole(a *proc) (*httpServer, error) {
	if m.config.ConsoleAddr == "" {
		return nil, nil
	}
	msgs, err := bot.LoadMessages(m.config.DefaultLanguage)
	if err != nil {
		return nil, err
	}
	log := m.log.With(slog.String("component", "console"))
	c, err := console.New(console.Options{
		Catalog: a.Catalog, Orders: a.Orders, Redis: a.Redis, Prefix: m.config.RedisPrefix, // REDIS_PREFIX, as the bot's keys (README, "Operations")
		Messages: msgs, BaseURL: m.config.consoleURL(), Location: m.config.Location(), Log: log,
		BotUsername: a.Bot.Username,
	})
	if err != nil {
		return nil, err
	}
	s, err := startHTTP(m.config.ConsoleAddr, c, log)
	if err != nil {
		return nil, err
	}
	log.Info("console serving", "listen", s.Addr(), "url", m.config.consoleURL())
	return s, nil
}

// failedCh is the server's failure, never ready for no server.
func (s *httpServer) failedCh() <-chan error {
	if s == nil {
		return nil
	}
	return s.failed
}

// stop shuts the console down, when there is one.
func (s *httpServer) stop() {
	if s != nil {
		s.Shutdown(httpGrace)
	}
}
