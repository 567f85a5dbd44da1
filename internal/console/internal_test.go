package console

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h := hashPassword("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if h == hashPassword("correct horse battery") {
		t.Error("two hashes of one password are equal: no salt")
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false, "": false} {
		if got := checkPassword(h, pw); got != want {
			t.Errorf("checkPassword(%q) = %v", pw, got)
		}
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdA$aGFzaA", "plain"} {
		if checkPassword(bad, "x") {
			t.Errorf("checkPassword accepted the stored %q", bad)
		}
	}
}

func TestClientAddr(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ remote, xff, want string }{
		{"203.0.113.5:4000", "", "203.0.113.5"},
		{"203.0.113.5:4000", "1.2.3.4", "203.0.113.5"}, // a client cannot claim another address
		{"127.0.0.1:4000", "198.51.100.7", "198.51.100.7"},
		{"172.18.0.1:4000", "1.2.3.4, 198.51.100.7", "198.51.100.7"}, // the proxy's own entry is the last
		{"127.0.0.1:4000", "", "127.0.0.1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := clientAddr(r); got != tt.want {
			t.Errorf("clientAddr(%s, %q) = %q, want %q", tt.remote, tt.xff, got, tt.want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/orders?status=placed": "/orders?status=placed", "": "/", "//evil.example": "/",
		"https://evil.example": "/", "/\\evil.example": "/", "/a\r\nSet-Cookie: x": "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
