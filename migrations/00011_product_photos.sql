-- +goose Up
-- Photos uploaded in the staff console (SPEC §14), kept in the database so
-- that every process serves them: the console serves each at its own
-- address, which becomes the product's photo_url, and Telegram fetches the
-- photo from there when the bot shows the product. A new upload is a new
-- row (a new address, so no cache shows the old one).
CREATE TABLE product_photos (
    id           bigserial   PRIMARY KEY,
    product_id   bigint      NOT NULL REFERENCES products (id),
    content_type text        NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    data         bytea       NOT NULL CHECK (octet_length(data) BETWEEN 1 AND 5242880),
    actor        text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX product_photos_product_idx ON product_photos (product_id, id);

-- +goose Down
DROP TABLE product_photos;
