package redisstore_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"villagebot/internal/redisstore"
)

// A bot process's Redis pool has room for both sets of workers, the
// webhook's connections and the background jobs; what REDIS_URL sets is
// kept.
func TestTuneRedis(t *testing.T) {
	t.Parallel()
	opt := &redis.Options{}
	redisstore.Tune(opt, 50)
	if opt.PoolSize != 2*50+40+4 || opt.PoolTimeout != time.Second || !opt.ContextTimeoutEnabled {
		t.Errorf("for 50 workers: pool %d, wait %v, context timeouts %v", opt.PoolSize, opt.PoolTimeout, opt.ContextTimeoutEnabled)
	}
	opt = &redis.Options{}
	redisstore.Tune(opt, 0)
	if opt.PoolSize != 2*16+40+4 {
		t.Errorf("for the default workers: pool %d, want %d", opt.PoolSize, 2*16+40+4)
	}
	set, err := redis.ParseURL("redis://127.0.0.1:6379/0?pool_size=7&pool_timeout=3s")
	if err != nil {
		t.Fatal(err)
	}
	redisstore.Tune(set, 16)
	if set.PoolSize != 7 || set.PoolTimeout != 3*time.Second {
		t.Errorf("the URL's pool %d and wait %v were not kept", set.PoolSize, set.PoolTimeout)
	}
}
