//! Change events: what a change invalidates, for the other nodes and the guards (revocation
//! events), and the access tokens revoked before their expiry.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;
use crate::model::AccountId;

/// What a revocation event invalidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationKind {
    /// A PAT (subject: its keyed hash, hex).
    Pat,
    /// A local user's state or group (subject: the user id).
    User,
    /// A group's role (subject: `{account id}/{group name}`).
    Group,
    /// A service account (subject: its client id).
    Client,
    /// One access token (subject: its `jti`).
    AccessToken,
    /// An account's policies changed (subject: the account id).
    Policies,
    /// An account's registered resources changed: registered, removed, tagged (subject: the
    /// account id).
    Resources,
    /// Keystone data changed: an account's projects or role assignments (subject: the account
    /// id), or the roles and the catalog (subject: `catalog`).
    Keystone,
    /// A console session ended (subject: its keyed hash, hex).
    Session,
}

impl RevocationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationKind::Pat => "pat",
            RevocationKind::User => "user",
            RevocationKind::Group => "group",
            RevocationKind::Client => "client",
            RevocationKind::AccessToken => "token",
            RevocationKind::Policies => "policies",
            RevocationKind::Resources => "resources",
            RevocationKind::Keystone => "keystone",
            RevocationKind::Session => "session",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pat" => RevocationKind::Pat,
            "user" => RevocationKind::User,
            "group" => RevocationKind::Group,
            "client" => RevocationKind::Client,
            "token" => RevocationKind::AccessToken,
            "policies" => RevocationKind::Policies,
            "resources" => RevocationKind::Resources,
            "keystone" => RevocationKind::Keystone,
            "session" => RevocationKind::Session,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRevocation {
    pub kind: RevocationKind,
    pub subject: String,
    /// The account the event belongs to (`None` for the shared catalog).
    pub account: Option<AccountId>,
    /// The URN of the identity whose credentials the event ends or changes, if one.
    pub identity: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationEvent {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub account: Option<AccountId>,
    pub identity: Option<String>,
    pub at: DateTime<Utc>,
}

#[async_trait]
pub trait EventReads: Send + Sync {
    /// Events with an id above `after`, oldest first, at most `limit`.
    async fn revocations_since(&self, after: i64, limit: i64) -> Result<Vec<RevocationEvent>>;
    /// Events after `after` that belong to `account` or to no account (the shared catalog),
    /// oldest first, at most `limit`.
    async fn account_revocations_since(
        &self,
        account: AccountId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<RevocationEvent>>;
    /// The id of the newest event (0 when there is none).
    async fn last_revocation_id(&self) -> Result<i64>;
    /// Forgets events older than `before` (housekeeping).
    async fn prune_revocations(&self, before: DateTime<Utc>) -> Result<()>;
    /// Ids of revoked tokens not yet expired at `now`; forgets the expired ones.
    async fn revoked_tokens(&self, now: DateTime<Utc>) -> Result<Vec<String>>;
    /// Where several nodes share the store (PostgreSQL): the id of the newest event any node
    /// committed, pushed as each commit lands (`LISTEN/NOTIFY`), so a node applies other nodes'
    /// changes at once rather than at its next poll. A notification can be missed (a lost
    /// connection); the events stay in the store, and the poll catches up from its cursor.
    /// `None` for a store one node has alone (SQLite).
    async fn watch_commits(&self) -> Result<Option<tokio::sync::watch::Receiver<i64>>>;
}

#[async_trait]
pub trait EventWrites: Send {
    /// Records a revoked token id until the token would have expired anyway.
    async fn revoke_token(&mut self, jti: &str, expires_at: DateTime<Utc>) -> Result<()>;
}
