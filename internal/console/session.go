package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/argon2"
)

// Sessions and sign-in limits, kept server-side in Redis under the bot's
// prefix and "console:". The browser holds only a random session id in
// an HttpOnly cookie; Redis holds its SHA-256, so a copy of Redis opens no
// session.
const (
	sessionTTL = 12 * time.Hour
	// A sign-in name with ten wrong passwords in lockFor is locked for
	// the rest of lockFor; one address with addressLimit wrong passwords
	// (over any names) likewise.
	accountLimit = 10
	addressLimit = 30
	lockFor      = 15 * time.Minute

	minPassword = 10
	maxPassword = 200
)

type session struct {
	StaffID    int64  `json:"staff_id"`
	Generation int    `json:"generation"` // the account's when signed in
	CSRF       string `json:"csrf"`
}

type sessions struct {
	rdb    redis.UniversalClient
	prefix string
	now    func() time.Time
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (ss *sessions) key(id string) string {
	sum := sha256.Sum256([]byte(id))
	return ss.prefix + "session:" + hex.EncodeToString(sum[:])
}

// create stores a new session and returns its id.
func (ss *sessions) create(ctx context.Context, staffID int64, generation int) (string, session, error) {
	id := randomToken()
	sess := session{StaffID: staffID, Generation: generation, CSRF: randomToken()}
	b, _ := json.Marshal(sess)
	if err := ss.rdb.Set(ctx, ss.key(id), b, sessionTTL).Err(); err != nil {
		return "", session{}, fmt.Errorf("console: session: %w", err)
	}
	return id, sess, nil
}

var errNoSession = errors.New("no session")

func (ss *sessions) get(ctx context.Context, id string) (session, error) {
	if id == "" || len(id) > 100 {
		return session{}, errNoSession
	}
	b, err := ss.rdb.Get(ctx, ss.key(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return session{}, errNoSession
	}
	if err != nil {
		return session{}, fmt.Errorf("console: session: %w", err)
	}
	var sess session
	if err := json.Unmarshal(b, &sess); err != nil {
		return session{}, errNoSession
	}
	return sess, nil
}

func (ss *sessions) delete(ctx context.Context, id string) error {
	return ss.rdb.Del(ctx, ss.key(id)).Err()
}

func (ss *sessions) failKey(kind, who string) string {
	sum := sha256.Sum256([]byte(who))
	return ss.prefix + "signin-failed:" + kind + ":" + hex.EncodeToString(sum[:12])
}

// locked reports whether sign-in is locked for name or addr, and for how
// much longer.
func (ss *sessions) locked(ctx context.Context, name, addr string) (time.Duration, error) {
	for _, k := range []struct {
		key   string
		limit int
	}{{ss.failKey("name", name), accountLimit}, {ss.failKey("addr", addr), addressLimit}} {
		n, err := ss.rdb.Get(ctx, k.key).Int()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("console: sign-in limit: %w", err)
		}
		if n >= k.limit {
			ttl, err := ss.rdb.TTL(ctx, k.key).Result()
			if err != nil {
				return 0, fmt.Errorf("console: sign-in limit: %w", err)
			}
			return max(ttl, time.Second), nil
		}
	}
	return 0, nil
}

// failed counts a wrong password for name and addr.
func (ss *sessions) failed(ctx context.Context, name, addr string) error {
	_, err := ss.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range []string{ss.failKey("name", name), ss.failKey("addr", addr)} {
			p.Incr(ctx, k)
			p.ExpireNX(ctx, k, lockFor)
		}
		return nil
	})
	return err
}

// succeeded forgets name's wrong passwords (the address keeps its count).
func (ss *sessions) succeeded(ctx context.Context, name string) error {
	return ss.rdb.Del(ctx, ss.failKey("name", name)).Err()
}

// Passwords are hashed with argon2id at the parameters of RFC 9106's
// second recommendation scaled to a small server (19 MiB, 2 passes), in
// the usual encoded form $argon2id$v=19$m=…,t=…,p=…$salt$hash.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

func hashPassword(password string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// checkPassword reports whether password matches encoded (made by
// hashPassword, with whatever parameters it recorded).
func checkPassword(encoded, password string) bool {
	f := strings.Split(encoded, "$")
	if len(f) != 6 || f[1] != "argon2id" || f[2] != "v="+strconv.Itoa(argon2.Version) {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(f[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m > 1<<20 || t > 10 || p == 0 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(f[4])
	want, err2 := base64.RawStdEncoding.DecodeString(f[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when a name is unknown, so that an
// unknown name takes as long as a wrong password.
var dummyHash = sync.OnceValue(func() string { return hashPassword("not anyone's password") })
