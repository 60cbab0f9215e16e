//! Authentication: a presented credential becomes a [`Principal`] or an error.
//!
//! PATs are checked for format and checksum first, then found by keyed hash in the cache (the
//! store only on a miss), so the common path costs one HMAC and a few map lookups. Passwords go
//! through Argon2id off the executor, behind per-user and per-address failure throttles.

use std::net::IpAddr;
use std::sync::Arc;

use crate::authz::{Principal, Subject, Via};
use crate::model::{Account, AccountId, User, UserId, UserStatus};
use crate::names::{Login, Nic};
use crate::password;
use crate::secret::{self, Secret, TokenKind};
use crate::{Error, Result};

use super::cache::CachedPat;
use super::journal::Failure;
use super::{Directory, blocking};

/// Counts an authentication by method and outcome (`latchkey_authentications_total`).
pub(crate) fn count_authentication(method: &'static str, ok: bool) {
    let outcome = if ok { "success" } else { "failure" };
    metrics::counter!("latchkey_authentications_total", "method" => method, "outcome" => outcome)
        .increment(1);
}

/// The Basic-auth user name prefix that marks the password as a PAT.
pub const PAT_BASIC_PREFIX: &str = latchkey_wire::headers::PAT_BASIC_PREFIX;

/// A credential as the client presented it.
#[derive(Debug)]
pub enum Presented<'a> {
    /// `Authorization: Bearer <token>`.
    Bearer(&'a Secret),
    /// `Authorization: Basic`, decoded.
    Basic { user: &'a str, password: &'a Secret },
}

impl Directory {
    /// Resolves a presented credential to the identity it proves.
    pub async fn authenticate(
        &self,
        presented: Presented<'_>,
        client: IpAddr,
    ) -> Result<Principal> {
        let token = match presented {
            Presented::Bearer(token) => token,
            Presented::Basic { user, password } if user.starts_with(PAT_BASIC_PREFIX) => password,
            // Password failures are recorded where the password is checked.
            Presented::Basic { user, password } => {
                let result = self.authenticate_password(user, password, client).await;
                count_authentication("password", result.is_ok());
                return result;
            }
        };
        let result = self.authenticate_token(token.expose()).await;
        let method = if crate::keys::looks_like_jwt(token.expose()) {
            "access_token"
        } else {
            "pat"
        };
        count_authentication(method, result.is_ok());
        if let Err(Error::Unauthenticated(reason)) = &result {
            self.record_failure(Failure {
                method,
                account: None,
                user: None,
                reason,
            })
            .await;
        }
        result
    }

    /// A bearer value: an OAuth2 access token (a JWS) or a personal access token.
    async fn authenticate_token(&self, value: &str) -> Result<Principal> {
        if crate::keys::looks_like_jwt(value) {
            self.authenticate_access_token(value).await
        } else {
            self.authenticate_pat(value).await
        }
    }

    async fn authenticate_pat(&self, value: &str) -> Result<Principal> {
        let (principal, pat) = self.resolve_pat(value).await?;
        pat.usage.touch(self.clock.now());
        Ok(principal)
    }

    /// A PAT's owner and metadata, if the token is valid now (not expired, user enabled).
    pub(super) async fn resolve_pat(&self, value: &str) -> Result<(Principal, Arc<CachedPat>)> {
        secret::check_format(TokenKind::Pat, value)?;
        let hash = self.config.hash_key.hash(value);
        let pat = match self.cache.pat(&hash) {
            Some(pat) => {
                metrics::counter!("latchkey_cache_lookups_total", "cache" => "pat", "result" => "hit")
                    .increment(1);
                pat
            }
            None => {
                metrics::counter!("latchkey_cache_lookups_total", "cache" => "pat", "result" => "miss")
                    .increment(1);
                let generation = self.cache.generation();
                let record =
                    self.store.pat_by_hash(&hash).await?.ok_or_else(|| {
                        Error::unauthenticated("the token is unknown or was revoked")
                    })?;
                let usage = self.cache.usage_of(record.pat.id);
                if let Some(at) = record.pat.last_used {
                    usage.touch(at);
                    usage.mark_flushed(at);
                }
                let cached = Arc::new(CachedPat {
                    id: record.pat.id,
                    name: record.pat.name,
                    user_id: record.pat.user_id,
                    account_id: record.account_id,
                    expires_at: record.pat.expires_at,
                    usage,
                });
                self.cache.insert_pat(generation, hash, Arc::clone(&cached));
                cached
            }
        };
        let now = self.clock.now();
        if pat.expires_at.is_some_and(|at| at <= now) {
            return Err(Error::unauthenticated("the token has expired"));
        }
        let user = self
            .cached_user(pat.user_id)
            .await?
            .ok_or_else(|| Error::unauthenticated("the token's user no longer exists"))?;
        refuse_disabled(&user)?;
        let account = self.credential_account(pat.account_id).await?;
        let principal = Principal {
            account,
            groups: self.own_keystone_groups(&user).await?,
            subject: Subject::User(user),
            via: Via::Pat(pat.name.clone()),
        };
        Ok((principal, pat))
    }

    async fn authenticate_password(
        &self,
        user: &str,
        password: &Secret,
        client: IpAddr,
    ) -> Result<Principal> {
        let invalid = || Error::unauthenticated("invalid credentials");
        let (nic, login) = user.split_once('/').ok_or_else(|| {
            Error::unauthenticated(format!(
                "Basic authentication expects the user {{nic}}/{{login}} with its password, or \
                 {PAT_BASIC_PREFIX}<suffix> with a personal access token"
            ))
        })?;
        let now = self.clock.now();
        if let Some(wait) = self.address_throttle.locked(&client, now) {
            self.password_failure(None, user, "too many failures from this address")
                .await;
            return Err(too_many_failures(wait));
        }
        let (Ok(nic), Ok(login)) = (Nic::parse(nic), Login::parse(login)) else {
            self.address_throttle.record(&client, now);
            self.password_failure(None, user, "invalid credentials")
                .await;
            return Err(invalid());
        };
        let account = self.store.account_by_nic(&nic).await?;
        let (account, user) = self
            .verify_password(account, &login, password, client)
            .await?;
        Ok(Principal {
            account,
            groups: self.own_keystone_groups(&user).await?,
            subject: Subject::User(Arc::new(user)),
            via: Via::Password,
        })
    }

    /// Checks a user's password behind the failure throttles, in constant work whether or not
    /// the account and the user exist; refuses a disabled user.
    pub(super) async fn verify_password(
        &self,
        account: Option<Account>,
        login: &Login,
        password: &Secret,
        client: IpAddr,
    ) -> Result<(Arc<Account>, User)> {
        let invalid = || Error::unauthenticated("invalid credentials");
        let now = self.clock.now();
        let claimed = account.as_ref().map(|a| a.id);
        if let Some(wait) = self.address_throttle.locked(&client, now) {
            self.password_failure(
                claimed,
                login.as_str(),
                "too many failures from this address",
            )
            .await;
            return Err(too_many_failures(wait));
        }
        let login = login.clone();
        let key = (
            account.as_ref().map_or(AccountId(0), |a| a.id),
            login.clone(),
        );
        let pair = (key.0, login.clone(), client);
        if let Some(wait) = self.pair_throttle.locked(&pair, now) {
            self.password_failure(
                claimed,
                login.as_str(),
                "too many failures for this user from this address",
            )
            .await;
            return Err(too_many_failures(wait));
        }
        // Failures for this user from many addresses slow every attempt down, never lock it out:
        // the right password from an address that has not failed still gets in.
        let failures = self.user_throttle.count(&key, now);
        let ceiling = self.user_throttle.limit().max_failures;
        if failures >= ceiling {
            let wait = super::slowdown(failures + 1 - ceiling);
            tracing::debug!(login = %login, ?wait, "password attempts for this user are slowed down");
            tokio::time::sleep(wait).await;
        }
        let found = match &account {
            Some(account) => self.store.user_with_password(account.id, &login).await?,
            None => None,
        };
        let stored = found
            .as_ref()
            .map_or_else(|| password::decoy_hash().to_owned(), |(_, h)| h.clone());
        let verified = {
            let _slot = self
                .password_checks
                .acquire()
                .await
                .map_err(Error::internal)?;
            let password = password.clone();
            blocking(move || password::verify(&password, &stored)).await?
        };
        let (Some(account), Some((user, _)), true) = (account, found, verified) else {
            self.pair_throttle.record(&pair, now);
            self.user_throttle.record(&key, now);
            self.address_throttle.record(&client, now);
            self.password_failure(claimed, login.as_str(), "invalid credentials")
                .await;
            return Err(invalid());
        };
        if let Err(e) = refuse_disabled(&user) {
            self.password_failure(claimed, login.as_str(), "the user is disabled")
                .await;
            return Err(e);
        }
        // The address proved it knows the password; the user's own count stays, so an attack
        // in progress elsewhere stays slowed.
        self.pair_throttle.record_success(&pair);
        let account = Arc::new(account);
        self.cache.insert_account(Arc::clone(&account));
        Ok((account, user))
    }

    /// Records a refused password (the account and user it claimed, never the password).
    async fn password_failure(&self, account: Option<AccountId>, user: &str, reason: &str) {
        self.record_failure(Failure {
            method: "password",
            account,
            user: Some(user.to_owned()),
            reason,
        })
        .await;
    }

    pub async fn cached_user(&self, id: UserId) -> Result<Option<Arc<User>>> {
        if let Some(user) = self.cache.user(id) {
            return Ok(Some(user));
        }
        let generation = self.cache.generation();
        let Some(user) = self.store.user_by_id(id).await? else {
            return Ok(None);
        };
        let user = Arc::new(user);
        self.cache.insert_user(generation, Arc::clone(&user));
        Ok(Some(user))
    }

    /// An account by id, from the cache or the store (which fills the cache).
    pub async fn cached_account(&self, id: AccountId) -> Result<Option<Arc<Account>>> {
        if let Some(account) = self.cache.account(id) {
            return Ok(Some(account));
        }
        let Some(account) = self.store.account(id).await? else {
            return Ok(None);
        };
        let account = Arc::new(account);
        self.cache.insert_account(Arc::clone(&account));
        Ok(Some(account))
    }

    /// The account of a credential; its absence refuses the credential.
    /// A disabled account (a disabled Keystone domain) refuses every credential of its own.
    pub(super) async fn credential_account(&self, id: AccountId) -> Result<Arc<Account>> {
        let account = self
            .cached_account(id)
            .await?
            .ok_or_else(|| Error::unauthenticated("the credential's account no longer exists"))?;
        if account.domain.enabled {
            Ok(account)
        } else {
            Err(Error::unauthenticated(
                "the credential's domain is disabled",
            ))
        }
    }
}

pub(super) fn refuse_disabled(user: &User) -> Result<()> {
    if user.status == UserStatus::Disabled {
        Err(Error::unauthenticated("the user is disabled"))
    } else {
        Ok(())
    }
}

fn too_many_failures(wait: std::time::Duration) -> Error {
    Error::RateLimited {
        message: "too many failed authentication attempts; try again later".into(),
        retry_after: wait,
    }
}
