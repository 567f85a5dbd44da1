-- +goose Up
-- SKUs are unique whatever their case: the database refuses MN-TEA beside
-- mn-tea, so that a product typed in any case is one product.
CREATE UNIQUE INDEX products_sku_upper_key ON products (upper(sku));

-- +goose Down
DROP INDEX products_sku_upper_key;
