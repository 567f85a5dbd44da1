-- +goose Up
-- Back-in-stock alerts. A visitor who finds a product sold out may ask to
-- be told when it is back: a subscription, for 30 days. When the product
-- becomes available again (stock from 0 to more, or shown again while in
-- stock) — whoever did it: chat, the command line, an import, a cancelled
-- order giving stock back — the trigger below turns every live
-- subscription of it into an outbox notification of kind 'restock' and
-- deletes the subscription, in the transaction of the change itself. So
-- each subscriber is told once: the notifier drains the outbox with its
-- leases as for every other notification, and a restart finds the
-- subscription gone and the notification either sent or still due.
CREATE TABLE stock_subscriptions (
    id         bigserial   PRIMARY KEY,
    chat_id    bigint      NOT NULL,
    product_id bigint      NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    language   text        NOT NULL CHECK (language ~ '^[a-z]{2,3}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    UNIQUE (chat_id, product_id)
);
CREATE INDEX stock_subscriptions_product_idx ON stock_subscriptions (product_id);

-- The outbox payload of a 'restock' notification:
--   {"product_id": 7, "sku": "MN-BLACKTEA", "language": "ru"}
-- +goose StatementBegin
CREATE FUNCTION products_restocked() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    WITH told AS (
        DELETE FROM stock_subscriptions s
         WHERE s.product_id = NEW.id
        RETURNING s.chat_id, s.language, s.expires_at
    )
    INSERT INTO outbox (chat_id, kind, payload)
    SELECT told.chat_id, 'restock',
           jsonb_build_object('product_id', NEW.id, 'sku', NEW.sku, 'language', told.language)
      FROM told
     WHERE told.expires_at > now()
     ORDER BY told.chat_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER products_restocked AFTER UPDATE OF stock, visible ON products
    FOR EACH ROW
    WHEN (NEW.visible AND NEW.stock > 0 AND NOT (OLD.visible AND OLD.stock > 0))
    EXECUTE FUNCTION products_restocked();

-- +goose Down
DROP TRIGGER products_restocked ON products;
DROP FUNCTION products_restocked();
DROP TABLE stock_subscriptions;
