package bot

import (
	"context"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/catalog"
	"villagebot/orders"
)

// Cancelling by staff cannot be undone and the customer is told why, so
// it takes three steps: why (a reason from orders.CancelReasons, or typed
// words for "other"), then an explicit confirmation, then the cancel.
// It starts from /status ORDER cancelled or from an order's Cancel button.

// deskCancel asks why an order is to be cancelled (office).
func (b *Bot) deskCancel(ctx context.Context, r *Request, me catalog.Staff) error {
	o, where, err := b.deskOrder(ctx, r, 1)
	if err != nil {
		return err
	}
	return b.askCancelReason(ctx, r, o, where)
}

// askCancelReason shows the reasons to cancel o, or says it cannot be
// cancelled any more.
func (b *Bot) askCancelReason(ctx context.Context, r *Request, o orders.Order, where int) error {
	if !orders.CanTransition(o.Status, orders.Cancelled) {
		return refuse(b.msg.T(r.Lang, "desk_not_now", "Order", o.Ref(), "Status", b.msg.T(r.Lang, "status_"+string(o.Status))))
	}
	if o.Payment.State == orders.Paid {
		return b.AskRefund(ctx, r, o) // cancelling a paid order refunds it: payment.go
	}
	var rows [][]tgbotapi.InlineKeyboardButton
	for i, reason := range orders.CancelReasons {
		rows = append(rows, []tgbotapi.InlineKeyboardButton{
			button(b.msg.T(r.Lang, "desk_reason_"+string(reason)), cb(cbDeskReason, o.Number, int64(i), int64(where))),
		})
	}
	rows = append(rows, []tgbotapi.InlineKeyboardButton{button(b.msg.T(r.Lang, "btn_desk_keep"), cb(cbDeskKeep, o.Number, int64(where)))})
	text := b.msg.T(r.Lang, "desk_cancel_why", "Order", o.Ref()) + "\n\n" + b.deskText(r.Lang, "", o, 0)
	return b.show(ctx, r, screen{text: fit(text, "", maxText), buttons: rows})
}

// deskReason takes the reason chosen: "other" waits for the words, any
// other asks to confirm.
func (b *Bot) deskReason(ctx context.Context, r *Request, me catalog.Staff) error {
	o, where, err := b.deskOrder(ctx, r, 2)
	if err != nil {
		return err
	}
	i, ok := r.Data.Int(1, len(orders.CancelReasons)-1)
	if !ok {
		return errStale
	}
	reason := orders.CancelReasons[i]
	if reason != orders.ReasonOther {
		b.leaveDesk(r) // words typed for another cancellation no longer apply
		return b.confirmCancel(ctx, r, o, i, "", where)
	}
	r.Session.Enter(flowDesk, stepReason)
	r.Session.Desk = &DeskState{Order: o.Number, Where: where}
	return b.show(ctx, r, screen{
		text: b.msg.T(r.Lang, "desk_reason_type", "Order", o.Ref(), "Max", orders.MaxReasonText),
		buttons: [][]tgbotapi.InlineKeyboardButton{
			{button(b.msg.T(r.Lang, "btn_desk_keep"), cb(cbDeskKeep, o.Number, int64(where)))},
		},
	})
}

// deskReasonText is the typed reason for cancelling: kept in the session
// until it is confirmed.
func (b *Bot) deskReasonText(ctx context.Context, r *Request, me catalog.Staff) error {
	st := r.Session.Desk
	if st == nil {
		r.Session.Leave()
		return r.Session.stale()
	}
	text := cleanReason(r.Text)
	if text == "" || len([]rune(text)) > orders.MaxReasonText {
		return refuse(b.msg.T(r.Lang, "desk_reason_bad", "Max", orders.MaxReasonText))
	}
	o, err := b.orders.Get(ctx, st.Order)
	if err != nil {
		return err
	}
	return b.confirmCancel(ctx, r, o, len(orders.CancelReasons)-1, text, st.Where)
}

// cleanReason keeps a typed reason to one line of printable text.
func cleanReason(s string) string {
	s = strings.Map(func(c rune) rune {
		switch {
		case c == '\n' || c == '\r' || c == '\t':
			return ' '
		case c < ' ' || c == 0x7f:
			return -1
		}
		return c
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// confirmCancel asks to confirm cancelling o for reason i (the typed
// words of "other" in text, kept in the session).
func (b *Bot) confirmCancel(ctx context.Context, r *Request, o orders.Order, i int, text string, where int) error {
	reason := b.msg.T(r.Lang, "desk_reason_"+string(orders.CancelReasons[i]))
	if text != "" {
		reason = esc(text)
		r.Session.Desk.Reason = text
	}
	return b.show(ctx, r, screen{
		text: b.msg.T(r.Lang, "desk_cancel_sure", "Order", o.Ref(), "Reason", reason),
		buttons: [][]tgbotapi.InlineKeyboardButton{{
			button(b.msg.T(r.Lang, "btn_desk_cancel_yes"), cb(cbDeskCancelYes, o.Number, int64(i), int64(where))),
			button(b.msg.T(r.Lang, "btn_desk_keep"), cb(cbDeskKeep, o.Number, int64(where))),
		}},
	})
}

// deskCancelYes cancels the order for the confirmed reason.
func (b *Bot) deskCancelYes(ctx context.Context, r *Request, me catalog.Staff) error {
	o, where, err := b.deskOrder(ctx, r, 2)
	if err != nil {
		return err
	}
	i, ok := r.Data.Int(1, len(orders.CancelReasons)-1)
	if !ok {
		return errStale
	}
	reason, text := orders.CancelReasons[i], ""
	if reason == orders.ReasonOther {
		st := r.Session.Desk
		if r.Session.Flow != flowDesk || st == nil || st.Order != o.Number || st.Reason == "" {
			return r.Session.stale()
		}
		text = st.Reason
	}
	b.leaveDesk(r)
	cancelled, err := b.orders.CancelByStaff(ctx, o.Number, reason, text, actor(r.UserID))
	if err != nil {
		return b.deskMoved(ctx, r, me, o.Number, where, err)
	}
	b.nudgeNotifier()
	r.Toast(b.msg.T(r.Lang, "desk_cancelled", "Order", o.Ref()))
	return b.redraw(ctx, r, me, cancelled, where)
}

// deskKeep leaves the order as it is.
func (b *Bot) deskKeep(ctx context.Context, r *Request, me catalog.Staff) error {
	o, where, err := b.deskOrder(ctx, r, 1)
	if err != nil {
		return err
	}
	b.leaveDesk(r)
	r.Toast(b.msg.T(r.Lang, "desk_kept", "Order", o.Ref()))
	return b.redraw(ctx, r, me, o, where)
}

// leaveDesk ends a typed-reason cancellation, if the session is in one.
func (b *Bot) leaveDesk(r *Request) {
	if r.Session.Flow == flowDesk {
		r.Session.Leave()
	}
	r.Session.Desk = nil
}
