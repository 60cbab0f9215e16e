-- IAM access policies. The patterns (identities, resources, allow/except/deny actions) are kept
-- as one JSON document: they are only ever read whole, to build the account's policy index.

CREATE TABLE policies (
    id           TEXT    PRIMARY KEY,
    account_id   BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL,
    rules        TEXT    NOT NULL,
    expired_at   BIGINT,
    read_only    BOOLEAN NOT NULL,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    UNIQUE (account_id, name)
);
