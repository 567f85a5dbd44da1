package telegramtest

import (
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

func cartKeyboard() tgbotapi.InlineKeyboardMarkup {
	return tgbotapi.NewInlineKeyboardMarkup(
		tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData("➕ Add", "add:42:1"),
			tgbotapi.NewInlineKeyboardButtonURL("Story", "https://example.com/tea"),
		),
	)
}

func TestEditsAreAppliedInTheUsersView(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	u := startedUser(srv, 1)
	m := htmlMessage(1, "<b>Tea</b> ¥88.00")
	m.ReplyMarkup = cartKeyboard()
	sent, err := bot.Send(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent.Entities) != 1 || sent.Entities[0].Type != "bold" {
		t.Errorf("entities = %+v", sent.Entities)
	}
	edit := tgbotapi.NewEditMessageTextAndMarkup(1, sent.MessageID, "Tea &amp; cups ¥90.00", cartKeyboard())
	edit.ParseMode = tgbotapi.ModeHTML
	if _, err := bot.Send(edit); err != nil {
		t.Fatalf("editMessageText: %v", err)
	}
	msgs := u.Messages()
	if len(msgs) != 1 {
		t.Fatalf("the user sees %d messages: %v", len(msgs), msgs)
	}
	got := msgs[0]
	if got.Text != "Tea & cups ¥90.00" || got.HTML != "Tea &amp; cups ¥90.00" || got.EditCount != 1 || len(got.Buttons()) != 2 {
		t.Errorf("after the edit the user sees %+v", got)
	}
	// An edit without reply_markup takes the keyboard away, as in Telegram.
	if _, err := bot.Send(tgbotapi.NewEditMessageText(1, sent.MessageID, "Sold out")); err != nil {
		t.Fatal(err)
	}
	if last, _ := u.Last(); last.Text != "Sold out" || last.InlineKeyboard != nil || last.EditCount != 2 {
		t.Errorf("after the second edit the user sees %+v", last)
	}
	// editMessageReplyMarkup brings one back.
	if _, err := bot.Send(tgbotapi.NewEditMessageReplyMarkup(1, sent.MessageID, cartKeyboard())); err != nil {
		t.Fatal(err)
	}
	if last, _ := u.Last(); len(last.Buttons()) != 2 || last.Buttons()[0] != "➕ Add" {
		t.Errorf("after editMessageReplyMarkup the user sees %+v", last)
	}
	srv.AssertNoViolations(t)
}

func TestEditRules(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	u := startedUser(srv, 1)
	photo, err := bot.Send(tgbotapi.NewPhoto(1, tgbotapi.FileBytes{Name: "p.jpg", Bytes: JPEG(4, 4)}))
	if err != nil {
		t.Fatal(err)
	}
	text, err := bot.Send(tgbotapi.NewMessage(1, "plain"))
	if err != nil {
		t.Fatal(err)
	}
	u.Send("hi")
	mine, _ := u.WaitFor(wait, func(ms []Message) bool { return len(ms) == 3 })
	userID := mine[2].ID
	tests := []struct {
		name string
		c    tgbotapi.Chattable
		want string
	}{
		{"the text of a photo", tgbotapi.NewEditMessageText(1, photo.MessageID, "x"), "Bad Request: there is no text in the message to edit"},
		{"the caption of a text", tgbotapi.NewEditMessageCaption(1, text.MessageID, "x"), "Bad Request: there is no caption in the message to edit"},
		{"the user's message", tgbotapi.NewEditMessageText(1, userID, "x"), "Bad Request: message can't be edited"},
	}
	for _, tt := range tests {
		_, err := bot.Send(tt.c)
		if err == nil {
			t.Errorf("%s: the edit succeeded", tt.name)
			continue
		}
		if e := clientError(t, err); e.Message != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, e.Message, tt.want)
		}
	}
	if _, err := bot.Send(tgbotapi.NewEditMessageCaption(1, photo.MessageID, "now with a caption")); err != nil {
		t.Errorf("caption of a photo: %v", err)
	}
	if n := len(srv.Violations()); n != len(tests) {
		t.Errorf("%d violations, want %d", n, len(tests))
	}
}

func TestDeletedMessagesDisappear(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	u := startedUser(srv, 1)
	a, _ := bot.Send(tgbotapi.NewMessage(1, "a"))
	b, _ := bot.Send(tgbotapi.NewMessage(1, "b"))
	if _, err := bot.Request(tgbotapi.NewDeleteMessage(1, a.MessageID)); err != nil {
		t.Fatalf("deleteMessage: %v", err)
	}
	msgs := u.Messages()
	if len(msgs) != 1 || msgs[0].ID != b.MessageID {
		t.Errorf("the user sees %v, want only #%d", msgs, b.MessageID)
	}
	_, err := bot.Send(tgbotapi.NewEditMessageText(1, a.MessageID, "again"))
	if e := clientError(t, err); e.Message != "Bad Request: message to edit not found" {
		t.Errorf("editing a deleted message: %q", e.Message)
	}
	if b.MessageID != a.MessageID+1 {
		t.Errorf("message ids %d, %d do not increase by one", a.MessageID, b.MessageID)
	}
}

func TestPressSendsACallbackQueryTheBotReceives(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	u := srv.User(1, "Alice", "zh")
	u.Send("/start")
	first := nextUpdates(t, bot, 0)
	m := tgbotapi.NewMessage(1, "Maona black tea")
	m.ReplyMarkup = cartKeyboard()
	sent, err := bot.Send(m)
	if err != nil {
		t.Fatal(err)
	}
	queryID, err := u.Press("➕ Add")
	if err != nil {
		t.Fatal(err)
	}
	ups := nextUpdates(t, bot, first[0].UpdateID+1)
	if len(ups) != 1 || ups[0].CallbackQuery == nil {
		t.Fatalf("got %+v, want one callback query", ups)
	}
	cq := ups[0].CallbackQuery
	if cq.ID != queryID || cq.Data != "add:42:1" || cq.From.ID != 1 || cq.From.LanguageCode != "zh" ||
		cq.Message == nil || cq.Message.MessageID != sent.MessageID || cq.Message.Chat.ID != 1 || cq.Message.Chat.Type != "private" {
		t.Errorf("callback query = %+v", cq)
	}
	if got := srv.UnansweredCallbacks(); len(got) != 1 || got[0].ID != queryID {
		t.Errorf("unanswered = %+v", got)
	}
	if _, err := bot.Request(tgbotapi.NewCallback(cq.ID, "Added to cart")); err != nil {
		t.Fatal(err)
	}
	a, err := u.WaitAnswer(queryID, wait)
	if err != nil || a.Text != "Added to cart" || a.ShowAlert {
		t.Errorf("answer = %+v, %v", a, err)
	}
	if got := srv.UnansweredCallbacks(); len(got) != 0 {
		t.Errorf("still unanswered: %+v", got)
	}
	if _, err := u.Press("Story"); err == nil || !strings.Contains(err.Error(), "no callback data") {
		t.Errorf("pressing a URL button: %v", err)
	}
	if _, err := u.Press("Checkout"); err == nil || !strings.Contains(err.Error(), "Maona black tea") {
		t.Errorf("pressing a missing button should fail and show the chat: %v", err)
	}
	srv.AssertNoViolations(t)
}

func TestCallbackQueriesExpire(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv, bot := start(t, WithClock(clock), WithCallbackTimeout(15*time.Second))
	u := startedUser(srv, 1)
	m, _ := bot.Send(tgbotapi.NewMessage(1, "pick"))
	id, _ := u.PressData(m.MessageID, "forged:data")
	mu.Lock()
	now = now.Add(16 * time.Second)
	mu.Unlock()
	_, err := bot.Request(tgbotapi.NewCallback(id, ""))
	if e := clientError(t, err); e.Message != "Bad Request: query is too old and response timeout expired or query ID is invalid" {
		t.Errorf("late answer: %q", e.Message)
	}
	srv.AssertNoViolations(t)
}

func TestCommandsAndReplyKeyboards(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	u := srv.User(1, "Alice", "en")
	if _, err := u.ShareContact(); err == nil {
		t.Error("ShareContact without a contact button succeeded")
	}
	u.Send("/start@villagebot_test_bot p_TEA-01")
	ups := nextUpdates(t, bot, 0)
	msg := ups[0].Message
	if msg.Command() != "start" || msg.CommandArguments() != "p_TEA-01" || msg.Chat.ID != 1 || msg.From.ID != 1 {
		t.Errorf("message = %+v", msg)
	}
	ask := tgbotapi.NewMessage(1, "Your phone?")
	ask.ReplyMarkup = tgbotapi.NewOneTimeReplyKeyboard(
		tgbotapi.NewKeyboardButtonRow(tgbotapi.NewKeyboardButtonContact("📱 Share my phone")),
		tgbotapi.NewKeyboardButtonRow(tgbotapi.NewKeyboardButton("Type it")),
	)
	if _, err := bot.Send(ask); err != nil {
		t.Fatal(err)
	}
	if kb := u.Keyboard(); len(kb) != 2 || !kb[0][0].RequestContact {
		t.Errorf("keyboard = %+v", kb)
	}
	if _, err := u.ShareContact(); err != nil {
		t.Fatal(err)
	}
	ups = nextUpdates(t, bot, ups[0].UpdateID+1)
	c := ups[0].Message.Contact
	if c == nil || c.UserID != 1 || c.PhoneNumber != u.Config().Phone {
		t.Errorf("contact = %+v", c)
	}
	if kb := u.Keyboard(); kb != nil {
		t.Errorf("a one-time keyboard is still shown: %+v", kb)
	}
	if _, err := u.PressKey("Type it"); err == nil {
		t.Error("pressed a button of a keyboard that is gone")
	}
}

func TestWaitTextIgnoresWhatWasThereBefore(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	u := srv.User(1, "Alice", "en")
	u.Send("/cart")
	if _, err := bot.Send(tgbotapi.NewMessage(1, "Cart: 1 item")); err != nil {
		t.Fatal(err)
	}
	if m, err := u.WaitText(wait, "Cart"); err != nil || m.Text != "Cart: 1 item" {
		t.Fatalf("WaitText = %+v, %v", m, err)
	}
	u.Send("/cart")
	_, err := u.WaitText(50*time.Millisecond, "Cart")
	if err == nil || !strings.Contains(err.Error(), `"Cart: 1 item"`) {
		t.Errorf("a stale message matched, or the error does not show the chat: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := u.WaitText(wait, "2 items")
		done <- err
	}()
	if _, err := bot.Send(tgbotapi.NewMessage(1, "Cart: 2 items")); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Error(err)
	}
	msgs, err := u.WaitFor(wait, func(ms []Message) bool { return len(ms) == 4 })
	if err != nil || msgs[3].FromBot != true || msgs[2].FromBot {
		t.Errorf("WaitFor = %v, %v", msgs, err)
	}
}

func TestWatchStreamsChatEvents(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	events := make(chan Event, 10)
	stop := srv.Watch(func(ev Event) { events <- ev })
	defer stop()
	u := srv.User(1, "Alice", "en")
	u.Send("hi")
	sent, _ := bot.Send(tgbotapi.NewMessage(1, "hello"))
	_, _ = bot.Send(tgbotapi.NewEditMessageText(1, sent.MessageID, "hello!"))
	_, _ = bot.Request(tgbotapi.NewDeleteMessage(1, sent.MessageID))
	want := []EventKind{UserMessage, MessageSent, MessageEdited, MessageDeleted}
	for i, k := range want {
		select {
		case ev := <-events:
			if ev.Kind != k || ev.ChatID != 1 {
				t.Errorf("event %d = %v in chat %d, want %v", i, ev.Kind, ev.ChatID, k)
			}
			if k == MessageEdited && ev.Message.Text != "hello!" {
				t.Errorf("edit event shows %q", ev.Message.Text)
			}
		case <-time.After(wait):
			t.Fatalf("no event %d (%v)", i, k)
		}
	}
}

func TestReplyToAMissingMessage(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	startedUser(srv, 1)
	m := tgbotapi.NewMessage(1, "re")
	m.ReplyToMessageID = 77
	_, err := bot.Send(m)
	if e := clientError(t, err); e.Message != "Bad Request: reply message not found" {
		t.Errorf("error = %q", e.Message)
	}
	m.AllowSendingWithoutReply = true
	if _, err := bot.Send(m); err != nil {
		t.Errorf("with allow_sending_without_reply: %v", err)
	}
}
