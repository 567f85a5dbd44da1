package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"villagebot/catalog"
	"villagebot/orders"
)

// pending is /pending: open orders oldest first with the buttons of
// their next step (pendingScreen).
func (b *Bot) pending(ctx context.Context, r *Request, me catalog.Staff) error {
	if r.Args != "" {
		return b.usage(r, "pending")
	}
	s, err := b.pendingScreen(ctx, r.Lang, me)
	if err != nil {
		return err
	}
	return b.send(ctx, r, s.text, s.buttons)
}

// pendingShown is the most open orders /pending reads; fewer fit in one
// message.
const pendingShown = 50

// staffOrderText is an order as staff see it: number, kind, status, date,
// who and how, and its lines with their village and readiness.
func (b *Bot) staffOrderText(lang string, o orders.Order) string {
	var sb strings.Builder
	sb.WriteString(fmt.Sprintf("<b>%s</b> · %s · %s · %s\n", o.Ref(), b.msg.T(lang, "kind_"+string(o.Kind)),
		b.msg.T(lang, "status_"+string(o.Status)), o.CreatedAt.In(b.loc).Format("2006-01-02 15:04")))
	for _, l := range o.Lines {
		mark := "▫️"
		if l.ReadyAt != nil {
			mark = "✅"
		}
		sb.WriteString(fmt.Sprintf("%s <code>%s</code> %s × %d (%s)\n", mark, esc(l.SKU), esc(truncateRunes(l.Name.Get(lang), 40)), l.Quantity, esc(l.VillageCode)))
	}
	if o.Kind == orders.Gift {
		sb.WriteString("🎁 " + esc(o.Occasion) + " · " + esc(o.Recipient))
		if o.Country != "" {
			sb.WriteString(" · " + esc(o.Country))
		}
		if o.NeededBy != nil {
			sb.WriteString(" · " + o.NeededBy.Format("2006-01-02"))
		}
		sb.WriteString("\n")
	} else {
		sb.WriteString("👤 " + esc(o.Contact) + " · " + esc(o.Phone) + "\n")
		sb.WriteString("💳 " + b.PaymentLabel(lang, o) + "\n")
		sb.WriteString(b.msg.T(lang, "delivery_"+string(o.Delivery))) // the label has its own emoji
		if o.Address != "" {
			sb.WriteString(": " + esc(o.Address))
		}
		sb.WriteString("\n")
	}
	if o.Notes != "" {
		sb.WriteString("📝 " + esc(o.Notes) + "\n")
	}
	sb.WriteString(b.msg.T(lang, "cart_total", "Total", money(lang, o.Total)))
	return sb.String()
}

// ready is /ready ORDER: the sender's village's lines of the order are
// ready; when every line is, the order becomes ready and the customer is
// told. Office staff mark every village's lines, or one village's with
// /ready ORDER VILLAGE.
func (b *Bot) ready(ctx context.Context, r *Request, me catalog.Staff) error {
	f := strings.Fields(r.Args)
	if len(f) < 1 || len(f) > 2 || len(f) == 2 && me.Role != catalog.Office {
		return b.usage(r, "ready")
	}
	number, err := orders.ParseRef(f[0])
	if err != nil {
		return b.usage(r, "ready")
	}
	o, err := b.orders.Get(ctx, number)
	if errors.Is(err, orders.ErrNotFound) {
		return refuse(b.msg.T(r.Lang, "order_not_found", "Order", esc(f[0])))
	}
	if err != nil {
		return err
	}
	var villages []int64
	switch {
	case me.Role == catalog.Coordinator:
		villages = []int64{*me.VillageID}
	case len(f) == 2:
		v, err := b.catalog.VillageByCode(ctx, strings.ToLower(f[1]))
		if errors.Is(err, catalog.ErrNotFound) {
			return refuse(b.msg.T(r.Lang, "unknown_village", "Code", esc(truncateRunes(f[1], 32))))
		}
		if err != nil {
			return err
		}
		villages = []int64{v.ID}
	default:
		seen := map[int64]bool{}
		for _, l := range o.Lines {
			if !seen[l.VillageID] {
				seen[l.VillageID] = true
				villages = append(villages, l.VillageID)
			}
		}
	}
	allReady := false
	for _, v := range villages {
		o, allReady, err = b.orders.MarkReady(ctx, number, v, actor(r.UserID))
		switch {
		case errors.Is(err, orders.ErrNotFound):
			return refuse(b.msg.T(r.Lang, "ready_no_lines", "Order", "#"+strconv.FormatInt(number, 10)))
		case errors.Is(err, orders.ErrBadTransition):
			cur, _ := b.orders.Get(ctx, number)
			return refuse(b.msg.T(r.Lang, "ready_not_open", "Order", cur.Ref(), "Status", b.msg.T(r.Lang, "status_"+string(cur.Status))))
		case err != nil:
			return err
		}
	}
	b.nudgeNotifier()
	key := "ready_partly"
	if allReady {
		key = "ready_all"
	}
	return b.send(ctx, r, b.msg.T(r.Lang, key, "Order", o.Ref()), nil)
}

// status is /status ORDER STATUS, through the orders' one status function:
// it checks the transition, records who and when, and tells the customer.
func (b *Bot) status(ctx context.Context, r *Request, me catalog.Staff) error {
	f := strings.Fields(r.Args)
	if len(f) != 2 {
		return b.usage(r, "status")
	}
	number, err := orders.ParseRef(f[0])
	to := orders.Status(strings.ToLower(f[1]))
	if err != nil || !to.Valid() {
		return b.usage(r, "status")
	}
	before, err := b.orders.Get(ctx, number)
	if errors.Is(err, orders.ErrNotFound) {
		return refuse(b.msg.T(r.Lang, "order_not_found", "Order", esc(f[0])))
	}
	if err != nil {
		return err
	}
	if to == orders.Cancelled && before.Payment.State == orders.Paid {
		return b.AskRefund(ctx, r, before)
	}
	if to == orders.Cancelled {
		return b.askCancelReason(ctx, r, before, onCard) // why, and are you sure
	}
	o, err := b.orders.SetStatus(ctx, number, to, actor(r.UserID))
	if errors.Is(err, orders.ErrBadTransition) {
		return refuse(b.msg.T(r.Lang, "status_not_allowed", "Order", before.Ref(),
			"From", b.msg.T(r.Lang, "status_"+string(before.Status)), "To", b.msg.T(r.Lang, "status_"+string(to))))
	}
	if err != nil {
		return err
	}
	b.nudgeNotifier()
	return b.send(ctx, r, b.msg.T(r.Lang, "status_changed", "Order", o.Ref(),
		"From", b.msg.T(r.Lang, "status_"+string(before.Status)), "To", b.msg.T(r.Lang, "status_"+string(o.Status))), nil)
}
