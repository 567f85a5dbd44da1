package main

import (
	"strings"
	"testing"
	"time"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestConfigDefaultsAreValid(t *testing.T) {
	c := ConfigFromEnv(env(nil))
	if err := c.Validate(false); err != nil {
		t.Fatal(err)
	}
	if c.APIURL != "https://api.telegram.org" || c.ListenAddr != "127.0.0.1:8080" || c.DefaultLanguage != "en" || c.Timezone != "Asia/Shanghai" {
		t.Errorf("defaults = %+v", c)
	}
	if err := c.Validate(true); err == nil || !strings.Contains(err.Error(), "TELEGRAM_BOT_TOKEN") {
		t.Errorf("serve without a token: %v", err)
	}
}

// Validate names the bad variable, and never prints the token.
func TestConfigValidateNamesTheBadVariable(t *testing.T) {
	const token = "123456:AAbbCCddEEffGGhhIIjjKKllMMnnOOpp"
	tests := []struct{ key, value string }{
		{"TELEGRAM_BOT_TOKEN", "not-a-token"},
		{"TELEGRAM_API_URL", "ftp://x"},
		{"DATABASE_URL", "mysql://x"},
		{"REDIS_URL", "http://x"},
		{"WEBHOOK_URL", "::"},
		{"WEBHOOK_SECRET", "has spaces"},
		{"LISTEN_ADDR", "8080"},
		{"DEFAULT_LANGUAGE", "fr"},
		{"LOG_LEVEL", "loud"},
		{"TIMEZONE", "Mars/Olympus"},
		{"ORDER_HOLD", "forever"},
		{"ORDER_HOLD", "-1h"},
		{"ORDER_REMIND", "soon"},
		{"ORDER_REMIND", "-1h"},
		{"ORDER_REMIND", "48h"}, // not before the default hold ends
		{"LOW_STOCK", "-1"},
		{"TELEGRAM_RATE", "0"},
		{"TELEGRAM_RATE", "fast"},
		{"PAYMENT_PROVIDER_TOKEN", "has spaces in it"},
		{"PAYMENT_CURRENCY", "yuan"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			kv := map[string]string{"TELEGRAM_BOT_TOKEN": token, tt.key: tt.value}
			c := ConfigFromEnv(env(kv))
			err := c.Validate(true)
			if err == nil {
				t.Fatalf("%s=%q accepted", tt.key, tt.value)
			}
			if !strings.HasPrefix(err.Error(), tt.key) {
				t.Errorf("error %q does not name %s", err, tt.key)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error %q shows the token", err)
			}
		})
	}
}

// ORDER_REMIND is 12h unless set, or half a hold of 12h or less; set, it
// must end before the hold does.
func TestConfigRemind(t *testing.T) {
	for _, tt := range []struct {
		hold, remind string
		want         time.Duration
		ok           bool
	}{
		{"", "", 12 * time.Hour, true},
		{"6h", "", 3 * time.Hour, true},
		{"0", "", 12 * time.Hour, true},
		{"48h", "1h30m", 90 * time.Minute, true},
		{"48h", "0", 0, true},
		{"0", "100h", 100 * time.Hour, true},
		{"6h", "6h", 0, false},
		{"6h", "12h", 0, false},
	} {
		c := ConfigFromEnv(env(map[string]string{"ORDER_HOLD": tt.hold, "ORDER_REMIND": tt.remind}))
		got, err := c.remind()
		if tt.ok && (err != nil || got != tt.want) || !tt.ok && (err == nil || c.Validate(false) == nil) {
			t.Errorf("ORDER_HOLD=%q ORDER_REMIND=%q: %v, %v; want %v (ok %v)", tt.hold, tt.remind, got, err, tt.want, tt.ok)
		}
	}
}
