//! The permissions groups accounts make (the installation's managed ones are not stored).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;
use crate::model::AccountId;
use crate::policy::permissions_group::{
    PermissionsGroup, PermissionsGroupDraft, PermissionsGroupName,
};

#[async_trait]
pub trait PermissionsGroupReads: Send + Sync {
    async fn permissions_group(
        &self,
        account: AccountId,
        name: &PermissionsGroupName,
    ) -> Result<Option<PermissionsGroup>>;
    /// The account's groups, oldest first.
    async fn list_permissions_groups(&self, account: AccountId) -> Result<Vec<PermissionsGroup>>;
    /// Every account's groups, to build the policy indexes at start.
    async fn all_permissions_groups(&self) -> Result<Vec<PermissionsGroup>>;
}

#[async_trait]
pub trait PermissionsGroupWrites: Send {
    /// Creates a group of the account; `Conflict` when it has one of that name.
    async fn create_permissions_group(
        &mut self,
        group: &PermissionsGroup,
    ) -> Result<PermissionsGroup>;
    /// Replaces a group's content (its name too); `NotFound` when the account has no group
    /// named `name`, `Conflict` when the new name is another's.
    async fn replace_permissions_group(
        &mut self,
        account: AccountId,
        name: &PermissionsGroupName,
        draft: &PermissionsGroupDraft,
        now: DateTime<Utc>,
    ) -> Result<PermissionsGroup>;
    /// Deletes a group and returns what it was.
    async fn delete_permissions_group(
        &mut self,
        account: AccountId,
        name: &PermissionsGroupName,
    ) -> Result<PermissionsGroup>;
}
