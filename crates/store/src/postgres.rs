//! The PostgreSQL backend, for several nodes sharing one database.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

/// The store on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    health: std::sync::Arc<crate::health::Health>,
}

impl PostgresStore {
    /// Connects to a `postgres:` URL and applies migrations.
    pub async fn connect(url: &str) -> latchkey_core::Result<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| latchkey_core::Error::invalid(format!("bad PostgreSQL URL: {e}")))?;
        // Under load a request may wait for a connection this long (then 503); when the
        // database is down, the health probe fails requests at once instead.
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options.clone())
            .await
            .map_err(latchkey_core::Error::internal)?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(latchkey_core::Error::internal)?;
        let health = crate::health::Health::new();
        crate::health::probe_postgres(&health, options);
        Ok(Self { pool, health })
    }
}

/// The SQL both backends share ([`sql`]), compiled for this one.
type Backend = PostgresStore;
type Db = sqlx::Postgres;
/// How a write transaction opens.
const BEGIN: &str = "BEGIN";
/// Whether several nodes may share the store.
const SHARED: bool = true;
/// The channel commits are announced on.
const CHANNEL: &str = "latchkey_events";
/// The last event of a commit, written and announced on [`CHANNEL`] with its id in one
/// statement (the notification leaves when the transaction commits).
const NOTIFY: Option<&str> = Some(
    "WITH e AS (INSERT INTO revocation_events (kind, subject, account_id, identity, at) \
     VALUES ($1, $2, $3, $4, $5) RETURNING id) \
     SELECT id FROM e, LATERAL pg_notify('latchkey_events', e.id::text) AS n",
);
/// The usual record of a change that ends credentials — one audit record, one event — written
/// and announced in one statement: the audit row's 12 values, then the event's 5.
const AUDIT_AND_NOTIFY: Option<&str> = Some(
    "WITH a AS (INSERT INTO audit_log (kind, account_id, author_type, author_user, identity, \
     credential, ip, request_id, user_agent, details, created_at, last_at, count, coalesce_key) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, 1, $12) RETURNING id), \
     e AS (INSERT INTO revocation_events (kind, subject, account_id, identity, at) \
     VALUES ($13, $14, $15, $16, $17) RETURNING id) \
     SELECT a.id, e.id FROM a, e, LATERAL pg_notify('latchkey_events', e.id::text) AS n",
);

/// Listens on [`CHANNEL`] on a connection of its own. The listener reconnects by itself when its
/// connection drops (notifications sent meanwhile are lost; the poll catches up); the task ends
/// when the last receiver is dropped.
async fn watch_commits(
    pool: &PgPool,
) -> latchkey_core::Result<Option<tokio::sync::watch::Receiver<i64>>> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool)
        .await
        .map_err(latchkey_core::Error::internal)?;
    listener
        .listen(CHANNEL)
        .await
        .map_err(latchkey_core::Error::internal)?;
    let (tx, rx) = tokio::sync::watch::channel(0);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tx.closed() => return,
                received = listener.recv() => match received {
                    Ok(note) => {
                        let id = note.payload().parse::<i64>().unwrap_or(0);
                        tx.send_modify(|newest| *newest = (*newest).max(id));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the event notifications; retrying");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                },
            }
        }
    });
    Ok(Some(rx))
}

#[path = "sql/mod.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "the shared SQL is compiled once per backend, on purpose"
)]
mod sql;
