//! The operations behind the APIs. [`Directory`] owns the store, the clock, the policy indexes and
//! the in-memory credential cache; every account-scoped operation takes a [`Permit`].
//!
//! - [`auth`]: turning a presented credential into a [`Principal`] (PATs from the cache, passwords
//!   through Argon2id with throttling).
//! - [`accounts`], [`users`], [`groups`], [`pats`], [`service_accounts`]: the management
//!   operations.
//! - [`policies`]: IAM policies, the per-account indexes every decision reads, and checks.
//! - [`resources`]: the resources product back ends register, their tags, and their index;
//!   [`resource_groups`]: the groups of them policies name.
//! - [`console`]: the web console's sessions and their CSRF tokens.
//! - [`keystone`]: Keystone v3 tokens and admin resources, from in-memory snapshots.

pub mod accounts;
pub mod audit;
pub mod auth;
mod cache;
pub mod console;
mod event_cursor;
pub mod groups;
mod journal;
pub mod keystone;
pub mod oauth2;
pub mod pats;
pub mod permissions_groups;
pub mod policies;
pub mod resource_groups;
pub mod resources;
mod revocations;
pub mod service_accounts;
pub mod users;

pub use journal::Refusal;

use std::sync::Arc;
use std::time::Duration;

use std::sync::atomic::AtomicI64;

use parking_lot::RwLock;
use tokio::sync::Semaphore;

use crate::keys::{KeyRing, KeySealer};

use crate::authz::{self, Action, Permit, Principal};
use crate::clock::SharedClock;
use crate::names::{Login, Plate};
use crate::secret::HashKey;
use crate::store::Store;
use crate::throttle::{Limit, Throttle};
use crate::{Error, Result};

use cache::CredentialCache;
pub(crate) use journal::Ends;

/// How long a password attempt for a user waits when the user has had `over` failures beyond
/// its ceiling in the window: 250 ms, doubling every 10 failures, at most 8 s.
pub fn slowdown(over: u32) -> Duration {
    let doublings = (over.saturating_sub(1) / 10).min(5);
    Duration::from_millis(250 << doublings)
}

/// Settings of the directory that are not the store itself.
#[derive(Debug, Clone)]
pub struct DirectoryConfig {
    pub plate: Plate,
    pub hash_key: HashKey,
    /// Failed passwords for one user from one client address per window: beyond, that address
    /// is locked out of that user until the window ends (other addresses are not).
    pub pair_throttle: Limit,
    /// Failed passwords for one user from all addresses per window: beyond, every further attempt
    /// for the user waits longer ([`slowdown`]) before its check. Never a lock.
    pub user_throttle: Limit,
    /// Failed passwords from one client address, whatever the user, per window: beyond, the
    /// address is locked out of password authentication until the window ends.
    pub address_throttle: Limit,
    /// Password hashes computed at once; more wait, so a flood cannot starve the server.
    pub max_concurrent_password_checks: usize,
    /// The `iss` of access tokens: the server's public URL.
    pub issuer: String,
    /// Lifetime of OAuth2 access tokens.
    pub access_token_ttl: Duration,
    /// How long a key stays primary before the automatic rotation.
    pub key_rotation: Duration,
    /// Access tokens one client may obtain per window.
    pub grant_limit: Limit,
    /// Lifetime of Keystone tokens.
    pub keystone_token_ttl: Duration,
    /// How long after expiry a Keystone token can still be read with `allow_expired`.
    pub keystone_expired_window: Duration,
    /// Keystone tokens one identity may create per window.
    pub keystone_issue_limit: Limit,
    /// How long audit records are kept.
    pub audit_retention: Duration,
    /// How long a console session stays open without a request.
    pub console_idle_timeout: Duration,
    /// How long a console session stays open at most, however active.
    pub console_session_lifetime: Duration,
    /// Count Keystone token creations in the store (nodes sharing a PostgreSQL database share
    /// the limit) rather than in this node's memory.
    pub shared_issue_limit: bool,
}

impl DirectoryConfig {
    pub fn new(plate: Plate, hash_key: HashKey, issuer: String) -> Self {
        Self {
            plate,
            hash_key,
            pair_throttle: Limit {
                max_failures: 10,
                window: Duration::from_secs(15 * 60),
            },
            user_throttle: Limit {
                max_failures: 50,
                window: Duration::from_secs(15 * 60),
            },
            address_throttle: Limit {
                max_failures: 100,
                window: Duration::from_secs(15 * 60),
            },
            max_concurrent_password_checks: 4,
            issuer,
            access_token_ttl: Duration::from_secs(3600),
            key_rotation: Duration::from_secs(30 * 24 * 3600),
            grant_limit: Limit {
                max_failures: 600,
                window: Duration::from_secs(60),
            },
            keystone_token_ttl: Duration::from_secs(24 * 3600),
            keystone_expired_window: Duration::from_secs(48 * 3600),
            keystone_issue_limit: Limit {
                max_failures: 60,
                window: Duration::from_secs(60),
            },
            shared_issue_limit: false,
            console_idle_timeout: Duration::from_secs(30 * 60),
            console_session_lifetime: Duration::from_secs(12 * 3600),
            audit_retention: Duration::from_secs(90 * 24 * 3600),
        }
    }
}

/// Accounts, users, groups and tokens, with authentication and authorisation.
#[derive(Debug)]
pub struct Directory {
    store: Arc<dyn Store>,
    clock: SharedClock,
    config: DirectoryConfig,
    cache: CredentialCache,
    pair_throttle: Throttle<(crate::model::AccountId, Login, std::net::IpAddr)>,
    user_throttle: Throttle<(crate::model::AccountId, Login)>,
    address_throttle: Throttle<std::net::IpAddr>,
    password_checks: Semaphore,
    sealer: KeySealer,
    keys: RwLock<Arc<KeyRing>>,
    last_key_reload: AtomicI64,
    revoked: dashmap::DashSet<String>,
    verified: dashmap::DashMap<crate::secret::TokenHash, Arc<crate::keys::AccessClaims>>,
    events: parking_lot::Mutex<event_cursor::EventCursor>,
    /// Held while events are applied: a caller that finds nothing new then knows that what an
    /// earlier caller took is applied, not still in flight.
    applying: tokio::sync::Mutex<()>,
    event_seen: tokio::sync::watch::Sender<i64>,
    /// The newest audit record this node committed: the audit streams wait on it.
    audit_seen: tokio::sync::watch::Sender<i64>,
    audit_sink: Option<Arc<dyn crate::audit::AuditSink>>,
    closing: tokio::sync::watch::Sender<bool>,
    grant_limit: Throttle<crate::names::ClientId>,
    policies: dashmap::DashMap<crate::model::AccountId, Arc<crate::policy::PolicySet>>,
    policy_reload: tokio::sync::Mutex<()>,
    resources: resources::ResourceIndex,
    keystone: keystone::KeystoneState,
}

impl Directory {
    pub fn new(store: Arc<dyn Store>, clock: SharedClock, config: DirectoryConfig) -> Self {
        Self {
            store,
            clock,
            cache: CredentialCache::default(),
            pair_throttle: Throttle::new(config.pair_throttle),
            user_throttle: Throttle::new(config.user_throttle),
            address_throttle: Throttle::new(config.address_throttle),
            password_checks: Semaphore::new(config.max_concurrent_password_checks.max(1)),
            sealer: KeySealer::new(&config.hash_key),
            keys: RwLock::new(Arc::new(KeyRing::empty(&config.issuer))),
            last_key_reload: AtomicI64::new(0),
            revoked: dashmap::DashSet::new(),
            verified: dashmap::DashMap::new(),
            events: parking_lot::Mutex::new(event_cursor::EventCursor::default()),
            applying: tokio::sync::Mutex::new(()),
            event_seen: tokio::sync::watch::Sender::new(0),
            audit_seen: tokio::sync::watch::Sender::new(0),
            audit_sink: None,
            closing: tokio::sync::watch::Sender::new(false),
            grant_limit: Throttle::new(config.grant_limit),
            policies: dashmap::DashMap::new(),
            policy_reload: tokio::sync::Mutex::new(()),
            resources: resources::ResourceIndex::default(),
            keystone: keystone::KeystoneState::new(config.keystone_issue_limit),
            config,
        }
    }

    /// Copies every record this node commits to `sink` (the server's `--audit-file`).
    pub fn with_audit_sink(mut self, sink: Arc<dyn crate::audit::AuditSink>) -> Self {
        self.audit_sink = Some(sink);
        self
    }

    pub fn plate(&self) -> &Plate {
        &self.config.plate
    }

    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// Decides whether `who` may perform `action` on its own account (built-in grants, then the
    /// account's policies, read from memory).
    pub fn authorize(&self, who: &Principal, action: &Action) -> Result<Permit> {
        let plate = &self.config.plate;
        let resource = who.account.resource_urn(plate);
        let policies = self.policy_set(who.account.id);
        let facts = crate::policy::Facts {
            now: self.clock.now(),
            ip: crate::audit::Origin::current_ip(),
            resource: crate::policy::ResourceFacts::of_urn(resource.as_str()),
        };
        authz::authorize(policies.as_deref(), plate, who, action, &resource, &facts)
    }

    /// Decides an operator-only action: the operator account's ROOT user only.
    pub fn authorize_operator(
        &self,
        who: &Principal,
        action: &authz::OperatorAction,
    ) -> Result<authz::OperatorPermit> {
        authz::authorize_operator(who, action)
    }

    /// Writes the in-memory `lastUsed` times of tokens to the store.
    pub async fn flush_usage(&self) -> Result<()> {
        let pending = self.cache.pending_usage();
        if pending.is_empty() {
            return Ok(());
        }
        let uses: Vec<_> = pending.iter().map(|(id, at, _)| (*id, *at)).collect();
        self.store.record_pat_usage(&uses).await?;
        for (_, at, usage) in pending {
            usage.mark_flushed(at);
        }
        Ok(())
    }

    /// Forgets throttle windows that have ended.
    pub fn prune_throttles(&self) {
        let now = self.clock.now();
        self.pair_throttle.prune(now);
        self.user_throttle.prune(now);
        self.grant_limit.prune(now);
        self.address_throttle.prune(now);
        self.keystone.prune(now);
    }
}

/// Runs CPU-heavy work (password hashing) off the async executor.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(Error::internal)
}
