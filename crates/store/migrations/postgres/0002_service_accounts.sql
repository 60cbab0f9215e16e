-- Service accounts: OAuth2 clients owned by an account. Only the secret's keyed hash is kept.
-- callback_urls holds the URLs separated by newlines (a URL never contains whitespace).

CREATE TABLE service_accounts (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id     BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id      TEXT   NOT NULL UNIQUE,
    name           TEXT   NOT NULL,
    description    TEXT   NOT NULL,
    flow           TEXT   NOT NULL,
    callback_urls  TEXT   NOT NULL,
    secret_hash    BYTEA  NOT NULL UNIQUE,
    created_at     BIGINT NOT NULL
);
CREATE INDEX service_accounts_account ON service_accounts (account_id);
