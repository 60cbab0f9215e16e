//! [`Caller`]: what a guarded handler gets — the identity, and IAM checks on its behalf.

use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use latchkey_client::Secret;
use serde_json::json;

use crate::GuardError;
use crate::credential::Carrier;
use crate::identity::Identity;
use crate::state::{CheckKey, Inner, TokenKey};
use latchkey_wire::headers::{X_LATCHKEY_CALLER_ADDRESS, X_LATCHKEY_RELAY};

/// An authenticated caller. As an axum extractor it reads what the [`crate::GuardLayer`] put in
/// the request (a route without the layer answers 401).
#[derive(Debug, Clone)]
pub struct Caller {
    pub identity: Arc<Identity>,
    pub(crate) token: Secret,
    /// The token's cache key (its SHA-256), computed once.
    pub(crate) key: TokenKey,
    pub(crate) carrier: Carrier,
    /// The caller's address (the peer's, or a trusted proxy's `X-Forwarded-For`), when known.
    pub(crate) address: Option<std::net::IpAddr>,
    pub(crate) inner: Arc<Inner>,
}

impl Caller {
    /// The caller's address, when the guard knows it.
    pub fn address(&self) -> Option<std::net::IpAddr> {
        self.address
    }

    /// Whether the server's IAM allows this caller `action` on the resource `urn` (for instance
    /// `objectStorage:apiovh:object/get` on `urn:v1:eu:resource:objectStorage:{name}`).
    /// The server decides with the caller's own credential, so a PAT carries exactly its user's
    /// rights, and with the caller's address (conditions on `request.IP`), which the guard
    /// vouches for with its own identity (`latchkey:iam/authorization/relay`); answers are
    /// reused for a few seconds and forgotten when policies or resources change. Asking needs
    /// `account:apiovh:iam/resource/authorization/check`, which ROOT and ADMIN users hold.
    pub async fn allowed(&self, action: &str, urn: &str) -> Result<bool, GuardError> {
        Ok(self
            .allowed_on(action, &[urn])
            .await?
            .first()
            .copied()
            .unwrap_or(false))
    }

    /// [`Caller::allowed`] for several resources at once (one batch check for those not
    /// answered recently), in the order given.
    pub async fn allowed_on(&self, action: &str, urns: &[&str]) -> Result<Vec<bool>, GuardError> {
        let inner = &self.inner;
        let now = inner.clock.now();
        let key =
            |urn: &str| -> CheckKey { (self.key, urn.to_owned(), action.to_owned(), self.address) };
        let mut answers: Vec<Option<bool>> = urns
            .iter()
            .map(|urn| {
                inner
                    .caches_trusted()
                    .then(|| inner.caches.checks.get(&key(urn)))
                    .flatten()
                    .filter(|hit| now - hit.1 < inner.caches.check_ttl)
                    .map(|hit| hit.0)
            })
            .collect();
        let missing: Vec<&str> = urns
            .iter()
            .zip(&answers)
            .filter(|(_, a)| a.is_none())
            .map(|(u, _)| *u)
            .collect();
        if missing.is_empty() {
            return Ok(answers.into_iter().map(|a| a.unwrap_or(false)).collect());
        }
        let asked = self.ask(action, &missing).await?;
        for (urn, allowed) in missing.iter().zip(&asked) {
            inner.caches.checks.insert(key(urn), (*allowed, now));
        }
        let mut fresh = asked.into_iter();
        for a in &mut answers {
            if a.is_none() {
                *a = fresh.next();
            }
        }
        Ok(answers.into_iter().map(|a| a.unwrap_or(false)).collect())
    }

    /// One check on the server: the single-resource route for one URN, the batch route for more.
    async fn ask(&self, action: &str, urns: &[&str]) -> Result<Vec<bool>, GuardError> {
        let inner = &self.inner;
        let (url, body) = match urns {
            [one] => (
                format!(
                    "{}/v2/iam/resource/{}/authorization/check",
                    inner.server.base,
                    latchkey_client::path_segment(one)
                ),
                json!({ "actions": [action] }),
            ),
            _ => (
                format!("{}/v2/iam/authorization/check", inner.server.base),
                json!({ "actions": [action], "resourceURNs": urns }),
            ),
        };
        let mut req = inner.server.http.post(url).json(&body);
        req = match self.carrier {
            Carrier::Authorization => req.bearer_auth(self.token.expose()),
            Carrier::XAuthToken => req.header("X-Auth-Token", self.token.expose()),
        };
        if let Some(address) = self.address {
            let own = inner.server.client.token().await?;
            req = req
                .header(X_LATCHKEY_CALLER_ADDRESS, address.to_string())
                .header(X_LATCHKEY_RELAY, format!("Bearer {}", own.value.expose()));
        }
        let res = req.send().await.map_err(latchkey_client::Error::from)?;
        let status = res.status().as_u16();
        let body: serde_json::Value = match status {
            200 | 403 => res
                .json()
                .await
                .map_err(|e| GuardError::Server(e.to_string()))?,
            _ => serde_json::Value::Null,
        };
        let authorized = |answer: &serde_json::Value| {
            answer["authorizedActions"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == action))
        };
        match status {
            200 if urns.len() == 1 => Ok(vec![authorized(&body)]),
            200 => {
                let answers = body.as_array().cloned().unwrap_or_default();
                Ok(urns
                    .iter()
                    .map(|urn| {
                        answers
                            .iter()
                            .find(|a| a["resourceURN"] == *urn)
                            .is_some_and(authorized)
                    })
                    .collect())
            }
            // The guard's own identity may not vouch for addresses: a setup fault, said loudly.
            403 if body["details"]["unauthorizedActionsByIAM"] == RELAY => {
                Err(GuardError::Server(format!(
                    "the guard's identity is not allowed {RELAY}: it cannot pass its callers' addresses"
                )))
            }
            // Not even allowed to ask, or no longer authenticated: not allowed.
            401 | 403 => Ok(vec![false; urns.len()]),
            status => Err(GuardError::Server(format!(
                "the authorisation check answered {status}"
            ))),
        }
    }
}

/// The action a guard's identity needs to pass its callers' addresses.
const RELAY: &str = "latchkey:iam/authorization/relay";

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = GuardError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, GuardError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or(GuardError::Missing(crate::credential::Missing::None))
    }
}

/// `Option<Caller>`: `None` on a route the layer does not cover.
impl<S: Send + Sync> OptionalFromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &S,
    ) -> Result<Option<Self>, std::convert::Infallible> {
        Ok(parts.extensions.get::<Caller>().cloned())
    }
}
