//! Service accounts: OAuth2 clients owned by the account. The secret is made here, returned once,
//! and only its keyed hash stored; it can be neither read back nor regenerated.

use crate::authz::Permit;
use crate::model::{Flow, ServiceAccount};
use crate::names::{CallbackUrl, ClientId, Description, DisplayName};
use crate::secret::{self, Secret, TokenKind};
use crate::service::Ends;
use crate::store::{NewServiceAccount, RevocationKind, ServiceAccountChanges};
use crate::{Error, Result};

use super::Directory;

/// Most callback URLs one client may register.
pub const MAX_CALLBACK_URLS: usize = 32;

/// A new service account as requested.
#[derive(Debug)]
pub struct ServiceAccountRequest {
    pub name: DisplayName,
    pub description: Description,
    pub flow: Flow,
    pub callback_urls: Vec<CallbackUrl>,
}

/// A service account just created, with its secret (shown once).
#[derive(Debug)]
pub struct CreatedServiceAccount {
    pub service_account: ServiceAccount,
    pub secret: Secret,
}

fn check_callbacks(flow: Flow, urls: &[CallbackUrl]) -> Result<()> {
    if urls.len() > MAX_CALLBACK_URLS {
        return Err(Error::invalid(format!(
            "at most {MAX_CALLBACK_URLS} callback URLs"
        )));
    }
    match flow {
        Flow::ClientCredentials if !urls.is_empty() => Err(Error::invalid(
            "a CLIENT_CREDENTIALS client has no callback URLs; send callbackUrls: []",
        )),
        Flow::AuthorizationCode if urls.is_empty() => Err(Error::invalid(
            "an AUTHORIZATION_CODE client needs at least one callback URL",
        )),
        _ => Ok(()),
    }
}

impl Directory {
    /// After a change to a service account: forget it here, tell the other nodes and guards.
    async fn client_changed(&self, permit: &Permit, client: &ClientId) {
        self.cache.forget_client(client);
        self.announce(
            RevocationKind::Client,
            client.to_string(),
            Some(permit.account()),
            Ends::Client(client),
        )
        .await;
    }

    pub async fn create_service_account(
        &self,
        permit: &Permit,
        request: ServiceAccountRequest,
    ) -> Result<CreatedServiceAccount> {
        check_callbacks(request.flow, &request.callback_urls)?;
        let secret = secret::generate(TokenKind::ClientSecret);
        let secret_hash = self.config.hash_key.hash(secret.expose());
        let new = NewServiceAccount {
            client_id: ClientId::generate(),
            name: request.name,
            description: request.description,
            flow: request.flow,
            callback_urls: request.callback_urls,
            secret_hash,
            now: self.clock.now(),
        };
        let service_account = self
            .store
            .create_service_account(permit.account(), new)
            .await?;
        Ok(CreatedServiceAccount {
            service_account,
            secret,
        })
    }

    pub async fn list_service_accounts(&self, permit: &Permit) -> Result<Vec<ClientId>> {
        self.store.list_service_accounts(permit.account()).await
    }

    pub async fn service_account(
        &self,
        permit: &Permit,
        client: &ClientId,
    ) -> Result<ServiceAccount> {
        self.store
            .service_account(permit.account(), client)
            .await?
            .ok_or_else(|| client_not_found(client))
    }

    pub async fn update_service_account(
        &self,
        permit: &Permit,
        client: &ClientId,
        changes: ServiceAccountChanges,
    ) -> Result<ServiceAccount> {
        if let Some(urls) = &changes.callback_urls {
            let current = self.service_account(permit, client).await?;
            check_callbacks(current.flow, urls)?;
        }
        let sa = self
            .store
            .update_service_account(permit.account(), client, changes)
            .await?;
        self.client_changed(permit, client).await;
        Ok(sa)
    }

    /// Deletes a service account; its secret stops working at once.
    pub async fn delete_service_account(&self, permit: &Permit, client: &ClientId) -> Result<()> {
        self.store
            .delete_service_account(permit.account(), client)
            .await?;
        self.client_changed(permit, client).await;
        self.forget_actor(
            permit.account(),
            crate::keystone::Actor::Client(client.clone()),
        )
        .await
    }
}

pub(crate) fn client_not_found(client: &ClientId) -> Error {
    Error::not_found(format!("service account {client} does not exist"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_urls_must_fit_the_flow() {
        let url = CallbackUrl::parse("https://app.example.com/cb").unwrap();
        assert!(check_callbacks(Flow::ClientCredentials, &[]).is_ok());
        assert!(check_callbacks(Flow::ClientCredentials, std::slice::from_ref(&url)).is_err());
        assert!(check_callbacks(Flow::AuthorizationCode, &[]).is_err());
        assert!(check_callbacks(Flow::AuthorizationCode, &[url]).is_ok());
    }
}
