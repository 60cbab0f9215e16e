//! Test support: a fresh PostgreSQL database per test, dropped when the guard goes away, so tests
//! run in parallel without seeing each other's rows.
//!
//! The server is `LATCHKEY_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`).

use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// The administrative URL tests connect to before creating their own database.
pub fn admin_url() -> String {
    std::env::var("LATCHKEY_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A database that exists for as long as this value.
#[derive(Debug)]
pub struct PostgresDatabase {
    name: String,
    url: String,
}

impl PostgresDatabase {
    /// Creates an empty database with a unique name.
    pub async fn create() -> Self {
        let admin = admin_url();
        let name = format!("lktest_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is needed by this test: {e}"));
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let (base, _) = admin.rsplit_once('/').expect("URL with a database name");
        Self {
            url: format!("{base}/{name}"),
            name,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let admin = admin_url();
        let name = self.name.clone();
        // Drop may run inside or outside a runtime; a thread of its own works in both.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async move {
                let mut conn = PgConnection::connect(&admin)
                    .await
                    .map_err(std::io::Error::other)?;
                sqlx::query(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await
                .map_err(std::io::Error::other)?;
                Ok::<_, std::io::Error>(())
            })
        })
        .join();
    }
}
