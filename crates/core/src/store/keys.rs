//! Signing keys.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;
use crate::keys::StoredKey;

#[async_trait]
pub trait KeyReads: Send + Sync {
    /// Every stored key: retired ones first, then the primary, then the staged one.
    async fn signing_keys(&self) -> Result<Vec<StoredKey>>;
}

#[async_trait]
pub trait KeyWrites: Send {
    /// Stores the first keys of an empty key table. `Ok(false)` if keys exist already (another
    /// node was first).
    async fn init_signing_keys(&mut self, primary: StoredKey, staged: StoredKey) -> Result<bool>;
    /// Promotes the staged key, retires `expected_primary` (verifying until `verify_until`),
    /// stores `next_staged`, and drops retired keys past their deadline.
    /// `Ok(false)` if the primary is no longer `expected_primary` (another node rotated).
    async fn rotate_signing_keys(
        &mut self,
        expected_primary: &str,
        verify_until: DateTime<Utc>,
        next_staged: StoredKey,
        now: DateTime<Utc>,
    ) -> Result<bool>;
}
