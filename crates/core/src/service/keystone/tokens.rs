//! Keystone tokens: issue by password, token (rescoping) or application credential; validation
//! (signature once per token, then revocation, holder and roles from memory); revocation by
//! audit id, which also ends every token rescoped from the revoked one.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use crate::authz::Subject;
use crate::keystone::token::{self, Holder, KeystoneClaims, MAX_CHAIN, TokenScope};
use crate::keystone::{self, Actor, Project, Target};
use crate::model::{Account, AccountId, UserId};
use crate::names::{ClientId, Login, Nic};
use crate::secret::Secret;
use crate::service::Ends;
use crate::store::RevocationKind;
use crate::{Error, Result};

use super::super::Directory;
use super::VERIFIED_MAX;
use super::ks_token::{IssuedKsToken, KsToken};

/// A domain named in a request.
#[derive(Debug, Clone)]
pub enum DomainRef {
    Id(String),
    Name(String),
}

/// A user named in a password request.
#[derive(Debug, Clone)]
pub enum UserRef {
    Id(String),
    Name { name: String, domain: DomainRef },
}

/// A project named in a scope.
#[derive(Debug, Clone)]
pub enum ProjectRef {
    Id(String),
    Name { name: String, domain: DomainRef },
}

/// The one authentication method of a request.
#[derive(Debug)]
pub enum Method {
    Password { user: UserRef, password: Secret },
    Token(Secret),
    ApplicationCredential { id: String, secret: Secret },
}

/// What the token should be scoped to.
#[derive(Debug, Clone)]
pub enum ScopeRequest {
    /// None asked: unscoped (an application credential gets its project).
    Default,
    Project(ProjectRef),
    Domain(DomainRef),
    System,
    /// A trust (OS-TRUST), by id.
    Trust(String),
}

/// Who is asking for a token, once the method has been checked.
struct Authenticated {
    account: Arc<Account>,
    subject: Subject,
    methods: Vec<String>,
    /// For rescoping: the audit chain and expiry of the token presented.
    parent: Option<(Vec<String>, i64)>,
    /// A user's application credential: the token is bound to its project, roles and expiry.
    app: Option<super::app_credentials::AppCredential>,
    /// The trust the token is scoped to.
    trust: Option<super::trusts::Trust>,
}

impl Directory {
    /// `POST /v3/auth/tokens`.
    pub async fn issue_keystone_token(
        &self,
        method: Method,
        scope: ScopeRequest,
        client: IpAddr,
    ) -> Result<IssuedKsToken> {
        let mut who = self.authenticate_keystone(method, client).await?;
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

    /// Counts one creation by `key` and checks it in one step, whatever the method and scope:
    /// in the store when nodes share the limit (fixed windows aligned on the epoch), in memory
    /// otherwise.
    async fn count_issue(&self, key: &str, now: DateTime<Utc>) -> Result<()> {
        let limit = self.config.keystone_issue_limit;
        let refused = |wait| self.issue_limited(wait);
        if !self.config.shared_issue_limit {
            return self
                .keystone
                .issued
                .try_record(&key.to_owned(), now)
                .map_err(refused);
        }
        let window = i64::try_from(limit.window.as_micros())
            .unwrap_or(i64::MAX)
            .max(1);
        let start_us = now.timestamp_micros().div_euclid(window) * window;
        let start = DateTime::from_timestamp_micros(start_us).unwrap_or(now);
        if self
            .store
            .count_token_issue(key, start, limit.max_failures)
            .await?
        {
            return Ok(());
        }
        let ends = start + TimeDelta::microseconds(window);
        let wait = (ends - now).to_std().unwrap_or_default();
        Err(refused(wait.max(std::time::Duration::from_secs(1))))
    }

    /// The refusal of a creation beyond the limit.
    fn issue_limited(&self, wait: std::time::Duration) -> Error {
        let limit = self.config.keystone_issue_limit;
        Error::RateLimited {
            message: format!(
                "at most {} tokens may be created per {} s by one identity",
                limit.max_failures,
                limit.window.as_secs()
            ),
            retry_after: wait,
        }
    }

    /// Forgets the stored issue windows that have ended.
    pub async fn prune_issue_windows(&self) -> Result<()> {
        if !self.config.shared_issue_limit {
            return Ok(());
        }
        let window = TimeDelta::from_std(self.config.keystone_issue_limit.window)
            .unwrap_or(TimeDelta::minutes(1));
        self.store
            .prune_token_issues(self.clock.now() - window)
            .await
    }

    async fn authenticate_keystone(&self, method: Method, client: IpAddr) -> Result<Authenticated> {
        match method {
            Method::Password { user, password } => {
                let (account, login, known) = match user {
                    UserRef::Name { name, domain } => {
                        let account = self.domain_account(&domain).await?;
                        if !account.domain.enabled {
                            return Err(bad_credentials());
                        }
                        let login = Login::parse(&name).map_err(|_| bad_credentials())?;
                        (account, login, None)
                    }
                    UserRef::Id(id) => {
                        let key = keystone::parse_hex_id(&id).ok_or_else(bad_credentials)?;
                        let user = self
                            .cached_user(UserId(key))
                            .await?
                            .ok_or_else(bad_credentials)?;
                        let account = self.credential_account(user.account_id).await?;
                        (account, user.login.clone(), Some(user.id))
                    }
                };
                // On one node, a user already at the limit is refused before the password hash
                // (a shared limit is only known once counted in the store).
                if !self.config.shared_issue_limit {
                    let id = match known {
                        Some(id) => Some(id),
                        None => self.store.user(account.id, &login).await?.map(|u| u.id),
                    };
                    if let Some(id) = id
                        && let Some(wait) = self
                            .keystone
                            .issued
                            .locked(&user_throttle_key(id), self.clock.now())
                    {
                        return Err(self.issue_limited(wait));
                    }
                }
                // A domain configured for another identity backend (LDAP) keeps its users'
                // passwords there: the local store is not asked in its stead.
                if let Some(driver) = self.foreign_identity_driver(&account).await? {
                    tracing::info!(
                        domain = %keystone::domain_id(&account),
                        %driver,
                        "password refused: the domain's identity driver is not served here"
                    );
                    return Err(bad_credentials());
                }
                let (account, user) = self
                    .verify_password(Some((*account).clone()), &login, &password, client)
                    .await?;
                Ok(Authenticated {
                    account,
                    subject: Subject::User(Arc::new(user)),
                    methods: vec!["password".into()],
                    parent: None,
                    app: None,
                    trust: None,
                })
            }
            Method::Token(value) => {
                let token = self
                    .validate_keystone_token(value.expose(), false)
                    .await
                    .map_err(|_| {
                        Error::unauthenticated("the token is invalid, expired or revoked")
                    })?;
                if token.claims.app.is_some() || token.claims.trust.is_some() {
                    // As in Keystone: a token from an application credential or a trust is not
                    // rescoped.
                    return Err(Error::forbidden("identity:rescope_token"));
                }
                let mut methods = token.claims.methods.clone();
                if !methods.iter().any(|m| m == "token") {
                    methods.push("token".into());
                }
                Ok(Authenticated {
                    account: token.account,
                    subject: token.subject,
                    methods,
                    parent: Some((token.claims.audit.clone(), token.claims.exp)),
                    app: None,
                    trust: None,
                })
            }
            Method::ApplicationCredential { id, secret } => {
                if let Some((user, credential)) =
                    self.authenticate_app_credential(&id, &secret).await?
                {
                    let account = self.credential_account(user.account_id).await?;
                    return Ok(Authenticated {
                        account,
                        subject: Subject::User(user),
                        methods: vec!["application_credential".into()],
                        parent: None,
                        app: Some(credential),
                        trust: None,
                    });
                }
                let sa = self
                    .authenticate_client(&id, &secret)
                    .await
                    .map_err(|_| Error::unauthenticated("invalid application credential"))?;
                let account = self.credential_account(sa.account_id).await?;
                Ok(Authenticated {
                    account,
                    subject: Subject::ServiceAccount(sa),
                    methods: vec!["application_credential".into()],
                    parent: None,
                    app: None,
                    trust: None,
                })
            }
        }
    }

    /// The account a domain reference names: `default`/`Default` is the operator's, any other
    /// domain is an account's nic. An unknown domain refuses the authentication.
    pub async fn domain_account(&self, domain: &DomainRef) -> Result<Arc<Account>> {
        let (DomainRef::Id(s) | DomainRef::Name(s)) = domain;
        // A domain once found is found again in memory, as long as it still has that id or name.
        let key = match domain {
            DomainRef::Id(id) => format!("i:{id}"),
            DomainRef::Name(name) => format!("n:{name}"),
        };
        // An account's nic names its domain too, by id or by name.
        let still = |account: &Account| match domain {
            DomainRef::Id(id) => keystone::domain_id(account) == *id || account.nic.as_str() == id,
            DomainRef::Name(name) => {
                keystone::domain_name(account) == *name || account.nic.as_str() == name
            }
        };
        if let Some(id) = self.keystone.domains.get(&key).map(|e| *e.value())
            && let Some(account) = self.cached_account(id).await?
            && still(&account)
        {
            return Ok(account);
        }
        let wants_default = match domain {
            DomainRef::Id(id) => id == keystone::DEFAULT_DOMAIN_ID,
            DomainRef::Name(name) => name == keystone::DEFAULT_DOMAIN_NAME,
        };
        let found = if wants_default {
            self.store.operator_account().await?
        } else {
            let by_nic = match Nic::parse(s) {
                Ok(nic) => self.store.account_by_nic(&nic).await?,
                Err(_) => None,
            };
            match by_nic.filter(|a| still(a)) {
                Some(account) => Some(account),
                // A domain named other than its nic.
                None if matches!(domain, DomainRef::Name(_)) => self
                    .store
                    .list_accounts()
                    .await?
                    .into_iter()
                    .find(|a| still(a)),
                None => None,
            }
        };
        match found {
            Some(account) => {
                let account = Arc::new(account);
                self.cache.insert_account(Arc::clone(&account));
                if self.keystone.domains.len() < super::DOMAINS_MAX {
                    self.keystone.domains.insert(key, account.id);
                }
                Ok(account)
            }
            None => Err(Error::unauthenticated(format!(
                "could not find domain {s:?}"
            ))),
        }
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

    /// `DELETE /v3/auth/tokens`: revokes the token and every token rescoped from it, on every
    /// node, until it would have expired anyway.
    pub async fn revoke_keystone_token(&self, token: &KsToken) -> Result<()> {
        let audit = token.claims.audit_id().to_owned();
        let until = token.expires_at()
            + TimeDelta::from_std(self.config.keystone_expired_window).unwrap_or_default();
        self.store.revoke_token(&audit, until).await?;
        self.revoked.insert(audit.clone());
        let holder = token.subject.urn(&self.config.plate, &token.account.nic);
        self.announce(
            RevocationKind::AccessToken,
            audit,
            Some(token.account.id),
            Ends::Urn(&holder),
        )
        .await;
        Ok(())
    }

    /// The accounts where a holder may hold roles: its own, and for a user those holding a
    /// grant to it and those of its Keystone groups.
    async fn accounts_of(
        &self,
        subject: &Subject,
        own: &Arc<Account>,
    ) -> Result<Vec<Arc<Account>>> {
        match subject {
            Subject::User(user) => self.accounts_of_user(user).await,
            Subject::ServiceAccount(_) => Ok(vec![Arc::clone(own)]),
        }
    }

    /// A user's own account first, then the enabled accounts holding a grant to it or a group
    /// it is a Keystone member of.
    pub async fn accounts_of_user(&self, user: &crate::model::User) -> Result<Vec<Arc<Account>>> {
        let own = self
            .cached_account(user.account_id)
            .await?
            .ok_or_else(|| Error::not_found("the user's account no longer exists"))?;
        let mut ids: Vec<AccountId> = self.store.accounts_granting(&Actor::User(user.id)).await?;
        ids.extend(
            self.store
                .memberships_of(user.id)
                .await?
                .iter()
                .map(|g| g.account_id),
        );
        ids.sort();
        ids.dedup();
        let mut out = vec![own];
        for id in ids.into_iter().filter(|id| *id != user.account_id) {
            if let Some(account) = self.cached_account(id).await?
                && account.domain.enabled
            {
                out.push(account);
            }
        }
        Ok(out)
    }

    /// The projects a token's holder may scope to (`GET /v3/auth/projects`), of every domain,
    /// each with its account.
    pub async fn keystone_projects_of(
        &self,
        token: &KsToken,
    ) -> Result<Vec<(Arc<Account>, Arc<Project>)>> {
        let mut out = Vec::new();
        for account in self.accounts_of(&token.subject, &token.account).await? {
            let tenancy = self.tenancy(account.id).await?;
            let actors = actors_in(&token.subject, account.id, &tenancy);
            for project in tenancy.projects_of(&actors) {
                out.push((Arc::clone(&account), project));
            }
        }
        Ok(out)
    }

    /// The domains a token's holder may scope to (`GET /v3/auth/domains`).
    pub async fn keystone_domains_of(&self, token: &KsToken) -> Result<Vec<Arc<Account>>> {
        let mut out = Vec::new();
        for account in self.accounts_of(&token.subject, &token.account).await? {
            let tenancy = self.tenancy(account.id).await?;
            let actors = actors_in(&token.subject, account.id, &tenancy);
            if !tenancy.effective(&actors, &Target::Domain).is_empty() {
                out.push(account);
            }
        }
        Ok(out)
    }

    /// Whether the holder holds a role on the system.
    pub async fn keystone_has_system_roles(&self, token: &KsToken) -> Result<bool> {
        let tenancy = self.tenancy(token.account.id).await?;
        let actors = actors_in(&token.subject, token.account.id, &tenancy);
        Ok(!tenancy.effective(&actors, &Target::System).is_empty())
    }
}

/// The grant holders a subject counts as in `account` (whose snapshot is `tenancy`).
pub(crate) fn actors_in(
    subject: &Subject,
    account: AccountId,
    tenancy: &crate::keystone::snapshot::Tenancy,
) -> Vec<Actor> {
    match subject {
        Subject::User(user) => Directory::user_actors(user, account, tenancy),
        Subject::ServiceAccount(sa) => vec![Actor::Client(sa.client_id.clone())],
    }
}

fn holder_of(subject: &Subject) -> Holder {
    match subject {
        Subject::User(user) => Holder::User(user.id.0),
        Subject::ServiceAccount(sa) => Holder::Client(sa.client_id.to_string()),
    }
}

fn throttle_key(subject: &Subject) -> String {
    match subject {
        Subject::User(user) => user_throttle_key(user.id),
        Subject::ServiceAccount(sa) => format!("c:{}", sa.client_id),
    }
}

fn user_throttle_key(id: UserId) -> String {
    format!("u:{}", id.0)
}

fn bad_credentials() -> Error {
    Error::unauthenticated("invalid credentials")
}

fn no_access(what: &str) -> Error {
    Error::unauthenticated(format!(
        "the identity has no role on the requested {what}, or it does not exist"
    ))
}
