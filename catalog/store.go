package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"villagebot/internal/pg"
)

// Store keeps villages and products in PostgreSQL. Its methods are safe
// for concurrent use; every write runs in its own transaction.
//
// What visitors read on nearly every screen and changes rarely — the
// villages, the visible products of a village or a category, the category
// counts — is kept in memory for CacheFor after it was read. A write
// through the store forgets it all at once; a write elsewhere (an order
// taking stock, another process) shows within CacheFor, so a list may call
// a product sold out, or not yet, for that long. Product, ProductBySKU,
// Products, Search and everything staff read go to the database every
// time: a product card, the cart and the checkout always show the stock
// and price of the moment, and placing an order reads them again in its
// transaction.
//
// The values returned from the cache share their Texts maps with it:
// callers must not change them.
type Store struct {
	db *storeDB

	// CacheFor is how long a read is kept (NewStore: DefaultCacheFor); 0
	// turns the cache off. Set it before the store is used.
	CacheFor time.Duration
}

// DefaultCacheFor is how long a Store keeps what visitors read.
const DefaultCacheFor = time.Second

// NewStore returns a Store on db.
func NewStore(db *sqlx.DB) *Store {
	return &Store{db: &storeDB{DB: db, prep: pg.NewPrepared(db), cache: &readCache{entries: map[string]cacheEntry{}}}, CacheFor: DefaultCacheFor}
}

// storeDB is the store's database handle. Every write of the store runs
// in transact, which forgets the cached reads when it ends.
type storeDB struct {
	*sqlx.DB
	// prep runs the reads of one product prepared, the most frequent
	// queries of all.
	prep  *pg.Prepared
	cache *readCache
}

func transact(ctx context.Context, db *storeDB, fn func(tx *sqlx.Tx) error) error {
	defer db.cache.forget()
	return pg.Transact(ctx, db.DB, fn)
}

const villageColumns = `v.id, v.code, v.names, v.regions, v.stories, v.photo_file_id`

const productColumns = `p.id, p.sku, p.village_id, v.code AS village_code, p.category,
	p.names, p.units, p.stories, p.price_fen, p.stock, p.gift, p.visible,
	p.photo_url, p.photo_file_id`

const productFrom = ` FROM products p JOIN villages v ON v.id = p.village_id`

// Villages returns every village, ordered by code.
func (s *Store) Villages(ctx context.Context) ([]Village, error) {
	list, err := s.villages(ctx)
	return slices.Clone(list), err
}

// villages is Villages, shared with the cache.
func (s *Store) villages(ctx context.Context) ([]Village, error) {
	return cached(ctx, s, "villages", func(ctx context.Context) ([]Village, error) {
		list := []Village{}
		err := s.db.SelectContext(ctx, &list, `SELECT `+villageColumns+` FROM villages v ORDER BY v.code`)
		if err != nil {
			return nil, fmt.Errorf("catalog: villages: %w", err)
		}
		return list, nil
	})
}

// Village returns the village with id, or ErrNotFound.
func (s *Store) Village(ctx context.Context, id int64) (Village, error) {
	list, err := s.villages(ctx)
	if err != nil {
		return Village{}, err
	}
	for _, v := range list {
		if v.ID == id {
			return v, nil
		}
	}
	return Village{}, fmt.Errorf("catalog: village %d: %w", id, ErrNotFound)
}

// VillageByCode returns the village with code, or ErrNotFound. Codes are
// lowercase, so "MAONA" finds maona.
func (s *Store) VillageByCode(ctx context.Context, code string) (Village, error) {
	code = strings.ToLower(strings.TrimSpace(code))
	list, err := s.villages(ctx)
	if err != nil {
		return Village{}, err
	}
	for _, v := range list {
		if v.Code == code {
			return v, nil
		}
	}
	return Village{}, fmt.Errorf("catalog: village %q: %w", code, ErrNotFound)
}

// Product returns the product with id, hidden or not, or ErrNotFound.
func (s *Store) Product(ctx context.Context, id int64) (Product, error) {
	var p Product
	err := sqlx.GetContext(ctx, s.db.prep, &p, `SELECT `+productColumns+productFrom+` WHERE p.id = $1`, id)
	if err != nil {
		return Product{}, fmt.Errorf("catalog: product %d: %w", id, notFound(err))
	}
	return p, nil
}

// ProductBySKU returns the product with sku, hidden or not, or ErrNotFound.
// SKUs are unique regardless of case, so "mn-tea" finds MN-TEA.
func (s *Store) ProductBySKU(ctx context.Context, sku string) (Product, error) {
	p, err := productBySKU(ctx, s.db.prep, strings.TrimSpace(sku), false)
	if err != nil {
		return Product{}, fmt.Errorf("catalog: product %q: %w", sku, err)
	}
	return p, nil
}

// productBySKU finds a product as ProductBySKU does, locking its row when
// forUpdate is set. The unique index on upper(sku) finds it.
func productBySKU(ctx context.Context, q sqlx.QueryerContext, sku string, forUpdate bool) (Product, error) {
	if checkSKU(sku) != nil {
		return Product{}, ErrNotFound
	}
	lock := ""
	if forUpdate {
		lock = " FOR UPDATE OF p"
	}
	var p Product
	err := sqlx.GetContext(ctx, q, &p, `SELECT `+productColumns+productFrom+` WHERE upper(p.sku) = upper($1)`+lock, sku)
	return p, notFound(err)
}

// ProductsByIDs returns the products with the given ids, hidden or not,
// by id, in one query: the cart reads its lines with it. An id with no
// product is absent from the map; it is no error.
func (s *Store) ProductsByIDs(ctx context.Context, ids []int64) (map[int64]Product, error) {
	out := make(map[int64]Product, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var list []Product
	err := s.db.SelectContext(ctx, &list, `SELECT `+productColumns+productFrom+` WHERE p.id = ANY($1::bigint[])`, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("catalog: products %v: %w", ids, err)
	}
	for _, p := range list {
		out[p.ID] = p
	}
	return out, nil
}

// ProductsByVillage returns the village's products ordered by SKU; with
// visibleOnly, hidden ones are left out (and the list may be up to
// CacheFor old).
func (s *Store) ProductsByVillage(ctx context.Context, villageID int64, visibleOnly bool) ([]Product, error) {
	return s.productList(ctx, fmt.Sprintf("village/%d", villageID), "p.village_id", villageID, visibleOnly, visibleOnly)
}

// ProductsByCategory returns the products of category c ordered by SKU;
// with visibleOnly, hidden ones are left out (and the list may be up to
// CacheFor old).
func (s *Store) ProductsByCategory(ctx context.Context, c Category, visibleOnly bool) ([]Product, error) {
	return s.productList(ctx, "category/"+string(c), "p.category", c, visibleOnly, visibleOnly && c.Valid())
}

// productList reads the products whose column (a constant of the caller's)
// equals value, ordered by SKU; through the cache under key when cache is
// set.
func (s *Store) productList(ctx context.Context, key, column string, value any, visibleOnly, cache bool) ([]Product, error) {
	read := func(ctx context.Context) ([]Product, error) {
		list := []Product{}
		err := s.db.SelectContext(ctx, &list, `SELECT `+productColumns+productFrom+`
			WHERE `+column+` = $1 AND (p.visible OR NOT $2)
			ORDER BY p.sku`, value, visibleOnly)
		if err != nil {
			return nil, fmt.Errorf("catalog: products of %s: %w", key, err)
		}
		return list, nil
	}
	if !cache {
		return read(ctx)
	}
	list, err := cached(ctx, s, key, read)
	return slices.Clone(list), err
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
// a category without any is absent (and so counts 0). The counts may be
// up to CacheFor old.
func (s *Store) CategoryCounts(ctx context.Context) (map[Category]int, error) {
	counts, err := cached(ctx, s, "categories", func(ctx context.Context) (map[Category]int, error) {
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
	})
	return maps.Clone(counts), err
}

// notFound turns sql.ErrNoRows into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
