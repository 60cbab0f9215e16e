//! Local users and groups.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;
use crate::model::{AccountId, Group, GroupId, Role, User, UserId, UserStatus, UserType};
use crate::names::{Description, Email, GroupName, Login};
use crate::secret::TokenHash;

#[derive(Debug, Clone)]
pub struct NewGroup {
    pub name: GroupName,
    pub role: Role,
    pub description: Description,
    pub now: DateTime<Utc>,
}

/// Fields of a group that can change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct GroupChanges {
    /// A new name (Keystone renames groups). The group's Keystone grants follow it.
    pub name: Option<GroupName>,
    pub role: Option<Role>,
    pub description: Option<Description>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub login: Login,
    pub email: Email,
    pub group: GroupName,
    pub description: Description,
    pub password_hash: String,
    pub status: UserStatus,
    pub kind: UserType,
    pub now: DateTime<Utc>,
}

/// Fields of a user that can change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    /// A new login (a rename): `Conflict` when the account has a user of that login.
    pub login: Option<Login>,
    pub email: Option<Email>,
    pub group: Option<GroupName>,
    pub description: Option<Description>,
    pub status: Option<UserStatus>,
    pub password_hash: Option<String>,
}

#[async_trait]
pub trait UserReads: Send + Sync {
    async fn group(&self, account: AccountId, name: &GroupName) -> Result<Option<Group>>;
    async fn list_groups(&self, account: AccountId) -> Result<Vec<GroupName>>;
    /// Every group of an account, by name, in one read.
    async fn groups_of(&self, account: AccountId) -> Result<Vec<Group>>;
    /// A group by its store key.
    async fn group_by_id(&self, account: AccountId, id: GroupId) -> Result<Option<Group>>;
    /// The account a group belongs to (Keystone ids are global).
    async fn group_account(&self, id: GroupId) -> Result<Option<AccountId>>;
    async fn user(&self, account: AccountId, login: &Login) -> Result<Option<User>>;
    async fn user_by_id(&self, id: UserId) -> Result<Option<User>>;
    /// The user and its password hash, for password authentication.
    async fn user_with_password(
        &self,
        account: AccountId,
        login: &Login,
    ) -> Result<Option<(User, String)>>;
    async fn list_users(&self, account: AccountId) -> Result<Vec<Login>>;
    /// One page of an account's users by login, those whose login contains `filter` (any
    /// case), and how many match in all.
    async fn users_page(&self, account: AccountId, page: &Page) -> Result<(Vec<User>, u64)>;
}

/// A page of a listing: rows whose name contains `filter` (any case), `limit` of them after
/// the first `offset`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    pub filter: String,
    pub offset: u64,
    pub limit: u32,
}

impl Page {
    /// `filter` as a `LIKE` pattern with `\` as its escape character.
    pub fn like_pattern(&self) -> String {
        let mut out = String::from("%");
        for c in self.filter.to_lowercase().chars() {
            if matches!(c, '%' | '_' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('%');
        out
    }
}

#[async_trait]
pub trait UserWrites: Send {
    async fn create_group(&mut self, account: AccountId, new: NewGroup) -> Result<Group>;
    async fn update_group(
        &mut self,
        account: AccountId,
        name: &GroupName,
        changes: GroupChanges,
        now: DateTime<Utc>,
    ) -> Result<Group>;
    /// Refused with `Conflict` while users belong to the group.
    async fn delete_group(&mut self, account: AccountId, name: &GroupName) -> Result<()>;
    /// `Invalid` if the group does not exist in the account.
    async fn create_user(&mut self, account: AccountId, new: NewUser) -> Result<User>;
    async fn update_user(
        &mut self,
        account: AccountId,
        login: &Login,
        changes: UserChanges,
        now: DateTime<Utc>,
    ) -> Result<User>;
    /// Deletes the user and its tokens; returns the hashes of the tokens removed.
    async fn delete_user(&mut self, account: AccountId, login: &Login) -> Result<Vec<TokenHash>>;
}
