-- Revocation events: every change that must end a credential's use on every node (token deleted
-- or revoked, user disabled or changed, group role changed, service account deleted). Nodes read
-- the events after the last id they applied and invalidate their caches.
CREATE TABLE revocation_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind     TEXT   NOT NULL,
    subject  TEXT   NOT NULL,
    at       BIGINT NOT NULL
);
