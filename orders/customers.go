package orders

import (
	"context"
	"fmt"

	"github.com/lib/pq"
)

// CustomerName is what Telegram told of a person when they last ordered.
type CustomerName struct {
	TelegramID int64  `db:"telegram_id"`
	FirstName  string `db:"first_name"`
	Username   string `db:"username"`
}

// CustomerNames returns the names stored for those of ids who ever placed
// an order (a gift order counts), by Telegram id; the others are missing.
func (s *Store) CustomerNames(ctx context.Context, ids []int64) (map[int64]CustomerName, error) {
	var rows []CustomerName
	err := s.db.SelectContext(ctx, &rows, `
		SELECT telegram_id, first_name, username FROM customers WHERE telegram_id = ANY($1)`, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("customer names: %w", err)
	}
	names := make(map[int64]CustomerName, len(rows))
	for _, r := range rows {
		names[r.TelegramID] = r
	}
	return names, nil
}
