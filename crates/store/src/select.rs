//! The column lists of the rows both backends read.

pub(crate) const USER_SELECT: &str = "SELECT u.id, u.account_id, u.login, u.email, \
    g.name AS group_name, g.role AS group_role, u.description, u.status, u.kind, u.created_at, \
    u.updated_at, u.password_updated_at, u.password_hash \
    FROM users u JOIN user_groups g ON g.id = u.group_id";

/// Live accounts (not deleted); callers add `AND …` conditions.
pub(crate) const ACCOUNT_SELECT: &str = "SELECT id, nic, email, operator, created_at, \
    domain_name, description, enabled FROM accounts WHERE NOT deleted";

pub(crate) const GROUP_SELECT: &str = "SELECT id, account_id, name, role, description, \
    default_group, created_at, updated_at FROM user_groups";

pub(crate) const SERVICE_ACCOUNT_SELECT: &str = "SELECT id, account_id, client_id, name, \
    description, flow, callback_urls, secret_hash, created_at FROM service_accounts";

pub(crate) const POLICY_SELECT: &str = "SELECT id, account_id, name, description, rules, \
    expired_at, read_only, created_at, updated_at FROM policies";

pub(crate) const PAT_SELECT: &str = "SELECT p.id, p.user_id, u.account_id, p.name, p.description, \
    p.secret_hash, p.created_at, p.expires_at, p.last_used \
    FROM pats p JOIN users u ON u.id = p.user_id";
