//! Keystone access decisions for a caller's token: IAM first in the caller's own account, then
//! Keystone's own rule ([`crate::keystone::access`]), and the lookups that find the account an
//! id names so that the decision is made where the target lives.

use std::sync::Arc;

use crate::authz::{Action, OperatorAction, OperatorPermit, Permit};
use crate::model::Account;
use crate::{Error, Result};

use super::super::Directory;
use super::KeystoneKind;
use super::ks_token::KsToken;

impl Directory {
    /// A permit for `action` in `account`: IAM decides in the caller's own account; Keystone's
    /// `admin` (or, for reads, system `reader`) role on the token also grants it, and reaches
    /// other accounts from the cloud scope.
    pub fn keystone_permit(
        &self,
        token: &KsToken,
        action: &Action,
        account: &Account,
    ) -> Result<Permit> {
        if account.id == token.account.id
            && let Ok(permit) = self.authorize(&token.principal(), action)
        {
            return Ok(permit);
        }
        let permit = token.reach().permit(action, account)?;
        Ok(permit.by(&token.principal()))
    }

    /// A permit for `action` on a grant on the system to an identity of `account`: changing one
    /// outside the operator's domain is the cloud administrator's
    /// ([`crate::keystone::access::KsReach::changes_system_grants_of`]); the operator's own
    /// identities and every check follow [`Self::keystone_permit`].
    pub fn keystone_system_grant_permit(
        &self,
        token: &KsToken,
        action: &Action,
        account: &Account,
    ) -> Result<Permit> {
        if !action.reads() && !token.reach().changes_system_grants_of(account) {
            return Err(Error::forbidden(action.name));
        }
        self.keystone_permit(token, action, account)
    }

    /// Whether the holder of `caller` may inspect (validate, check, revoke) the token `subject`:
    /// its own holder; a service validating its users' tokens (the `admin` or `service` role
    /// in the cloud scope, the operator's domain or the system); or, in the subject's own
    /// account, an identity IAM allows `account:keystone:token/validate`.
    pub fn keystone_may_inspect(&self, caller: &KsToken, subject: &KsToken) -> Result<()> {
        let privileged_service =
            caller.in_cloud_scope() && (caller.has_role("admin") || caller.has_role("service"));
        let same_account_allowed = caller.account.id == subject.account.id
            && self
                .authorize(&caller.principal(), &crate::authz::KS_TOKEN_VALIDATE)
                .is_ok();
        if caller.same_holder(subject) || privileged_service || same_account_allowed {
            Ok(())
        } else {
            // Named as Keystone's policy names it.
            Err(Error::forbidden("identity:validate_token"))
        }
    }

    /// The domains the token's holder sees in `GET /v3/domains`: every domain for the operator,
    /// cloud administrators and system readers; its own for anyone else.
    pub async fn keystone_visible_domains(&self, token: &KsToken) -> Result<Vec<Account>> {
        if self
            .keystone_operator_reads(token, &crate::authz::ADMIN_ACCOUNT_MANAGE)
            .is_ok()
        {
            return self.all_domains().await;
        }
        Ok(vec![(*token.account).clone()])
    }

    /// Whether the token may read what only the operator changes (`action`: the documents kept
    /// whole, other domains): an operator permit for it, or a cloud administrator's or system
    /// reader's token.
    pub fn keystone_operator_reads(&self, token: &KsToken, action: &OperatorAction) -> Result<()> {
        if token.reach().reads_every_domain() {
            return Ok(());
        }
        self.keystone_operator(token, action).map(|_| ())
    }

    /// An operator permit: the operator's ROOT user through IAM, or Keystone's cloud
    /// administrator.
    pub fn keystone_operator(
        &self,
        token: &KsToken,
        action: &OperatorAction,
    ) -> Result<OperatorPermit> {
        let who = token.principal();
        self.authorize_operator(&who, action)
            .or_else(|_| token.reach().operator(action).map(|p| p.by(&who)))
    }

    /// A permit in the account holding the user, group, project or domain `id` names (the
    /// caller's own when nothing has that id, so that the lookup that follows answers 404).
    /// When the holder is another account the caller has no right in, 404 as well, with the
    /// words of a missing one.
    pub async fn keystone_permit_at(
        &self,
        token: &KsToken,
        action: &Action,
        kind: KeystoneKind,
        id: &str,
    ) -> Result<(Permit, Arc<Account>)> {
        let home = self.keystone_home(kind, id).await?;
        let foreign = home.as_ref().is_some_and(|a| a.id != token.account.id);
        let account = home.unwrap_or_else(|| Arc::clone(&token.account));
        match self.keystone_permit(token, action, &account) {
            Ok(permit) => Ok((permit, account)),
            // Out of the caller's reach, what exists elsewhere answers as what does not exist:
            // ids cannot be probed across domains.
            Err(Error::Forbidden { .. }) if foreign => Err(Error::not_found(format!(
                "Could not find {}: {id}.",
                kind.noun()
            ))),
            Err(e) => Err(e),
        }
    }

    /// The account of the domain `id` names: the caller's own (by its id or name), else the one
    /// with that id; 404 when there is none. The caller checks the rights.
    pub async fn keystone_domain(&self, token: &KsToken, id: &str) -> Result<Arc<Account>> {
        if crate::keystone::names_domain(&token.account, id) {
            return Ok(Arc::clone(&token.account));
        }
        self.keystone_home(KeystoneKind::Domain, id)
            .await?
            .ok_or_else(|| Error::not_found(format!("Could not find domain: {id}.")))
    }

    /// A permit in the domain a request names (`domain_id`), or the caller's own when it names
    /// none; 404 for a domain that does not exist.
    pub async fn keystone_permit_in_domain(
        &self,
        token: &KsToken,
        action: &Action,
        domain: Option<&str>,
    ) -> Result<(Permit, Arc<Account>)> {
        let account = match domain {
            None => Arc::clone(&token.account),
            Some(d) => self.keystone_domain(token, d).await?,
        };
        Ok((self.keystone_permit(token, action, &account)?, account))
    }

    /// The accounts a listing covers, each with its permit: the domain the `domain_id` filter
    /// names (none when it names no domain), else every domain for a cloud administrator or
    /// system reader, else the caller's own.
    pub async fn keystone_listing(
        &self,
        token: &KsToken,
        action: &Action,
        domain: Option<&str>,
    ) -> Result<Vec<(Permit, Arc<Account>)>> {
        if domain.is_some() {
            return match self.keystone_permit_in_domain(token, action, domain).await {
                Ok(one) => Ok(vec![one]),
                Err(Error::NotFound(_)) => Ok(vec![]),
                Err(e) => Err(e),
            };
        }
        if !token.reach().reads_every_domain() {
            let permit = self.keystone_permit(token, action, &token.account)?;
            return Ok(vec![(permit, Arc::clone(&token.account))]);
        }
        let mut all = Vec::new();
        for account in self.all_domains().await? {
            let account = Arc::new(account);
            all.push((self.keystone_permit(token, action, &account)?, account));
        }
        Ok(all)
    }

    /// The accounts whose assignments a `role_assignments` listing covers, each with whether
    /// the caller must be allowed to read it: the one the scope filter (project, domain) or
    /// group filter names; for a user filter alone, the user's and every other holding grants
    /// to it or its groups; for the system scope alone, every domain a cloud administrator or
    /// system reader reads; else the caller's.
    pub async fn keystone_assignment_accounts(
        &self,
        token: &KsToken,
        named: &AssignmentTargets<'_>,
    ) -> Result<Vec<(Arc<Account>, bool)>> {
        let by_id = [
            (KeystoneKind::Project, named.project),
            (KeystoneKind::Domain, named.domain),
            (KeystoneKind::Group, named.group),
        ];
        for (kind, id) in by_id {
            if let Some(id) = id
                && let Some(home) = self.keystone_home(kind, id).await?
            {
                return Ok(vec![(home, true)]);
            }
        }
        let own = || vec![(Arc::clone(&token.account), true)];
        let Some(user) = named.user else {
            // Grants on the system are kept in their holders' domains.
            if named.system && named.group.is_none() && token.reach().reads_every_domain() {
                let mut out = own();
                for account in self.all_domains().await? {
                    if account.id != token.account.id {
                        out.push((Arc::new(account), false));
                    }
                }
                return Ok(out);
            }
            return Ok(own());
        };
        let Some(home) = self.keystone_home(KeystoneKind::User, user).await? else {
            return Ok(own());
        };
        let mut out = vec![(Arc::clone(&home), true)];
        if let Some(found) = self.user_by_keystone_id(home.id, user).await? {
            for other in self.accounts_of_user(&found).await? {
                if other.id != home.id {
                    out.push((other, false));
                }
            }
        }
        Ok(out)
    }
}

/// What a `role_assignments` query names, by Keystone id.
#[derive(Debug, Clone, Copy, Default)]
pub struct AssignmentTargets<'a> {
    pub project: Option<&'a str>,
    pub domain: Option<&'a str>,
    pub group: Option<&'a str>,
    pub user: Option<&'a str>,
    pub system: bool,
}
