//! Keystone v3 behind the [`Directory`]: the in-memory snapshots tokens are issued and validated
//! from, the `keystone-manage bootstrap` equivalent, and (in submodules) tokens and the admin
//! resources.
//!
//! - [`tokens`]: issue (password, token, application credential), validation, revocation, the
//!   per-identity issue limit.
//! - [`admin`]: projects, roles, assignments, regions, services, endpoints.
//!
//! Snapshots: one [`Catalog`] (global) and one [`Tenancy`] per account, each behind an `Arc`.
//! A change writes the store, then reloads the snapshot it touched (serialised, so an older read
//! never replaces a newer one) before it is answered, and announces a `keystone` revocation event
//! so other nodes reload theirs.

pub mod access;
pub mod admin;
pub mod app_credentials;
pub mod assignments;
mod authenticate;
pub mod credentials;
pub mod documents;
pub mod domain_config;
pub mod ks_token;
pub mod memberships;
pub mod request;
mod scopes;
pub mod tokens;
pub mod trusts;

use std::sync::Arc;

use dashmap::DashMap;
use parking_lot::RwLock;

use crate::keystone::snapshot::{Catalog, Tenancy};
use crate::keystone::token::KeystoneClaims;
use crate::keystone::{
    self, ADMIN_PROJECT, Actor, Assignment, DEFAULT_IMPLICATIONS, DEFAULT_ROLES, Endpoint,
    Interface, KsRole, Project, Region, Service, Target,
};
use crate::model::Account;
use crate::model::AccountId;
use crate::names::{Description, DisplayName};
use crate::secret::TokenHash;
use crate::store::Transaction;
use crate::store::{KeystoneBootstrap, NewRevocation, RevocationKind};
use crate::throttle::Throttle;
use crate::{Error, Result};
use request::DomainRef;

use super::Directory;

/// What a Keystone id names, for [`Directory::keystone_home`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeystoneKind {
    User,
    Group,
    Project,
    Domain,
}

impl KeystoneKind {
    /// The word Keystone's "Could not find …" messages use.
    pub fn noun(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Group => "group",
            Self::Project => "project",
            Self::Domain => "domain",
        }
    }
}

/// The subject of the revocation event that reloads the catalog.
const CATALOG_EVENT: &str = "catalog";
/// Verified Keystone claims kept before the cache is emptied.
const VERIFIED_MAX: usize = 100_000;
/// Domain references remembered (only those that named an account).
const DOMAINS_MAX: usize = 100_000;

/// Keystone's in-memory state, owned by the [`Directory`].
#[derive(Debug)]
pub struct KeystoneState {
    catalog: RwLock<Arc<Catalog>>,
    tenancies: DashMap<AccountId, Arc<Tenancy>>,
    reload: tokio::sync::Mutex<()>,
    verified: DashMap<TokenHash, Arc<KeystoneClaims>>,
    /// Domain references (`i:{id}`, `n:{name}`) already resolved to an account.
    domains: DashMap<String, AccountId>,
    /// Token creations per identity (`u:{id}` or `c:{clientId}`) per window.
    issued: Throttle<String>,
}

impl KeystoneState {
    pub(crate) fn new(limit: crate::throttle::Limit) -> Self {
        Self {
            catalog: RwLock::new(Arc::new(Catalog::default())),
            tenancies: DashMap::new(),
            reload: tokio::sync::Mutex::new(()),
            verified: DashMap::new(),
            domains: DashMap::new(),
            issued: Throttle::new(limit),
        }
    }

    pub(crate) fn prune(&self, now: chrono::DateTime<chrono::Utc>) {
        self.issued.prune(now);
    }
}

impl Directory {
    /// Like `keystone-manage bootstrap`, once per store (a marker row records it): the default
    /// roles and their implications; project `admin` in the operator account, on which its ROOT
    /// user holds `admin` (and `admin` on the system); the region; the identity service with its
    /// public, internal and admin endpoints at `{public_url}/v3/`. Then loads the catalog.
    pub async fn init_keystone(&self, region: &str) -> Result<()> {
        let bootstrap = self.keystone_bootstrap(region).await?;
        let mut tx = self.begin().await?;
        if tx.bootstrap_keystone(&bootstrap).await? {
            let audit = self.audit(
                &crate::audit::Author::system(),
                crate::audit::AuditKind::KeystoneBootstrapped,
                None,
                serde_json::json!({ "region": region }),
            );
            // Another node starting on the same store at the same moment reloads it all.
            let record = crate::store::Record::new(audit).event(self.catalog_event());
            self.commit(tx, record).await?;
            tracing::info!(
                region,
                "bootstrapped Keystone: default roles, project admin, catalog"
            );
        }
        self.reload_catalog().await
    }

    /// What the bootstrap writes (in one transaction, so a crash leaves all or nothing).
    async fn keystone_bootstrap(&self, region: &str) -> Result<KeystoneBootstrap> {
        keystone::check_id("LATCHKEY_REGION", region)?;
        let empty = Description::parse("")?;
        let roles = DEFAULT_ROLES
            .iter()
            .map(|name| {
                Ok(KsRole {
                    id: keystone::new_id(),
                    name: DisplayName::parse(name)?,
                    description: empty.clone(),
                    domain_id: None,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let id_of = |name: &str| {
            roles
                .iter()
                .find(|r| r.name.as_str() == name)
                .map(|r| r.id.clone())
                .unwrap_or_default()
        };
        let implications = DEFAULT_IMPLICATIONS
            .iter()
            .map(|(prior, implied)| (id_of(prior), id_of(implied)))
            .collect();
        let service = Service {
            id: keystone::new_id(),
            kind: "identity".into(),
            name: "keystone".into(),
            description: Description::parse("Latchkey identity service")?,
            enabled: true,
        };
        let url = format!("{}/v3/", self.config.issuer);
        let endpoints = [Interface::Public, Interface::Internal, Interface::Admin]
            .into_iter()
            .map(|interface| Endpoint {
                id: keystone::new_id(),
                service_id: service.id.clone(),
                region_id: Some(region.to_owned()),
                interface,
                url: url.clone(),
                enabled: true,
            })
            .collect();
        let mut project = None;
        if let Some(operator) = self.store.operator_account().await? {
            let admin_project = Project {
                parent_id: None,
                tags: Vec::new(),
                id: keystone::new_id(),
                account_id: operator.id,
                name: DisplayName::parse(ADMIN_PROJECT)?,
                description: Description::parse("Bootstrap project for initializing the cloud.")?,
                enabled: true,
                created_at: self.clock.now(),
            };
            let root = crate::names::Login::parse(super::accounts::ROOT_LOGIN)?;
            let grants = match self.store.user(operator.id, &root).await? {
                Some(admin) => [Target::Project(admin_project.id.clone()), Target::System]
                    .into_iter()
                    .map(|target| Assignment {
                        actor: Actor::User(admin.id),
                        target,
                        role_id: id_of("admin"),
                    })
                    .collect(),
                None => vec![],
            };
            project = Some((admin_project, grants));
        }
        Ok(KeystoneBootstrap {
            roles,
            implications,
            region: Region {
                id: region.to_owned(),
                description: empty,
                parent_region_id: None,
            },
            service,
            endpoints,
            project,
            at: self.clock.now(),
        })
    }

    /// The roles and the catalog, as last loaded.
    pub fn keystone_catalog(&self) -> Arc<Catalog> {
        Arc::clone(&self.keystone.catalog.read())
    }

    /// An account's projects and role assignments (loaded from the store on first use).
    pub async fn tenancy(&self, account: AccountId) -> Result<Arc<Tenancy>> {
        if let Some(t) = self.keystone.tenancies.get(&account) {
            return Ok(Arc::clone(t.value()));
        }
        let loaded = Arc::new(self.load_tenancy(account).await?);
        Ok(Arc::clone(
            self.keystone
                .tenancies
                .entry(account)
                .or_insert(loaded)
                .value(),
        ))
    }

    async fn load_tenancy(&self, account: AccountId) -> Result<Tenancy> {
        let projects = self.store.projects(account).await?;
        let assignments = self.store.assignments(account).await?;
        let memberships = self.store.memberships_in(account).await?;
        Ok(Tenancy::new(projects, assignments).with_memberships(memberships))
    }

    /// Reloads the roles and the catalog from the store.
    pub(crate) async fn reload_catalog(&self) -> Result<()> {
        let _serial = self.keystone.reload.lock().await;
        let catalog = Catalog::new(
            self.store.roles().await?,
            self.store.implied_roles().await?,
            self.store.regions().await?,
            self.store.services().await?,
            self.store.endpoints().await?,
        );
        *self.keystone.catalog.write() = Arc::new(catalog);
        Ok(())
    }

    /// Reloads one account's projects and assignments from the store.
    pub(crate) async fn reload_tenancy(&self, account: AccountId) -> Result<()> {
        let _serial = self.keystone.reload.lock().await;
        let tenancy = Arc::new(self.load_tenancy(account).await?);
        self.keystone.tenancies.insert(account, tenancy);
        Ok(())
    }

    /// After a change to an account's projects or assignments has committed: reload here (the
    /// change's [`Self::keystone_event`] tells the other nodes).
    pub(super) async fn keystone_account_changed(&self, account: AccountId) -> Result<()> {
        self.reload_tenancy(account).await
    }

    /// [`Self::keystone_account_changed`] for each account.
    pub(crate) async fn keystone_accounts_changed(
        &self,
        account: AccountId,
        others: &[AccountId],
    ) -> Result<()> {
        let mut accounts = others.to_vec();
        accounts.push(account);
        accounts.sort();
        accounts.dedup();
        for account in accounts {
            self.keystone_account_changed(account).await?;
        }
        Ok(())
    }

    /// After a change to roles or the catalog has committed: reload here (the change's
    /// [`Self::catalog_event`] tells the other nodes).
    pub(super) async fn keystone_catalog_changed(&self) -> Result<()> {
        self.reload_catalog().await?;
        // Role deletions cascade to assignments in every account.
        self.keystone.tenancies.clear();
        Ok(())
    }

    /// The event of a change to an account's Keystone data.
    pub(crate) fn keystone_event(&self, account: AccountId) -> NewRevocation {
        NewRevocation {
            kind: RevocationKind::Keystone,
            subject: account.0.to_string(),
            account: Some(account),
            identity: None,
            at: self.clock.now(),
        }
    }

    /// The events of a change to `account`'s Keystone data and `others`'.
    pub(crate) fn keystone_events(
        &self,
        account: AccountId,
        others: &[AccountId],
    ) -> Vec<NewRevocation> {
        let mut accounts = others.to_vec();
        accounts.push(account);
        accounts.sort();
        accounts.dedup();
        accounts
            .into_iter()
            .map(|a| self.keystone_event(a))
            .collect()
    }

    /// The event of a change to the roles or the catalog.
    pub(crate) fn catalog_event(&self) -> NewRevocation {
        NewRevocation {
            kind: RevocationKind::Keystone,
            subject: CATALOG_EVENT.to_owned(),
            account: None,
            identity: None,
            at: self.clock.now(),
        }
    }

    /// Applies a `keystone` revocation event recorded by another node.
    pub(super) async fn apply_keystone_event(&self, subject: &str) -> Result<()> {
        if subject == CATALOG_EVENT {
            self.reload_catalog().await?;
            self.keystone.tenancies.clear();
        } else if let Ok(id) = subject.parse() {
            // The account itself may have changed (as a domain) or gone.
            self.cache.remove_account(AccountId(id));
            self.reload_tenancy(AccountId(id)).await?;
        }
        Ok(())
    }

    /// Removes the roles an identity held, in the transaction that deletes it; returns the
    /// other accounts whose grants it held (a user's may be on other domains), whose snapshots
    /// change with `account`'s.
    pub(super) async fn revoke_actor(
        &self,
        tx: &mut dyn Transaction,
        account: AccountId,
        actor: &Actor,
    ) -> Result<Vec<AccountId>> {
        let others = match actor {
            Actor::User(_) => self.store.accounts_granting(actor).await?,
            _ => Vec::new(),
        };
        tx.revoke_actor_roles(account, actor).await?;
        Ok(others)
    }

    /// A user's Keystone groups in its own account (beside its IAM group), for IAM.
    pub(crate) async fn own_keystone_groups(
        &self,
        user: &crate::model::User,
    ) -> Result<Vec<(crate::names::GroupName, crate::model::Role)>> {
        Ok(self
            .tenancy(user.account_id)
            .await?
            .groups_of(user.id)
            .to_vec())
    }

    /// The actors whose grants a user holds in `account` (whose snapshot is `tenancy`): the
    /// user itself, its IAM group when the account is its own (unless `DEFAULT`, Keystone's "no
    /// group"), and its Keystone groups there.
    pub fn user_actors(
        user: &crate::model::User,
        account: AccountId,
        tenancy: &Tenancy,
    ) -> Vec<Actor> {
        let mut actors = vec![Actor::User(user.id)];
        if user.account_id == account
            && let Some(group) = user.keystone_group()
        {
            actors.push(Actor::Group(group.clone()));
        }
        actors.extend(
            tenancy
                .groups_of(user.id)
                .iter()
                .map(|(group, _)| Actor::Group(group.clone())),
        );
        actors
    }

    /// The account holding the user, group or project a Keystone id names, if any: Keystone ids
    /// are global, so a cloud administrator's request finds its account from the id.
    pub async fn keystone_home(
        &self,
        kind: KeystoneKind,
        id: &str,
    ) -> Result<Option<Arc<Account>>> {
        let account = match kind {
            KeystoneKind::User => match keystone::KsUserId::parse(id) {
                Some(key) => self.cached_user(key.0).await?.map(|u| u.account_id),
                None => None,
            },
            KeystoneKind::Group => match keystone::KsGroupId::parse(id) {
                Some(key) => self.store.group_account(key.0).await?,
                None => None,
            },
            KeystoneKind::Project => self.store.project_account(id).await?,
            KeystoneKind::Domain => {
                return match self.domain_account(&DomainRef::Id(id.to_owned())).await {
                    Ok(account) => Ok(Some(account)),
                    Err(Error::Unauthenticated(_)) => Ok(None),
                    Err(e) => Err(e),
                };
            }
        };
        match account {
            Some(id) => self.cached_account(id).await,
            None => Ok(None),
        }
    }

    /// A group by Keystone id, within `account`.
    pub async fn group_by_keystone_id(
        &self,
        permit: &crate::authz::Permit,
        id: &str,
    ) -> Result<Option<crate::model::Group>> {
        let account = permit.account();
        let Some(key) = keystone::KsGroupId::parse(id) else {
            return Ok(None);
        };
        self.store.group_by_id(account, key.0).await
    }

    /// Every user of an account, for listings that need more than logins.
    pub async fn users_of(
        &self,
        permit: &crate::authz::Permit,
    ) -> Result<Vec<Arc<crate::model::User>>> {
        let account = permit.account();
        let mut users = Vec::new();
        for login in self.store.list_users(account).await? {
            if let Some(user) = self.store.user(account, &login).await? {
                users.push(Arc::new(user));
            }
        }
        Ok(users)
    }

    /// A local user by Keystone id, within `account`.
    pub async fn user_by_keystone_id(
        &self,
        account: AccountId,
        id: &str,
    ) -> Result<Option<Arc<crate::model::User>>> {
        let Some(key) = keystone::KsUserId::parse(id) else {
            return Ok(None);
        };
        Ok(self
            .cached_user(key.0)
            .await?
            .filter(|u| u.account_id == account))
    }
}
