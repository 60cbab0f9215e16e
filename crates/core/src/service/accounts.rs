//! Accounts: the bootstrap at first start, and the operator's account management.

use std::sync::Arc;

use crate::audit::{AuditKind, Author};
use crate::authz::{ADMIN_ACCOUNT_MANAGE, OperatorPermit, Permit};
use crate::model::{Account, AccountId, DomainFields};
use crate::names::{Email, Login, Nic};
use crate::password;
use crate::secret::{self, Secret};
use crate::store::{NewAccount, Record};
use crate::{Error, Result};

use super::{Directory, blocking};

/// The login of the ROOT user every account is created with.
pub const ROOT_LOGIN: &str = "admin";

/// An account just created, with its ROOT user's password when it was generated (shown once).
#[derive(Debug)]
pub struct CreatedAccount {
    pub account: Account,
    pub root_login: Login,
    pub generated_password: Option<Secret>,
}

/// What the operator asks for when creating an account.
#[derive(Debug)]
pub struct AccountRequest {
    /// Generated (`lkNNNN-lk`) when absent.
    pub nic: Option<Nic>,
    pub email: Email,
    /// Generated and returned once when absent.
    pub admin_password: Option<Secret>,
    /// The account as a Keystone domain.
    pub domain: DomainFields,
}

impl Directory {
    /// Creates the operator account on an empty store. Returns `None` if it already exists.
    pub async fn bootstrap(
        &self,
        nic: Nic,
        email: Email,
        admin_password: Option<Secret>,
    ) -> Result<Option<CreatedAccount>> {
        if let Some(existing) = self.store.operator_account().await? {
            if existing.nic != nic {
                tracing::warn!(
                    operator = %existing.nic, configured = %nic,
                    "the store was bootstrapped with another account; the configured one is ignored"
                );
            }
            return Ok(None);
        }
        let request = AccountRequest {
            nic: Some(nic),
            email,
            admin_password,
            domain: DomainFields::default(),
        };
        match self.insert_account(&Author::system(), request, true).await {
            Ok(created) => Ok(Some(created)),
            // Another node bootstrapped the same store at the same moment.
            Err(Error::Conflict(_)) if self.store.operator_account().await?.is_some() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates a tenant account with its default groups and ROOT user `admin`.
    pub async fn create_account(
        &self,
        operator: &OperatorPermit,
        request: AccountRequest,
    ) -> Result<CreatedAccount> {
        let by = operator.author(&self.config.plate);
        if request.nic.is_some() {
            return self.insert_account(&by, request, false).await;
        }
        // The next generated nic after the highest ever given (a deleted account's is never
        // given again): one query and one password hash, however many accounts came and went.
        // A nic taken meanwhile by another request moves to the next; a taken domain name is the
        // caller's conflict.
        let root = self.root_password(request.admin_password).await?;
        let mut number = self.store.highest_generated_nic().await? + 1;
        let mut tries = 0;
        loop {
            let nic = crate::names::generated_nic(number)?;
            let new = NewRoot {
                nic,
                email: request.email.clone(),
                domain: request.domain.clone(),
                operator: false,
            };
            match self.insert_hashed(&by, new, &root).await {
                Err(Error::Conflict(_))
                    if tries < NIC_TRIES && !self.domain_name_taken(&request.domain).await? =>
                {
                    tries += 1;
                    number += 1;
                }
                other => return other,
            }
        }
    }

    async fn domain_name_taken(&self, domain: &DomainFields) -> Result<bool> {
        let Some(name) = &domain.name else {
            return Ok(false);
        };
        Ok(self
            .store
            .list_accounts()
            .await?
            .iter()
            .any(|a| a.domain.name.as_ref() == Some(name)))
    }

    pub async fn list_accounts(&self, _operator: &OperatorPermit) -> Result<Vec<Account>> {
        self.store.list_accounts().await
    }

    pub async fn account_by_nic(&self, _operator: &OperatorPermit, nic: &Nic) -> Result<Account> {
        self.store
            .account_by_nic(nic)
            .await?
            .ok_or_else(|| Error::not_found(format!("account {nic} does not exist")))
    }

    /// Every account, as Keystone domains: for Keystone's cloud administrators and system readers,
    /// whose right the caller has checked.
    pub async fn all_domains(&self) -> Result<Vec<Account>> {
        self.store.list_accounts().await
    }

    /// An account by id, for Keystone answers about an identity the caller was allowed to read.
    pub async fn keystone_account(&self, id: AccountId) -> Result<Option<Arc<Account>>> {
        self.cached_account(id).await
    }

    /// An account by id, for the operator.
    pub async fn account_by_id(
        &self,
        _operator: &OperatorPermit,
        id: AccountId,
    ) -> Result<Arc<Account>> {
        self.cached_account(id)
            .await?
            .ok_or_else(|| Error::not_found(format!("account {} does not exist", id.0)))
    }

    /// Sets what Keystone shows of an account (a domain). The operator's domain stays enabled.
    pub async fn update_domain(
        &self,
        operator: &OperatorPermit,
        id: AccountId,
        domain: DomainFields,
    ) -> Result<Account> {
        let current = self.account_by_id(operator, id).await?;
        if current.operator && !domain.enabled {
            return Err(Error::invalid("the operator's domain cannot be disabled"));
        }
        let mut tx = self.begin().await?;
        let account = tx.update_domain(id, &domain).await?;
        let details = serde_json::json!({
            "domain": crate::keystone::domain_id(&account),
            "old": domain_fields(&current.domain),
            "new": domain_fields(&account.domain),
        });
        let audit = self.audit(operator, AuditKind::DomainModified, Some(id), details);
        let record = Record::new(audit).event(self.keystone_event(id));
        self.commit(tx, record).await?;
        self.account_changed(id).await?;
        Ok(account)
    }

    /// Deletes a tenant account and everything in it. Keystone's rule: only a disabled domain
    /// can be deleted, so its identities were already refused.
    pub async fn delete_domain(&self, operator: &OperatorPermit, id: AccountId) -> Result<()> {
        let current = self.account_by_id(operator, id).await?;
        if current.operator || current.domain.enabled {
            return Err(Error::forbidden(ADMIN_ACCOUNT_MANAGE.name()));
        }
        let mut tx = self.begin().await?;
        tx.delete_account(id).await?;
        self.forget_domain_config(&mut *tx, &current).await?;
        let details = serde_json::json!({
            "nic": current.nic.as_str(),
            "domain": crate::keystone::domain_id(&current),
        });
        let audit = self.audit(operator, AuditKind::AccountDeleted, Some(id), details);
        // Its users' grants and memberships in other domains went too: every snapshot reloads.
        let record = Record::new(audit)
            .event(self.keystone_event(id))
            .event(self.catalog_event())
            .event(self.resources_event(id));
        self.commit(tx, record).await?;
        self.account_changed(id).await?;
        self.reload_resources(id).await?;
        self.keystone_catalog_changed().await
    }

    /// After an account's change or deletion: forget it here and tell the other nodes.
    async fn account_changed(&self, id: AccountId) -> Result<()> {
        self.cache.remove_account(id);
        self.keystone_account_changed(id).await
    }

    /// The caller's own account.
    pub async fn me(&self, permit: &Permit) -> Result<Arc<Account>> {
        self.cached_account(permit.account())
            .await?
            .ok_or_else(|| Error::not_found("the account no longer exists"))
    }

    async fn insert_account(
        &self,
        by: &Author,
        request: AccountRequest,
        operator: bool,
    ) -> Result<CreatedAccount> {
        let nic = request
            .nic
            .ok_or_else(|| Error::invalid("nic is required"))?;
        let root = self.root_password(request.admin_password).await?;
        let new = NewRoot {
            nic,
            email: request.email,
            domain: request.domain,
            operator,
        };
        self.insert_hashed(by, new, &root).await
    }

    /// The ROOT user's password (checked, or generated) and its hash.
    async fn root_password(&self, given: Option<Secret>) -> Result<RootPassword> {
        let (password, generated) = match given {
            Some(p) => {
                password::check_policy(&p)?;
                (p, false)
            }
            None => (secret::random_password(), true),
        };
        let to_hash = password.clone();
        let hash = blocking(move || password::hash(&to_hash)).await??;
        Ok(RootPassword {
            password,
            generated,
            hash,
        })
    }

    async fn insert_hashed(
        &self,
        by: &Author,
        new: NewRoot,
        root: &RootPassword,
    ) -> Result<CreatedAccount> {
        let root_login = Login::parse(ROOT_LOGIN)?;
        let mut tx = self.begin().await?;
        let account = tx
            .create_account(NewAccount {
                nic: new.nic,
                email: new.email,
                operator: new.operator,
                domain: new.domain,
                root_login: root_login.clone(),
                root_password_hash: root.hash.clone(),
                now: self.clock.now(),
            })
            .await?;
        let details = serde_json::json!({
            "nic": account.nic.as_str(),
            "email": account.email.as_str(),
            "operator": account.operator,
            "domain": crate::keystone::domain_id(&account),
        });
        let audit = self.audit(by, AuditKind::AccountCreated, Some(account.id), details);
        self.commit(tx, Record::new(audit)).await?;
        Ok(CreatedAccount {
            account,
            root_login,
            generated_password: root.generated.then(|| root.password.clone()),
        })
    }
}

/// How many taken nics a creation moves past before it gives up (other requests creating
/// accounts at the same moment).
const NIC_TRIES: u32 = 64;

/// A ROOT user's password, hashed once for every attempt.
struct RootPassword {
    password: Secret,
    generated: bool,
    hash: String,
}

/// An account to insert, beside its ROOT user's password.
struct NewRoot {
    nic: Nic,
    email: Email,
    domain: DomainFields,
    operator: bool,
}

/// What Keystone shows of an account, for its records.
fn domain_fields(domain: &DomainFields) -> serde_json::Value {
    serde_json::json!({
        "name": domain.name.as_ref().map(|n| n.as_str()),
        "description": domain.description.as_str(),
        "enabled": domain.enabled,
    })
}
