//! Reading and pruning the audit log (records are written by [`super::Transaction::commit`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;
use crate::audit::{AuditQuery, AuditRecord};

#[async_trait]
pub trait AuditReads: Send + Sync {
    /// Records matching `query`: newest first, or oldest first when `query.after` is set.
    async fn audit_records(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>>;
    /// Forgets at most `limit` records older than `before`; returns how many (housekeeping
    /// calls it until it returns less than `limit`).
    async fn prune_audit(&self, before: DateTime<Utc>, limit: i64) -> Result<u64>;
}
