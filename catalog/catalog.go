// Package catalog holds villages and their products: validation, storage in
// PostgreSQL, the catalog files of SPEC §6 and the built-in demo catalog.
// It knows nothing of Telegram.
package catalog

import "errors"

// Errors of the catalog, checked with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrInvalid  = errors.New("invalid")
	ErrExists   = errors.New("already exists")
	// ErrStockBelowZero refuses a change that would leave less than
	// nothing to sell. It is also an ErrInvalid.
	ErrStockBelowZero error = &refinedError{"stock cannot go below zero", ErrInvalid}
	// ErrPriceChanged refuses a price change asked over a price that is
	// no longer the product's.
	ErrPriceChanged = errors.New("price changed meanwhile")
)

// refinedError is a sentinel that is also a broader one.
type refinedError struct {
	msg  string
	kind error
}

func (e *refinedError) Error() string { return e.msg }
func (e *refinedError) Unwrap() error { return e.kind }

// Category is a product category.
type Category string

// The categories of SPEC §6, in menu order.
const (
	Tea        Category = "tea"
	Coffee     Category = "coffee"
	Fruit      Category = "fruit"
	Spice      Category = "spice"
	Grain      Category = "grain"
	Snack      Category = "snack"
	Handicraft Category = "handicraft"
	Other      Category = "other"
)

// Categories lists every category in menu order.
var Categories = []Category{Tea, Coffee, Fruit, Spice, Grain, Snack, Handicraft, Other}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool {
	for _, k := range Categories {
		if c == k {
			return true
		}
	}
	return false
}

// Village is a village of the programme.
type Village struct {
	ID          int64  `db:"id"`
	Code        string `db:"code"`
	Name        Texts  `db:"names"`
	Region      Texts  `db:"regions"`
	Story       Texts  `db:"stories"`
	PhotoFileID string `db:"photo_file_id"`
}

// Product is one thing a village sells or gives.
type Product struct {
	ID          int64    `db:"id"`
	SKU         string   `db:"sku"`
	VillageID   int64    `db:"village_id"`
	VillageCode string   `db:"village_code"` // joined from villages
	Category    Category `db:"category"`
	Name        Texts    `db:"names"`
	Unit        Texts    `db:"units"`
	Story       Texts    `db:"stories"`
	Price       Money    `db:"price_fen"`
	Stock       int      `db:"stock"` // left to sell; live orders already subtracted
	Gift        bool     `db:"gift"`  // gift-eligible
	Visible     bool     `db:"visible"`
	PhotoURL    string   `db:"photo_url"`
	PhotoFileID string   `db:"photo_file_id"`
}
