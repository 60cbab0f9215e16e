//! What a guard holds ([`Inner`]): the server it asks, its caches, and the state of the
//! revocation feed that keeps those caches true. The guard reads and fills the caches, the feed
//! ([`crate::feed`]) empties them, callers ([`crate::caller`]) reuse their IAM checks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use dashmap::DashMap;
use latchkey_client::Client;
use latchkey_client::clock::SharedClock;
use sha2::{Digest, Sha256};

use crate::identity::Identity;
use crate::keys::KeySet;

/// Revocations and identity changes older than this concern only expired tokens (the longest
/// lived, Keystone's, last 24 h, and 48 h more with `allow_expired`).
const FORGET_AFTER: TimeDelta = TimeDelta::days(3);

/// The key caches use for a token: its SHA-256, so no cache holds a token value.
pub(crate) type TokenKey = [u8; 32];

pub(crate) fn key_of(value: &str) -> TokenKey {
    Sha256::digest(value.as_bytes()).into()
}

/// A signed token, verified once.
#[derive(Debug)]
pub(crate) struct Verified {
    pub identity: Arc<Identity>,
    pub issued_us: i64,
    pub expires: DateTime<Utc>,
    /// The ids a revocation may name: the `jti`, or the Keystone audit chain.
    pub ids: Vec<String>,
}

/// An answer of the server's introspection.
#[derive(Debug)]
pub(crate) struct Introspected {
    pub identity: Arc<Identity>,
    pub at: DateTime<Utc>,
}

/// An IAM check: (token, resource, action, the caller's address).
pub(crate) type CheckKey = (TokenKey, String, String, Option<std::net::IpAddr>);

/// What a guard holds: the server it asks, its caches, and the state of the revocation feed
/// that keeps those caches true.
#[derive(Debug)]
pub(crate) struct Inner {
    pub server: Server,
    pub clock: SharedClock,
    pub caches: Caches,
    pub feed: FeedState,
    /// The feed and key-refresh tasks, stopped with the guard.
    pub tasks: parking_lot::Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// Peers whose `X-Forwarded-For` names the caller.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Inner {
    /// The caller's address: the peer's, or — when the peer is a trusted proxy — the nearest
    /// address of `X-Forwarded-For` that is not itself a trusted proxy.
    pub(crate) fn caller_address(
        &self,
        peer: std::net::IpAddr,
        headers: &axum::http::HeaderMap,
    ) -> std::net::IpAddr {
        let trusted = |a: &std::net::IpAddr| self.trusted_proxies.iter().any(|n| n.contains(a));
        if !trusted(&peer) {
            return peer;
        }
        let forwarded: Vec<std::net::IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        forwarded
            .into_iter()
            .rev()
            .find(|a| !trusted(a))
            .unwrap_or(peer)
    }
}

/// The server a guard asks: HTTP clients, where it is, whom its tokens name as issuer, and its
/// signing keys.
#[derive(Debug)]
pub(crate) struct Server {
    pub http: reqwest::Client,
    pub base: String,
    pub client: Client,
    pub issuer: String,
    pub keys: KeySet,
}

/// What a guard remembers between requests, keyed by the SHA-256 of the token.
#[derive(Debug)]
pub(crate) struct Caches {
    /// Signed tokens verified once.
    pub signed: DashMap<TokenKey, Arc<Verified>>,
    /// PATs the server introspected.
    pub introspected: DashMap<TokenKey, Introspected>,
    /// Token ids (`jti`s, Keystone audit ids) revoked, with when (µs).
    pub revoked: DashMap<String, i64>,
    /// Identities whose credentials changed, with when (µs): their tokens issued before are
    /// confirmed with the server.
    pub changed: DashMap<String, i64>,
    /// When Keystone data (projects, grants, roles) last changed (µs): Keystone tokens issued
    /// before are confirmed with the server, which re-resolves their scope.
    pub keystone_changed: AtomicI64,
    /// IAM checks answered: (token, action, resource) → (allowed, when).
    pub checks: DashMap<CheckKey, (bool, DateTime<Utc>)>,
    pub introspection_ttl: TimeDelta,
    pub check_ttl: TimeDelta,
}

/// The revocation feed as the guard last saw it.
#[derive(Debug)]
pub(crate) struct FeedState {
    pub enabled: bool,
    /// A stream is open.
    pub connected: AtomicBool,
    /// When the feed last answered (a poll, an event or a keep-alive).
    pub contact: parking_lot::Mutex<Option<Instant>>,
    /// How long the feed may be silent before no cache is trusted.
    pub max_silence: Duration,
    /// The newest event applied.
    pub cursor: AtomicI64,
}

impl Drop for Inner {
    fn drop(&mut self) {
        for task in self.tasks.lock().drain(..) {
            task.abort();
        }
    }
}

impl Inner {
    /// Drops what can no longer matter: expired verified tokens, stale introspections and
    /// checks, revocations and changes older than any live token.
    pub(crate) fn prune(&self) {
        let now = self.clock.now();
        self.caches.signed.retain(|_, v| v.expires > now);
        self.caches
            .introspected
            .retain(|_, hit| now - hit.at < self.caches.introspection_ttl);
        self.caches
            .checks
            .retain(|_, (_, at)| now - *at < self.caches.check_ttl);
        let horizon = (now - FORGET_AFTER).timestamp_micros();
        self.caches.revoked.retain(|_, at| *at > horizon);
        self.caches.changed.retain(|_, at| *at > horizon);
    }

    /// Whether the feed is live, so that cached answers can be trusted.
    pub(crate) fn caches_trusted(&self) -> bool {
        if !self.feed.enabled {
            return false;
        }
        if self.feed.connected.load(Ordering::Acquire) {
            return true;
        }
        self.feed
            .contact
            .lock()
            .is_some_and(|at| at.elapsed() < self.feed.max_silence)
    }
}
