package catalog

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// ImportOptions say who imports and for which village.
type ImportOptions struct {
	// Actor is recorded with every change of stock: "cli", "telegram:42"…
	Actor string
	// Village, when set, is the code of the only village the import may
	// touch (a coordinator's upload): a row of any other village, or of a
	// product of another village, refuses the whole import. A new product
	// without a village column belongs to this village.
	Village string
}

// ImportResult counts what an import did. Unchanged counts villages and
// products alike.
type ImportResult struct {
	VillagesCreated int
	VillagesUpdated int
	ProductsCreated int
	ProductsUpdated int
	Unchanged       int
}

// Import upserts the batch's villages by code and products by SKU, in one
// transaction: every row applies, or none does. A product's new stock is a
// ledger row: 'initial' for a new product, 'import' with the difference
// for an existing one. Only the columns a row gives change (see Batch); a
// row that changes nothing is left untouched, updated_at included.
//
// Problems of the rows against the database (an unknown village, a new
// product without a price, a row of another village…) are all reported
// together as a *FileErrors, and nothing is changed.
func (s *Store) Import(ctx context.Context, b *Batch, opt ImportOptions) (ImportResult, error) {
	if b == nil {
		return ImportResult{}, fmt.Errorf("catalog: import: %w", invalid("batch", "missing"))
	}
	if err := s.checkActor(opt.Actor); err != nil {
		return ImportResult{}, fmt.Errorf("catalog: import: %w", err)
	}
	var im *importer
	err := transact(ctx, s.db, func(tx *sqlx.Tx) error {
		im = &importer{tx: tx, opt: opt, villages: map[string]Village{}, failed: map[string]bool{}}
		if err := im.loadVillages(ctx); err != nil {
			return err
		}
		if _, ok := im.villages[opt.Village]; opt.Village != "" && !ok {
			return fmt.Errorf("village %q: %w", opt.Village, ErrNotFound)
		}
		for _, row := range b.Villages {
			if err := im.village(ctx, row); err != nil {
				return err
			}
		}
		if err := im.loadProducts(ctx, b.Products); err != nil {
			return err
		}
		for _, row := range b.Products {
			if err := im.product(ctx, row); err != nil {
				return err
			}
		}
		return im.errs.err()
	})
	var fe *FileErrors
	switch {
	case errors.As(err, &fe):
		return ImportResult{}, fe
	case err != nil:
		return ImportResult{}, fmt.Errorf("catalog: import: %w", err)
	}
	return im.res, nil
}

// importer applies one batch inside its transaction. Once a problem is
// found it goes on checking every row but writes no more.
type importer struct {
	tx       *sqlx.Tx
	opt      ImportOptions
	res      ImportResult
	errs     FileErrors
	villages map[string]Village // by code: stored, and created by this batch
	failed   map[string]bool    // codes of village rows that were refused
	products map[string]Product // by the SKU a row gives, locked
	reported map[string]bool    // columns of the current row already blamed
}

func (im *importer) fail(file string, line int, column, reason string) {
	if im.reported[column] {
		return
	}
	im.reported[column] = true
	im.errs.add(FileError{File: file, Line: line, Column: column, Reason: reason})
}

func (im *importer) writing() bool { return im.errs.Len() == 0 }

func (im *importer) loadVillages(ctx context.Context) error {
	var list []Village
	if err := im.tx.SelectContext(ctx, &list, `SELECT `+villageColumns+` FROM villages v`); err != nil {
		return err
	}
	for _, v := range list {
		im.villages[v.Code] = v
	}
	return nil
}

// loadProducts reads and locks the stored products the rows name, by the
// SKU each row gives. A stored SKU that differs only in case is found too
// (the unique index on upper(sku) does the folding), so that product
// refuses the row.
func (im *importer) loadProducts(ctx context.Context, rows []ProductRow) error {
	skus := make([]string, 0, len(rows))
	for _, r := range rows {
		skus = append(skus, r.Product.SKU)
	}
	var list []struct {
		Given string `db:"given"`
		Product
	}
	err := im.tx.SelectContext(ctx, &list, `SELECT r.sku AS given, `+productColumns+productFrom+`
		JOIN unnest($1::text[]) AS r (sku) ON upper(p.sku) = upper(r.sku)
		ORDER BY p.id FOR UPDATE OF p`, pq.Array(skus))
	if err != nil {
		return err
	}
	im.products = make(map[string]Product, len(list))
	for _, p := range list {
		im.products[p.Given] = p.Product
	}
	return nil
}

func (im *importer) village(ctx context.Context, row VillageRow) error {
	im.reported = map[string]bool{}
	fail := func(column, reason string) { im.fail(row.File, row.Line, column, reason) }
	code := row.Village.Code
	if im.opt.Village != "" && code != im.opt.Village {
		fail("code", fmt.Sprintf("this import is for village %s only", im.opt.Village))
		im.failed[code] = true
		return nil
	}
	old, exists := im.villages[code]
	v := Village{Code: code}
	if exists {
		v = old
	}
	v.Name, v.Region, v.Story = maps.Clone(v.Name), maps.Clone(v.Region), maps.Clone(v.Story)
	for col := range row.Present {
		c, ok := parseColumn(villagesKind, col)
		if !ok {
			fail(col, "unknown column")
			continue
		}
		switch c.field {
		case "name":
			v.Name = setText(v.Name, c.lang, row.Village.Name[c.lang])
		case "region":
			v.Region = setText(v.Region, c.lang, row.Village.Region[c.lang])
		case "story":
			v.Story = setText(v.Story, c.lang, row.Village.Story[c.lang])
		}
	}
	v.Normalize()
	for _, pr := range v.problems() {
		fail(pr.Field, pr.Reason)
	}
	if len(im.reported) > 0 {
		im.failed[code] = true
		return nil
	}
	if err := im.storeVillage(ctx, old, &v, exists); err != nil {
		return fmt.Errorf("village %s: %w", v.Code, err)
	}
	im.villages[code] = v
	return nil
}

// storeVillage counts and, while no row has failed, writes v: a new
// village, a change of old, or nothing when v is old.
func (im *importer) storeVillage(ctx context.Context, old Village, v *Village, exists bool) error {
	switch {
	case !exists:
		im.res.VillagesCreated++
		if im.writing() {
			return im.tx.GetContext(ctx, &v.ID, `INSERT INTO villages (code, names, regions, stories)
				VALUES ($1, $2, $3, $4) RETURNING id`, v.Code, v.Name, v.Region, v.Story)
		}
	case villageEqual(old, *v):
		im.res.Unchanged++
	default:
		im.res.VillagesUpdated++
		if im.writing() {
			_, err := im.tx.ExecContext(ctx, `UPDATE villages SET names = $2, regions = $3, stories = $4,
				updated_at = now() WHERE id = $1`, v.ID, v.Name, v.Region, v.Story)
			return err
		}
	}
	return nil
}

func (im *importer) product(ctx context.Context, row ProductRow) error {
	im.reported = map[string]bool{}
	fail := func(column, reason string) { im.fail(row.File, row.Line, column, reason) }
	in := row.Product
	old, exists := im.products[in.SKU]
	if exists && old.SKU != in.SKU {
		fail("sku", fmt.Sprintf("%s exists already; SKUs may not differ only in case", old.SKU))
		return nil
	}
	p := Product{SKU: in.SKU, Visible: true}
	if exists {
		p = old
	}
	p.Name, p.Unit, p.Story = maps.Clone(p.Name), maps.Clone(p.Unit), maps.Clone(p.Story)
	im.productVillage(row, old, exists, &p)
	if !exists && !row.Present["price"] {
		fail("price", "required for a new product")
	}
	for _, col := range applyColumns(&p, in, row.Present) {
		fail(col, "unknown column")
	}
	p.Normalize()
	for _, pr := range p.problems() {
		fail(pr.Field, pr.Reason)
	}
	if len(im.reported) > 0 {
		return nil
	}
	if err := im.storeProduct(ctx, old, &p, exists); err != nil {
		return fmt.Errorf("product %s: %w", p.SKU, err)
	}
	im.products[p.SKU] = p
	return nil
}

// productVillage sets the village of p from the row, or for a new product
// without one from the import's village, and checks that a coordinator's
// import touches only their village.
func (im *importer) productVillage(row ProductRow, old Product, exists bool, p *Product) {
	fail := func(column, reason string) { im.fail(row.File, row.Line, column, reason) }
	code := ""
	switch {
	case row.Present["village"]:
		code = row.Product.VillageCode
	case !exists:
		code = im.opt.Village
	}
	if only := im.opt.Village; only != "" {
		if code != "" && code != only {
			fail("village", fmt.Sprintf("this import is for village %s only", only))
		}
		if exists && old.VillageCode != only {
			fail("sku", fmt.Sprintf("%s is a product of village %s; this import is for village %s only", p.SKU, old.VillageCode, only))
		}
	}
	if code == "" || im.reported["village"] {
		return
	}
	if v, ok := im.villages[code]; ok {
		p.VillageID, p.VillageCode = v.ID, v.Code
	} else if im.failed[code] {
		im.reported["village"] = true // its own row is blamed already
	} else {
		fail("village", "no village with code "+code+" (add it to the villages table)")
	}
}

// applyColumns sets on p the values of in that the row's present columns
// give, and returns the columns it does not know.
func applyColumns(p *Product, in Product, present map[string]bool) (unknown []string) {
	for col := range present {
		c, ok := parseColumn(productsKind, col)
		if !ok {
			unknown = append(unknown, col)
			continue
		}
		switch c.field {
		case "category":
			p.Category = in.Category
		case "price":
			p.Price = in.Price
		case "stock":
			p.Stock = in.Stock
		case "gift":
			p.Gift = in.Gift
		case "visible":
			p.Visible = in.Visible
		case "photo_url":
			p.PhotoURL = in.PhotoURL
		case "name":
			p.Name = setText(p.Name, c.lang, in.Name[c.lang])
		case "unit":
			p.Unit = setText(p.Unit, c.lang, in.Unit[c.lang])
		case "story":
			p.Story = setText(p.Story, c.lang, in.Story[c.lang])
		}
	}
	return unknown
}

// storeProduct counts and, while no row has failed, writes p: a new
// product, a change of old, or nothing when p is old.
func (im *importer) storeProduct(ctx context.Context, old Product, p *Product, exists bool) error {
	var err error
	switch {
	case !exists:
		im.res.ProductsCreated++
		if im.writing() {
			p.ID, err = insertProduct(ctx, im.tx, *p, im.opt.Actor)
		}
	case productEqual(old, *p):
		im.res.Unchanged++
	default:
		im.res.ProductsUpdated++
		if im.writing() {
			err = updateProduct(ctx, im.tx, old, *p, "import", im.opt.Actor)
		}
	}
	return err
}

// setText sets or, for "", removes the text of lang.
func setText(t Texts, lang, s string) Texts {
	if t == nil {
		t = Texts{}
	}
	if s == "" {
		delete(t, lang)
	} else {
		t[lang] = s
	}
	return t
}

func villageEqual(a, b Village) bool {
	return a.Code == b.Code && equalTexts(a.Name, b.Name) && equalTexts(a.Region, b.Region) &&
		equalTexts(a.Story, b.Story) && a.PhotoFileID == b.PhotoFileID
}
