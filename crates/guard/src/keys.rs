//! The server's public keys (JWKS), fetched at start, every five minutes, and again when a
//! token names a key the guard does not know (at most once a second), so a key rotation needs
//! no restart.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;

use crate::GuardError;

#[derive(Default)]
pub(crate) struct KeySet {
    keys: parking_lot::RwLock<Arc<HashMap<String, DecodingKey>>>,
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<String> = self.keys.read().keys().cloned().collect();
        f.debug_struct("KeySet").field("kids", &kids).finish()
    }
}

/// Fetches are spaced by at least this much, so a flood of unknown `kid`s costs one a second.
const MIN_REFETCH: Duration = Duration::from_secs(1);

impl KeySet {
    pub(crate) fn get(&self, kid: &str) -> Option<DecodingKey> {
        self.keys.read().get(kid).cloned()
    }

    /// Fetches the JWKS again for a token that names `kid`, unless another request's fetch
    /// already brought it. Fetches are a second apart at least: a request that comes sooner
    /// waits for the next slot once (not holding the lock), then gives up if the key is still
    /// unknown — so random `kid`s cost the server one fetch a second and each such request at
    /// most a second.
    pub(crate) async fn refresh_for(
        &self,
        client: &latchkey_client::Client,
        kid: &str,
    ) -> Result<(), GuardError> {
        let mut waited = false;
        loop {
            let last = self.last_fetch.lock().await;
            if self.get(kid).is_some() {
                return Ok(());
            }
            let since = last.map(|at| at.elapsed());
            match since {
                Some(since) if since < MIN_REFETCH => {
                    if waited {
                        return Ok(());
                    }
                    drop(last);
                    tokio::time::sleep(MIN_REFETCH - since).await;
                    waited = true;
                }
                _ => return self.fetch(client, last).await,
            }
        }
    }

    /// Fetches the JWKS now.
    pub(crate) async fn refresh(&self, client: &latchkey_client::Client) -> Result<(), GuardError> {
        let last = self.last_fetch.lock().await;
        self.fetch(client, last).await
    }

    async fn fetch(
        &self,
        client: &latchkey_client::Client,
        mut last: tokio::sync::MutexGuard<'_, Option<Instant>>,
    ) -> Result<(), GuardError> {
        *last = Some(Instant::now());
        let jwks = client.jwks().await?;
        let set: JwkSet = serde_json::from_value(jwks)
            .map_err(|e| GuardError::Server(format!("the JWKS is not readable: {e}")))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => {
                    keys.insert(kid, key);
                }
                Err(e) => tracing::warn!(kid, error = %e, "skipping a JWKS key"),
            }
        }
        tracing::debug!(keys = keys.len(), "fetched the server's signing keys");
        *self.keys.write() = Arc::new(keys);
        Ok(())
    }
}
