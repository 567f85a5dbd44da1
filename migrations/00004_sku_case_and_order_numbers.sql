-- +goose Up
-- SKUs are unique whatever their case: the database refuses MN-TEA beside
-- mn-tea, so that a product typed in any case is one product.
CREATE UNIQUE INDEX products_sku_upper_key ON products (upper(sku));

-- Order numbers leave no gaps: an order that is refused (short stock, a
-- changed price, a bad request) takes no number. A sequence cannot give
-- that (nextval is never rolled back), so the last number given is this
-- one row, which the placing transaction updates as its last write and
-- so holds only until it commits. Until then the new order carries a
-- negative placeholder from the old sequence, which no one else sees.
CREATE TABLE order_numbers (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    last     bigint  NOT NULL
);
INSERT INTO order_numbers (last) SELECT greatest(coalesce(max(number), 0), 1000) FROM orders;
ALTER TABLE orders ALTER COLUMN number SET DEFAULT -nextval('order_number_seq');

-- +goose Down
ALTER TABLE orders ALTER COLUMN number SET DEFAULT nextval('order_number_seq');
SELECT setval('order_number_seq', (SELECT last + 1 FROM order_numbers), false);
DROP TABLE order_numbers;
DROP INDEX products_sku_upper_key;
