//! [`Caller`]: what a guarded handler gets — the identity, and IAM checks on its behalf.

use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use latchkey_client::Secret;
use serde_json::json;

use crate::GuardError;
use crate::credential::Carrier;
use crate::identity::Identity;
use crate::state::{Inner, TokenKey};

/// An authenticated caller. As an axum extractor it reads what the [`crate::GuardLayer`] put in
/// the request (a route without the layer answers 401).
#[derive(Debug, Clone)]
pub struct Caller {
    pub identity: Arc<Identity>,
    pub(crate) token: Secret,
    /// The token's cache key (its SHA-256), computed once.
    pub(crate) key: TokenKey,
    pub(crate) carrier: Carrier,
    pub(crate) inner: Arc<Inner>,
}

impl Caller {
    /// Whether the server's IAM allows this caller `action` on the resource `urn` (for instance
    /// `objectStorage:apiovh:object/get` on `urn:v1:eu:resource:objectStorage:{project}`).
    /// The server decides with the caller's own credential, so a PAT carries exactly its user's
    /// rights; answers are reused for a few seconds and forgotten when policies change. Asking
    /// needs `account:apiovh:iam/resource/authorization/check`, which ROOT and ADMIN users hold.
    pub async fn allowed(&self, action: &str, urn: &str) -> Result<bool, GuardError> {
        let inner = &self.inner;
        let cache_key = (self.key, urn.to_owned(), action.to_owned());
        let now = inner.clock.now();
        if inner.caches_trusted()
            && let Some(hit) = inner.caches.checks.get(&cache_key)
            && now - hit.1 < inner.caches.check_ttl
        {
            return Ok(hit.0);
        }
        let encoded = latchkey_client::path_segment(urn);
        let url = format!(
            "{}/v2/iam/resource/{encoded}/authorization/check",
            inner.server.base
        );
        let req = inner
            .server
            .http
            .post(url)
            .json(&json!({ "actions": [action] }));
        let req = match self.carrier {
            Carrier::Authorization => req.bearer_auth(self.token.expose()),
            Carrier::XAuthToken => req.header("X-Auth-Token", self.token.expose()),
        };
        let res = req.send().await.map_err(latchkey_client::Error::from)?;
        let allowed = match res.status().as_u16() {
            200 => {
                let body: serde_json::Value = res
                    .json()
                    .await
                    .map_err(|e| GuardError::Server(e.to_string()))?;
                body["authorizedActions"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == action))
            }
            // Not even allowed to ask, or no longer authenticated: not allowed.
            401 | 403 => false,
            status => {
                return Err(GuardError::Server(format!(
                    "the authorisation check answered {status}"
                )));
            }
        };
        inner.caches.checks.insert(cache_key, (allowed, now));
        Ok(allowed)
    }
}

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
