-- +goose Up
-- How and when to pay, per delivery and language, as the office wrote it
-- with /paytext. A delivery and language without a row use the default of
-- the message catalogue.
CREATE TABLE payment_texts (
    delivery   text        NOT NULL CHECK (delivery IN ('pickup', 'hotel', 'shipping')),
    language   text        NOT NULL CHECK (language ~ '^[a-z]{2,8}$'),
    text       text        NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
    updated_by text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (delivery, language)
);

-- +goose Down
DROP TABLE payment_texts;
