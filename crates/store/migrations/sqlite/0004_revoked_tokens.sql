-- Access tokens revoked before their expiry (RFC 7009), kept until they would have expired.
CREATE TABLE revoked_tokens (
    jti         TEXT   PRIMARY KEY,
    expires_at  BIGINT NOT NULL
);
