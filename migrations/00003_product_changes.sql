-- +goose Up
-- Who changed what a visitor pays for a product, whether they see it, and
-- whether it may be given as a gift, and from what to what. Stock changes
-- have their own ledger (stock_ledger); these are the rest of what staff
-- change from chat, from the command line or by importing a file.
CREATE TABLE product_changes (
    id         bigserial   PRIMARY KEY,
    product_id bigint      NOT NULL REFERENCES products (id),
    field      text        NOT NULL CHECK (field IN ('price', 'visible', 'gift')),
    old_value  text        NOT NULL,
    new_value  text        NOT NULL,
    actor      text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX product_changes_product_idx ON product_changes (product_id, id);

-- +goose Down
DROP TABLE product_changes;
