package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"villagebot/migrations"
)

// serve's HTTP listener on LISTEN_ADDR, in both modes:
//
//	GET  /healthz          200 "ok" while the process is up
//	GET  /readyz           200 when PostgreSQL and Redis answer, no migration is pending and updates come in, else 503 and why
//	GET  /metrics          Prometheus: the bot's metrics, Go's and the process's
//	POST <WEBHOOK_URL path> Telegram's updates, in webhook mode

// readyTimeout bounds one readiness check, all of it: well inside
// Kubernetes' default probe timeout of 1 s. redisReadyTimeout bounds the
// Redis ping within it, so that a Redis that is gone is reported in time.
const (
	readyTimeout      = 600 * time.Millisecond
	redisReadyTimeout = 300 * time.Millisecond
)

// reservedPaths are the endpoints a webhook path may not take.
var reservedPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// webhookPath is the path of WEBHOOK_URL the webhook is served at.
func webhookPath(webhookURL string) (string, error) {
	u, err := url.Parse(webhookURL)
	if err != nil {
		return "", fmt.Errorf("WEBHOOK_URL is not a URL")
	}
	p := u.Path
	if p == "" {
		p = "/"
	}
	if reservedPaths[p] {
		return "", fmt.Errorf("WEBHOOK_URL's path %s is taken by /healthz, /readyz or /metrics; choose another", p)
	}
	return p, nil
}

// readiness checks what the bot stands on.
type readiness struct {
	db  *sqlx.DB
	rdb redis.UniversalClient
	// intake, when set, is nil while updates come in (app.Process.Ready).
	intake func() error
	log    *slog.Logger
}

// check returns "" when ready, else a short reason (details are logged,
// not shown: the endpoint may face the internet).
func (r readiness) check(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := r.db.PingContext(ctx); err != nil {
		r.log.Warn("not ready: postgres", "err", err)
		return "postgres not answering"
	}
	rctx, cancel := context.WithTimeout(ctx, redisReadyTimeout)
	defer cancel()
	if err := r.rdb.Ping(rctx).Err(); err != nil {
		r.log.Warn("not ready: redis", "err", err)
		return "redis not answering"
	}
	if r.intake != nil {
		if err := r.intake(); err != nil {
			r.log.Warn("not ready: updates", "err", err)
			return "updates cannot be fetched from Telegram"
		}
	}
	pending, err := migrations.Pending(ctx, r.db.DB)
	if err != nil {
		r.log.Warn("not ready: migrations", "err", err)
		return "schema version unknown"
	}
	if pending {
		return "migrations pending"
	}
	return ""
}

// routes is every HTTP endpoint in one place. webhook may be nil (long
// polling, hookPath then unused); otherwise it is served at exactly
// hookPath.
func routes(ready readiness, reg *prometheus.Registry, hookPath string, webhook http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if reason := ready.check(r.Context()); reason != "" {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready:", reason)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(ready.log.Handler(), slog.LevelWarn),
		Timeout:  5 * time.Second,
	}))
	if webhook == nil {
		return mux
	}
	// The path comes from configuration and may hold anything (even the
	// token, a common choice): it is compared, not made a mux pattern.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == hookPath {
			webhook.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// httpServer is the listener serve runs.
type httpServer struct {
	srv    *http.Server
	ln     net.Listener
	failed chan error // gets Serve's error if it stops by itself
}

// startHTTP listens on addr at once, so that a taken port fails serve
// before anything else starts, and serves h in the background.
func startHTTP(addr string, h http.Handler, log *slog.Logger) (*httpServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("LISTEN_ADDR: %w", err)
	}
	s := &httpServer{
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      15 * time.Second,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
		ln:     ln,
		failed: make(chan error, 1),
	}
	go func() {
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.failed <- fmt.Errorf("http: %w", err)
		}
	}()
	return s, nil
}

// Addr is the address listened on (with the port chosen for ":0").
func (s *httpServer) Addr() string { return s.ln.Addr().String() }

// Shutdown stops accepting and waits at most timeout for the requests in
// progress; then it closes what is left.
func (s *httpServer) Shutdown(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close()
		return err
	}
	return nil
}
