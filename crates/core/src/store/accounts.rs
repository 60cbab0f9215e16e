//! Accounts (Keystone's domains).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;
use crate::model::{Account, AccountId, DomainFields};
use crate::names::{Email, Login, Nic};

/// A new account with its default groups and its ROOT user, created in one transaction.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub nic: Nic,
    pub email: Email,
    pub operator: bool,
    /// The account as a Keystone domain.
    pub domain: DomainFields,
    pub root_login: Login,
    pub root_password_hash: String,
    pub now: DateTime<Utc>,
}

#[async_trait]
pub trait AccountReads: Send + Sync {
    async fn account(&self, id: AccountId) -> Result<Option<Account>>;
    async fn account_by_nic(&self, nic: &Nic) -> Result<Option<Account>>;
    async fn list_accounts(&self) -> Result<Vec<Account>>;
    /// The highest `N` of the generated nics (`lkN-lk`, digits only) ever given, deleted
    /// accounts' included; 0 when none was. One query, whatever the number of accounts.
    async fn highest_generated_nic(&self) -> Result<u64>;
    /// The bootstrap account, if the store has been bootstrapped.
    async fn operator_account(&self) -> Result<Option<Account>>;
}

#[async_trait]
pub trait AccountWrites: Send {
    async fn create_account(&mut self, new: NewAccount) -> Result<Account>;
    /// Sets what Keystone shows of the account; `Conflict` when another domain has the name.
    async fn update_domain(&mut self, id: AccountId, domain: &DomainFields) -> Result<Account>;
    /// Deletes a tenant account and everything in it (never the operator's).
    async fn delete_account(&mut self, id: AccountId) -> Result<()>;
}
