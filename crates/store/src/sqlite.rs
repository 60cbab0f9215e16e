//! The SQLite backend: one file, WAL journal, `synchronous = FULL` so that a committed write
//! survives a crash of the process or the machine.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// The store on a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Never down: the file is on this machine (an I/O error is an internal error).
    health: std::sync::Arc<crate::health::Health>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at a `sqlite:` URL and applies migrations.
    pub async fn connect(url: &str) -> latchkey_core::Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| latchkey_core::Error::invalid(format!("bad SQLite URL: {e}")))?;
        Self::open(options).await
    }

    /// Opens (creating if missing) the database file at `path` and applies migrations.
    pub async fn open_file(path: &Path) -> latchkey_core::Result<Self> {
        Self::open(SqliteConnectOptions::new().filename(path)).await
    }

    async fn open(options: SqliteConnectOptions) -> latchkey_core::Result<Self> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(latchkey_core::Error::internal)?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(latchkey_core::Error::internal)?;
        Ok(Self {
            pool,
            health: crate::health::Health::new(),
        })
    }
}

/// The SQL both backends share ([`sql`]), compiled for this one.
type Backend = SqliteStore;
type Db = sqlx::Sqlite;
/// How a write transaction opens (taking the write lock at once).
const BEGIN: &str = "BEGIN IMMEDIATE";
/// Whether several nodes may share the store.
const SHARED: bool = false;
/// One node has the file: nothing to tell the others.
const NOTIFY: Option<&str> = None;
/// No statement of SQLite writes two tables; the record's rows are written one by one.
const AUDIT_AND_NOTIFY: Option<&str> = None;

async fn watch_commits(
    _: &SqlitePool,
) -> latchkey_core::Result<Option<tokio::sync::watch::Receiver<i64>>> {
    Ok(None)
}

#[path = "sql/mod.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "the shared SQL is compiled once per backend, on purpose"
)]
mod sql;
