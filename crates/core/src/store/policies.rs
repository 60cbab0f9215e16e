//! IAM policies.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;
use crate::model::AccountId;
use crate::policy::{Policy, PolicyDraft, PolicyId};

/// A new policy: its content, and whether the installation manages it.
#[derive(Debug, Clone)]
pub struct NewPolicy {
    pub id: PolicyId,
    pub draft: PolicyDraft,
    pub read_only: bool,
    pub now: DateTime<Utc>,
}

#[async_trait]
pub trait PolicyReads: Send + Sync {
    async fn policy(&self, account: AccountId, id: PolicyId) -> Result<Option<Policy>>;
    /// The account's policies, oldest first.
    async fn list_policies(&self, account: AccountId) -> Result<Vec<Policy>>;
    /// Every policy of every account, to build the indexes at start.
    async fn all_policies(&self) -> Result<Vec<Policy>>;
}

#[async_trait]
pub trait PolicyWrites: Send {
    /// Refused with `Conflict` when the account already has a policy of that name.
    async fn create_policy(&mut self, account: AccountId, new: NewPolicy) -> Result<Policy>;
    /// Replaces the content of a policy; `Conflict` when the new name is another's.
    async fn replace_policy(
        &mut self,
        account: AccountId,
        id: PolicyId,
        draft: PolicyDraft,
        now: DateTime<Utc>,
    ) -> Result<Policy>;
    /// Deletes a policy and returns what it was.
    async fn delete_policy(&mut self, account: AccountId, id: PolicyId) -> Result<Policy>;
}
