//! The in-memory view of credentials that lets a PAT-authenticated request skip the database:
//! tokens by hash, users and accounts by id, and the `lastUsed` times not yet written.
//!
//! Every change that could make an entry stale removes it and bumps a generation counter; a
//! loader only inserts what it read if no invalidation happened meanwhile, so a concurrent
//! delete can never be undone by a slow read.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use dashmap::DashMap;

use crate::model::{Account, AccountId, PatId, ServiceAccount, User, UserId};
use crate::names::{ClientId, GroupName, TokenName};
use crate::secret::TokenHash;

use crate::store::ConsoleSession;

/// When a token was last used, and the last time written to the store (µs since the epoch).
#[derive(Debug, Default)]
pub(crate) struct Usage {
    last: AtomicI64,
    flushed: AtomicI64,
}

impl Usage {
    pub(crate) fn touch(&self, now: DateTime<Utc>) {
        self.last
            .fetch_max(now.timestamp_micros(), Ordering::Relaxed);
    }

    pub(crate) fn last(&self) -> Option<DateTime<Utc>> {
        match self.last.load(Ordering::Relaxed) {
            0 => None,
            us => DateTime::from_timestamp_micros(us),
        }
    }

    pub(crate) fn mark_flushed(&self, at: DateTime<Utc>) {
        self.flushed
            .fetch_max(at.timestamp_micros(), Ordering::Relaxed);
    }
}

#[derive(Debug)]
pub(crate) struct CachedPat {
    pub id: PatId,
    pub name: TokenName,
    pub user_id: UserId,
    pub account_id: AccountId,
    pub expires_at: Option<DateTime<Utc>>,
    pub usage: Arc<Usage>,
}

/// A session as this node holds it: what the store has, and the last request it served here.
#[derive(Debug)]
pub(crate) struct CachedSession {
    pub stored: ConsoleSession,
    /// µs since the epoch.
    seen: AtomicI64,
    flushed: AtomicI64,
    /// The one-time form ids this session has already sent (the newest few).
    spent: parking_lot::Mutex<std::collections::VecDeque<String>>,
}

/// How many spent form ids a session remembers.
const SPENT_FORMS: usize = 64;

impl CachedSession {
    pub(crate) fn new(stored: ConsoleSession) -> Self {
        let at = stored.last_seen.timestamp_micros();
        Self {
            stored,
            seen: AtomicI64::new(at),
            flushed: AtomicI64::new(at),
            spent: parking_lot::Mutex::new(std::collections::VecDeque::new()),
        }
    }

    pub(crate) fn seen(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.seen.load(Ordering::Relaxed)).unwrap_or_default()
    }

    pub(crate) fn touch(&self, now: DateTime<Utc>) {
        self.seen
            .fetch_max(now.timestamp_micros(), Ordering::Relaxed);
    }

    /// The activity not yet written to the store.
    pub(crate) fn pending(&self) -> Option<DateTime<Utc>> {
        let seen = self.seen.load(Ordering::Relaxed);
        (seen > self.flushed.load(Ordering::Relaxed))
            .then(|| DateTime::from_timestamp_micros(seen))
            .flatten()
    }

    pub(crate) fn mark_flushed(&self, at: DateTime<Utc>) {
        self.flushed
            .fetch_max(at.timestamp_micros(), Ordering::Relaxed);
    }

    /// Spends a form's one-time id: `false` when it was spent already.
    pub(crate) fn spend(&self, id: &str) -> bool {
        let mut spent = self.spent.lock();
        if id.is_empty() || spent.iter().any(|s| s == id) {
            return false;
        }
        if spent.len() == SPENT_FORMS {
            spent.pop_front();
        }
        spent.push_back(id.to_owned());
        true
    }
}

#[derive(Debug, Default)]
pub(crate) struct CredentialCache {
    generation: AtomicU64,
    pats: DashMap<TokenHash, Arc<CachedPat>>,
    usage: DashMap<PatId, Arc<Usage>>,
    users: DashMap<UserId, Arc<User>>,
    accounts: DashMap<AccountId, Arc<Account>>,
    clients: DashMap<ClientId, (Arc<ServiceAccount>, TokenHash)>,
    sessions: DashMap<TokenHash, Arc<CachedSession>>,
}

impl CredentialCache {
    /// Read before loading from the store; pass to the `insert_*` call afterwards.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn invalidated(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn pat(&self, hash: &TokenHash) -> Option<Arc<CachedPat>> {
        self.pats.get(hash).map(|e| Arc::clone(e.value()))
    }

    pub(crate) fn usage_of(&self, id: PatId) -> Arc<Usage> {
        Arc::clone(self.usage.entry(id).or_default().value())
    }

    pub(crate) fn last_used(&self, id: PatId) -> Option<DateTime<Utc>> {
        self.usage.get(&id).and_then(|u| u.last())
    }

    pub(crate) fn insert_pat(&self, generation: u64, hash: TokenHash, pat: Arc<CachedPat>) {
        if self.generation() == generation {
            self.pats.insert(hash, pat);
        }
    }

    pub(crate) fn user(&self, id: UserId) -> Option<Arc<User>> {
        self.users.get(&id).map(|e| Arc::clone(e.value()))
    }

    pub(crate) fn insert_user(&self, generation: u64, user: Arc<User>) {
        if self.generation() == generation {
            self.users.insert(user.id, user);
        }
    }

    pub(crate) fn account(&self, id: AccountId) -> Option<Arc<Account>> {
        self.accounts.get(&id).map(|e| Arc::clone(e.value()))
    }

    pub(crate) fn remove_account(&self, id: AccountId) {
        self.accounts.remove(&id);
    }

    pub(crate) fn insert_account(&self, account: Arc<Account>) {
        self.accounts.insert(account.id, account);
    }

    pub(crate) fn client(&self, id: &ClientId) -> Option<(Arc<ServiceAccount>, TokenHash)> {
        self.clients
            .get(id)
            .map(|e| (Arc::clone(&e.value().0), e.value().1))
    }

    pub(crate) fn insert_client(&self, generation: u64, sa: Arc<ServiceAccount>, hash: TokenHash) {
        if self.generation() == generation {
            self.clients.insert(sa.client_id.clone(), (sa, hash));
        }
    }

    /// A service account was changed or deleted.
    pub(crate) fn forget_client(&self, id: &ClientId) {
        self.invalidated();
        self.clients.remove(id);
    }

    /// A token was deleted or changed.
    pub(crate) fn forget_pat(&self, hash: &TokenHash) {
        self.invalidated();
        if let Some((_, pat)) = self.pats.remove(hash) {
            self.usage.remove(&pat.id);
        }
    }

    /// A user changed (status, group, password) or was deleted with its tokens.
    pub(crate) fn forget_user(&self, id: UserId, deleted_tokens: &[TokenHash]) {
        self.invalidated();
        self.users.remove(&id);
        for hash in deleted_tokens {
            if let Some((_, pat)) = self.pats.remove(hash) {
                self.usage.remove(&pat.id);
            }
        }
    }

    /// A group's role changed: its members' cached roles are stale.
    pub(crate) fn forget_group(&self, account: AccountId, group: &GroupName) {
        self.invalidated();
        self.users
            .retain(|_, u| !(u.account_id == account && &u.group == group));
    }

    /// Usage times newer than what was last written.
    pub(crate) fn pending_usage(&self) -> Vec<(PatId, DateTime<Utc>, Arc<Usage>)> {
        self.usage
            .iter()
            .filter_map(|e| {
                let u = e.value();
                let last = u.last.load(Ordering::Relaxed);
                (last > u.flushed.load(Ordering::Relaxed))
                    .then(|| DateTime::from_timestamp_micros(last))
                    .flatten()
                    .map(|at| (*e.key(), at, Arc::clone(u)))
            })
            .collect()
    }

    pub(crate) fn session(&self, hash: &TokenHash) -> Option<Arc<CachedSession>> {
        self.sessions.get(hash).map(|e| Arc::clone(e.value()))
    }

    /// A session this node just opened.
    pub(crate) fn insert_session(&self, session: Arc<CachedSession>) {
        self.sessions.insert(session.stored.hash, session);
    }

    /// A session read from the store, kept unless an invalidation happened meanwhile.
    pub(crate) fn insert_session_if(&self, generation: u64, session: Arc<CachedSession>) {
        if self.generation() == generation {
            self.sessions.insert(session.stored.hash, session);
        }
    }

    /// A session ended (signed out, here or on another node).
    pub(crate) fn forget_session(&self, hash: &TokenHash) {
        self.invalidated();
        self.sessions.remove(hash);
    }

    pub(crate) fn retain_sessions(&self, keep: impl Fn(&CachedSession) -> bool) {
        self.sessions.retain(|_, s| keep(s));
    }

    /// Sessions whose activity is newer than what was last written.
    pub(crate) fn pending_sessions(&self) -> Vec<(Arc<CachedSession>, DateTime<Utc>)> {
        self.sessions
            .iter()
            .filter_map(|e| e.value().pending().map(|at| (Arc::clone(e.value()), at)))
            .collect()
    }
}
