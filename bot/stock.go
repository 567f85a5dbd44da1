package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/catalog"
)

var skuRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)

// maxStock is the most units a product may have in stock.
const maxStock = 1_000_000

// stock is /stock (list), /stock VILLAGE (office: one village's list),
// /stock SKU N, /stock SKU +N and /stock SKU -N.
func (b *Bot) stock(ctx context.Context, r *Request, me catalog.Staff) error {
	f := strings.Fields(r.Args)
	switch len(f) {
	case 0, 1:
		return b.stockList(ctx, r, me, f)
	case 2:
	default:
		return b.usage(r, "stock")
	}
	p, err := b.managedProduct(ctx, r, me, f[0])
	if err != nil {
		return err
	}
	arg := f[1]
	sign := arg[0]
	if sign == '+' || sign == '-' {
		arg = arg[1:]
	}
	n, err := strconv.Atoi(arg)
	if err != nil || n < 0 || n > maxStock || arg != strconv.Itoa(n) || (sign == '+' || sign == '-') && n == 0 {
		return b.usage(r, "stock")
	}
	var after catalog.Product
	switch sign {
	case '+':
		after, err = b.catalog.AdjustStock(ctx, p.SKU, n, actor(r.UserID))
	case '-':
		after, err = b.catalog.AdjustStock(ctx, p.SKU, -n, actor(r.UserID))
	default:
		after, err = b.catalog.SetStock(ctx, p.SKU, n, actor(r.UserID))
	}
	switch {
	case errors.Is(err, catalog.ErrStockBelowZero):
		return refuse(b.msg.T(r.Lang, "stock_below_zero", "SKU", esc(p.SKU), "Stock", p.Stock))
	case errors.Is(err, catalog.ErrInvalid):
		return b.usage(r, "stock")
	case err != nil:
		return err
	}
	return b.send(ctx, r, b.msg.T(r.Lang, "stock_set", "SKU", esc(p.SKU), "Old", p.Stock, "New", after.Stock), nil)
}

// stockPerPage is how many products one page of a village's /stock
// lists; longer villages get ◀️ ▶️ buttons.
const stockPerPage = 30

// stockList lists the products a staff member keeps: SKU, name, stock,
// price, visible or hidden — one village's a page at a time; for office
// staff without a village named, every village whose list fits, and a
// button for each of the others.
func (b *Bot) stockList(ctx context.Context, r *Request, me catalog.Staff, f []string) error {
	switch {
	case len(f) == 1:
		v, err := b.catalog.VillageByCode(ctx, strings.ToLower(f[0]))
		if errors.Is(err, catalog.ErrNotFound) {
			// Not a village: one product's line.
			p, err := b.managedProduct(ctx, r, me, f[0])
			if err != nil {
				return err
			}
			return b.send(ctx, r, b.stockLine(r.Lang, p), nil)
		}
		if err != nil {
			return err
		}
		if !me.CanManage(v.ID) {
			return refuse(b.msg.T(r.Lang, "not_your_village", "SKU", esc(v.Code)))
		}
		return b.showStockPage(ctx, r, v, 0)
	case me.Role == catalog.Coordinator:
		v, err := b.catalog.Village(ctx, *me.VillageID)
		if err != nil {
			return err
		}
		return b.showStockPage(ctx, r, v, 0)
	}
	villages, err := b.catalog.Villages(ctx)
	if err != nil {
		return err
	}
	return b.stockOverview(ctx, r, villages)
}

// stockOverview is office staff's /stock: the block of every village that
// fits in one message, and a button opening each of the others' pages.
func (b *Bot) stockOverview(ctx context.Context, r *Request, villages []catalog.Village) error {
	var sb strings.Builder
	var rows [][]tgbotapi.InlineKeyboardButton
	for _, v := range villages {
		ps, err := b.catalog.ProductsByVillage(ctx, v.ID, false)
		if err != nil {
			return err
		}
		block := b.stockHead(r.Lang, v) + "\n"
		if len(ps) == 0 {
			block += b.msg.T(r.Lang, "stock_none") + "\n"
		}
		for _, p := range ps {
			block += b.stockLine(r.Lang, p) + "\n"
		}
		if len(rows) > 0 || len(ps) > stockPerPage || plainLen(sb.String()+block) > maxText-200 {
			label := fmt.Sprintf("🏡 %s (%d)", truncateRunes(v.Name.Get(r.Lang), 40), len(ps))
			rows = append(rows, []tgbotapi.InlineKeyboardButton{button(label, cb(cbStockPage, v.ID, 0))})
			continue
		}
		sb.WriteString(block + "\n")
	}
	if len(rows) > 0 {
		sb.WriteString(b.msg.T(r.Lang, "stock_open_village"))
	}
	return b.show(ctx, r, screen{text: strings.TrimRight(sb.String(), "\n"), buttons: rows})
}

// stockPage is a press on a /stock page button ("sp:<village id>:<page>").
func (b *Bot) stockPage(ctx context.Context, r *Request, me catalog.Staff) error {
	id, ok1 := r.Data.ID(0, maxID)
	page, ok2 := r.Data.Int(1, maxPage)
	if !ok1 || !ok2 {
		return errStale
	}
	v, err := b.catalog.Village(ctx, id)
	if err != nil {
		return err
	}
	if !me.CanManage(v.ID) {
		return refuse(b.msg.T(r.Lang, "not_your_village", "SKU", esc(v.Code)))
	}
	return b.showStockPage(ctx, r, v, page)
}

// showStockPage shows one page of a village's products.
func (b *Bot) showStockPage(ctx context.Context, r *Request, v catalog.Village, page int) error {
	ps, err := b.catalog.ProductsByVillage(ctx, v.ID, false)
	if err != nil {
		return err
	}
	page, from, to, pages := paginateBy(len(ps), page, stockPerPage)
	var sb strings.Builder
	sb.WriteString(b.stockHead(r.Lang, v) + b.pageNote(r.Lang, page, pages) + "\n")
	if len(ps) == 0 {
		sb.WriteString(b.msg.T(r.Lang, "stock_none"))
	}
	for _, p := range ps[from:to] {
		sb.WriteString(b.stockLine(r.Lang, p) + "\n")
	}
	rows := b.pager(r.Lang, page, pages, func(p int) string { return cb(cbStockPage, v.ID, int64(p)) })
	return b.show(ctx, r, screen{text: strings.TrimRight(sb.String(), "\n"), buttons: rows})
}

// stockHead is a village's head line in /stock.
func (b *Bot) stockHead(lang string, v catalog.Village) string {
	return fmt.Sprintf("🏡 <b>%s</b> (%s)", esc(v.Name.Get(lang)), esc(v.Code))
}

// stockLine is a product as /stock lists it: SKU, name, stock, price,
// visible or hidden.
func (b *Bot) stockLine(lang string, p catalog.Product) string {
	state := b.msg.T(lang, "visible")
	if !p.Visible {
		state = b.msg.T(lang, "hidden")
	}
	return fmt.Sprintf("<code>%s</code> · %s · %d · %s · %s", esc(p.SKU), esc(truncateRunes(p.Name.Get(lang), 40)), p.Stock, money(lang, p.Price), state)
}

// price is /price SKU 88.00.
func (b *Bot) price(ctx context.Context, r *Request, me catalog.Staff) error {
	f := strings.Fields(r.Args)
	if len(f) != 2 {
		return b.usage(r, "price")
	}
	price, err := catalog.ParsePrice(f[1])
	if err != nil {
		return b.badMoney(r, f[1], err, "price")
	}
	p, err := b.managedProduct(ctx, r, me, f[0])
	if err != nil {
		return err
	}
	after, err := b.catalog.SetPrice(ctx, p.SKU, price, actor(r.UserID))
	if err != nil {
		return err
	}
	return b.send(ctx, r, b.msg.T(r.Lang, "price_set", "SKU", esc(p.SKU), "Old", money(r.Lang, p.Price), "New", money(r.Lang, after.Price)), nil)
}

// hide is /hide SKU; show is /show SKU.
func (b *Bot) hide(ctx context.Context, r *Request, me catalog.Staff) error {
	return b.setVisible(ctx, r, me, false)
}

func (b *Bot) showProductCmd(ctx context.Context, r *Request, me catalog.Staff) error {
	return b.setVisible(ctx, r, me, true)
}

func (b *Bot) setVisible(ctx context.Context, r *Request, me catalog.Staff, visible bool) error {
	f := strings.Fields(r.Args)
	if len(f) != 1 {
		if visible {
			return b.usage(r, "show")
		}
		return b.usage(r, "hide")
	}
	p, err := b.managedProduct(ctx, r, me, f[0])
	if err != nil {
		return err
	}
	if _, err := b.catalog.SetVisible(ctx, p.SKU, visible, actor(r.UserID)); err != nil {
		return err
	}
	key := "product_hidden"
	if visible {
		key = "product_shown"
	}
	return b.send(ctx, r, b.msg.T(r.Lang, key, "SKU", esc(p.SKU), "Name", esc(p.Name.Get(r.Lang))), nil)
}

// photo is /photo SKU, then a photo — or a photo captioned /photo SKU.
func (b *Bot) photo(ctx context.Context, r *Request, me catalog.Staff) error {
	f := strings.Fields(r.Args)
	if len(f) != 1 {
		return b.usage(r, "photo")
	}
	p, err := b.managedProduct(ctx, r, me, f[0])
	if err != nil {
		return err
	}
	if len(r.Message.Photo) > 0 {
		return b.savePhoto(ctx, r, p.SKU)
	}
	r.Session.Enter(flowPhoto, stepWait)
	r.Session.Photo = &photoState{SKU: p.SKU}
	return b.send(ctx, r, b.msg.T(r.Lang, "photo_send", "SKU", esc(p.SKU)), nil)
}

// photoState is the product whose photo the /photo flow waits for.
type photoState struct {
	SKU string `json:"sku"`
}

// photoStep takes the photo sent after /photo SKU.
func (b *Bot) photoStep(ctx context.Context, r *Request, me catalog.Staff) error {
	sku := ""
	if r.Session.Photo != nil {
		sku = r.Session.Photo.SKU
	}
	if len(r.Message.Photo) == 0 {
		return refuse(b.msg.T(r.Lang, "photo_send", "SKU", esc(sku)))
	}
	p, err := b.managedProduct(ctx, r, me, sku)
	r.Session.Leave()
	if err != nil {
		return err
	}
	return b.savePhoto(ctx, r, p.SKU)
}

func (b *Bot) savePhoto(ctx context.Context, r *Request, sku string) error {
	sizes := r.Message.Photo
	largest := sizes[len(sizes)-1]
	for _, s := range sizes {
		if s.Width*s.Height > largest.Width*largest.Height {
			largest = s
		}
	}
	if _, err := b.catalog.SetPhoto(ctx, sku, largest.FileID); err != nil {
		return err
	}
	return b.send(ctx, r, b.msg.T(r.Lang, "photo_saved", "SKU", esc(sku)), nil)
}
