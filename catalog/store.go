package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"villagebot/internal/pg"
)

// Store keeps villages and products in PostgreSQL. Its methods are safe
// for concurrent use; every write runs in its own transaction.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store on db.
func NewStore(db *sqlx.DB) *Store {
	return &Store{db: db}
}

func transact(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	return pg.Transact(ctx, db, fn)
}

const villageColumns = `v.id, v.code, v.names, v.regions, v.stories, v.photo_file_id`

const productColumns = `p.id, p.sku, p.village_id, v.code AS village_code, p.category,
	p.names, p.units, p.stories, p.price_fen, p.stock, p.gift, p.visible,
	p.photo_url, p.photo_file_id`

const productFrom = ` FROM products p JOIN villages v ON v.id = p.village_id`

// Villages returns every village, ordered by code.
func (s *Store) Villages(ctx context.Context) ([]Village, error) {
	list := []Village{}
	err := s.db.SelectContext(ctx, &list, `SELECT `+villageColumns+` FROM villages v ORDER BY v.code`)
	if err != nil {
		return nil, fmt.Errorf("catalog: villages: %w", err)
	}
	return list, nil
}

// Village returns the village with id, or ErrNotFound.
func (s *Store) Village(ctx context.Context, id int64) (Village, error) {
	var v Village
	err := s.db.GetContext(ctx, &v, `SELECT `+villageColumns+` FROM villages v WHERE v.id = $1`, id)
	if err != nil {
		return Village{}, fmt.Errorf("catalog: village %d: %w", id, notFound(err))
	}
	return v, nil
}

// VillageByCode returns the village with code, or ErrNotFound. Codes are
// lowercase, so "MAONA" finds maona.
func (s *Store) VillageByCode(ctx context.Context, code string) (Village, error) {
	code = strings.ToLower(strings.TrimSpace(code))
	var v Village
	err := s.db.GetContext(ctx, &v, `SELECT `+villageColumns+` FROM villages v WHERE v.code = $1`, code)
	if err != nil {
		return Village{}, fmt.Errorf("catalog: village %q: %w", code, notFound(err))
	}
	return v, nil
}

// Product returns the product with id, hidden or not, or ErrNotFound.
func (s *Store) Product(ctx context.Context, id int64) (Product, error) {
	var p Product
	err := s.db.GetContext(ctx, &p, `SELECT `+productColumns+productFrom+` WHERE p.id = $1`, id)
	if err != nil {
		return Product{}, fmt.Errorf("catalog: product %d: %w", id, notFound(err))
	}
	return p, nil
}

// ProductBySKU returns the product with sku, hidden or not, or ErrNotFound.
// When no SKU matches exactly, one that differs only in case does ("mn-tea"
// finds MN-TEA); imports keep SKUs unique regardless of case.
func (s *Store) ProductBySKU(ctx context.Context, sku string) (Product, error) {
	p, err := productBySKU(ctx, s.db, strings.TrimSpace(sku), false)
	if err != nil {
		return Product{}, fmt.Errorf("catalog: product %q: %w", sku, err)
	}
	return p, nil
}

// productBySKU finds a product as ProductBySKU does, locking its row when
// forUpdate is set.
func productBySKU(ctx context.Context, q sqlx.QueryerContext, sku string, forUpdate bool) (Product, error) {
	if checkSKU(sku) != nil {
		return Product{}, ErrNotFound
	}
	lock := ""
	if forUpdate {
		lock = " FOR UPDATE OF p"
	}
	var p Product
	err := sqlx.GetContext(ctx, q, &p, `SELECT `+productColumns+productFrom+` WHERE p.sku = $1`+lock, sku)
	if errors.Is(err, sql.ErrNoRows) {
		var list []Product
		err = sqlx.SelectContext(ctx, q, &list, `SELECT `+productColumns+productFrom+`
			WHERE upper(p.sku) = upper($1) ORDER BY p.sku LIMIT 2`+lock, sku)
		switch {
		case err != nil:
		case len(list) == 1:
			return list[0], nil
		default:
			return Product{}, ErrNotFound
		}
	}
	if err != nil {
		return Product{}, err
	}
	return p, nil
}

// ProductsByVillage returns the village's products ordered by SKU; with
// visibleOnly, hidden ones are left out.
func (s *Store) ProductsByVillage(ctx context.Context, villageID int64, visibleOnly bool) ([]Product, error) {
	list := []Product{}
	err := s.db.SelectContext(ctx, &list, `SELECT `+productColumns+productFrom+`
		WHERE p.village_id = $1 AND (p.visible OR NOT $2)
		ORDER BY p.sku`, villageID, visibleOnly)
	if err != nil {
		return nil, fmt.Errorf("catalog: products of village %d: %w", villageID, err)
	}
	return list, nil
}

// ProductsByCategory returns the products of category c ordered by SKU;
// with visibleOnly, hidden ones are left out.
func (s *Store) ProductsByCategory(ctx context.Context, c Category, visibleOnly bool) ([]Product, error) {
	list := []Product{}
	err := s.db.SelectContext(ctx, &list, `SELECT `+productColumns+productFrom+`
		WHERE p.category = $1 AND (p.visible OR NOT $2)
		ORDER BY p.sku`, c, visibleOnly)
	if err != nil {
		return nil, fmt.Errorf("catalog: products of category %q: %w", c, err)
	}
	return list, nil
}

// Products returns every product, hidden ones too, ordered by SKU.
func (s *Store) Products(ctx context.Context) ([]Product, error) {
	list := []Product{}
	err := s.db.SelectContext(ctx, &list, `SELECT `+productColumns+productFrom+` ORDER BY p.sku`)
	if err != nil {
		return nil, fmt.Errorf("catalog: products: %w", err)
	}
	return list, nil
}

// CategoryCounts returns how many visible products each category holds;
// a category without any is absent (and so counts 0).
func (s *Store) CategoryCounts(ctx context.Context) (map[Category]int, error) {
	var rows []struct {
		Category Category `db:"category"`
		N        int      `db:"n"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT p.category, count(*) AS n
		FROM products p WHERE p.visible GROUP BY p.category`)
	if err != nil {
		return nil, fmt.Errorf("catalog: category counts: %w", err)
	}
	counts := make(map[Category]int, len(rows))
	for _, r := range rows {
		counts[r.Category] = r.N
	}
	return counts, nil
}

// notFound turns sql.ErrNoRows into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
