//! Writing changes: every change is made in a store transaction and committed with its
//! [`Record`] (audit records and change events), so the three are durable together or not at
//! all. Operations build the record with [`Directory::audit`] and [`Directory::event`] and
//! commit with [`Directory::commit`], which also wakes this node's feed streams.

use serde_json::Value;

use crate::Result;
use crate::audit::{AuditKind, Author, NewAudit, Origin};
use crate::authz::{OperatorPermit, Permit};
use crate::model::AccountId;
use crate::names::{ClientId, GroupName, Login};
use crate::store::Transaction;
use crate::store::{NewRevocation, Record, RevocationKind};
use crate::urn::Urn;

use super::Directory;

/// The identity whose credentials an event ends or changes, named for the revocation feed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ends<'a> {
    /// No single identity (policies, Keystone data).
    Nobody,
    User(&'a Login),
    Client(&'a ClientId),
    Group(&'a GroupName),
    /// An identity whose URN is already known.
    Urn(&'a Urn),
}

/// A write of one Keystone document ([`Directory::write_document`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum DocumentWrite<'a> {
    Create(&'a str),
    Replace(&'a str),
    Delete,
}

/// A refused credential, for its `LOGIN_FAILED` record: never the presented value.
#[derive(Debug, Clone)]
pub(crate) struct Failure<'a> {
    /// `password`, `pat`, `access_token`, `client_secret`, `token`, `application_credential`.
    pub method: &'a str,
    /// The account the credential claimed, when known.
    pub account: Option<AccountId>,
    /// The user name it claimed (a login, a client id), when known.
    pub user: Option<String>,
    pub reason: &'a str,
}

/// A call refused to an authenticated caller, for its `ACCESS_DENIED` record.
#[derive(Debug, Clone, Default)]
pub struct Refusal {
    /// The actions refused (IAM actions, Keystone rules), when the refusal named them.
    pub actions: Vec<String>,
    /// Why, when no action names it (a Keystone rule stated in words).
    pub reason: Option<String>,
    /// The call: its method and route template (`DELETE /1.0/me/identity/user/{user}`).
    pub method: String,
    pub route: Option<String>,
}

/// How long repeated failures (and refusals) of one key share a record.
const FAILURE_WINDOW_MINUTES: i64 = 15;

/// Who a record names as the author of a change.
pub(crate) trait Authored {
    fn author_in(&self, directory: &Directory) -> Author;
}

impl Authored for Permit {
    fn author_in(&self, directory: &Directory) -> Author {
        self.author(&directory.config.plate)
    }
}

impl Authored for OperatorPermit {
    fn author_in(&self, directory: &Directory) -> Author {
        self.author(&directory.config.plate)
    }
}

impl Authored for super::keystone::ks_token::KsToken {
    fn author_in(&self, directory: &Directory) -> Author {
        self.principal().author(&directory.config.plate)
    }
}

impl Authored for crate::authz::Principal {
    fn author_in(&self, directory: &Directory) -> Author {
        self.author(&directory.config.plate)
    }
}

impl Authored for Author {
    fn author_in(&self, _: &Directory) -> Author {
        self.clone()
    }
}

impl Directory {
    /// Opens the transaction of a change.
    pub(super) async fn begin(&self) -> Result<Box<dyn Transaction>> {
        self.store.begin().await
    }

    /// Commits a change with its record; on success this node's feed streams see its events.
    pub(super) async fn commit(&self, tx: Box<dyn Transaction>, record: Record) -> Result<()> {
        let audit = record.audit().len();
        let copied = self.audit_sink.as_ref().map(|_| record.audit().to_vec());
        let start = std::time::Instant::now();
        let committed = tx.commit(record).await?;
        metrics::histogram!("latchkey_store_commit_seconds").record(start.elapsed().as_secs_f64());
        metrics::counter!("latchkey_audit_records_written_total").increment(audit as u64);
        if let Some(id) = committed.last_event() {
            // This node's own events are applied: the change did it in process.
            {
                let mut cursor = self.events.lock();
                for id in &committed.event_ids {
                    cursor.take(*id);
                }
                cursor.settle(std::time::Instant::now());
            }
            self.saw_event(id);
        }
        if let Some(&newest) = committed.audit_ids.iter().max() {
            self.audit_seen.send_if_modified(|seen| {
                let newer = newest > *seen;
                *seen = (*seen).max(newest);
                newer
            });
        }
        if let (Some(sink), Some(copied)) = (&self.audit_sink, copied) {
            let mut records = Vec::with_capacity(copied.len());
            for (new, id) in copied.into_iter().zip(committed.audit_ids) {
                let nic = match new.account {
                    Some(account) => self
                        .cached_account(account)
                        .await
                        .ok()
                        .flatten()
                        .map(|a| a.nic.clone()),
                    None => None,
                };
                records.push((stored(id, new), nic));
            }
            sink.written(&records);
        }
        Ok(())
    }

    /// The newest audit record this node committed; it changes when one is.
    pub fn watch_audit(&self) -> tokio::sync::watch::Receiver<i64> {
        self.audit_seen.subscribe()
    }

    /// An audit record of `kind` in `account`, by `by`, now, from the request being served.
    /// `details` is the `<type>Details` object (a non-object is kept under `value`).
    pub(crate) fn audit(
        &self,
        by: &impl Authored,
        kind: AuditKind,
        account: Option<AccountId>,
        details: Value,
    ) -> NewAudit {
        let details = match details {
            Value::Object(map) => map,
            Value::Null => serde_json::Map::new(),
            other => serde_json::Map::from_iter([("value".to_owned(), other)]),
        };
        NewAudit {
            kind,
            account,
            author: by.author_in(self),
            origin: Origin::current(),
            details,
            at: self.clock.now(),
            coalesce: None,
        }
    }

    /// The store's connection pool: connections open, and idle among them.
    pub fn store_pool(&self) -> (u32, u32) {
        self.store.pool()
    }

    /// A local user as the author of its own change, through `credential`.
    pub(crate) fn user_author(
        &self,
        account: &crate::model::Account,
        user: &crate::model::User,
        credential: &str,
    ) -> Author {
        let identity = Urn::user(&self.config.plate, &account.nic, &user.login).to_string();
        Author::user(user, identity, credential.to_owned())
    }

    /// An audit record in the permit's account, by its holder.
    pub(crate) fn audit_by(&self, permit: &Permit, kind: AuditKind, details: Value) -> NewAudit {
        self.audit(permit, kind, Some(permit.account()), details)
    }

    /// A change event for the other nodes and the guards.
    pub(crate) async fn event(
        &self,
        kind: RevocationKind,
        subject: String,
        account: Option<AccountId>,
        ends: Ends<'_>,
    ) -> NewRevocation {
        NewRevocation {
            kind,
            subject,
            account,
            identity: self.identity_urn(account, ends).await,
            at: self.clock.now(),
        }
    }

    async fn identity_urn(&self, account: Option<AccountId>, ends: Ends<'_>) -> Option<String> {
        let plate = &self.config.plate;
        let nic = || async {
            let acct = self.cached_account(account?).await.ok().flatten()?;
            Some(acct.nic.clone())
        };
        let urn = match ends {
            Ends::Nobody => return None,
            Ends::Urn(urn) => urn.clone(),
            Ends::User(login) => Urn::user(plate, &nic().await?, login),
            Ends::Client(client) => Urn::credential(plate, &nic().await?, client),
            Ends::Group(name) => Urn::group(plate, &nic().await?, name),
        };
        Some(urn.to_string())
    }

    /// Writes one Keystone document (`kind`, `id`) and commits it with its record, which names
    /// the document, never its content. `extra` adds to the record's details.
    pub(crate) async fn write_document(
        &self,
        by: &impl Authored,
        account: Option<AccountId>,
        (kind, id): (&str, &str),
        write: DocumentWrite<'_>,
        extra: Value,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let audit_kind = match write {
            DocumentWrite::Create(body) => {
                tx.create_document(kind, id, body, self.clock.now()).await?;
                AuditKind::DocumentCreated
            }
            DocumentWrite::Replace(body) => {
                tx.replace_document(kind, id, body).await?;
                AuditKind::DocumentModified
            }
            DocumentWrite::Delete => {
                tx.delete_document(kind, id).await?;
                AuditKind::DocumentDeleted
            }
        };
        let mut details = serde_json::json!({ "document": kind, "id": id });
        if let (Value::Object(details), Value::Object(extra)) = (&mut details, extra) {
            details.extend(extra);
        }
        let audit = self.audit(by, audit_kind, account, details);
        self.commit(tx, Record::new(audit)).await
    }

    /// Records a refused credential. Repeats of the same method, account, user and address
    /// within [`FAILURE_WINDOW_MINUTES`] add to one record's count, so a flood of guesses makes
    /// a bounded number of rows. A failure to record is logged: the refusal stands.
    pub(crate) async fn record_failure(&self, failure: Failure<'_>) {
        let origin = Origin::current();
        let identity = match (failure.account, &failure.user) {
            (Some(account), Some(user)) => {
                match (self.cached_account(account).await, Login::parse(user)) {
                    (Ok(Some(acct)), Ok(login)) => {
                        Some(Urn::user(&self.config.plate, &acct.nic, &login).to_string())
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        let key = format!(
            "{}|{}|{}|{}",
            failure.method,
            failure.account.map_or(0, |a| a.0),
            failure.user.as_deref().unwrap_or_default(),
            origin.ip.map(|ip| ip.to_string()).unwrap_or_default(),
        );
        let author = Author {
            kind: None,
            user: failure.user.clone(),
            identity: identity.clone(),
            credential: Some(failure.method.to_owned()),
        };
        let details = serde_json::json!({
            "method": failure.method,
            "reason": failure.reason,
            "user": failure.user,
            "identity": identity,
        });
        let audit = self.audit(&author, AuditKind::LoginFailed, failure.account, details);
        if let Err(e) = self.write_repeatable(audit, key).await {
            tracing::error!(error = %e, method = failure.method, "could not record a failed authentication");
        }
    }

    /// Commits `audit` alone, as a repeat of the last record of `key` within
    /// [`FAILURE_WINDOW_MINUTES`] when there is one.
    async fn write_repeatable(&self, mut audit: NewAudit, key: String) -> Result<()> {
        audit.coalesce = Some(crate::audit::Coalesce {
            key,
            since: audit.at - chrono::TimeDelta::minutes(FAILURE_WINDOW_MINUTES),
        });
        let tx = self.begin().await?;
        self.commit(tx, Record::new(audit)).await
    }
}

impl Directory {
    /// Records a refused call. Repeats by the same identity of the same call from the same
    /// address within 15 minutes add to one record's count. A failure to record
    /// is logged: the refusal stands.
    pub async fn record_refusal(&self, who: &crate::authz::Principal, refusal: Refusal) {
        let author = who.author(&self.config.plate);
        let origin = Origin::current();
        let key = format!(
            "denied|{}|{}|{}|{}|{}|{}",
            who.account.id.0,
            author.identity.as_deref().unwrap_or_default(),
            refusal.method,
            refusal.route.as_deref().unwrap_or_default(),
            refusal.actions.join(","),
            origin.ip.map(|ip| ip.to_string()).unwrap_or_default(),
        );
        let details = serde_json::json!({
            "actions": refusal.actions,
            "reason": refusal.reason,
            "method": refusal.method,
            "route": refusal.route,
        });
        let audit = self.audit(who, AuditKind::AccessDenied, Some(who.account.id), details);
        if let Err(e) = self.write_repeatable(audit, key).await {
            tracing::error!(error = %e, "could not record a refused call");
        }
    }
}

/// A record as it was stored (a coalesced repeat shows as itself, counted once).
fn stored(id: i64, new: NewAudit) -> crate::audit::AuditRecord {
    crate::audit::AuditRecord {
        id,
        kind: new.kind.as_str().to_owned(),
        account: new.account,
        author: new.author,
        origin: new.origin,
        details: new.details,
        at: new.at,
        count: 1,
        last_at: new.at,
    }
}
