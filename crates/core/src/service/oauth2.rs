//! The OAuth2 authorisation server's logic: the client-credentials grant, access tokens as
//! signed JWS, and the signing keys behind them (initialisation, reload, rotation).
//!
//! Client secrets are opaque (`lksec_…`, checksum first, keyed hash compared in constant time);
//! access tokens are self-contained and verified offline against the key ring, then checked
//! against the service account still existing, so a deleted client's tokens stop at once.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use subtle::ConstantTimeEq;

use crate::audit::{AuditKind, Author, details};
use crate::authz::{self, Principal, Subject, Via};
use crate::keys::{AUDIENCE, AccessClaims, KeyRing, KeyState, StoredKey};
use crate::model::{AccountId, Flow, ServiceAccount};
use crate::names::ClientId;
use crate::secret::{self, Secret, TokenHash, TokenKind};
use crate::service::Ends;
use crate::store::{Record, RevocationKind};

use super::journal::Failure;
use crate::{Error, Result};

use super::Directory;

/// Verified access tokens kept in memory before the cache starts over.
const VERIFIED_CACHE_MAX: usize = 100_000;

/// The scope every token carries: the service account's full rights, as its policies define them.
pub const DEFAULT_SCOPE: &str = "all";

/// A refusal of the token endpoint, in RFC 6749 §5.2 terms.
#[derive(Debug)]
pub enum OAuthError {
    InvalidRequest(String),
    InvalidClient(String),
    UnauthorizedClient(String),
    UnsupportedGrantType(String),
    InvalidScope(String),
    /// Too many tokens for this client; retry after the delay.
    RateLimited(Duration),
    /// Not the client's fault; logged, answered 500.
    Server(Error),
}

impl From<Error> for OAuthError {
    fn from(e: Error) -> Self {
        OAuthError::Server(e)
    }
}

/// What the token endpoint returns.
#[derive(Debug)]
pub struct IssuedToken {
    pub access_token: Secret,
    pub expires_in: u64,
    pub scope: String,
}

impl Directory {
    /// Loads the signing keys, creating the first primary and staged keys on an empty store.
    pub async fn init_keys(&self) -> Result<()> {
        if self.store.signing_keys().await?.is_empty() {
            let now = self.clock.now();
            let primary = self.sealer.generate(KeyState::Primary, now)?;
            let staged = self.sealer.generate(KeyState::Staged, now)?;
            let kids = serde_json::json!({ "primary": primary.kid, "staged": staged.kid });
            let mut tx = self.begin().await?;
            if tx.init_signing_keys(primary, staged).await? {
                let audit =
                    self.audit(&Author::system(), AuditKind::SigningKeysRotated, None, kids);
                match self.commit(tx, Record::new(audit)).await {
                    Ok(()) => tracing::info!("created the first signing keys"),
                    // Another node starting on the same store was first.
                    Err(_) if !self.store.signing_keys().await?.is_empty() => {}
                    Err(e) => return Err(e),
                }
            }
        }
        self.reload_keys().await
    }

    /// Rebuilds the key ring from the store (another node may have rotated).
    pub async fn reload_keys(&self) -> Result<()> {
        let keys = self.store.signing_keys().await?;
        let ring = KeyRing::new(&keys, &self.sealer, &self.config.issuer, self.clock.now())?;
        *self.keys.write() = Arc::new(ring);
        Ok(())
    }

    /// The JWKS document of every key that verifies.
    pub fn jwks(&self) -> serde_json::Value {
        self.keys.read().jwks().clone()
    }

    /// Whether the store answers (see [`crate::store::Store::ready`]).
    pub fn store_ready(&self) -> bool {
        self.store.ready()
    }

    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    pub fn access_token_ttl(&self) -> Duration {
        self.config.access_token_ttl
    }

    /// Rotates now (operator only): staged → primary, primary → retired, a new staged key.
    /// The signing keys and their states (never a private key), for the operator.
    pub async fn signing_keys(
        &self,
        _operator: &crate::authz::OperatorPermit,
    ) -> Result<Vec<StoredKey>> {
        self.store.signing_keys().await
    }

    pub async fn rotate_keys(
        &self,
        operator: &crate::authz::OperatorPermit,
    ) -> Result<Vec<StoredKey>> {
        let keys = self.store.signing_keys().await?;
        let primary = keys
            .iter()
            .find(|k| k.state == KeyState::Primary)
            .ok_or_else(|| Error::internal("no primary signing key"))?;
        self.rotate_keys_from(&operator.author(&self.config.plate), primary)
            .await?;
        self.store.signing_keys().await
    }

    /// Rotates if the primary key is older than the rotation interval (then the ring is reloaded).
    pub async fn rotate_keys_if_due(&self) -> Result<bool> {
        let keys = self.store.signing_keys().await?;
        let Some(primary) = keys.iter().find(|k| k.state == KeyState::Primary) else {
            return Ok(false);
        };
        let since = primary.activated_at.unwrap_or(primary.created_at);
        let interval = TimeDelta::from_std(self.config.key_rotation).unwrap_or(TimeDelta::MAX);
        if self.clock.now() - since < interval {
            return Ok(false);
        }
        self.rotate_keys_from(&Author::system(), primary).await
    }

    /// Rotates away from `primary` (as read from the store), then reloads the ring.
    async fn rotate_keys_from(&self, by: &Author, primary: &StoredKey) -> Result<bool> {
        let now = self.clock.now();
        // A retired key verifies until the last token it signed has expired.
        let longest = self
            .config
            .access_token_ttl
            .max(self.config.keystone_token_ttl + self.config.keystone_expired_window);
        let ttl = TimeDelta::from_std(longest).unwrap_or(TimeDelta::MAX);
        let next = self.sealer.generate(KeyState::Staged, now)?;
        let kids = serde_json::json!({ "retired": primary.kid, "staged": next.kid });
        let mut tx = self.begin().await?;
        let rotated = tx
            .rotate_signing_keys(&primary.kid, now + ttl, next, now)
            .await?;
        if rotated {
            let audit = self.audit(by, AuditKind::SigningKeysRotated, None, kids);
            self.commit(tx, Record::new(audit)).await?;
            tracing::info!(retired = %primary.kid, "rotated the signing keys");
        }
        self.reload_keys().await?;
        Ok(rotated)
    }

    /// Authenticates an OAuth2 client by its id and secret.
    pub async fn authenticate_client(
        &self,
        client_id: &str,
        client_secret: &Secret,
    ) -> Result<Arc<ServiceAccount>, OAuthError> {
        let bad_client = || OAuthError::InvalidClient("client authentication failed".into());
        let refused = |account: Option<AccountId>, reason: &'static str| async move {
            let user = ClientId::parse(client_id).ok().map(|c| c.to_string());
            crate::service::auth::count_authentication("client_secret", false);
            self.record_failure(Failure {
                method: "client_secret",
                account,
                user,
                reason,
            })
            .await;
            bad_client()
        };
        let Ok(client) = ClientId::parse(client_id) else {
            return Err(refused(None, "malformed client id").await);
        };
        if secret::check_format(TokenKind::ClientSecret, client_secret.expose()).is_err() {
            return Err(refused(None, "malformed client secret").await);
        }
        let presented = self.config.hash_key.hash(client_secret.expose());
        let Some((sa, stored)) = self.cached_client(&client).await? else {
            return Err(refused(None, "unknown client").await);
        };
        if bool::from(presented.0.ct_eq(&stored.0)) {
            Ok(sa)
        } else {
            Err(refused(Some(sa.account_id), "wrong client secret").await)
        }
    }

    /// The caller a client secret authenticates, for introspection and revocation.
    pub async fn client_principal(
        &self,
        client_id: &str,
        client_secret: &Secret,
    ) -> Result<Principal, OAuthError> {
        let sa = self.authenticate_client(client_id, client_secret).await?;
        let account = self.credential_account(sa.account_id).await?;
        Ok(Principal {
            account,
            subject: Subject::ServiceAccount(sa),
            groups: Vec::new(),
            via: Via::ClientSecret,
        })
    }

    /// The client-credentials grant (RFC 6749 §4.4).
    pub async fn client_credentials_grant(
        &self,
        client_id: &str,
        client_secret: &Secret,
        scope: Option<&str>,
    ) -> Result<IssuedToken, OAuthError> {
        let sa = self.authenticate_client(client_id, client_secret).await?;
        let now = self.clock.now();
        if let Some(wait) = self.grant_limit.locked(&sa.client_id, now) {
            return Err(OAuthError::RateLimited(wait));
        }
        self.grant_limit.record(&sa.client_id, now);
        if sa.flow != Flow::ClientCredentials {
            return Err(OAuthError::UnauthorizedClient(
                "this client is registered for AUTHORIZATION_CODE, not client_credentials".into(),
            ));
        }
        let scope = match scope.map(str::trim) {
            None | Some("") | Some(DEFAULT_SCOPE) => DEFAULT_SCOPE,
            Some(other) => {
                return Err(OAuthError::InvalidScope(format!(
                    "scope {other:?} is not offered; the only scope is \"{DEFAULT_SCOPE}\""
                )));
            }
        };
        let account = self.credential_account(sa.account_id).await?;
        let ttl = self.config.access_token_ttl.as_secs();
        let claims = AccessClaims {
            iss: self.config.issuer.clone(),
            sub: sa.urn(&self.config.plate, &account.nic).to_string(),
            aud: AUDIENCE.to_owned(),
            exp: now.timestamp() + i64::try_from(ttl).unwrap_or(i64::MAX / 2),
            iat: now.timestamp(),
            jti: format!("{:032x}", rand::random::<u128>()),
            client_id: sa.client_id.to_string(),
            scope: scope.to_owned(),
        };
        let token = self.keys.read().sign(&claims)?;
        let details = serde_json::json!({
            "clientId": claims.client_id,
            "jti": claims.jti,
            "scope": claims.scope,
            "expiresAt": chrono::DateTime::from_timestamp(claims.exp, 0),
        });
        let by = Author {
            kind: Some(crate::audit::AuthorType::User),
            user: Some(sa.client_id.to_string()),
            identity: Some(claims.sub.clone()),
            credential: Some(format!("client:{}", sa.client_id)),
        };
        let audit = self.audit(&by, AuditKind::AccessTokenIssued, Some(account.id), details);
        let tx = self.begin().await?;
        self.commit(tx, Record::new(audit)).await?;
        metrics::counter!("latchkey_tokens_issued_total", "kind" => "access_token").increment(1);
        crate::service::auth::count_authentication("client_secret", true);
        Ok(IssuedToken {
            access_token: Secret::new(token),
            expires_in: ttl,
            scope: scope.to_owned(),
        })
    }

    /// Resolves an access token to its service account.
    pub(super) async fn authenticate_access_token(&self, token: &str) -> Result<Principal> {
        Ok(self.resolve_access_token(token).await?.0)
    }

    /// Verifies an access token (signature once per token: verified claims are cached by keyed
    /// hash), then checks expiry, revocation and that its service account still exists.
    async fn resolve_access_token(&self, token: &str) -> Result<(Principal, Arc<AccessClaims>)> {
        let now = self.clock.now();
        let key = self.config.hash_key.hash(token);
        let claims = match self.verified.get(&key).map(|e| Arc::clone(e.value())) {
            Some(claims) if claims.exp > now.timestamp() => claims,
            Some(_) => return Err(Error::unauthenticated("the access token has expired")),
            None => {
                let ring = Arc::clone(&self.keys.read());
                let claims = match ring.verify(token, now) {
                    Err(Error::Unauthenticated(m))
                        if m.contains("unknown key") && self.may_reload_keys() =>
                    {
                        self.reload_keys().await?;
                        let ring = Arc::clone(&self.keys.read());
                        ring.verify(token, now)?
                    }
                    other => other?,
                };
                if self.verified.len() >= VERIFIED_CACHE_MAX {
                    self.verified.clear();
                }
                let claims = Arc::new(claims);
                self.verified.insert(key, Arc::clone(&claims));
                claims
            }
        };
        if self.revoked.contains(&claims.jti) {
            return Err(Error::unauthenticated("the access token was revoked"));
        }
        let gone = || Error::unauthenticated("the access token's service account no longer exists");
        let client = ClientId::parse(&claims.client_id).map_err(|_| gone())?;
        let (sa, _) = self.cached_client(&client).await?.ok_or_else(gone)?;
        let account = self.credential_account(sa.account_id).await?;
        if sa.urn(&self.config.plate, &account.nic).as_str() != claims.sub {
            return Err(gone());
        }
        let principal = Principal {
            account,
            subject: Subject::ServiceAccount(sa),
            groups: Vec::new(),
            via: Via::AccessToken {
                jti: claims.jti.clone(),
            },
        };
        Ok((principal, claims))
    }

    /// Token introspection (RFC 7662) on behalf of `caller`: tokens of other accounts, unknown,
    /// expired or revoked tokens are all simply `{"active": false}`. A caller of the operator's
    /// account allowed `account:apiovh:oauth2/introspect/any` (the guard of a product back end)
    /// may introspect the tokens of every account.
    ///
    /// Every active answer carries `sub` (the identity URN), `jti` (the id the revocation feed
    /// names the token by: a PAT's id, an access token's `jti`, a Keystone token's audit id) and
    /// `token_type` (`pat`, `Bearer` or `keystone`).
    pub async fn introspect(&self, caller: &Principal, token: &str) -> serde_json::Value {
        let inactive = serde_json::json!({ "active": false });
        let account = caller.account.id;
        let any = caller.account.operator && self.authorize(caller, &authz::INTROSPECT_ANY).is_ok();
        let visible = |owner: AccountId| any || owner == account;
        if crate::keys::looks_like_jwt(token) {
            if let Ok((principal, claims)) = self.resolve_access_token(token).await {
                if !visible(principal.account.id) {
                    return inactive;
                }
                return serde_json::json!({
                    "active": true,
                    "token_type": "Bearer",
                    "scope": claims.scope,
                    "client_id": claims.client_id,
                    "sub": claims.sub,
                    "iss": claims.iss,
                    "aud": claims.aud,
                    "exp": claims.exp,
                    "iat": claims.iat,
                    "jti": claims.jti,
                });
            }
            return match self.validate_keystone_token(token, false).await {
                Ok(ks) if visible(ks.account.id) => {
                    let project = ks.project.as_ref().map(|p| p.id.clone());
                    serde_json::json!({
                        "active": true,
                        "token_type": "keystone",
                        "scope": DEFAULT_SCOPE,
                        "sub": ks.subject.urn(&self.config.plate, &ks.account.nic).to_string(),
                        "iss": self.config.issuer,
                        "exp": ks.claims.exp,
                        "iat": ks.claims.iat_us / 1_000_000,
                        "jti": ks.claims.audit_id(),
                        "audit_ids": ks.claims.audit,
                        "project_id": project,
                        "roles": ks.roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
                    })
                }
                _ => inactive,
            };
        }
        match self.resolve_pat(token).await {
            Ok((principal, pat)) if visible(principal.account.id) => {
                let mut out = serde_json::json!({
                    "active": true,
                    "token_type": "pat",
                    "scope": DEFAULT_SCOPE,
                    "sub": principal.urn(&self.config.plate).to_string(),
                    "username": principal.user().map(|u| u.login.to_string()),
                    "iss": self.config.issuer,
                    "jti": self.config.hash_key.hash(token).to_hex(),
                });
                if let Some(exp) = pat.expires_at {
                    out["exp"] = exp.timestamp().into();
                }
                out
            }
            _ => inactive,
        }
    }

    /// Token revocation (RFC 7009) on behalf of a caller of `account`. Revoking a PAT deletes it;
    /// revoking an access token refuses it from the next request on. Tokens the caller's account
    /// does not own, and unknown tokens, are left alone (and the answer is the same).
    pub async fn revoke(&self, by: &Principal, token: &str) -> Result<()> {
        let account = by.account.id;
        if crate::keys::looks_like_jwt(token) {
            let Ok((principal, claims)) = self.resolve_access_token(token).await else {
                return Ok(());
            };
            if principal.account.id != account {
                return Ok(());
            }
            let exp = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_default();
            let holder = principal.urn(&self.config.plate);
            let mut tx = self.begin().await?;
            tx.revoke_token(&claims.jti, exp).await?;
            let details = serde_json::json!({ "jti": claims.jti, "holder": holder.as_str() });
            let audit = self.audit(by, AuditKind::AccessTokenRevoked, Some(account), details);
            let event = self
                .event(
                    RevocationKind::AccessToken,
                    claims.jti.clone(),
                    Some(account),
                    Ends::Urn(&holder),
                )
                .await;
            self.commit(tx, Record::new(audit).event(event)).await?;
            self.revoked.insert(claims.jti.clone());
            return Ok(());
        }
        if let Ok((principal, pat)) = self.resolve_pat(token).await
            && principal.account.id == account
        {
            let holder = principal.urn(&self.config.plate);
            let mut tx = self.begin().await?;
            let deleted = tx.delete_pat(pat.user_id, &pat.name).await?;
            let login = match &principal.subject {
                crate::authz::Subject::User(user) => user.login.clone(),
                crate::authz::Subject::ServiceAccount(_) => return Ok(()),
            };
            let details = details::token_change(&login, Some(&deleted.pat), None);
            let audit = self.audit(by, AuditKind::TokenDeleted, Some(account), details);
            let event = self
                .event(
                    RevocationKind::Pat,
                    deleted.hash.to_hex(),
                    Some(account),
                    Ends::Urn(&holder),
                )
                .await;
            self.commit(tx, Record::new(audit).event(event)).await?;
            self.cache.forget_pat(&deleted.hash);
        }
        Ok(())
    }

    /// Reads the revoked token ids (other nodes may have added some) and forgets expired ones.
    pub async fn reload_revocations(&self) -> Result<()> {
        let ids = self.store.revoked_tokens(self.clock.now()).await?;
        let fresh: std::collections::HashSet<String> = ids.into_iter().collect();
        self.revoked.retain(|jti| fresh.contains(jti));
        for jti in fresh {
            self.revoked.insert(jti);
        }
        Ok(())
    }

    /// At most one reload per second for tokens signed by a key this node does not know yet.
    pub(super) fn may_reload_keys(&self) -> bool {
        let now = self.clock.now().timestamp();
        let last = self
            .last_key_reload
            .load(std::sync::atomic::Ordering::Relaxed);
        now > last
            && self
                .last_key_reload
                .compare_exchange(
                    last,
                    now,
                    std::sync::atomic::Ordering::AcqRel,
                    std::sync::atomic::Ordering::Relaxed,
                )
                .is_ok()
    }

    pub(super) async fn cached_client(
        &self,
        client: &ClientId,
    ) -> Result<Option<(Arc<ServiceAccount>, TokenHash)>> {
        if let Some(hit) = self.cache.client(client) {
            return Ok(Some(hit));
        }
        let generation = self.cache.generation();
        let Some((sa, hash)) = self.store.service_account_credentials(client).await? else {
            return Ok(None);
        };
        let sa = Arc::new(sa);
        self.cache.insert_client(generation, Arc::clone(&sa), hash);
        Ok(Some((sa, hash)))
    }
}
