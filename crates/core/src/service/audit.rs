//! Reading the audit log: an account's records, in OVHcloud's types or whole, and every
//! account's for the operator. Records are written by the changes themselves (`journal.rs`).

use chrono::{DateTime, Utc};

use crate::Result;
use crate::audit::{AuditKind, AuditQuery, AuditRecord};
use crate::authz::Permit;
use crate::model::AccountId;

use super::Directory;

/// Which records a reader asks for.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Any of these types (empty: every type the route serves).
    pub kinds: Vec<String>,
    /// Records whose author is this identity URN.
    pub identity: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// The page after the record of this id (newest first).
    pub before: Option<i64>,
    pub limit: i64,
}

/// Whose records a reading covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditScope {
    /// The permit's account.
    Own,
    /// Another account (the operator's reading, `?account=`).
    Account(AccountId),
    /// Every account and the installation's own records (the operator's reading).
    Everyone,
}

impl Directory {
    /// `GET /1.0/me/logs/audit`: the account's records of OVHcloud's types, newest first. A
    /// type outside them selects nothing, so a client with OVHcloud's enum parses every record.
    pub async fn ovh_audit_log(
        &self,
        permit: &Permit,
        filter: AuditFilter,
    ) -> Result<Vec<AuditRecord>> {
        let kinds = if filter.kinds.is_empty() {
            ovh_kinds()
        } else {
            filter
                .kinds
                .iter()
                .filter(|k| AuditKind::parse(k).is_some_and(AuditKind::ovh))
                .cloned()
                .collect::<Vec<_>>()
        };
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let filter = AuditFilter { kinds, ..filter };
        self.read_audit(Some(permit.account()), filter).await
    }

    /// The account's records of OVHcloud's types after `after`, oldest first (the stream).
    pub async fn ovh_audit_since(
        &self,
        permit: &Permit,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AuditRecord>> {
        let query = AuditQuery {
            account: Some(permit.account()),
            kinds: ovh_kinds(),
            after: Some(after),
            limit,
            ..AuditQuery::default()
        };
        self.store.audit_records(&query).await
    }

    /// The id of the account's newest record (0 when none), where a stream without a cursor
    /// starts.
    pub async fn newest_audit_id(&self, permit: &Permit) -> Result<i64> {
        let query = AuditQuery {
            account: Some(permit.account()),
            limit: 1,
            ..AuditQuery::default()
        };
        Ok(self
            .store
            .audit_records(&query)
            .await?
            .first()
            .map_or(0, |r| r.id))
    }

    /// `GET /v2/audit/log`: every record of the permit's account, or (`operator`: the caller
    /// is of the operator's account) of `scope`.
    pub async fn audit_log(
        &self,
        permit: &Permit,
        operator: bool,
        scope: AuditScope,
        filter: AuditFilter,
    ) -> Result<Vec<AuditRecord>> {
        let account = match scope {
            AuditScope::Own => Some(permit.account()),
            AuditScope::Account(id) if operator => Some(id),
            AuditScope::Everyone if operator => None,
            _ => return Err(crate::Error::forbidden(permit.action())),
        };
        self.read_audit(account, filter).await
    }

    async fn read_audit(
        &self,
        account: Option<AccountId>,
        filter: AuditFilter,
    ) -> Result<Vec<AuditRecord>> {
        let query = AuditQuery {
            account,
            kinds: filter.kinds,
            identity: filter.identity,
            from: filter.from,
            to: filter.to,
            before: filter.before,
            after: None,
            limit: filter.limit,
        };
        self.store.audit_records(&query).await
    }

    /// Forgets the records older than the retention, in batches so that a long backlog never
    /// holds the store for long; returns how many went.
    pub async fn prune_audit_log(&self) -> Result<u64> {
        const BATCH: i64 = 1000;
        let retention = chrono::TimeDelta::from_std(self.config.audit_retention)
            .unwrap_or(chrono::TimeDelta::MAX);
        let before = self.clock.now() - retention;
        let mut pruned = 0;
        loop {
            let n = self.store.prune_audit(before, BATCH).await?;
            metrics::counter!("latchkey_audit_records_pruned_total").increment(n);
            pruned += n;
            if n < BATCH as u64 {
                return Ok(pruned);
            }
        }
    }
}

/// OVHcloud's types, by name.
fn ovh_kinds() -> Vec<String> {
    AuditKind::ALL
        .iter()
        .filter(|k| k.ovh())
        .map(|k| k.as_str().to_owned())
        .collect()
}
