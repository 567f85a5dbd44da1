package telegramtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestTheHTTPSurface(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	t.Cleanup(srv.Close)
	startedUser(srv, 1001)
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		status      int
		want        string // the whole reply, or a prefix ending in "…"
	}{
		{"a wrong token", "POST", "/bot1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/getMe", "", "", 401,
			`{"ok":false,"error_code":401,"description":"Unauthorized"}`},
		{"an unknown method", "POST", "/bot{token}/fly", "", "", 404,
			`{"ok":false,"error_code":404,"description":"Not Found"}`},
		{"a path that is no method", "GET", "/", "", "", 404,
			`{"ok":false,"error_code":404,"description":"Not Found"}`},
		{"getMe by GET", "GET", "/bot{token}/getMe", "", "", 200,
			`{"ok":true,"result":{"id":…`},
		{"method names ignore case", "GET", "/bot{token}/GETME", "", "", 200,
			`{"ok":true,"result":{"id":…`},
		{"parameters in the query string", "GET", "/bot{token}/sendMessage?chat_id=1001&text=q", "", "", 200,
			`{"ok":true,"result":{"message_id":1,…`},
		{"a JSON body with an object parameter", "POST", "/bot{token}/sendMessage", "application/json",
			`{"chat_id":1001,"text":"j","reply_markup":{"inline_keyboard":[[{"text":"a","callback_data":"b"}]]}}`, 200,
			`{"ok":true,"result":{"message_id":2,…`},
		{"a JSON body with a wrong type", "POST", "/bot{token}/sendMessage", "application/json",
			`{"chat_id":1001,"text":"j","disable_notification":"maybe"}`, 400,
			`{"ok":false,"error_code":400,"description":"Bad Request: field \"disable_notification\" must be of type Boolean"}`},
		{"the deprecated getChatMembersCount is known", "POST", "/bot{token}/getChatMembersCount", "application/x-www-form-urlencoded",
			"chat_id=1001", 400,
			`{"ok":false,"error_code":400,"description":"Bad Request: method getChatMemberCount is valid, but telegramtest does not implement it"}`},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, srv.URL()+strings.ReplaceAll(tt.path, "{token}", srv.Token()), strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		if tt.contentType != "" {
			req.Header.Set("Content-Type", tt.contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got := strings.TrimSpace(string(body))
		match := got == tt.want
		if prefix, ok := strings.CutSuffix(tt.want, "…"); ok {
			match = strings.HasPrefix(got, prefix)
		}
		if resp.StatusCode != tt.status || !match {
			t.Errorf("%s: %d %s\nwant %d %s", tt.name, resp.StatusCode, got, tt.status, tt.want)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", tt.name, ct)
		}
	}
	var methods []string
	for _, v := range srv.Violations() {
		methods = append(methods, v.Method)
	}
	if strings.Join(methods, ",") != "fly,sendMessage,getChatMemberCount" {
		t.Errorf("violations in %v, want fly, sendMessage, getChatMemberCount", methods)
	}
}

func TestGetMeAndDefaults(t *testing.T) {
	t.Parallel()
	srv, bot := start(t, WithUsername("shop_bot"), WithFirstName("Shop"))
	if bot.Self.UserName != "shop_bot" || bot.Self.FirstName != "Shop" || !bot.Self.IsBot || bot.Self.ID != srv.BotID() {
		t.Errorf("getMe = %+v", bot.Self)
	}
	if !tokenRe.MatchString(srv.Token()) {
		t.Errorf("token %q does not look like Telegram's", srv.Token())
	}
	if srv.Endpoint() != srv.URL()+"/bot%s/%s" {
		t.Errorf("Endpoint() = %q", srv.Endpoint())
	}
	info, err := bot.GetWebhookInfo()
	if err != nil || info.URL != "" {
		t.Errorf("getWebhookInfo = %+v, %v", info, err)
	}
	other := NewServer(WithToken("42:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"))
	defer other.Close()
	if other.BotID() != 42 {
		t.Errorf("BotID() = %d", other.BotID())
	}
}

func TestTheTokenNeverAppearsInViolations(t *testing.T) {
	t.Parallel()
	srv, _ := start(t)
	startedUser(srv, 1)
	// A bot that leaks its own token into a message, and breaks a rule.
	r := post(t, srv, "sendMessage", map[string]string{"chat_id": "1", "text": "token " + srv.Token(), "parse_mode": "HTML", "x": "y"})
	if r.OK {
		t.Fatal("an unknown parameter was accepted")
	}
	b, _ := json.Marshal(srv.Violations())
	if strings.Contains(string(b), srv.Token()) {
		t.Errorf("violations contain the token: %s", b)
	}
	if v := lastViolation(t, srv); v.Params["text"] != "token <token>" {
		t.Errorf("the token is not masked: %q", v.Params["text"])
	}
}
