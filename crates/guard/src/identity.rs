//! Who a request comes from, as the guard hands it to the handler.

use chrono::{DateTime, Utc};

/// The kind of credential that was presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A personal access token (introspected).
    Pat,
    /// An OAuth2 access token of a service account (verified offline).
    AccessToken,
    /// A Keystone token (verified offline).
    Keystone,
}

/// The identity behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `urn:v1:{plate}:identity:user:{nic}/{login}` or `…:credential:{nic}/oauth2-{clientId}`.
    pub urn: String,
    /// The account (nic) the identity belongs to.
    pub account: String,
    pub kind: TokenKind,
    /// The token's id: a PAT's id, an access token's `jti`, a Keystone token's audit id.
    pub token_id: String,
    /// The local user's login, for a user.
    pub login: Option<String>,
    /// The service account's client id, for a service account.
    pub client_id: Option<String>,
    /// The project a Keystone token is scoped to.
    pub project_id: Option<String>,
    /// When the token expires (`None`: a PAT without expiry).
    pub expires_at: Option<DateTime<Utc>>,
}

impl Identity {
    /// Reads the account and the login or client id out of the identity URN.
    pub(crate) fn from_urn(
        urn: String,
        kind: TokenKind,
        token_id: String,
        project_id: Option<String>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Option<Self> {
        // urn:v1:{plate}:identity:{type}:{nic}/{rest}
        let mut parts = urn.splitn(6, ':');
        let (_, _, _, identity, kind_name, tail) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        if identity != "identity" {
            return None;
        }
        let (nic, rest) = tail.split_once('/')?;
        let (login, client_id) = match kind_name {
            "user" => (Some(rest.to_owned()), None),
            "credential" => (None, Some(rest.strip_prefix("oauth2-")?.to_owned())),
            _ => return None,
        };
        Some(Identity {
            account: nic.to_owned(),
            urn,
            kind,
            token_id,
            login,
            client_id,
            project_id,
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_urn_gives_account_login_or_client() {
        let user = Identity::from_urn(
            "urn:v1:eu:identity:user:lk1-lk/alice".into(),
            TokenKind::Pat,
            "id".into(),
            None,
            None,
        );
        assert_eq!(
            user.as_ref()
                .map(|u| (u.account.as_str(), u.login.as_deref())),
            Some(("lk1-lk", Some("alice")))
        );
        let sa = Identity::from_urn(
            "urn:v1:eu:identity:credential:lk1-lk/oauth2-EU.abc".into(),
            TokenKind::AccessToken,
            "j".into(),
            None,
            None,
        );
        assert_eq!(sa.and_then(|s| s.client_id), Some("EU.abc".to_owned()));
        assert!(
            Identity::from_urn(
                "urn:v1:eu:resource:x:y/z".into(),
                TokenKind::Pat,
                String::new(),
                None,
                None
            )
            .is_none()
        );
    }
}
