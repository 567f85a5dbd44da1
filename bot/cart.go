package bot

import (
	"context"
	"fmt"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/catalog"
)

// Cart limits: lines in a cart, and units of one product in it.
const maxCartLines = 20

func cbAddData(id int64, qty int) string     { return cb(cbAdd, id, int64(qty)) }
func cbCartQtyData(id int64, qty int) string { return cb(cbCartQty, id, int64(qty)) }

// Lines are the lines of a cart or of a gift order: at most one per
// product, at most maxCartLines of them.
type Lines []CartLine

// price is the price the line of product id was shown at.
func (ls Lines) price(id int64) (catalog.Money, bool) {
	for _, l := range ls {
		if l.ProductID == id {
			return l.Price, true
		}
	}
	return 0, false
}

// units is how many units the lines hold.
func (ls Lines) units() int {
	n := 0
	for _, l := range ls {
		n += l.Quantity
	}
	return n
}

// index is the position of productID's line, or -1.
func (ls Lines) index(productID int64) int {
	for i, l := range ls {
		if l.ProductID == productID {
			return i
		}
	}
	return -1
}

// quantity is how many units of productID the lines hold.
func (ls Lines) quantity(productID int64) int {
	if i := ls.index(productID); i >= 0 {
		return ls[i].Quantity
	}
	return 0
}

// set makes productID's line qty units (0 removes it), adding the line
// when there is room; price, when not 0, is the price the user saw. It
// reports false when the line is new and the lines are full.
func (ls *Lines) set(productID int64, qty int, price catalog.Money) bool {
	i := ls.index(productID)
	switch {
	case i >= 0 && qty == 0:
		*ls = append((*ls)[:i], (*ls)[i+1:]...)
	case i >= 0:
		(*ls)[i].Quantity = qty
		if price != 0 {
			(*ls)[i].Price = price
		}
	case qty == 0:
	case len(*ls) >= maxCartLines:
		return false
	default:
		*ls = append(*ls, CartLine{ProductID: productID, Quantity: qty, Price: price})
	}
	return true
}

// cartCount is how many units the cart holds.
func (s *Session) cartCount() int { return s.Cart.units() }

// add puts qty units of product p in the cart (adding to a line already
// there), remembering the price seen so that a change can be pointed out.
// It returns the quantity the line ends with, or 0 when the cart is full.
func (s *Session) add(p catalog.Product, qty int) int {
	n := min(s.Cart.quantity(p.ID)+qty, maxQuantity)
	if !s.Cart.set(p.ID, n, p.Price) {
		return 0
	}
	return n
}

// addToCart is the product card's "add" button.
func (b *Bot) addToCart(ctx context.Context, r *Request) error {
	if err := r.Session.keepable(); err != nil {
		return err
	}
	p, qty, err := b.pressedProduct(ctx, r)
	if err != nil {
		return err
	}
	if p.Stock == 0 {
		r.Toast(b.msg.T(r.Lang, "product_sold_out"))
		return b.showProduct(ctx, r, p, 1)
	}
	have := r.Session.Cart.quantity(p.ID)
	if have+qty > p.Stock {
		r.Toast(b.msg.N(r.Lang, "cart_only_left", p.Stock))
		return b.showProduct(ctx, r, p, max(1, min(qty, p.Stock-have)))
	}
	if r.Session.add(p, qty) == 0 {
		r.Toast(b.msg.T(r.Lang, "cart_full"))
		return nil
	}
	r.Toast(b.msg.T(r.Lang, "cart_added", "Quantity", qty, "Name", p.Name.Get(r.Lang)))
	return b.showProduct(ctx, r, p, 1)
}

// cartLineView is a cart line as it stands now in the catalog.
type cartLineView struct {
	Line    CartLine
	Product catalog.Product
	Problem string // why it cannot be ordered as it is, or ""
	Changed bool   // the price differs from the one seen when added
	// Note says what changed since the summary the user confirmed: a new
	// line, another quantity, another price.
	Note string
}

// shownLines are the lines as a summary shows them, each at the price it
// shows: what its confirm button may place.
func shownLines(views []cartLineView) Lines {
	ls := make(Lines, 0, len(views))
	for _, v := range views {
		ls = append(ls, CartLine{ProductID: v.Line.ProductID, Quantity: v.Line.Quantity, Price: v.Product.Price})
	}
	return ls
}

// markChanges compares the lines as they stand now (views) with those a
// summary showed: it notes on each view what changed and returns the
// shown lines that are gone, and whether anything differs. With
// visibility, a product no longer orderable counts as a change too.
func (b *Bot) markChanges(lang string, views []cartLineView, shown Lines, visibility bool) (gone Lines, changed bool) {
	for i := range views {
		v := &views[i]
		j := shown.index(v.Line.ProductID)
		switch {
		case visibility && (v.Product.ID == 0 || !v.Product.Visible):
			changed = true // struck through with its reason
		case j < 0:
			v.Note, changed = b.msg.T(lang, "summary_new_line"), true
		case shown[j].Quantity != v.Line.Quantity:
			v.Note, changed = b.msg.T(lang, "summary_quantity_was", "Old", shown[j].Quantity), true
		case shown[j].Price != v.Product.Price:
			v.Note, changed = b.msg.T(lang, "cart_price_changed", "Old", money(lang, shown[j].Price)), true
			v.Changed = false // the note says it
		}
	}
	for _, l := range shown {
		present := false
		for _, v := range views {
			present = present || v.Line.ProductID == l.ProductID
		}
		if !present {
			gone, changed = append(gone, l), true
		}
	}
	return gone, changed
}

// goneText lists the lines a summary showed that are no longer there.
func (b *Bot) goneText(ctx context.Context, lang string, gone Lines) (string, error) {
	if len(gone) == 0 {
		return "", nil
	}
	views, _, err := b.loadLines(ctx, lang, gone)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	for _, v := range views {
		name := esc(v.Product.Name.Get(lang))
		if name == "" {
			name = "—"
		}
		sb.WriteString(fmt.Sprintf("<s>%s × %d</s> — %s\n", name, v.Line.Quantity, b.msg.T(lang, "summary_line_removed")))
	}
	return sb.String(), nil
}

// loadCart reads every cart line's product anew: prices, stock and
// visibility always come from the database.
func (b *Bot) loadCart(ctx context.Context, r *Request) ([]cartLineView, catalog.Money, error) {
	return b.loadLines(ctx, r.Lang, r.Session.Cart)
}

// loadLines is loadCart for any lines (a gift order's too): each line as
// it stands now, and the total of those that can be ordered.
func (b *Bot) loadLines(ctx context.Context, lang string, lines Lines) ([]cartLineView, catalog.Money, error) {
	var views []cartLineView
	var total catalog.Money
	ids := make([]int64, len(lines))
	for i, l := range lines {
		ids[i] = l.ProductID
	}
	products, err := b.catalog.ProductsByIDs(ctx, ids) // one query for the lot
	if err != nil {
		return nil, 0, err
	}
	for _, l := range lines {
		p, found := products[l.ProductID]
		v := cartLineView{Line: l, Product: p}
		switch {
		case !found || !p.Visible:
			v.Problem = b.msg.T(lang, "cart_unavailable")
		case p.Stock == 0:
			v.Problem = b.msg.T(lang, "product_sold_out")
		case p.Stock < l.Quantity:
			v.Problem = b.msg.N(lang, "cart_only_left", p.Stock)
		}
		if found && l.Price != 0 && p.Price != l.Price {
			v.Changed = true
		}
		if v.Problem == "" {
			total += p.Price * catalog.Money(l.Quantity)
		}
		views = append(views, v)
	}
	return views, total, nil
}

// cart shows the cart: lines, quantities (change, remove) and the total.
func (b *Bot) cart(ctx context.Context, r *Request) error {
	if r.Command != "" || r.Callback != nil && r.Session.Flow == flowCheckout {
		r.Session.Leave()
	}
	return b.showCart(ctx, r)
}

func (b *Bot) showCart(ctx context.Context, r *Request) error {
	s, err := b.cartScreen(ctx, r)
	if err != nil {
		return err
	}
	return b.show(ctx, r, s)
}

// cartScreen is the cart: lines, quantities, the total and checkout.
func (b *Bot) cartScreen(ctx context.Context, r *Request) (screen, error) {
	if len(r.Session.Cart) == 0 {
		return screen{text: b.msg.T(r.Lang, "cart_empty"), buttons: [][]tgbotapi.InlineKeyboardButton{
			{button(b.msg.T(r.Lang, "btn_villages"), cbVillagesData(0)), button(b.msg.T(r.Lang, "btn_categories"), cbCategories)},
			b.menuRow(r.Lang),
		}}, nil
	}
	views, total, err := b.loadCart(ctx, r)
	if err != nil {
		return screen{}, err
	}
	var sb strings.Builder
	sb.WriteString(b.msg.T(r.Lang, "cart_title") + "\n\n")
	var rows [][]tgbotapi.InlineKeyboardButton
	orderable := 0
	for i, v := range views {
		sb.WriteString(b.cartLineText(r.Lang, i+1, v) + "\n")
		name := truncateRunes(v.Product.Name.Get(r.Lang), 24)
		if name == "" {
			name = "—"
		}
		id, q := v.Line.ProductID, v.Line.Quantity
		rows = append(rows, []tgbotapi.InlineKeyboardButton{
			button("➖", cbCartQtyData(id, q-1)),
			button(fmt.Sprintf("%d × %s", q, name), cbProductData(id, 1)),
			button("➕", cbCartQtyData(id, min(q+1, maxQuantity))),
			button("❌", cbCartQtyData(id, 0)),
		})
		if v.Problem == "" {
			orderable++
		}
	}
	sb.WriteString("\n" + b.msg.T(r.Lang, "cart_total", "Total", money(r.Lang, total)))
	if orderable > 0 {
		rows = append(rows, []tgbotapi.InlineKeyboardButton{button(b.msg.T(r.Lang, "btn_checkout"), cbCheckout)})
	}
	rows = append(rows, b.menuRow(r.Lang))
	return screen{text: sb.String(), buttons: rows}, nil
}

// cartLineText is one line of the cart or the checkout summary.
func (b *Bot) cartLineText(lang string, n int, v cartLineView) string {
	name := esc(v.Product.Name.Get(lang))
	if name == "" {
		name = "—"
	}
	if v.Problem != "" {
		return fmt.Sprintf("%d. <s>%s × %d</s> — %s", n, name, v.Line.Quantity, v.Problem)
	}
	line := fmt.Sprintf("%d. %s — %d × %s = <b>%s</b>", n, name, v.Line.Quantity,
		money(lang, v.Product.Price), money(lang, v.Product.Price*catalog.Money(v.Line.Quantity)))
	if v.Changed {
		line += " " + b.msg.T(lang, "cart_price_changed", "Old", money(lang, v.Line.Price))
	}
	if v.Note != "" {
		line += " " + v.Note
	}
	return line
}

// cartQty changes a cart line's quantity; 0 removes it.
func (b *Bot) cartQty(ctx context.Context, r *Request) error {
	id, ok1 := r.Data.ID(0, maxID)
	qty, ok2 := r.Data.Int(1, maxQuantity)
	if !ok1 || !ok2 {
		return errStale
	}
	if r.Session.Cart.index(id) < 0 {
		return r.Session.stale()
	}
	r.Session.Cart.set(id, qty, 0)
	if qty == 0 {
		r.Toast(b.msg.T(r.Lang, "cart_removed"))
	}
	if r.Session.Flow == flowCheckout {
		r.Session.Leave()
	}
	return b.showCart(ctx, r)
}
