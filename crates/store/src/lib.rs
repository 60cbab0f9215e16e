//! SQLite and PostgreSQL implementations of [`latchkey_core::store::Store`].
//!
//! Both backends run the same SQL (`sql/`), compiled once per backend, the same contract tests
//! (`tests/contract.rs`), and their own migrations (`migrations/{sqlite,postgres}`), applied at
//! connection. [`connect`] picks the backend from the URL scheme.

mod health;
mod postgres;
mod rows;
mod select;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;

use latchkey_core::store::Store;
use latchkey_core::{Error, Result};

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Whether the store at `url` is a file on this machine (SQLite), whose directory must exist
/// before it is opened.
pub fn is_local_file(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// The database file of a `sqlite:` URL (`None` for an in-memory database or another scheme).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    use std::str::FromStr;
    if !is_local_file(url) {
        return None;
    }
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
    let path = options.get_filename();
    (!path.as_os_str().is_empty() && path != std::path::Path::new(":memory:"))
        .then(|| path.to_owned())
}

/// Opens the store at `url`: `sqlite:<path>` or `postgres://…` (`postgresql://…`).
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    if is_local_file(url) {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else {
        Err(Error::invalid(format!(
            "database URL must start with sqlite: or postgres://, got {:?}",
            url.split(':').next().unwrap_or_default()
        )))
    }
}
