package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Alerts reports whether an office member hears of every new order
// (/alerts). ErrNotFound when telegramID is not office staff.
func (s *Store) Alerts(ctx context.Context, telegramID int64) (bool, error) {
	var on bool
	err := s.db.GetContext(ctx, &on, `SELECT alerts FROM staff WHERE telegram_id = $1 AND role = 'office'`, telegramID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("alerts of %d: %w", telegramID, ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("alerts of %d: %w", telegramID, err)
	}
	return on, nil
}

// SetAlerts turns an office member's order alerts on or off. Orders of a
// village without a coordinator reach every office member whatever this
// says (see orders' readersOf). ErrNotFound when telegramID is not office
// staff.
func (s *Store) SetAlerts(ctx context.Context, telegramID int64, on bool) error {
	res, err := s.db.ExecContext(ctx, `UPDATE staff SET alerts = $2 WHERE telegram_id = $1 AND role = 'office'`, telegramID, on)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			err = ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("set alerts of %d: %w", telegramID, err)
	}
	return nil
}
