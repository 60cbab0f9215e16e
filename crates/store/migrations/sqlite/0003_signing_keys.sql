-- Signing keys of short-lived tokens. At most one STAGED and one PRIMARY at a time; private keys
-- are sealed (AES-256-GCM) under a key derived from the server's hash key.

CREATE TABLE signing_keys (
    kid             TEXT   PRIMARY KEY,
    state           TEXT   NOT NULL,
    sealed_private  BLOB   NOT NULL,
    public_key      BLOB   NOT NULL,
    created_at      BIGINT NOT NULL,
    activated_at    BIGINT,
    verify_until    BIGINT
);
CREATE UNIQUE INDEX signing_keys_one_primary ON signing_keys (state) WHERE state = 'PRIMARY';
CREATE UNIQUE INDEX signing_keys_one_staged ON signing_keys (state) WHERE state = 'STAGED';
