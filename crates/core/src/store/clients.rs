//! Service accounts (OAuth2 clients).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;
use crate::model::{AccountId, Flow, ServiceAccount};
use crate::names::{CallbackUrl, ClientId, Description, DisplayName};
use crate::secret::TokenHash;

#[derive(Debug, Clone)]
pub struct NewServiceAccount {
    pub client_id: ClientId,
    pub name: DisplayName,
    pub description: Description,
    pub flow: Flow,
    pub callback_urls: Vec<CallbackUrl>,
    pub secret_hash: TokenHash,
    pub now: DateTime<Utc>,
}

/// Fields of a service account that can change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ServiceAccountChanges {
    pub name: Option<DisplayName>,
    pub description: Option<Description>,
    pub callback_urls: Option<Vec<CallbackUrl>>,
}

#[async_trait]
pub trait ClientReads: Send + Sync {
    async fn service_account(
        &self,
        account: AccountId,
        client: &ClientId,
    ) -> Result<Option<ServiceAccount>>;
    async fn list_service_accounts(&self, account: AccountId) -> Result<Vec<ClientId>>;
    /// Every service account of an account with its fields, oldest first, in one read.
    async fn service_accounts_of(&self, account: AccountId) -> Result<Vec<ServiceAccount>>;
    /// A client and its secret hash, looked up by client id across accounts (client ids are
    /// globally unique), for client authentication.
    async fn service_account_credentials(
        &self,
        client: &ClientId,
    ) -> Result<Option<(ServiceAccount, TokenHash)>>;
}

#[async_trait]
pub trait ClientWrites: Send {
    /// `Conflict` if the client id or the secret hash is taken.
    async fn create_service_account(
        &mut self,
        account: AccountId,
        new: NewServiceAccount,
    ) -> Result<ServiceAccount>;
    async fn update_service_account(
        &mut self,
        account: AccountId,
        client: &ClientId,
        changes: ServiceAccountChanges,
    ) -> Result<ServiceAccount>;
    async fn delete_service_account(&mut self, account: AccountId, client: &ClientId)
    -> Result<()>;
}
