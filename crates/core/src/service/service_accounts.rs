//! Service accounts: OAuth2 clients owned by the account. The secret is made here, returned once,
//! and only its keyed hash stored; it can be neither read back nor regenerated.

use crate::audit::AuditKind;
use crate::authz::Permit;
use crate::model::{Flow, ServiceAccount};
use crate::names::{CallbackUrl, ClientId, Description, DisplayName};
use crate::secret::{self, Secret, TokenKind};
use crate::service::Ends;
use crate::store::{
    NewRevocation, NewServiceAccount, Record, RevocationKind, ServiceAccountChanges,
};
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
    /// The event of a change to a service account, for the other nodes and the guards.
    async fn client_event(&self, permit: &Permit, client: &ClientId) -> NewRevocation {
        self.event(
            RevocationKind::Client,
            client.to_string(),
            Some(permit.account()),
            Ends::Client(client),
        )
        .await
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
        let mut tx = self.begin().await?;
        let service_account = tx.create_service_account(permit.account(), new).await?;
        let audit = self.audit_by(
            permit,
            AuditKind::ServiceAccountCreated,
            sa_details(None, Some(&service_account)),
        );
        self.commit(tx, Record::new(audit)).await?;
        Ok(CreatedServiceAccount {
            service_account,
            secret,
        })
    }

    pub async fn list_service_accounts(&self, permit: &Permit) -> Result<Vec<ClientId>> {
        self.store.list_service_accounts(permit.account()).await
    }

    /// Every service account of the account with its fields, in one read (the console's table).
    pub async fn service_accounts_of(&self, permit: &Permit) -> Result<Vec<ServiceAccount>> {
        self.store.service_accounts_of(permit.account()).await
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
        let current = self.service_account(permit, client).await?;
        if let Some(urls) = &changes.callback_urls {
            check_callbacks(current.flow, urls)?;
        }
        let mut tx = self.begin().await?;
        let sa = tx
            .update_service_account(permit.account(), client, changes)
            .await?;
        let audit = self.audit_by(
            permit,
            AuditKind::ServiceAccountModified,
            sa_details(Some(&current), Some(&sa)),
        );
        let record = Record::new(audit).event(self.client_event(permit, client).await);
        self.commit(tx, record).await?;
        self.cache.forget_client(client);
        Ok(sa)
    }

    /// Deletes a service account; its secret stops working at once.
    pub async fn delete_service_account(&self, permit: &Permit, client: &ClientId) -> Result<()> {
        let current = self.service_account(permit, client).await?;
        let mut tx = self.begin().await?;
        tx.delete_service_account(permit.account(), client).await?;
        let actor = crate::keystone::Actor::Client(client.clone());
        let others = self
            .revoke_actor(&mut *tx, permit.account(), &actor)
            .await?;
        let audit = self.audit_by(
            permit,
            AuditKind::ServiceAccountDeleted,
            sa_details(Some(&current), None),
        );
        let record = Record::new(audit)
            .event(self.client_event(permit, client).await)
            .events(self.keystone_events(permit.account(), &others));
        self.commit(tx, record).await?;
        self.cache.forget_client(client);
        self.keystone_accounts_changed(permit.account(), &others)
            .await
    }
}

/// A service account's record details: its client id, and what it was and became.
fn sa_details(old: Option<&ServiceAccount>, new: Option<&ServiceAccount>) -> serde_json::Value {
    let fields = |sa: &ServiceAccount| {
        serde_json::json!({
            "name": sa.name.as_str(),
            "description": sa.description.as_str(),
            "flow": sa.flow.as_str(),
            "callbackUrls": sa.callback_urls.iter().map(|u| u.as_str()).collect::<Vec<_>>(),
        })
    };
    let mut details = serde_json::json!({
        "clientId": new.or(old).map(|sa| sa.client_id.as_str()),
    });
    if let Some(old) = old {
        details["old"] = fields(old);
    }
    if let Some(new) = new {
        details["new"] = fields(new);
    }
    details
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
