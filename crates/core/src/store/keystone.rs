//! Keystone's per-account data: projects, role assignments, memberships, what Keystone keeps of
//! a user, application credentials and access rules, and the token-issue windows.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;
use crate::keystone::{
    AccessRule, Actor, Assignment, Membership, Project, StoredAppCredential, UserAttributes,
};
use crate::model::{AccountId, Group, GroupId, UserId};

#[async_trait]
pub trait KeystoneReads: Send + Sync {
    async fn projects(&self, account: AccountId) -> Result<Vec<Project>>;
    /// The account a project belongs to (Keystone ids are global).
    async fn project_account(&self, id: &str) -> Result<Option<AccountId>>;
    async fn assignments(&self, account: AccountId) -> Result<Vec<Assignment>>;
    /// The accounts holding a grant to `actor`.
    async fn accounts_granting(&self, actor: &Actor) -> Result<Vec<AccountId>>;
    /// The Keystone memberships in an account's groups.
    async fn memberships_in(&self, account: AccountId) -> Result<Vec<Membership>>;
    /// The groups, of any account, a user is a Keystone member of.
    async fn memberships_of(&self, user: UserId) -> Result<Vec<Group>>;
    /// What Keystone keeps of a user beyond the local user; empty when nothing was set.
    async fn user_attributes(&self, user: UserId) -> Result<UserAttributes>;
    async fn app_credential(&self, id: &str) -> Result<Option<StoredAppCredential>>;
    /// A user's application credentials, oldest first.
    async fn app_credentials(&self, user: UserId) -> Result<Vec<StoredAppCredential>>;
    async fn access_rules(&self, user: UserId) -> Result<Vec<AccessRule>>;
    /// Counts one token creation by `identity` in the window starting at `window_start`,
    /// unless `limit` were already counted there: `Ok(true)` when counted, `Ok(false)` when the
    /// limit is reached. One atomic statement, so nodes sharing the store share the limit.
    /// Bookkeeping, not a change: no record.
    async fn count_token_issue(
        &self,
        identity: &str,
        window_start: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool>;
    /// Forgets issue windows that started before `before`.
    async fn prune_token_issues(&self, before: DateTime<Utc>) -> Result<()>;
}

#[async_trait]
pub trait KeystoneWrites: Send {
    /// `Conflict` when the account has a project of that name.
    async fn create_project(&mut self, project: &Project) -> Result<()>;
    /// Replaces a project's name, description and enabled flag; `NotFound`, `Conflict`.
    async fn update_project(&mut self, project: &Project) -> Result<()>;
    /// Deletes a project and the roles granted on it.
    async fn delete_project(&mut self, account: AccountId, id: &str) -> Result<()>;
    /// Grants a role (idempotent).
    async fn grant_role(&mut self, account: AccountId, assignment: &Assignment) -> Result<()>;
    /// `NotFound` when the role was not granted.
    async fn revoke_role(&mut self, account: AccountId, assignment: &Assignment) -> Result<()>;
    /// Removes every grant held by an actor (deleted user, group or service account): in
    /// `account`, and for a user in every account (its grants may be on other domains).
    async fn revoke_actor_roles(&mut self, account: AccountId, actor: &Actor) -> Result<()>;
    /// Adds a Keystone group membership beside the user's IAM group (idempotent).
    async fn add_membership(&mut self, group: GroupId, user: UserId) -> Result<()>;
    /// Whether there was such a membership to remove.
    async fn remove_membership(&mut self, group: GroupId, user: UserId) -> Result<bool>;
    async fn set_user_attributes(
        &mut self,
        user: UserId,
        attributes: &UserAttributes,
    ) -> Result<()>;
    /// Stores a user's application credential with the access rules it adds. `Conflict` when
    /// the user has one of that name.
    async fn create_app_credential(
        &mut self,
        credential: &StoredAppCredential,
        new_rules: &[AccessRule],
    ) -> Result<()>;
    /// `NotFound` when the user has no such credential.
    async fn delete_app_credential(&mut self, user: UserId, id: &str) -> Result<()>;
    /// `NotFound` when the user has no such rule.
    async fn delete_access_rule(&mut self, user: UserId, id: &str) -> Result<()>;
}
