-- Accounts, groups, local users and personal access tokens.
-- Times are microseconds since the Unix epoch (UTC).

CREATE TABLE accounts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    nic         TEXT    NOT NULL UNIQUE,
    email       TEXT    NOT NULL,
    operator    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT  NOT NULL
);
CREATE UNIQUE INDEX accounts_single_operator ON accounts (operator) WHERE operator;

CREATE TABLE user_groups (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id     BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    description    TEXT    NOT NULL,
    default_group  BOOLEAN NOT NULL,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE users (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id           BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    login                TEXT   NOT NULL,
    email                TEXT   NOT NULL,
    group_id             BIGINT NOT NULL REFERENCES user_groups (id) ON DELETE RESTRICT,
    description          TEXT   NOT NULL,
    password_hash        TEXT   NOT NULL,
    status               TEXT   NOT NULL,
    kind                 TEXT   NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    password_updated_at  BIGINT NOT NULL,
    UNIQUE (account_id, login)
);
CREATE INDEX users_group ON users (group_id);

CREATE TABLE pats (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT   NOT NULL,
    description  TEXT   NOT NULL,
    secret_hash  BLOB   NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used    BIGINT,
    UNIQUE (user_id, name)
);
