package telegramtest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Payments, as Telegram runs them for a bot (core.telegram.org/bots/payments):
//
//  1. the bot sends an invoice (sendInvoice): a message with a Pay button;
//  2. the user presses Pay (User.Pay) and confirms: the bot gets a
//     pre_checkout_query and must answer it (answerPreCheckoutQuery) within
//     10 seconds, ok or not with an error message the user reads;
//  3. on ok the payment is made: the bot gets a message from the user with
//     successful_payment, carrying Telegram's and the provider's charge ids.
//
// The server keeps the queries it sent until they are answered. Telegram
// may deliver a successful_payment again (User.RepeatPayment posts it once
// more with the same charge ids).

// Invoice is an invoice message as the user sees it.
type Invoice struct {
	Title       string
	Description string
	Currency    string
	TotalAmount int64 // in the currency's smallest unit (fen for CNY)
	Prices      []LabeledPrice
	payload     string
}

// LabeledPrice is one line of an invoice.
type LabeledPrice struct {
	Label  string
	Amount int64
}

// SuccessfulPayment is the service message of a payment made.
type SuccessfulPayment struct {
	Currency                string
	TotalAmount             int64
	InvoicePayload          string
	TelegramPaymentChargeID string
	ProviderPaymentChargeID string
}

// PreCheckoutAnswer is the bot's answer to a pre-checkout query.
type PreCheckoutAnswer struct {
	QueryID      string
	OK           bool
	ErrorMessage string
}

// PreCheckoutTimeout is how long Telegram waits for the bot to answer a
// pre_checkout_query.
const PreCheckoutTimeout = 10 * time.Second

type wireInvoice struct {
	Title          string `json:"title"`
	Description    string `json:"description"`
	StartParameter string `json:"start_parameter"`
	Currency       string `json:"currency"`
	TotalAmount    int64  `json:"total_amount"`
}

type wireSuccessfulPayment struct {
	Currency                string `json:"currency"`
	TotalAmount             int64  `json:"total_amount"`
	InvoicePayload          string `json:"invoice_payload"`
	TelegramPaymentChargeID string `json:"telegram_payment_charge_id"`
	ProviderPaymentChargeID string `json:"provider_payment_charge_id"`
}

type wirePreCheckoutQuery struct {
	ID             string   `json:"id"`
	From           wireUser `json:"from"`
	Currency       string   `json:"currency"`
	TotalAmount    int64    `json:"total_amount"`
	InvoicePayload string   `json:"invoice_payload"`
}

// paymentStore keeps the pre-checkout queries the bot has not answered and
// the answers it gave.
type paymentStore struct {
	mu      sync.Mutex
	pending map[string]*preCheckout
	answers map[string]PreCheckoutAnswer
	charges int
}

type preCheckout struct {
	id   string
	chat *chat
	sent time.Time
}

// currencies Telegram takes for payments with a provider (a few; the
// list is long), with the digits of their smallest unit.
var currencies = map[string]int{
	"CNY": 2, "USD": 2, "EUR": 2, "RUB": 2, "GBP": 2, "HKD": 2, "JPY": 0, "KRW": 0, "KZT": 2, "THB": 2,
	"SGD": 2, "MYR": 2, "AED": 2, "INR": 2, "TRY": 2, "UAH": 2, "UZS": 2, "XTR": 0,
}

var currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)

// sendInvoice checks what the description states in prose and Telegram
// enforces — a known currency, a provider token unless paid in Stars, at
// least one price, a positive total, a first button that pays — and sends
// the invoice message. The description's own limits (title 1-32, …) are
// checked by validate.
func (s *Server) sendInvoice(r *request) (any, *apiError) {
	cur := r.params["currency"]
	if _, ok := currencies[cur]; !ok || !currencyRe.MatchString(cur) {
		return nil, badRequest("CURRENCY_INVALID")
	}
	if r.params["provider_token"] == "" && cur != "XTR" {
		return nil, badRequest("PAYMENT_PROVIDER_INVALID")
	}
	var prices []struct {
		Label  string      `json:"label"`
		Amount json.Number `json:"amount"`
	}
	raw, _ := json.Marshal(r.json["prices"])
	if err := json.Unmarshal(raw, &prices); err != nil || len(prices) == 0 {
		return nil, badRequest("can't parse prices JSON object")
	}
	inv := &Invoice{
		Title: r.params["title"], Description: r.params["description"], Currency: cur,
		payload: r.params["payload"],
	}
	for _, p := range prices {
		n, err := p.Amount.Int64()
		if err != nil {
			return nil, badRequest("can't parse prices JSON object")
		}
		inv.Prices = append(inv.Prices, LabeledPrice{Label: p.Label, Amount: n})
		inv.TotalAmount += n
	}
	if inv.TotalAmount <= 0 {
		return nil, badRequest("CURRENCY_TOTAL_AMOUNT_INVALID")
	}
	mk := parseMarkup(r)
	if len(mk.inline) > 0 && !firstButtonPays(r) {
		return nil, badRequest("the first button of an invoice's inline keyboard must be a Pay button")
	}
	return s.sendToChat(r, func(m *message) *apiError {
		m.view.Invoice = inv
		return nil
	})
}

func firstButtonPays(r *request) bool {
	rm, _ := r.json["reply_markup"].(map[string]any)
	rows, _ := rm["inline_keyboard"].([]any)
	if len(rows) == 0 {
		return false
	}
	row, _ := rows[0].([]any)
	if len(row) == 0 {
		return false
	}
	b, _ := row[0].(map[string]any)
	pay, _ := b["pay"].(bool)
	return pay
}

// errPreCheckoutTooOld is Telegram's answer to a pre-checkout query
// answered late, twice, or never asked.
var errPreCheckoutTooOld = expected(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")

func (s *Server) answerPreCheckoutQuery(r *request) (any, *apiError) {
	ok, _ := strconv.ParseBool(r.params["ok"])
	msg := r.params["error_message"]
	if !ok && msg == "" {
		return nil, badRequest("error_message is required when ok is false")
	}
	id := r.params["pre_checkout_query_id"]
	ps := &s.payments
	ps.mu.Lock()
	q := ps.pending[id]
	delete(ps.pending, id)
	if q == nil || s.now().Sub(q.sent) > PreCheckoutTimeout {
		ps.mu.Unlock()
		return nil, errPreCheckoutTooOld
	}
	if ps.answers == nil {
		ps.answers = map[string]PreCheckoutAnswer{}
	}
	ps.answers[id] = PreCheckoutAnswer{QueryID: id, OK: ok, ErrorMessage: msg}
	ps.mu.Unlock()
	c := q.chat
	c.mu.Lock()
	c.touch()
	c.mu.Unlock()
	return true, nil
}

// Payment is what came of pressing Pay on an invoice.
type Payment struct {
	// Answer is the bot's answer to the pre-checkout query.
	Answer PreCheckoutAnswer
	// Charge is the payment made when the answer was ok; its
	// successful_payment went to the bot as update UpdateID.
	Charge   SuccessfulPayment
	UpdateID int
}

// Pay presses Pay on the newest invoice in the chat and confirms the
// payment, as a user does in Telegram's payment form: the bot gets a
// pre_checkout_query, and when it answers ok within timeout (at most
// Telegram's 10 seconds) the payment is made and the bot gets the
// successful_payment. The error says what went wrong when the bot did not
// answer in time; a refusal is not an error (Answer.OK is false).
func (u *User) Pay(timeout time.Duration) (Payment, error) {
	c, s := u.chat, u.s
	c.mu.Lock()
	var inv *Invoice
	for _, m := range slices.Backward(c.msgs) {
		if !m.deleted && m.view.FromBot && m.view.Invoice != nil {
			inv = m.view.Invoice
			break
		}
	}
	if inv == nil {
		shown := c.snapshot()
		c.mu.Unlock()
		return Payment{}, fmt.Errorf("telegramtest: %s: no invoice to pay; the chat shows:\n%s", u, render(shown))
	}
	id := strconv.FormatUint(randUint64(), 10)
	ps := &s.payments
	ps.mu.Lock()
	if ps.pending == nil {
		ps.pending = map[string]*preCheckout{}
	}
	ps.pending[id] = &preCheckout{id: id, chat: c, sent: s.now()}
	ps.mu.Unlock()
	c.userActed()
	w := wirePreCheckoutQuery{ID: id, From: u.wire(), Currency: inv.Currency, TotalAmount: inv.TotalAmount, InvoicePayload: inv.payload}
	s.updates.enqueue("pre_checkout_query", c.id, func(updateID int) any {
		return wireUpdate{UpdateID: updateID, PreCheckoutQuery: &w}
	})
	c.mu.Unlock()

	var answer PreCheckoutAnswer
	err := u.wait(min(timeout, PreCheckoutTimeout), func(*chat) bool {
		ps.mu.Lock()
		defer ps.mu.Unlock()
		a, ok := ps.answers[id]
		answer = a
		return ok
	})
	if err != nil {
		ps.mu.Lock()
		delete(ps.pending, id)
		ps.mu.Unlock()
		return Payment{}, fmt.Errorf("%w: the bot did not answer the pre_checkout_query (Telegram gives it %v)", err, PreCheckoutTimeout)
	}
	p := Payment{Answer: answer}
	if !answer.OK {
		return p, nil
	}
	ps.mu.Lock()
	ps.charges++
	n := ps.charges
	ps.mu.Unlock()
	p.Charge = SuccessfulPayment{
		Currency: inv.Currency, TotalAmount: inv.TotalAmount, InvoicePayload: inv.payload,
		TelegramPaymentChargeID: fmt.Sprintf("tg_%d_%s", n, randToken(12)),
		ProviderPaymentChargeID: fmt.Sprintf("prov_%d_%s", n, randToken(12)),
	}
	p.UpdateID = u.RepeatPayment(p.Charge)
	return p, nil
}

// RepeatPayment posts a successful_payment service message from the user
// with the charge of an earlier payment, as a new update: what the bot
// sees when Telegram reports one payment again. It returns the update's
// id.
func (u *User) RepeatPayment(charge SuccessfulPayment) int {
	sp := charge
	return u.post(&message{view: Message{SuccessfulPayment: &sp}})
}

// PreCheckoutAnswers returns the bot's answers to pre-checkout queries so
// far, in no particular order.
func (s *Server) PreCheckoutAnswers() []PreCheckoutAnswer {
	ps := &s.payments
	ps.mu.Lock()
	defer ps.mu.Unlock()
	out := make([]PreCheckoutAnswer, 0, len(ps.answers))
	for _, a := range ps.answers {
		out = append(out, a)
	}
	return out
}

// wirePayment fills in the invoice or successful payment of a message.
func wirePayment(w *wireMessage, m *message) {
	if inv := m.view.Invoice; inv != nil {
		w.Invoice = &wireInvoice{Title: inv.Title, Description: inv.Description, Currency: inv.Currency, TotalAmount: inv.TotalAmount}
	}
	if sp := m.view.SuccessfulPayment; sp != nil {
		w.SuccessfulPayment = &wireSuccessfulPayment{
			Currency: sp.Currency, TotalAmount: sp.TotalAmount, InvoicePayload: sp.InvoicePayload,
			TelegramPaymentChargeID: sp.TelegramPaymentChargeID, ProviderPaymentChargeID: sp.ProviderPaymentChargeID,
		}
	}
}
