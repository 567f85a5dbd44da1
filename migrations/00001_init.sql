-- +goose Up
-- The whole schema of villagebot: catalog, stock ledger, staff, customers,
-- orders with their lines and events, and the notification outbox.
-- Money is integer fen (1 yuan = 100 fen). Texts per language are jsonb
-- objects keyed by language code ({"zh": "...", "en": "...", "ru": "..."}),
-- so adding a language adds no column.

CREATE TABLE villages (
    id            bigserial PRIMARY KEY,
    code          text        NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9_-]{1,32}$'),
    names         jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(names) = 'object'),
    regions       jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(regions) = 'object'),
    stories       jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(stories) = 'object'),
    photo_file_id text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
    id            bigserial PRIMARY KEY,
    sku           text        NOT NULL UNIQUE CHECK (sku ~ '^[A-Za-z0-9_-]{1,40}$'),
    village_id    bigint      NOT NULL REFERENCES villages (id),
    category      text        NOT NULL CHECK (category IN
                      ('tea', 'coffee', 'fruit', 'spice', 'grain', 'snack', 'handicraft', 'other')),
    names         jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(names) = 'object'),
    units         jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(units) = 'object'),
    stories       jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(stories) = 'object'),
    price_fen     bigint      NOT NULL CHECK (price_fen BETWEEN 0 AND 100000000),
    -- stock is what is left to sell: units reserved by live orders are
    -- already subtracted. It always equals the sum of the product's ledger.
    stock         integer     NOT NULL CHECK (stock >= 0),
    gift          boolean     NOT NULL DEFAULT false,
    visible       boolean     NOT NULL DEFAULT true,
    photo_url     text        NOT NULL DEFAULT '',
    photo_file_id text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_village_idx ON products (village_id);
CREATE INDEX products_category_idx ON products (category);

-- Staff roles: office staff act on every village, a coordinator on one.
CREATE TABLE staff (
    telegram_id bigint      PRIMARY KEY,
    role        text        NOT NULL CHECK (role IN ('office', 'coordinator')),
    village_id  bigint      REFERENCES villages (id),
    granted_by  text        NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'coordinator') = (village_id IS NOT NULL))
);
CREATE INDEX staff_village_idx ON staff (village_id);

-- Every grant and revoke, with who and when.
CREATE TABLE staff_audit (
    id          bigserial PRIMARY KEY,
    telegram_id bigint      NOT NULL,
    action      text        NOT NULL CHECK (action IN ('grant', 'revoke')),
    role        text        NOT NULL DEFAULT '',
    village_id  bigint      REFERENCES villages (id),
    actor       text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- People who talked to the bot; orders point at them.
CREATE TABLE customers (
    telegram_id bigint      PRIMARY KEY,
    chat_id     bigint      NOT NULL,
    username    text        NOT NULL DEFAULT '',
    first_name  text        NOT NULL DEFAULT '',
    language    text        NOT NULL DEFAULT 'en',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Order numbers are shown as #<number>; they start at 1001 so that the
-- first order of an event does not look like a test.
CREATE SEQUENCE order_number_seq START 1001;

CREATE TABLE orders (
    id             bigserial PRIMARY KEY,
    number         bigint      NOT NULL UNIQUE DEFAULT nextval('order_number_seq'),
    kind           text        NOT NULL CHECK (kind IN ('sale', 'gift')),
    status         text        NOT NULL DEFAULT 'placed'
                       CHECK (status IN ('placed', 'confirmed', 'ready', 'delivered', 'cancelled')),
    -- customer_id is the visitor of a sale, or the office member who placed a gift.
    customer_id    bigint      NOT NULL REFERENCES customers (telegram_id),
    chat_id        bigint      NOT NULL,
    language       text        NOT NULL DEFAULT 'en',
    contact        text        NOT NULL DEFAULT '',
    phone          text        NOT NULL DEFAULT '',
    delivery       text        NOT NULL DEFAULT ''
                       CHECK (delivery IN ('', 'pickup', 'hotel', 'shipping')),
    address        text        NOT NULL DEFAULT '',
    occasion       text        NOT NULL DEFAULT '',
    recipient      text        NOT NULL DEFAULT '',
    country        text        NOT NULL DEFAULT '',
    needed_by      date,
    notes          text        NOT NULL DEFAULT '',
    total_fen      bigint      NOT NULL CHECK (total_fen >= 0),
    -- The checkout token makes placing an order idempotent: a double tap,
    -- a redelivered update or a retried request finds the first order.
    checkout_token text        NOT NULL UNIQUE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer_idx ON orders (customer_id, created_at DESC);
CREATE INDEX orders_open_idx ON orders (status, created_at)
    WHERE status IN ('placed', 'confirmed', 'ready');
CREATE INDEX orders_created_idx ON orders (created_at);

-- Lines snapshot what was sold: sku, names, unit and price at the time.
CREATE TABLE order_lines (
    id             bigserial PRIMARY KEY,
    order_id       bigint      NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id     bigint      NOT NULL REFERENCES products (id),
    village_id     bigint      NOT NULL REFERENCES villages (id),
    sku            text        NOT NULL,
    product_names  jsonb       NOT NULL DEFAULT '{}',
    units          jsonb       NOT NULL DEFAULT '{}',
    unit_price_fen bigint      NOT NULL CHECK (unit_price_fen >= 0),
    quantity       integer     NOT NULL CHECK (quantity > 0),
    ready_at       timestamptz,
    UNIQUE (order_id, product_id)
);
CREATE INDEX order_lines_village_idx ON order_lines (village_id);
CREATE INDEX order_lines_product_idx ON order_lines (product_id);

-- Every status change: who, when, from and to.
CREATE TABLE order_events (
    id          bigserial PRIMARY KEY,
    order_id    bigint      NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_status text        NOT NULL DEFAULT '',
    to_status   text        NOT NULL,
    actor       text        NOT NULL,
    note        text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order_idx ON order_events (order_id, id);

-- Every change of stock is a row; for each product the sum of its deltas
-- equals products.stock. actor is 'cli', 'system', 'import' or
-- 'telegram:<id>'.
CREATE TABLE stock_ledger (
    id         bigserial PRIMARY KEY,
    product_id bigint      NOT NULL REFERENCES products (id),
    delta      integer     NOT NULL CHECK (delta <> 0),
    reason     text        NOT NULL CHECK (reason IN
                   ('initial', 'import', 'adjust', 'order', 'cancel', 'expire')),
    actor      text        NOT NULL,
    order_id   bigint      REFERENCES orders (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stock_ledger_product_idx ON stock_ledger (product_id);

-- Messages to send once a transaction has committed (new-order and
-- low-stock notices, status changes). A row is written in the same
-- transaction as its cause, so a crash after commit loses nothing; sending
-- marks it sent or records the failure, and gives up after a few attempts.
CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    chat_id    bigint      NOT NULL,
    kind       text        NOT NULL,
    payload    jsonb       NOT NULL DEFAULT '{}',
    attempts   integer     NOT NULL DEFAULT 0,
    last_error text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,
    failed_at  timestamptz
);
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE sent_at IS NULL AND failed_at IS NULL;

-- +goose Down
DROP TABLE outbox;
DROP TABLE stock_ledger;
DROP TABLE order_events;
DROP TABLE order_lines;
DROP TABLE orders;
DROP SEQUENCE order_number_seq;
DROP TABLE customers;
DROP TABLE staff_audit;
DROP TABLE staff;
DROP TABLE products;
DROP TABLE villages;
