//! The subscription to the server's revocation feed: the streaming form
//! (`GET /v1/revocations/stream`, server-sent events) while it is up, the polling form
//! (`GET /v1/revocations?since=`) to catch up whenever the stream breaks.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use latchkey_client::model::RevocationEvent;

use crate::GuardError;
use crate::state::Inner;

/// Pause between a broken stream and the next attempt.
const RECONNECT: Duration = Duration::from_millis(250);
/// The server sends a keep-alive comment every 5 s: a stream silent this long is dead (a peer
/// gone without closing the connection), and is dropped.
const STREAM_SILENCE: Duration = Duration::from_secs(12);

/// Reads the current cursor (a starting guard has nothing cached to revoke) and starts the task.
pub(crate) async fn subscribe(inner: &Arc<Inner>) -> Result<(), GuardError> {
    let start = inner.server.client.revocations(None).await?;
    inner.feed.cursor.store(start.cursor, Ordering::SeqCst);
    *inner.feed.contact.lock() = Some(Instant::now());
    let weak = Arc::downgrade(inner);
    inner.tasks.lock().push(tokio::spawn(run(weak)));
    Ok(())
}

async fn run(weak: Weak<Inner>) {
    let http = reqwest::Client::new();
    loop {
        if let Err(e) = stream_once(&weak, &http).await {
            tracing::warn!(error = %e, "the revocation stream broke; catching up by polling");
        }
        let Some(inner) = weak.upgrade() else {
            return;
        };
        inner.feed.connected.store(false, Ordering::Release);
        if let Err(e) = poll_once(&inner).await {
            tracing::warn!(error = %e, "cannot read the revocation feed");
        }
        drop(inner);
        tokio::time::sleep(RECONNECT).await;
    }
}

/// Catches up with the polling form.
async fn poll_once(inner: &Inner) -> Result<(), GuardError> {
    loop {
        let since = inner.feed.cursor.load(Ordering::SeqCst);
        let page = inner.server.client.revocations(Some(since)).await?;
        for event in &page.events {
            inner.apply(event);
        }
        inner.feed.cursor.fetch_max(page.cursor, Ordering::SeqCst);
        *inner.feed.contact.lock() = Some(Instant::now());
        if page.events.is_empty() {
            return Ok(());
        }
    }
}

/// Follows the stream until it ends.
async fn stream_once(weak: &Weak<Inner>, http: &reqwest::Client) -> Result<(), GuardError> {
    let res = {
        let Some(inner) = weak.upgrade() else {
            return Ok(());
        };
        let token = inner.server.client.token().await?;
        let since = inner.feed.cursor.load(Ordering::SeqCst);
        let url = format!("{}/v1/revocations/stream?since={since}", inner.server.base);
        let req = http.get(url).header("Accept", "text/event-stream");
        let req = token.present(req);
        let res = req.send().await.map_err(latchkey_client::Error::from)?;
        if !res.status().is_success() {
            if res.status() == reqwest::StatusCode::UNAUTHORIZED {
                inner.server.client.token_manager().invalidate(&token);
            }
            return Err(GuardError::Server(format!(
                "the revocation stream answered {}",
                res.status()
            )));
        }
        inner.feed.connected.store(true, Ordering::Release);
        *inner.feed.contact.lock() = Some(Instant::now());
        // Events recorded between the cursor read and the connection are in the stream: it
        // starts from `since`.
        res
    };
    let mut events = latchkey_client::sse::Events::new(res, STREAM_SILENCE);
    while let Some(event) = events.next().await? {
        let Some(inner) = weak.upgrade() else {
            return Ok(());
        };
        if let Some(event) = revocation_of(&event) {
            inner.apply(&event);
        }
        *inner.feed.contact.lock() = Some(Instant::now());
    }
    Ok(())
}

/// The revocation an event carries (other events are skipped).
fn revocation_of(event: &latchkey_client::sse::Event) -> Option<RevocationEvent> {
    if event.event != "revocation" {
        return None;
    }
    serde_json::from_str(&event.data).ok()
}

impl Inner {
    /// Applies one event to the caches.
    pub(crate) fn apply(&self, event: &RevocationEvent) {
        let token = event.token.as_deref();
        let identity = event.identity.as_deref();
        match event.kind.as_str() {
            // A PAT deleted or changed: ask the server next time.
            "pat" => {
                if let Some(id) = token {
                    self.caches
                        .introspected
                        .retain(|_, hit| hit.identity.token_id != id);
                }
            }
            // An access token or a Keystone token (and its rescoped descendants) revoked.
            "token" => {
                if let Some(id) = token {
                    self.caches
                        .revoked
                        .insert(id.to_owned(), event.at.timestamp_micros());
                    self.caches
                        .introspected
                        .retain(|_, hit| hit.identity.token_id != id);
                }
            }
            // A user or service account disabled, deleted or changed: its tokens issued
            // before now are confirmed with the server.
            "user" | "client" => {
                if let Some(urn) = identity {
                    self.caches
                        .changed
                        .insert(urn.to_owned(), event.at.timestamp_micros());
                    self.caches
                        .introspected
                        .retain(|_, hit| hit.identity.urn != urn);
                }
            }
            // Projects, grants or roles changed: Keystone tokens issued before are confirmed.
            "keystone" => {
                self.caches
                    .keystone_changed
                    .fetch_max(event.at.timestamp_micros(), Ordering::AcqRel);
                self.caches
                    .introspected
                    .retain(|_, hit| hit.identity.kind != crate::TokenKind::Keystone);
            }
            _ => {}
        }
        // Rights may have changed: checks are asked again.
        if !matches!(event.kind.as_str(), "pat" | "token") {
            self.caches.checks.clear();
        }
        self.feed.cursor.fetch_max(event.id, Ordering::SeqCst);
        tracing::debug!(id = event.id, kind = %event.kind, "applied a revocation event");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_revocation_events_are_applied() {
        let event = |kind: &str, data: &str| latchkey_client::sse::Event {
            event: kind.to_owned(),
            id: "7".to_owned(),
            data: data.to_owned(),
        };
        let revocation = revocation_of(&event(
            "revocation",
            "{\"id\":7,\"kind\":\"pat\",\"token\":\"ab\",\"at\":\"2026-01-01T00:00:00Z\"}",
        ));
        assert_eq!(revocation.as_ref().map(|e| e.id), Some(7));
        assert_eq!(revocation.and_then(|e| e.token), Some("ab".to_owned()));
        assert!(revocation_of(&event("other", "{}")).is_none());
        assert!(revocation_of(&event("revocation", "not json")).is_none());
    }
}
