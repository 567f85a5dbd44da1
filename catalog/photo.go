package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jmoiron/sqlx"
)

// MaxPhotoBytes is the largest photo kept: what Telegram fetches by URL.
const MaxPhotoBytes = 5 << 20

// Photo is a product photo uploaded in the web console.
type Photo struct {
	ID          int64  `db:"id"`
	ProductID   int64  `db:"product_id"`
	ContentType string `db:"content_type"`
	Data        []byte `db:"data"`
}

// SavePhoto keeps data (a JPEG or PNG) as the photo of the product with
// sku, in one transaction: the photo gets an id, the product's photo_url
// becomes url(id) — where the console serves it, and where Telegram
// fetches it from — and its Telegram file_id is cleared, so the bot shows
// the new photo.
func (s *Store) SavePhoto(ctx context.Context, sku string, data []byte, url func(id int64) string, actor string) (Product, error) {
	var out Product
	err := s.checkActor(actor)
	ct := http.DetectContentType(data)
	switch {
	case err != nil:
	case len(data) == 0 || len(data) > MaxPhotoBytes:
		err = invalid("photo", "must be 1 byte to 5 MB")
	case ct != "image/jpeg" && ct != "image/png":
		err = invalid("photo", "must be a JPEG or PNG image")
	}
	if err == nil {
		err = transact(ctx, s.db, func(tx *sqlx.Tx) error {
			old, err := productBySKU(ctx, tx, strings.TrimSpace(sku), true)
			if err != nil {
				return err
			}
			var id int64
			if err := tx.GetContext(ctx, &id, `
				INSERT INTO product_photos (product_id, content_type, data, actor)
				VALUES ($1, $2, $3, $4) RETURNING id`, old.ID, ct, data, actor); err != nil {
				return err
			}
			p := old
			p.PhotoURL, p.PhotoFileID = url(id), ""
			if err := checkPhotoURL(p.PhotoURL); err != nil {
				return invalid("photo_url", err.Error())
			}
			if err := updateProduct(ctx, tx, old, p, "adjust", actor); err != nil {
				return err
			}
			out = p // the row as written: no need to read it again
			return nil
		})
	}
	if err != nil {
		return Product{}, fmt.Errorf("catalog: save photo of %s: %w", sku, err)
	}
	return out, nil
}

// PhotoByID returns the uploaded photo with id; ErrNotFound when none.
func (s *Store) PhotoByID(ctx context.Context, id int64) (Photo, error) {
	var p Photo
	err := s.db.GetContext(ctx, &p, `SELECT id, product_id, content_type, data FROM product_photos WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Photo{}, ErrNotFound
	}
	if err != nil {
		return Photo{}, fmt.Errorf("catalog: photo %d: %w", id, err)
	}
	return p, nil
}
