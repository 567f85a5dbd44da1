-- +goose Up
-- When staff were reminded of a sale still placed shortly before the hold
-- cancels it; set in the statement that writes the reminders, so that a
-- sale is reminded of once, however often and from however many
-- processes the reminder runs.
ALTER TABLE orders ADD COLUMN reminded_at timestamptz;

-- +goose Down
ALTER TABLE orders DROP COLUMN reminded_at;
