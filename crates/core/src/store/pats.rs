//! Personal access tokens.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;
use crate::model::{Pat, PatId, PatRecord, UserId};
use crate::names::{Description, TokenName};
use crate::secret::TokenHash;

#[derive(Debug, Clone)]
pub struct NewPat {
    pub name: TokenName,
    pub description: Description,
    pub hash: TokenHash,
    pub expires_at: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

/// Fields of a PAT that can change; `None` leaves a field as it is
/// (`Some(None)` for `expires_at` means "never expires").
#[derive(Debug, Clone, Default)]
pub struct PatChanges {
    pub description: Option<Description>,
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

#[async_trait]
pub trait PatReads: Send + Sync {
    async fn pat(&self, user: UserId, name: &TokenName) -> Result<Option<Pat>>;
    async fn list_pats(&self, user: UserId) -> Result<Vec<TokenName>>;
    /// Every token of a user, by name, in one read.
    async fn pats_of(&self, user: UserId) -> Result<Vec<Pat>>;
    async fn pat_by_hash(&self, hash: &TokenHash) -> Result<Option<PatRecord>>;
    /// Records when tokens were last used (kept if an earlier time is given). Bookkeeping, not
    /// a change: no record.
    async fn record_pat_usage(&self, uses: &[(PatId, DateTime<Utc>)]) -> Result<()>;
}

#[async_trait]
pub trait PatWrites: Send {
    async fn create_pat(&mut self, user: UserId, new: NewPat) -> Result<Pat>;
    async fn update_pat(
        &mut self,
        user: UserId,
        name: &TokenName,
        changes: PatChanges,
    ) -> Result<PatRecord>;
    /// Deletes the token and returns what it was (its hash ends it on every node).
    async fn delete_pat(&mut self, user: UserId, name: &TokenName) -> Result<PatRecord>;
}
