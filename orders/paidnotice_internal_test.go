package orders

import (
	"context"
	"testing"

	"villagebot/internal/pgtest"
)

// The JSON SQL builds for a PaidNotice is the JSON encodeNotice makes of
// it, for a coordinator's notice and an office member's, due back or not;
// and Decode reads it back.
func TestPaidNoticeSQLMatchesEncodeNotice(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	for _, n := range []PaidNotice{{Order: 1042, VillageID: 3, Amount: 17600}, {Order: 1042, Amount: 8800, Refund: true}} {
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
			SELECT j::text AS json, j = $5::jsonb AS equal
			  FROM (SELECT `+paidNoticeSQL("$1", "$2::bigint", "$3", "$4::boolean")+` AS j) q`,
			n.Order, village, n.Amount, n.Refund, want)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal {
			t.Errorf("SQL builds %s, encodeNotice %s", got.JSON, want)
		}
		p, err := Notification{ID: 1, Kind: NoticePaid, Payload: []byte(got.JSON)}.Decode()
		if err != nil || p != n {
			t.Errorf("Decode(%s) = %+v, %v; want %+v", got.JSON, p, err, n)
		}
	}
	if _, err := (Notification{ID: 2, Kind: NoticePaid, Payload: []byte(`{"order":1042}`)}).Decode(); err == nil {
		t.Error("a payment notice without an amount decodes")
	}
}
