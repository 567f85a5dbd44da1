package pgtest

import (
	"net/url"
	"testing"
)

func withDatabase(tb testing.TB, server, name string) string {
	u, err := url.Parse(server)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}
