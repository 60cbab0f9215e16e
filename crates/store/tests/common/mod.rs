//! What every store test file shares: a store of each backend, the `contract!` macro that runs
//! one body on both, and the `change!` macro that makes one change in its own transaction.

#![allow(clippy::unwrap_used, dead_code)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use latchkey_core::audit::{AuditKind, Author, NewAudit, Origin};
use latchkey_core::model::AccountId;
use latchkey_core::store::{NewRevocation, Record, Store};
use latchkey_store::testing::PostgresDatabase;
use latchkey_store::{PostgresStore, SqliteStore};

/// Whole microseconds: what both backends keep.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap()
}

/// Runs one change in its own transaction: committed (with a plain record) when it succeeds,
/// rolled back when it fails, as the directory does.
#[macro_export]
macro_rules! change {
    ($store:expr, $tx:ident => $call:expr) => {{
        let mut $tx = $store.begin().await.unwrap();
        let result = $call.await;
        if result.is_ok() {
            $tx.commit($crate::common::plain_record()).await.unwrap();
        }
        result
    }};
}

/// A record for changes whose record is not what a test looks at.
pub fn plain_record() -> Record {
    Record::new(audit(AuditKind::UserModified, None))
}

pub fn audit(kind: AuditKind, account: Option<AccountId>) -> NewAudit {
    NewAudit {
        kind,
        account,
        author: Author::system(),
        origin: Origin::default(),
        details: serde_json::Map::new(),
        at: now(),
        coalesce: None,
    }
}

/// Commits an event alone (with its record); returns its id.
pub async fn record_event(store: &dyn Store, event: &NewRevocation) -> latchkey_core::Result<i64> {
    let tx = store.begin().await?;
    let record = plain_record().event(event.clone());
    Ok(tx.commit(record).await?.last_event().unwrap_or_default())
}

/// A store of one backend, and whatever keeps its database alive.
pub struct Fixture {
    pub store: Arc<dyn Store>,
    _keep: Box<dyn std::any::Any + Send>,
}

pub async fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_file(&dir.path().join("store.db"))
        .await
        .unwrap();
    Fixture {
        store: Arc::new(store),
        _keep: Box::new(dir),
    }
}

pub async fn postgres() -> Fixture {
    let db = PostgresDatabase::create().await;
    let store = PostgresStore::connect(db.url()).await.unwrap();
    Fixture {
        store: Arc::new(store),
        _keep: Box::new(db),
    }
}

#[macro_export]
macro_rules! contract {
    ($($name:ident),+ $(,)?) => {
        mod sqlite_backend {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::common::sqlite().await.store.as_ref()).await })+
        }
        mod postgres_backend {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let f = $crate::common::postgres().await;
                super::$name(f.store.as_ref()).await
            })+
        }
    };
}
