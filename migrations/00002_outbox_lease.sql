-- +goose Up
-- A lease on an outbox row, so that several bot processes can send
-- notifications without sending one twice: a sender that claims a row owns
-- it until claimed_until; should it die before marking the row sent or
-- failed, the row is claimed again once the lease has run out. After a
-- failure worth retrying, claimed_until holds the row back until the next
-- attempt is due.
ALTER TABLE outbox ADD COLUMN claimed_until timestamptz;

-- +goose Down
ALTER TABLE outbox DROP COLUMN claimed_until;
