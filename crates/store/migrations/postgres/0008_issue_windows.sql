-- Keystone token creations per identity per fixed window, counted in the store so that the limit
-- holds across the nodes that share it. Windows past their end are pruned.

CREATE TABLE ks_issue_windows (
    identity      TEXT    NOT NULL,
    window_start  BIGINT  NOT NULL,
    count         INTEGER NOT NULL,
    PRIMARY KEY (identity, window_start)
);
