//! Test harness: the real server on a random loopback port, with a fresh database (SQLite file
//! or PostgreSQL database) and data directory per test, an injected clock, and a reqwest client.

use chrono::TimeDelta;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub use latchkey_server::testing::{ADMIN_PASSWORD, Backend, NIC, TestServer};

/// How a request authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Bearer(String),
    Basic(String, String),
    /// A raw `Authorization` header value.
    Header(Vec<u8>),
}

impl Auth {
    pub fn password(nic: &str, login: &str, password: &str) -> Self {
        Auth::Basic(format!("{nic}/{login}"), password.to_owned())
    }

    /// The Basic form product back ends use: user `pat_jwt_<anything>`, the PAT as password.
    pub fn pat_basic(token: &str) -> Self {
        Auth::Basic("pat_jwt_my-script".to_owned(), token.to_owned())
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// Asserts the status and, for errors, the OVH error class; returns the body.
    #[track_caller]
    pub fn expect(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        if self.text.is_empty() {
            Value::Null
        } else {
            self.json()
        }
    }

    #[track_caller]
    pub fn expect_error(&self, status: u16, class: &str) -> String {
        let body = self.expect(status);
        assert_eq!(body["class"], class, "body: {}", self.text);
        body["message"].as_str().unwrap_or_default().to_owned()
    }
}

pub struct TestApp {
    pub server: TestServer,
    pub client: reqwest::Client,
    pub admin: Auth,
}

impl std::ops::Deref for TestApp {
    type Target = TestServer;
    fn deref(&self) -> &TestServer {
        &self.server
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        // Server errors are printed with the failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_env_filter("warn")
            .with_test_writer()
            .try_init();
        Self::around(TestServer::spawn(backend).await)
    }

    /// A server whose test configuration `adjust` changes first.
    pub async fn spawn_with(
        backend: Backend,
        adjust: impl FnOnce(&mut latchkey_server::config::Config),
    ) -> Self {
        Self::around(TestServer::spawn_with(backend, adjust).await)
    }

    fn around(server: TestServer) -> Self {
        TestApp {
            server,
            client: reqwest::Client::new(),
            admin: Auth::password(NIC, "admin", ADMIN_PASSWORD),
        }
    }

    /// A second server on the same database and hash key, as another node of a cluster.
    pub async fn another_node(&self) -> TestApp {
        Self::around(self.server.another_node().await)
    }

    /// Applies the revocation events other nodes recorded (the server does it every second).
    pub async fn apply_revocation_events(&self) -> usize {
        self.directory
            .as_ref()
            .unwrap()
            .apply_revocation_events()
            .await
            .unwrap()
    }

    /// Stops the server gracefully and starts a new one on the same data.
    pub async fn restart(&mut self) {
        self.server.restart().await;
    }

    pub fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        latchkey_core::clock::Clock::now(self.clock.as_ref())
    }

    pub fn advance(&self, by: TimeDelta) {
        self.clock.advance(by);
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        req = match auth {
            Auth::None => req,
            Auth::Bearer(t) => req.bearer_auth(t),
            Auth::Basic(u, p) => req.basic_auth(u, Some(p)),
            Auth::Header(raw) => req.header(
                reqwest::header::AUTHORIZATION,
                reqwest::header::HeaderValue::from_bytes(raw).unwrap(),
            ),
        };
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        Reply {
            status: res.status(),
            headers: res.headers().clone(),
            text: res.text().await.unwrap(),
        }
    }

    pub async fn raw(&self, method: Method, path: &str, auth: &Auth, body: Vec<u8>) -> Reply {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .body(body);
        if let Auth::Bearer(t) = auth {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        Reply {
            status: res.status(),
            headers: res.headers().clone(),
            text: res.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str, auth: &Auth) -> Reply {
        self.call(Method::GET, path, auth, None).await
    }

    pub async fn post(&self, path: &str, auth: &Auth, body: Value) -> Reply {
        self.call(Method::POST, path, auth, Some(body)).await
    }

    pub async fn put(&self, path: &str, auth: &Auth, body: Value) -> Reply {
        self.call(Method::PUT, path, auth, Some(body)).await
    }

    pub async fn delete(&self, path: &str, auth: &Auth) -> Reply {
        self.call(Method::DELETE, path, auth, None).await
    }

    /// A Keystone request: the caller's token in `X-Auth-Token`, an optional `X-Subject-Token`.
    pub async fn ks(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        subject: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("X-Auth-Token", t);
        }
        if let Some(t) = subject {
            req = req.header("X-Subject-Token", t);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        Reply {
            status: res.status(),
            headers: res.headers().clone(),
            text: res.text().await.unwrap(),
        }
    }

    /// `GET` as the holder of `token`.
    pub async fn ks_get(&self, path: &str, token: &str) -> Reply {
        self.ks(Method::GET, path, Some(token), None, None).await
    }

    /// `HEAD` as the holder of `token`.
    pub async fn ks_head(&self, path: &str, token: &str) -> Reply {
        self.ks(Method::HEAD, path, Some(token), None, None).await
    }

    /// `DELETE` as the holder of `token`.
    pub async fn ks_delete(&self, path: &str, token: &str) -> Reply {
        self.ks(Method::DELETE, path, Some(token), None, None).await
    }

    /// `PUT` without a body (a grant, a membership, a tag) as the holder of `token`.
    pub async fn ks_put(&self, path: &str, token: &str) -> Reply {
        self.ks(Method::PUT, path, Some(token), None, None).await
    }

    /// `PUT` with a JSON body as the holder of `token`.
    pub async fn ks_put_json(&self, path: &str, token: &str, body: Value) -> Reply {
        self.ks(Method::PUT, path, Some(token), None, Some(body))
            .await
    }

    /// `POST` with a JSON body as the holder of `token`.
    pub async fn ks_post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.ks(Method::POST, path, Some(token), None, Some(body))
            .await
    }

    /// `PATCH` with a JSON body as the holder of `token`.
    pub async fn ks_patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.ks(Method::PATCH, path, Some(token), None, Some(body))
            .await
    }

    /// `POST` of raw bytes (labelled JSON) as the holder of `token`.
    pub async fn ks_bytes(&self, path: &str, token: &str, body: Vec<u8>) -> Reply {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("X-Auth-Token", token)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        Reply {
            status: res.status(),
            headers: res.headers().clone(),
            text: res.text().await.unwrap(),
        }
    }

    /// Creates a project named `name` in the domain of `token` and returns its id.
    pub async fn ks_project(&self, token: &str, name: &str) -> String {
        let body = json!({ "project": { "name": name } });
        let created = self.ks_post("/v3/projects", token, body).await.expect(201);
        created["project"]["id"].as_str().unwrap().to_owned()
    }

    /// Grants `role` (an id) `on` a target to an actor (`{projects|domains}/{id}/{users|groups}/
    /// {id}`, or `system/{users|groups}/{id}`); the grant must succeed (204).
    pub async fn ks_grant(&self, token: &str, on: &str, role: &str) {
        let path = format!("/v3/{on}/roles/{role}");
        self.ks_put(&path, token).await.expect(204);
    }

    /// A token of `login` of the default domain scoped to the project `project` (an id).
    pub async fn ks_scoped_token(&self, login: &str, password: &str, project: &str) -> String {
        let scope = json!({ "project": { "id": project } });
        self.ks_password(login, password, Some(scope)).await
    }

    /// `POST /v3/auth/tokens` with `auth`; returns the reply and the `X-Subject-Token`.
    pub async fn ks_issue(&self, auth: Value) -> (Reply, Option<String>) {
        let reply = self
            .ks(
                Method::POST,
                "/v3/auth/tokens",
                None,
                None,
                Some(json!({ "auth": auth })),
            )
            .await;
        let token = reply
            .headers
            .get("x-subject-token")
            .map(|v| v.to_str().unwrap().to_owned());
        (reply, token)
    }

    /// A token of `login` of the default domain by password, with `scope` (or unscoped).
    pub async fn ks_password(&self, login: &str, password: &str, scope: Option<Value>) -> String {
        let mut auth = json!({
            "identity": {
                "methods": ["password"],
                "password": { "user": {
                    "name": login, "domain": { "id": "default" }, "password": password
                } }
            }
        });
        if let Some(scope) = scope {
            auth["scope"] = scope;
        }
        let (reply, token) = self.ks_issue(auth).await;
        reply.expect(201);
        token.unwrap()
    }

    /// The bootstrap admin's token scoped to project `admin`.
    pub async fn ks_admin(&self) -> String {
        let scope = json!({ "project": { "name": "admin", "domain": { "id": "default" } } });
        self.ks_password("admin", ADMIN_PASSWORD, Some(scope)).await
    }

    /// Creates a PAT for `login` (authenticated as `auth`) and returns its value.
    pub async fn create_pat(&self, auth: &Auth, login: &str, name: &str) -> String {
        let body = json!({ "name": name, "description": "test token" });
        let created = self
            .post(&format!("/1.0/me/identity/user/{login}/token"), auth, body)
            .await
            .expect(200);
        created["token"].as_str().unwrap().to_owned()
    }

    /// A client SDK on this server with `auth` (a PAT or a password): typed calls for tests
    /// that check behaviour rather than the wire.
    pub fn sdk(&self, auth: &Auth) -> latchkey_client::Client {
        use latchkey_client::{Credentials, Secret};
        let credentials = match auth {
            Auth::Bearer(token) => Credentials::Pat(Secret::new(token.clone())),
            Auth::Basic(user, password) => Credentials::Password {
                user: user.clone(),
                password: Secret::new(password.clone()),
            },
            Auth::None | Auth::Header(_) => panic!("the SDK needs a PAT or a password"),
        };
        latchkey_client::Client::new(self.base.clone(), credentials).unwrap()
    }

    /// A PAT of the bootstrap ROOT user, so tests need not hash a password per call.
    pub async fn admin_pat(&self) -> Auth {
        Auth::Bearer(self.create_pat(&self.admin, "admin", "admin-test").await)
    }

    /// Creates a user in `group` (authenticated as `auth`).
    pub async fn create_user(&self, auth: &Auth, login: &str, group: &str) {
        let body = json!({
            "login": login,
            "email": format!("{login}@example.com"),
            "group": group,
            "description": "test user",
            "password": format!("{login} password"),
        });
        self.post("/1.0/me/identity/user", auth, body)
            .await
            .expect(200);
    }
}

/// Declares each listed `async fn(TestApp)` as a test on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        latchkey_server::on_both_backends!($crate::helpers::TestApp::spawn; $($name),+);
    };
}
