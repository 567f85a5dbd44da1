package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/orders"
)

// ordersShown is how many of their orders /orders lists.
const ordersShown = 5

// myOrders lists the user's own orders, newest first, with a cancel
// button on each one still placed.
func (b *Bot) myOrders(ctx context.Context, r *Request) error {
	list, err := b.orders.ForCustomer(ctx, r.UserID, ordersShown)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "orders_none"), buttons: [][]tgbotapi.InlineKeyboardButton{
			{button(b.msg.T(r.Lang, "btn_villages"), cbVillagesData(0))}, b.menuRow(r.Lang),
		}})
	}
	var sb strings.Builder
	sb.WriteString(b.msg.T(r.Lang, "orders_title") + "\n")
	var rows [][]tgbotapi.InlineKeyboardButton
	for _, o := range list {
		block := "\n" + b.orderText(r.Lang, o) + "\n"
		if plainLen(sb.String()+block) > maxText-50 {
			break
		}
		sb.WriteString(block)
		rows = append(rows, b.PayNowRows(r.Lang, o)...)
		if o.Status == orders.Placed && o.Payment.State != orders.Paid {
			rows = append(rows, []tgbotapi.InlineKeyboardButton{button(b.msg.T(r.Lang, "btn_cancel_order", "Order", o.Ref()), cb(cbCancelAsk, o.Number))})
		}
	}
	rows = append(rows, b.menuRow(r.Lang))
	return b.show(ctx, r, screen{text: strings.TrimRight(sb.String(), "\n"), buttons: rows})
}

// orderText is an order's number, date, status, lines and total.
func (b *Bot) orderText(lang string, o orders.Order) string {
	var sb strings.Builder
	sb.WriteString(fmt.Sprintf("<b>%s</b> · %s · %s", o.Ref(), o.CreatedAt.In(b.loc).Format("2006-01-02 15:04"), b.msg.T(lang, "status_"+string(o.Status))))
	if p := b.PaymentLabel(lang, o); p != "" {
		sb.WriteString(" · " + p)
	}
	sb.WriteString("\n")
	for _, l := range o.Lines {
		sb.WriteString(fmt.Sprintf("• %s × %d — %s\n", esc(l.Name.Get(lang)), l.Quantity, money(lang, l.LineTotal())))
	}
	sb.WriteString(b.msg.T(lang, "cart_total", "Total", money(lang, o.Total)))
	return sb.String()
}

// cancelAsk asks the user to confirm cancelling their order.
func (b *Bot) cancelAsk(ctx context.Context, r *Request) error {
	o, err := b.ownOrder(ctx, r)
	if err != nil {
		return err
	}
	if o.Status != orders.Placed {
		r.Toast(b.msg.T(r.Lang, "order_cannot_cancel", "Status", b.msg.T(r.Lang, "status_"+string(o.Status))))
		return b.myOrders(ctx, r)
	}
	if o.Payment.State == orders.Paid {
		r.Toast(b.msg.T(r.Lang, "pay_cancel_paid", "Order", o.Ref()))
		return b.myOrders(ctx, r)
	}
	return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "order_cancel_ask", "Order", o.Ref()) + "\n\n" + b.orderText(r.Lang, o), buttons: [][]tgbotapi.InlineKeyboardButton{
		{button(b.msg.T(r.Lang, "btn_cancel_yes"), cb(cbCancelOrder, o.Number)), button(b.msg.T(r.Lang, "btn_cancel_no"), cbMyOrders)},
	}})
}

// cancelOrder cancels the user's own order while it is still placed; its
// stock goes back on sale.
func (b *Bot) cancelOrder(ctx context.Context, r *Request) error {
	n, ok := r.Data.ID(0, maxID)
	if !ok {
		return errStale
	}
	o, err := b.orders.CancelByCustomer(ctx, n, r.UserID)
	switch {
	case errors.Is(err, orders.ErrNotFound):
		return errStale
	case errors.Is(err, orders.ErrOfficeOnly):
		return refuse(b.msg.T(r.Lang, "order_gift_office_only"))
	case errors.Is(err, orders.ErrAlreadyPaid):
		r.Toast(b.msg.T(r.Lang, "pay_cancel_paid", "Order", "#"+strconv.FormatInt(n, 10)))
		return b.myOrders(ctx, r)
	case errors.Is(err, orders.ErrBadTransition):
		if cur, gerr := b.orders.Get(ctx, n); gerr == nil {
			r.Toast(b.msg.T(r.Lang, "order_cannot_cancel", "Status", b.msg.T(r.Lang, "status_"+string(cur.Status))))
		}
		return b.myOrders(ctx, r)
	case err != nil:
		return err
	}
	r.Toast(b.msg.T(r.Lang, "order_cancelled", "Order", o.Ref()))
	return b.myOrders(ctx, r)
}

// ownOrder reads the order a callback names, refusing anyone else's as
// if it did not exist.
func (b *Bot) ownOrder(ctx context.Context, r *Request) (orders.Order, error) {
	n, ok := r.Data.ID(0, maxID)
	if !ok {
		return orders.Order{}, errStale
	}
	o, err := b.orders.Get(ctx, n)
	if errors.Is(err, orders.ErrNotFound) || err == nil && o.CustomerID != r.UserID {
		return orders.Order{}, errStale
	}
	return o, err
}
