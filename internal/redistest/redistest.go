// Package redistest gives each test a Redis client and a key prefix of its
// own, so tests share the local server safely; the keys are deleted at the
// end of the test.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
)

// URL is the Redis server tests use: $TEST_REDIS_URL or the local default.
func URL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// New returns a client and a unique key prefix ending in ":".
func New(tb testing.TB) (*redis.Client, string) {
	tb.Helper()
	opt, err := redis.ParseURL(URL())
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	rdb := redis.NewClient(opt)
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	prefix := "test:" + hex.EncodeToString(b) + ":"
	tb.Cleanup(func() {
		defer rdb.Close()
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	return rdb, prefix
}
