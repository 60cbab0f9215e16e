//! IAM resources product back ends register, and the actions they declare.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;
use crate::model::AccountId;
use crate::resource::{DeclaredAction, Resource, ResourceGroup, ResourceGroupId, Tags};

#[async_trait]
pub trait ResourceReads: Send + Sync {
    /// The registered resource a URN names, whichever account it belongs to.
    async fn resource_by_urn(&self, urn: &str) -> Result<Option<Resource>>;
    /// The account's registered resources, oldest first.
    async fn list_resources(&self, account: AccountId) -> Result<Vec<Resource>>;
    /// Every registered resource, to build the in-memory index at start.
    async fn all_resources(&self) -> Result<Vec<Resource>>;
    /// Every action product back ends declared, by name.
    async fn declared_actions(&self) -> Result<Vec<DeclaredAction>>;
    /// The distinct types of registered resources.
    async fn resource_types(&self) -> Result<Vec<String>>;
    async fn resource_group(
        &self,
        account: AccountId,
        id: ResourceGroupId,
    ) -> Result<Option<ResourceGroup>>;
    /// The account's resource groups, oldest first.
    async fn list_resource_groups(&self, account: AccountId) -> Result<Vec<ResourceGroup>>;
    /// Every resource group, to build the policy indexes at start.
    async fn all_resource_groups(&self) -> Result<Vec<ResourceGroup>>;
}

#[async_trait]
pub trait ResourceWrites: Send {
    /// Registers a resource; `Conflict` when its URN is taken.
    async fn create_resource(&mut self, resource: &Resource) -> Result<Resource>;
    /// Sets what a registration again may change (the display name) and returns the resource.
    async fn rename_resource(
        &mut self,
        urn: &str,
        display_name: &str,
        now: DateTime<Utc>,
    ) -> Result<Resource>;
    /// Replaces a resource's tags; `NotFound` when the account has no such resource.
    async fn set_resource_tags(
        &mut self,
        account: AccountId,
        urn: &str,
        tags: &Tags,
        now: DateTime<Utc>,
    ) -> Result<Resource>;
    /// Removes a registered resource and returns what it was.
    async fn delete_resource(&mut self, urn: &str) -> Result<Resource>;
    /// Creates a group; `Conflict` when the account has one of that name.
    async fn create_resource_group(&mut self, group: &ResourceGroup) -> Result<ResourceGroup>;
    /// Renames a group and sets its resources; `NotFound` when the account has no such group.
    async fn replace_resource_group(
        &mut self,
        account: AccountId,
        id: ResourceGroupId,
        name: &str,
        members: &[crate::resource::ResourceId],
        now: DateTime<Utc>,
    ) -> Result<ResourceGroup>;
    /// Deletes a group and returns what it was.
    async fn delete_resource_group(
        &mut self,
        account: AccountId,
        id: ResourceGroupId,
    ) -> Result<ResourceGroup>;
    /// Declares actions, replacing what an earlier declaration said of the same names.
    async fn declare_actions(
        &mut self,
        actions: &[DeclaredAction],
        now: DateTime<Utc>,
    ) -> Result<()>;
}
