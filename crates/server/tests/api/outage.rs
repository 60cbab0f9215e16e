//! A database outage, made real: the server reaches PostgreSQL through a TCP proxy the test
//! controls. While the proxy is cut, what needs the store gets 503 with `Retry-After` at once in
//! each API's format, what the caches hold keeps being answered, `/readyz` is 503 and
//! `/healthz` stays 200; when it returns, everything recovers by itself.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use reqwest::Method;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::helpers::{Auth, Backend, NIC, TestApp};

/// A TCP proxy to the database that can be cut (live connections dropped, new ones refused)
/// and restored on the same port.
struct Proxy {
    port: u16,
    target: String,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    acceptor: Option<JoinHandle<()>>,
}

impl Proxy {
    async fn start(target: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut proxy = Proxy {
            port: listener.local_addr().unwrap().port(),
            target: target.to_owned(),
            tasks: Arc::default(),
            acceptor: None,
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: TcpListener) {
        let tasks = Arc::clone(&self.tasks);
        let target = self.target.clone();
        self.acceptor = Some(tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                let pipe = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks.lock().push(pipe);
            }
        }));
    }

    /// Drops every connection and refuses new ones.
    fn cut(&mut self) {
        if let Some(acceptor) = self.acceptor.take() {
            acceptor.abort();
        }
        for task in self.tasks.lock().drain(..) {
            task.abort();
        }
    }

    async fn restore(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.serve(listener);
    }
}

/// The test database's URL with its host and port replaced by the proxy's; the real address.
fn through_proxy(url: &str, port: u16) -> (String, String) {
    let at = url.rfind('@').map(|i| i + 1).unwrap_or("postgres://".len());
    let end = url[at..].find('/').map(|i| at + i).unwrap_or(url.len());
    let target = url[at..end].to_owned();
    (
        format!("{}127.0.0.1:{port}{}", &url[..at], &url[end..]),
        target,
    )
}

async fn status_of(app: &TestApp, path: &str) -> u16 {
    app.get(path, &Auth::None).await.status.as_u16()
}

async fn until_ready_is(app: &TestApp, status: u16) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while status_of(app, "/readyz").await != status {
        assert!(Instant::now() < deadline, "/readyz never answered {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_database_outage_is_answered_503_at_once_and_recovered_from_by_itself() {
    let db = latchkey_server::testing::PostgresDatabase::create().await;
    let (_, target) = through_proxy(db.url(), 0);
    let mut proxy = Proxy::start(&target).await;
    let (url, _) = through_proxy(db.url(), proxy.port);
    // The server's store is this PostgreSQL database, through the proxy.
    let app = TestApp::spawn_with(Backend::Sqlite, move |c| c.database_url = url).await;
    let pat = app
        .create_pat(&app.admin, "admin", "before-the-outage")
        .await;
    let token = Auth::Bearer(pat);
    // Cached by a first use.
    app.get("/1.0/me", &token).await.expect(200);
    assert_eq!(status_of(&app, "/readyz").await, 200);
    // A service account never used yet: its credentials are not cached.
    let client = app
        .post(
            "/1.0/me/api/oauth2/client",
            &token,
            json!({ "callbackUrls": [], "flow": "CLIENT_CREDENTIALS", "name": "outage", "description": "" }),
        )
        .await
        .expect(200);
    let (client_id, client_secret) = (
        client["clientId"].as_str().unwrap().to_owned(),
        client["clientSecret"].as_str().unwrap().to_owned(),
    );
    let grant = || {
        app.client
            .post(format!("{}/auth/oauth2/token", app.base))
            .basic_auth(&client_id, Some(&client_secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
    };

    proxy.cut();
    until_ready_is(&app, 503).await;
    let ready = app.get("/readyz", &Auth::None).await;
    assert!(ready.headers.contains_key("retry-after"));
    assert_eq!(
        status_of(&app, "/healthz").await,
        200,
        "liveness follows the process only"
    );

    // What needs the store: at once, 503 with Retry-After, in each API's format.
    let started = Instant::now();
    let listed = app.get("/1.0/me/identity/user", &token).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    listed.expect_error(503, "Server::ServiceUnavailable");
    assert!(listed.headers.contains_key("retry-after"));
    let write = app
        .post(
            "/1.0/me/identity/user/admin/token",
            &token,
            json!({ "name": "during-the-outage", "description": "" }),
        )
        .await;
    write.expect_error(503, "Server::ServiceUnavailable");
    let keystone = app
        .ks(
            Method::POST,
            "/v3/auth/tokens",
            None,
            None,
            Some(
                json!({ "auth": { "identity": { "methods": ["password"], "password": { "user": {
                "name": "admin", "domain": { "name": NIC },
                "password": crate::helpers::ADMIN_PASSWORD } } } } }),
            ),
        )
        .await;
    assert_eq!(keystone.status, 503, "{}", keystone.text);
    assert_eq!(keystone.json()["error"]["code"], 503);
    assert!(keystone.headers.contains_key("retry-after"));
    let refused = grant().await.unwrap();
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable", "{body}");

    // What the caches hold keeps being answered: the PAT and the account it proves.
    app.get("/1.0/me", &token).await.expect(200);

    proxy.restore().await;
    until_ready_is(&app, 200).await;
    app.get("/1.0/me/identity/user", &token).await.expect(200);
    assert_eq!(grant().await.unwrap().status(), 200);
    // Nothing of the refused write was applied; a write now succeeds.
    let tokens = app
        .get("/1.0/me/identity/user/admin/token", &token)
        .await
        .expect(200);
    assert!(
        !tokens.to_string().contains("during-the-outage"),
        "{tokens}"
    );
    app.post(
        "/1.0/me/identity/user/admin/token",
        &token,
        json!({ "name": "after-the-outage", "description": "" }),
    )
    .await
    .expect(200);
    drop(db);
}
