//! Personal access tokens: the value is made here, returned once, and only its keyed hash stored.

use chrono::{DateTime, TimeDelta, Utc};

use crate::audit::{AuditKind, details};
use crate::authz::Permit;
use crate::model::{Pat, User};
use crate::names::{Description, Login, TokenName};
use crate::secret::{self, Secret, TokenKind};
use crate::service::Ends;
use crate::store::{NewPat, PatChanges, Record, RevocationKind};
use crate::{Error, Result};

use super::Directory;
use super::users::user_not_found;

/// Longest lifetime a token can be given (100 years): beyond that, ask for no expiry.
pub const MAX_LIFETIME_SECS: i64 = 100 * 365 * 24 * 3600;

/// When a token stops working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Never,
    At(DateTime<Utc>),
    /// Seconds from now.
    In(i64),
}

impl Expiry {
    /// The absolute time, refusing past dates and durations out of range.
    fn resolve(self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        match self {
            Expiry::Never => Ok(None),
            Expiry::At(at) if at <= now => Err(Error::invalid("expiresAt must be in the future")),
            Expiry::At(at) if at > now + TimeDelta::seconds(MAX_LIFETIME_SECS) => {
                Err(Error::invalid(
                    "expiresAt is more than 100 years away; omit it for a token that never expires",
                ))
            }
            Expiry::At(at) => Ok(Some(at)),
            Expiry::In(secs) if !(1..=MAX_LIFETIME_SECS).contains(&secs) => Err(Error::invalid(
                format!("expiresIn must be between 1 and {MAX_LIFETIME_SECS} seconds"),
            )),
            Expiry::In(secs) => Ok(Some(now + TimeDelta::seconds(secs))),
        }
    }
}

/// A token just created, with its value (shown once).
#[derive(Debug)]
pub struct CreatedPat {
    pub pat: Pat,
    pub value: Secret,
}

impl Directory {
    pub async fn create_pat(
        &self,
        permit: &Permit,
        login: &Login,
        name: TokenName,
        description: Description,
        expiry: Expiry,
    ) -> Result<CreatedPat> {
        let user = self.pat_owner(permit, login).await?;
        let now = self.clock.now();
        let expires_at = expiry.resolve(now)?;
        let value = secret::generate(TokenKind::Pat);
        let hash = self.config.hash_key.hash(value.expose());
        let mut tx = self.begin().await?;
        let pat = tx
            .create_pat(
                user.id,
                NewPat {
                    name,
                    description,
                    hash,
                    expires_at,
                    now,
                },
            )
            .await?;
        let details = details::token_change(&user.login, None, Some(&pat));
        let audit = self.audit_by(permit, AuditKind::TokenCreated, details);
        self.commit(tx, Record::new(audit)).await?;
        metrics::counter!("latchkey_tokens_issued_total", "kind" => "pat").increment(1);
        Ok(CreatedPat { pat, value })
    }

    pub async fn list_pats(&self, permit: &Permit, login: &Login) -> Result<Vec<TokenName>> {
        let user = self.pat_owner(permit, login).await?;
        self.store.list_pats(user.id).await
    }

    /// Every token of a user with its metadata, in one read (the console's table).
    pub async fn pats_of(&self, permit: &Permit, login: &Login) -> Result<Vec<Pat>> {
        let user = self.pat_owner(permit, login).await?;
        let pats = self.store.pats_of(user.id).await?;
        Ok(pats.into_iter().map(|p| self.with_live_usage(p)).collect())
    }

    pub async fn pat(&self, permit: &Permit, login: &Login, name: &TokenName) -> Result<Pat> {
        let user = self.pat_owner(permit, login).await?;
        let pat = self
            .store
            .pat(user.id, name)
            .await?
            .ok_or_else(|| pat_not_found(login, name))?;
        Ok(self.with_live_usage(pat))
    }

    pub async fn update_pat(
        &self,
        permit: &Permit,
        login: &Login,
        name: &TokenName,
        description: Option<Description>,
        expiry: Option<Expiry>,
    ) -> Result<Pat> {
        let user = self.pat_owner(permit, login).await?;
        let expires_at = expiry.map(|e| e.resolve(self.clock.now())).transpose()?;
        let old = self
            .store
            .pat(user.id, name)
            .await?
            .ok_or_else(|| pat_not_found(login, name))?;
        let changes = PatChanges {
            description,
            expires_at,
        };
        let mut tx = self.begin().await?;
        let updated = tx.update_pat(user.id, name, changes).await?;
        let details = details::token_change(&user.login, Some(&old), Some(&updated.pat));
        let audit = self.audit_by(permit, AuditKind::TokenModified, details);
        let event = self
            .event(
                RevocationKind::Pat,
                updated.hash.to_hex(),
                Some(permit.account()),
                Ends::User(&user.login),
            )
            .await;
        self.commit(tx, Record::new(audit).event(event)).await?;
        self.cache.forget_pat(&updated.hash);
        Ok(self.with_live_usage(updated.pat))
    }

    /// Deletes a token; the very next request presenting it is refused.
    pub async fn delete_pat(&self, permit: &Permit, login: &Login, name: &TokenName) -> Result<()> {
        let user = self.pat_owner(permit, login).await?;
        let mut tx = self.begin().await?;
        let deleted = tx.delete_pat(user.id, name).await?;
        let details = details::token_change(&user.login, Some(&deleted.pat), None);
        let audit = self.audit_by(permit, AuditKind::TokenDeleted, details);
        let event = self
            .event(
                RevocationKind::Pat,
                deleted.hash.to_hex(),
                Some(permit.account()),
                Ends::User(&user.login),
            )
            .await;
        self.commit(tx, Record::new(audit).event(event)).await?;
        self.cache.forget_pat(&deleted.hash);
        Ok(())
    }

    async fn pat_owner(&self, permit: &Permit, login: &Login) -> Result<User> {
        self.store
            .user(permit.account(), login)
            .await?
            .ok_or_else(|| user_not_found(login))
    }

    fn with_live_usage(&self, mut pat: Pat) -> Pat {
        if let Some(live) = self.cache.last_used(pat.id) {
            pat.last_used = pat.last_used.max(Some(live));
        }
        pat
    }
}

pub(crate) fn pat_not_found(login: &Login, name: &TokenName) -> Error {
    Error::not_found(format!("token {name} of user {login} does not exist"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_resolves_relative_and_absolute_times() {
        let now = Utc::now();
        assert_eq!(Expiry::Never.resolve(now).unwrap(), None);
        assert_eq!(
            Expiry::In(60).resolve(now).unwrap(),
            Some(now + TimeDelta::seconds(60))
        );
        let at = now + TimeDelta::days(3);
        assert_eq!(Expiry::At(at).resolve(now).unwrap(), Some(at));
    }

    #[test]
    fn expiry_refuses_the_past_and_absurd_durations() {
        let now = Utc::now();
        assert!(Expiry::At(now).resolve(now).is_err());
        assert!(
            Expiry::At(now - TimeDelta::seconds(1))
                .resolve(now)
                .is_err()
        );
        assert!(Expiry::In(0).resolve(now).is_err());
        assert!(Expiry::In(-5).resolve(now).is_err());
        assert!(Expiry::In(MAX_LIFETIME_SECS + 1).resolve(now).is_err());
    }
}
