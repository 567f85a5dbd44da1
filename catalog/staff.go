package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Role is a staff role.
type Role string

// The staff roles: office staff act for every village, a coordinator for
// one.
const (
	Office      Role = "office"
	Coordinator Role = "coordinator"
)

// Staff is a person with a role.
type Staff struct {
	TelegramID  int64     `db:"telegram_id"`
	Role        Role      `db:"role"`
	VillageID   *int64    `db:"village_id"`
	VillageCode string    `db:"village_code"`
	GrantedBy   string    `db:"granted_by"`
	GrantedAt   time.Time `db:"granted_at"`
}

// CanManage reports whether s may act on the products and orders of the
// village with id villageID.
func (s Staff) CanManage(villageID int64) bool {
	return s.Role == Office || s.Role == Coordinator && s.VillageID != nil && *s.VillageID == villageID
}

// Grant gives telegramID a role, replacing any role it had; a coordinator
// role names a village by code. The grant is recorded with its actor.
func (s *Store) Grant(ctx context.Context, telegramID int64, role Role, villageCode, actor string) (Staff, error) {
	if telegramID <= 0 {
		return Staff{}, fmt.Errorf("%w: telegram id must be a positive number", ErrInvalid)
	}
	if role != Office && role != Coordinator {
		return Staff{}, fmt.Errorf("%w: role must be office or coordinator", ErrInvalid)
	}
	if role == Office && villageCode != "" {
		return Staff{}, fmt.Errorf("%w: an office role names no village", ErrInvalid)
	}
	err := transact(ctx, s.db, func(tx *sqlx.Tx) error {
		var villageID *int64
		if role == Coordinator {
			var id int64
			err := tx.GetContext(ctx, &id, `SELECT id FROM villages WHERE code = $1`, villageCode)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("village %q: %w", villageCode, ErrNotFound)
			}
			if err != nil {
				return err
			}
			villageID = &id
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO staff (telegram_id, role, village_id, granted_by, granted_at)
			VALUES ($1, $2, $3, $4, now())
			ON CONFLICT (telegram_id) DO UPDATE
			SET role = EXCLUDED.role, village_id = EXCLUDED.village_id,
			    granted_by = EXCLUDED.granted_by, granted_at = EXCLUDED.granted_at`,
			telegramID, role, villageID, actor); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO staff_audit (telegram_id, action, role, village_id, actor)
			VALUES ($1, 'grant', $2, $3, $4)`, telegramID, role, villageID, actor)
		return err
	})
	if err != nil {
		return Staff{}, fmt.Errorf("grant %d %s: %w", telegramID, role, err)
	}
	return s.StaffMember(ctx, telegramID)
}

// Revoke removes telegramID's role; ErrNotFound when it had none.
func (s *Store) Revoke(ctx context.Context, telegramID int64, actor string) error {
	err := transact(ctx, s.db, func(tx *sqlx.Tx) error {
		var old Staff
		err := tx.GetContext(ctx, &old, `
			DELETE FROM staff WHERE telegram_id = $1
			RETURNING telegram_id, role, village_id, granted_by, granted_at, '' AS village_code`, telegramID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO staff_audit (telegram_id, action, role, village_id, actor)
			VALUES ($1, 'revoke', $2, $3, $4)`, telegramID, old.Role, old.VillageID, actor)
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke %d: %w", telegramID, err)
	}
	return nil
}

const staffColumns = `s.telegram_id, s.role, s.village_id, COALESCE(v.code, '') AS village_code, s.granted_by, s.granted_at`

// StaffMember returns telegramID's role; ErrNotFound when it has none.
func (s *Store) StaffMember(ctx context.Context, telegramID int64) (Staff, error) {
	var m Staff
	err := s.db.GetContext(ctx, &m, `SELECT `+staffColumns+`
		FROM staff s LEFT JOIN villages v ON v.id = s.village_id
		WHERE s.telegram_id = $1`, telegramID)
	if errors.Is(err, sql.ErrNoRows) {
		return Staff{}, ErrNotFound
	}
	if err != nil {
		return Staff{}, fmt.Errorf("staff %d: %w", telegramID, err)
	}
	return m, nil
}

// StaffList returns every staff member, office first.
func (s *Store) StaffList(ctx context.Context) ([]Staff, error) {
	var list []Staff
	err := s.db.SelectContext(ctx, &list, `SELECT `+staffColumns+`
		FROM staff s LEFT JOIN villages v ON v.id = s.village_id
		ORDER BY s.role DESC, v.code NULLS FIRST, s.telegram_id`)
	if err != nil {
		return nil, fmt.Errorf("staff list: %w", err)
	}
	return list, nil
}
