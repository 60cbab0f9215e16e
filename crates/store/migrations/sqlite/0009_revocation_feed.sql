-- The revocation feed for guards: each event names the account it belongs to (a guard reads its
-- own account's events; the operator's reads all) and, when it ends an identity's credentials,
-- that identity's URN. Events of the catalog belong to no account.
ALTER TABLE revocation_events ADD COLUMN account_id BIGINT;
ALTER TABLE revocation_events ADD COLUMN identity TEXT;
CREATE INDEX revocation_events_account ON revocation_events (account_id, id);
