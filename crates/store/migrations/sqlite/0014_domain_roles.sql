-- Domain-specific roles: a role of one domain (its Keystone domain id) rather than global. Such
-- a role is granted within its domain and never appears in a token; the global roles it
-- implies do. Role names stay unique across the installation.
ALTER TABLE ks_roles ADD COLUMN domain_id TEXT;
