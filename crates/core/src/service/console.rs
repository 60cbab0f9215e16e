//! Sessions of the web console. A session is opened with a user's password, through the same
//! check and throttles as Basic authentication; its id (`lkses_…`, the cookie's value) is shown
//! to the browser only, and the store keeps its keyed hash. A session ends at sign-out, after its
//! idle timeout or its absolute lifetime, and as soon as its user is disabled, deleted or changes
//! password: each request checks the user as the credential cache sees it, which every node keeps
//! in step through the `user` events. Sign-out is a `session` event, so other nodes forget the
//! session at once too.
//!
//! Each session has a CSRF token derived from it (a keyed hash of the session's hash), which
//! every state-changing form carries back.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use crate::audit::{AuditKind, Origin};
use crate::authz::{Principal, Subject, Via};
use crate::secret::{self, Secret, TokenHash, TokenKind};
use crate::store::{ConsoleSession, Record, RevocationKind};
use crate::{Error, Result};

use super::Directory;
use super::auth::refuse_disabled;
use super::cache::CachedSession;
use super::journal::Ends;

/// A signed-in console request: who, through which session, and the session's CSRF token.
#[derive(Debug, Clone)]
pub struct ConsoleCaller {
    pub principal: Principal,
    session: Arc<CachedSession>,
    hash: TokenHash,
    csrf: String,
    pub expires_at: DateTime<Utc>,
}

impl ConsoleCaller {
    /// The CSRF token the session's forms carry.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Spends a form's one-time id: `false` when this session already sent that form (a
    /// reload that would make the same thing twice). Kept by the node that served the form.
    pub fn spend_form(&self, id: &str) -> bool {
        self.session.spend(id)
    }
}

/// A session just opened: the cookie's value, shown once, and who it is for.
#[derive(Debug)]
pub struct OpenedSession {
    pub value: Secret,
    pub principal: Principal,
    pub expires_at: DateTime<Utc>,
}

impl Directory {
    /// Signs a user in with `{nic}/{login}` and password (the checks, throttles and failure
    /// records of Basic authentication) and opens a session, recorded as `LOGIN_SUCCESS`.
    pub async fn open_console_session(
        &self,
        user: &str,
        password: &Secret,
        client: IpAddr,
    ) -> Result<OpenedSession> {
        let mut principal = self
            .authenticate(
                crate::service::auth::Presented::Basic { user, password },
                client,
            )
            .await?;
        if !matches!(principal.via, Via::Password) {
            return Err(Error::unauthenticated(
                "the console is signed in to with a user's password",
            ));
        }
        principal.via = Via::ConsoleSession;
        let Subject::User(user) = &principal.subject else {
            return Err(Error::unauthenticated(
                "the console is signed in to with a user's password",
            ));
        };
        let value = secret::generate(TokenKind::ConsoleSession);
        let now = self.clock.now();
        let expires_at = now + delta(self.config.console_session_lifetime);
        let session = ConsoleSession {
            hash: self.config.hash_key.hash(value.expose()),
            account_id: principal.account.id,
            user_id: user.id,
            created_at: now,
            expires_at,
            last_seen: now,
        };
        let details = json!({ "mfaType": "NONE", "userAgent": Origin::current().user_agent });
        let record = Record::new(self.audit(
            &principal,
            AuditKind::LoginSuccess,
            Some(principal.account.id),
            details,
        ));
        let mut tx = self.begin().await?;
        tx.create_session(&session).await?;
        self.commit(tx, record).await?;
        self.cache
            .insert_session(Arc::new(CachedSession::new(session)));
        Ok(OpenedSession {
            value,
            principal,
            expires_at,
        })
    }

    /// The signed-in caller a session cookie's value names, if the session is still open.
    pub async fn console_session(&self, value: &str) -> Result<ConsoleCaller> {
        let ended = || Error::unauthenticated("the session has ended; sign in again");
        secret::check_format(TokenKind::ConsoleSession, value).map_err(|_| ended())?;
        let hash = self.config.hash_key.hash(value);
        let now = self.clock.now();
        let idle = delta(self.config.console_idle_timeout);
        let mut session = match self.cache.session(&hash) {
            Some(session) => session,
            None => self.load_session(&hash).await?.ok_or_else(ended)?,
        };
        if now - session.seen() >= idle {
            // Another node may have served it since: its activity reaches the store within
            // seconds.
            session = self.load_session(&hash).await?.ok_or_else(ended)?;
        }
        if session.stored.expires_at <= now || now - session.seen() >= idle {
            self.cache.forget_session(&hash);
            return Err(ended());
        }
        let user = self
            .cached_user(session.stored.user_id)
            .await?
            .ok_or_else(ended)?;
        refuse_disabled(&user).map_err(|_| ended())?;
        if user.password_updated_at > session.stored.created_at {
            return Err(ended());
        }
        let account = self.credential_account(session.stored.account_id).await?;
        session.touch(now);
        let principal = Principal {
            account,
            groups: self.own_keystone_groups(&user).await?,
            subject: Subject::User(user),
            via: Via::ConsoleSession,
        };
        Ok(ConsoleCaller {
            principal,
            csrf: self.csrf_of(&hash),
            expires_at: session.stored.expires_at,
            session,
            hash,
        })
    }

    async fn load_session(&self, hash: &TokenHash) -> Result<Option<Arc<CachedSession>>> {
        let generation = self.cache.generation();
        let Some(stored) = self.store.session_by_hash(hash).await? else {
            return Ok(None);
        };
        let session = Arc::new(CachedSession::new(stored));
        if let Some(known) = self.cache.session(hash) {
            session.touch(known.seen());
        }
        self.cache
            .insert_session_if(generation, Arc::clone(&session));
        Ok(Some(session))
    }

    /// Signs out: the session ends here and, through its event, on every node.
    pub async fn close_console_session(&self, caller: &ConsoleCaller) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.delete_session(&caller.hash).await?;
        let principal = &caller.principal;
        let login = principal.user().map(|u| u.login.clone());
        let details = json!({ "reason": "signed out" });
        let record = Record::new(self.audit(
            principal,
            AuditKind::SessionClosed,
            Some(principal.account.id),
            details,
        ))
        .event(
            self.event(
                RevocationKind::Session,
                caller.hash.to_hex(),
                Some(principal.account.id),
                login.as_ref().map_or(Ends::Nobody, Ends::User),
            )
            .await,
        );
        self.commit(tx, record).await?;
        self.cache.forget_session(&caller.hash);
        Ok(())
    }

    /// Whether a state-changing console request carries its session's CSRF token (compared in
    /// constant time). A request without it must change nothing.
    pub fn csrf_matches(&self, caller: &ConsoleCaller, presented: Option<&str>) -> bool {
        use subtle::ConstantTimeEq;
        let presented = presented.unwrap_or_default().as_bytes();
        bool::from(presented.ct_eq(caller.csrf.as_bytes()))
    }

    fn csrf_of(&self, session: &TokenHash) -> String {
        self.config
            .hash_key
            .hash(&format!("console-csrf:{}", session.to_hex()))
            .to_hex()
    }

    /// Writes the sessions' recent activity to the store, so that another node serving the same
    /// browser sees it is not idle.
    pub async fn flush_session_activity(&self) -> Result<()> {
        let pending = self.cache.pending_sessions();
        if pending.is_empty() {
            return Ok(());
        }
        let seen: Vec<_> = pending.iter().map(|(s, at)| (s.stored.hash, *at)).collect();
        self.store.record_session_activity(&seen).await?;
        for (session, at) in pending {
            session.mark_flushed(at);
        }
        Ok(())
    }

    /// Deletes sessions that ended by time, in the store and in this node's memory.
    pub async fn prune_console_sessions(&self) -> Result<u64> {
        let now = self.clock.now();
        let idle = delta(self.config.console_idle_timeout);
        self.cache
            .retain_sessions(|s| s.stored.expires_at > now && now - s.seen() < idle);
        self.store.prune_sessions(now, now - idle).await
    }
}

fn delta(d: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}
