//! Revocation events between nodes. Every change that must end a credential's use — a token
//! deleted or revoked, a user disabled, changed or deleted, a group's role changed, a service
//! account changed or deleted, an account's policies changed — is invalidated in this node's
//! cache at once and its event committed with it (`journal.rs`); every node applies the events
//! recorded after the last one it applied.

use crate::Result;
use crate::authz::Permit;
use crate::model::{AccountId, UserId};
use crate::names::{ClientId, GroupName};
use crate::secret::TokenHash;
use crate::store::{RevocationEvent, RevocationKind};

use super::Directory;

/// Events read per store round trip.
const BATCH: i64 = 1000;

impl Directory {
    /// Moves the newest-event mark forward to `id` (never back), waking the feed streams.
    pub(super) fn saw_event(&self, id: i64) {
        self.event_seen.send_if_modified(|seen| {
            let newer = id > *seen;
            *seen = (*seen).max(id);
            newer
        });
    }

    /// The newest event id this node has recorded or applied; it changes when one is. The
    /// revocation feed's streams wait on it.
    pub fn watch_events(&self) -> tokio::sync::watch::Receiver<i64> {
        self.event_seen.subscribe()
    }

    /// Becomes `true` when the server stops: open feed streams end, so a graceful shutdown does
    /// not wait for guards to hang up.
    pub fn watch_closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Ends the open feed streams (called when the server starts shutting down).
    pub fn close_streams(&self) {
        self.closing.send_replace(true);
    }

    /// The revocation feed (`GET /v1/revocations`): events after `after`, oldest first, at most
    /// `limit`, of the permit's account, or of every account for the operator's.
    pub async fn revocation_feed(
        &self,
        permit: &Permit,
        operator: bool,
        after: i64,
        limit: i64,
    ) -> Result<Vec<RevocationEvent>> {
        let mut events = if operator {
            self.store.revocations_since(after, limit).await?
        } else {
            self.store
                .account_revocations_since(permit.account(), after, limit)
                .await?
        };
        // Nothing past a hole that may still fill: a reader resuming after it would miss it.
        let horizon = self.feed_horizon();
        events.retain(|e| e.id <= horizon);
        Ok(events)
    }

    /// Whether a commit announced with its last event `id` may hold events this node has not
    /// applied (its own commits it has; another node's, or a hole below, it may not).
    pub fn needs_events_up_to(&self, id: i64) -> bool {
        let cursor = self.events.lock();
        id > cursor.newest() || cursor.has_holes()
    }

    /// Where a feed reader may start, and how far it may read: on a shared store this node's
    /// horizon (every event id at or below it committed, or given up), since ids can commit out
    /// of order there; on one node, every event, which commit in id order.
    pub fn feed_horizon(&self) -> i64 {
        if self.store.shared() {
            self.events.lock().horizon()
        } else {
            i64::MAX
        }
    }

    /// The cursor a feed reader that starts now begins after.
    pub fn feed_start(&self) -> i64 {
        (*self.event_seen.borrow()).min(self.feed_horizon())
    }

    /// Commits of any node, pushed (see [`crate::store::EventReads::watch_commits`]); `None` when
    /// the store has one node.
    pub async fn watch_commits(&self) -> Result<Option<tokio::sync::watch::Receiver<i64>>> {
        self.store.watch_commits().await
    }

    /// Starts reading events after the newest one (a starting node's caches are empty).
    pub async fn init_revocation_events(&self) -> Result<()> {
        let last = self.store.last_revocation_id().await?;
        *self.events.lock() = super::event_cursor::EventCursor::starting_after(last);
        self.event_seen.send_replace(last);
        Ok(())
    }

    /// Applies the events recorded since the newest one applied, and those that landed late
    /// below it (the node's event cursor: event ids can commit out of order); returns how many.
    pub async fn apply_revocation_events(&self) -> Result<usize> {
        let _serial = self.applying.lock().await;
        let mut applied = 0;
        let holes = {
            let cursor = self.events.lock();
            cursor
                .has_holes()
                .then(|| (cursor.horizon(), cursor.newest()))
        };
        if let Some((horizon, newest)) = holes {
            let window = (newest - horizon).clamp(1, BATCH);
            let late = self.store.revocations_since(horizon, window).await?;
            applied += self.apply_new(&late).await?;
        }
        loop {
            let after = self.events.lock().newest();
            let events = self.store.revocations_since(after, BATCH).await?;
            if events.is_empty() {
                break;
            }
            applied += self.apply_new(&events).await?;
            if events.len() < BATCH as usize {
                break;
            }
        }
        self.events.lock().settle(std::time::Instant::now());
        Ok(applied)
    }

    /// Applies those of `events` not applied yet; returns how many. When one cannot be
    /// applied, none of them counts as applied: they are read again next time.
    async fn apply_new(&self, events: &[RevocationEvent]) -> Result<usize> {
        let events: Vec<&RevocationEvent> = {
            let mut cursor = self.events.lock();
            events.iter().filter(|e| cursor.take(e.id)).collect()
        };
        let applied = self.apply_each(&events).await;
        if applied.is_err() {
            let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
            self.events.lock().untake(&ids);
        }
        applied
    }

    async fn apply_each(&self, events: &[&RevocationEvent]) -> Result<usize> {
        let mut policies_changed = Vec::new();
        let mut resources_changed = Vec::new();
        let now = self.clock.now();
        for event in events {
            let lag = (now - event.at).to_std().unwrap_or_default();
            metrics::histogram!("latchkey_event_propagation_seconds").record(lag.as_secs_f64());
            if event.kind == RevocationKind::Keystone.as_str() {
                self.apply_keystone_event(&event.subject).await?;
            } else if event.kind == RevocationKind::Policies.as_str() {
                if let Ok(id) = event.subject.parse() {
                    policies_changed.push(AccountId(id));
                }
            } else if event.kind == RevocationKind::Resources.as_str() {
                if let Ok(id) = event.subject.parse() {
                    resources_changed.push(AccountId(id));
                }
            } else {
                self.apply(&event.kind, &event.subject);
            }
        }
        policies_changed.sort_unstable_by_key(|a| a.0);
        policies_changed.dedup();
        for account in policies_changed {
            self.reload_policies(account).await?;
        }
        resources_changed.sort_unstable_by_key(|a| a.0);
        resources_changed.dedup();
        for account in resources_changed {
            self.reload_resources(account).await?;
        }
        if let Some(last) = events.iter().map(|e| e.id).max() {
            self.saw_event(last);
        }
        Ok(events.len())
    }

    fn apply(&self, kind: &str, subject: &str) {
        match RevocationKind::parse(kind) {
            Some(RevocationKind::Pat) => {
                if let Some(hash) = TokenHash::from_hex(subject) {
                    self.cache.forget_pat(&hash);
                }
            }
            Some(RevocationKind::User) => {
                if let Ok(id) = subject.parse() {
                    self.cache.forget_user(UserId(id), &[]);
                }
            }
            Some(RevocationKind::Group) => {
                let parsed = subject.split_once('/').and_then(|(account, name)| {
                    Some((
                        AccountId(account.parse().ok()?),
                        GroupName::parse(name).ok()?,
                    ))
                });
                if let Some((account, name)) = parsed {
                    self.cache.forget_group(account, &name);
                }
            }
            Some(RevocationKind::Client) => {
                if let Ok(client) = ClientId::parse(subject) {
                    self.cache.forget_client(&client);
                }
            }
            Some(RevocationKind::Session) => {
                if let Some(hash) = TokenHash::from_hex(subject) {
                    self.cache.forget_session(&hash);
                }
            }
            Some(RevocationKind::AccessToken) => {
                self.revoked.insert(subject.to_owned());
            }
            // Applied by `apply_revocation_events`, which can wait for the store.
            Some(
                RevocationKind::Policies | RevocationKind::Resources | RevocationKind::Keystone,
            ) => {}
            None => tracing::warn!(kind, "unknown revocation event kind"),
        }
    }

    /// Forgets events older than a day: a node away longer restarts with empty caches.
    pub async fn prune_revocation_events(&self) -> Result<()> {
        let before = self.clock.now() - chrono::TimeDelta::days(1);
        self.store.prune_revocations(before).await
    }
}
