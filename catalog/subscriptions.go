package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"villagebot/internal/pg"
)

// ErrInStock refuses a back-in-stock subscription to a product that can
// be ordered now. It is also an ErrInvalid.
var ErrInStock error = &refinedError{"the product is in stock", ErrInvalid}

// SubscriptionTTL is how long a back-in-stock subscription lasts when the
// product does not come back.
const SubscriptionTTL = 30 * 24 * time.Hour

// MaxSubscriptions is how many live subscriptions one chat may hold.
const MaxSubscriptions = 50

// RestockKind is the outbox kind of a back-in-stock alert; its payload is
// {"product_id": 7, "sku": "MN-BLACKTEA", "language": "ru"}.
const RestockKind = "restock"

// Subscription is a chat's wish to be told, in its language, when a sold
// out product can be ordered again. When that happens the database turns
// it into a RestockKind notification in the outbox, in the transaction
// that brought the stock back (migration 00014), and it ends; so does a
// subscription older than SubscriptionTTL.
type Subscription struct {
	ChatID    int64     `db:"chat_id"`
	ProductID int64     `db:"product_id"`
	SKU       string    `db:"sku"`
	Name      Texts     `db:"names"`
	Language  string    `db:"language"`
	CreatedAt time.Time `db:"created_at"`
	ExpiresAt time.Time `db:"expires_at"`
}

// Subscribe asks for chatID to be told in lang when product productID is
// back in stock. Subscribing again renews the subscription (and its
// language). A product that is not found or hidden is ErrNotFound; one
// that can be ordered now is ErrInStock; a chat that already holds
// MaxSubscriptions is ErrInvalid.
func (s *Store) Subscribe(ctx context.Context, chatID, productID int64, lang string) (sub Subscription, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("catalog: subscribe %d to %d: %w", chatID, productID, err)
		}
	}()
	if !langRE.MatchString(lang) {
		return Subscription{}, invalid("language", "not a language code")
	}
	err = pg.Transact(ctx, s.db.DB, func(tx *sqlx.Tx) error {
		var p struct {
			Stock   int  `db:"stock"`
			Visible bool `db:"visible"`
		}
		// The product's row lock orders this against a restock: either the
		// restock comes first and the product is in stock, or the
		// subscription is in place when the trigger looks for it.
		err := tx.GetContext(ctx, &p, `SELECT stock, visible FROM products WHERE id = $1 FOR SHARE`, productID)
		switch {
		case errors.Is(err, sql.ErrNoRows) || err == nil && !p.Visible:
			return ErrNotFound
		case err != nil:
			return err
		case p.Stock > 0:
			return ErrInStock
		}
		var held int
		err = tx.GetContext(ctx, &held, `SELECT count(*) FROM stock_subscriptions
			WHERE chat_id = $1 AND product_id <> $2 AND expires_at > now()`, chatID, productID)
		if err != nil {
			return err
		}
		if held >= MaxSubscriptions {
			return invalid("subscriptions", fmt.Sprintf("at most %d at a time", MaxSubscriptions))
		}
		return tx.GetContext(ctx, &sub, `
			WITH sub AS (
				INSERT INTO stock_subscriptions (chat_id, product_id, language, expires_at)
				VALUES ($1, $2, $3, now() + make_interval(secs => $4))
				ON CONFLICT (chat_id, product_id) DO UPDATE
					SET language = EXCLUDED.language, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
				RETURNING chat_id, product_id, language, created_at, expires_at)
			SELECT sub.chat_id, sub.product_id, p.sku, p.names, sub.language, sub.created_at, sub.expires_at
			FROM sub JOIN products p ON p.id = sub.product_id`,
			chatID, productID, lang, SubscriptionTTL.Seconds())
	})
	return sub, err
}

// Unsubscribe ends chatID's subscription to productID; ErrNotFound when
// there is none.
func (s *Store) Unsubscribe(ctx context.Context, chatID, productID int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM stock_subscriptions WHERE chat_id = $1 AND product_id = $2`, chatID, productID)
	if err != nil {
		return fmt.Errorf("catalog: unsubscribe %d from %d: %w", chatID, productID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("catalog: unsubscribe %d from %d: %w", chatID, productID, ErrNotFound)
	}
	return nil
}

// Subscribed reports whether chatID holds a live subscription to
// productID.
func (s *Store) Subscribed(ctx context.Context, chatID, productID int64) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM stock_subscriptions
		WHERE chat_id = $1 AND product_id = $2 AND expires_at > now())`, chatID, productID)
	if err != nil {
		return false, fmt.Errorf("catalog: subscription of %d to %d: %w", chatID, productID, err)
	}
	return ok, nil
}

// ForChat returns chatID's live subscriptions, newest first: what
// /privacy lists.
func (s *Store) ForChat(ctx context.Context, chatID int64) ([]Subscription, error) {
	subs := []Subscription{}
	err := s.db.SelectContext(ctx, &subs, `
		SELECT s.chat_id, s.product_id, p.sku, p.names, s.language, s.created_at, s.expires_at
		FROM stock_subscriptions s JOIN products p ON p.id = s.product_id
		WHERE s.chat_id = $1 AND s.expires_at > now()
		ORDER BY s.created_at DESC, s.id DESC`, chatID)
	if err != nil {
		return nil, fmt.Errorf("catalog: subscriptions of %d: %w", chatID, err)
	}
	return subs, nil
}

// ForgetChat deletes every subscription of chatID ("forget me") and
// returns how many there were.
func (s *Store) ForgetChat(ctx context.Context, chatID int64) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM stock_subscriptions WHERE chat_id = $1`, chatID)
	if err != nil {
		return 0, fmt.Errorf("catalog: forget subscriptions of %d: %w", chatID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// PurgeExpiredSubscriptions deletes the subscriptions past their time and
// returns how many. Expired ones are never alerted anyway; this only
// keeps the table small.
func (s *Store) PurgeExpiredSubscriptions(ctx context.Context) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM stock_subscriptions WHERE expires_at <= now()`)
	if err != nil {
		return 0, fmt.Errorf("catalog: purge expired subscriptions: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
