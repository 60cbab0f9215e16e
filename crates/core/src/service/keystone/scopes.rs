//! What a Keystone token's holder may scope to: the accounts where it may hold roles, and
//! there the projects, domains and the system it holds a role on.

use std::sync::Arc;

use crate::authz::Subject;
use crate::keystone::{Actor, Project, Target};
use crate::model::{Account, AccountId};
use crate::{Error, Result};

use super::super::Directory;
use super::ks_token::KsToken;

impl Directory {
    /// The accounts where a holder may hold roles: its own, and for a user those holding a
    /// grant to it and those of its Keystone groups.
    async fn accounts_of(
        &self,
        subject: &Subject,
        own: &Arc<Account>,
    ) -> Result<Vec<Arc<Account>>> {
        match subject {
            Subject::User(user) => self.accounts_of_user(user).await,
            Subject::ServiceAccount(_) => Ok(vec![Arc::clone(own)]),
        }
    }

    /// A user's own account first, then the enabled accounts holding a grant to it or a group
    /// it is a Keystone member of.
    pub async fn accounts_of_user(&self, user: &crate::model::User) -> Result<Vec<Arc<Account>>> {
        let own = self
            .cached_account(user.account_id)
            .await?
            .ok_or_else(|| Error::not_found("the user's account no longer exists"))?;
        let mut ids: Vec<AccountId> = self.store.accounts_granting(&Actor::User(user.id)).await?;
        ids.extend(
            self.store
                .memberships_of(user.id)
                .await?
                .iter()
                .map(|g| g.account_id),
        );
        ids.sort();
        ids.dedup();
        let mut out = vec![own];
        for id in ids.into_iter().filter(|id| *id != user.account_id) {
            if let Some(account) = self.cached_account(id).await?
                && account.domain.enabled
            {
                out.push(account);
            }
        }
        Ok(out)
    }

    /// The projects a token's holder may scope to (`GET /v3/auth/projects`), of every domain,
    /// each with its account.
    pub async fn keystone_projects_of(
        &self,
        token: &KsToken,
    ) -> Result<Vec<(Arc<Account>, Arc<Project>)>> {
        let mut out = Vec::new();
        for account in self.accounts_of(&token.subject, &token.account).await? {
            let tenancy = self.tenancy(account.id).await?;
            let actors = actors_in(&token.subject, account.id, &tenancy);
            for project in tenancy.projects_of(&actors) {
                out.push((Arc::clone(&account), project));
            }
        }
        Ok(out)
    }

    /// The domains a token's holder may scope to (`GET /v3/auth/domains`).
    pub async fn keystone_domains_of(&self, token: &KsToken) -> Result<Vec<Arc<Account>>> {
        let mut out = Vec::new();
        for account in self.accounts_of(&token.subject, &token.account).await? {
            let tenancy = self.tenancy(account.id).await?;
            let actors = actors_in(&token.subject, account.id, &tenancy);
            if !tenancy.effective(&actors, &Target::Domain).is_empty() {
                out.push(account);
            }
        }
        Ok(out)
    }

    /// Whether the holder holds a role on the system.
    pub async fn keystone_has_system_roles(&self, token: &KsToken) -> Result<bool> {
        let tenancy = self.tenancy(token.account.id).await?;
        let actors = actors_in(&token.subject, token.account.id, &tenancy);
        Ok(!tenancy.effective(&actors, &Target::System).is_empty())
    }
}

/// The grant holders a subject counts as in `account` (whose snapshot is `tenancy`).
pub(crate) fn actors_in(
    subject: &Subject,
    account: AccountId,
    tenancy: &crate::keystone::snapshot::Tenancy,
) -> Vec<Actor> {
    match subject {
        Subject::User(user) => Directory::user_actors(user, account, tenancy),
        Subject::ServiceAccount(sa) => vec![Actor::Client(sa.client_id.clone())],
    }
}
