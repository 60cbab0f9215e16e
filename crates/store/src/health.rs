//! Whether the database answers, known before a request needs it: a probe on a connection of
//! its own (never one of the pool's, so a busy pool does not look like an outage) runs
//! `SELECT 1` every [`PROBE_EVERY`], and while it fails every query of the store fails at once
//! with [`Error::Unavailable`] instead of waiting out the pool's acquire timeout. The probe logs
//! each change, and ends with the store.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use latchkey_core::{Error, Result};

/// How often the database is probed.
pub const PROBE_EVERY: Duration = Duration::from_millis(500);
/// How long a probe (connecting included) may take before the database counts as unreachable.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// The probe's last finding.
#[derive(Debug)]
pub(crate) struct Health {
    down: AtomicBool,
}

impl Health {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            down: AtomicBool::new(false),
        })
    }

    /// Fails at once while the database is known to be unreachable.
    pub(crate) fn check(&self) -> Result<()> {
        if self.down.load(Ordering::Relaxed) {
            Err(Error::unavailable())
        } else {
            Ok(())
        }
    }

    pub(crate) fn is_up(&self) -> bool {
        !self.down.load(Ordering::Relaxed)
    }

    /// Records a finding; whether it changed.
    fn set_up(&self, up: bool) -> bool {
        self.down.swap(!up, Ordering::Relaxed) == up
    }
}

/// Probes PostgreSQL until the store (the last strong reference to `health`) is dropped.
pub(crate) fn probe_postgres(health: &Arc<Health>, options: sqlx::postgres::PgConnectOptions) {
    use sqlx::Connection;
    let health: Weak<Health> = Arc::downgrade(health);
    tokio::spawn(async move {
        let mut conn: Option<sqlx::PgConnection> = None;
        let mut tick = tokio::time::interval(PROBE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(health) = health.upgrade() else {
                return;
            };
            let answered = tokio::time::timeout(PROBE_TIMEOUT, async {
                let c = match conn.as_mut() {
                    Some(c) => c,
                    None => conn.insert(sqlx::PgConnection::connect_with(&options).await?),
                };
                sqlx::query("SELECT 1").execute(c).await.map(|_| ())
            })
            .await;
            let up = matches!(answered, Ok(Ok(())));
            if !up {
                conn = None;
            }
            if health.set_up(up) {
                if up {
                    tracing::info!("the database answers again");
                } else {
                    let why = match answered {
                        Ok(Err(e)) => e.to_string(),
                        _ => format!("no answer within {PROBE_TIMEOUT:?}"),
                    };
                    tracing::error!(error = %why, "the database is unreachable; answering 503 to what needs it");
                }
            }
        }
    });
}

/// Whether a database error means the database could not be reached (or the pool gave up
/// waiting for a connection), rather than a refused statement.
pub(crate) fn is_unreachable(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
    )
}
