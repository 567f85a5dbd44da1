package bot

import (
	"context"
	"errors"
	"maps"
	"slices"
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
	Names    catalog.Texts    `json:"names,omitempty"`
	// NameLang is the language whose name the name step asks for.
	NameLang string        `json:"name_lang,omitempty"`
	Unit     string        `json:"unit,omitempty"`
	Price    catalog.Money `json:"price,omitempty"`
	Stock    int           `json:"stock,omitempty"`
	Gift     bool          `json:"gift,omitempty"`
	Story    string        `json:"story,omitempty"`
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
	// The villages as buttons, two a row; typing a code works too.
	var rows [][]tgbotapi.InlineKeyboardButton
	var row []tgbotapi.InlineKeyboardButton
	for _, v := range vs {
		row = append(row, button(truncateRunes(v.Name.Get(r.Lang), 30), cb(cbNewVillage, v.ID)))
		if len(row) == 2 {
			rows, row = append(rows, row), nil
		}
		if len(rows) == 45 {
			break
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	rows = append(rows, []tgbotapi.InlineKeyboardButton{button(b.msg.T(r.Lang, "btn_cancel"), cbAbort)})
	return b.send(ctx, r, b.msg.T(r.Lang, "np_pick_village"), rows)
}

// newProductVillagePick takes the village pressed (office staff only get
// asked).
func (b *Bot) newProductVillagePick(ctx context.Context, r *Request, me catalog.Staff) error {
	id, ok := r.Data.ID(0, maxID)
	if !ok {
		return errStale
	}
	if !r.Session.at(flowNewProduct, stepVillage) {
		return r.Session.stale()
	}
	v, err := b.catalog.Village(ctx, id)
	if err != nil {
		return err
	}
	if !me.CanManage(v.ID) {
		return errStale
	}
	r.Session.draftAnswers().Village = v.Code
	r.Session.Step = stepSKU
	return b.show(ctx, r, screen{text: esc(v.Name.Get(r.Lang)) + "\n\n" + b.msg.T(r.Lang, "np_ask_sku")})
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

// requiredNames are the languages a new product must be named in, so
// that none exists in one language only; the other languages of
// catalog.Languages are asked too, and may be skipped.
var requiredNames = []string{"zh", "en"}

// nameLangs is the order the names are asked in: the required ones first.
func nameLangs() []string {
	langs := slices.Clone(requiredNames)
	for _, l := range catalog.Languages {
		if !slices.Contains(langs, l) {
			langs = append(langs, l)
		}
	}
	return langs
}

// askName asks for the product's name in lang ("np_ask_name_<lang>").
func (b *Bot) askName(r *Request, lang string) string {
	r.Session.draftAnswers().NameLang = lang
	return b.msg.T(r.Lang, "np_ask_name_"+lang)
}

// newProductName takes the product's name in the language asked, then
// asks the next language's, then the unit. Chinese and English are
// required; "-" skips another language.
func (b *Bot) newProductName(ctx context.Context, r *Request, me catalog.Staff) error {
	d := r.Session.draftAnswers()
	langs := nameLangs()
	i := slices.Index(langs, d.NameLang)
	if i < 0 {
		return r.Session.stale()
	}
	text, skip := npText(r)
	required := slices.Contains(requiredNames, d.NameLang)
	if text == "" || skip && required || utf8.RuneCountInString(text) > 200 {
		return refuse(b.msg.T(r.Lang, "np_bad_name"))
	}
	if d.Names == nil {
		d.Names = catalog.Texts{}
	}
	if !skip {
		d.Names[d.NameLang] = text
	}
	if i+1 < len(langs) {
		return b.send(ctx, r, b.askName(r, langs[i+1]), nil)
	}
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
	p, err := catalog.ParsePrice(text)
	if err != nil {
		return b.badMoney(r, text, err, "")
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
	return b.show(ctx, r, screen{text: b.categoryName(r.Lang, catalog.Categories[i]) + "\n\n" + b.askName(r, nameLangs()[0])})
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
		Name:        maps.Clone(d.Names),
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
		"Name", esc(draftNames(p.Name)), "Unit", esc(p.Unit.Get(r.Lang)), "Price", money(r.Lang, p.Price),
		"Stock", p.Stock, "Gift", yesno[p.Gift])
	return b.send(ctx, r, fit(text+"\n\n", p.Story.Get(r.Lang), maxText), [][]tgbotapi.InlineKeyboardButton{{
		button(b.msg.T(r.Lang, "np_create"), cbNewCreate), button(b.msg.T(r.Lang, "btn_cancel"), cbAbort),
	}})
}

// draftNames are the names of a new product, in the order asked,
// separated by " / ".
func draftNames(names catalog.Texts) string {
	var ns []string
	for _, l := range nameLangs() {
		if n := names[l]; n != "" {
			ns = append(ns, n)
		}
	}
	return strings.Join(ns, " / ")
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
