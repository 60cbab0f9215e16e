//! The PostgreSQL backend, for several nodes sharing one database.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

/// The store on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to a `postgres:` URL and applies migrations.
    pub async fn connect(url: &str) -> latchkey_core::Result<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| latchkey_core::Error::invalid(format!("bad PostgreSQL URL: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(latchkey_core::Error::internal)?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(latchkey_core::Error::internal)?;
        Ok(Self { pool })
    }
}

/// The SQL both backends share ([`sql`]), compiled for this one.
type Backend = PostgresStore;
type Db = sqlx::Postgres;
/// How a write transaction opens.
const BEGIN: &str = "BEGIN";
/// Whether several nodes may share the store.
const SHARED: bool = true;

#[path = "sql/mod.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "the shared SQL is compiled once per backend, on purpose"
)]
mod sql;
