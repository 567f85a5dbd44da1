package catalog

import (
	"context"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// readCache holds reads by key. Every write moves it to a new generation;
// a read that began in an older one is not kept, so a read racing a write
// never puts the state from before the write back in.
type readCache struct {
	mu      sync.Mutex
	gen     uint64
	entries map[string]cacheEntry
	reads   singleflight.Group // reads under way, by key and generation
}

type cacheEntry struct {
	v       any
	expires time.Time
}

func (c *readCache) get(key string, now time.Time) (v any, gen uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if ok && now.Before(e.expires) {
		return e.v, c.gen, true
	}
	return nil, c.gen, false
}

func (c *readCache) put(key string, gen uint64, v any, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen {
		c.entries[key] = cacheEntry{v: v, expires: expires}
	}
}

func (c *readCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}

// cached returns what read returns, from the cache when it was read less
// than s.CacheFor ago. Errors are not kept. The cache holds a handful of
// keys per village and category, so it needs no bound. When an entry runs
// out, the callers asking for it meanwhile share one read rather than all
// going to the database at once; that read is no one caller's, so it runs
// on its own (for at most sharedReadWait) and each caller waits for it
// only as long as its own ctx allows.
func cached[T any](ctx context.Context, s *Store, key string, read func(ctx context.Context) (T, error)) (T, error) {
	if s.CacheFor <= 0 {
		return read(ctx)
	}
	now := time.Now()
	v, gen, ok := s.db.cache.get(key, now)
	if ok {
		return v.(T), nil
	}
	shared := s.db.cache.reads.DoChan(key+"@"+strconv.FormatUint(gen, 10), func() (any, error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sharedReadWait)
		defer cancel()
		fresh, err := read(rctx)
		if err == nil {
			s.db.cache.put(key, gen, fresh, now.Add(s.CacheFor))
		}
		return fresh, err
	})
	select {
	case r := <-shared:
		fresh, _ := r.Val.(T)
		return fresh, r.Err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// sharedReadWait bounds a read that cached callers share.
const sharedReadWait = 10 * time.Second
