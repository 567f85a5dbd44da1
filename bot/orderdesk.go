package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/catalog"
	"villagebot/orders"
)

// The order desk: staff hear of every order (notify.go), each notice and
// each /pending order carries buttons for its next step, and a button
// works only for someone who holds the role when pressing it (the role is
// read anew on every press, as for commands).
//
// The buttons of an order say where they were pressed, so that the
// screen is redrawn as it was: on the order's own card (a notification)
// or on the /pending list. Its callback kinds are declared with all the
// others in callback.go.

// Where an order's button was pressed.
const (
	onCard    = 0 // the order's own message: a notification, /status
	onPending = 1 // the /pending list
)

// maxOrderNumber bounds order numbers in callback data.
const maxOrderNumber = 1 << 53

// DeskState is what a staff member's session keeps while they type the
// reason for cancelling an order.
type DeskState struct {
	Order  int64  `json:"order"`
	Where  int    `json:"where,omitempty"`
	Reason string `json:"reason,omitempty"` // the words typed, once typed
}

// deskOnly lets a button through for staff of at least role at the moment
// of the press; anyone else — a member revoked since the message was
// sent — gets a toast and nothing changes.
func (b *Bot) deskOnly(role catalog.Role, h staffHandler) Handler {
	return func(ctx context.Context, r *Request) error {
		me, err := b.catalog.StaffMember(ctx, r.UserID)
		if errors.Is(err, catalog.ErrNotFound) || err == nil && role == catalog.Office && me.Role != catalog.Office {
			return refuse(b.msg.T(r.Lang, "desk_refused"))
		}
		if err != nil {
			return err
		}
		return h(ctx, r, me)
	}
}

// readerVillage is whose lines a staff member reads of an order: their
// village's for a coordinator, 0 (all) for office staff.
func readerVillage(me catalog.Staff) int64 {
	if me.Role == catalog.Coordinator && me.VillageID != nil {
		return *me.VillageID
	}
	return 0
}

// deskText is an order as its reader at the desk sees it, under a
// headline: kind, status and date; the lines of the reader's village
// (villageID) or all lines (0) with their total; a gift's occasion,
// recipient, country, needed-by date and notes; a sale's contact, phone
// and delivery.
func (b *Bot) deskText(lang, headline string, o orders.Order, villageID int64) string {
	var sb strings.Builder
	if headline != "" {
		sb.WriteString(headline + "\n")
	}
	sb.WriteString(fmt.Sprintf("<b>%s</b> · %s · %s · %s\n", o.Ref(), b.msg.T(lang, "kind_"+string(o.Kind)),
		b.msg.T(lang, "status_"+string(o.Status)), o.CreatedAt.In(b.loc).Format("2006-01-02 15:04")))
	var total catalog.Money
	for _, l := range o.Lines {
		if villageID != 0 && l.VillageID != villageID {
			continue
		}
		mark := "▫️"
		if l.ReadyAt != nil {
			mark = "✅"
		}
		total += l.LineTotal()
		sb.WriteString(fmt.Sprintf("%s <code>%s</code> %s × %d (%s)\n", mark, esc(l.SKU),
			esc(truncateRunes(l.Name.Get(lang), 40)), l.Quantity, esc(l.VillageCode)))
	}
	if villageID != 0 {
		sb.WriteString(b.msg.T(lang, "desk_village_total", "Total", money(lang, total), "Order", money(lang, o.Total)) + "\n")
	} else {
		sb.WriteString(b.msg.T(lang, "cart_total", "Total", money(lang, o.Total)) + "\n")
	}
	if o.Kind == orders.Gift {
		sb.WriteString("🎁 " + esc(o.Occasion) + " · " + esc(o.Recipient))
		if o.Country != "" {
			sb.WriteString(" · " + esc(o.Country))
		}
		sb.WriteString("\n")
		if o.NeededBy != nil {
			sb.WriteString(b.msg.T(lang, "desk_needed_by", "Date", o.NeededBy.Format("2006-01-02")) + "\n")
		}
	} else {
		sb.WriteString("👤 " + esc(o.Contact))
		if o.Phone != "" {
			sb.WriteString(" · " + esc(o.Phone))
		}
		sb.WriteString("\n" + b.msg.T(lang, "delivery_"+string(o.Delivery)))
		if o.Address != "" {
			sb.WriteString(": " + esc(o.Address))
		}
		sb.WriteString("\n")
	}
	if o.Notes != "" {
		sb.WriteString("📝 " + esc(o.Notes) + "\n")
	}
	return fit(strings.TrimSuffix(sb.String(), "\n"), "", maxText)
}

// deskButtons are the next steps of an order for its reader: a
// coordinator (villageID set) marks their lines ready; office staff
// confirm, mark ready, deliver or cancel. prefix is put before each label
// (the order's number on the /pending list).
func (b *Bot) deskButtons(lang string, o orders.Order, villageID int64, where int, prefix string) []tgbotapi.InlineKeyboardButton {
	n := o.Number
	btn := func(key, kind string) tgbotapi.InlineKeyboardButton {
		return button(prefix+b.msg.T(lang, key), cb(kind, n, int64(where)))
	}
	open := o.Status == orders.Placed || o.Status == orders.Confirmed
	if villageID != 0 {
		if open && !linesReady(o, villageID) {
			return []tgbotapi.InlineKeyboardButton{btn("btn_desk_ready_mine", cbDeskReady)}
		}
		return nil
	}
	var row []tgbotapi.InlineKeyboardButton
	if o.Status == orders.Placed {
		row = append(row, btn("btn_desk_confirm", cbDeskConfirm))
	}
	if open {
		row = append(row, btn("btn_desk_ready", cbDeskReady))
	}
	if o.Status == orders.Ready {
		row = append(row, btn("btn_desk_delivered", cbDeskDelivered))
	}
	if o.Status != orders.Delivered && o.Status != orders.Cancelled {
		row = append(row, btn("btn_desk_cancel", cbDeskCancel))
	}
	if where == onCard && o.Kind == orders.Sale && o.Payment.State == orders.Unpaid && o.Status != orders.Cancelled {
		row = append(row, b.PaidButton(lang, o)) // payment.go
	}
	return row
}

// linesReady reports whether every line of the village in o is ready.
func linesReady(o orders.Order, villageID int64) bool {
	for _, l := range o.Lines {
		if l.VillageID == villageID && l.ReadyAt == nil {
			return false
		}
	}
	return true
}

// deskOrder reads the order a desk button names and where it was pressed.
func (b *Bot) deskOrder(ctx context.Context, r *Request, whereArg int) (orders.Order, int, error) {
	n, ok := r.Data.ID(0, maxOrderNumber)
	where, wok := r.Data.Int(whereArg, onPending)
	if !ok || !wok {
		return orders.Order{}, 0, errStale
	}
	o, err := b.orders.Get(ctx, n)
	if errors.Is(err, orders.ErrNotFound) {
		return orders.Order{}, 0, errStale
	}
	return o, where, err
}

// redraw shows again, after a press, the screen the button was on: the
// card of order o as it is now, or the /pending list.
func (b *Bot) redraw(ctx context.Context, r *Request, me catalog.Staff, o orders.Order, where int) error {
	if where == onPending {
		s, err := b.pendingScreen(ctx, r.Lang, me)
		if err != nil {
			return err
		}
		return b.show(ctx, r, s)
	}
	v := readerVillage(me)
	var rows [][]tgbotapi.InlineKeyboardButton
	if row := b.deskButtons(r.Lang, o, v, onCard, ""); len(row) > 0 {
		rows = append(rows, row)
	}
	return b.show(ctx, r, screen{text: b.deskText(r.Lang, "", o, v), buttons: rows})
}

// deskMoved tells the presser what their press on order number did, or
// why it did nothing (err), and redraws the screen.
func (b *Bot) deskMoved(ctx context.Context, r *Request, me catalog.Staff, number int64, where int, err error) error {
	key := "desk_moved"
	switch {
	case errors.Is(err, orders.ErrBadTransition):
		key = "desk_not_now"
	case errors.Is(err, orders.ErrNotFound):
		key = "desk_not_yours"
	case err != nil:
		return err
	default:
		b.nudgeNotifier()
	}
	cur, err := b.orders.Get(ctx, number)
	if err != nil {
		return err
	}
	r.Toast(b.msg.T(r.Lang, key, "Order", cur.Ref(), "Status", b.msg.T(r.Lang, "status_"+string(cur.Status))))
	return b.redraw(ctx, r, me, cur, where)
}

// deskConfirm confirms a placed order (office).
func (b *Bot) deskConfirm(ctx context.Context, r *Request, me catalog.Staff) error {
	o, where, err := b.deskOrder(ctx, r, 1)
	if err != nil {
		return err
	}
	_, err = b.orders.SetStatus(ctx, o.Number, orders.Confirmed, actor(r.UserID))
	return b.deskMoved(ctx, r, me, o.Number, where, err)
}

// deskDelivered marks a ready order delivered (office).
func (b *Bot) deskDelivered(ctx context.Context, r *Request, me catalog.Staff) error {
	o, where, err := b.deskOrder(ctx, r, 1)
	if err != nil {
		return err
	}
	_, err = b.orders.SetStatus(ctx, o.Number, orders.Delivered, actor(r.UserID))
	return b.deskMoved(ctx, r, me, o.Number, where, err)
}

// deskReady marks the presser's village's lines ready, or every village's
// for office staff, as /ready does.
func (b *Bot) deskReady(ctx context.Context, r *Request, me catalog.Staff) error {
	o, where, err := b.deskOrder(ctx, r, 1)
	if err != nil {
		return err
	}
	villages := []int64{readerVillage(me)}
	if villages[0] == 0 {
		villages = nil
		for _, l := range o.Lines {
			if l.ReadyAt == nil && !slices.Contains(villages, l.VillageID) {
				villages = append(villages, l.VillageID)
			}
		}
	}
	for _, v := range villages {
		if _, _, err = b.orders.MarkReady(ctx, o.Number, v, actor(r.UserID)); err != nil {
			break
		}
	}
	if len(villages) == 0 {
		err = errBadTransitionNow
	}
	return b.deskMoved(ctx, r, me, o.Number, where, err)
}

// errBadTransitionNow is the answer to marking ready an order whose lines
// are all ready already.
var errBadTransitionNow = fmt.Errorf("every line is ready: %w", orders.ErrBadTransition)

// placedNext tells a visitor, under the confirmation of a sale, what
// happens next and by when: the order is cancelled unless confirmed
// before the hold ends. Empty for gifts and when orders never expire.
// (The confirmation screen, placed in checkout.go, appends it.)
func (b *Bot) placedNext(lang string, o orders.Order) string {
	if o.Kind != orders.Sale || b.hold <= 0 {
		return ""
	}
	return b.msg.T(lang, "order_placed_next", "Deadline", o.CreatedAt.Add(b.hold).In(b.loc).Format("2006-01-02 15:04"))
}
