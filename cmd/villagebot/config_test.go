package main

import (
	"strings"
	"testing"
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
		{"LOW_STOCK", "-1"},
		{"TELEGRAM_RATE", "0"},
		{"TELEGRAM_RATE", "fast"},
		{"PAYMENT_PROVIDER_TOKEN", "has spaces in it"},
		{"PAYMENT_CURRENCY", "yuan"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			kv := map[string]string{"TELEGRAM_BOT_TOKEN": token, tt.key: tt.value}
			err := ConfigFromEnv(env(kv)).Validate(true)
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
