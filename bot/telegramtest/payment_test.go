package telegramtest

import (
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

func invoice(chatID int64) tgbotapi.InvoiceConfig {
	return tgbotapi.NewInvoice(chatID, "Order #1042", "Maona black tea × 2", "order:1042",
		"284685063:TEST:abc", "", "CNY", []tgbotapi.LabeledPrice{{Label: "Maona black tea × 2", Amount: 11600}})
}

// The client library's invoice passes validation and becomes a message
// the user can pay.
func TestSendInvoiceShowsAnInvoice(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	alice := startedUser(srv, 1001)
	msg, err := bot.Send(invoice(alice.ID()))
	if err != nil {
		t.Fatalf("sendInvoice: %v", err)
	}
	if msg.Invoice == nil || msg.Invoice.TotalAmount != 11600 || msg.Invoice.Currency != "CNY" {
		t.Errorf("returned message invoice = %+v, want 11600 CNY", msg.Invoice)
	}
	last, _ := alice.Last()
	if last.Invoice == nil || last.Invoice.Title != "Order #1042" || last.Invoice.TotalAmount != 11600 {
		t.Errorf("the user sees %v, want the invoice", last)
	}
	srv.AssertNoViolations(t)
}

func TestSendInvoiceRefusesWhatTelegramRefuses(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	alice := startedUser(srv, 1001)
	for _, tc := range []struct {
		name   string
		change func(*tgbotapi.InvoiceConfig)
		want   string
	}{
		{"an unknown currency", func(c *tgbotapi.InvoiceConfig) { c.Currency = "yuan" }, "CURRENCY_INVALID"},
		{"no provider token", func(c *tgbotapi.InvoiceConfig) { c.ProviderToken = "" }, "provider_token"},
		{"no prices", func(c *tgbotapi.InvoiceConfig) { c.Prices = []tgbotapi.LabeledPrice{} }, "prices"},
		{"a zero total", func(c *tgbotapi.InvoiceConfig) { c.Prices[0].Amount = 0 }, "CURRENCY_TOTAL_AMOUNT_INVALID"},
		{"a title over 32 characters", func(c *tgbotapi.InvoiceConfig) { c.Title = strings.Repeat("x", 33) }, "title"},
		{"a payload over 128 bytes", func(c *tgbotapi.InvoiceConfig) { c.Payload = strings.Repeat("я", 65) }, "payload"},
		{"an empty description", func(c *tgbotapi.InvoiceConfig) { c.Description = "" }, "description"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := invoice(alice.ID())
			c.Prices = []tgbotapi.LabeledPrice{{Label: "tea", Amount: 11600}}
			tc.change(&c)
			_, err := bot.Send(c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one that says %q", err, tc.want)
			}
		})
	}
	if got := len(srv.Violations()); got != 7 {
		t.Errorf("%d violations recorded, want 7", got)
	}
	for _, v := range srv.Violations() {
		if strings.Contains(v.String(), "284685063:TEST:abc") {
			t.Errorf("a violation shows the provider token: %s", v)
		}
	}
}

// A payment: Pay sends a pre_checkout_query, the bot's ok answer makes the
// payment, and the bot gets successful_payment with the invoice's payload.
func TestPayAnsweredOKMakesAPayment(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	alice := startedUser(srv, 1001)
	if _, err := bot.Send(invoice(alice.ID())); err != nil {
		t.Fatal(err)
	}
	type result struct {
		p   Payment
		err error
	}
	done := make(chan result, 1)
	go func() {
		p, err := alice.Pay(wait)
		done <- result{p, err}
	}()
	u := waitUpdate(t, bot, func(u tgbotapi.Update) bool { return u.PreCheckoutQuery != nil })
	q := u.PreCheckoutQuery
	if q.From == nil || q.From.ID != alice.ID() || q.TotalAmount != 11600 || q.Currency != "CNY" || q.InvoicePayload != "order:1042" {
		t.Fatalf("pre_checkout_query = %+v", q)
	}
	if _, err := bot.Request(tgbotapi.PreCheckoutConfig{PreCheckoutQueryID: q.ID, OK: true}); err != nil {
		t.Fatalf("answerPreCheckoutQuery: %v", err)
	}
	res := <-done
	if res.err != nil || !res.p.Answer.OK || res.p.Charge.TelegramPaymentChargeID == "" {
		t.Fatalf("Pay = %+v, %v", res.p, res.err)
	}
	u = waitUpdate(t, bot, func(u tgbotapi.Update) bool { return u.Message != nil && u.Message.SuccessfulPayment != nil })
	sp := u.Message.SuccessfulPayment
	if sp.TelegramPaymentChargeID != res.p.Charge.TelegramPaymentChargeID || sp.InvoicePayload != "order:1042" || sp.TotalAmount != 11600 {
		t.Errorf("successful_payment = %+v, want the charge %+v", sp, res.p.Charge)
	}
	if u.Message.From == nil || u.Message.From.ID != alice.ID() {
		t.Errorf("successful_payment from %+v, want Alice", u.Message.From)
	}

	t.Run("a second answer to the same query is too old", func(t *testing.T) {
		_, err := bot.Request(tgbotapi.PreCheckoutConfig{PreCheckoutQueryID: q.ID, OK: true})
		if e := clientError(t, err); !strings.Contains(e.Message, "query is too old") {
			t.Errorf("err = %v", err)
		}
	})
	srv.AssertNoViolations(t)
}

func TestPayRefusedOrUnanswered(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	alice := startedUser(srv, 1001)
	if _, err := bot.Send(invoice(alice.ID())); err != nil {
		t.Fatal(err)
	}
	t.Run("a refusal carries its message and makes no payment", func(t *testing.T) {
		done := make(chan Payment, 1)
		go func() {
			p, err := alice.Pay(wait)
			if err != nil {
				t.Error(err)
			}
			done <- p
		}()
		q := waitUpdate(t, bot, func(u tgbotapi.Update) bool { return u.PreCheckoutQuery != nil }).PreCheckoutQuery
		r := post(t, srv, "answerPreCheckoutQuery", map[string]string{
			"pre_checkout_query_id": q.ID, "ok": "false", "error_message": "This order was cancelled.",
		})
		if !r.OK {
			t.Fatalf("answer refused: %+v", r)
		}
		p := <-done
		if p.Answer.OK || p.Answer.ErrorMessage != "This order was cancelled." || p.Charge.TelegramPaymentChargeID != "" {
			t.Errorf("Pay = %+v, want refused with the message and no charge", p)
		}
	})
	t.Run("not ok without a message is refused", func(t *testing.T) {
		r := post(t, srv, "answerPreCheckoutQuery", map[string]string{"pre_checkout_query_id": "1", "ok": "false"})
		if r.OK || !strings.Contains(r.Description, "error_message") {
			t.Errorf("reply = %+v", r)
		}
	})
	t.Run("the client library's not-ok answer leaves out ok, which Telegram requires", func(t *testing.T) {
		_, err := bot.Request(tgbotapi.PreCheckoutConfig{PreCheckoutQueryID: "2", OK: false, ErrorMessage: "no"})
		if e := clientError(t, err); !strings.Contains(e.Message, `"ok" is required`) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("a query left unanswered fails the payment", func(t *testing.T) {
		if _, err := alice.Pay(50 * time.Millisecond); err == nil || !strings.Contains(err.Error(), "did not answer") {
			t.Errorf("Pay = %v, want an error that the bot did not answer", err)
		}
	})
	if got := len(srv.Violations()); got != 2 {
		t.Errorf("%d violations, want the 2 bad answers", got)
	}
}

// waitUpdate polls until an update matching ok arrives, confirming the
// ones before it.
func waitUpdate(t *testing.T, bot *tgbotapi.BotAPI, ok func(tgbotapi.Update) bool) tgbotapi.Update {
	t.Helper()
	deadline := time.Now().Add(wait)
	offset := 0
	for time.Now().Before(deadline) {
		for _, u := range nextUpdates(t, bot, offset) {
			offset = u.UpdateID + 1
			if ok(u) {
				// Confirm it without waiting for more.
				if _, err := bot.GetUpdates(tgbotapi.UpdateConfig{Offset: offset}); err != nil {
					t.Fatal(err)
				}
				return u
			}
		}
	}
	t.Fatal("no such update in time")
	return tgbotapi.Update{}
}
