//! Sessions of the web console. Only the keyed hash of a session id is stored.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;
use crate::model::{AccountId, UserId};
use crate::secret::TokenHash;

/// A console session as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    pub hash: TokenHash,
    pub account_id: AccountId,
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
    /// The end of its absolute lifetime.
    pub expires_at: DateTime<Utc>,
    /// The last request it served that was written to the store (at most a few seconds behind).
    pub last_seen: DateTime<Utc>,
}

#[async_trait]
pub trait SessionReads: Send + Sync {
    async fn session_by_hash(&self, hash: &TokenHash) -> Result<Option<ConsoleSession>>;
    /// Records when sessions last served a request (kept if an earlier time is given).
    /// Bookkeeping, not a change: no record.
    async fn record_session_activity(&self, seen: &[(TokenHash, DateTime<Utc>)]) -> Result<()>;
    /// Deletes the sessions whose absolute lifetime ended before `before`, or that have been
    /// idle since `idle_before`. Bookkeeping: they no longer authenticate anyway.
    async fn prune_sessions(
        &self,
        before: DateTime<Utc>,
        idle_before: DateTime<Utc>,
    ) -> Result<u64>;
}

#[async_trait]
pub trait SessionWrites: Send {
    async fn create_session(&mut self, session: &ConsoleSession) -> Result<()>;
    /// Deletes one session; `false` when it was already gone.
    async fn delete_session(&mut self, hash: &TokenHash) -> Result<bool>;
    /// Deletes every session of a user and returns their hashes.
    async fn delete_user_sessions(&mut self, user: UserId) -> Result<Vec<TokenHash>>;
}
