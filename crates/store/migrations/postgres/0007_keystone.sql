-- The Keystone view: projects belong to an account (its domain); roles, their implications and
-- the catalog (regions, services, endpoints) are global; role assignments name an actor
-- (`user:{id}`, `group:{name}`, `client:{clientId}`) and a target (`project:{id}`, `domain`,
-- `system`) within one account.

CREATE TABLE ks_projects (
    id           TEXT    PRIMARY KEY,
    account_id   BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL,
    enabled      BOOLEAN NOT NULL,
    created_at   BIGINT  NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE ks_roles (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL
);

CREATE TABLE ks_implied_roles (
    prior_id    TEXT NOT NULL REFERENCES ks_roles (id) ON DELETE CASCADE,
    implied_id  TEXT NOT NULL REFERENCES ks_roles (id) ON DELETE CASCADE,
    PRIMARY KEY (prior_id, implied_id)
);

CREATE TABLE ks_assignments (
    account_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    actor       TEXT   NOT NULL,
    target      TEXT   NOT NULL,
    role_id     TEXT   NOT NULL REFERENCES ks_roles (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, actor, target, role_id)
);

CREATE TABLE ks_regions (
    id                TEXT PRIMARY KEY,
    description       TEXT NOT NULL,
    parent_region_id  TEXT REFERENCES ks_regions (id)
);

CREATE TABLE ks_services (
    id           TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL,
    enabled      BOOLEAN NOT NULL
);

CREATE TABLE ks_endpoints (
    id          TEXT    PRIMARY KEY,
    service_id  TEXT    NOT NULL REFERENCES ks_services (id) ON DELETE CASCADE,
    region_id   TEXT    REFERENCES ks_regions (id),
    interface   TEXT    NOT NULL,
    url         TEXT    NOT NULL,
    enabled     BOOLEAN NOT NULL
);

-- One row once the Keystone bootstrap has been written: it runs once per store, however the
-- tables above change afterwards.
CREATE TABLE ks_bootstrap (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    at  BIGINT  NOT NULL
);
