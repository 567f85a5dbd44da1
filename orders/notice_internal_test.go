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
