// Package catalogtest helps tests of packages that use the catalog: it
// loads the demo catalog and checks the stock ledger.
package catalogtest

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"

	"villagebot/catalog"
)

// Seed loads the demo catalog into db and returns the result.
func Seed(tb testing.TB, db *sqlx.DB) catalog.ImportResult {
	tb.Helper()
	res, err := catalog.NewStore(db).LoadDemo(context.Background())
	if err != nil {
		tb.Fatalf("catalogtest: load demo: %v", err)
	}
	return res
}

// CheckLedger fails the test for every product whose stock is not the sum
// of its stock_ledger rows.
func CheckLedger(tb testing.TB, db *sqlx.DB) {
	tb.Helper()
	var bad []struct {
		SKU    string `db:"sku"`
		Stock  int64  `db:"stock"`
		Ledger int64  `db:"ledger"`
	}
	err := db.SelectContext(context.Background(), &bad, `
		SELECT p.sku, p.stock, COALESCE(l.total, 0) AS ledger
		FROM products p
		LEFT JOIN (SELECT product_id, sum(delta) AS total FROM stock_ledger GROUP BY product_id) l
			ON l.product_id = p.id
		WHERE p.stock <> COALESCE(l.total, 0)
		ORDER BY p.sku`)
	if err != nil {
		tb.Fatalf("catalogtest: check ledger: %v", err)
	}
	for _, b := range bad {
		tb.Errorf("stock ledger of %s: stock is %d but the ledger sums to %d", b.SKU, b.Stock, b.Ledger)
	}
}
