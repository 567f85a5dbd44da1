package console_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"villagebot/bot/telegramtest"
	"villagebot/catalog"
)

func TestSignInWithAnInviteLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	_, token, err := e.catalog.Invite(ctx, "li.mei", catalog.Coordinator, "maona", "cli")
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.get("/orders")
	if !strings.Contains(b.body, `action="/signin"`) {
		t.Fatalf("a page without a session does not ask to sign in: %d %s", b.status, b.body)
	}
	page := b.get("/link/" + token)
	if b.status != http.StatusOK || !strings.Contains(page, "li.mei") {
		t.Fatalf("link page: %d %s", b.status, page)
	}
	t.Run("a short or mismatched password is refused and the link still works", func(t *testing.T) {
		b.post("/link/"+token, url.Values{"csrf": {csrfOf(t, page)}, "password": {"short"}, "password2": {"short"}})
		if b.status != http.StatusBadRequest || !strings.Contains(b.body, "10 to 200 characters") {
			t.Fatalf("short password: %d %s", b.status, b.body)
		}
		b.post("/link/"+token, url.Values{"csrf": {csrfOf(t, page)}, "password": {"long enough one"}, "password2": {"long enough two"}})
		if b.status != http.StatusBadRequest || !strings.Contains(b.body, "differ") {
			t.Fatalf("mismatch: %d %s", b.status, b.body)
		}
	})
	b.post("/link/"+token, url.Values{"csrf": {csrfOf(t, page)}, "password": {"correct horse battery"}, "password2": {"correct horse battery"}})
	if b.status != http.StatusOK || !strings.Contains(b.body, "MN-BLACKTEA") {
		t.Fatalf("after setting the password the coordinator is not on their products: %d %s", b.status, b.body)
	}
	var hash string
	if err := e.db.Get(&hash, `SELECT password_hash FROM staff WHERE name = 'li.mei'`); err != nil || !strings.HasPrefix(hash, "$argon2id$v=19$") {
		t.Fatalf("stored hash %q, %v", hash, err)
	}
	t.Run("the link works once", func(t *testing.T) {
		other := e.browser()
		other.get("/link/" + token)
		if other.status != http.StatusNotFound {
			t.Fatalf("used link: %d", other.status)
		}
	})
	t.Run("sign out, then sign in with the password", func(t *testing.T) {
		b.post("/signout", url.Values{"csrf": {b.csrf("/orders")}})
		b.get("/orders")
		if !strings.Contains(b.body, `action="/signin"`) {
			t.Fatalf("still signed in after signing out: %s", b.body)
		}
		b.signin("LI.MEI", "correct horse battery")
		if b.status != http.StatusOK || !strings.Contains(b.body, "MN-BLACKTEA") {
			t.Fatalf("sign-in: %d %s", b.status, b.body)
		}
		for _, c := range b.c.Jar.Cookies(mustURL(t, e.srv.URL)) {
			if c.Name == "vb_session" && strings.Contains(c.Value, "li.mei") {
				t.Fatalf("the session cookie carries the name: %v", c)
			}
		}
	})
	t.Run("sign out everywhere ends the other sessions", func(t *testing.T) {
		phone := e.browser()
		phone.signin("li.mei", "correct horse battery")
		phone.get("/orders")
		if phone.status != http.StatusOK || strings.Contains(phone.body, `action="/signin"`) {
			t.Fatalf("second device not signed in: %s", phone.body)
		}
		b.post("/signout/everywhere", url.Values{"csrf": {b.csrf("/orders")}})
		phone.get("/orders")
		if !strings.Contains(phone.body, `action="/signin"`) {
			t.Fatalf("the other device is still signed in")
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestCookiesAreHttpOnlyAndLax(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/signin", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cs := resp.Cookies()
	if len(cs) == 0 {
		t.Fatal("no cookie set")
	}
	for _, c := range cs {
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("cookie %s: HttpOnly %v SameSite %v", c.Name, c.HttpOnly, c.SameSite)
		}
	}
}

func TestFormsWithoutTheirCSRFTokenAreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.invite("clerk", catalog.Office, "")
	before := e.stock("MN-BLACKTEA")
	for name, form := range map[string]url.Values{
		"no token":          {"set": {"1"}},
		"someone's token":   {"set": {"1"}, "csrf": {"x" + b.csrf("/orders")[1:]}},
		"an empty token":    {"set": {"1"}, "csrf": {""}},
		"the sign-in token": {"set": {"1"}, "csrf": {csrfOf(t, e.browser().get("/signin"))}},
	} {
		t.Run(name, func(t *testing.T) {
			b.post("/villages/maona/products/MN-BLACKTEA/stock", form)
			if b.status != http.StatusForbidden || !strings.Contains(b.body, "Reload the page") {
				t.Fatalf("%d %s", b.status, b.body)
			}
		})
	}
	anon := e.browser()
	anon.get("/signin")
	anon.post("/signin", url.Values{"name": {"clerk"}, "password": {"correct horse battery"}})
	if anon.status != http.StatusForbidden {
		t.Errorf("sign-in without its token: %d", anon.status)
	}
	if got := e.stock("MN-BLACKTEA"); got != before {
		t.Errorf("stock changed to %d by refused forms", got)
	}
	b.post("/villages/maona/products/MN-BLACKTEA/stock", url.Values{"set": {"1"}, "csrf": {b.csrf("/orders")}})
	if b.status != http.StatusOK || e.stock("MN-BLACKTEA") != 1 {
		t.Fatalf("the form with its token: %d, stock %d", b.status, e.stock("MN-BLACKTEA"))
	}
}

func TestTenWrongPasswordsLockSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.invite("clerk", catalog.Office, "")
	b := e.browser()
	for i := range 10 {
		b.signin("clerk", "wrong password "+string(rune('a'+i)))
		if b.status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d %s", i+1, b.status, b.body)
		}
	}
	b.signin("clerk", "correct horse battery")
	if b.status != http.StatusTooManyRequests || !strings.Contains(b.body, "locked for 15 min") {
		t.Fatalf("the right password after ten wrong ones: %d %s", b.status, b.body)
	}
	// Another name from the same address is not locked yet (the
	// address's limit is higher), and the locked name is locked from
	// everywhere.
	e.invite("clerk2", catalog.Office, "")
	other := e.browser()
	other.signin("clerk2", "correct horse battery")
	if other.status != http.StatusOK {
		t.Fatalf("another account: %d %s", other.status, other.body)
	}
	other.post("/signout", url.Values{"csrf": {other.csrf("/orders")}})
	other.signin("clerk", "correct horse battery")
	if other.status != http.StatusTooManyRequests {
		t.Fatalf("locked name from another browser: %d", other.status)
	}
}

func TestACoordinatorStaysInTheirVillage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.invite("li.mei", catalog.Coordinator, "maona")
	token := b.csrf("/orders")
	before := e.stock("XL-COFFEE")
	tries := []struct {
		method, path string
		form         url.Values
	}{
		{"GET", "/villages/xinglong/products", nil},
		{"POST", "/villages/xinglong/products/XL-COFFEE/stock", url.Values{"set": {"0"}}},
		{"POST", "/villages/xinglong/products/XL-COFFEE/price", url.Values{"price": {"1.00"}}},
		{"POST", "/villages/xinglong/products/XL-COFFEE/visible", url.Values{"visible": {"false"}}},
		// their own village in the path, another village's product
		{"POST", "/villages/maona/products/XL-COFFEE/stock", url.Values{"set": {"0"}}},
		{"POST", "/villages/maona/products/XL-COFFEE/visible", url.Values{"visible": {"false"}}},
		{"GET", "/staff", nil},
		{"POST", "/staff/invite", url.Values{"name": {"mole"}, "role": {"office"}}},
		{"GET", "/export/orders?kind=all&format=csv", nil},
		{"GET", "/stats", nil},
	}
	for _, tr := range tries {
		t.Run(tr.method+" "+tr.path, func(t *testing.T) {
			if tr.method == "GET" {
				b.get(tr.path)
			} else {
				tr.form.Set("csrf", token)
				b.post(tr.path, tr.form)
			}
			if b.status != http.StatusForbidden && b.status != http.StatusNotFound {
				t.Fatalf("%d %s", b.status, b.body)
			}
		})
	}
	p, _ := e.catalog.ProductBySKU(context.Background(), "XL-COFFEE")
	if p.Stock != before || !p.Visible {
		t.Errorf("another village's product changed: %+v", p)
	}
	var n int
	e.db.Get(&n, `SELECT count(*) FROM staff WHERE name = 'mole'`)
	if n != 0 {
		t.Errorf("a coordinator invited an office account")
	}
}

func TestProductsPageChangesGoThroughTheStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.invite("li.mei", catalog.Coordinator, "maona")
	start := e.stock("MN-BLACKTEA")
	token := b.csrf("/orders")
	post := func(path string, form url.Values) {
		t.Helper()
		form.Set("csrf", token)
		b.post("/villages/maona/products/MN-BLACKTEA/"+path, form)
	}
	post("stock", url.Values{"delta": {"+1"}})
	if got := e.stock("MN-BLACKTEA"); got != start+1 || !strings.Contains(b.body, "Saved: MN-BLACKTEA") {
		t.Fatalf("+1: stock %d, want %d", got, start+1)
	}
	post("stock", url.Values{"set": {"7"}})
	if got := e.stock("MN-BLACKTEA"); got != 7 {
		t.Fatalf("set 7: stock %d", got)
	}
	post("stock", url.Values{"set": {"-3"}})
	if b.status != http.StatusBadRequest || e.stock("MN-BLACKTEA") != 7 {
		t.Fatalf("negative stock: %d", b.status)
	}
	post("stock", url.Values{"delta": {"-8"}})
	if b.status != http.StatusBadRequest || !strings.Contains(b.body, "below 0") {
		t.Fatalf("below zero: %d %s", b.status, b.body)
	}
	post("price", url.Values{"price": {"99.50"}})
	post("visible", url.Values{"visible": {"false"}})
	p, _ := e.catalog.ProductBySKU(context.Background(), "MN-BLACKTEA")
	if p.Price != 9950 || p.Visible {
		t.Fatalf("price/visible: %+v", p)
	}
	post("price", url.Values{"price": {"1.234"}})
	if b.status != http.StatusBadRequest {
		t.Fatalf("bad price: %d", b.status)
	}
	var actors []string
	e.db.Select(&actors, `SELECT DISTINCT actor FROM stock_ledger WHERE reason = 'adjust' UNION SELECT DISTINCT actor FROM product_changes`)
	if len(actors) != 1 || actors[0] != "console:li.mei" {
		t.Errorf("changes recorded by %v, want console:li.mei", actors)
	}
	b.get("/history")
	if !strings.Contains(b.body, "console:li.mei") || !strings.Contains(b.body, "MN-BLACKTEA") {
		t.Errorf("history page does not show the change: %s", b.body)
	}
}

func TestOfficeCannotRevokeTheLastOfficeAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.invite("clerk", catalog.Office, "")
	me, _, _ := e.catalog.Credentials(context.Background(), "clerk")
	b.post("/staff/"+itoa(me.ID)+"/revoke", url.Values{"csrf": {b.csrf("/staff")}})
	if b.status != http.StatusConflict || !strings.Contains(b.body, "last office account") {
		t.Fatalf("%d %s", b.status, b.body)
	}
	b.post("/staff/invite", url.Values{"csrf": {b.csrf("/staff")}, "name": {"wang"}, "role": {"coordinator"}, "village": {"shamei"}})
	if b.status != http.StatusOK || !strings.Contains(b.body, "/link/") {
		t.Fatalf("invite from the console: %d %s", b.status, b.body)
	}
	m, _, err := e.catalog.Credentials(context.Background(), "wang")
	if err != nil || m.VillageCode != "shamei" {
		t.Fatalf("invited %+v %v", m, err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Orders placed while a village's coordinator has no Telegram (the
// outbox only notifies people on Telegram); the orders pages and their
// actions, for office staff and for a coordinator.
func TestOrdersPagesAndActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	coord := e.invite("li.mei", catalog.Coordinator, "maona")
	office := e.invite("clerk", catalog.Office, "")
	first := e.placeOrders() // failed before: the outbox got a NULL chat for li.mei
	ref := strconv.FormatInt(first, 10)

	office.get("/orders?kind=sale")
	if !strings.Contains(office.body, "#"+ref) || strings.Contains(office.body, "Delegation of Kazakhstan") || !strings.Contains(office.body, "2 of 2 orders") {
		t.Fatalf("office sale orders: %s", office.body)
	}
	office.get("/orders?village=xinglong")
	if !strings.Contains(office.body, "1 of 1 orders") {
		t.Errorf("orders of xinglong: %s", office.body)
	}
	office.get("/orders?from=tomorrow")
	if office.status != http.StatusBadRequest {
		t.Errorf("bad date: %d", office.status)
	}
	coord.get("/orders?village=xinglong")
	if !strings.Contains(coord.body, "3 of 3 orders") {
		t.Errorf("a coordinator's list is not their village's (maona has 3 orders): %s", coord.body)
	}
	coord.get("/orders/" + ref)
	if !strings.Contains(coord.body, "MN-BLACKTEA") || strings.Contains(coord.body, "XL-COFFEE") {
		t.Errorf("a coordinator sees other villages' lines: %s", coord.body)
	}
	token := coord.csrf("/orders")
	coord.post("/orders/"+ref+"/status", url.Values{"csrf": {token}, "to": {"delivered"}})
	if coord.status != http.StatusForbidden {
		t.Errorf("a coordinator moved an order's status: %d", coord.status)
	}
	coord.post("/orders/"+ref+"/ready", url.Values{"csrf": {token}, "village": {"xinglong"}})
	if coord.status != http.StatusForbidden {
		t.Errorf("a coordinator marked another village's lines ready: %d", coord.status)
	}
	coord.post("/orders/"+ref+"/ready", url.Values{"csrf": {token}, "village": {"maona"}})
	if coord.status != http.StatusOK || !strings.Contains(coord.body, "console:li.mei") {
		t.Fatalf("ready: %d %s", coord.status, coord.body)
	}
	otk := office.csrf("/orders")
	office.post("/orders/"+ref+"/status", url.Values{"csrf": {otk}, "to": {"delivered"}})
	if office.status != http.StatusConflict {
		t.Errorf("a move the order cannot make: %d", office.status)
	}
	office.post("/orders/"+ref+"/status", url.Values{"csrf": {otk}, "to": {"cancelled"}})
	if office.status != http.StatusOK || !strings.Contains(office.body, "console:clerk") {
		t.Fatalf("cancel: %d %s", office.status, office.body)
	}
	o, err := e.orders.Get(context.Background(), first)
	if err != nil || o.Status != "cancelled" {
		t.Fatalf("order after cancel: %+v %v", o.Status, err)
	}

	office.get("/export/orders?kind=all&format=csv")
	if office.status != http.StatusOK || !strings.HasPrefix(office.body, "\uFEFForder,created_at,kind") || !strings.Contains(office.header.Get("Content-Disposition"), "orders-all.csv") {
		t.Errorf("orders export: %d %q %s", office.status, office.header.Get("Content-Disposition"), office.body)
	}
	office.get("/export/catalog.xlsx")
	if office.status != http.StatusOK || !strings.HasPrefix(office.body, "PK") {
		t.Errorf("catalog export: %d", office.status)
	}
	office.get("/stats")
	if office.status != http.StatusOK || !strings.Contains(office.body, "<svg") || !strings.Contains(office.body, `class="gift"`) {
		t.Errorf("stats: %d", office.status)
	}
	office.get("/qr/MN-BLACKTEA.png")
	if office.status != http.StatusOK || !strings.HasPrefix(office.body, "\x89PNG") {
		t.Errorf("qr card: %d %.40q", office.status, office.body)
	}
	office.get("/qr/NOPE.png")
	if office.status != http.StatusNotFound {
		t.Errorf("qr of an unknown code: %d", office.status)
	}
}

// An import is refused whole with its row errors shown against the
// file's lines; a coordinator's file may touch only their village.
func TestImportShowsRowErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.invite("li.mei", catalog.Coordinator, "maona")
	tmpl := b.get("/import/template.csv")
	if !strings.Contains(tmpl, "sku,village,category") || !strings.Contains(tmpl, ",maona,") {
		t.Fatalf("template: %s", tmpl)
	}
	upload := func(name, content string) {
		t.Helper()
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		w.WriteField("csrf", b.csrf("/import"))
		f, _ := w.CreateFormFile("file", name)
		f.Write([]byte(content))
		w.Close()
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/import", &buf)
		req.Header.Set("Content-Type", w.FormDataContentType())
		b.do(req)
	}
	upload("products.csv", tmpl)
	if b.status != http.StatusOK || !strings.Contains(b.body, "1 products created") {
		t.Fatalf("the template as it is: %d %s", b.status, b.body)
	}
	before := e.stock("XL-COFFEE")
	upload("bad.csv", "sku,village,category,name_en,price,stock\nMN-NEW,maona,tea,New,88.00,1\nMN-NEW2,maona,tea,New,12.345,1\n")
	if b.status != http.StatusBadRequest || !strings.Contains(b.body, "<td>bad.csv:3</td><td>price</td>") {
		t.Fatalf("row errors: %d %s", b.status, b.body)
	}
	upload("other.csv", "sku,village,category,name_en,price,stock\nMN-NEW,maona,tea,New,88.00,1\nXL-COFFEE,xinglong,coffee,Coffee,88.00,0\n")
	if b.status != http.StatusBadRequest || !strings.Contains(b.body, "<td>other.csv:3</td>") {
		t.Fatalf("another village's row: %d %s", b.status, b.body)
	}
	if _, err := e.catalog.ProductBySKU(context.Background(), "MN-NEW"); err == nil {
		t.Fatal("a refused file's good row was imported")
	}
	if e.stock("XL-COFFEE") != before {
		t.Fatal("a refused import changed another village's product")
	}
}

// A photo uploaded in the console is kept, served at its own address to
// anyone (Telegram fetches it there), and becomes the product's photo.
func TestPhotoUpload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.invite("li.mei", catalog.Coordinator, "maona")
	upload := func(sku string, data []byte) {
		t.Helper()
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		w.WriteField("csrf", b.csrf("/orders"))
		f, _ := w.CreateFormFile("photo", "photo.jpg")
		f.Write(data)
		w.Close()
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/villages/maona/products/"+sku+"/photo", &buf)
		req.Header.Set("Content-Type", w.FormDataContentType())
		b.do(req)
	}
	if _, err := e.catalog.SetPhoto(context.Background(), "MN-BLACKTEA", "AgACAgIAAxkBAAIBold"); err != nil {
		t.Fatal(err)
	}
	jpeg := telegramtest.JPEG(64, 48)
	upload("MN-BLACKTEA", jpeg)
	if b.status != http.StatusOK {
		t.Fatalf("upload: %d %s", b.status, b.body)
	}
	p, _ := e.catalog.ProductBySKU(context.Background(), "MN-BLACKTEA")
	if !strings.HasPrefix(p.PhotoURL, e.srv.URL+"/photos/") || p.PhotoFileID != "" {
		t.Fatalf("product photo_url %q, file_id %q", p.PhotoURL, p.PhotoFileID)
	}
	if !strings.Contains(b.body, `<img src="/photos/`) {
		t.Errorf("the products page does not show the photo")
	}
	anon := e.browser()
	anon.get(strings.TrimPrefix(p.PhotoURL, e.srv.URL))
	if anon.status != http.StatusOK || anon.body != string(jpeg) || anon.header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("serving the photo: %d %s", anon.status, anon.header.Get("Content-Type"))
	}
	upload("MN-BLACKTEA", []byte("%PDF-1.4 not an image"))
	if b.status != http.StatusBadRequest {
		t.Errorf("a PDF as photo: %d", b.status)
	}
	upload("XL-COFFEE", jpeg)
	if b.status != http.StatusNotFound && b.status != http.StatusForbidden {
		t.Errorf("another village's product under their village: %d", b.status)
	}
	if q, _ := e.catalog.ProductBySKU(context.Background(), "MN-BLACKTEA"); q.PhotoURL != p.PhotoURL {
		t.Errorf("a refused upload changed the photo: %q", q.PhotoURL)
	}
}

// The staff page shows each account's role as chosen, and changes it
// through the same store method as /grant.
func TestStaffPageRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.invite("clerk", catalog.Office, "")
	e.invite("li.mei", catalog.Coordinator, "shamei")
	page := b.get("/staff")
	if !strings.Contains(page, `<option value="office" selected>`) || !strings.Contains(page, `<option value="shamei" selected>`) {
		t.Fatalf("the staff page does not show the current roles: %s", page)
	}
	m, _, _ := e.catalog.Credentials(context.Background(), "li.mei")
	b.post("/staff/"+itoa(m.ID)+"/role", url.Values{"csrf": {b.csrf("/staff")}, "role": {"coordinator"}, "village": {"maona"}})
	if m, _, _ = e.catalog.Credentials(context.Background(), "li.mei"); b.status != http.StatusOK || m.VillageCode != "maona" {
		t.Fatalf("role change: %d, now %+v", b.status, m)
	}
	b.post("/staff/"+itoa(m.ID)+"/link", url.Values{"csrf": {b.csrf("/staff")}})
	if b.status != http.StatusOK || !strings.Contains(b.body, e.srv.URL+"/link/") {
		t.Fatalf("new link: %d", b.status)
	}
}
