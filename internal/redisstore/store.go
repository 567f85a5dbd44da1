package redisstore

import (
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Store is one bot's part of a Redis: every key under Prefix, and one
// guard that all its adapters share, since Redis is down for all of them
// at once.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	guard  *guard
}

// New returns the Store of keys under prefix in rdb. prefix is the bot's
// namespace (see Prefix); tests give each their own.
func New(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix, guard: &guard{}}
}

// Prefix is the namespace of a bot's keys: REDIS_PREFIX when it is set,
// else "bot<id>:" with the bot's user id from getMe, so that two bots
// sharing a Redis database never read each other's updates, sessions or
// locks.
func Prefix(configured string, botID int64) string {
	if configured != "" {
		return configured
	}
	return "bot" + itoa64(botID) + ":"
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
