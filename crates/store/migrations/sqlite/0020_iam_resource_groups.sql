-- Resource groups: sets of an account's registered resources that policies name by one URN.
-- A member goes with its resource.

CREATE TABLE iam_resource_groups (
    id          TEXT    PRIMARY KEY,
    account_id  BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    read_only   BOOLEAN NOT NULL,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE iam_resource_group_members (
    group_id     TEXT    NOT NULL REFERENCES iam_resource_groups (id) ON DELETE CASCADE,
    resource_id  TEXT    NOT NULL REFERENCES iam_resources (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    PRIMARY KEY (group_id, resource_id)
);

CREATE INDEX iam_resource_group_members_by_resource ON iam_resource_group_members (resource_id);
