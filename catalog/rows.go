package catalog

import (
	"errors"
	"strconv"
	"strings"
)

func (p *parser) villageRow(r rowCells) {
	row := VillageRow{File: r.file, Line: r.line, Present: map[string]bool{},
		Village: Village{Name: Texts{}, Region: Texts{}, Story: Texts{}}}
	v := &row.Village
	for _, c := range r.values {
		switch c.col.field {
		case "code":
			v.Code = strings.TrimSpace(c.value)
			if v.Code == "" {
				continue // reported below
			}
			if err := checkCode(v.Code); err != nil {
				r.fail("code", err.Error())
				continue
			}
			if first, dup := p.codes[v.Code]; dup {
				r.fail("code", v.Code+" appears twice (first at "+first+")")
				continue
			}
			p.codes[v.Code] = r.pos()
		case "name":
			r.text(row.Present, c, v.Name, MaxNameRunes, false)
		case "region":
			r.text(row.Present, c, v.Region, MaxNameRunes, false)
		case "story":
			r.text(row.Present, c, v.Story, MaxStoryRunes, true)
		}
	}
	if v.Code == "" && !r.bad {
		r.fail("code", "required")
	}
	p.b.Villages = append(p.b.Villages, row)
}

// The rows of a table: each cell checked and turned into the value of a
// village or a product.

func (p *parser) productRow(r rowCells, numeric bool) {
	row := ProductRow{File: r.file, Line: r.line, Present: map[string]bool{},
		Product: Product{Name: Texts{}, Unit: Texts{}, Story: Texts{}, Visible: true}}
	pr := &row.Product
	for _, c := range r.values {
		switch c.col.field {
		case "sku":
			pr.SKU = p.sku(&r, strings.TrimSpace(c.value))
		case "name":
			r.text(row.Present, c, pr.Name, MaxNameRunes, false)
		case "unit":
			r.text(row.Present, c, pr.Unit, MaxUnitRunes, false)
		case "story":
			r.text(row.Present, c, pr.Story, MaxStoryRunes, true)
		default:
			s := strings.TrimSpace(c.value)
			if s == "" && c.col.field != "photo_url" {
				continue // an empty cell keeps the stored value
			}
			if err := setProductField(pr, c.col.field, s, numeric); err != nil {
				r.fail(c.col.name, err.Error())
				continue
			}
			row.Present[c.col.name] = true
		}
	}
	if pr.SKU == "" && !r.bad {
		r.fail("sku", "required")
	}
	p.b.Products = append(p.b.Products, row)
}

// sku checks the SKU of a row and that no row before had it, in any case.
// It returns the SKU, or "" after reporting the problem.
func (p *parser) sku(r *rowCells, s string) string {
	if s == "" {
		return "" // reported by the caller
	}
	if err := checkSKU(s); err != nil {
		r.fail("sku", err.Error())
		return s
	}
	if first, dup := p.skus[strings.ToUpper(s)]; dup {
		r.fail("sku", s+" appears twice (first at "+first+")")
		return s
	}
	p.skus[strings.ToUpper(s)] = r.pos()
	return s
}

// setProductField sets one field of pr other than the SKU and the texts
// from the text of its cell.
func setProductField(pr *Product, field, s string, numeric bool) error {
	var err error
	switch field {
	case "village":
		if err = checkCode(s); err == nil {
			pr.VillageCode = s
		}
	case "category":
		pr.Category = Category(strings.ToLower(s))
		if !pr.Category.Valid() {
			err = errors.New(categoryReason(s))
		}
	case "price":
		pr.Price, err = parsePrice(s, numeric)
	case "stock":
		pr.Stock, err = parseStock(s)
	case "gift":
		pr.Gift, err = parseBool(s)
	case "visible":
		pr.Visible, err = parseBool(s)
	case "photo_url":
		if err = checkPhotoURL(s); err == nil {
			pr.PhotoURL = s
		}
	}
	return err
}

// text checks and keeps one text cell; an empty one is present (it clears
// the stored text) but holds nothing.
func (r *rowCells) text(present map[string]bool, c cellValue, t Texts, maxRunes int, multiline bool) {
	s := normalizeText(c.value, multiline)
	if err := checkText(s, maxRunes, multiline); err != nil {
		r.fail(c.col.name, err.Error())
		return
	}
	present[c.col.name] = true
	if s != "" {
		t[c.col.lang] = s
	}
}

// parsePrice reads a price in yuan. A spreadsheet keeps numbers as
// binary fractions, so there 19.899999999999999 is taken as 19.90.
func parsePrice(s string, numeric bool) (Money, error) {
	m, err := ParseYuan(s)
	if err != nil && numeric {
		if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && f >= 0 && f <= float64(MaxPrice/100) {
			fen := f * 100
			if r := float64(int64(fen + 0.5)); r-fen < 1e-6 && fen-r < 1e-6 {
				m, err = Money(r), nil
			}
		}
	}
	switch {
	case err != nil:
		return 0, errors.New("must be an amount in yuan with at most two decimals, such as 88 or 88.50")
	case m > MaxPrice:
		return 0, errors.New("must be at most 1000000 yuan")
	}
	return m, nil
}

// parseStock reads a whole number of units; "12.0" from a spreadsheet is 12.
func parseStock(s string) (int, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || strings.Trim(frac, "0") != "" || len(whole) > 7 {
		return 0, errors.New("must be a whole number from 0 to 1000000")
	}
	n, _ := strconv.Atoi(whole)
	if n > MaxStock {
		return 0, errors.New("must be a whole number from 0 to 1000000")
	}
	return n, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "yes", "1":
		return true, nil
	case "false", "no", "0":
		return false, nil
	}
	return false, errors.New("must be true or false (yes/no, 1/0)")
}
