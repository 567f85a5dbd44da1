package catalog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The write side, for coordinators and office staff. Each method is one
// transaction; every change of stock writes a stock_ledger row with the
// actor ("cli", "telegram:<id>"…), so that for each product the sum of its
// ledger equals its stock. A call that changes nothing writes nothing.

// SetStock sets the stock of the product with sku to n.
func (s *Store) SetStock(ctx context.Context, sku string, n int, actor string) (Product, error) {
	if n < 0 || n > MaxStock {
		return Product{}, fmt.Errorf("catalog: set stock of %s: %w", sku, invalid("stock", "must be a whole number from 0 to 1000000"))
	}
	return s.change(ctx, "set stock of", sku, actor, func(p *Product) error {
		p.Stock = n
		return nil
	})
}

// AdjustStock adds delta (which may be negative) to the stock of the
// product with sku. A change that would leave less than 0 is refused with
// ErrStockBelowZero and changes nothing.
func (s *Store) AdjustStock(ctx context.Context, sku string, delta int, actor string) (Product, error) {
	if delta < -MaxStock || delta > MaxStock {
		return Product{}, fmt.Errorf("catalog: adjust stock of %s: %w", sku, invalid("stock", "change too large"))
	}
	return s.change(ctx, "adjust stock of", sku, actor, func(p *Product) error {
		switch n := p.Stock + delta; {
		case n < 0:
			return fmt.Errorf("%w (%d in stock, change %d)", ErrStockBelowZero, p.Stock, delta)
		case n > MaxStock:
			return invalid("stock", "would exceed 1000000")
		default:
			p.Stock = n
		}
		return nil
	})
}

// SetPrice sets the price of the product with sku; the change is recorded
// in product_changes with actor.
func (s *Store) SetPrice(ctx context.Context, sku string, price Money, actor string) (Product, error) {
	if price < 0 || price > MaxPrice {
		return Product{}, fmt.Errorf("catalog: set price of %s: %w", sku, invalid("price", "must be between 0 and "+MaxPrice.String()+" yuan"))
	}
	return s.change(ctx, "set price of", sku, actor, func(p *Product) error {
		p.Price = price
		return nil
	})
}

// SetPriceFrom is SetPrice for a change decided over the price from: it
// is made only while the product still costs from, checked on the locked
// row, and is refused with ErrPriceChanged otherwise.
func (s *Store) SetPriceFrom(ctx context.Context, sku string, from, price Money, actor string) (Product, error) {
	if price < 0 || price > MaxPrice {
		return Product{}, fmt.Errorf("catalog: set price of %s: %w", sku, invalid("price", "must be between 0 and "+MaxPrice.String()+" yuan"))
	}
	return s.change(ctx, "set price of", sku, actor, func(p *Product) error {
		if p.Price != from {
			return fmt.Errorf("%w: %s costs %s, not %s", ErrPriceChanged, p.SKU, p.Price, from)
		}
		p.Price = price
		return nil
	})
}

// SetVisible shows (true) or hides (false) the product with sku from
// visitors; like a price, the change is recorded with actor.
func (s *Store) SetVisible(ctx context.Context, sku string, visible bool, actor string) (Product, error) {
	return s.change(ctx, "set visibility of", sku, actor, func(p *Product) error {
		p.Visible = visible
		return nil
	})
}

// SetPhoto sets the Telegram file_id of the product's photo; "" removes it.
func (s *Store) SetPhoto(ctx context.Context, sku, fileID string) (Product, error) {
	if err := checkFileID(strings.TrimSpace(fileID)); err != nil {
		return Product{}, fmt.Errorf("catalog: set photo of %s: %w", sku, invalid("photo_file_id", err.Error()))
	}
	return s.change(ctx, "set photo of", sku, "system", func(p *Product) error {
		p.PhotoFileID = strings.TrimSpace(fileID)
		return nil
	})
}

// change runs fn on the locked product with sku and stores the result
// when it differs, all in one transaction. The callers check the values
// they set; the rest of the product is as stored.
func (s *Store) change(ctx context.Context, op, sku, actor string, fn func(p *Product) error) (Product, error) {
	var out Product
	err := s.checkActor(actor)
	if err == nil {
		err = transact(ctx, s.db, func(tx *sqlx.Tx) error {
			old, err := productBySKU(ctx, tx, strings.TrimSpace(sku), true)
			if err != nil {
				return err
			}
			p := old
			if err := fn(&p); err != nil {
				return err
			}
			if productEqual(old, p) {
				out = old
				return nil
			}
			if err := updateProduct(ctx, tx, old, p, "adjust", actor); err != nil {
				return err
			}
			out = p // what was written over the row this transaction holds
			return nil
		})
	}
	if err != nil {
		return Product{}, fmt.Errorf("catalog: %s %s: %w", op, sku, err)
	}
	return out, nil
}

// checkActor refuses an empty actor, and one PostgreSQL could not store
// (a NUL, invalid UTF-8) or a log would show oddly (control characters),
// before it reaches a query.
func (s *Store) checkActor(actor string) error {
	switch {
	case strings.TrimSpace(actor) == "":
		return invalid("actor", "required")
	case !utf8.ValidString(actor):
		return invalid("actor", "not valid UTF-8")
	case strings.IndexFunc(actor, unicode.IsControl) >= 0:
		return invalid("actor", "holds a control character")
	}
	return nil
}

// CreateProduct adds a new product; its village is VillageID, or
// VillageCode when VillageID is 0. A SKU that exists already, even in
// another case, is ErrExists. A stock above 0 is the ledger's 'initial' row.
func (s *Store) CreateProduct(ctx context.Context, p Product, actor string) (Product, error) {
	p.Normalize()
	err := s.checkActor(actor)
	if err == nil {
		err = p.Validate()
	}
	var out Product
	if err == nil {
		err = transact(ctx, s.db, func(tx *sqlx.Tx) error {
			if err := resolveVillage(ctx, tx, &p); err != nil {
				return err
			}
			id, err := insertProduct(ctx, tx, p, actor)
			if err != nil {
				return err
			}
			out = p
			out.ID = id
			return nil
		})
	}
	if err != nil {
		return Product{}, fmt.Errorf("catalog: create product %s: %w", p.SKU, err)
	}
	return out, nil
}

// resolveVillage fills in the village of p by id or by code.
func resolveVillage(ctx context.Context, tx *sqlx.Tx, p *Product) error {
	var v struct {
		ID   int64  `db:"id"`
		Code string `db:"code"`
	}
	var err error
	if p.VillageID > 0 {
		err = tx.GetContext(ctx, &v, `SELECT id, code FROM villages WHERE id = $1`, p.VillageID)
	} else {
		err = tx.GetContext(ctx, &v, `SELECT id, code FROM villages WHERE code = $1`, p.VillageCode)
	}
	if err = notFound(err); errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %w", invalid("village", "no such village"), ErrNotFound)
	}
	if err != nil {
		return err
	}
	p.VillageID, p.VillageCode = v.ID, v.Code
	return nil
}

// skuTaken reports whether err is the database refusing a SKU that
// exists already, in this case or another (the unique indexes on sku and
// on upper(sku)).
func skuTaken(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == pgUniqueViolation &&
		(pqErr.Constraint == "products_sku_key" || pqErr.Constraint == "products_sku_upper_key")
}

// pgUniqueViolation is PostgreSQL's code for a unique index refusing a row.
const pgUniqueViolation = "23505"

// insertProduct inserts p, with its 'initial' ledger row when it has stock.
func insertProduct(ctx context.Context, tx *sqlx.Tx, p Product, actor string) (int64, error) {
	var id int64
	err := tx.GetContext(ctx, &id, `INSERT INTO products
		(sku, village_id, category, names, units, stories, price_fen, stock, gift, visible, photo_url, photo_file_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		RETURNING id`,
		p.SKU, p.VillageID, p.Category, p.Name, p.Unit, p.Story, p.Price, p.Stock, p.Gift, p.Visible, p.PhotoURL, p.PhotoFileID)
	if skuTaken(err) {
		return 0, fmt.Errorf("sku %s: %w", p.SKU, ErrExists)
	}
	if err != nil {
		return 0, err
	}
	return id, ledger(ctx, tx, id, p.Stock, "initial", actor)
}

// updateProduct stores p over old; a change of stock is a ledger row with
// reason.
func updateProduct(ctx context.Context, tx *sqlx.Tx, old, p Product, reason, actor string) error {
	_, err := tx.ExecContext(ctx, `UPDATE products SET
		village_id = $2, category = $3, names = $4, units = $5, stories = $6, price_fen = $7,
		stock = $8, gift = $9, visible = $10, photo_url = $11, photo_file_id = $12, updated_at = now()
		WHERE id = $1`,
		old.ID, p.VillageID, p.Category, p.Name, p.Unit, p.Story, p.Price, p.Stock, p.Gift, p.Visible, p.PhotoURL, p.PhotoFileID)
	if err != nil {
		return err
	}
	if err := recordChanges(ctx, tx, old, p, actor); err != nil {
		return err
	}
	return ledger(ctx, tx, old.ID, p.Stock-old.Stock, reason, actor)
}

// recordChanges writes a product_changes row for each of the price, the
// visibility and the gift flag that differs between old and p.
func recordChanges(ctx context.Context, tx *sqlx.Tx, old, p Product, actor string) error {
	var fields, from, to []string
	note := func(field, a, b string) {
		if a != b {
			fields, from, to = append(fields, field), append(from, a), append(to, b)
		}
	}
	note("price", old.Price.String(), p.Price.String())
	note("visible", strconv.FormatBool(old.Visible), strconv.FormatBool(p.Visible))
	note("gift", strconv.FormatBool(old.Gift), strconv.FormatBool(p.Gift))
	if len(fields) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO product_changes (product_id, field, old_value, new_value, actor)
		SELECT $1, f, o, n, $5 FROM unnest($2::text[], $3::text[], $4::text[]) AS c (f, o, n)`,
		old.ID, pq.Array(fields), pq.Array(from), pq.Array(to), actor)
	return err
}

// ledger records a change of stock; a zero change is no row.
func ledger(ctx context.Context, tx *sqlx.Tx, productID int64, delta int, reason, actor string) error {
	if delta == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO stock_ledger (product_id, delta, reason, actor)
		VALUES ($1, $2, $3, $4)`, productID, delta, reason, actor)
	return err
}

// productEqual reports whether two products hold the same stored values.
func productEqual(a, b Product) bool {
	return a.SKU == b.SKU && a.VillageID == b.VillageID && a.Category == b.Category &&
		equalTexts(a.Name, b.Name) && equalTexts(a.Unit, b.Unit) && equalTexts(a.Story, b.Story) &&
		a.Price == b.Price && a.Stock == b.Stock && a.Gift == b.Gift && a.Visible == b.Visible &&
		a.PhotoURL == b.PhotoURL && a.PhotoFileID == b.PhotoFileID
}
