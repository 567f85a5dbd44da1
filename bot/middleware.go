package bot

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/catalog"
)

// errStale is returned for callback data that is forged, malformed or
// refers to something that is gone.
var errStale = errors.New("stale or forged callback data")

// logUpdates logs each update once, with its id, chat, kind and duration.
func (b *Bot) logUpdates(next Handler) Handler {
	return func(ctx context.Context, r *Request) error {
		start := time.Now()
		err := next(ctx, r)
		kind, what := "message", r.Command
		if r.Callback != nil {
			kind, what = "callback", r.Data.Kind
		}
		attrs := []any{"update_id", r.Update.UpdateID, "chat_id", r.ChatID, "kind", kind, "route", what, "took", time.Since(start)}
		if err != nil {
			switch {
			case isOutage(err):
				// An outage is logged where it is seen, but it is not a
				// fault of the bot's: the user was told to try again.
				r.failed = true
				b.log.Warn("update failed: a service is unavailable", append(attrs, "err", err)...)
				return err
			case !expected(err):
				r.failed = true
				b.log.Error("update failed", append(attrs, "err", err)...)
				return err
			}
		}
		b.log.Debug("update", attrs...)
		return err
	}
}

// answerCallbacks answers every callback query exactly once, with the toast
// the handler left, after the handler ran.
func (b *Bot) answerCallbacks(next Handler) Handler {
	return func(ctx context.Context, r *Request) error {
		err := next(ctx, r)
		if r.Callback != nil && !r.answered {
			r.answered = true
			ans := tgbotapi.NewCallback(r.Callback.ID, truncateRunes(r.toast, 190))
			ans.ShowAlert = r.alert
			if _, aerr := b.tg.Request(ctx, ans); aerr != nil && apiErrorCode(aerr) != 400 {
				b.log.Warn("callback not answered", "chat_id", r.ChatID, "err", aerr)
			}
		}
		return err
	}
}

// explainErrors turns a handler's error into words for the user (a toast
// for a button, a message otherwise), once, before the callback is
// answered.
func (b *Bot) explainErrors(next Handler) Handler {
	return func(ctx context.Context, r *Request) error {
		err := next(ctx, r)
		if err != nil {
			b.explain(ctx, r, err)
		}
		return err
	}
}

// recoverPanics turns a panic in a handler into an error, so one bad
// update never stops the bot.
func (b *Bot) recoverPanics(next Handler) Handler {
	return func(ctx context.Context, r *Request) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
			}
		}()
		return next(ctx, r)
	}
}

// expected reports errors that are part of normal use and need no log.
func expected(err error) bool {
	return errors.Is(err, errStale) || errors.Is(err, catalog.ErrNotFound) || errors.Is(err, errUsage) ||
		errors.Is(err, errSessionLost)
}

// explain is the one place that turns an error into words for the user: a
// toast for a callback, a message otherwise.
func (b *Bot) explain(ctx context.Context, r *Request, err error) {
	var key string
	var u *usageError
	switch {
	case errors.As(err, &u):
		if r.Callback != nil {
			r.toast = plainText(u.text)
			return
		}
		b.send(ctx, r, u.text, nil)
		return
	case errors.Is(err, errSessionLost):
		// A step of a flow the bot forgot: say so plainly, and where a
		// toast would flash by, in an alert the user closes.
		key = "session_lost"
		r.alert = r.Callback != nil
	case errors.Is(err, errStale):
		key = "stale_button"
	case errors.Is(err, catalog.ErrNotFound):
		key = "not_available"
	case isUnavailable(err):
		key = "unavailable"
	default:
		key = "error_generic"
	}
	text := b.msg.T(r.Lang, key)
	if r.Callback != nil {
		r.toast = text
		return
	}
	b.send(ctx, r, text, nil)
}

// errUsage marks a usage reminder for a malformed command.
var errUsage = errors.New("usage")

type usageError struct{ text string }

func (e *usageError) Error() string { return "usage: " + e.text }
func (e *usageError) Unwrap() error { return errUsage }

// isUnavailable reports errors of a database or cache that cannot be
// reached, or did not answer in time, which the user is told are
// temporary.
func isUnavailable(err error) bool {
	var ce *CallError
	if errors.As(err, &ce) {
		return false
	}
	return errors.Is(err, context.DeadlineExceeded) || isOutage(err)
}

// isOutage reports errors of a database or cache that cannot be reached
// (not of Telegram): the bot is not at fault, and says so at warn level.
func isOutage(err error) bool {
	var ce *CallError
	if errors.As(err, &ce) {
		return false
	}
	return errors.Is(err, errSessionUnavailable) || isConnError(err)
}
