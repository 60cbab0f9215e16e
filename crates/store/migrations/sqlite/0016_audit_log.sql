-- The audit log: one row per change or failed authentication, written in the transaction of the
-- change. Repeated failures share a row (coalesce_key, count, last_at).
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL CHECK (kind <> ''),
    account_id   BIGINT,
    author_type  TEXT,
    author_user  TEXT,
    identity     TEXT,
    credential   TEXT,
    ip           TEXT,
    request_id   TEXT    CHECK (length(request_id) <= 256),
    user_agent   TEXT    CHECK (length(user_agent) <= 1024),
    details      TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    last_at      BIGINT  NOT NULL,
    count        BIGINT  NOT NULL DEFAULT 1,
    coalesce_key TEXT
);
CREATE INDEX audit_log_account ON audit_log (account_id, id);
CREATE INDEX audit_log_last_at ON audit_log (last_at);
CREATE INDEX audit_log_coalesce ON audit_log (coalesce_key, id) WHERE coalesce_key IS NOT NULL;

-- An event names one subject: a bounded one.
CREATE TRIGGER revocation_events_subject_length BEFORE INSERT ON revocation_events
WHEN length(NEW.subject) > 1024
BEGIN
    SELECT RAISE(ABORT, 'revocation event subject longer than 1024 characters');
END;
