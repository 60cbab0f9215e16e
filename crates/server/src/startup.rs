//! Building and running the server: [`Application::build`] opens the store, loads the hash key,
//! bootstraps an empty store and binds the listener; [`Application::run_until_stopped`] serves
//! until the shutdown future completes, then drains requests and writes pending token usage.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use latchkey_core::clock::{SharedClock, SystemClock};
use latchkey_core::secret::{HashKey, Secret};
use latchkey_core::service::{Directory, DirectoryConfig};
use tokio::net::TcpListener;

use crate::config::Config;
use crate::error::ovh_error;
use crate::state::AppState;
use crate::{admin, iam, keystone, oauth2, ovh};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("hash key file {path}: {message}")]
    HashKey { path: String, message: String },
    #[error("store: {0}")]
    Store(latchkey_core::Error),
    #[error("audit file {path}: {source}")]
    AuditFile {
        path: String,
        source: std::io::Error,
    },
    #[error("TLS: {0}")]
    Tls(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// What the first start created, for the operator to read once.
#[derive(Debug)]
pub struct Bootstrapped {
    pub nic: String,
    pub login: String,
    /// Present when the password was generated.
    pub generated_password: Option<Secret>,
}

/// A built server, bound to its port, not yet serving.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    /// The `/metrics` listener, when configured.
    metrics: Option<TcpListener>,
    router: Router,
    directory: Arc<Directory>,
    bootstrapped: Option<Bootstrapped>,
    /// The certificate in service, when the server speaks HTTPS.
    certificates: Option<Arc<crate::listener::tls::Certificates>>,
    connections: crate::config::ConnectionLimits,
}

impl Application {
    /// Builds the server with the wall clock.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Builds the server with an injected clock (tests drive expiry and throttling with it).
    pub async fn build_with_clock(config: Config, clock: SharedClock) -> Result<Self, StartError> {
        prepare_data_dir(&config)?;
        let certificates = config
            .tls
            .as_ref()
            .map(crate::listener::tls::Certificates::load)
            .transpose()
            .map_err(StartError::Tls)?;
        let hash_key = load_or_create_hash_key(&config.hash_key_file)?;
        let store = latchkey_store::connect(&config.database_url)
            .await
            .map_err(StartError::Store)?;
        let shared_issue_limit = store.shared();
        let directory = Directory::new(
            store,
            clock,
            DirectoryConfig {
                access_token_ttl: config.access_token_ttl,
                key_rotation: config.key_rotation,
                grant_limit: latchkey_core::throttle::Limit {
                    max_failures: config.grants_per_minute,
                    window: Duration::from_secs(60),
                },
                keystone_token_ttl: config.keystone_token_ttl,
                audit_retention: config.audit_retention,
                shared_issue_limit,
                console_idle_timeout: config.console.idle_timeout,
                console_session_lifetime: config.console.lifetime,
                keystone_issue_limit: latchkey_core::throttle::Limit {
                    max_failures: config.keystone_tokens_per_minute,
                    window: Duration::from_secs(60),
                },
                ..DirectoryConfig::new(config.plate.clone(), hash_key, config.public_url.clone())
            },
        );
        let directory = Arc::new(match &config.audit_file {
            Some(path) => {
                let sink =
                    crate::audit::FileSink::open(path, config.audit_format).map_err(|source| {
                        StartError::AuditFile {
                            path: path.display().to_string(),
                            source,
                        }
                    })?;
                directory.with_audit_sink(Arc::new(sink))
            }
            None => directory,
        });
        let bootstrapped = directory
            .bootstrap(
                config.account.clone(),
                config.admin_email.clone(),
                config.admin_password.clone(),
            )
            .await
            .map_err(StartError::Store)?
            .map(|created| Bootstrapped {
                nic: created.account.nic.to_string(),
                login: created.root_login.to_string(),
                generated_password: created.generated_password,
            });
        directory.init_keys().await.map_err(StartError::Store)?;
        directory
            .init_keystone(&config.region)
            .await
            .map_err(StartError::Store)?;
        directory.init_policies().await.map_err(StartError::Store)?;
        directory
            .init_resources()
            .await
            .map_err(StartError::Store)?;
        directory
            .reload_revocations()
            .await
            .map_err(StartError::Store)?;
        directory
            .init_revocation_events()
            .await
            .map_err(StartError::Store)?;
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Listen {
                    addr: config.listen,
                    source,
                })?;
        let metrics = match config.metrics_listen {
            Some(addr) => {
                crate::metrics::install();
                Some(
                    TcpListener::bind(addr)
                        .await
                        .map_err(|source| StartError::Listen { addr, source })?,
                )
            }
            None => None,
        };
        let state = AppState {
            directory: Arc::clone(&directory),
            plate: config.plate.clone(),
        };
        Ok(Self {
            listener,
            metrics,
            router: router(
                state,
                crate::state::TrustedProxies(Arc::new(config.trusted_proxies.clone())),
                config.connections.body_timeout,
            ),
            directory,
            bootstrapped,
            certificates,
            connections: config.connections,
        })
    }

    /// The directory this server runs on (tests drive its periodic work directly).
    pub fn directory(&self) -> Arc<Directory> {
        Arc::clone(&self.directory)
    }

    /// Whether the server speaks HTTPS.
    pub fn https(&self) -> bool {
        self.certificates.is_some()
    }

    /// The bound port (useful when listening on port 0).
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The address of the `/metrics` listener, when there is one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// What the first start created; `None` when the store was already bootstrapped.
    pub fn bootstrapped(&self) -> Option<&Bootstrapped> {
        self.bootstrapped.as_ref()
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and writes pending
    /// token usage to the store.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let directory = Arc::clone(&self.directory);
        let housekeeping = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(10));
            loop {
                tick.tick().await;
                // While the store is unreachable (the probe logged it) there is nothing to do;
                // pending usage stays in memory until it returns.
                if !directory.store_ready() {
                    continue;
                }
                if let Err(e) = directory.flush_usage().await {
                    tracing::warn!(error = %e, "could not record token usage");
                }
                if let Err(e) = directory.flush_session_activity().await {
                    tracing::warn!(error = %e, "could not record console session activity");
                }
                if let Err(e) = directory.prune_console_sessions().await {
                    tracing::warn!(error = %e, "could not prune ended console sessions");
                }
                directory.prune_throttles();
                if let Err(e) = directory.prune_revocation_events().await {
                    tracing::warn!(error = %e, "could not prune revocation events");
                }
                if let Err(e) = directory.prune_issue_windows().await {
                    tracing::warn!(error = %e, "could not prune Keystone issue windows");
                }
                match directory.prune_audit_log().await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(records = n, "pruned audit records past their retention")
                    }
                    Err(e) => tracing::warn!(error = %e, "could not prune the audit log"),
                }
                if let Err(e) = directory.reload_revocations().await {
                    tracing::warn!(error = %e, "could not reload revoked tokens");
                }
                // A rotation reloads the ring itself; otherwise pick up other nodes' rotations.
                let rotated = directory.rotate_keys_if_due().await;
                if let Err(e) = &rotated {
                    tracing::warn!(error = %e, "could not rotate the signing keys");
                }
                if !matches!(rotated, Ok(true))
                    && let Err(e) = directory.reload_keys().await
                {
                    tracing::warn!(error = %e, "could not reload the signing keys");
                }
            }
        });
        // Other nodes' changes: at once when a commit is pushed (PostgreSQL), and every second
        // whatever happens, so a missed notification is only late.
        let directory = Arc::clone(&self.directory);
        let mut pushed = match directory.watch_commits().await {
            Ok(pushed) => pushed,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for other nodes' commits; polling only");
                None
            }
        };
        let revocations = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                let push = async {
                    match pushed.as_mut() {
                        Some(rx) => rx.changed().await.ok().map(|()| *rx.borrow_and_update()),
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = tick.tick() => {}
                    announced = push => match announced {
                        // This node's own commit, already applied: nothing to read.
                        Some(id) if !directory.needs_events_up_to(id) => continue,
                        Some(_) => {}
                        None => pushed = None,
                    },
                }
                if !directory.store_ready() {
                    continue;
                }
                if let Err(e) = directory.apply_revocation_events().await {
                    tracing::warn!(error = %e, "could not read revocation events");
                }
            }
        });
        let tls = match &self.certificates {
            Some(certificates) => Some(
                certificates
                    .server_config()
                    .map_err(std::io::Error::other)?,
            ),
            None => None,
        };
        let reloads = self.certificates.clone().map(|c| c.watch());
        // Streams never end by themselves: close them when shutdown begins, or the graceful
        // shutdown would wait for every connected guard.
        let directory = Arc::clone(&self.directory);
        let shutdown = async move {
            shutdown.await;
            directory.close_streams();
        };
        // The metrics listener has the same edge (timeouts, connection cap) as the API's.
        let metrics = self.metrics.map(|listener| {
            let routes = crate::metrics::router(Arc::clone(&self.directory));
            let limits = self.connections;
            tokio::spawn(async move {
                let forever = std::future::pending::<()>();
                if let Err(e) =
                    crate::listener::serve(listener, routes, None, limits, forever).await
                {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            })
        });
        let served =
            crate::listener::serve(self.listener, self.router, tls, self.connections, shutdown)
                .await;
        if let Some(reloads) = reloads {
            reloads.abort();
        }
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        housekeeping.abort();
        revocations.abort();
        if let Err(e) = self.directory.flush_usage().await {
            tracing::warn!(error = %e, "could not record token usage at shutdown");
        }
        if let Err(e) = self.directory.flush_session_activity().await {
            tracing::warn!(error = %e, "could not record console session activity at shutdown");
        }
        served
    }
}

/// Every route of the server, with the layers every response goes through.
pub fn router(
    state: AppState,
    trusted: crate::state::TrustedProxies,
    body_timeout: Duration,
) -> Router {
    let directory = Arc::clone(&state.directory);
    let routes = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/openapi.json", get(openapi))
        .merge(ovh::router("/1.0"))
        .merge(ovh::router("/v1"))
        .merge(admin::router())
        .merge(iam::router())
        .merge(crate::audit::router())
        .merge(oauth2::router())
        .merge(crate::revocations::router())
        .merge(keystone::router(state.clone()))
        .merge(crate::console::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);
    crate::middleware::around(routes, directory, trusted, body_timeout)
}

/// Liveness: the process serves requests (whatever the store does).
async fn healthz() -> Response {
    axum::Json(serde_json::json!({ "status": "ok" })).into_response()
}

/// Readiness: 503 while the store is unreachable, so that a load balancer takes the node out.
async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    if state.directory.store_ready() {
        axum::Json(serde_json::json!({ "status": "ok" })).into_response()
    } else {
        let mut res = (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({ "status": "unavailable", "reason": "the database is unreachable" })),
        )
            .into_response();
        crate::error::retry_in(&mut res, latchkey_core::error::UNAVAILABLE_RETRY);
        res
    }
}

/// The API description kept in the repository (`openapi.json`).
pub const OPENAPI: &str = include_str!("../../../openapi.json");

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
        .into_response()
}

async fn not_found(uri: axum::http::Uri) -> Response {
    if crate::protocol::Api::of(uri.path()) == crate::protocol::Api::Console {
        return crate::console::error_page(StatusCode::NOT_FOUND, "There is no such page.");
    }
    ovh_error(StatusCode::NOT_FOUND, "Client::NotFound", "no such route")
}

async fn method_not_allowed(uri: axum::http::Uri) -> Response {
    if crate::protocol::Api::of(uri.path()) == crate::protocol::Api::Console {
        return crate::console::error_page(
            StatusCode::METHOD_NOT_ALLOWED,
            "This page does not accept that request.",
        );
    }
    ovh_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "Client::MethodNotAllowed",
        "method not allowed on this route",
    )
}

/// The data directory, made `0700` when it is created, and the SQLite file, made `0600` before
/// SQLite opens it (its journal files take its mode): password hashes are for the server's user
/// only. What already exists readable by others is warned about, not changed.
fn prepare_data_dir(config: &Config) -> Result<(), StartError> {
    let sqlite = latchkey_store::sqlite_file(&config.database_url);
    if sqlite.is_some() || !config.hash_key_file.is_absolute() {
        create_private_dir(&config.data_dir)?;
    }
    if let Some(db) = &sqlite {
        if let Some(parent) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(parent)?;
        }
        match write_private(db, &[]) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(source) => {
                return Err(StartError::DataDir {
                    path: db.display().to_string(),
                    source,
                });
            }
        }
    }
    let mut kept = vec![config.data_dir.clone(), config.hash_key_file.clone()];
    if let Some(db) = sqlite {
        for suffix in ["-wal", "-shm"] {
            let mut name = db.clone().into_os_string();
            name.push(suffix);
            kept.push(name.into());
        }
        kept.push(db);
    }
    for path in kept {
        warn_if_open_to_others(&path);
    }
    Ok(())
}

/// Creates a directory and its missing parents, each `0700`.
fn create_private_dir(path: &Path) -> Result<(), StartError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path).map_err(|source| StartError::DataDir {
        path: path.display().to_string(),
        source,
    })
}

/// Warns when a file or directory of the server's data can be read by other local users.
fn warn_if_open_to_others(path: &Path) {
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{mode:o}"),
                "readable by other local users; it holds password and token hashes: chmod go-rwx"
            );
        }
    }
}

/// Reads the 32-byte hash key, creating it (mode 0600) on first start.
fn load_or_create_hash_key(path: &Path) -> Result<HashKey, StartError> {
    let err = |message: String| StartError::HashKey {
        path: path.display().to_string(),
        message,
    };
    match std::fs::read(path) {
        Ok(bytes) => {
            let bytes: [u8; 32] = bytes
                .try_into()
                .map_err(|b: Vec<u8>| err(format!("holds {} bytes; expected 32", b.len())))?;
            Ok(HashKey::from_bytes(bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = HashKey::generate();
            write_private(path, key.as_bytes()).map_err(|e| err(e.to_string()))?;
            Ok(key)
        }
        Err(e) => Err(err(e.to_string())),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
