package catalog

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Role is a staff role.
type Role string

// The staff roles: office staff act for every village, a coordinator for
// one.
const (
	Office      Role = "office"
	Coordinator Role = "coordinator"
)

// Errors of staff accounts, checked with errors.Is.
var (
	// ErrLastOffice refuses to revoke or demote the only office account:
	// nobody could grant a role from chat or the console after it.
	ErrLastOffice = errors.New("the last office account cannot lose its role")
	// ErrLinkInvalid is a sign-in link that is unknown, used or expired.
	ErrLinkInvalid = errors.New("the sign-in link is unknown, used or expired")
)

// OperatorActor is the actor of the command line: whoever runs it on the
// server can always grant a role again, so it may take the last office
// account's role away; a staff member may not.
const OperatorActor = "cli"

// SignInLinkTTL is how long a sign-in link may be used: once, within it.
const SignInLinkTTL = 24 * time.Hour

// Staff is a person with a role. An account made by `staff invite` has a
// sign-in name and no Telegram id; a role granted to a Telegram user has
// a Telegram id, and a sign-in name once they asked for a console link.
type Staff struct {
	ID          int64     `db:"id"`
	Name        string    `db:"name"`        // "" until the person can sign in to the console
	TelegramID  int64     `db:"telegram_id"` // 0: none
	Role        Role      `db:"role"`
	VillageID   *int64    `db:"village_id"`
	VillageCode string    `db:"village_code"`
	GrantedBy   string    `db:"granted_by"`
	GrantedAt   time.Time `db:"granted_at"`
	HasPassword bool      `db:"has_password"`
	// Generation rises with every password change and "sign out
	// everywhere": a console session made in an older one is over.
	Generation int `db:"generation"`
}

// CanManage reports whether s may act on the products and orders of the
// village with id villageID.
func (s Staff) CanManage(villageID int64) bool {
	return s.Role == Office || s.Role == Coordinator && s.VillageID != nil && *s.VillageID == villageID
}

// Actor is how the person is recorded as the author of a change: their
// Telegram id when they have one (so chat and console changes of one
// person read alike), else "console:<name>".
func (s Staff) Actor() string {
	if s.TelegramID != 0 {
		return "telegram:" + strconv.FormatInt(s.TelegramID, 10)
	}
	return "console:" + s.Name
}

var staffNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`)

// NormalizeStaffName lowercases and trims a sign-in name and checks it:
// 1–32 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit.
func NormalizeStaffName(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if !staffNameRE.MatchString(n) {
		return "", fmt.Errorf("%w: a name is 1-32 letters a-z, digits, '.', '_' or '-', starting with a letter or digit", ErrInvalid)
	}
	return n, nil
}

func checkRole(role Role, villageCode string) error {
	if role != Office && role != Coordinator {
		return fmt.Errorf("%w: role must be office or coordinator", ErrInvalid)
	}
	if role == Office && villageCode != "" {
		return fmt.Errorf("%w: an office role names no village", ErrInvalid)
	}
	if role == Coordinator && villageCode == "" {
		return fmt.Errorf("%w: a coordinator role names a village", ErrInvalid)
	}
	return nil
}

// roleVillage resolves the village of a coordinator role (nil for office).
func roleVillage(ctx context.Context, tx *sqlx.Tx, role Role, villageCode string) (*int64, error) {
	if role != Coordinator {
		return nil, nil
	}
	var id int64
	err := tx.GetContext(ctx, &id, `SELECT id FROM villages WHERE code = $1`, villageCode)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("village %q: %w", villageCode, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return &id, nil
}

// keepAnOffice refuses a change by actor that would leave no office
// account when the account with id staffID (an office account now) loses
// that role. It locks the office accounts, so two such changes at once
// cannot both pass.
func keepAnOffice(ctx context.Context, tx *sqlx.Tx, staffID int64, actor string) error {
	if actor == OperatorActor {
		return nil
	}
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, `SELECT id FROM staff WHERE role = 'office' ORDER BY id FOR UPDATE`); err != nil {
		return err
	}
	for _, id := range ids {
		if id != staffID {
			return nil
		}
	}
	return ErrLastOffice
}

func audit(ctx context.Context, tx *sqlx.Tx, action string, m Staff, actor string) error {
	var tg *int64
	if m.TelegramID != 0 {
		tg = &m.TelegramID
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO staff_audit (telegram_id, staff_id, name, action, role, village_id, actor)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, tg, m.ID, m.Name, action, m.Role, m.VillageID, actor)
	return err
}

// Grant gives telegramID a role, replacing any role it had; a coordinator
// role names a village by code. The grant is recorded with its actor.
// Demoting the last office account is ErrLastOffice.
func (s *Store) Grant(ctx context.Context, telegramID int64, role Role, villageCode, actor string) (Staff, error) {
	if telegramID <= 0 {
		return Staff{}, fmt.Errorf("%w: telegram id must be a positive number", ErrInvalid)
	}
	if err := checkRole(role, villageCode); err != nil {
		return Staff{}, err
	}
	err := transact(ctx, s.db, func(tx *sqlx.Tx) error {
		villageID, err := roleVillage(ctx, tx, role, villageCode)
		if err != nil {
			return err
		}
		old, err := staffWhere(ctx, tx, `s.telegram_id = $1`, telegramID)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return err
		case old.Role == Office && role != Office:
			if err := keepAnOffice(ctx, tx, old.ID, actor); err != nil {
				return err
			}
		}
		var m Staff
		if err := tx.GetContext(ctx, &m, `
			INSERT INTO staff (telegram_id, role, village_id, granted_by, granted_at)
			VALUES ($1, $2, $3, $4, now())
			ON CONFLICT (telegram_id) DO UPDATE
			SET role = EXCLUDED.role, village_id = EXCLUDED.village_id,
			    granted_by = EXCLUDED.granted_by, granted_at = EXCLUDED.granted_at
			RETURNING id, name, telegram_id, role, village_id`,
			telegramID, role, villageID, actor); err != nil {
			return err
		}
		return audit(ctx, tx, "grant", m, actor)
	})
	if err != nil {
		return Staff{}, fmt.Errorf("grant %d %s: %w", telegramID, role, err)
	}
	return s.StaffMember(ctx, telegramID)
}

// GrantAccount changes the role of the account with id staffID, as Grant
// does for a Telegram user.
func (s *Store) GrantAccount(ctx context.Context, staffID int64, role Role, villageCode, actor string) (Staff, error) {
	if err := checkRole(role, villageCode); err != nil {
		return Staff{}, err
	}
	err := transact(ctx, s.db, func(tx *sqlx.Tx) error {
		villageID, err := roleVillage(ctx, tx, role, villageCode)
		if err != nil {
			return err
		}
		old, err := staffWhere(ctx, tx, `s.id = $1`, staffID)
		if err != nil {
			return err
		}
		if old.Role == Office && role != Office {
			if err := keepAnOffice(ctx, tx, old.ID, actor); err != nil {
				return err
			}
		}
		m := old
		m.Role, m.VillageID = role, villageID
		if _, err := tx.ExecContext(ctx, `
			UPDATE staff SET role = $2, village_id = $3, granted_by = $4, granted_at = now()
			WHERE id = $1`, staffID, role, villageID, actor); err != nil {
			return err
		}
		return audit(ctx, tx, "grant", m, actor)
	})
	if err != nil {
		return Staff{}, fmt.Errorf("grant account %d %s: %w", staffID, role, err)
	}
	return s.StaffByID(ctx, staffID)
}

// Revoke removes telegramID's role; ErrNotFound when it had none, and
// ErrLastOffice when it is the only office account (unless actor is
// OperatorActor).
func (s *Store) Revoke(ctx context.Context, telegramID int64, actor string) error {
	if err := s.revoke(ctx, `s.telegram_id = $1`, telegramID, actor); err != nil {
		return fmt.Errorf("revoke %d: %w", telegramID, err)
	}
	return nil
}

// RevokeAccount removes the account with id staffID, as Revoke does.
func (s *Store) RevokeAccount(ctx context.Context, staffID int64, actor string) error {
	if err := s.revoke(ctx, `s.id = $1`, staffID, actor); err != nil {
		return fmt.Errorf("revoke account %d: %w", staffID, err)
	}
	return nil
}

func (s *Store) revoke(ctx context.Context, where string, arg any, actor string) error {
	return transact(ctx, s.db, func(tx *sqlx.Tx) error {
		old, err := staffWhere(ctx, tx, where, arg)
		if err != nil {
			return err
		}
		if old.Role == Office {
			if err := keepAnOffice(ctx, tx, old.ID, actor); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM staff WHERE id = $1`, old.ID); err != nil {
			return err
		}
		return audit(ctx, tx, "revoke", old, actor)
	})
}

// Invite creates an account named name without Telegram and returns it
// with the token of its one-time sign-in link (SignInLinkTTL), on which
// the person sets a password. A name in use is ErrExists.
func (s *Store) Invite(ctx context.Context, name string, role Role, villageCode, actor string) (Staff, string, error) {
	n, err := NormalizeStaffName(name)
	if err != nil {
		return Staff{}, "", err
	}
	if err := checkRole(role, villageCode); err != nil {
		return Staff{}, "", err
	}
	token, hash := newLinkToken()
	var id int64
	err = transact(ctx, s.db, func(tx *sqlx.Tx) error {
		villageID, err := roleVillage(ctx, tx, role, villageCode)
		if err != nil {
			return err
		}
		err = tx.GetContext(ctx, &id, `
			INSERT INTO staff (name, role, village_id, granted_by, granted_at, link_hash, link_expires)
			VALUES ($1, $2, $3, $4, now(), $5, now() + $6 * interval '1 second')
			RETURNING id`, n, role, villageID, actor, hash, SignInLinkTTL.Seconds())
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code == "23505" { // unique_violation
			return fmt.Errorf("name %q: %w", n, ErrExists)
		}
		if err != nil {
			return err
		}
		return audit(ctx, tx, "invite", Staff{ID: id, Name: n, Role: role, VillageID: villageID}, actor)
	})
	if err != nil {
		return Staff{}, "", fmt.Errorf("invite %s: %w", n, err)
	}
	m, err := s.StaffByID(ctx, id)
	return m, token, err
}

// IssueLink gives the account with id staffID a new one-time sign-in
// link (the one before it stops working) and returns its token. An
// account without a sign-in name gets one: "tg" and its Telegram id.
func (s *Store) IssueLink(ctx context.Context, staffID int64, actor string) (string, error) {
	token, hash := newLinkToken()
	err := transact(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := staffWhere(ctx, tx, `s.id = $1`, staffID)
		if err != nil {
			return err
		}
		if m.Name == "" {
			m.Name = "tg" + strconv.FormatInt(m.TelegramID, 10)
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE staff SET name = $2, link_hash = $3, link_expires = now() + $4 * interval '1 second'
			WHERE id = $1`, staffID, m.Name, hash, SignInLinkTTL.Seconds()); err != nil {
			return err
		}
		return audit(ctx, tx, "link", m, actor)
	})
	if err != nil {
		return "", fmt.Errorf("sign-in link for %d: %w", staffID, err)
	}
	return token, nil
}

// StaffByLink returns the account whose sign-in link has token, while
// the link is unused and unexpired; ErrLinkInvalid otherwise.
func (s *Store) StaffByLink(ctx context.Context, token string) (Staff, error) {
	m, err := staffWhere(ctx, s.db, `s.link_hash = $1 AND s.link_expires > now()`, linkHash(token))
	if errors.Is(err, ErrNotFound) {
		return Staff{}, ErrLinkInvalid
	}
	return m, err
}

// SetPasswordByLink uses the sign-in link with token once: it stores
// passwordHash (made by the caller with a memory-hard function) as the
// account's password and ends the account's other sessions.
func (s *Store) SetPasswordByLink(ctx context.Context, token, passwordHash string) (Staff, error) {
	if passwordHash == "" {
		return Staff{}, fmt.Errorf("%w: empty password hash", ErrInvalid)
	}
	var m Staff
	err := transact(ctx, s.db, func(tx *sqlx.Tx) error {
		var err error
		m, err = staffWhere(ctx, tx, `s.link_hash = $1 AND s.link_expires > now() FOR UPDATE OF s`, linkHash(token))
		if errors.Is(err, ErrNotFound) {
			return ErrLinkInvalid
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE staff SET password_hash = $2, link_hash = '', link_expires = NULL, generation = generation + 1
			WHERE id = $1`, m.ID, passwordHash); err != nil {
			return err
		}
		return audit(ctx, tx, "password", m, m.Actor())
	})
	if err != nil {
		return Staff{}, fmt.Errorf("set password: %w", err)
	}
	return s.StaffByID(ctx, m.ID)
}

// Credentials returns the account signing in as name and its password
// hash ("" when no password was set yet); ErrNotFound for no such name.
func (s *Store) Credentials(ctx context.Context, name string) (Staff, string, error) {
	n, err := NormalizeStaffName(name)
	if err != nil {
		return Staff{}, "", ErrNotFound
	}
	var row struct {
		ID   int64  `db:"id"`
		Hash string `db:"password_hash"`
	}
	err = s.db.GetContext(ctx, &row, `SELECT id, password_hash FROM staff WHERE name = $1`, n)
	if errors.Is(err, sql.ErrNoRows) {
		return Staff{}, "", ErrNotFound
	}
	if err != nil {
		return Staff{}, "", fmt.Errorf("credentials %s: %w", n, err)
	}
	m, err := s.StaffByID(ctx, row.ID)
	return m, row.Hash, err
}

// SignOutEverywhere ends every console session of the account with id
// staffID by raising its generation.
func (s *Store) SignOutEverywhere(ctx context.Context, staffID int64, actor string) error {
	err := transact(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := staffWhere(ctx, tx, `s.id = $1 FOR UPDATE OF s`, staffID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff SET generation = generation + 1 WHERE id = $1`, staffID); err != nil {
			return err
		}
		return audit(ctx, tx, "signout", m, actor)
	})
	if err != nil {
		return fmt.Errorf("sign out %d everywhere: %w", staffID, err)
	}
	return nil
}

// newLinkToken returns a random sign-in link token and the hash kept of it.
func newLinkToken() (token, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, linkHash(token)
}

func linkHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

const staffColumns = `s.id, s.name, COALESCE(s.telegram_id, 0) AS telegram_id, s.role, s.village_id,
	COALESCE(v.code, '') AS village_code, s.granted_by, s.granted_at,
	s.password_hash <> '' AS has_password, s.generation`

func staffWhere(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) (Staff, error) {
	var m Staff
	err := sqlx.GetContext(ctx, q, &m, `SELECT `+staffColumns+`
		FROM staff s LEFT JOIN villages v ON v.id = s.village_id
		WHERE `+where, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return Staff{}, ErrNotFound
	}
	return m, err
}

// StaffMember returns telegramID's role; ErrNotFound when it has none.
func (s *Store) StaffMember(ctx context.Context, telegramID int64) (Staff, error) {
	m, err := staffWhere(ctx, s.db, `s.telegram_id = $1`, telegramID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Staff{}, fmt.Errorf("staff %d: %w", telegramID, err)
	}
	return m, err
}

// StaffByID returns the account with id staffID; ErrNotFound when there
// is none (it was revoked).
func (s *Store) StaffByID(ctx context.Context, staffID int64) (Staff, error) {
	m, err := staffWhere(ctx, s.db, `s.id = $1`, staffID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Staff{}, fmt.Errorf("staff account %d: %w", staffID, err)
	}
	return m, err
}

// StaffList returns every staff account, with or without Telegram,
// office first.
func (s *Store) StaffList(ctx context.Context) ([]Staff, error) {
	var list []Staff
	err := s.db.SelectContext(ctx, &list, `SELECT `+staffColumns+`
		FROM staff s LEFT JOIN villages v ON v.id = s.village_id
		ORDER BY s.role DESC, v.code NULLS FIRST, s.name, s.telegram_id`)
	if err != nil {
		return nil, fmt.Errorf("staff list: %w", err)
	}
	return list, nil
}

// StaffEvent is one line of the staff audit: who did what to whom.
type StaffEvent struct {
	ID          int64     `db:"id"`
	Action      string    `db:"action"`
	Name        string    `db:"name"`
	TelegramID  int64     `db:"telegram_id"`
	Role        string    `db:"role"`
	VillageCode string    `db:"village_code"`
	Actor       string    `db:"actor"`
	At          time.Time `db:"created_at"`
}

// StaffAudit returns the latest limit lines of the staff audit, newest
// first.
func (s *Store) StaffAudit(ctx context.Context, limit int) ([]StaffEvent, error) {
	var list []StaffEvent
	err := s.db.SelectContext(ctx, &list, `
		SELECT a.id, a.action, a.name, COALESCE(a.telegram_id, 0) AS telegram_id, a.role,
		       COALESCE(v.code, '') AS village_code, a.actor, a.created_at
		FROM staff_audit a LEFT JOIN villages v ON v.id = a.village_id
		ORDER BY a.id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("staff audit: %w", err)
	}
	return list, nil
}
