-- +goose Up
-- Staff accounts without Telegram (SPEC §14): a staff member is a person
-- with a role, a sign-in name and an optional Telegram id. A person signs
-- in to the web console with a password they set on a one-time link; only
-- the link's SHA-256 is kept, and the password only as an argon2id hash.
ALTER TABLE staff DROP CONSTRAINT staff_pkey;
ALTER TABLE staff ADD COLUMN id bigserial PRIMARY KEY;
ALTER TABLE staff ALTER COLUMN telegram_id DROP NOT NULL;
ALTER TABLE staff ADD CONSTRAINT staff_telegram_id_key UNIQUE (telegram_id);
ALTER TABLE staff ADD COLUMN name text NOT NULL DEFAULT ''
    CHECK (name = '' OR name ~ '^[a-z0-9][a-z0-9._-]{0,31}$');
CREATE UNIQUE INDEX staff_name_idx ON staff (name) WHERE name <> '';
ALTER TABLE staff ADD COLUMN password_hash text NOT NULL DEFAULT '';
ALTER TABLE staff ADD COLUMN link_hash text NOT NULL DEFAULT '';
ALTER TABLE staff ADD COLUMN link_expires timestamptz;
-- Raised on every password change and on "sign out everywhere": a console
-- session remembers the generation it was made in.
ALTER TABLE staff ADD COLUMN generation integer NOT NULL DEFAULT 0;
ALTER TABLE staff ADD CONSTRAINT staff_reachable CHECK (telegram_id IS NOT NULL OR name <> '');
CREATE UNIQUE INDEX staff_link_idx ON staff (link_hash) WHERE link_hash <> '';

-- The audit names the account too; an account without Telegram has no
-- Telegram id to record.
ALTER TABLE staff_audit ALTER COLUMN telegram_id DROP NOT NULL;
ALTER TABLE staff_audit ADD COLUMN staff_id bigint;
ALTER TABLE staff_audit ADD COLUMN name text NOT NULL DEFAULT '';
ALTER TABLE staff_audit DROP CONSTRAINT staff_audit_action_check;
ALTER TABLE staff_audit ADD CONSTRAINT staff_audit_action_check
    CHECK (action IN ('grant', 'revoke', 'invite', 'link', 'password', 'signout'));

-- +goose Down
DELETE FROM staff_audit WHERE action NOT IN ('grant', 'revoke') OR telegram_id IS NULL;
ALTER TABLE staff_audit DROP CONSTRAINT staff_audit_action_check;
ALTER TABLE staff_audit ADD CONSTRAINT staff_audit_action_check CHECK (action IN ('grant', 'revoke'));
ALTER TABLE staff_audit DROP COLUMN name;
ALTER TABLE staff_audit DROP COLUMN staff_id;
ALTER TABLE staff_audit ALTER COLUMN telegram_id SET NOT NULL;
DELETE FROM staff WHERE telegram_id IS NULL;
DROP INDEX staff_link_idx;
ALTER TABLE staff DROP CONSTRAINT staff_reachable;
ALTER TABLE staff DROP COLUMN generation;
ALTER TABLE staff DROP COLUMN link_expires;
ALTER TABLE staff DROP COLUMN link_hash;
ALTER TABLE staff DROP COLUMN password_hash;
DROP INDEX staff_name_idx;
ALTER TABLE staff DROP COLUMN name;
ALTER TABLE staff DROP CONSTRAINT staff_telegram_id_key;
ALTER TABLE staff ALTER COLUMN telegram_id SET NOT NULL;
ALTER TABLE staff DROP CONSTRAINT staff_pkey;
ALTER TABLE staff DROP COLUMN id;
ALTER TABLE staff ADD PRIMARY KEY (telegram_id);
