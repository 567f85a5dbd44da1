-- +goose Up
-- Payment of sale orders (SPEC §12). A sale starts unpaid; staff record a
-- payment (method, amount, who, when), Telegram Payments records one by
-- itself, and a paid order that is cancelled is refunded. Gift orders have
-- no payment: their payment column is empty.
ALTER TABLE orders
    ADD COLUMN payment        text        NOT NULL DEFAULT ''
        CHECK (payment IN ('', 'unpaid', 'paid', 'refunded')),
    ADD COLUMN payment_method text        NOT NULL DEFAULT ''
        CHECK (payment_method IN ('', 'cash', 'wechat', 'alipay', 'card', 'bank', 'telegram')),
    ADD COLUMN paid_fen       bigint      CHECK (paid_fen > 0),
    ADD COLUMN paid_at        timestamptz,
    ADD COLUMN paid_by        text        NOT NULL DEFAULT '';

UPDATE orders SET payment = 'unpaid' WHERE kind = 'sale';

-- A sale is born unpaid and a gift without payment, however the row is
-- written.
-- +goose StatementBegin
CREATE FUNCTION orders_payment_start() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.payment = '' AND NEW.kind = 'sale' THEN
        NEW.payment := 'unpaid';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER orders_payment_start BEFORE INSERT ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_payment_start();

ALTER TABLE orders ADD CONSTRAINT orders_payment_of_sales
    CHECK ((kind = 'sale') = (payment <> ''));
ALTER TABLE orders ADD CONSTRAINT orders_payment_recorded
    CHECK ((payment = 'unpaid' OR payment = '') = (paid_at IS NULL)
       AND (paid_at IS NULL) = (paid_fen IS NULL)
       AND (paid_at IS NULL) = (payment_method = ''));

-- Every change of an order's payment: from and to, method, amount, who and
-- when. A payment made through Telegram carries Telegram's charge id,
-- unique, so that a successful_payment delivered again is recorded once.
CREATE TABLE payment_events (
    id                 bigserial   PRIMARY KEY,
    order_id           bigint      NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_state         text        NOT NULL CHECK (from_state IN ('unpaid', 'paid', 'refunded')),
    to_state           text        NOT NULL CHECK (to_state IN ('paid', 'refunded')),
    method             text        NOT NULL
        CHECK (method IN ('cash', 'wechat', 'alipay', 'card', 'bank', 'telegram')),
    amount_fen         bigint      NOT NULL CHECK (amount_fen > 0),
    currency           text        NOT NULL DEFAULT 'CNY',
    actor              text        NOT NULL,
    note               text        NOT NULL DEFAULT '',
    telegram_charge_id text        UNIQUE,
    provider_charge_id text        NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_events_order_idx ON payment_events (order_id, id);

-- +goose Down
DROP TABLE payment_events;
ALTER TABLE orders DROP CONSTRAINT orders_payment_recorded;
ALTER TABLE orders DROP CONSTRAINT orders_payment_of_sales;
DROP TRIGGER orders_payment_start ON orders;
DROP FUNCTION orders_payment_start();
ALTER TABLE orders
    DROP COLUMN paid_by,
    DROP COLUMN paid_at,
    DROP COLUMN paid_fen,
    DROP COLUMN payment_method,
    DROP COLUMN payment;
