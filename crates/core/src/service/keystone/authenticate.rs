//! Who asks for a Keystone token: the password, token or application-credential method
//! checked (with the password throttles), the domain a request names found, and the limit on
//! tokens created per identity.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use crate::authz::Subject;
use crate::keystone;
use crate::model::{Account, UserId};
use crate::names::{Login, Nic};
use crate::{Error, Result};

use super::super::Directory;
use super::request::{DomainRef, Method, UserRef};

/// Who is asking for a token, once the method has been checked.
pub(super) struct Authenticated {
    pub account: Arc<Account>,
    pub subject: Subject,
    pub methods: Vec<String>,
    /// For rescoping: the audit chain and expiry of the token presented.
    pub parent: Option<(Vec<String>, i64)>,
    /// A user's application credential: the token is bound to its project, roles and expiry.
    pub app: Option<super::app_credentials::AppCredential>,
    /// The trust the token is scoped to.
    pub trust: Option<super::trusts::Trust>,
}

impl Directory {
    /// Counts one creation by `key` and checks it in one step, whatever the method and scope:
    /// in the store when nodes share the limit (fixed windows aligned on the epoch), in memory
    /// otherwise.
    pub(super) async fn count_issue(&self, key: &str, now: DateTime<Utc>) -> Result<()> {
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

    pub(super) async fn authenticate_keystone(
        &self,
        method: Method,
        client: IpAddr,
    ) -> Result<Authenticated> {
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
                        let key = keystone::KsUserId::parse(&id).ok_or_else(bad_credentials)?;
                        let user = self.cached_user(key.0).await?.ok_or_else(bad_credentials)?;
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
}

pub(super) fn throttle_key(subject: &Subject) -> String {
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
