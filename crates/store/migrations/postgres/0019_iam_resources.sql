-- The resources product back ends register for an account (the account itself is not stored),
-- with their tags as one JSON object, and the actions back ends declare for their types.

CREATE TABLE iam_resources (
    id            TEXT    PRIMARY KEY,
    account_id    BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    urn           TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    type          TEXT    NOT NULL,
    tags          TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);

CREATE INDEX iam_resources_by_account ON iam_resources (account_id, created_at);

CREATE TABLE iam_declared_actions (
    action         TEXT    PRIMARY KEY,
    resource_type  TEXT    NOT NULL,
    description    TEXT    NOT NULL,
    categories     TEXT    NOT NULL,
    declared_at    BIGINT  NOT NULL
);
