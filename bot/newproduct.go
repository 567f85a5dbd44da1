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

// newProductState is the product the /newproduct flow has gathered so far.
type newProductState struct {
	Village  string           `json:"village,omitempty"` // its code
	SKU      string           `json:"sku,omitempty"`
	Category catalog.Category `json:"category,omitempty"`
	Name     string           `json:"name,omitempty"` // in the user's language
	Unit     string           `json:"unit,omitempty"`
	Price    catalog.Money    `json:"price,omitempty"`
	Stock    int              `json:"stock,omitempty"`
	Gift     bool             `json:"gift,omitempty"`
	Story    string           `json:"story,omitempty"`
}

// draftAnswers is the new product's state, made when missing.
func (s *Session) draftAnswers() *newProductState {
	if s.NewProduct == nil {
		s.NewProduct = &newProductState{}
	}
	return s.NewProduct
}

// newProduct is /newproduct: a guided flow for a new product of the
// coordinator's village (office staff name the village first). Each answer
// is checked as it comes; /cancel leaves at any step.
func (b *Bot) newProduct(ctx context.Context, r *Request, me catalog.Staff) error {
	if r.Args != "" {
		return b.usage(r, "newproduct")
	}
	r.Session.Enter(flowNewProduct, stepVillage)
	if me.Role == catalog.Coordinator {
		r.Session.draftAnswers().Village = me.VillageCode
		r.Session.Step = stepSKU
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

// npText is the text answer to a step of /newproduct, cleaned; "-" skips
// an optional answer.
func npText(r *Request) (text string, skip bool) {
	text = cleanLine(r.Text, 3000)
	return text, text == "-"
}

// newProductVillage takes the village code (office staff only get asked).
func (b *Bot) newProductVillage(ctx context.Context, r *Request, me catalog.Staff) error {
	text, _ := npText(r)
	v, err := b.catalog.VillageByCode(ctx, strings.ToLower(text))
	if errors.Is(err, catalog.ErrNotFound) || err == nil && !me.CanManage(v.ID) {
		return refuse(b.msg.T(r.Lang, "unknown_village", "Code", esc(truncateRunes(text, 32))))
	}
	if err != nil {
		return err
	}
	r.Session.draftAnswers().Village = v.Code
	r.Session.Step = stepSKU
	return b.send(ctx, r, b.msg.T(r.Lang, "np_ask_sku"), nil)
}

// newProductSKU takes the SKU, which must be free, and asks the category.
func (b *Bot) newProductSKU(ctx context.Context, r *Request, me catalog.Staff) error {
	text, _ := npText(r)
	if !skuRE.MatchString(text) {
		return refuse(b.msg.T(r.Lang, "np_bad_sku"))
	}
	if _, err := b.catalog.ProductBySKU(ctx, text); err == nil {
		return refuse(b.msg.T(r.Lang, "np_sku_taken", "SKU", esc(text)))
	} else if !errors.Is(err, catalog.ErrNotFound) {
		return err
	}
	r.Session.draftAnswers().SKU = text
	r.Session.Step = stepCategory
	return b.askCategory(ctx, r, me)
}

// askCategory asks the new product's category with a button for each;
// text sent at this step gets the question again.
func (b *Bot) askCategory(ctx context.Context, r *Request, me catalog.Staff) error {
	var rows [][]tgbotapi.InlineKeyboardButton
	var row []tgbotapi.InlineKeyboardButton
	for i, c := range catalog.Categories {
		row = append(row, button(b.categoryName(r.Lang, c), cb(cbNewCategory, int64(i))))
		if len(row) == 2 {
			rows, row = append(rows, row), nil
		}
	}
	return b.send(ctx, r, b.msg.T(r.Lang, "np_ask_category"), rows)
}

// newProductName takes the product's name in the user's language.
func (b *Bot) newProductName(ctx context.Context, r *Request, me catalog.Staff) error {
	text, skip := npText(r)
	if text == "" || skip || utf8.RuneCountInString(text) > 200 {
		return refuse(b.msg.T(r.Lang, "np_bad_name"))
	}
	r.Session.draftAnswers().Name = text
	r.Session.Step = stepUnit
	return b.send(ctx, r, b.msg.T(r.Lang, "np_ask_unit"), nil)
}

// newProductUnit takes the unit sold ("-": none).
func (b *Bot) newProductUnit(ctx context.Context, r *Request, me catalog.Staff) error {
	text, skip := npText(r)
	if utf8.RuneCountInString(text) > 50 || text == "" {
		return refuse(b.msg.T(r.Lang, "np_bad_unit"))
	}
	if !skip {
		r.Session.draftAnswers().Unit = text
	}
	r.Session.Step = stepPrice
	return b.send(ctx, r, b.msg.T(r.Lang, "np_ask_price"), nil)
}

// newProductPrice takes the price in yuan.
func (b *Bot) newProductPrice(ctx context.Context, r *Request, me catalog.Staff) error {
	text, _ := npText(r)
	p, err := catalog.ParseYuan(text)
	if err != nil || p > catalog.MaxPrice {
		return refuse(b.msg.T(r.Lang, "np_bad_price"))
	}
	r.Session.draftAnswers().Price = p
	r.Session.Step = stepStock
	return b.send(ctx, r, b.msg.T(r.Lang, "np_ask_stock"), nil)
}

// newProductStock takes the units in stock and asks whether it is a gift.
func (b *Bot) newProductStock(ctx context.Context, r *Request, me catalog.Staff) error {
	text, _ := npText(r)
	n, err := strconv.Atoi(text)
	if err != nil || n < 0 || n > maxStock || text != strconv.Itoa(n) {
		return refuse(b.msg.T(r.Lang, "np_bad_stock"))
	}
	r.Session.draftAnswers().Stock = n
	r.Session.Step = stepGiftMark
	return b.askGiftMark(ctx, r, me)
}

// askGiftMark asks whether the new product may be a gift; text sent at
// this step gets the question again.
func (b *Bot) askGiftMark(ctx context.Context, r *Request, me catalog.Staff) error {
	return b.send(ctx, r, b.msg.T(r.Lang, "np_ask_gift"), [][]tgbotapi.InlineKeyboardButton{{
		button(b.msg.T(r.Lang, "yes"), cb(cbNewGift, 1)), button(b.msg.T(r.Lang, "no"), cb(cbNewGift, 0)),
	}})
}

// newProductStory takes the story ("-": none) and shows the summary.
func (b *Bot) newProductStory(ctx context.Context, r *Request, me catalog.Staff) error {
	text, skip := npText(r)
	if utf8.RuneCountInString(text) > 2000 || text == "" {
		return refuse(b.msg.T(r.Lang, "np_bad_story"))
	}
	if !skip {
		r.Session.draftAnswers().Story = text
	}
	return b.newProductSummary(ctx, r)
}

// newProductCategory and newProductGift take the answers given by button.
func (b *Bot) newProductCategory(ctx context.Context, r *Request, me catalog.Staff) error {
	i, ok := r.Data.Int(0, len(catalog.Categories)-1)
	if !ok {
		return errStale
	}
	if !r.Session.at(flowNewProduct, stepCategory) {
		return r.Session.stale()
	}
	r.Session.draftAnswers().Category = catalog.Categories[i]
	r.Session.Step = stepName
	return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "np_ask_name", "Category", b.categoryName(r.Lang, catalog.Categories[i]))})
}

func (b *Bot) newProductGift(ctx context.Context, r *Request, me catalog.Staff) error {
	g, ok := r.Data.Int(0, 1)
	if !ok {
		return errStale
	}
	if !r.Session.at(flowNewProduct, stepGiftMark) {
		return r.Session.stale()
	}
	r.Session.draftAnswers().Gift = g == 1
	r.Session.Step = stepStory
	return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "np_ask_story")})
}

// draft is the product the flow has gathered.
func (b *Bot) draft(r *Request) catalog.Product {
	d := r.Session.draftAnswers()
	p := catalog.Product{
		SKU:         d.SKU,
		VillageCode: d.Village,
		Category:    d.Category,
		Name:        catalog.Texts{r.Lang: d.Name},
		Unit:        catalog.Texts{},
		Story:       catalog.Texts{},
		Price:       d.Price,
		Stock:       d.Stock,
		Gift:        d.Gift,
		Visible:     true,
	}
	if d.Unit != "" {
		p.Unit[r.Lang] = d.Unit
	}
	if d.Story != "" {
		p.Story[r.Lang] = d.Story
	}
	return p
}

// newProductSummary shows the product to create, with the create button;
// text sent at the confirm step gets it again.
func (b *Bot) newProductSummary(ctx context.Context, r *Request) error {
	r.Session.Step = stepConfirm
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
	if !r.Session.at(flowNewProduct, stepConfirm) {
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
