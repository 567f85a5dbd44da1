-- +goose Up
-- Whether an office member is told of every new order (/alerts on|off).
-- Coordinators are always told of their village's orders, and an order of
-- a village without a coordinator reaches every office member whatever
-- this says, so that no order reaches nobody.
ALTER TABLE staff ADD COLUMN alerts boolean NOT NULL DEFAULT true;

-- +goose Down
ALTER TABLE staff DROP COLUMN alerts;
