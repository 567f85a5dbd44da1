package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config is villagebot's configuration, read from the environment (the
// README's configuration table); flags may override it.
type Config struct {
	Token           string // TELEGRAM_BOT_TOKEN
	APIURL          string // TELEGRAM_API_URL
	DatabaseURL     string // DATABASE_URL
	RedisURL        string // REDIS_URL
	WebhookURL      string // WEBHOOK_URL
	WebhookSecret   string // WEBHOOK_SECRET
	ListenAddr      string // LISTEN_ADDR
	DefaultLanguage string // DEFAULT_LANGUAGE
	LogLevel        string // LOG_LEVEL
	Timezone        string // TIMEZONE
	OrderHold       string // ORDER_HOLD: how long a sale may stay placed
	OrderRemind     string // ORDER_REMIND: how long before the hold ends staff are reminded
	LowStock        string // LOW_STOCK: the stock at which coordinators are told
	SendRate        string // TELEGRAM_RATE: messages a second the whole bot sends
	ConsoleAddr     string // CONSOLE_ADDR: where the staff console listens; empty: no console
	ConsoleURL      string // CONSOLE_URL: the console's public base URL (default http://CONSOLE_ADDR)
	// RedisPrefix is REDIS_PREFIX: the namespace of the bot's Redis keys;
	// empty: "bot<id>:", with the bot's id from getMe.
	RedisPrefix string

	// The typed values of the variables above, parsed once by Validate.
	Hold      time.Duration  // ORDER_HOLD; 0: never
	Remind    time.Duration  // ORDER_REMIND; 0: never
	LowStockN int            // LOW_STOCK
	Rate      float64        // TELEGRAM_RATE
	Loc       *time.Location // TIMEZONE
	// PAYMENT_PROVIDER_TOKEN turns on Telegram Payments (SPEC §12); a
	// secret like the bot token. PAYMENT_CURRENCY is the invoices'.
	PaymentProviderToken string
	PaymentCurrency      string
}

// ConfigFromEnv reads the configuration through getenv, with the README's
// defaults.
func ConfigFromEnv(getenv func(string) string) Config {
	get := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	return Config{
		Token:           strings.TrimSpace(getenv("TELEGRAM_BOT_TOKEN")),
		APIURL:          get("TELEGRAM_API_URL", "https://api.telegram.org"),
		DatabaseURL:     get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/villagebot?sslmode=disable"),
		RedisURL:        get("REDIS_URL", "redis://127.0.0.1:6379/0"),
		WebhookURL:      get("WEBHOOK_URL", ""),
		WebhookSecret:   get("WEBHOOK_SECRET", ""),
		ListenAddr:      get("LISTEN_ADDR", "127.0.0.1:8080"),
		DefaultLanguage: get("DEFAULT_LANGUAGE", "en"),
		LogLevel:        get("LOG_LEVEL", "info"),
		Timezone:        get("TIMEZONE", "Asia/Shanghai"),
		OrderHold:       get("ORDER_HOLD", "48h"),
		OrderRemind:     get("ORDER_REMIND", ""),
		LowStock:        get("LOW_STOCK", "5"),
		SendRate:        get("TELEGRAM_RATE", "30"),
		ConsoleAddr:     get("CONSOLE_ADDR", ""),
		ConsoleURL:      strings.TrimSuffix(get("CONSOLE_URL", ""), "/"),
		RedisPrefix:     get("REDIS_PREFIX", ""),

		PaymentProviderToken: strings.TrimSpace(getenv("PAYMENT_PROVIDER_TOKEN")),
		PaymentCurrency:      get("PAYMENT_CURRENCY", "CNY"),
	}
}

var (
	tokenRE  = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$`)
	secretRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	prefixRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
)

// Validate checks every variable, names the first bad one, and sets the
// typed values. The token's value is never part of the message.
func (c *Config) Validate(needToken bool) error {
	if needToken && c.Token == "" {
		return fmt.Errorf("TELEGRAM_BOT_TOKEN is not set")
	}
	if c.Token != "" && !tokenRE.MatchString(c.Token) {
		return fmt.Errorf("TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then letters, digits, _ or -)")
	}
	if err := checkURL("TELEGRAM_API_URL", c.APIURL, "http", "https"); err != nil {
		return err
	}
	if err := checkURL("DATABASE_URL", c.DatabaseURL, "postgres", "postgresql"); err != nil {
		return err
	}
	if err := checkURL("REDIS_URL", c.RedisURL, "redis", "rediss", "unix"); err != nil {
		return err
	}
	if c.WebhookURL != "" {
		if err := checkURL("WEBHOOK_URL", c.WebhookURL, "https", "http"); err != nil {
			return err
		}
	}
	if c.WebhookSecret != "" && !secretRE.MatchString(c.WebhookSecret) {
		return fmt.Errorf("WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
	}
	if _, _, err := net.SplitHostPort(c.ListenAddr); err != nil {
		return fmt.Errorf("LISTEN_ADDR %q is not host:port", c.ListenAddr)
	}
	switch c.DefaultLanguage {
	case "zh", "en", "ru":
	default:
		return fmt.Errorf("DEFAULT_LANGUAGE %q is not one of zh, en, ru", c.DefaultLanguage)
	}
	if _, err := c.level(); err != nil {
		return err
	}
	var err error
	if c.Loc, err = time.LoadLocation(c.Timezone); err != nil {
		return fmt.Errorf("TIMEZONE %q is not a known time zone", c.Timezone)
	}
	if c.Hold, err = c.hold(); err != nil {
		return err
	}
	if c.Remind, err = c.remind(); err != nil {
		return err
	}
	if c.LowStockN, err = c.lowStock(); err != nil {
		return err
	}
	if c.Rate, err = c.sendRate(); err != nil {
		return err
	}
	if c.RedisPrefix != "" && !prefixRE.MatchString(c.RedisPrefix) {
		return fmt.Errorf("REDIS_PREFIX must be 1-64 letters, digits, dots, colons, dashes or underscores")
	}
	if t := c.PaymentProviderToken; t != "" && !providerTokenRE.MatchString(t) {
		return fmt.Errorf("PAYMENT_PROVIDER_TOKEN does not look like a payment provider token from @BotFather (such as 123456:TEST:abc…)")
	}
	if !currencyRE.MatchString(c.PaymentCurrency) {
		return fmt.Errorf("PAYMENT_CURRENCY %q is not a three-letter currency code such as CNY", c.PaymentCurrency)
	}
	return c.validateConsole()
}

// validateConsole checks CONSOLE_ADDR and CONSOLE_URL (README, "Staff console").
func (c Config) validateConsole() error {
	if c.ConsoleAddr != "" {
		if _, _, err := net.SplitHostPort(c.ConsoleAddr); err != nil {
			return fmt.Errorf("CONSOLE_ADDR %q is not host:port", c.ConsoleAddr)
		}
		if c.ConsoleAddr == c.ListenAddr {
			return fmt.Errorf("CONSOLE_ADDR must differ from LISTEN_ADDR: the console is kept apart from /metrics")
		}
	}
	if c.ConsoleURL != "" {
		return checkURL("CONSOLE_URL", c.ConsoleURL, "https", "http")
	}
	return nil
}

// consoleURL is the console's public base URL without a trailing slash;
// "" when neither CONSOLE_URL nor CONSOLE_ADDR is set.
func (c Config) consoleURL() string {
	switch {
	case c.ConsoleURL != "":
		return c.ConsoleURL
	case c.ConsoleAddr != "":
		return "http://" + c.ConsoleAddr
	}
	return ""
}

var (
	providerTokenRE = regexp.MustCompile(`^[0-9]{1,20}:[A-Z]{4}:[A-Za-z0-9_=+/-]{4,200}$`)
	currencyRE      = regexp.MustCompile(`^[A-Z]{3}$`)
)

// sendRate is TELEGRAM_RATE: the messages a second all of the bot's
// processes send together, from 1 to 1000 (Telegram allows about 30; more
// only for a bot Telegram raised the limit of).
func (c Config) sendRate() (float64, error) {
	r, err := strconv.ParseFloat(c.SendRate, 64)
	if err != nil || !(r >= 1 && r <= 1000) {
		return 0, fmt.Errorf("TELEGRAM_RATE %q is not a number of messages a second from 1 to 1000", c.SendRate)
	}
	return r, nil
}

// hold is ORDER_HOLD: a duration such as 48h; 0 never expires orders.
func (c Config) hold() (time.Duration, error) {
	d, err := time.ParseDuration(c.OrderHold)
	if err != nil || d < 0 || d > 90*24*time.Hour {
		return 0, fmt.Errorf("ORDER_HOLD %q is not a duration from 0 to 2160h, such as 48h", c.OrderHold)
	}
	return d, nil
}

// remind is ORDER_REMIND: how long before ORDER_HOLD ends a sale still
// placed staff are reminded of it, shorter than the hold; 0 never
// reminds. Unset, it is 12h, or half the hold when the hold is not longer.
func (c Config) remind() (time.Duration, error) {
	hold, _ := c.hold()
	if c.OrderRemind == "" {
		if hold > 0 && hold <= 12*time.Hour {
			return hold / 2, nil
		}
		return 12 * time.Hour, nil
	}
	d, err := time.ParseDuration(c.OrderRemind)
	if err != nil || d < 0 || hold > 0 && d >= hold {
		return 0, fmt.Errorf("ORDER_REMIND %q is not a duration from 0 to less than ORDER_HOLD (%s), such as 12h", c.OrderRemind, c.OrderHold)
	}
	return d, nil
}

// lowStock is LOW_STOCK: a whole number from 0 to 1000000.
func (c Config) lowStock() (int, error) {
	n, err := strconv.Atoi(c.LowStock)
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, fmt.Errorf("LOW_STOCK %q is not a whole number from 0 to 1000000", c.LowStock)
	}
	return n, nil
}

func checkURL(name, value string, schemes ...string) error {
	u, err := url.Parse(value)
	if err != nil {
		return fmt.Errorf("%s is not a URL", name)
	}
	for _, s := range schemes {
		if u.Scheme == s && (u.Host != "" || s == "unix") {
			return nil
		}
	}
	return fmt.Errorf("%s must be a %s:// URL", name, strings.Join(schemes, ":// or "))
}

func (c Config) level() (slog.Level, error) {
	switch strings.ToLower(c.LogLevel) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("LOG_LEVEL %q is not one of debug, info, warn, error", c.LogLevel)
}

// Location is the office's time zone (UTC before Validate).
func (c Config) Location() *time.Location {
	if c.Loc == nil {
		return time.UTC
	}
	return c.Loc
}
