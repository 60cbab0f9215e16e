//! The persistence contract, by aggregate. `latchkey-store` implements it for SQLite and
//! PostgreSQL; both run the same contract tests. Every operation below an account takes that
//! account's id, so no query can reach across accounts.
//!
//! **One write path.** The `…Reads` traits read; a change is made only inside a
//! [`Transaction`] (`Store::begin`), through its `…Writes` traits, and only
//! [`Transaction::commit`] makes it durable, writing in the same database transaction the
//! [`Record`] that describes it: its audit records and its change events. A transaction dropped
//! without commit is rolled back, so a change is never stored without its record, nor a record
//! without its change. A `commit` that returns `Ok` is durable.
//!
//! The few writes that are bookkeeping rather than changes (last-use times, issue counters,
//! pruning) are methods of the read side and record nothing.

mod accounts;
mod audit;
mod catalog;
mod clients;
mod documents;
mod events;
mod keys;
mod keystone;
mod pats;
mod permissions_groups;
mod policies;
mod resources;
mod sessions;
mod users;

use async_trait::async_trait;

use crate::Result;
use crate::audit::NewAudit;

pub use accounts::{AccountReads, AccountWrites, NewAccount};
pub use audit::AuditReads;
pub use catalog::{CatalogReads, CatalogWrites, KeystoneBootstrap};
pub use clients::{ClientReads, ClientWrites, NewServiceAccount, ServiceAccountChanges};
pub use documents::{DocumentReads, DocumentWrites};
pub use events::{EventReads, EventWrites, NewRevocation, RevocationEvent, RevocationKind};
pub use keys::{KeyReads, KeyWrites};
pub use keystone::{KeystoneReads, KeystoneWrites};
pub use pats::{NewPat, PatChanges, PatReads, PatWrites};
pub use permissions_groups::{PermissionsGroupReads, PermissionsGroupWrites};
pub use policies::{NewPolicy, PolicyReads, PolicyWrites};
pub use resources::{ResourceReads, ResourceWrites};
pub use sessions::{ConsoleSession, SessionReads, SessionWrites};
pub use users::{GroupChanges, NewGroup, NewUser, Page, UserChanges, UserReads, UserWrites};

/// The store. Lookups of a missing row return `Ok(None)`; changes to a missing row return
/// `Error::NotFound`; unique-constraint violations return `Error::Conflict`.
#[async_trait]
pub trait Store:
    AccountReads
    + UserReads
    + PatReads
    + ClientReads
    + PolicyReads
    + ResourceReads
    + PermissionsGroupReads
    + KeyReads
    + EventReads
    + AuditReads
    + KeystoneReads
    + CatalogReads
    + DocumentReads
    + SessionReads
    + Send
    + Sync
    + std::fmt::Debug
    + 'static
{
    /// Whether several nodes may share this store (PostgreSQL), so that what must hold across
    /// nodes (token-creation limits) is kept in it rather than in one node's memory.
    fn shared(&self) -> bool;

    /// The connection pool: connections open, and idle among them.
    fn pool(&self) -> (u32, u32);

    /// Whether the database answers (its last probe succeeded); while not, every query fails at
    /// once with [`crate::Error::Unavailable`].
    fn ready(&self) -> bool {
        true
    }

    /// Opens a write transaction (on SQLite it takes the write lock at once, so a read inside
    /// it never meets a stale snapshot).
    async fn begin(&self) -> Result<Box<dyn Transaction>>;
}

/// A change being made. Reads inside it see its own writes.
#[async_trait]
pub trait Transaction:
    AccountWrites
    + UserWrites
    + PatWrites
    + ClientWrites
    + PolicyWrites
    + ResourceWrites
    + PermissionsGroupWrites
    + KeyWrites
    + EventWrites
    + KeystoneWrites
    + CatalogWrites
    + DocumentWrites
    + SessionWrites
    + Send
{
    /// Writes the record of the change and commits both, or neither.
    async fn commit(self: Box<Self>, record: Record) -> Result<Committed>;
}

/// What a change leaves behind: at least one audit record, and the events that tell the other
/// nodes and the guards what it invalidates.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    audit: Vec<NewAudit>,
    events: Vec<NewRevocation>,
}

impl Record {
    pub fn new(audit: NewAudit) -> Self {
        Self {
            audit: vec![audit],
            events: Vec::new(),
        }
    }

    /// A second audit record (a change that is two things at once).
    pub fn and(mut self, audit: NewAudit) -> Self {
        self.audit.push(audit);
        self
    }

    pub fn event(mut self, event: NewRevocation) -> Self {
        self.events.push(event);
        self
    }

    pub fn events(mut self, events: impl IntoIterator<Item = NewRevocation>) -> Self {
        self.events.extend(events);
        self
    }

    pub fn audit(&self) -> &[NewAudit] {
        &self.audit
    }

    pub fn changes(&self) -> &[NewRevocation] {
        &self.events
    }
}

/// What a commit wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committed {
    /// The id of each event written, in the record's order.
    pub event_ids: Vec<i64>,
    /// The id of each audit record, in the record's order (a coalesced repeat: the id of the
    /// record it added to).
    pub audit_ids: Vec<i64>,
}

impl Committed {
    /// The id of the last event written, if any.
    pub fn last_event(&self) -> Option<i64> {
        self.event_ids.last().copied()
    }
}
