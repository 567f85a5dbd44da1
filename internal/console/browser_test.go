package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"villagebot/bot"
	"villagebot/bot/telegramtest"
	"villagebot/catalog"
	"villagebot/internal/app"
	"villagebot/internal/delivery"
	"villagebot/internal/redisstore"
	"villagebot/internal/redistest"
	"villagebot/internal/telegram"
)

// The console's journeys in a real browser: Debian's Chromium, headless,
// driven by chromedp. Screenshots of the main pages at phone and desktop
// widths go to $ARTIFACTS_DIR/screenshots, or testdata/screenshots
// (git-ignored).

// chromium finds the browser, or skips the test loudly.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "BROWSER TESTS SKIPPED: no chromium on PATH (scripts/services.sh installs Debian's chromium)"
	fmt.Fprintln(os.Stderr, "\n*** "+msg+" ***")
	t.Skip(msg)
	return ""
}

// newBrowser starts a headless Chromium for the test.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// stepTimeout bounds one browser step: generous, for a shared machine
// under load (a sign-in hashes a password with argon2id).
const stepTimeout = time.Minute

// run runs browser steps, each page load waited for, with a deadline.
func run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	for i, st := range steps {
		c, cancel := context.WithTimeout(ctx, stepTimeout)
		t0 := time.Now()
		err := chromedp.Do(c, st)
		cancel()
		if d := time.Since(t0); d > time.Second {
			t.Logf("slow step %d: %v", i+1, d)
		}
		if err != nil {
			t.Fatalf("browser step %d of %d: %v", i+1, len(steps), err)
		}
	}
}

// get runs one browser action that returns a value, with a deadline.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return get(t, ctx, chromedp.Text(chromedp.CSS(sel)))
}

// js runs a script in the page, as someone at the browser's developer
// tools could.
func js(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](expr+"; true")(ctx, t)
		return err
	})
}

func screenshotDir(t *testing.T) string {
	dir := filepath.Join("testdata", "screenshots")
	if a := os.Getenv("ARTIFACTS_DIR"); a != "" {
		dir = filepath.Join(a, "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shoot saves a full-page screenshot of the current page at a phone's
// and a desktop's width.
func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := screenshotDir(t)
	for _, w := range []struct {
		name     string
		viewport chromedp.Action[chromedp.Void]
	}{
		{"phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch)},
		{"desktop", chromedp.EmulateViewport(1280, 900)},
	} {
		run(t, ctx, w.viewport)
		png := get(t, ctx, chromedp.FullScreenshot(100)) // 100: PNG
		if err := os.WriteFile(filepath.Join(dir, name+"-"+w.name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// runBot starts the chat bot against an in-memory Telegram on the
// environment's stores, as `serve` runs it beside the console.
func runBot(t *testing.T, e *env) *telegramtest.Server {
	t.Helper()
	ctx := context.Background()
	srv := telegramtest.NewServer()
	t.Cleanup(srv.Close)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	limits := telegram.Limits{PerSecond: 100_000, Burst: 100_000, ChatPerSecond: 100_000, ChatBurst: 100_000, GroupPerMinute: 1_000_000, GroupBurst: 100_000}
	tg, err := telegram.New(ctx, srv.URL(), srv.Token(), log, telegram.WithLimits(limits))
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := bot.LoadMessages("en")
	rdb, prefix := redistest.New(t)
	p, err := app.Build(tg, app.Options{
		Bot:         bot.Options{Catalog: e.catalog, Orders: e.orders, Messages: msgs, Log: log},
		Delivery:    delivery.Options{Drain: 5 * time.Second},
		Store:       redisstore.New(rdb, prefix),
		Intake:      app.Poll,
		PollTimeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		<-done
	})
	return srv
}

// Invite → set a password → sign in → change a stock: the change shows in
// chat's /stock and in the catalog export.
func TestBrowserJourneyInviteToStockChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := newBrowser(t)
	tg := runBot(t, e)
	_, token, err := e.catalog.Invite(context.Background(), "li.mei", catalog.Coordinator, "maona", "cli")
	if err != nil {
		t.Fatal(err)
	}
	const password = "green tea hills 2026"
	run(t, ctx,
		chromedp.Navigate(e.srv.URL+"/link/"+token+"?lang=en"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)),
		chromedp.SetValue(chromedp.CSS(`input[name=password]`), password),
		chromedp.SetValue(chromedp.CSS(`input[name=password2]`), password),
		chromedp.Click(chromedp.CSS(`main button`)),
		chromedp.WaitVisible(chromedp.CSS(`#p-MN-BLACKTEA`)),
	)
	// Sign out and in again with the password just set.
	run(t, ctx,
		chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=name]`)),
	)
	shoot(t, ctx, "signin")
	run(t, ctx,
		chromedp.SetValue(chromedp.CSS(`input[name=name]`), "li.mei"),
		chromedp.SetValue(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`main button`)),
		chromedp.WaitVisible(chromedp.CSS(`#p-MN-BLACKTEA`)),
	)
	shoot(t, ctx, "products")
	// Set the stock to 137, then press + once: 138.
	stock := `#p-MN-BLACKTEA input[name=set]`
	run(t, ctx,
		chromedp.SetValue(chromedp.CSS(stock), "137"),
		chromedp.Click(chromedp.CSS(`#p-MN-BLACKTEA button.save[name=op]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.ok`)),
		chromedp.Navigate(e.srv.URL+"/villages/maona/products"),
		chromedp.Click(chromedp.CSS(`#p-MN-BLACKTEA button[name=delta][value="+1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.ok`)),
	)
	v := get(t, ctx, chromedp.Value(chromedp.CSS(stock)))
	if v != "138" || e.stock("MN-BLACKTEA") != 138 {
		t.Fatalf("stock field %q, stored %d; want 138", v, e.stock("MN-BLACKTEA"))
	}

	// The same person on Telegram sees it in /stock.
	if _, err := e.catalog.Grant(context.Background(), 9001, catalog.Coordinator, "maona", "cli"); err != nil {
		t.Fatal(err)
	}
	u := tg.AddUser(telegramtest.UserConfig{ID: 9001, FirstName: "Li", LanguageCode: "en", Started: true})
	u.Send("/stock")
	if _, err := u.WaitText(10*time.Second, "MN-BLACKTEA · Wuzhishan Black Tea · 138 ·"); err != nil {
		t.Fatal(err)
	}
	// And the catalog export carries it.
	dir := t.TempDir()
	if err := e.catalog.Export(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "products.csv"))
	found := false
	for _, line := range strings.Split(string(csv), "\n") {
		if strings.HasPrefix(line, "MN-BLACKTEA,") && strings.Contains(line, ",138,") {
			found = true
		}
	}
	if !found {
		t.Fatalf("the catalog export does not show stock 138:\n%s", csv)
	}
	var actor string
	e.db.Get(&actor, `SELECT actor FROM stock_ledger ORDER BY id DESC LIMIT 1`)
	if actor != "console:li.mei" {
		t.Errorf("the change is recorded by %q", actor)
	}
	run(t, ctx, chromedp.Navigate(e.srv.URL+"/history"), chromedp.WaitVisible(chromedp.CSS(`table.list`)))
	shoot(t, ctx, "history")
}

// A coordinator cannot open another village's page, nor post to it with
// a form they forged in the page; ten wrong passwords lock sign-in; a
// form without its CSRF token is refused. Screens of the office's pages
// are taken on the way.
func TestBrowserRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := newBrowser(t)
	e.invite("li.mei", catalog.Coordinator, "maona") // sets the password
	signin := func(name, password, then string) {
		run(t, ctx,
			chromedp.Navigate(e.srv.URL+"/signin?lang=en"),
			chromedp.WaitVisible(chromedp.CSS(`input[name=name]`)),
			chromedp.SetValue(chromedp.CSS(`input[name=name]`), name),
			chromedp.SetValue(chromedp.CSS(`input[name=password]`), password),
			chromedp.Click(chromedp.CSS(`main button`)),
			chromedp.WaitVisible(chromedp.CSS(then)),
		)
	}
	signin("li.mei", "correct horse battery", `header .who`)

	t.Run("another village's page by its URL", func(t *testing.T) {
		run(t, ctx, chromedp.Navigate(e.srv.URL+"/villages/xinglong/products"), chromedp.WaitVisible(chromedp.CSS(`p.error`)))
		if s := text(t, ctx, `p.error`); !strings.Contains(s, "not yours") {
			t.Fatalf("shown %q", s)
		}
	})
	t.Run("a forged form to another village's product", func(t *testing.T) {
		before := e.stock("XL-COFFEE")
		run(t, ctx,
			chromedp.Navigate(e.srv.URL+"/villages/maona/products"),
			chromedp.WaitVisible(chromedp.CSS(`#p-MN-BLACKTEA`)),
			// The coordinator rewrites their own form to aim at Xinglong's coffee.
			js(`document.querySelector('#p-MN-BLACKTEA form.stock').action = '/villages/xinglong/products/XL-COFFEE/stock'`),
			chromedp.SetValue(chromedp.CSS(`#p-MN-BLACKTEA input[name=set]`), "0"),
			chromedp.Click(chromedp.CSS(`#p-MN-BLACKTEA button.save[name=op]`)),
			chromedp.WaitVisible(chromedp.CSS(`p.error`)),
		)
		if e.stock("XL-COFFEE") != before {
			t.Fatalf("the forged form changed another village's stock")
		}
		run(t, ctx,
			chromedp.Navigate(e.srv.URL+"/villages/maona/products"),
			chromedp.WaitVisible(chromedp.CSS(`#p-MN-BLACKTEA`)),
			js(`document.querySelector('#p-MN-BLACKTEA form.stock').action = '/villages/maona/products/XL-COFFEE/stock'`),
			chromedp.Click(chromedp.CSS(`#p-MN-BLACKTEA button.save[name=op]`)),
			chromedp.WaitVisible(chromedp.CSS(`p.error`)),
		)
		if e.stock("XL-COFFEE") != before {
			t.Fatalf("a form naming another village's product under their own village changed it")
		}
	})
	t.Run("a form without its CSRF token", func(t *testing.T) {
		before := e.stock("MN-BLACKTEA")
		run(t, ctx,
			chromedp.Navigate(e.srv.URL+"/villages/maona/products"),
			chromedp.WaitVisible(chromedp.CSS(`#p-MN-BLACKTEA`)),
			js(`document.querySelector('#p-MN-BLACKTEA form.stock input[name=csrf]').remove()`),
			chromedp.Click(chromedp.CSS(`#p-MN-BLACKTEA button[name=delta][value="+1"]`)),
			chromedp.WaitVisible(chromedp.CSS(`p.error`)),
		)
		if s := text(t, ctx, `p.error`); !strings.Contains(s, "Reload the page") || e.stock("MN-BLACKTEA") != before {
			t.Fatalf("shown %q, stock %d → %d", s, before, e.stock("MN-BLACKTEA"))
		}
	})
	t.Run("the office's pages", func(t *testing.T) {
		e.invite("clerk", catalog.Office, "")
		run(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)), chromedp.WaitVisible(chromedp.CSS(`input[name=name]`)))
		signin("clerk", "correct horse battery", `header .who`)
		first := e.placeOrders()
		run(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/orders/%d", e.srv.URL, first)), chromedp.WaitVisible(chromedp.CSS(`ol.events`)))
		shoot(t, ctx, "order")
		run(t, ctx,
			chromedp.Click(chromedp.CSS(`form[action$="/status"] input[value=confirmed] ~ button`)),
			chromedp.WaitVisible(chromedp.CSS(`p.ok`)),
		)
		if s := text(t, ctx, `ol.events`); !strings.Contains(s, "confirmed · console:clerk") {
			t.Errorf("the order's history does not show the move: %q", s)
		}
		for _, page := range []string{"orders", "stats", "staff", "export", "import", "qr"} {
			run(t, ctx, chromedp.Navigate(e.srv.URL+"/"+page), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
			shoot(t, ctx, page)
		}
		run(t, ctx, chromedp.Navigate(e.srv.URL+"/villages/xinglong/products?lang=zh"), chromedp.WaitVisible(chromedp.CSS(`#p-XL-COFFEE`)))
		shoot(t, ctx, "products-zh")
		run(t, ctx, chromedp.Navigate(e.srv.URL+"/orders?lang=ru"), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
		if h := text(t, ctx, `main h1`); h != "Заказы" {
			t.Errorf("Russian orders page titled %q", h)
		}
		run(t, ctx, chromedp.Navigate(e.srv.URL+"/orders?lang=en"), chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)), chromedp.WaitVisible(chromedp.CSS(`input[name=name]`)))
	})
	t.Run("ten wrong passwords lock sign-in", func(t *testing.T) {
		for i := range 10 {
			signin("li.mei", fmt.Sprintf("wrong password %d", i), `p.error`)
			if s := text(t, ctx, `p.error`); !strings.Contains(s, "Wrong name or password") {
				t.Fatalf("wrong password %d: %q", i+1, s)
			}
		}
		signin("li.mei", "correct horse battery", `p.error`)
		if s := text(t, ctx, `p.error`); !strings.Contains(s, "locked") {
			t.Fatalf("the right password after ten wrong ones: %q", s)
		}
		shoot(t, ctx, "signin-locked")
	})
}
