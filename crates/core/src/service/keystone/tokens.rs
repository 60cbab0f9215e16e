//! Keystone tokens: issue by password, token (rescoping) or application credential; validation
//! (signature once per token, then revocation, holder and roles from memory); revocation by
//! audit id, which also ends every token rescoped from the revoked one.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::audit::AuditKind;
use crate::authz::Subject;
use crate::keystone::token::{self, Holder, KeystoneClaims, MAX_CHAIN, TokenScope};
use crate::keystone::{self, Target};
use crate::model::{Account, AccountId, UserId};
use crate::names::ClientId;
use crate::secret::Secret;
use crate::service::Ends;
use crate::store::{Record, RevocationKind};
use crate::{Error, Result};

use super::super::Directory;
use super::VERIFIED_MAX;
use super::authenticate::{Authenticated, throttle_key};
use super::ks_token::{IssuedKsToken, KsToken};
use super::request::{Method, ProjectRef, ScopeRequest};
use super::scopes::actors_in;

impl Directory {
    /// `POST /v3/auth/tokens`.
    pub async fn issue_keystone_token(
        &self,
        method: Method,
        scope: ScopeRequest,
        client: IpAddr,
    ) -> Result<IssuedKsToken> {
        let method_name = match &method {
            Method::Password { .. } => "password",
            Method::Token(_) => "token",
            Method::ApplicationCredential { .. } => "application_credential",
        };
        let authenticated = self.authenticate_keystone(method, client).await;
        let ks_method = match method_name {
            "password" => "keystone_password",
            "token" => "keystone_token",
            _ => "keystone_application_credential",
        };
        crate::service::auth::count_authentication(ks_method, authenticated.is_ok());
        let mut who = match authenticated {
            Ok(who) => who,
            // Password failures are recorded where the password is checked.
            Err(Error::Unauthenticated(reason)) if method_name != "password" => {
                let failure = super::super::journal::Failure {
                    method: method_name,
                    account: None,
                    user: None,
                    reason: &reason,
                };
                self.record_failure(failure).await;
                return Err(Error::Unauthenticated(reason));
            }
            Err(e) => return Err(e),
        };
        let now = self.clock.now();
        let tenancy = self.tenancy(who.account.id).await?;
        let actors = actors_in(&who.subject, who.account.id, &tenancy);
        let mut elsewhere = None;
        let scope = match (&who.app, scope) {
            // An application credential is bound to its project: no other scope.
            (Some(app), ScopeRequest::Default) => {
                TokenScope::Scoped(Target::Project(app.project_id.clone()))
            }
            (Some(app), ScopeRequest::Project(ProjectRef::Id(id))) if id == app.project_id => {
                TokenScope::Scoped(Target::Project(id))
            }
            (Some(_), _) => return Err(no_access("project")),
            (None, ScopeRequest::Trust(id)) => {
                let trust = self.trust_for(&who, &id).await?;
                let scope = TokenScope::Scoped(Target::Project(trust.project_id.clone()));
                if trust.impersonation {
                    // The token names the trustor.
                    let trustor = self
                        .cached_user(UserId(trust.trustor))
                        .await?
                        .ok_or_else(|| no_access("project"))?;
                    super::super::auth::refuse_disabled(&trustor)?;
                    who.subject = Subject::User(trustor);
                }
                who.trust = Some(trust);
                scope
            }
            (None, scope) => {
                let (scope, account) = self.default_scope(&who, scope, &tenancy, &actors).await?;
                elsewhere = account.filter(|a| *a != who.account.id);
                scope
            }
        };
        let (chain, exp) = match who.parent {
            Some((mut chain, exp)) => {
                if chain.len() >= MAX_CHAIN {
                    return Err(Error::forbidden("identity:rescope_token"));
                }
                chain.insert(0, token::new_audit_id());
                (chain, exp)
            }
            None => {
                let ttl = TimeDelta::from_std(self.config.keystone_token_ttl)
                    .unwrap_or(TimeDelta::days(1));
                (vec![token::new_audit_id()], (now + ttl).timestamp())
            }
        };
        // A token does not outlive the application credential or the trust it was made from.
        let until = who
            .app
            .as_ref()
            .and_then(|a| a.expires_at)
            .or(who.trust.as_ref().and_then(|t| t.expires_at));
        let exp = match until {
            Some(until) => exp.min(until.timestamp()),
            None => exp,
        };
        let claims = KeystoneClaims {
            iss: self.config.issuer.clone(),
            sub: who.subject.urn(self.plate(), &who.account.nic).to_string(),
            aud: token::AUDIENCE.to_owned(),
            exp,
            iat_us: now.timestamp_micros(),
            acct: who.account.id.0,
            who: holder_of(&who.subject),
            methods: who.methods,
            scope,
            sacct: elsewhere.map(|a| a.0),
            audit: chain,
            app: who.app.as_ref().map(|a| token::AppClaim {
                id: a.id.clone(),
                name: a.name.clone(),
                unrestricted: a.unrestricted,
                roles: a.roles.clone(),
            }),
            trust: who.trust.as_ref().map(|t| token::TrustClaim {
                id: t.id.clone(),
                trustor: t.trustor,
                trustee: t.trustee,
                impersonation: t.impersonation,
                roles: t.roles.clone(),
            }),
        };
        let claims = Arc::new(claims);
        let token = self
            .resolve_scope(Arc::clone(&claims), who.account, who.subject)
            .await?
            .map_err(no_access)?;
        self.count_issue(&throttle_key(&token.subject), now).await?;
        let value = self.keys.read().sign(&*claims)?;
        self.record_issue(&token, method_name).await?;
        metrics::counter!("latchkey_tokens_issued_total", "kind" => "keystone").increment(1);
        Ok(IssuedKsToken {
            value: Secret::new(value),
            token,
        })
    }

    /// The trust a token request names, for its trustee (with a credential of its own, not one
    /// made from a trust or an application credential); spends one of its uses.
    async fn trust_for(&self, who: &Authenticated, id: &str) -> Result<super::trusts::Trust> {
        let refused = || Error::forbidden("identity:trust_scoped_token");
        let trust = self
            .trust(id)
            .await
            .map_err(|_| Error::unauthenticated(format!("trust {id} is not valid")))?;
        match &who.subject {
            Subject::User(u) if u.id.0 == trust.trustee && who.app.is_none() => {}
            _ => return Err(refused()),
        }
        self.use_trust(&trust).await?;
        Ok(trust)
    }

    /// The scope a request asks for, or by default: a service account's project, a user's
    /// default project (when it holds a role there), else none.
    async fn default_scope(
        &self,
        who: &Authenticated,
        scope: ScopeRequest,
        tenancy: &crate::keystone::snapshot::Tenancy,
        actors: &[crate::keystone::Actor],
    ) -> Result<(TokenScope, Option<AccountId>)> {
        let scope = match scope {
            ScopeRequest::Default => match &who.subject {
                // An application credential is scoped to its project, as in Keystone.
                Subject::ServiceAccount(_) => tenancy
                    .projects_of(actors)
                    .first()
                    .map_or(TokenScope::Unscoped, |p| {
                        TokenScope::Scoped(Target::Project(p.id.clone()))
                    }),
                // A user with a default project it holds a role on gets a token scoped there,
                // as in Keystone.
                Subject::User(user) => match self.user_attributes(user).await?.default_project {
                    Some(project)
                        if tenancy.project(&project).is_some_and(|p| p.enabled)
                            && !tenancy
                                .effective(actors, &Target::Project(project.clone()))
                                .is_empty() =>
                    {
                        TokenScope::Scoped(Target::Project(project))
                    }
                    _ => TokenScope::Unscoped,
                },
            },
            // A project or domain may be another account's, where the holder has a grant.
            ScopeRequest::Project(ProjectRef::Id(id)) if tenancy.project(&id).is_some() => {
                TokenScope::Scoped(Target::Project(id))
            }
            ScopeRequest::Project(ProjectRef::Id(id)) => {
                let account = self.store.project_account(&id).await?;
                return Ok((TokenScope::Scoped(Target::Project(id)), account));
            }
            ScopeRequest::Project(ProjectRef::Name { name, domain }) => {
                let account = self.domain_account(&domain).await?;
                let there = self.tenancy(account.id).await?;
                let project = there
                    .project_by_name(&name)
                    .ok_or_else(|| no_access("project"))?;
                let scope = TokenScope::Scoped(Target::Project(project.id.clone()));
                return Ok((scope, Some(account.id)));
            }
            ScopeRequest::Domain(domain) => {
                let account = self.domain_account(&domain).await?;
                return Ok((TokenScope::Scoped(Target::Domain), Some(account.id)));
            }
            ScopeRequest::System => TokenScope::Scoped(Target::System),
            // Handled before, by the caller.
            ScopeRequest::Trust(_) => return Err(no_access("project")),
        };
        Ok((scope, None))
    }

    /// A Keystone token presented as the caller's own credential (`X-Auth-Token`): validated as
    /// a subject is, but an invalid token refuses the caller (`Unauthenticated`).
    pub async fn keystone_caller(&self, value: &str) -> Result<KsToken> {
        match self.validate_keystone_token(value, false).await {
            Err(Error::NotFound(_)) => Err(Error::unauthenticated(
                "the X-Auth-Token is invalid, expired or revoked",
            )),
            other => other,
        }
    }

    /// Verifies a Keystone token and resolves it against the current state: signature (once per
    /// token), expiry unless `allow_expired`, revocation of any token in its chain, its holder
    /// (still there, not disabled), its scope (still there, enabled) and its roles (at least
    /// one for a scoped token). Any failure is `NotFound`.
    pub async fn validate_keystone_token(
        &self,
        value: &str,
        allow_expired: bool,
    ) -> Result<KsToken> {
        let invalid = || Error::not_found("the token is invalid, expired or revoked");
        if !crate::keys::looks_like_jwt(value) {
            return Err(invalid());
        }
        let now = self.clock.now();
        let hash = self.config.hash_key.hash(value);
        let cached = self
            .keystone
            .verified
            .get(&hash)
            .map(|e| Arc::clone(e.value()));
        let fresh = cached.is_none();
        let claims = match cached {
            Some(claims) => claims,
            None => {
                let decode = |ring: &crate::keys::KeyRing| {
                    ring.decode::<KeystoneClaims>(value, now, token::AUDIENCE, "token")
                };
                let ring = Arc::clone(&self.keys.read());
                let claims = match decode(&ring) {
                    Err(Error::Unauthenticated(m))
                        if m.contains("unknown key") && self.may_reload_keys() =>
                    {
                        self.reload_keys().await?;
                        let ring = Arc::clone(&self.keys.read());
                        decode(&ring)
                    }
                    other => other,
                }
                .map_err(|_| invalid())?;
                Arc::new(claims)
            }
        };
        let expired = claims.exp <= now.timestamp();
        let grace = TimeDelta::from_std(self.config.keystone_expired_window).unwrap_or_default();
        if expired && !(allow_expired && claims.exp + grace.num_seconds() > now.timestamp()) {
            return Err(invalid());
        }
        if claims.audit.iter().any(|id| self.revoked.contains(id)) {
            return Err(invalid());
        }
        // A deleted or expired trust ends its tokens.
        if let Some(trust) = &claims.trust
            && (self.revoked.contains(&trust.id) || self.trust(&trust.id).await.is_err())
        {
            return Err(invalid());
        }
        // A deleted application credential ends its tokens (on every node: the store decides).
        if let Some(app) = &claims.app
            && (self.revoked.contains(&app.id)
                || self.store.app_credential(&app.id).await?.is_none())
        {
            return Err(invalid());
        }
        let account = self
            .cached_account(crate::model::AccountId(claims.acct))
            .await?
            .filter(|a| a.domain.enabled)
            .ok_or_else(invalid)?;
        let subject = match &claims.who {
            Holder::User(id) => {
                let user = self.cached_user(UserId(*id)).await?.ok_or_else(invalid)?;
                if user.account_id != account.id {
                    return Err(invalid());
                }
                super::super::auth::refuse_disabled(&user).map_err(|_| invalid())?;
                // A password change (by the user or an administrator) ends every token issued
                // before it, as Keystone's revocation by user and time does.
                if claims.iat_us < user.password_updated_at.timestamp_micros() {
                    return Err(invalid());
                }
                Subject::User(user)
            }
            Holder::Client(id) => {
                let client = ClientId::parse(id).map_err(|_| invalid())?;
                let (sa, _) = self.cached_client(&client).await?.ok_or_else(invalid)?;
                if sa.account_id != account.id {
                    return Err(invalid());
                }
                Subject::ServiceAccount(sa)
            }
        };
        // Store keys are never reused, so the holder behind a key cannot change; its URN is
        // compared once, before the claims are cached.
        if fresh {
            if subject.urn(self.plate(), &account.nic).as_str() != claims.sub {
                return Err(invalid());
            }
            if self.keystone.verified.len() >= VERIFIED_MAX {
                self.keystone.verified.clear();
            }
            self.keystone.verified.insert(hash, Arc::clone(&claims));
        }
        self.resolve_scope(claims, account, subject)
            .await?
            .map_err(|_| invalid())
    }

    /// The scope's project, the holder's effective roles on it and the catalog; `Err(what)`
    /// when the scope no longer exists or the holder holds no role on it.
    async fn resolve_scope(
        &self,
        claims: Arc<KeystoneClaims>,
        account: Arc<Account>,
        subject: Subject,
    ) -> Result<std::result::Result<KsToken, &'static str>> {
        let own = self.tenancy(account.id).await?;
        let groups = match &subject {
            Subject::User(user) => own.groups_of(user.id).to_vec(),
            Subject::ServiceAccount(_) => Vec::new(),
        };
        let TokenScope::Scoped(target) = &claims.scope else {
            return Ok(Ok(KsToken {
                claims,
                scope_account: Arc::clone(&account),
                account,
                subject,
                groups,
                project: None,
                roles: vec![],
                catalog: None,
            }));
        };
        let (scope_account, tenancy) = match claims.sacct {
            Some(id) if id != account.id.0 => {
                // Another domain's: it must still exist and be enabled.
                match self.cached_account(AccountId(id)).await? {
                    Some(there) if there.domain.enabled => {
                        let tenancy = self.tenancy(there.id).await?;
                        (there, tenancy)
                    }
                    _ => return Ok(Err("domain")),
                }
            }
            _ => (Arc::clone(&account), own),
        };
        let project = match target {
            Target::Project(id) => match tenancy.project(id) {
                Some(p) if p.enabled => Some(Arc::clone(p)),
                _ => return Ok(Err("project")),
            },
            Target::Domain | Target::System => None,
            // No token is scoped to an inheritance.
            Target::DomainProjects | Target::ProjectsBelow(_) => return Ok(Err("project")),
        };
        let catalog = self.keystone_catalog();
        // A trust's token holds the trustor's roles that the trust delegates.
        let actors = match &claims.trust {
            Some(trust) => match self.cached_user(UserId(trust.trustor)).await? {
                Some(trustor) if trustor.status != crate::model::UserStatus::Disabled => {
                    Directory::user_actors(&trustor, scope_account.id, &tenancy)
                }
                _ => return Ok(Err("project")),
            },
            None => actors_in(&subject, scope_account.id, &tenancy),
        };
        let mut granted = tenancy.effective(&actors, target);
        if let Some(trust) = &claims.trust {
            granted.retain(|id| trust.roles.iter().any(|r| r == id));
        }
        // An application credential's token holds only the credential's roles (those the user
        // still holds).
        if let Some(app) = &claims.app {
            granted.retain(|id| app.roles.iter().any(|r| r == id));
        }
        let mut roles = catalog.expand(granted);
        // Domain-specific roles never appear in a token; the global roles they imply do.
        roles.retain(|r| r.domain_id.is_none());
        if roles.is_empty() {
            return Ok(Err(match target {
                Target::Project(_) | Target::ProjectsBelow(_) => "project",
                Target::Domain | Target::DomainProjects => "domain",
                Target::System => "system",
            }));
        }
        let catalog_text = catalog.rendered_for(project.as_ref().map(|p| p.id.as_str()));
        Ok(Ok(KsToken {
            claims,
            account,
            scope_account,
            subject,
            groups,
            project,
            roles,
            catalog: Some(catalog_text),
        }))
    }

    /// The record of a token issued (`KEYSTONE_TOKEN_ISSUED`), and of a login with a password
    /// (`LOGIN_SUCCESS`).
    async fn record_issue(&self, token: &KsToken, method: &str) -> Result<()> {
        let scope = match &token.claims.scope {
            TokenScope::Scoped(Target::Project(id)) => json!({ "project": id }),
            TokenScope::Scoped(Target::System) => json!("system"),
            TokenScope::Scoped(_) => json!({ "domain": keystone::domain_id(&token.scope_account) }),
            _ => Value::Null,
        };
        let account = Some(token.account.id);
        let details = json!({
            "method": method,
            "auditId": token.claims.audit_id(),
            "scope": scope,
            "expiresAt": token.expires_at(),
        });
        let mut record =
            Record::new(self.audit(token, AuditKind::KeystoneTokenIssued, account, details));
        if method == "password" {
            let origin = crate::audit::Origin::current();
            let login = json!({ "mfaType": "NONE", "userAgent": origin.user_agent });
            record = record.and(self.audit(token, AuditKind::LoginSuccess, account, login));
        }
        let tx = self.begin().await?;
        self.commit(tx, record).await
    }

    /// `DELETE /v3/auth/tokens`: revokes the token and every token rescoped from it, on every
    /// node, until it would have expired anyway.
    pub async fn revoke_keystone_token(&self, token: &KsToken) -> Result<()> {
        let audit = token.claims.audit_id().to_owned();
        let until = token.expires_at()
            + TimeDelta::from_std(self.config.keystone_expired_window).unwrap_or_default();
        let mut tx = self.begin().await?;
        tx.revoke_token(&audit, until).await?;
        let holder = token.subject.urn(&self.config.plate, &token.account.nic);
        let details = serde_json::json!({ "auditId": audit, "holder": holder.as_str() });
        let record = Record::new(self.audit(
            token,
            AuditKind::KeystoneTokenRevoked,
            Some(token.account.id),
            details,
        ))
        .event(
            self.event(
                RevocationKind::AccessToken,
                audit.clone(),
                Some(token.account.id),
                Ends::Urn(&holder),
            )
            .await,
        );
        self.commit(tx, record).await?;
        self.revoked.insert(audit);
        Ok(())
    }
}

fn holder_of(subject: &Subject) -> Holder {
    match subject {
        Subject::User(user) => Holder::User(user.id.0),
        Subject::ServiceAccount(sa) => Holder::Client(sa.client_id.to_string()),
    }
}

fn no_access(what: &str) -> Error {
    Error::unauthenticated(format!(
        "the identity has no role on the requested {what}, or it does not exist"
    ))
}
