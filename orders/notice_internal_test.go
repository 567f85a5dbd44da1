package orders

import (
	"context"
	"testing"

	"villagebot/internal/pgtest"
)

// The JSON that SQL builds for an OrderNotice is the JSON encodeNotice
// makes of it, for a coordinator's notice and an office member's.
func TestOrderNoticeSQLMatchesEncodeNotice(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	for _, n := range []OrderNotice{{Order: 1042, VillageID: 3}, {Order: 1042}} {
		var village any // NULL for an office member's notice
		if n.VillageID != 0 {
			village = n.VillageID
		}
		want, err := encodeNotice(n)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			JSON  string `db:"json"`
			Equal bool   `db:"equal"`
		}
		err = db.GetContext(context.Background(), &got, `
			SELECT j::text AS json, j = $3::jsonb AS equal
			  FROM (SELECT `+orderNoticeSQL("$1", "$2::bigint")+` AS j) q`, n.Order, village, want)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal {
			t.Errorf("SQL builds %s, encodeNotice %s", got.JSON, want)
		}
	}
}

// So is the JSON SQL builds for a LowStockNotice.
func TestLowStockNoticeSQLMatchesEncodeNotice(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	n := LowStockNotice{ProductID: 7, SKU: "MN-\"TEA\"", Stock: 5}
	want, err := encodeNotice(n)
	if err != nil {
		t.Fatal(err)
	}
	var equal bool
	err = db.GetContext(context.Background(), &equal,
		`SELECT `+lowStockNoticeSQL("$1::bigint", "$2::text", "$3::int")+` = $4::jsonb`, n.ProductID, n.SKU, n.Stock, want)
	if err != nil || !equal {
		t.Errorf("SQL and encodeNotice differ for %+v (%s): %v", n, want, err)
	}
}

// A restock row as the database's trigger writes it (migration 00014)
// decodes to its RestockNotice; one without a product does not.
func TestRestockNoticeDecodes(t *testing.T) {
	t.Parallel()
	n := Notification{ID: 9, Kind: NoticeRestock, Payload: []byte(`{"product_id": 7, "sku": "MN-BLACKTEA", "language": "ru"}`)}
	p, err := n.Decode()
	if err != nil || p != (RestockNotice{ProductID: 7, SKU: "MN-BLACKTEA", Language: "ru"}) {
		t.Errorf("Decode = %#v, %v", p, err)
	}
	for _, payload := range []string{`{"sku": "MN-BLACKTEA"}`, `{"product_id": -1}`, `[]`, `nope`} {
		n.Payload = []byte(payload)
		if _, err := n.Decode(); err == nil {
			t.Errorf("Decode(%s) succeeded", payload)
		}
	}
}
