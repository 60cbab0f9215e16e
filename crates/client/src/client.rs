//! [`Client`]: sends API calls with a token from the manager, retries 429 answers, and
//! authenticates again once when the server refuses an expired token.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::answer::{check, protocol, read_json};
use crate::clock::{SharedClock, SystemClock};
use crate::credentials::{Credentials, KeystoneScope, Settings};
use crate::error::{Error, Result};
use crate::manager::{Renewal, Token, TokenManager};
use crate::retry::Retry;

/// How long a stream of events may stay open (a year: in practice, until either side ends it).
const STREAM_LIFETIME: Duration = Duration::from_secs(365 * 86_400);

/// A Latchkey API client. Cheap to clone; clones share the token and its renewals.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    base: String,
    clock: SharedClock,
    retry: Retry,
    /// The token of the API calls (/1.0, /v2, OAuth2).
    manager: TokenManager,
    /// The Keystone token of /v3 calls: the same manager for Keystone credentials, one for the
    /// service account's application credential, none for a PAT.
    keystone: Option<Arc<TokenManager>>,
    keystone_is_main: bool,
}

/// Builds a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    base: String,
    credentials: Credentials,
    clock: SharedClock,
    renewal: Renewal,
    retry: Retry,
    http: Option<reqwest::Client>,
    keystone_scope: KeystoneScope,
}

impl ClientBuilder {
    /// The clock the manager reads and waits with (tests inject one).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// When tokens are renewed (default: when a tenth of their life remains).
    pub fn renewal(mut self, renewal: Renewal) -> Self {
        self.renewal = renewal;
        self
    }

    /// How 429 answers are retried.
    pub fn retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// The HTTP client (timeouts, proxies, TLS roots). Default: 30 s timeout.
    pub fn http(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The scope of the Keystone token a service account's client uses for /v3 calls.
    pub fn keystone_scope(mut self, scope: KeystoneScope) -> Self {
        self.keystone_scope = scope;
        self
    }

    pub fn build(self) -> Result<Client> {
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
        };
        let base = self.base.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::Config(format!(
                "the server URL must start with http:// or https://, not {base:?}"
            )));
        }
        let manager = |credentials: Credentials| {
            TokenManager::new(
                http.clone(),
                base.clone(),
                credentials,
                self.clock.clone(),
                self.renewal,
                self.retry,
            )
        };
        let (keystone, keystone_is_main) = match &self.credentials {
            Credentials::KeystonePassword { .. } | Credentials::ApplicationCredential { .. } => {
                (None, true)
            }
            Credentials::ClientCredentials {
                client_id,
                client_secret,
            } => (
                Some(Arc::new(manager(Credentials::ApplicationCredential {
                    id: client_id.clone(),
                    secret: client_secret.clone(),
                    scope: self.keystone_scope.clone(),
                }))),
                false,
            ),
            Credentials::Pat(_) | Credentials::Password { .. } => (None, false),
        };
        Ok(Client {
            inner: Arc::new(Inner {
                manager: manager(self.credentials),
                http,
                base,
                clock: self.clock,
                retry: self.retry,
                keystone,
                keystone_is_main,
            }),
        })
    }
}

impl Client {
    /// A client of the server at `base` (`http://127.0.0.1:5080`) with `credentials`.
    pub fn builder(base: impl Into<String>, credentials: Credentials) -> ClientBuilder {
        ClientBuilder {
            base: base.into(),
            credentials,
            clock: Arc::new(SystemClock),
            renewal: Renewal::default(),
            retry: Retry::default(),
            http: None,
            keystone_scope: KeystoneScope::Unscoped,
        }
    }

    pub fn new(base: impl Into<String>, credentials: Credentials) -> Result<Self> {
        Self::builder(base, credentials).build()
    }

    /// A client configured by the environment ([`Settings::from_env`]).
    pub fn from_env() -> Result<Self> {
        let settings = Settings::from_env()?;
        Self::new(settings.url, settings.credentials)
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// The manager of the API token (renewal counts, for instance).
    pub fn token_manager(&self) -> &TokenManager {
        &self.inner.manager
    }

    /// The current API token, fetched or renewed if needed; for calls the SDK does not type
    /// (the guard in front of a product back end accepts it as it is).
    pub async fn token(&self) -> Result<Arc<Token>> {
        self.inner.manager.token().await
    }

    pub(crate) fn keystone_manager(&self) -> Result<&TokenManager> {
        if self.inner.keystone_is_main {
            return Ok(&self.inner.manager);
        }
        self.inner.keystone.as_deref().ok_or_else(|| {
            Error::Config(
                "Keystone calls need a Keystone password, an application credential or a \
                 service account; a PAT cannot make Keystone tokens"
                    .into(),
            )
        })
    }

    /// Sends a call to any URL (`url` absolute, or a path on the server) with the API token and
    /// returns the answer whatever its status, after retrying 429s and re-authenticating once
    /// on a 401. A body is sent as JSON; [`Client::send_with_headers`] names another type.
    pub async fn send(&self, method: Method, url: &str, body: Option<&[u8]>) -> Result<Response> {
        self.send_with(&self.inner.manager, method, url, body, &[], None)
            .await
    }

    /// [`Client::send`] with extra request headers.
    pub async fn send_with_headers(
        &self,
        method: Method,
        url: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Result<Response> {
        self.send_with(&self.inner.manager, method, url, body, headers, None)
            .await
    }

    /// A `GET` whose answer is a stream of server-sent events, read for as long as the server
    /// keeps it open (the client's timeout does not apply; [`crate::sse::Events`] notices a
    /// silent one).
    pub(crate) async fn open_stream(&self, path: &str) -> Result<Response> {
        self.send_with(
            &self.inner.manager,
            Method::GET,
            path,
            None,
            &[("Accept", "text/event-stream")],
            Some(STREAM_LIFETIME),
        )
        .await
    }

    async fn send_with(
        &self,
        manager: &TokenManager,
        method: Method,
        url: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
        timeout: Option<Duration>,
    ) -> Result<Response> {
        let url = if url.starts_with("http://") || url.starts_with("https://") {
            url.to_owned()
        } else {
            format!("{}{url}", self.inner.base)
        };
        let typed = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        let mut reauthenticated = false;
        loop {
            let token = manager.token().await?;
            let res = self
                .inner
                .retry
                .send(self.inner.clock.as_ref(), || {
                    let mut req = token.present(self.inner.http.request(method.clone(), &url));
                    for (k, v) in headers {
                        req = req.header(*k, *v);
                    }
                    if let Some(timeout) = timeout {
                        req = req.timeout(timeout);
                    }
                    match body {
                        // JSON unless the caller said otherwise.
                        Some(bytes) if typed => req.body(bytes.to_vec()),
                        Some(bytes) => req
                            .header(reqwest::header::CONTENT_TYPE, "application/json")
                            .body(bytes.to_vec()),
                        None => req,
                    }
                })
                .await?;
            if res.status() == StatusCode::UNAUTHORIZED && manager.renewable() && !reauthenticated {
                // The token expired or was revoked earlier than the manager thought: get a new
                // one, once. A second 401 is the answer.
                tracing::info!("the server refused the token (401); authenticating again");
                manager.invalidate(&token);
                reauthenticated = true;
                continue;
            }
            return Ok(res);
        }
    }

    /// A JSON call to the API: the answer's JSON, or the server's error.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T> {
        let bytes = body.map(serde_json::to_vec).transpose().map_err(protocol)?;
        let res = self.send(method, path, bytes.as_deref()).await?;
        read_json(res).await
    }

    /// A call whose answer has no body worth reading.
    pub async fn call_empty(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<()> {
        let bytes = body.map(serde_json::to_vec).transpose().map_err(protocol)?;
        let res = self.send(method, path, bytes.as_deref()).await?;
        check(res).await.map(drop)
    }

    /// A /v3 call with the client's Keystone token and extra headers.
    pub async fn keystone_send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> Result<Response> {
        let manager = self.keystone_manager()?;
        let bytes = body.map(serde_json::to_vec).transpose().map_err(protocol)?;
        self.send_with(manager, method, path, bytes.as_deref(), headers, None)
            .await
    }

    /// A /v3 JSON call.
    pub async fn keystone_call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<T> {
        read_json(self.keystone_send(method, path, body, &[]).await?).await
    }

    /// A /v3 call answered without a body (204).
    pub async fn keystone_call_empty(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<()> {
        check(self.keystone_send(method, path, body, &[]).await?)
            .await
            .map(drop)
    }

    /// A call with no credential (discovery, JWKS).
    pub(crate) async fn anonymous<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let url = format!("{}{path}", self.inner.base);
        let res = self.retrying(|| self.inner.http.get(&url)).await?;
        read_json(res).await
    }

    /// Sends what `build` makes (its own credential, if any), retrying 429s.
    pub(crate) async fn retrying(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Response> {
        self.inner
            .retry
            .send(self.inner.clock.as_ref(), build)
            .await
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }
}
