//! [`Guard`]: decides whether a request's credential is valid, from caches kept true by the
//! server's revocation feed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use axum::http::HeaderMap;
use chrono::{DateTime, TimeDelta};
use dashmap::DashMap;
use jsonwebtoken::{Algorithm, Validation};
use latchkey_client::clock::{SharedClock, SystemClock};
use latchkey_client::{Client, Credentials, Secret};
use latchkey_wire::claims::{ACCESS_AUDIENCE, KEYSTONE_AUDIENCE, SignedClaims};

use crate::GuardError;
use crate::caller::Caller;
use crate::credential::{Form, presented};
use crate::identity::{Identity, TokenKind};
use crate::keys::KeySet;
use crate::state::{Caches, FeedState, Inner, Introspected, Server, TokenKey, Verified, key_of};

/// How often the caches are pruned; the JWKS is read again every fifth time (a staged key is
/// published long before it signs).
const MAINTENANCE: Duration = Duration::from_secs(60);
const KEY_REFRESH_EVERY: u32 = 5;
/// A guard in front of a product back end. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Guard {
    pub(crate) inner: Arc<Inner>,
}

/// Settings of a [`Guard`].
#[derive(Debug)]
pub struct GuardBuilder {
    url: String,
    credentials: Credentials,
    clock: SharedClock,
    introspection_ttl: Duration,
    check_ttl: Duration,
    feed: bool,
    max_feed_silence: Duration,
    trusted_proxies: Vec<ipnet::IpNet>,
}

impl GuardBuilder {
    /// Proxies in front of the back end whose `X-Forwarded-For` names the caller's address
    /// (the address IAM conditions on `request.IP` are checked against); from any other peer
    /// the header is ignored. The peer's address is known when the back end is served with
    /// `into_make_service_with_connect_info::<SocketAddr>()`.
    pub fn trusted_proxies(mut self, proxies: Vec<ipnet::IpNet>) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// The clock expiry is checked against (tests inject one).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// How long an introspected PAT is trusted without asking again (default 60 s). Revocation
    /// events drop an entry at once; this bounds what a missed event could cost.
    pub fn introspection_ttl(mut self, ttl: Duration) -> Self {
        self.introspection_ttl = ttl;
        self
    }

    /// How long an IAM check's answer is reused (default 10 s; policy changes drop them all).
    pub fn check_ttl(mut self, ttl: Duration) -> Self {
        self.check_ttl = ttl;
        self
    }

    /// Whether to subscribe to the revocation feed (default yes). Without it every PAT and every
    /// signed token is confirmed with the server on each request.
    pub fn revocation_feed(mut self, on: bool) -> Self {
        self.feed = on;
        self
    }

    /// When the feed has been unreachable this long, the guard stops trusting its caches and
    /// asks the server on every request until the feed is back (default 2 s).
    pub fn max_feed_silence(mut self, silence: Duration) -> Self {
        self.max_feed_silence = silence;
        self
    }

    /// Reads the server's metadata and keys and, unless disabled, subscribes to the feed.
    pub async fn build(self) -> Result<Guard, GuardError> {
        let client = Client::builder(self.url.clone(), self.credentials)
            .clock(self.clock.clone())
            .build()?;
        let metadata = client.authorization_server_metadata().await?;
        let issuer = metadata["issuer"]
            .as_str()
            .ok_or_else(|| GuardError::Server("the server's metadata has no issuer".into()))?
            .to_owned();
        let inner = Arc::new(Inner {
            server: Server {
                http: reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .map_err(latchkey_client::Error::from)?,
                base: client.base_url().to_owned(),
                client,
                issuer,
                keys: KeySet::default(),
            },
            clock: self.clock,
            caches: Caches {
                signed: DashMap::new(),
                introspected: DashMap::new(),
                revoked: DashMap::new(),
                changed: DashMap::new(),
                keystone_changed: AtomicI64::new(i64::MIN),
                checks: DashMap::new(),
                introspection_ttl: TimeDelta::from_std(self.introspection_ttl)
                    .unwrap_or(TimeDelta::MAX),
                check_ttl: TimeDelta::from_std(self.check_ttl).unwrap_or(TimeDelta::MAX),
            },
            feed: FeedState {
                enabled: self.feed,
                connected: AtomicBool::new(false),
                contact: parking_lot::Mutex::new(None),
                max_silence: self.max_feed_silence,
                cursor: AtomicI64::new(0),
            },
            tasks: parking_lot::Mutex::new(Vec::new()),
            trusted_proxies: self.trusted_proxies,
        });
        inner.server.keys.refresh(&inner.server.client).await?;
        let weak = Arc::downgrade(&inner);
        inner.tasks.lock().push(tokio::spawn(async move {
            for round in 1u32.. {
                tokio::time::sleep(MAINTENANCE).await;
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                inner.prune();
                if round % KEY_REFRESH_EVERY == 0
                    && let Err(e) = inner.server.keys.refresh(&inner.server.client).await
                {
                    tracing::warn!(error = %e, "cannot refresh the server's signing keys");
                }
            }
        }));
        if self.feed {
            crate::feed::subscribe(&inner).await?;
        }
        Ok(Guard { inner })
    }
}

impl Guard {
    /// A guard for the server at `url`, authenticating its own calls (introspection, the feed)
    /// with `credentials`: typically a service account of the operator's account allowed
    /// `account:apiovh:revocation/get`.
    pub fn builder(url: impl Into<String>, credentials: Credentials) -> GuardBuilder {
        GuardBuilder {
            url: url.into(),
            credentials,
            clock: Arc::new(SystemClock),
            introspection_ttl: Duration::from_secs(60),
            check_ttl: Duration::from_secs(10),
            feed: true,
            max_feed_silence: Duration::from_secs(2),
            trusted_proxies: Vec::new(),
        }
    }

    /// Registers a resource the back end made for an account (`POST /v2/admin/resource`), so
    /// that policies name it and its tags decide: the guard's identity must be of the operator's
    /// account and allowed `latchkey:iam/resource/manage`. Registering again keeps its tags.
    pub async fn register_resource(
        &self,
        registration: &latchkey_client::model::ResourceRegistration,
    ) -> Result<latchkey_client::model::Resource, GuardError> {
        Ok(self
            .inner
            .server
            .client
            .register_resource(registration)
            .await?)
    }

    /// Removes a resource the back end deleted (`DELETE /v2/admin/resource/{urn}`).
    pub async fn remove_resource(&self, urn: &str) -> Result<(), GuardError> {
        Ok(self.inner.server.client.remove_resource(urn).await?)
    }

    /// The identity behind a request's credential, or why there is none.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, GuardError> {
        self.authenticate_from(headers, None).await
    }

    /// [`Guard::authenticate`] for a request from `peer`: the caller's address is the peer's,
    /// or the one a trusted proxy forwarded; the checks made for the caller carry it.
    pub async fn authenticate_from(
        &self,
        headers: &HeaderMap,
        peer: Option<std::net::IpAddr>,
    ) -> Result<Caller, GuardError> {
        let (value, form, carrier) = presented(headers)?;
        let key = key_of(&value);
        let identity = self.identity_of(&value, key, form).await?;
        Ok(Caller {
            identity,
            token: Secret::new(value),
            key,
            carrier,
            address: peer.map(|p| self.inner.caller_address(p, headers)),
            inner: Arc::clone(&self.inner),
        })
    }

    /// The identity of a token value (a PAT, an access token or a Keystone token).
    pub async fn verify(&self, value: &str) -> Result<Arc<Identity>, GuardError> {
        let form = crate::credential::form_of(value)
            .ok_or(GuardError::Missing(crate::credential::Missing::Unknown))?;
        self.identity_of(value, key_of(value), form).await
    }

    /// `key` is `key_of(value)`, computed once per request by the caller.
    async fn identity_of(
        &self,
        value: &str,
        key: TokenKey,
        form: Form,
    ) -> Result<Arc<Identity>, GuardError> {
        let inner = &self.inner;
        let now = inner.clock.now();
        let trusted = inner.caches_trusted();
        if form == Form::Pat {
            if trusted
                && let Some(hit) = inner.caches.introspected.get(&key)
                && now - hit.at < inner.caches.introspection_ttl
                && !inner.caches.revoked.contains_key(&hit.identity.token_id)
            {
                return Ok(hit.identity.clone());
            }
            return self.introspect(value, key, trusted).await;
        }
        let verified = match inner.caches.signed.get(&key) {
            Some(hit) => hit.clone(),
            None => {
                let verified = Arc::new(self.verify_signature(value).await?);
                inner.caches.signed.insert(key, verified.clone());
                verified
            }
        };
        if verified.expires <= now {
            return Err(GuardError::Refused("the token has expired".into()));
        }
        if verified
            .ids
            .iter()
            .any(|id| inner.caches.revoked.contains_key(id))
        {
            return Err(GuardError::Refused("the token was revoked".into()));
        }
        let changed_since = inner
            .caches
            .changed
            .get(&verified.identity.urn)
            .is_some_and(|at| *at >= verified.issued_us)
            || (verified.identity.kind == TokenKind::Keystone
                && inner.caches.keystone_changed.load(Ordering::Acquire) >= verified.issued_us);
        if !trusted || changed_since {
            // The identity changed after the token was issued (disabled, deleted, edited), or
            // the feed is silent: the server decides.
            if trusted
                && let Some(hit) = inner.caches.introspected.get(&key)
                && now - hit.at < inner.caches.introspection_ttl
            {
                return Ok(hit.identity.clone());
            }
            return self.introspect(value, key, trusted).await;
        }
        Ok(verified.identity.clone())
    }

    async fn verify_signature(&self, value: &str) -> Result<Verified, GuardError> {
        let inner = &self.inner;
        let refused = |why: &str| GuardError::Refused(format!("the token {why}"));
        let header = jsonwebtoken::decode_header(value).map_err(|_| refused("is malformed"))?;
        if header.alg != Algorithm::EdDSA {
            return Err(refused("is not signed with EdDSA"));
        }
        let kid = header.kid.ok_or_else(|| refused("has no key id"))?;
        let key = match inner.server.keys.get(&kid) {
            Some(key) => key,
            None => {
                inner
                    .server
                    .keys
                    .refresh_for(&inner.server.client, &kid)
                    .await?;
                inner
                    .server
                    .keys
                    .get(&kid)
                    .ok_or_else(|| refused("is signed by an unknown key"))?
            }
        };
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.validate_exp = false; // against the injected clock, on every request
        validation.set_audience(&[ACCESS_AUDIENCE, KEYSTONE_AUDIENCE]);
        validation.set_issuer(&[&inner.server.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<SignedClaims>(value, &key, &validation)
            .map_err(|_| refused("has an invalid signature or claims"))?
            .claims;
        let expires = DateTime::from_timestamp(claims.exp, 0).unwrap_or_default();
        let (kind, ids, project) = if claims.is_keystone() {
            let project = claims.keystone_project().map(str::to_owned);
            let ids = claims.audit.clone().unwrap_or_default();
            (TokenKind::Keystone, ids, project)
        } else {
            (
                TokenKind::AccessToken,
                claims.jti.clone().into_iter().collect(),
                None,
            )
        };
        let issued_us = claims.issued_us();
        let token_id = ids.first().cloned().ok_or_else(|| refused("has no id"))?;
        let identity = Identity::from_urn(claims.sub, kind, token_id, project, Some(expires))
            .ok_or_else(|| refused("names no identity"))?;
        Ok(Verified {
            identity: Arc::new(identity),
            issued_us,
            expires,
            ids,
        })
    }

    /// Asks the server; caches an active answer when the caches are trusted.
    async fn introspect(
        &self,
        value: &str,
        key: TokenKey,
        cache: bool,
    ) -> Result<Arc<Identity>, GuardError> {
        let inner = &self.inner;
        let answer = inner.server.client.introspect(value).await?;
        if answer["active"] != true {
            return Err(GuardError::Refused(
                "the token is unknown, expired or revoked".into(),
            ));
        }
        let text = |k: &str| answer[k].as_str().map(str::to_owned);
        let kind = match answer["token_type"].as_str() {
            Some("keystone") => TokenKind::Keystone,
            Some("pat") => TokenKind::Pat,
            _ => TokenKind::AccessToken,
        };
        let expires = answer["exp"]
            .as_i64()
            .and_then(|e| DateTime::from_timestamp(e, 0));
        let identity = Identity::from_urn(
            text("sub").unwrap_or_default(),
            kind,
            text("jti").unwrap_or_default(),
            text("project_id"),
            expires,
        )
        .ok_or_else(|| GuardError::Server("introspection named no identity".into()))?;
        let identity = Arc::new(identity);
        if cache {
            inner.caches.introspected.insert(
                key,
                Introspected {
                    identity: identity.clone(),
                    at: inner.clock.now(),
                },
            );
        }
        Ok(identity)
    }

    /// The revocation feed's cursor (the last event applied); 0 before the first.
    pub fn feed_cursor(&self) -> i64 {
        self.inner.feed.cursor.load(Ordering::SeqCst)
    }

    /// The server's base URL.
    pub fn server(&self) -> &str {
        &self.inner.server.base
    }
}
