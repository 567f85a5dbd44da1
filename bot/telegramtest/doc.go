// Package telegramtest is an in-memory Telegram Bot API server, in the
// spirit of net/http/httptest, for end-to-end tests, the terminal
// playground and benchmarks.
//
// The server listens on real HTTP and speaks Telegram's wire format, so the
// bot under test uses its real client library (go-telegram-bot-api v5)
// unchanged; only the endpoint differs:
//
//	srv := telegramtest.NewServer()
//	defer srv.Close()
//	api, err := tgbotapi.NewBotAPIWithClient(srv.Token(), srv.Endpoint(), http.DefaultClient)
//
// # What the bot sees
//
// Every request is checked against the Bot API description embedded from
// apispec/ (see apispec/README.md): the method exists, required parameters
// are present, no parameter is unknown (known means listed by api-5.5.json,
// the client's version, or api.json, the newest), values have the right
// types (form values are coerced; JSON parameters such as reply_markup are
// decoded and checked field by field against the described objects), and
// Telegram's limits hold: text 1–4096 and captions 0–1024 characters after
// entity parsing (counted in UTF-16 code units, as Telegram counts them),
// callback_data 1–64 bytes, at most 100 inline buttons, parse_mode HTML that
// Telegram's parser accepts. A request that breaks a rule gets Telegram's
// own error reply ({"ok":false,"error_code":400,"description":"Bad Request:
// ..."}) and is recorded as a Violation; end-to-end tests finish with
// srv.AssertNoViolations(t).
//
// Errors a correct bot still meets are answered the same way but are not
// violations: "message is not modified", "query is too old…", 403 from a
// user who blocked the bot or never started it, "chat not found" for an id
// the server does not know, a long poll ended by a newer one (409), and
// injected faults. getUpdates while a webhook is set (409) is a violation.
//
// Where the emulator is stricter than Telegram, it says so: an unknown
// parameter is refused (Telegram ignores it), and so is a bare "&" in HTML
// (Telegram keeps it as text; here it means a string was not escaped).
// Markdown parse modes are accepted but not checked.
//
// # What the user sees
//
// Simulated users talk to the bot and read their chat back:
//
//	alice := srv.User(1001, "Alice", "en")
//	alice.Send("/start")
//	menu, err := alice.WaitText(5*time.Second, "Welcome")
//	if err != nil {
//		t.Fatal(err) // the error shows the chat as Alice sees it
//	}
//	queryID, err := alice.Press("🛒 Cart")   // an inline button, by label
//	answer, err := alice.WaitAnswer(queryID, 5*time.Second)
//	alice.ShareContact()                     // the "share my phone" reply button
//	for _, m := range alice.Messages() { … }  // edits applied, deletions gone
//
// Users' actions become updates (message, callback_query) that the bot gets
// by long polling getUpdates or through a webhook, with Telegram's offset
// rules, 409 conflicts and redelivery. Waits never sleep: they wake on every
// change in the chat and give up at a deadline. Watch streams the same
// changes to a callback, for the playground.
//
// # Faults
//
// FailNext, DropNext, Refuse, SetRateLimit, Redeliver and SetDuplicates make
// the server misbehave the way Telegram and networks do: 429 with
// retry_after, 5xx, connections closed without a reply, flood control,
// updates delivered twice.
package telegramtest
