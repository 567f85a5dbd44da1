package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// RawUpdate is an update as fetched: its id, and the rest still encoded.
// Most of a batch may be in hand already (see internal/delivery), and only
// new ones are decoded whole.
type RawUpdate struct {
	ID  int
	Raw json.RawMessage
}

// AllowedUpdates are the kinds of update the bot asks Telegram for.
var AllowedUpdates = []string{"message", "callback_query", "pre_checkout_query"}

// GetUpdates fetches updates from offset on, waiting up to timeout for one
// to arrive. It takes the path of every call (metrics, errors without the
// token, a 429 waited out) but is not retried after a network error or a
// 5xx: the poller backs off and asks again. It is written here rather than
// taken from the library, whose calls take no context.
func (t *Client) GetUpdates(ctx context.Context, offset, limit int, timeout time.Duration) ([]RawUpdate, error) {
	var updates []RawUpdate
	err := t.do(ctx, "getUpdates", 0, false, func() error {
		var err error
		updates, err = t.getUpdates(ctx, offset, limit, timeout)
		return err
	})
	return updates, err
}

// getUpdates is one getUpdates request.
func (t *Client) getUpdates(ctx context.Context, offset, limit int, timeout time.Duration) ([]RawUpdate, error) {
	form := url.Values{}
	form.Set("offset", strconv.Itoa(offset))
	form.Set("limit", strconv.Itoa(limit))
	form.Set("timeout", strconv.Itoa(int(timeout/time.Second)))
	allowed, _ := json.Marshal(AllowedUpdates)
	form.Set("allowed_updates", string(allowed))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.base+"/bot"+t.token+"/getUpdates?"+form.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := t.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	// The response decoded once, the updates kept encoded.
	var r struct {
		Ok          bool                         `json:"ok"`
		Result      []json.RawMessage            `json:"result"`
		ErrorCode   int                          `json:"error_code"`
		Description string                       `json:"description"`
		Parameters  *tgbotapi.ResponseParameters `json:"parameters"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("HTTP %d: %w", resp.StatusCode, err)
	}
	if !r.Ok {
		e := &tgbotapi.Error{Code: r.ErrorCode, Message: r.Description}
		if r.Parameters != nil {
			e.ResponseParameters = *r.Parameters
		}
		return nil, e
	}
	updates := make([]RawUpdate, len(r.Result))
	for i, raw := range r.Result {
		var head struct {
			UpdateID int `json:"update_id"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, err
		}
		updates[i] = RawUpdate{ID: head.UpdateID, Raw: raw}
	}
	return updates, nil
}
