-- What Keystone keeps of a user beyond the local user: its default project (an unscoped
-- password token is scoped there when the user holds a role on it) and the extra attributes a
-- client set (a JSON object), returned as Keystone returns them.
CREATE TABLE ks_user_attributes (
    user_id             BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    default_project_id  TEXT,
    extra               TEXT NOT NULL
);
