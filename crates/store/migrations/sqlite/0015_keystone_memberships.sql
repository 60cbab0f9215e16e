-- Keystone group memberships beside a user's IAM group (users.group_id, the one /1.0 shows):
-- a user may be a member of any number of groups, of any domain. They go with the group or the
-- user.
CREATE TABLE ks_memberships (
    group_id  BIGINT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX ks_memberships_user ON ks_memberships (user_id);
