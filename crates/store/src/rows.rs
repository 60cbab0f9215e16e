//! Rows as both backends return them, and their conversion to the model. Stored values are
//! re-validated on the way out: a row that no longer parses is an internal error, not a panic.

use chrono::{DateTime, Utc};
use latchkey_core::model::{
    Account, AccountId, DomainFields, Group, GroupId, Pat, PatId, PatRecord, ServiceAccount,
    ServiceAccountId, User, UserId,
};
use latchkey_core::names::{
    CallbackUrl, ClientId, Description, DisplayName, Email, GroupName, Login, Nic, TokenName,
};
use latchkey_core::secret::TokenHash;
use latchkey_core::{Error, Result};

pub(crate) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

pub(crate) fn time(us: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(us)
        .ok_or_else(|| Error::internal(format!("stored time {us} is out of range")))
}

pub(crate) fn corrupt(what: &str, e: Error) -> Error {
    Error::internal(format!("stored {what} is invalid: {e}"))
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AccountRow {
    pub id: i64,
    pub nic: String,
    pub email: String,
    pub operator: bool,
    pub created_at: i64,
    pub domain_name: Option<String>,
    pub description: String,
    pub enabled: bool,
}

impl TryFrom<AccountRow> for Account {
    type Error = Error;
    fn try_from(r: AccountRow) -> Result<Self> {
        Ok(Account {
            id: AccountId(r.id),
            nic: Nic::parse(&r.nic).map_err(|e| corrupt("nic", e))?,
            email: Email::parse(&r.email).map_err(|e| corrupt("email", e))?,
            operator: r.operator,
            created_at: time(r.created_at)?,
            domain: DomainFields {
                name: r
                    .domain_name
                    .as_deref()
                    .map(DisplayName::parse)
                    .transpose()
                    .map_err(|e| corrupt("domain name", e))?,
                description: Description::parse(&r.description)
                    .map_err(|e| corrupt("domain description", e))?,
                enabled: r.enabled,
            },
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct GroupRow {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub role: String,
    pub description: String,
    pub default_group: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TryFrom<GroupRow> for Group {
    type Error = Error;
    fn try_from(r: GroupRow) -> Result<Self> {
        Ok(Group {
            id: GroupId(r.id),
            account_id: AccountId(r.account_id),
            name: GroupName::parse(&r.name).map_err(|e| corrupt("group name", e))?,
            role: r.role.parse().map_err(|e| corrupt("role", e))?,
            description: Description::parse(&r.description)
                .map_err(|e| corrupt("description", e))?,
            default_group: r.default_group,
            created_at: time(r.created_at)?,
            updated_at: time(r.updated_at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct UserRow {
    pub id: i64,
    pub account_id: i64,
    pub login: String,
    pub email: String,
    pub group_name: String,
    pub group_role: String,
    pub description: String,
    pub status: String,
    pub kind: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub password_updated_at: i64,
    pub password_hash: String,
}

impl UserRow {
    pub(crate) fn into_user(self) -> Result<(User, String)> {
        let user = User {
            id: UserId(self.id),
            account_id: AccountId(self.account_id),
            login: Login::parse(&self.login).map_err(|e| corrupt("login", e))?,
            email: Email::parse(&self.email).map_err(|e| corrupt("email", e))?,
            group: GroupName::parse(&self.group_name).map_err(|e| corrupt("group name", e))?,
            group_role: self.group_role.parse().map_err(|e| corrupt("role", e))?,
            description: Description::parse(&self.description)
                .map_err(|e| corrupt("description", e))?,
            status: self.status.parse().map_err(|e| corrupt("status", e))?,
            kind: self.kind.parse().map_err(|e| corrupt("user type", e))?,
            created_at: time(self.created_at)?,
            updated_at: time(self.updated_at)?,
            password_updated_at: time(self.password_updated_at)?,
        };
        Ok((user, self.password_hash))
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PatRow {
    pub id: i64,
    pub user_id: i64,
    pub account_id: i64,
    pub name: String,
    pub description: String,
    pub secret_hash: Vec<u8>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used: Option<i64>,
}

impl TryFrom<PatRow> for PatRecord {
    type Error = Error;
    fn try_from(r: PatRow) -> Result<Self> {
        Ok(PatRecord {
            pat: Pat {
                id: PatId(r.id),
                user_id: UserId(r.user_id),
                name: TokenName::parse(&r.name).map_err(|e| corrupt("token name", e))?,
                description: Description::parse(&r.description)
                    .map_err(|e| corrupt("description", e))?,
                created_at: time(r.created_at)?,
                expires_at: r.expires_at.map(time).transpose()?,
                last_used: r.last_used.map(time).transpose()?,
            },
            account_id: AccountId(r.account_id),
            hash: TokenHash::from_slice(&r.secret_hash)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ServiceAccountRow {
    pub id: i64,
    pub account_id: i64,
    pub client_id: String,
    pub name: String,
    pub description: String,
    pub flow: String,
    pub callback_urls: String,
    pub secret_hash: Vec<u8>,
    pub created_at: i64,
}

/// Callback URLs as stored: one per line.
pub(crate) fn join_urls(urls: &[CallbackUrl]) -> String {
    urls.iter()
        .map(CallbackUrl::as_str)
        .collect::<Vec<_>>()
        .join("\n")
}

impl ServiceAccountRow {
    pub(crate) fn into_parts(self) -> Result<(ServiceAccount, TokenHash)> {
        let callback_urls = self
            .callback_urls
            .lines()
            .map(|u| CallbackUrl::parse(u).map_err(|e| corrupt("callback URL", e)))
            .collect::<Result<_>>()?;
        let sa = ServiceAccount {
            id: ServiceAccountId(self.id),
            account_id: AccountId(self.account_id),
            client_id: ClientId::parse(&self.client_id).map_err(|e| corrupt("client id", e))?,
            name: DisplayName::parse(&self.name).map_err(|e| corrupt("name", e))?,
            description: Description::parse(&self.description)
                .map_err(|e| corrupt("description", e))?,
            flow: self.flow.parse().map_err(|e| corrupt("flow", e))?,
            callback_urls,
            created_at: time(self.created_at)?,
        };
        Ok((sa, TokenHash::from_slice(&self.secret_hash)?))
    }
}

/// Which constraint a database error broke, if it broke one.
enum Violation {
    Unique,
    ForeignKey,
}

fn violation(e: &sqlx::Error) -> Option<Violation> {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => Some(Violation::Unique),
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => Some(Violation::ForeignKey),
        _ => None,
    }
}

/// For a write that makes a row with a unique name or id: a unique violation is a conflict,
/// `taken` naming what is already there; a foreign-key violation means the row refers to
/// something missing. Anything else is internal.
pub(crate) fn taken(taken: impl FnOnce() -> String) -> impl FnOnce(sqlx::Error) -> Error {
    move |e| match violation(&e) {
        Some(Violation::Unique) => Error::Conflict(taken()),
        Some(Violation::ForeignKey) => {
            Error::NotFound("the row refers to something that does not exist".to_owned())
        }
        None => internal(e),
    }
}

/// For a write that refers to other rows: a foreign-key violation means one of them does not
/// exist, `missing` naming it (404, not a conflict); a unique violation is a conflict.
pub(crate) fn missing(missing: impl FnOnce() -> String) -> impl FnOnce(sqlx::Error) -> Error {
    move |e| match violation(&e) {
        Some(Violation::ForeignKey) => Error::NotFound(missing()),
        Some(Violation::Unique) => Error::Conflict("it already exists".to_owned()),
        None => internal(e),
    }
}

/// For a delete of a row others refer to: a foreign-key violation is a conflict, `in_use`
/// saying what still uses it.
pub(crate) fn in_use(in_use: impl FnOnce() -> String) -> impl FnOnce(sqlx::Error) -> Error {
    move |e| match violation(&e) {
        Some(_) => Error::Conflict(in_use()),
        None => internal(e),
    }
}

/// Any other database error: unavailable when the database could not be reached (503, retry),
/// internal otherwise.
pub(crate) fn internal(e: sqlx::Error) -> Error {
    if crate::health::is_unreachable(&e) {
        tracing::debug!(error = %e, "the database could not be reached");
        Error::unavailable()
    } else {
        Error::internal(e)
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct KeyRow {
    pub kid: String,
    pub state: String,
    pub sealed_private: Vec<u8>,
    pub public_key: Vec<u8>,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub verify_until: Option<i64>,
}

impl TryFrom<KeyRow> for latchkey_core::keys::StoredKey {
    type Error = Error;
    fn try_from(r: KeyRow) -> Result<Self> {
        Ok(Self {
            kid: r.kid,
            state: r.state.parse()?,
            sealed_private: r.sealed_private,
            public: r.public_key,
            created_at: time(r.created_at)?,
            activated_at: r.activated_at.map(time).transpose()?,
            verify_until: r.verify_until.map(time).transpose()?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PolicyRow {
    pub id: String,
    pub account_id: i64,
    pub name: String,
    pub description: String,
    pub rules: String,
    pub expired_at: Option<i64>,
    pub read_only: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TryFrom<PolicyRow> for latchkey_core::policy::Policy {
    type Error = Error;
    fn try_from(r: PolicyRow) -> Result<Self> {
        let rules = latchkey_core::policy::RulesDocument::parse(&r.rules)
            .map_err(|e| corrupt("policy rules", e))?;
        Ok(Self {
            id: r.id.parse().map_err(|e| corrupt("policy id", e))?,
            account_id: AccountId(r.account_id),
            name: latchkey_core::names::PolicyName::parse(&r.name)
                .map_err(|e| corrupt("policy name", e))?,
            description: Description::parse(&r.description)
                .map_err(|e| corrupt("description", e))?,
            identities: rules.identities,
            resources: rules.resources,
            permissions: rules.permissions,
            conditions: rules.conditions,
            permissions_groups: rules.permissions_groups,
            expired_at: r.expired_at.map(time).transpose()?,
            read_only: r.read_only,
            created_at: time(r.created_at)?,
            updated_at: time(r.updated_at)?,
        })
    }
}

/// `NotFound` (with `what`) when a change touched no row.
pub(crate) fn affected(rows: u64, what: impl FnOnce() -> String) -> Result<()> {
    if rows == 0 {
        Err(Error::NotFound(what()))
    } else {
        Ok(())
    }
}

pub(crate) fn description_of(s: &str) -> Result<Description> {
    Description::parse(s).map_err(|e| corrupt("description", e))
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ProjectRow {
    pub id: String,
    pub account_id: i64,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub created_at: i64,
    pub parent_id: Option<String>,
    pub tags: String,
}

impl TryFrom<ProjectRow> for latchkey_core::keystone::Project {
    type Error = Error;
    fn try_from(r: ProjectRow) -> Result<Self> {
        Ok(Self {
            id: r.id,
            account_id: AccountId(r.account_id),
            name: DisplayName::parse(&r.name).map_err(|e| corrupt("project name", e))?,
            description: description_of(&r.description)?,
            enabled: r.enabled,
            created_at: time(r.created_at)?,
            parent_id: r.parent_id,
            tags: serde_json::from_str(&r.tags)
                .map_err(|e| Error::internal(format!("stored project tags are invalid: {e}")))?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct RoleRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub domain_id: Option<String>,
}

impl TryFrom<RoleRow> for latchkey_core::keystone::KsRole {
    type Error = Error;
    fn try_from(r: RoleRow) -> Result<Self> {
        Ok(Self {
            id: r.id,
            name: DisplayName::parse(&r.name).map_err(|e| corrupt("role name", e))?,
            description: description_of(&r.description)?,
            domain_id: r.domain_id,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct RevocationRow {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub account_id: Option<i64>,
    pub identity: Option<String>,
    pub at: i64,
}

impl RevocationRow {
    pub(crate) fn into_event(self) -> Result<latchkey_core::store::RevocationEvent> {
        Ok(latchkey_core::store::RevocationEvent {
            id: self.id,
            kind: self.kind,
            subject: self.subject,
            account: self.account_id.map(AccountId),
            identity: self.identity,
            at: time(self.at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AppCredentialRow {
    pub id: String,
    pub user_id: i64,
    pub name: String,
    pub secret_hash: Vec<u8>,
    pub body: String,
    pub created_at: i64,
}

impl TryFrom<AppCredentialRow> for latchkey_core::keystone::StoredAppCredential {
    type Error = Error;
    fn try_from(r: AppCredentialRow) -> Result<Self> {
        let hash: [u8; 32] = r
            .secret_hash
            .try_into()
            .map_err(|_| Error::internal("a stored application credential hash is not 32 bytes"))?;
        Ok(Self {
            id: r.id,
            user_id: UserId(r.user_id),
            name: r.name,
            secret_hash: TokenHash(hash),
            body: r.body,
            created_at: time(r.created_at)?,
        })
    }
}
