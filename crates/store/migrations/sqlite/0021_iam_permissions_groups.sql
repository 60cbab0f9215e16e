-- Permissions groups: named sets of permissions (allow, except, deny as one JSON document)
-- that an account's policies add to their own by URN. The installation's managed groups are
-- not stored.

CREATE TABLE iam_permissions_groups (
    id           TEXT    PRIMARY KEY,
    account_id   BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL,
    permissions  TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    UNIQUE (account_id, name)
);
