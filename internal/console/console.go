// Package console is the staff web console of SPEC §14: every staff job of
// the chat, in a browser, for the coordinators and office staff Telegram
// cannot reach. Pages are server-rendered html/template files embedded in
// the binary; each handler parses the request, checks the signed-in
// person's role, calls the same catalog.Store or orders.Store method as
// the chat command, and renders. Sessions, sign-in limits and CSRF tokens
// live in one place (session.go, middleware.go).
package console

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"villagebot/catalog"
	"villagebot/orders"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Messages is the message catalogue the console's words come from (the
// bot's, bot.Messages).
type Messages interface {
	T(lang, id string, kv ...any) string
}

// Options are what a console is built from.
type Options struct {
	Catalog  *catalog.Store
	Orders   *orders.Store
	Redis    redis.UniversalClient
	Prefix   string // Redis key prefix, as the bot's
	Messages Messages
	// BaseURL is CONSOLE_URL: the public address, used in sign-in links;
	// https turns on Secure cookies.
	BaseURL  string
	Location *time.Location
	Log      *slog.Logger
	// BotUsername makes QR cards link to the bot (t.me/<name>?start=…).
	BotUsername func() string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Server is the console's HTTP handler.
type Server struct {
	opt      Options
	sessions *sessions
	pages    map[string]pageTemplate
	mux      *http.ServeMux
	secure   bool
}

// Languages the console speaks, as the bot.
var Languages = []string{"zh", "en", "ru"}

// New builds a console.
func New(opt Options) (*Server, error) {
	if opt.Catalog == nil || opt.Orders == nil || opt.Redis == nil || opt.Messages == nil {
		return nil, errors.New("console: Catalog, Orders, Redis and Messages are required")
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.BotUsername == nil {
		opt.BotUsername = func() string { return "" }
	}
	opt.BaseURL = strings.TrimSuffix(opt.BaseURL, "/")
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{
		opt:      opt,
		sessions: &sessions{rdb: opt.Redis, prefix: opt.Prefix + "console:", now: opt.Now},
		pages:    pages,
		secure:   strings.HasPrefix(opt.BaseURL, "https://"),
	}
	s.mux = s.routes()
	return s, nil
}

// ServeHTTP serves the console.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// LinkURL is the address of a one-time sign-in link on the console at
// base (CONSOLE_URL).
func LinkURL(base, token string) string {
	return strings.TrimSuffix(base, "/") + "/link/" + token
}

// routes lists every page and action of the console in one place. Each
// handler states the least role it needs; village pages check the village
// themselves.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(time.Hour, http.FileServerFS(static))))

	anon := func(h handler) http.Handler { return s.wrap(h, "") }
	staff := func(h handler) http.Handler { return s.wrap(h, catalog.Coordinator) }
	office := func(h handler) http.Handler { return s.wrap(h, catalog.Office) }

	mux.Handle("GET /signin", anon(s.signinPage))
	mux.Handle("POST /signin", anon(s.signin))
	mux.Handle("GET /link/{token}", anon(s.linkPage))
	mux.Handle("POST /link/{token}", anon(s.setPassword))
	mux.Handle("POST /signout", staff(s.signout))
	mux.Handle("POST /signout/everywhere", staff(s.signoutEverywhere))

	mux.Handle("GET /{$}", staff(s.home))
	mux.Handle("GET /orders", staff(s.ordersPage))
	mux.Handle("GET /orders/{number}", staff(s.orderPage))
	mux.Handle("POST /orders/{number}/status", office(s.orderStatus))
	mux.Handle("POST /orders/{number}/ready", staff(s.orderReady))
	// Payment (SPEC §12) and cancel with a reason (§13) are being added
	// to orders.Store by other work; their actions belong here:
	//   POST /orders/{number}/paid    → orders.Store's payment method
	//   POST /orders/{number}/cancel  → orders.Store's cancel with reason

	mux.Handle("GET /products", staff(s.productsHome))
	mux.Handle("GET /villages/{code}/products", staff(s.productsPage))
	mux.Handle("POST /villages/{code}/products/{sku}/stock", staff(s.productStock))
	mux.Handle("POST /villages/{code}/products/{sku}/price", staff(s.productPrice))
	mux.Handle("POST /villages/{code}/products/{sku}/visible", staff(s.productVisible))
	mux.Handle("POST /villages/{code}/products/{sku}/photo", staff(s.productPhoto))
	mux.Handle("GET /photos/{id}", anon(s.photo))

	mux.Handle("GET /import", staff(s.importPage))
	mux.Handle("GET /import/template.csv", staff(s.importTemplate))
	mux.Handle("POST /import", staff(s.importFile))
	mux.Handle("GET /export", office(s.exportPage))
	mux.Handle("GET /export/orders", office(s.exportOrders))
	mux.Handle("GET /export/catalog.xlsx", office(s.exportCatalog))
	mux.Handle("GET /stats", office(s.statsPage))
	mux.Handle("GET /qr", office(s.qrPage))
	mux.Handle("GET /qr/{code}", office(s.qrCard))
	mux.Handle("GET /staff", office(s.staffPage))
	mux.Handle("POST /staff/invite", office(s.staffInvite))
	mux.Handle("POST /staff/{id}/role", office(s.staffRole))
	mux.Handle("POST /staff/{id}/revoke", office(s.staffRevoke))
	mux.Handle("POST /staff/{id}/link", office(s.staffLink))
	mux.Handle("GET /history", staff(s.historyPage))
	return mux
}

func cacheFor(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(d.Seconds())))
		h.ServeHTTP(w, r)
	})
}

// home sends a coordinator to their products and office staff to orders.
func (s *Server) home(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if c.Me.Role == catalog.Coordinator {
		return redirect(w, r, "/villages/"+c.Me.VillageCode+"/products")
	}
	return redirect(w, r, "/orders")
}

func redirect(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
