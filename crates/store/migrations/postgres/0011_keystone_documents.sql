-- Keystone resources Latchkey keeps and serves but does not act on: policy blobs, OAuth1
-- consumers (their secret only as a hash), endpoint groups. Each is a JSON document of its kind.
CREATE TABLE ks_documents (
    kind        TEXT   NOT NULL,
    id          TEXT   NOT NULL,
    body        TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
