package orders

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"

	"villagebot/catalog"
)

// VillageStats is what one village sold and gave in a range of days
// (SPEC §5 /stats), or, as Stats.Total, what all villages did together.
type VillageStats struct {
	VillageID int64         `db:"village_id"` // 0 in the totals
	Code      string        `db:"code"`       // empty in the totals
	Name      catalog.Texts `db:"names"`      // the village's current name; empty in the totals

	SaleOrders int           `db:"sale_orders"`
	SaleUnits  int           `db:"sale_units"`
	SaleValue  catalog.Money `db:"sale_value"`
	GiftOrders int           `db:"gift_orders"`
	GiftUnits  int           `db:"gift_units"`
	GiftValue  catalog.Money `db:"gift_value"`
}

// Orders is the number of orders of both kinds.
func (v VillageStats) Orders() int { return v.SaleOrders + v.GiftOrders }

// Units is the number of units of both kinds.
func (v VillageStats) Units() int { return v.SaleUnits + v.GiftUnits }

// Value is the value of both kinds.
func (v VillageStats) Value() catalog.Money { return v.SaleValue + v.GiftValue }

// Stats is the per-village report of a range of days: the villages that
// had at least one order in the range, by code, and their totals.
type Stats struct {
	Villages []VillageStats
	Total    VillageStats
}

// Stats reports, per village, the orders created in a range of days and
// the units and value of that village's lines in them, split sale/gift.
//
// from and to are calendar dates in loc, both inclusive; only their year,
// month and day count, and nil leaves that side open. Cancelled orders are
// left out: they sold and gave nothing (the export still lists them, as
// records). An order counts once for each village it holds products of,
// however many lines of that village it has; in Total it counts once, so
// Total.SaleOrders may be less than the sum over the villages. Units are
// quantities, and value is the sum of line totals at the prices of the day
// the order was placed (gifts at catalog price, the value of the gift).
func (s *Store) Stats(ctx context.Context, from, to *time.Time, loc *time.Location) (st Stats, err error) {
	defer wrap(&err, "Stats(%s)", rangeText(from, to))
	return stats(ctx, s.db, dayRange(from, to, loc))
}

// stats runs the report on q, so that Export can run it in the snapshot it
// exports.
func stats(ctx context.Context, q sqlx.QueryerContext, r timeRange) (Stats, error) {
	// One pass over the lines: the grouping set (v.id, …) gives a row per
	// village and the empty set () the totals, where COUNT(DISTINCT) counts
	// an order of two villages once.
	var rows []struct {
		Total bool `db:"total"`
		VillageStats
	}
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT GROUPING(v.id) = 1 AS total,
		       COALESCE(v.id, 0) AS village_id,
		       COALESCE(v.code, '') AS code,
		       COALESCE(v.names, '{}') AS names,
		       count(DISTINCT o.id) FILTER (WHERE o.kind = 'sale') AS sale_orders,
		       COALESCE(sum(l.quantity) FILTER (WHERE o.kind = 'sale'), 0) AS sale_units,
		       COALESCE(sum(l.unit_price_fen * l.quantity) FILTER (WHERE o.kind = 'sale'), 0)::bigint AS sale_value,
		       count(DISTINCT o.id) FILTER (WHERE o.kind = 'gift') AS gift_orders,
		       COALESCE(sum(l.quantity) FILTER (WHERE o.kind = 'gift'), 0) AS gift_units,
		       COALESCE(sum(l.unit_price_fen * l.quantity) FILTER (WHERE o.kind = 'gift'), 0)::bigint AS gift_value
		  FROM order_lines l
		  JOIN orders o ON o.id = l.order_id
		  JOIN villages v ON v.id = l.village_id
		 WHERE o.status <> 'cancelled'
		   AND ($1::timestamptz IS NULL OR o.created_at >= $1)
		   AND ($2::timestamptz IS NULL OR o.created_at < $2)
		 GROUP BY GROUPING SETS ((v.id, v.code, v.names), ())
		 ORDER BY GROUPING(v.id), v.code`, r.from, r.to)
	if err != nil {
		return Stats{}, err
	}
	var st Stats
	for _, row := range rows {
		if row.Total {
			st.Total = row.VillageStats
			continue
		}
		st.Villages = append(st.Villages, row.VillageStats)
	}
	st.Total.Name = catalog.Texts{}
	return st, nil
}

// timeRange is a half-open range of instants, [from, to); an invalid side
// is open.
type timeRange struct {
	from, to sql.NullTime
}

// dayRange turns calendar dates in loc, both inclusive, into the instants
// from the start of the first day to the start of the day after the last.
// Only the year, month and day of from and to count; nil leaves that side
// open.
func dayRange(from, to *time.Time, loc *time.Location) timeRange {
	if loc == nil {
		loc = time.UTC
	}
	var r timeRange
	if from != nil {
		y, m, d := from.Date()
		r.from = sql.NullTime{Time: time.Date(y, m, d, 0, 0, 0, 0, loc), Valid: true}
	}
	if to != nil {
		y, m, d := to.Date()
		r.to = sql.NullTime{Time: time.Date(y, m, d+1, 0, 0, 0, 0, loc), Valid: true}
	}
	return r
}

// rangeText shows a range of days for error messages, e.g.
// "2026-04-01..2026-04-30" or "..2026-04-30".
func rangeText(from, to *time.Time) string {
	return dateText(from) + ".." + dateText(to)
}

func dateText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}
