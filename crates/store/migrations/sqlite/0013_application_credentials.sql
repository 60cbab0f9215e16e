-- Application credentials a user makes for itself (Keystone's): the secret only as a hash; the
-- rest (description, project, roles, expiry, restriction, access rule ids) as a JSON object.
CREATE TABLE ks_app_credentials (
    id           TEXT   PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT   NOT NULL,
    secret_hash  BLOB  NOT NULL,
    body         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (user_id, name)
);

-- The access rules a user's application credentials name; they outlive the credentials, as
-- Keystone's do, until the user deletes them.
CREATE TABLE ks_access_rules (
    id       TEXT   PRIMARY KEY,
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service  TEXT   NOT NULL,
    path     TEXT   NOT NULL,
    method   TEXT   NOT NULL,
    UNIQUE (user_id, service, path, method)
);
