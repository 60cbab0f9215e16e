//! Test support (feature `testing`): the real server on a random loopback port, with a fresh
//! database (SQLite file or PostgreSQL database) and data directory, and an injected clock. The
//! API tests, the client SDK's, the guard's and the CLI's all start their servers with it.

use std::sync::Arc;

use latchkey_core::clock::ManualClock;
use latchkey_core::service::Directory;
pub use latchkey_store::testing::PostgresDatabase;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::Application;
use crate::config::{Config, sqlite_url};

/// The operator account's nic in every test server.
pub const NIC: &str = "lk0001-lk";
/// The password of its ROOT user `admin`.
pub const ADMIN_PASSWORD: &str = "bootstrap password 1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running server and what keeps its data alive. Dropping it stops the server.
#[derive(Debug)]
pub struct TestServer {
    /// `http://127.0.0.1:{port}`.
    pub base: String,
    /// `http://127.0.0.1:{port}` of the `/metrics` listener, when the configuration has one.
    pub metrics_base: Option<String>,
    pub clock: Arc<ManualClock>,
    pub config: Config,
    pub directory: Option<Arc<Directory>>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    _db: Option<PostgresDatabase>,
    _dir: Option<tempfile::TempDir>,
}

impl TestServer {
    /// A server with the test configuration.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// A server whose test configuration `adjust` changes first.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let db = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PostgresDatabase::create().await),
        };
        let database_url = match &db {
            Some(db) => db.url().to_owned(),
            None => sqlite_url(&dir.path().join("latchkey.db")),
        };
        let mut config = Config {
            listen: "127.0.0.1:0".parse().expect("loopback address"),
            data_dir: dir.path().to_owned(),
            database_url,
            account: latchkey_core::names::Nic::parse(NIC).expect("the test nic is valid"),
            admin_email: latchkey_core::names::Email::parse("admin@example.com")
                .expect("the test e-mail is valid"),
            admin_password: Some(latchkey_core::secret::Secret::new(ADMIN_PASSWORD)),
            public_url: "http://127.0.0.1".into(),
            plate: latchkey_core::names::Plate::parse("eu").expect("the test plate is valid"),
            hash_key_file: dir.path().join("hash.key"),
            access_token_ttl: std::time::Duration::from_secs(3600),
            key_rotation: std::time::Duration::from_secs(30 * 24 * 3600),
            grants_per_minute: 30,
            keystone_token_ttl: std::time::Duration::from_secs(24 * 3600),
            keystone_tokens_per_minute: 60,
            region: "RegionOne".into(),
            audit_retention: std::time::Duration::from_secs(90 * 86_400),
            trusted_proxies: Vec::new(),
            metrics_listen: None,
            audit_file: None,
            audit_format: crate::audit::Format::Json,
            connections: crate::config::ConnectionLimits::default(),
            tls: None,
            console: crate::config::ConsoleLimits::default(),
        };
        adjust(&mut config);
        let mut server = TestServer {
            base: String::new(),
            metrics_base: None,
            clock: Arc::new(ManualClock::starting_now()),
            config,
            directory: None,
            shutdown: None,
            server: None,
            _db: db,
            _dir: Some(dir),
        };
        server.start().await;
        server
    }

    async fn start(&mut self) {
        let built = Application::build_with_clock(self.config.clone(), self.clock.clone())
            .await
            .expect("the test server starts");
        let scheme = if built.https() { "https" } else { "http" };
        self.base = format!("{scheme}://127.0.0.1:{}", built.port());
        self.metrics_base = built
            .metrics_addr()
            .map(|a| format!("http://127.0.0.1:{}", a.port()));
        self.directory = Some(built.directory());
        let (tx, rx) = oneshot::channel::<()>();
        self.shutdown = Some(tx);
        self.server = Some(tokio::spawn(async move {
            let stopped = built
                .run_until_stopped(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = stopped {
                tracing::error!(error = %e, "the test server failed");
            }
        }));
    }

    /// The SQLite database file, when the server runs on SQLite.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        self.config
            .database_url
            .strip_prefix("sqlite://")
            .map(std::path::PathBuf::from)
    }

    /// A second server on the same database and hash key, as another node of a cluster.
    pub async fn another_node(&self) -> TestServer {
        let mut node = TestServer {
            base: String::new(),
            metrics_base: None,
            clock: self.clock.clone(),
            config: self.config.clone(),
            directory: None,
            shutdown: None,
            server: None,
            _db: None,
            _dir: None,
        };
        node.start().await;
        node
    }

    /// Creates a PAT named `name` for the operator's ROOT user (with its password, over HTTP)
    /// and returns its value.
    pub async fn admin_pat(&self, name: &str) -> String {
        let res = reqwest::Client::new()
            .post(format!("{}/1.0/me/identity/user/admin/token", self.base))
            .basic_auth(format!("{NIC}/admin"), Some(ADMIN_PASSWORD))
            .json(&serde_json::json!({ "name": name, "description": "test" }))
            .send()
            .await
            .expect("the test server answers");
        assert_eq!(res.status(), 200, "creating the admin PAT {name}");
        let body: serde_json::Value = res.json().await.expect("a JSON answer");
        body["token"]
            .as_str()
            .expect("the answer carries the token")
            .to_owned()
    }

    /// Stops the server gracefully and starts a new one on the same data.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start().await;
    }

    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Declares each listed `async fn(T)` as a test on SQLite and on PostgreSQL, where `make` is an
/// `async fn(Backend) -> T` named by a path valid anywhere in the crate:
/// `latchkey_server::on_both_backends!(crate::common::spawn; a_test, another_test);`.
#[macro_export]
macro_rules! on_both_backends {
    ($make:path; $($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($make($crate::testing::Backend::Sqlite).await).await
            })+
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($make($crate::testing::Backend::Postgres).await).await
            })+
        }
    };
}
