package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"

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
		return b.showStockPage(ctx, r, v, 0, 0)
	case me.Role == catalog.Coordinator:
		v, err := b.catalog.Village(ctx, *me.VillageID)
		if err != nil {
			return err
		}
		return b.showStockPage(ctx, r, v, 0, 0)
	}
	villages, err := b.catalog.Villages(ctx)
	if err != nil {
		return err
	}
	return b.stockOverview(ctx, r, villages)
}

// stockOverview is office staff's /stock: the block of every village that
// fits in one message, and a button opening each village's pages, where
// each product has its buttons.
func (b *Bot) stockOverview(ctx context.Context, r *Request, villages []catalog.Village) error {
	var sb strings.Builder
	var rows [][]tgbotapi.InlineKeyboardButton
	for _, v := range villages {
		ps, err := b.catalog.ProductsByVillage(ctx, v.ID, false)
		if err != nil {
			return err
		}
		if len(rows) < maxButtons {
			label := fmt.Sprintf("🏡 %s (%d)", truncateRunes(v.Name.Get(r.Lang), 40), len(ps))
			rows = append(rows, []tgbotapi.InlineKeyboardButton{button(label, cb(cbStockPage, v.ID, 0))})
		}
		block := b.stockHead(r.Lang, v) + "\n"
		if len(ps) == 0 {
			block += b.msg.T(r.Lang, "stock_none") + "\n"
		}
		for _, p := range ps {
			block += b.stockLine(r.Lang, p) + "\n"
		}
		if len(ps) > stockPerPage || plainLen(sb.String()+block) > maxText-300 {
			continue // too long to list here: its button opens its pages
		}
		sb.WriteString(block + "\n")
	}
	if len(rows) > 0 {
		sb.WriteString(b.msg.T(r.Lang, "stock_open_buttons"))
	}
	return b.show(ctx, r, screen{text: strings.TrimRight(sb.String(), "\n"), buttons: rows})
}

// stockPage is a press on a /stock page button ("sp:<village id>:<page>"),
// whose − and + buttons change the stock by the first of stockSteps.
func (b *Bot) stockPage(ctx context.Context, r *Request, me catalog.Staff) error {
	id, ok1 := r.Data.ID(0, maxID)
	page, ok2 := r.Data.Int(1, maxPage)
	if !ok1 || !ok2 {
		return errStale
	}
	return b.stockPageOf(ctx, r, me, id, page, 0)
}

// stockStep is a press on a page button, or on the step button, of a
// /stock page whose − and + change by another step
// ("ss:<village id>:<page>:<step index>").
func (b *Bot) stockStep(ctx context.Context, r *Request, me catalog.Staff) error {
	id, ok1 := r.Data.ID(0, maxID)
	page, ok2 := r.Data.Int(1, maxPage)
	step, ok3 := r.Data.Int(2, len(stockSteps)-1)
	if !ok1 || !ok2 || !ok3 {
		return errStale
	}
	return b.stockPageOf(ctx, r, me, id, page, step)
}

// stockPageOf shows a page of village id's products, if me may manage
// them.
func (b *Bot) stockPageOf(ctx context.Context, r *Request, me catalog.Staff, id int64, page, step int) error {
	v, err := b.catalog.Village(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return errStale
	}
	if err != nil {
		return err
	}
	if !me.CanManage(v.ID) {
		return refuse(b.msg.T(r.Lang, "not_your_village", "SKU", esc(v.Code)))
	}
	return b.showStockPage(ctx, r, v, page, step)
}

// stockSteps are how much the − and + buttons of a /stock page change a
// product's stock; a button on the page switches between them.
var stockSteps = []int{1, 10}

// stockChange is the change a − or + button makes, by its index in "sa"
// callback data: 2 × step index, + 1 for +.
func stockChange(i int) int {
	if i%2 == 0 {
		return -stockSteps[i/2]
	}
	return stockSteps[i/2]
}

// maxStockIndex is the largest index of "sa" and "sv" callback data.
var maxStockIndex = 2*len(stockSteps) - 1

// showStockPage shows one page of a village's products: a line each, and
// a row of buttons each (− and + by stockSteps[step], hide or show), then
// the pages and the step button. With stockPerPage products that is at
// most 3 × 30 + 3 buttons, within Telegram's 100.
func (b *Bot) showStockPage(ctx context.Context, r *Request, v catalog.Village, page, step int) error {
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
	var rows [][]tgbotapi.InlineKeyboardButton
	n := stockSteps[step]
	for _, p := range ps[from:to] {
		sb.WriteString(b.stockLine(r.Lang, p) + "\n")
		vis, key := 0, "btn_stock_show"
		if p.Visible {
			key = "btn_stock_hide"
		} else {
			vis = 1
		}
		rows = append(rows, []tgbotapi.InlineKeyboardButton{
			button(truncateRunes(p.SKU, 24)+" "+b.msg.T(r.Lang, "btn_stock_less", "N", n), cb(cbStockAdd, p.ID, int64(2*step), int64(page))),
			button(b.msg.T(r.Lang, "btn_stock_more", "N", n), cb(cbStockAdd, p.ID, int64(2*step+1), int64(page))),
			button(b.msg.T(r.Lang, key), cb(cbStockShow, p.ID, int64(vis+2*step), int64(page))),
		})
	}
	rows = append(rows, b.pager(r.Lang, page, pages, func(p int) string {
		if step == 0 {
			return cb(cbStockPage, v.ID, int64(p))
		}
		return cb(cbStockStep, v.ID, int64(p), int64(step))
	})...)
	if len(ps) > 0 {
		other := (step + 1) % len(stockSteps)
		rows = append(rows, []tgbotapi.InlineKeyboardButton{
			button(b.msg.T(r.Lang, "btn_stock_step", "N", stockSteps[other]), cb(cbStockStep, v.ID, int64(page), int64(other))),
		})
	}
	return b.show(ctx, r, screen{text: strings.TrimRight(sb.String(), "\n"), buttons: rows})
}

// stockProduct reads the product a /stock button names and checks, at
// the press, that me may manage it.
func (b *Bot) stockProduct(ctx context.Context, r *Request, me catalog.Staff) (catalog.Product, int, int, error) {
	id, ok1 := r.Data.ID(0, maxID)
	i, ok2 := r.Data.Int(1, maxStockIndex)
	page, ok3 := r.Data.Int(2, maxPage)
	if !ok1 || !ok2 || !ok3 {
		return catalog.Product{}, 0, 0, errStale
	}
	p, err := b.catalog.Product(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return p, 0, 0, errStale
	}
	if err != nil {
		return p, 0, 0, err
	}
	if !me.CanManage(p.VillageID) {
		return p, 0, 0, refuse(b.msg.T(r.Lang, "not_your_village", "SKU", esc(p.SKU)))
	}
	return p, i, page, nil
}

// stockAdd is a − or + button of a /stock page
// ("sa:<product id>:<change index>:<page>"): the stock changes by that
// much, never below 0 (the catalog refuses), and the page is redrawn.
func (b *Bot) stockAdd(ctx context.Context, r *Request, me catalog.Staff) error {
	p, i, page, err := b.stockProduct(ctx, r, me)
	if err != nil {
		return err
	}
	after, err := b.catalog.AdjustStock(ctx, p.SKU, stockChange(i), actor(r.UserID))
	switch {
	case errors.Is(err, catalog.ErrStockBelowZero):
		cur, gerr := b.catalog.Product(ctx, p.ID)
		if gerr != nil {
			return gerr
		}
		r.Toast(plainText(b.msg.T(r.Lang, "stock_below_zero", "SKU", esc(cur.SKU), "Stock", cur.Stock)))
	case errors.Is(err, catalog.ErrInvalid):
		r.Toast(plainText(b.msg.T(r.Lang, "stock_too_much", "SKU", esc(p.SKU), "Max", maxStock)))
	case err != nil:
		return err
	default:
		r.Toast(plainText(b.msg.T(r.Lang, "stock_set", "SKU", esc(p.SKU), "Old", after.Stock-stockChange(i), "New", after.Stock)))
	}
	return b.stockPageOf(ctx, r, me, p.VillageID, page, i/2)
}

// stockShow is a hide or show button of a /stock page
// ("sv:<product id>:<visible + 2 × step index>:<page>"): it sets (not
// toggles) visibility, so a second press on an old list changes nothing.
func (b *Bot) stockShow(ctx context.Context, r *Request, me catalog.Staff) error {
	p, i, page, err := b.stockProduct(ctx, r, me)
	if err != nil {
		return err
	}
	visible := i%2 == 1
	if _, err := b.catalog.SetVisible(ctx, p.SKU, visible, actor(r.UserID)); err != nil {
		return err
	}
	key := "product_hidden"
	if visible {
		key = "product_shown"
	}
	r.Toast(plainText(b.msg.T(r.Lang, key, "SKU", esc(p.SKU), "Name", esc(p.Name.Get(r.Lang)))))
	return b.stockPageOf(ctx, r, me, p.VillageID, page, i/2)
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

// price is /price SKU 88.00. A price of 0, or one more than three times
// or less than a third of the old, may be a slip of a digit: it asks to
// confirm (priceSet) instead of applying at once.
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
	if unusualPrice(p.Price, price) {
		return b.send(ctx, r, b.priceAsk(r.Lang, p, price), [][]tgbotapi.InlineKeyboardButton{{
			button(b.msg.T(r.Lang, "btn_price_set"), cb(cbPriceSet, p.ID, int64(price), int64(p.Price))),
			button(b.msg.T(r.Lang, "btn_price_keep"), cb(cbPriceKeep, p.ID)),
		}})
	}
	after, err := b.catalog.SetPrice(ctx, p.SKU, price, actor(r.UserID))
	if err != nil {
		return err
	}
	return b.send(ctx, r, b.priceSetText(r.Lang, p.SKU, p.Price, after.Price), nil)
}

func (b *Bot) priceSetText(lang, sku string, old, cur catalog.Money) string {
	return b.msg.T(lang, "price_set", "SKU", esc(sku), "Old", money(lang, old), "New", money(lang, cur))
}

// priceRatio is how far a price may move at once, either way, without a
// confirmation.
const priceRatio = 3

// unusualPrice reports whether setting a price from old to cur asks to
// confirm: to 0, from 0, or by more than priceRatio times either way.
func unusualPrice(old, cur catalog.Money) bool {
	switch {
	case old == cur:
		return false
	case old == 0 || cur == 0:
		return true
	}
	return cur > old*priceRatio || cur*priceRatio < old
}

// priceAsk asks to confirm an unusual price: "¥168.00 → ¥16,800.00, 100×
// the old price. Set it?"
func (b *Bot) priceAsk(lang string, p catalog.Product, cur catalog.Money) string {
	kv := []any{"SKU", esc(p.SKU), "Name", esc(truncateRunes(p.Name.Get(lang), 40)), "Old", money(lang, p.Price), "New", money(lang, cur)}
	switch {
	case cur == 0:
		return b.msg.T(lang, "price_ask_zero", kv...)
	case p.Price == 0:
		return b.msg.T(lang, "price_ask_from_zero", kv...)
	case cur > p.Price:
		return b.msg.T(lang, "price_ask_up", append(kv, "Ratio", ratioText(lang, float64(cur)/float64(p.Price)))...)
	}
	return b.msg.T(lang, "price_ask_down", append(kv, "Ratio", ratioText(lang, float64(p.Price)/float64(cur)))...)
}

// ratioText writes a ratio as lang writes numbers: one decimal below 10
// ("3.6", ru "3,6"), whole above.
func ratioText(lang string, x float64) string {
	tag, err := language.Parse(lang)
	if err != nil {
		tag = language.English
	}
	digits := 1
	if x >= 10 {
		digits = 0
	}
	return message.NewPrinter(tag).Sprint(number.Decimal(x, number.MaxFractionDigits(digits)))
}

// priceSet is the confirmation of an unusual price
// ("prs:<product id>:<price>:<old price>"), checked at the press: the
// presser still manages the product, and its price is still the one the
// question was asked over — else nothing changes and they are told.
func (b *Bot) priceSet(ctx context.Context, r *Request, me catalog.Staff) error {
	id, ok1 := r.Data.ID(0, maxID)
	price, ok2 := r.Data.ID(1, int64(catalog.MaxPrice))
	old, ok3 := r.Data.ID(2, int64(catalog.MaxPrice))
	if !ok1 || !ok2 || !ok3 {
		return errStale
	}
	p, err := b.catalog.Product(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return errStale
	}
	if err != nil {
		return err
	}
	if !me.CanManage(p.VillageID) {
		return refuse(b.msg.T(r.Lang, "not_your_village", "SKU", esc(p.SKU)))
	}
	after, err := b.catalog.SetPriceFrom(ctx, p.SKU, catalog.Money(old), catalog.Money(price), actor(r.UserID))
	if errors.Is(err, catalog.ErrPriceChanged) {
		if p, err = b.catalog.Product(ctx, id); err != nil {
			return err
		}
		return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "price_changed_meanwhile", "SKU", esc(p.SKU),
			"Old", money(r.Lang, catalog.Money(old)), "Now", money(r.Lang, p.Price))})
	}
	if err != nil {
		return err
	}
	return b.show(ctx, r, screen{text: b.priceSetText(r.Lang, p.SKU, p.Price, after.Price)})
}

// priceKeep leaves the price as it is ("prk:<product id>").
func (b *Bot) priceKeep(ctx context.Context, r *Request, me catalog.Staff) error {
	id, ok := r.Data.ID(0, maxID)
	if !ok {
		return errStale
	}
	p, err := b.catalog.Product(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return errStale
	}
	if err != nil {
		return err
	}
	return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "price_kept", "SKU", esc(p.SKU), "Price", money(r.Lang, p.Price))})
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
