package telegramtest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// buttons makes rows×cols inline buttons with callback data.
func buttons(rows, cols int) tgbotapi.InlineKeyboardMarkup {
	var kb [][]tgbotapi.InlineKeyboardButton
	for r := range rows {
		var row []tgbotapi.InlineKeyboardButton
		for c := range cols {
			row = append(row, tgbotapi.NewInlineKeyboardButtonData("b", "p:"+strconv.Itoa(r*cols+c)))
		}
		kb = append(kb, row)
	}
	return tgbotapi.NewInlineKeyboardMarkup(kb...)
}

func htmlMessage(chatID int64, text string) tgbotapi.MessageConfig {
	m := tgbotapi.NewMessage(chatID, text)
	m.ParseMode = tgbotapi.ModeHTML
	return m
}

func TestRequestsTelegramRefusesAreAnsweredAndRecorded(t *testing.T) {
	t.Parallel()
	const chatID = 1001
	tests := []struct {
		name   string
		call   func(bot *tgbotapi.BotAPI) error
		code   int
		method string
		want   string
	}{
		{
			name: "an unknown method",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.MakeRequest("sendMesage", tgbotapi.Params{"chat_id": "1001"})
				return err
			},
			code:   404,
			method: "sendMesage",
			want:   "Not Found",
		},
		{
			name: "an unknown parameter",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1001", "text": "hi", "colour": "red"})
				return err
			},
			code: 400, method: "sendMessage", want: `Bad Request: unknown parameter "colour"`,
		},
		{
			name: "a missing chat_id",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"text": "hi"})
				return err
			},
			code: 400, method: "sendMessage", want: "Bad Request: chat_id is empty",
		},
		{
			name:   "a missing text (the client leaves an empty text out)",
			call:   func(bot *tgbotapi.BotAPI) error { _, err := bot.Send(tgbotapi.NewMessage(chatID, "")); return err },
			code:   400,
			method: "sendMessage",
			want:   "Bad Request: message text is empty",
		},
		{
			name:   "a text of white space only",
			call:   func(bot *tgbotapi.BotAPI) error { _, err := bot.Send(tgbotapi.NewMessage(chatID, " \n ")); return err },
			code:   400,
			method: "sendMessage",
			want:   "Bad Request: message text is empty",
		},
		{
			name: "a missing required parameter without a Telegram wording",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.MakeRequest("answerCallbackQuery", tgbotapi.Params{"text": "hi"})
				return err
			},
			code: 400, method: "answerCallbackQuery", want: `Bad Request: parameter "callback_query_id" is required`,
		},
		{
			name: "an Integer parameter that is not a number",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1001", "text": "hi", "reply_to_message_id": "first"})
				return err
			},
			code: 400, method: "sendMessage", want: `Bad Request: field "reply_to_message_id" must be of type Integer`,
		},
		{
			name: "a Boolean parameter that is not a boolean",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1001", "text": "hi", "disable_notification": "yes"})
				return err
			},
			code: 400, method: "sendMessage", want: `Bad Request: field "disable_notification" must be of type Boolean`,
		},
		{
			name: "a reply_markup that is not JSON",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1001", "text": "hi", "reply_markup": "{inline"})
				return err
			},
			code: 400, method: "sendMessage", want: "Bad Request: can't parse reply keyboard markup JSON object",
		},
		{
			name: "a reply_markup that is not an object",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1001", "text": "hi", "reply_markup": "[]"})
				return err
			},
			code: 400, method: "sendMessage", want: "Bad Request: object expected as reply markup",
		},
		{
			name: "a button whose text is not a string",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1001", "text": "hi",
					"reply_markup": `{"inline_keyboard":[[{"text":5,"callback_data":"x"}]]}`})
				return err
			},
			code: 400, method: "sendMessage",
			want: `Bad Request: can't parse inline keyboard button: field "reply_markup.inline_keyboard[0][0].text" must be of type String`,
		},
		{
			name: "an inline button with neither data nor URL",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1001", "text": "hi",
					"reply_markup": `{"inline_keyboard":[[{"text":"x"}]]}`})
				return err
			},
			code: 400, method: "sendMessage",
			want: "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
		},
		{
			name: "an inline button with an unknown field",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1001", "text": "hi",
					"reply_markup": `{"inline_keyboard":[[{"text":"x","callback_data":"y","colour":"red"}]]}`})
				return err
			},
			code: 400, method: "sendMessage",
			want: `Bad Request: can't parse inline keyboard button: field "reply_markup.inline_keyboard[0][0].colour" is not a field of InlineKeyboardButton`,
		},
		{
			name: "an edit to an inline keyboard left nil",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.Send(tgbotapi.NewEditMessageReplyMarkup(chatID, 1, tgbotapi.InlineKeyboardMarkup{}))
				return err
			},
			code: 400, method: "editMessageReplyMarkup",
			want: `Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays`,
		},
		{
			name: "a reply keyboard of strings",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1001", "text": "hi",
					"reply_markup": `{"keyboard":["Yes","No"]}`})
				return err
			},
			code: 400, method: "sendMessage",
			want: `Bad Request: can't parse reply keyboard markup JSON object: field "reply_markup.keyboard[0]" must be an Array`,
		},
		{
			name: "callback data of 65 bytes",
			call: func(bot *tgbotapi.BotAPI) error {
				m := tgbotapi.NewMessage(chatID, "pick")
				m.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
					tgbotapi.NewInlineKeyboardButtonData("x", strings.Repeat("a", 65))))
				_, err := bot.Send(m)
				return err
			},
			code: 400, method: "sendMessage", want: "Bad Request: BUTTON_DATA_INVALID",
		},
		{
			name: "empty callback data",
			call: func(bot *tgbotapi.BotAPI) error {
				m := tgbotapi.NewMessage(chatID, "pick")
				m.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
					tgbotapi.NewInlineKeyboardButtonData("x", "")))
				_, err := bot.Send(m)
				return err
			},
			code: 400, method: "sendMessage", want: "Bad Request: BUTTON_DATA_INVALID",
		},
		{
			name: "a button URL that is not http(s) or tg",
			call: func(bot *tgbotapi.BotAPI) error {
				m := tgbotapi.NewMessage(chatID, "open")
				m.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
					tgbotapi.NewInlineKeyboardButtonURL("x", "example.com")))
				_, err := bot.Send(m)
				return err
			},
			code: 400, method: "sendMessage", want: "Bad Request: inline keyboard button URL 'example.com' is invalid: Wrong HTTP URL",
		},
		{
			name: "101 inline buttons",
			call: func(bot *tgbotapi.BotAPI) error {
				m := tgbotapi.NewMessage(chatID, "many")
				kb := buttons(10, 10)
				kb.InlineKeyboard = append(kb.InlineKeyboard, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("x", "y")))
				m.ReplyMarkup = kb
				_, err := bot.Send(m)
				return err
			},
			code: 400, method: "sendMessage", want: "Bad Request: REPLY_MARKUP_TOO_LONG",
		},
		{
			name: "a text of 4,097 characters",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.Send(tgbotapi.NewMessage(chatID, strings.Repeat("a", 4097)))
				return err
			},
			code:   400,
			method: "sendMessage",
			want:   "Bad Request: message is too long",
		},
		{
			name: "a text of 2,048 emoji and a letter (4,097 UTF-16 code units)",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.Send(tgbotapi.NewMessage(chatID, strings.Repeat("🍵", 2048)+"a"))
				return err
			},
			code: 400, method: "sendMessage", want: "Bad Request: message is too long",
		},
		{
			name: "a caption of 1,025 characters",
			call: func(bot *tgbotapi.BotAPI) error {
				p := tgbotapi.NewPhoto(chatID, tgbotapi.FileBytes{Name: "p.jpg", Bytes: JPEG(8, 8)})
				p.Caption = strings.Repeat("a", 1025)
				_, err := bot.Send(p)
				return err
			},
			code:   0, // the client drops the code of upload errors
			method: "sendPhoto", want: "Bad Request: message caption is too long",
		},
		{
			name:   "HTML with an unclosed tag",
			call:   func(bot *tgbotapi.BotAPI) error { _, err := bot.Send(htmlMessage(chatID, "<b>Tea")); return err },
			code:   400,
			method: "sendMessage",
			want:   `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`,
		},
		{
			name:   "HTML with an unknown tag",
			call:   func(bot *tgbotapi.BotAPI) error { _, err := bot.Send(htmlMessage(chatID, "<p>Tea</p>")); return err },
			code:   400,
			method: "sendMessage",
			want:   `Bad Request: can't parse entities: Unsupported start tag "p" at byte offset 0`,
		},
		{
			name:   "HTML with a stray less-than",
			call:   func(bot *tgbotapi.BotAPI) error { _, err := bot.Send(htmlMessage(chatID, "price < 10")); return err },
			code:   400,
			method: "sendMessage",
			want:   `Bad Request: can't parse entities: Unsupported start tag "" at byte offset 6`,
		},
		{
			name:   "HTML with a stray ampersand",
			call:   func(bot *tgbotapi.BotAPI) error { _, err := bot.Send(htmlMessage(chatID, "Tea & coffee")); return err },
			code:   400,
			method: "sendMessage",
			want:   `Bad Request: can't parse entities: character "&" must be escaped as "&amp;" at byte offset 4`,
		},
		{
			name: "an unknown parse_mode",
			call: func(bot *tgbotapi.BotAPI) error {
				m := tgbotapi.NewMessage(chatID, "x")
				m.ParseMode = "Html5"
				_, err := bot.Send(m)
				return err
			},
			code: 400, method: "sendMessage", want: "Bad Request: unsupported parse_mode",
		},
		{
			name: "an invalid chat action",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.Request(tgbotapi.NewChatAction(chatID, "dancing"))
				return err
			},
			code: 400, method: "sendChatAction", want: "Bad Request: wrong parameter action in request",
		},
		{
			name: "an edit of a message that does not exist",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.Send(tgbotapi.NewEditMessageText(chatID, 999, "x"))
				return err
			},
			code: 400, method: "editMessageText", want: "Bad Request: message to edit not found",
		},
		{
			name: "a deletion of a message that does not exist",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.Request(tgbotapi.NewDeleteMessage(chatID, 999))
				return err
			},
			code: 400, method: "deleteMessage", want: "Bad Request: message to delete not found",
		},
		{
			name: "an edit to an empty text",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.Send(tgbotapi.NewEditMessageText(chatID, 1, ""))
				return err
			},
			code: 400, method: "editMessageText", want: "Bad Request: message text is empty",
		},
		{
			name: "a getFile of an unknown file",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.GetFile(tgbotapi.FileConfig{FileID: "nope"})
				return err
			},
			code: 400, method: "getFile", want: "Bad Request: invalid file_id",
		},
		{
			name: "a photo that is not an image",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.Send(tgbotapi.NewPhoto(chatID, tgbotapi.FileBytes{Name: "p.jpg", Bytes: []byte("not a jpeg")}))
				return err
			},
			code: 0, method: "sendPhoto", want: "Bad Request: IMAGE_PROCESS_FAILED",
		},
		{
			name: "a command with capitals",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.Request(tgbotapi.NewSetMyCommands(tgbotapi.BotCommand{Command: "Start", Description: "begin"}))
				return err
			},
			code: 400, method: "setMyCommands", want: "Bad Request: BOT_COMMAND_INVALID",
		},
		{
			name: "a command scope of an unknown type",
			call: func(bot *tgbotapi.BotAPI) error {
				scope := tgbotapi.BotCommandScope{Type: "everyone"}
				_, err := bot.Request(tgbotapi.NewSetMyCommandsWithScope(scope, tgbotapi.BotCommand{Command: "start", Description: "begin"}))
				return err
			},
			code: 400, method: "setMyCommands",
			want: `Bad Request: can't parse scope JSON object: field "scope" must be one of BotCommandScopeDefault, BotCommandScopeAllPrivateChats, BotCommandScopeAllGroupChats, BotCommandScopeAllChatAdministrators, BotCommandScopeChat, BotCommandScopeChatAdministrators, BotCommandScopeChatMember`,
		},
		{
			name: "a chat scope without its chat",
			call: func(bot *tgbotapi.BotAPI) error {
				scope := tgbotapi.BotCommandScope{Type: "chat"}
				_, err := bot.Request(tgbotapi.NewSetMyCommandsWithScope(scope, tgbotapi.BotCommand{Command: "start", Description: "begin"}))
				return err
			},
			code: 400, method: "setMyCommands", want: `Bad Request: can't parse scope JSON object: field "scope.chat_id" is required`,
		},
		{
			name: "a webhook secret with unallowed characters",
			call: func(bot *tgbotapi.BotAPI) error {
				_, err := bot.MakeRequest("setWebhook", tgbotapi.Params{"url": "https://example.com/hook", "secret_token": "a/b="})
				return err
			},
			code: 400, method: "setWebhook", want: "Bad Request: secret token contains unallowed characters",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, bot := start(t)
			u := startedUser(srv, chatID)
			u.Send("/start") // message 1, so that edits have something to aim at
			err := tt.call(bot)
			if err == nil {
				t.Fatalf("the request succeeded; want %q", tt.want)
			}
			e := clientError(t, err)
			if e.Code != tt.code || e.Message != tt.want {
				t.Errorf("reply = %d %q, want %d %q", e.Code, e.Message, tt.code, tt.want)
			}
			v := lastViolation(t, srv)
			if v.Method != tt.method || v.Description != tt.want {
				t.Errorf("violation = %s %q, want %s %q", v.Method, v.Description, tt.method, tt.want)
			}
			if n := len(srv.Violations()); n != 1 {
				t.Errorf("%d violations recorded, want 1: %v", n, srv.Violations())
			}
			for k, val := range v.Params {
				if strings.Contains(val, srv.Token()) {
					t.Errorf("violation parameter %s contains the token", k)
				}
			}
		})
	}
}

func TestRequestsWithinTheLimitsAreAccepted(t *testing.T) {
	t.Parallel()
	const chatID = 1001
	tests := []struct {
		name string
		msg  func() tgbotapi.Chattable
		text string // as the user should read it
	}{
		{"4,096 characters", func() tgbotapi.Chattable { return tgbotapi.NewMessage(chatID, strings.Repeat("a", 4096)) }, strings.Repeat("a", 4096)},
		{"2,048 emoji (4,096 UTF-16 code units)", func() tgbotapi.Chattable { return tgbotapi.NewMessage(chatID, strings.Repeat("🍵", 2048)) }, strings.Repeat("🍵", 2048)},
		{"4,096 characters once the tags are gone", func() tgbotapi.Chattable {
			return htmlMessage(chatID, "<b>"+strings.Repeat("&lt;", 4096)+"</b>")
		}, strings.Repeat("<", 4096)},
		{"callback data of 64 bytes", func() tgbotapi.Chattable {
			m := tgbotapi.NewMessage(chatID, "pick")
			m.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
				tgbotapi.NewInlineKeyboardButtonData("x", strings.Repeat("茶", 21)+"a"))) // 63+1 bytes
			return m
		}, "pick"},
		{"100 inline buttons", func() tgbotapi.Chattable {
			m := tgbotapi.NewMessage(chatID, "many")
			m.ReplyMarkup = buttons(10, 10)
			return m
		}, "many"},
		{"a reply keyboard with a contact button", func() tgbotapi.Chattable {
			m := tgbotapi.NewMessage(chatID, "phone?")
			m.ReplyMarkup = tgbotapi.NewOneTimeReplyKeyboard(tgbotapi.NewKeyboardButtonRow(tgbotapi.NewKeyboardButtonContact("Share")))
			return m
		}, "phone?"},
		{"a keyboard removal", func() tgbotapi.Chattable {
			m := tgbotapi.NewMessage(chatID, "done")
			m.ReplyMarkup = tgbotapi.NewRemoveKeyboard(false)
			return m
		}, "done"},
		{"a forced reply", func() tgbotapi.Chattable {
			m := tgbotapi.NewMessage(chatID, "name?")
			m.ReplyMarkup = tgbotapi.ForceReply{ForceReply: true, InputFieldPlaceholder: "Your name"}
			return m
		}, "name?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, bot := start(t)
			u := startedUser(srv, chatID)
			sent, err := bot.Send(tt.msg())
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			last, _ := u.Last()
			if last.ID != sent.MessageID || last.Text != tt.text {
				t.Errorf("the user sees #%d %.40q, want #%d %.40q", last.ID, last.Text, sent.MessageID, tt.text)
			}
			srv.AssertNoViolations(t)
		})
	}
	t.Run("a parameter only the newest API lists", func(t *testing.T) {
		t.Parallel()
		srv, _ := start(t)
		startedUser(srv, chatID)
		r := post(t, srv, "sendMessage", map[string]string{"chat_id": "1001", "text": "x", "protect_content": "true"})
		if !r.OK {
			t.Fatalf("reply = %d %s", r.ErrorCode, r.Description)
		}
		srv.AssertNoViolations(t)
	})
}

func TestExpectedErrorsAreNotViolations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		call func(t *testing.T, srv *Server, bot *tgbotapi.BotAPI) error
		code int
		want string
	}{
		{
			name: "an edit that changes nothing",
			call: func(t *testing.T, srv *Server, bot *tgbotapi.BotAPI) error {
				startedUser(srv, 7)
				m, err := bot.Send(tgbotapi.NewMessage(7, "same"))
				if err != nil {
					t.Fatal(err)
				}
				_, err = bot.Send(tgbotapi.NewEditMessageText(7, m.MessageID, "same"))
				return err
			},
			code: 400,
			want: "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
		},
		{
			name: "a second answer to a callback query",
			call: func(t *testing.T, srv *Server, bot *tgbotapi.BotAPI) error {
				u := startedUser(srv, 7)
				m, err := bot.Send(tgbotapi.NewMessage(7, "pick"))
				if err != nil {
					t.Fatal(err)
				}
				id, err := u.PressData(m.MessageID, "x")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := bot.Request(tgbotapi.NewCallback(id, "")); err != nil {
					t.Fatalf("first answer: %v", err)
				}
				_, err = bot.Request(tgbotapi.NewCallback(id, ""))
				return err
			},
			code: 400,
			want: "Bad Request: query is too old and response timeout expired or query ID is invalid",
		},
		{
			name: "a user who blocked the bot",
			call: func(t *testing.T, srv *Server, bot *tgbotapi.BotAPI) error {
				startedUser(srv, 7).Block()
				_, err := bot.Send(tgbotapi.NewMessage(7, "hi"))
				return err
			},
			code: 403, want: "Forbidden: bot was blocked by the user",
		},
		{
			name: "a user who never opened the bot",
			call: func(t *testing.T, srv *Server, bot *tgbotapi.BotAPI) error {
				srv.User(7, "Bob", "ru")
				_, err := bot.Send(tgbotapi.NewMessage(7, "hi"))
				return err
			},
			code: 403, want: "Forbidden: bot can't initiate conversation with a user",
		},
		{
			name: "a chat the server has never seen",
			call: func(t *testing.T, srv *Server, bot *tgbotapi.BotAPI) error {
				_, err := bot.Send(tgbotapi.NewMessage(424242, "hi"))
				return err
			},
			code: 400, want: "Bad Request: chat not found",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, bot := start(t)
			err := tt.call(t, srv, bot)
			if err == nil {
				t.Fatalf("the request succeeded; want %q", tt.want)
			}
			if e := clientError(t, err); e.Code != tt.code || e.Message != tt.want {
				t.Errorf("reply = %d %q, want %d %q", e.Code, e.Message, tt.code, tt.want)
			}
			srv.AssertNoViolations(t)
		})
	}
}

func TestAssertNoViolationsReportsEachViolation(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	startedUser(srv, 7)
	_, _ = bot.Send(tgbotapi.NewMessage(7, ""))
	_, _ = bot.Send(htmlMessage(7, "<i>x"))
	var rec recorder
	srv.AssertNoViolations(&rec)
	if len(rec.errors) != 2 {
		t.Fatalf("AssertNoViolations reported %d errors, want 2: %q", len(rec.errors), rec.errors)
	}
	if !strings.Contains(rec.errors[0], "message text is empty") || !strings.Contains(rec.errors[1], "can't parse entities") {
		t.Errorf("reports = %q", rec.errors)
	}
}

type recorder struct{ errors []string }

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, strings.TrimSpace(fmt.Sprintf(format, args...)))
}
