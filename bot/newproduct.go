package bot

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/catalog"
)

// The /newproduct flow's callbacks.
const (
	cbNewCategory = "nc" // nc:<category index>
	cbNewGift     = "ng" // ng:<0|1>
	cbNewCreate   = "ny" // ny: create the product
)

// newProduct is /newproduct: a guided flow for a new product of the
// coordinator's village (office staff name the village first). Each answer
// is checked as it comes; /cancel leaves at any step.
func (b *Bot) newProduct(ctx context.Context, r *Request, me catalog.Staff) error {
	if r.Args != "" {
		return b.usage(r, "newproduct")
	}
	r.Session.Enter("newproduct", "village")
	if me.Role == catalog.Coordinator {
		r.Session.Set("village", me.VillageCode)
		r.Session.Step = "sku"
		return b.send(ctx, r, b.msg.T(r.Lang, "np_ask_sku"), nil)
	}
	vs, err := b.catalog.Villages(ctx)
	if err != nil {
		return err
	}
	codes := make([]string, len(vs))
	for i, v := range vs {
		codes[i] = v.Code
	}
	return b.send(ctx, r, b.msg.T(r.Lang, "np_ask_village", "Codes", esc(strings.Join(codes, ", "))), nil)
}

// newProductStep takes the text answer of the current step.
func (b *Bot) newProductStep(ctx context.Context, r *Request, me catalog.Staff) error {
	s := r.Session
	text := cleanLine(r.Text, 3000)
	skip := text == "-"
	switch s.Step {
	case "village":
		v, err := b.catalog.VillageByCode(ctx, strings.ToLower(text))
		if errors.Is(err, catalog.ErrNotFound) || err == nil && !me.CanManage(v.ID) {
			return refuse(b.msg.T(r.Lang, "unknown_village", "Code", esc(truncateRunes(text, 32))))
		}
		if err != nil {
			return err
		}
		s.Set("village", v.Code)
		s.Step = "sku"
		return b.send(ctx, r, b.msg.T(r.Lang, "np_ask_sku"), nil)
	case "sku":
		if !skuRE.MatchString(text) {
			return refuse(b.msg.T(r.Lang, "np_bad_sku"))
		}
		if _, err := b.catalog.ProductBySKU(ctx, text); err == nil {
			return refuse(b.msg.T(r.Lang, "np_sku_taken", "SKU", esc(text)))
		} else if !errors.Is(err, catalog.ErrNotFound) {
			return err
		}
		s.Set("sku", text)
		s.Step = "category"
		var rows [][]tgbotapi.InlineKeyboardButton
		var row []tgbotapi.InlineKeyboardButton
		for i, c := range catalog.Categories {
			row = append(row, button(b.categoryName(r.Lang, c), cb(cbNewCategory, int64(i))))
			if len(row) == 2 {
				rows, row = append(rows, row), nil
			}
		}
		return b.send(ctx, r, b.msg.T(r.Lang, "np_ask_category"), rows)
	case "name":
		if text == "" || skip || utf8.RuneCountInString(text) > 200 {
			return refuse(b.msg.T(r.Lang, "np_bad_name"))
		}
		s.Set("name", text)
		s.Step = "unit"
		return b.send(ctx, r, b.msg.T(r.Lang, "np_ask_unit"), nil)
	case "unit":
		if utf8.RuneCountInString(text) > 50 || text == "" {
			return refuse(b.msg.T(r.Lang, "np_bad_unit"))
		}
		if !skip {
			s.Set("unit", text)
		}
		s.Step = "price"
		return b.send(ctx, r, b.msg.T(r.Lang, "np_ask_price"), nil)
	case "price":
		p, err := catalog.ParseYuan(text)
		if err != nil || p > catalog.MaxPrice {
			return refuse(b.msg.T(r.Lang, "np_bad_price"))
		}
		s.Set("price", strconv.FormatInt(int64(p), 10))
		s.Step = "stock"
		return b.send(ctx, r, b.msg.T(r.Lang, "np_ask_stock"), nil)
	case "stock":
		n, err := strconv.Atoi(text)
		if err != nil || n < 0 || n > maxStock || text != strconv.Itoa(n) {
			return refuse(b.msg.T(r.Lang, "np_bad_stock"))
		}
		s.Set("stock", text)
		s.Step = "gift"
		return b.send(ctx, r, b.msg.T(r.Lang, "np_ask_gift"), [][]tgbotapi.InlineKeyboardButton{{
			button(b.msg.T(r.Lang, "yes"), cb(cbNewGift, 1)), button(b.msg.T(r.Lang, "no"), cb(cbNewGift, 0)),
		}})
	case "story":
		if utf8.RuneCountInString(text) > 2000 || text == "" {
			return refuse(b.msg.T(r.Lang, "np_bad_story"))
		}
		if !skip {
			s.Set("story", text)
		}
		return b.newProductSummary(ctx, r)
	}
	return refuse(b.msg.T(r.Lang, "np_use_buttons"))
}

// newProductCategory and newProductGift take the answers given by button.
func (b *Bot) newProductCategory(ctx context.Context, r *Request, me catalog.Staff) error {
	i, ok := r.Data.Int(0, len(catalog.Categories)-1)
	if !ok {
		return errStale
	}
	if r.Session.Flow != "newproduct" || r.Session.Step != "category" {
		return r.Session.stale()
	}
	r.Session.Set("category", string(catalog.Categories[i]))
	r.Session.Step = "name"
	return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "np_ask_name", "Category", b.categoryName(r.Lang, catalog.Categories[i]))})
}

func (b *Bot) newProductGift(ctx context.Context, r *Request, me catalog.Staff) error {
	g, ok := r.Data.Int(0, 1)
	if !ok {
		return errStale
	}
	if r.Session.Flow != "newproduct" || r.Session.Step != "gift" {
		return r.Session.stale()
	}
	r.Session.Set("gift", strconv.Itoa(g))
	r.Session.Step = "story"
	return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "np_ask_story")})
}

// draft is the product the flow has gathered.
func (b *Bot) draft(r *Request) catalog.Product {
	d := r.Session.Data
	price, _ := strconv.ParseInt(d["price"], 10, 64)
	stock, _ := strconv.Atoi(d["stock"])
	p := catalog.Product{
		SKU:         d["sku"],
		VillageCode: d["village"],
		Category:    catalog.Category(d["category"]),
		Name:        catalog.Texts{r.Lang: d["name"]},
		Unit:        catalog.Texts{},
		Story:       catalog.Texts{},
		Price:       catalog.Money(price),
		Stock:       stock,
		Gift:        d["gift"] == "1",
		Visible:     true,
	}
	if d["unit"] != "" {
		p.Unit[r.Lang] = d["unit"]
	}
	if d["story"] != "" {
		p.Story[r.Lang] = d["story"]
	}
	return p
}

func (b *Bot) newProductSummary(ctx context.Context, r *Request) error {
	r.Session.Step = "confirm"
	p := b.draft(r)
	yesno := map[bool]string{true: b.msg.T(r.Lang, "yes"), false: b.msg.T(r.Lang, "no")}
	text := b.msg.T(r.Lang, "np_summary",
		"SKU", esc(p.SKU), "Village", esc(p.VillageCode), "Category", b.categoryName(r.Lang, p.Category),
		"Name", esc(p.Name.Get(r.Lang)), "Unit", esc(p.Unit.Get(r.Lang)), "Price", p.Price.String(),
		"Stock", p.Stock, "Gift", yesno[p.Gift])
	return b.send(ctx, r, fit(text+"\n\n", p.Story.Get(r.Lang), maxText), [][]tgbotapi.InlineKeyboardButton{{
		button(b.msg.T(r.Lang, "np_create"), cbNewCreate), button(b.msg.T(r.Lang, "btn_cancel"), cbAbort),
	}})
}

// newProductCreate creates the product.
func (b *Bot) newProductCreate(ctx context.Context, r *Request, me catalog.Staff) error {
	if r.Session.Flow != "newproduct" || r.Session.Step != "confirm" {
		return r.Session.stale()
	}
	p := b.draft(r)
	v, err := b.catalog.VillageByCode(ctx, p.VillageCode)
	if err != nil {
		return err
	}
	if !me.CanManage(v.ID) {
		return refuse(b.msg.T(r.Lang, "not_your_village", "SKU", esc(p.SKU)))
	}
	p.VillageID = v.ID
	created, err := b.catalog.CreateProduct(ctx, p, actor(r.UserID))
	switch {
	case errors.Is(err, catalog.ErrExists):
		r.Session.Leave()
		return refuse(b.msg.T(r.Lang, "np_sku_taken", "SKU", esc(p.SKU)))
	case errors.Is(err, catalog.ErrInvalid):
		r.Session.Leave()
		return refuse(b.msg.T(r.Lang, "np_invalid", "Reason", esc(err.Error())))
	case err != nil:
		return err
	}
	r.Session.Leave()
	if r.Callback != nil && r.Callback.Message != nil {
		b.dropButtons(ctx, r, r.Callback.Message.MessageID)
	}
	return b.send(ctx, r, b.msg.T(r.Lang, "np_created", "SKU", esc(created.SKU), "Name", esc(created.Name.Get(r.Lang))), nil)
}
