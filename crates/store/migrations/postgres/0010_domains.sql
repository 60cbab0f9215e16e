-- An account is a Keystone domain: the name Keystone shows (the nic when none is set), a
-- description, and whether it is enabled (a disabled domain's identities cannot authenticate).
ALTER TABLE accounts ADD COLUMN domain_name TEXT;
ALTER TABLE accounts ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN enabled BOOLEAN NOT NULL DEFAULT TRUE;
-- A deleted account stays as a tombstone with its content gone: its nic (and so its URNs and
-- its Keystone domain id) is never given to another account.
ALTER TABLE accounts ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT FALSE;
CREATE UNIQUE INDEX accounts_domain_name ON accounts (domain_name);

-- Projects form a tree inside their domain (no parent: directly under the domain) and carry
-- Keystone's tags (a JSON array of strings).
ALTER TABLE ks_projects ADD COLUMN parent_id TEXT;
ALTER TABLE ks_projects ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
