//! The token manager: gets a token on first use, caches it, renews it before it expires, lets
//! concurrent callers share one renewal, and drops it when the server refuses it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::clock::SharedClock;
use crate::credentials::{Credentials, Domain, KeystoneScope, KeystoneUser};
use crate::error::{Error, Result};
use crate::retry::Retry;
use crate::secret::Secret;

/// How a token is presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presentation {
    /// `Authorization: Bearer` (PATs, OAuth2 access tokens).
    Bearer,
    /// `X-Auth-Token` (Keystone tokens).
    XAuthToken,
    /// `Authorization: Basic` (a local user's password; the value is `user:password`).
    Basic,
}

/// A token the manager holds.
#[derive(Debug)]
pub struct Token {
    pub value: Secret,
    pub presentation: Presentation,
    /// When the server says it expires (`None`: a PAT, whose expiry the SDK does not know).
    pub expires_at: Option<DateTime<Utc>>,
    /// When the manager gets a new one.
    pub renew_at: Option<DateTime<Utc>>,
}

impl Token {
    /// Adds the token to a request the way the server expects it.
    pub fn present(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let value = self.value.expose();
        match self.presentation {
            Presentation::Bearer => req.bearer_auth(value),
            Presentation::XAuthToken => req.header(latchkey_wire::headers::X_AUTH_TOKEN, value),
            Presentation::Basic => {
                let (user, password) = value.split_once(':').unwrap_or((value, ""));
                req.basic_auth(user, Some(password))
            }
        }
    }
}

/// When to renew: a fixed time before expiry, or a fraction of the token's life.
#[derive(Debug, Clone, Copy)]
pub enum Renewal {
    /// Renew this long before the token expires.
    Before(Duration),
    /// Renew when this fraction of the token's life remains (0.1: after 90 % of it).
    Fraction(f64),
}

impl Default for Renewal {
    /// A tenth of the life: 6 minutes for a 1-hour access token, 2.4 hours for a 24-hour Keystone
    /// token.
    fn default() -> Self {
        Renewal::Fraction(0.1)
    }
}

impl Renewal {
    fn renew_at(self, issued: DateTime<Utc>, expires: DateTime<Utc>) -> DateTime<Utc> {
        let life = expires - issued;
        let margin = match self {
            Renewal::Before(d) => TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX),
            Renewal::Fraction(f) => {
                let us = life.num_microseconds().unwrap_or(i64::MAX) as f64 * f.clamp(0.0, 1.0);
                TimeDelta::microseconds(us as i64)
            }
        };
        // Never renew before the token is even half a second old.
        (expires - margin).max(issued + TimeDelta::milliseconds(500).min(life))
    }
}

/// Gets and renews the token of one credential.
#[derive(Debug)]
pub struct TokenManager {
    http: reqwest::Client,
    base: String,
    credentials: Credentials,
    clock: SharedClock,
    renewal: Renewal,
    retry: Retry,
    current: parking_lot::RwLock<Option<Arc<Token>>>,
    renewing: tokio::sync::Mutex<()>,
    fetched: AtomicU64,
}

impl TokenManager {
    pub(crate) fn new(
        http: reqwest::Client,
        base: String,
        credentials: Credentials,
        clock: SharedClock,
        renewal: Renewal,
        retry: Retry,
    ) -> Self {
        Self {
            http,
            base,
            credentials,
            clock,
            renewal,
            retry,
            current: parking_lot::RwLock::new(None),
            renewing: tokio::sync::Mutex::new(()),
            fetched: AtomicU64::new(0),
        }
    }

    /// How many tokens this manager has obtained from the server.
    pub fn tokens_fetched(&self) -> u64 {
        self.fetched.load(Ordering::Relaxed)
    }

    /// Whether a refused token can be replaced by authenticating again (not for a PAT).
    pub fn renewable(&self) -> bool {
        !matches!(
            self.credentials,
            Credentials::Pat(_) | Credentials::Password { .. }
        )
    }

    /// A valid token: the cached one while it is fresh, else a new one. Concurrent callers that
    /// find it stale wait for one renewal and share its result.
    pub async fn token(&self) -> Result<Arc<Token>> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let _renewing = self.renewing.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let token = Arc::new(self.fetch().await?);
        *self.current.write() = Some(token.clone());
        Ok(token)
    }

    /// Forgets `used` after the server refused it, unless another caller already replaced it.
    pub fn invalidate(&self, used: &Arc<Token>) {
        let mut current = self.current.write();
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, used)) {
            *current = None;
        }
    }

    fn fresh(&self) -> Option<Arc<Token>> {
        let current = self.current.read().clone()?;
        match current.renew_at {
            Some(at) if self.clock.now() >= at => None,
            _ => Some(current),
        }
    }

    async fn fetch(&self) -> Result<Token> {
        let token = match &self.credentials {
            Credentials::Pat(pat) => Token {
                value: pat.clone(),
                presentation: Presentation::Bearer,
                expires_at: None,
                renew_at: None,
            },
            Credentials::Password { user, password } => Token {
                value: Secret::new(format!("{user}:{}", password.expose())),
                presentation: Presentation::Basic,
                expires_at: None,
                renew_at: None,
            },
            Credentials::ClientCredentials {
                client_id,
                client_secret,
            } => self.client_credentials(client_id, client_secret).await?,
            Credentials::KeystonePassword {
                user,
                password,
                scope,
            } => {
                let user = match user {
                    KeystoneUser::Id(id) => json!({ "id": id, "password": password.expose() }),
                    KeystoneUser::Name { name, domain } => json!({
                        "name": name, "domain": domain_json(domain), "password": password.expose()
                    }),
                };
                let identity = json!({ "methods": ["password"], "password": { "user": user } });
                self.keystone(identity, scope).await?
            }
            Credentials::ApplicationCredential { id, secret, scope } => {
                let identity = json!({
                    "methods": ["application_credential"],
                    "application_credential": { "id": id, "secret": secret.expose() },
                });
                self.keystone(identity, scope).await?
            }
        };
        self.fetched.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(
            expires_at = ?token.expires_at,
            renew_at = ?token.renew_at,
            "obtained a token"
        );
        Ok(token)
    }

    async fn client_credentials(&self, id: &str, secret: &Secret) -> Result<Token> {
        let url = format!("{}/auth/oauth2/token", self.base);
        let issued = self.clock.now();
        let res = self
            .retry
            .send(self.clock.as_ref(), || {
                self.http
                    .post(&url)
                    .basic_auth(id, Some(secret.expose()))
                    .form(&[("grant_type", "client_credentials")])
            })
            .await?;
        let body: Value = crate::answer::read_json(res).await?;
        let value = body["access_token"]
            .as_str()
            .ok_or_else(|| Error::Protocol("the grant answer has no access_token".into()))?;
        let expires_in = body["expires_in"].as_i64().unwrap_or(0).max(0);
        let expires = issued + TimeDelta::seconds(expires_in);
        Ok(Token {
            value: Secret::new(value),
            presentation: Presentation::Bearer,
            expires_at: Some(expires),
            renew_at: Some(self.renewal.renew_at(issued, expires)),
        })
    }

    async fn keystone(&self, identity: Value, scope: &KeystoneScope) -> Result<Token> {
        let mut auth = json!({ "identity": identity });
        if let Some(scope) = scope_json(scope) {
            auth["scope"] = scope;
        }
        let body = json!({ "auth": auth });
        let url = format!("{}/v3/auth/tokens?nocatalog", self.base);
        let issued = self.clock.now();
        let res = self
            .retry
            .send(self.clock.as_ref(), || self.http.post(&url).json(&body))
            .await?;
        let value = res
            .headers()
            .get(latchkey_wire::headers::X_SUBJECT_TOKEN)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let answer: Value = crate::answer::read_json(res).await?;
        let value = value.ok_or_else(|| Error::Protocol("no X-Subject-Token".into()))?;
        let expires = answer["token"]["expires_at"]
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| Error::Protocol("the token has no expires_at".into()))?;
        // The server's clock may differ from ours: keep the life it granted, from our now.
        let server_issued = answer["token"]["issued_at"]
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc));
        let life = server_issued.map_or(expires - issued, |at| expires - at);
        let expires = issued + life;
        Ok(Token {
            value: Secret::new(value),
            presentation: Presentation::XAuthToken,
            expires_at: Some(expires),
            renew_at: Some(self.renewal.renew_at(issued, expires)),
        })
    }
}

fn domain_json(domain: &Domain) -> Value {
    match domain {
        Domain::Id(id) => json!({ "id": id }),
        Domain::Name(name) => json!({ "name": name }),
    }
}

/// The `scope` of a Keystone auth request.
pub(crate) fn scope_json(scope: &KeystoneScope) -> Option<Value> {
    Some(match scope {
        KeystoneScope::Unscoped => return None,
        KeystoneScope::ProjectId(id) => json!({ "project": { "id": id } }),
        KeystoneScope::ProjectName { name, domain } => {
            json!({ "project": { "name": name, "domain": domain_json(domain) } })
        }
        KeystoneScope::Domain(domain) => json!({ "domain": domain_json(domain) }),
        KeystoneScope::System => json!({ "system": { "all": true } }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap_or_default()
    }

    #[test]
    fn renewal_comes_a_margin_or_a_fraction_before_expiry() {
        let (issued, expires) = (at(0), at(3600));
        assert_eq!(Renewal::default().renew_at(issued, expires), at(3240));
        let before = Renewal::Before(Duration::from_secs(300));
        assert_eq!(before.renew_at(issued, expires), at(3300));
        // A margin longer than the life still leaves the token usable for a moment.
        let huge = Renewal::Before(Duration::from_secs(7200));
        assert_eq!(
            huge.renew_at(issued, expires),
            issued + TimeDelta::milliseconds(500)
        );
    }
}
