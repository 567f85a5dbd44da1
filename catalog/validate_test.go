package catalog_test

import (
	"errors"
	"strings"
	"testing"

	"villagebot/catalog"
)

func validVillage() catalog.Village {
	return catalog.Village{
		Code:   "maona",
		Name:   catalog.Texts{"zh": "毛纳村", "en": "Maona Village", "ru": "Деревня Маона"},
		Region: catalog.Texts{"en": "Shuiman Township, Wuzhishan"},
		Story:  catalog.Texts{"en": "Tea gardens.\nLi people."},
	}
}

func validProduct() catalog.Product {
	return catalog.Product{
		SKU:         "MN-BLACKTEA",
		VillageCode: "maona",
		Category:    catalog.Tea,
		Name:        catalog.Texts{"zh": "五指山红茶", "en": "Wuzhishan Black Tea"},
		Unit:        catalog.Texts{"en": "tin (250 g)"},
		Story:       catalog.Texts{"en": "Hand-rolled.\nMisty gardens."},
		Price:       16800,
		Stock:       120,
		Visible:     true,
		PhotoURL:    "https://example.org/tea.jpg",
	}
}

func TestVillageValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(v *catalog.Village)
		field  string // "" when valid
	}{
		{"a complete village is valid", func(v *catalog.Village) {}, ""},
		{"an English name alone is enough", func(v *catalog.Village) { v.Name = catalog.Texts{"en": "Maona"} }, ""},
		{"a Chinese name alone is enough", func(v *catalog.Village) { v.Name = catalog.Texts{"zh": "毛纳村"} }, ""},
		{"a code with digits, _ and - is valid", func(v *catalog.Village) { v.Code = "bo-ao_2" }, ""},
		{"a missing code is refused", func(v *catalog.Village) { v.Code = "" }, "code"},
		{"an upper-case code is refused", func(v *catalog.Village) { v.Code = "Maona" }, "code"},
		{"a code of 33 characters is refused", func(v *catalog.Village) { v.Code = strings.Repeat("a", 33) }, "code"},
		{"a code with a space is refused", func(v *catalog.Village) { v.Code = "mao na" }, "code"},
		{"a village with only a Russian name is refused", func(v *catalog.Village) { v.Name = catalog.Texts{"ru": "Маона"} }, "name"},
		{"a village without names is refused", func(v *catalog.Village) { v.Name = nil }, "name"},
		{"a name with a line break is refused", func(v *catalog.Village) { v.Name["en"] = "Mao\nna" }, "name_en"},
		{"an untrimmed name is refused", func(v *catalog.Village) { v.Name["ru"] = " Маона" }, "name_ru"},
		{"a name with a NUL byte is refused", func(v *catalog.Village) { v.Name["zh"] = "毛\x00纳" }, "name_zh"},
		{"a name with a direction override is refused", func(v *catalog.Village) { v.Name["en"] = "Mao\u202Ena" }, "name_en"},
		{"invalid UTF-8 is refused", func(v *catalog.Village) { v.Region["en"] = "Wu\xffzhishan" }, "region_en"},
		{"a name of 201 characters is refused", func(v *catalog.Village) { v.Name["zh"] = strings.Repeat("村", 201) }, "name_zh"},
		{"a name of 200 characters is valid", func(v *catalog.Village) { v.Name["zh"] = strings.Repeat("村", 200) }, ""},
		{"a story of 2000 characters is valid", func(v *catalog.Village) { v.Story["zh"] = strings.Repeat("茶", 2000) }, ""},
		{"a story of 2001 characters is refused", func(v *catalog.Village) { v.Story["zh"] = strings.Repeat("茶", 2001) }, "story_zh"},
		{"a story with a tab is refused", func(v *catalog.Village) { v.Story["en"] = "a\tb" }, "story_en"},
		{"a language of one letter is refused", func(v *catalog.Village) { v.Name["e"] = "Maona" }, "name_e"},
		{"an upper-case language is refused", func(v *catalog.Village) { v.Story["EN"] = "x" }, "story_EN"},
		{"a three-letter language is valid", func(v *catalog.Village) { v.Name["fil"] = "Nayon ng Maona" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := validVillage()
			tt.change(&v)
			checkFieldError(t, v.Validate(), tt.field)
		})
	}
}

func TestProductValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(p *catalog.Product)
		field  string
	}{
		{"a complete product is valid", func(p *catalog.Product) {}, ""},
		{"a product may name its village by id", func(p *catalog.Product) { p.VillageCode, p.VillageID = "", 7 }, ""},
		{"a lower-case SKU is valid", func(p *catalog.Product) { p.SKU = "mn_tea-2" }, ""},
		{"a missing SKU is refused", func(p *catalog.Product) { p.SKU = "" }, "sku"},
		{"a SKU with a dot is refused", func(p *catalog.Product) { p.SKU = "MN.TEA" }, "sku"},
		{"a SKU of 41 characters is refused", func(p *catalog.Product) { p.SKU = strings.Repeat("A", 41) }, "sku"},
		{"a SKU of 40 characters is valid", func(p *catalog.Product) { p.SKU = strings.Repeat("A", 40) }, ""},
		{"a product without a village is refused", func(p *catalog.Product) { p.VillageCode = "" }, "village"},
		{"an unknown category is refused", func(p *catalog.Product) { p.Category = "wine" }, "category"},
		{"a missing category is refused", func(p *catalog.Product) { p.Category = "" }, "category"},
		{"a product without a zh or en name is refused", func(p *catalog.Product) { p.Name = catalog.Texts{"ru": "Чай"} }, "name"},
		{"a free product is valid", func(p *catalog.Product) { p.Price = 0 }, ""},
		{"the highest price is valid", func(p *catalog.Product) { p.Price = catalog.MaxPrice }, ""},
		{"a price above the highest is refused", func(p *catalog.Product) { p.Price = catalog.MaxPrice + 1 }, "price"},
		{"a negative price is refused", func(p *catalog.Product) { p.Price = -1 }, "price"},
		{"no stock is valid", func(p *catalog.Product) { p.Stock = 0 }, ""},
		{"a million in stock is valid", func(p *catalog.Product) { p.Stock = 1_000_000 }, ""},
		{"more than a million in stock is refused", func(p *catalog.Product) { p.Stock = 1_000_001 }, "stock"},
		{"negative stock is refused", func(p *catalog.Product) { p.Stock = -1 }, "stock"},
		{"no photo URL is valid", func(p *catalog.Product) { p.PhotoURL = "" }, ""},
		{"an http photo URL is valid", func(p *catalog.Product) { p.PhotoURL = "http://example.org/a.png" }, ""},
		{"a javascript photo URL is refused", func(p *catalog.Product) { p.PhotoURL = "javascript:alert(1)" }, "photo_url"},
		{"a photo URL without a host is refused", func(p *catalog.Product) { p.PhotoURL = "https:///a.png" }, "photo_url"},
		{"a photo URL with a space is refused", func(p *catalog.Product) { p.PhotoURL = "https://example.org/a b.png" }, "photo_url"},
		{"a unit with a control character is refused", func(p *catalog.Product) { p.Unit["en"] = "tin\x07" }, "unit_en"},
		{"a unit of 101 characters is refused", func(p *catalog.Product) { p.Unit["en"] = strings.Repeat("g", 101) }, "unit_en"},
		{"a story in Cyrillic with line breaks is valid", func(p *catalog.Product) { p.Story["ru"] = "Чай.\nРучная скрутка." }, ""},
		{"a name with emoji and combining marks is valid", func(p *catalog.Product) { p.Name["en"] = "Café ☕ tea" }, ""},
		{"an untrimmed story is refused", func(p *catalog.Product) { p.Story["en"] = "Tea.\n" }, "story_en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := validProduct()
			p.Name, p.Unit, p.Story = clone(p.Name), clone(p.Unit), clone(p.Story)
			tt.change(&p)
			checkFieldError(t, p.Validate(), tt.field)
		})
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	t.Run("normalizing trims, joins lines of names, keeps story lines and composes accents", func(t *testing.T) {
		p := validProduct()
		p.Name = catalog.Texts{"en": "  Cafe\u0301\r\nBeans ", "ru": "   "}
		p.Story = catalog.Texts{"en": " line one\r\nline two \n"}
		p.Normalize()
		if got := p.Name["en"]; got != "Café Beans" {
			t.Errorf("name = %q", got)
		}
		if _, ok := p.Name["ru"]; ok {
			t.Errorf("a blank name was kept")
		}
		if got := p.Story["en"]; got != "line one\nline two" {
			t.Errorf("story = %q", got)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("a normalized product is invalid: %v", err)
		}
	})
}

func clone(t catalog.Texts) catalog.Texts {
	out := catalog.Texts{}
	for k, v := range t {
		out[k] = v
	}
	return out
}

func checkFieldError(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("Validate() = %v, want nil", err)
		}
		return
	}
	if !errors.Is(err, catalog.ErrInvalid) {
		t.Fatalf("Validate() = %v, want an ErrInvalid", err)
	}
	var fe *catalog.FieldError
	if !errors.As(err, &fe) || fe.Field != field {
		t.Fatalf("Validate() = %v, want an error about %s", err, field)
	}
	if !strings.HasPrefix(err.Error(), field+": ") {
		t.Errorf("error %q does not name the field first", err)
	}
}
