package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/catalog"
)

// perPage is how many villages or products one page of a list shows.
const perPage = 8

// Deep-link payloads: "p_<SKU>" opens a product, "v_<CODE>" a village.
var deepLinkRE = regexp.MustCompile(`^([pv])_([A-Za-z0-9_-]{1,62})$`)

// start greets the user with the main menu, or opens the product or
// village a deep link (a booth's QR code) names.
func (b *Bot) start(ctx context.Context, r *Request) error {
	r.Session.Leave()
	if r.Args != "" {
		err := b.openDeepLink(ctx, r, r.Args)
		if !errors.Is(err, catalog.ErrNotFound) {
			return err
		}
		if err := b.send(ctx, r, b.msg.T(r.Lang, "deeplink_not_found"), nil); err != nil {
			return err
		}
	}
	return b.send(ctx, r, b.msg.T(r.Lang, "welcome", "Name", esc(r.Name)), b.menuButtons(r))
}

func (b *Bot) openDeepLink(ctx context.Context, r *Request, payload string) error {
	m := deepLinkRE.FindStringSubmatch(payload)
	if m == nil {
		return catalog.ErrNotFound
	}
	if m[1] == "p" {
		p, err := b.catalog.ProductBySKU(ctx, m[2])
		if err != nil {
			return err
		}
		if !p.Visible {
			return catalog.ErrNotFound
		}
		return b.showProduct(ctx, r, p, 1)
	}
	v, err := b.catalog.VillageByCode(ctx, strings.ToLower(m[2]))
	if err != nil {
		return err
	}
	return b.showVillage(ctx, r, v, 0)
}

// menu shows the main menu.
func (b *Bot) menu(ctx context.Context, r *Request) error {
	r.Session.Leave()
	return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "menu_title"), buttons: b.menuButtons(r)})
}

func (b *Bot) menuButtons(r *Request) [][]tgbotapi.InlineKeyboardButton {
	t := func(id string) string { return b.msg.T(r.Lang, id) }
	return [][]tgbotapi.InlineKeyboardButton{
		{button(t("btn_villages"), cbVillagesData(0)), button(t("btn_categories"), cbCategories)},
		{button(t("btn_search"), cbSearch), button(b.msg.T(r.Lang, "btn_cart", "Count", r.Session.cartCount()), cbCart)},
		{button(t("btn_my_orders"), cbMyOrders)},
		{button(t("btn_language"), cbLanguage), button(t("btn_help"), cbHelp)},
	}
}

func button(label, data string) tgbotapi.InlineKeyboardButton {
	return tgbotapi.NewInlineKeyboardButtonData(label, data)
}

func (b *Bot) menuRow(lang string) []tgbotapi.InlineKeyboardButton {
	return []tgbotapi.InlineKeyboardButton{button(b.msg.T(lang, "btn_menu"), cbMenu)}
}

// villages lists the villages, a page at a time.
func (b *Bot) villages(ctx context.Context, r *Request) error {
	page, ok := r.Data.Int(0, maxPage)
	if !ok {
		return errStale
	}
	vs, err := b.catalog.Villages(ctx)
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "villages_empty"), buttons: [][]tgbotapi.InlineKeyboardButton{b.menuRow(r.Lang)}})
	}
	page, from, to, pages := paginate(len(vs), page)
	var rows [][]tgbotapi.InlineKeyboardButton
	for _, v := range vs[from:to] {
		rows = append(rows, []tgbotapi.InlineKeyboardButton{button("🏡 "+truncateRunes(v.Name.Get(r.Lang), 60), cbVillageData(v.ID, 0))})
	}
	rows = append(rows, b.pager(r.Lang, page, pages, cbVillagesData)...)
	rows = append(rows, b.menuRow(r.Lang))
	text := b.msg.T(r.Lang, "villages_title") + b.pageNote(r.Lang, page, pages)
	return b.show(ctx, r, screen{text: text, buttons: rows})
}

// village shows a village's page: its story and its visible products.
func (b *Bot) village(ctx context.Context, r *Request) error {
	id, ok1 := r.Data.ID(0, maxID)
	page, ok2 := r.Data.Int(1, maxPage)
	if !ok1 || !ok2 {
		return errStale
	}
	v, err := b.catalog.Village(ctx, id)
	if err != nil {
		return err
	}
	return b.showVillage(ctx, r, v, page)
}

func (b *Bot) showVillage(ctx context.Context, r *Request, v catalog.Village, page int) error {
	ps, err := b.catalog.ProductsByVillage(ctx, v.ID, true)
	if err != nil {
		return err
	}
	rows, page, pages := b.productPage(r.Lang, ps, page, func(p int) string { return cbVillageData(v.ID, p) }, cbVillagesData(0))

	foot := "\n\n" + b.msg.T(r.Lang, "village_products") + b.pageNote(r.Lang, page, pages)
	if len(ps) == 0 {
		foot = "\n\n" + b.msg.T(r.Lang, "village_no_products")
	}
	head := "🏡 <b>" + esc(v.Name.Get(r.Lang)) + "</b>"
	if region := v.Region.Get(r.Lang); region != "" {
		head += "\n<i>" + esc(region) + "</i>"
	}
	head += "\n\n"
	limit := maxText
	if v.PhotoFileID != "" {
		limit = maxCaption
	}
	text := fit(head, v.Story.Get(r.Lang), limit-plainLen(foot)) + foot
	return b.show(ctx, r, screen{text: text, buttons: rows, photo: v.PhotoFileID})
}

// categories lists the categories that have something to show.
func (b *Bot) categories(ctx context.Context, r *Request) error {
	counts, err := b.catalog.CategoryCounts(ctx)
	if err != nil {
		return err
	}
	var rows [][]tgbotapi.InlineKeyboardButton
	var row []tgbotapi.InlineKeyboardButton
	for i, c := range catalog.Categories {
		if counts[c] == 0 {
			continue
		}
		row = append(row, button(fmt.Sprintf("%s (%d)", b.categoryName(r.Lang, c), counts[c]), cbCategoryData(i, 0)))
		if len(row) == 2 {
			rows, row = append(rows, row), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	rows = append(rows, b.menuRow(r.Lang))
	return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "categories_title"), buttons: rows})
}

func (b *Bot) categoryName(lang string, c catalog.Category) string {
	return b.msg.T(lang, "cat_"+string(c))
}

// category lists the visible products of one category.
func (b *Bot) category(ctx context.Context, r *Request) error {
	idx, ok1 := r.Data.Int(0, len(catalog.Categories)-1)
	page, ok2 := r.Data.Int(1, maxPage)
	if !ok1 || !ok2 {
		return errStale
	}
	c := catalog.Categories[idx]
	ps, err := b.catalog.ProductsByCategory(ctx, c, true)
	if err != nil {
		return err
	}
	rows, page, pages := b.productPage(r.Lang, ps, page, func(p int) string { return cbCategoryData(idx, p) }, cbCategories)
	text := b.msg.T(r.Lang, "category_title", "Category", b.categoryName(r.Lang, c))
	if len(ps) == 0 {
		text += "\n\n" + b.msg.T(r.Lang, "category_empty")
	}
	return b.show(ctx, r, screen{text: text + b.pageNote(r.Lang, page, pages), buttons: rows})
}

// productPage is one page of a list of products: a button for each, the
// pager (pageData names a page), and back and menu buttons.
func (b *Bot) productPage(lang string, ps []catalog.Product, page int, pageData func(int) string, back string) (rows [][]tgbotapi.InlineKeyboardButton, p, pages int) {
	p, from, to, pages := paginate(len(ps), page)
	for _, pr := range ps[from:to] {
		rows = append(rows, []tgbotapi.InlineKeyboardButton{button(b.productLabel(lang, pr), cbProductData(pr.ID, 1))})
	}
	rows = append(rows, b.pager(lang, p, pages, pageData)...)
	rows = append(rows, []tgbotapi.InlineKeyboardButton{
		button(b.msg.T(lang, "btn_back"), back),
		button(b.msg.T(lang, "btn_menu"), cbMenu),
	})
	return rows, p, pages
}

// productLabel is a product's button: its name and price, or sold out.
func (b *Bot) productLabel(lang string, p catalog.Product) string {
	label := truncateRunes(p.Name.Get(lang), 40) + " · " + money(lang, p.Price)
	if p.Stock == 0 {
		label += " · " + b.msg.T(lang, "product_sold_out")
	}
	return label
}

// product shows a product's card.
func (b *Bot) product(ctx context.Context, r *Request) error {
	p, qty, err := b.pressedProduct(ctx, r)
	if err != nil {
		return err
	}
	return b.showProduct(ctx, r, p, qty)
}

// pressedProduct reads the product and quantity of a button
// ("<kind>:<product id>:<quantity>"); a hidden or missing product is
// ErrNotFound, malformed data stale.
func (b *Bot) pressedProduct(ctx context.Context, r *Request) (catalog.Product, int, error) {
	id, ok1 := r.Data.ID(0, maxID)
	qty, ok2 := r.Data.Int(1, maxQuantity)
	if !ok1 || !ok2 || qty < 1 {
		return catalog.Product{}, 0, errStale
	}
	p, err := b.catalog.Product(ctx, id)
	if err != nil {
		return p, 0, err
	}
	if !p.Visible {
		return p, 0, catalog.ErrNotFound
	}
	return p, qty, nil
}

// maxQuantity is the most units of one product a visitor can pick.
const maxQuantity = 99

func (b *Bot) showProduct(ctx context.Context, r *Request, p catalog.Product, qty int) error {
	v, err := b.catalog.Village(ctx, p.VillageID)
	if err != nil {
		return err
	}
	return b.show(ctx, r, b.withRestockButton(ctx, r, p, b.productScreen(r.Lang, p, v, qty, r.Session.cartCount())))
}

// productScreen is a product's card: photo when there is one, name,
// village, price per unit, stock left, gift mark and story.
func (b *Bot) productScreen(lang string, p catalog.Product, v catalog.Village, qty, cartCount int) screen {
	t := b.msg.T
	var sb strings.Builder
	sb.WriteString("<b>" + esc(p.Name.Get(lang)) + "</b>\n")
	sb.WriteString(t(lang, "product_village", "Village", esc(v.Name.Get(lang))) + "\n")
	if unit := p.Unit.Get(lang); unit != "" {
		sb.WriteString(t(lang, "product_price", "Price", money(lang, p.Price), "Unit", esc(unit)) + "\n")
	} else {
		sb.WriteString(t(lang, "product_price_plain", "Price", money(lang, p.Price)) + "\n")
	}
	if p.Stock == 0 {
		sb.WriteString(t(lang, "product_sold_out") + "\n")
	} else {
		sb.WriteString(b.msg.N(lang, "product_stock", p.Stock) + "\n")
	}
	if p.Gift {
		sb.WriteString(t(lang, "product_gift") + "\n")
	}
	sb.WriteString("\n")
	photo := p.PhotoFileID
	if photo == "" {
		photo = p.PhotoURL
	}
	limit := maxText
	if photo != "" {
		limit = maxCaption
	}
	var rows [][]tgbotapi.InlineKeyboardButton
	if p.Stock > 0 {
		qty = min(qty, p.Stock, maxQuantity)
		var row []tgbotapi.InlineKeyboardButton
		if qty > 1 {
			row = append(row, button("➖", cbProductData(p.ID, qty-1)))
		}
		total := p.Price * catalog.Money(qty)
		row = append(row, button(t(lang, "btn_add", "Quantity", qty, "Total", money(lang, total)), cbAddData(p.ID, qty)))
		if qty < min(p.Stock, maxQuantity) {
			row = append(row, button("➕", cbProductData(p.ID, qty+1)))
		}
		rows = append(rows, row)
	}
	if n := cartCount; n > 0 {
		rows = append(rows, []tgbotapi.InlineKeyboardButton{button(t(lang, "btn_cart", "Count", n), cbCart)})
	}
	rows = append(rows, []tgbotapi.InlineKeyboardButton{
		button(t(lang, "btn_back"), cbVillageData(p.VillageID, 0)),
		button(t(lang, "btn_menu"), cbMenu),
	})
	return screen{text: fit(sb.String(), p.Story.Get(lang), limit), buttons: rows, photo: photo}
}

// paginate clamps page into range and returns the slice bounds of it.
func paginate(n, page int) (p, from, to, pages int) { return paginateBy(n, page, perPage) }

// paginateBy is paginate with per items a page.
func paginateBy(n, page, per int) (p, from, to, pages int) {
	pages = max(1, (n+per-1)/per)
	p = min(max(page, 0), pages-1)
	from = p * per
	to = min(from+per, n)
	return p, from, to, pages
}

// pager is the ◀️ ▶️ row of a list with more than one page.
func (b *Bot) pager(lang string, page, pages int, data func(int) string) [][]tgbotapi.InlineKeyboardButton {
	if pages <= 1 {
		return nil
	}
	var row []tgbotapi.InlineKeyboardButton
	if page > 0 {
		row = append(row, button(b.msg.T(lang, "btn_prev"), data(page-1)))
	}
	if page < pages-1 {
		row = append(row, button(b.msg.T(lang, "btn_next"), data(page+1)))
	}
	return [][]tgbotapi.InlineKeyboardButton{row}
}

func (b *Bot) pageNote(lang string, page, pages int) string {
	if pages <= 1 {
		return ""
	}
	return " <i>(" + b.msg.T(lang, "page", "Page", page+1, "Pages", pages) + ")</i>"
}
