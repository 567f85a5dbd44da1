package telegramtest

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// wait is how long a test waits for something that should happen at once.
const wait = 5 * time.Second

// start runs a server and a real client against it.
func start(t *testing.T, opts ...Option) (*Server, *tgbotapi.BotAPI) {
	t.Helper()
	srv := NewServer(opts...)
	t.Cleanup(srv.Close)
	bot, err := tgbotapi.NewBotAPIWithClient(srv.Token(), srv.Endpoint(), &http.Client{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("connect the client: %v", err)
	}
	return srv, bot
}

// reply is a decoded Bot API reply.
type reply struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
	status int
}

// post calls a method with form-encoded parameters, the way the client
// library does, for requests the library cannot make.
func post(t *testing.T, srv *Server, method string, params map[string]string) reply {
	t.Helper()
	form := url.Values{}
	for k, v := range params {
		form.Set(k, v)
	}
	resp, err := http.Post(srv.URL()+"/bot"+srv.Token()+"/"+method, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	var r reply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("%s: decode reply: %v", method, err)
	}
	r.status = resp.StatusCode
	return r
}

// clientError unwraps the client library's error.
func clientError(t *testing.T, err error) *tgbotapi.Error {
	t.Helper()
	var e *tgbotapi.Error
	if !errors.As(err, &e) {
		t.Fatalf("want a Bot API error, got %v", err)
	}
	return e
}

// startedUser makes a user who has opened the bot.
func startedUser(srv *Server, id int64) *User {
	return srv.AddUser(UserConfig{ID: id, FirstName: "Alice", LanguageCode: "en", Started: true})
}

// nextUpdates polls once with a timeout and fails the test on error.
func nextUpdates(t *testing.T, bot *tgbotapi.BotAPI, offset int) []tgbotapi.Update {
	t.Helper()
	ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{Offset: offset, Timeout: 5})
	if err != nil {
		t.Fatalf("getUpdates: %v", err)
	}
	return ups
}

func lastViolation(t *testing.T, srv *Server) Violation {
	t.Helper()
	vs := srv.Violations()
	if len(vs) == 0 {
		t.Fatalf("no violation recorded")
	}
	return vs[len(vs)-1]
}
