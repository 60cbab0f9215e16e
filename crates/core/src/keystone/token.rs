//! The claims of a Keystone token. A Keystone token is a JWS signed by the same key ring as OAuth2
//! access tokens, with its own audience so that neither kind is accepted as the other.

use serde::{Deserialize, Serialize};

use super::Target;

/// The `aud` of every Keystone token.
pub const AUDIENCE: &str = latchkey_wire::claims::KEYSTONE_AUDIENCE;

/// The longest audit chain a token carries: a token rescoped from a token rescoped from … more
/// than this many times is refused, so a token stays small.
pub const MAX_CHAIN: usize = 16;

/// Who a Keystone token was issued to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Holder {
    /// A local user, by store key.
    #[serde(rename = "u")]
    User(i64),
    /// A service account (application credential), by client id.
    #[serde(rename = "c")]
    Client(String),
}

/// What a Keystone token is scoped to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenScope {
    #[serde(rename = "n")]
    Unscoped,
    #[serde(rename = "t")]
    Scoped(Target),
}

/// The signed content of a Keystone token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeystoneClaims {
    pub iss: String,
    /// The identity URN of the holder.
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    /// Issue time, in microseconds (Keystone renders it with six decimals).
    pub iat_us: i64,
    /// The holder's account.
    pub acct: i64,
    pub who: Holder,
    /// Authentication methods, in Keystone's words (`password`, `token`, `application_credential`).
    pub methods: Vec<String>,
    pub scope: TokenScope,
    /// The account of the scope's domain or project when it is not the holder's (a grant on
    /// another domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sacct: Option<i64>,
    /// This token's audit id first, then those of the tokens it was rescoped from, nearest first.
    /// Revoking any of them revokes this token.
    pub audit: Vec<String>,
    /// The user's application credential the token was made from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<AppClaim>,
    /// The trust the token was made from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust: Option<TrustClaim>,
}

/// The trust behind a token: the roles are the trustor's (those the trust delegates), and the
/// token ends when the trust is deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustClaim {
    pub id: String,
    /// The trustor's store key.
    pub trustor: i64,
    /// The trustee's store key.
    pub trustee: i64,
    pub impersonation: bool,
    /// Role ids delegated.
    pub roles: Vec<String>,
}

/// The application credential behind a token: it limits the token's roles to its own and ends
/// the token when it is deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppClaim {
    pub id: String,
    pub name: String,
    pub unrestricted: bool,
    /// Role ids the credential carries.
    pub roles: Vec<String>,
}

impl KeystoneClaims {
    /// This token's own audit id.
    pub fn audit_id(&self) -> &str {
        self.audit.first().map_or("", String::as_str)
    }

    /// The audit ids as Keystone shows them: the token's own, then the chain's first token's.
    pub fn keystone_audit_ids(&self) -> Vec<&str> {
        match self.audit.as_slice() {
            [] => vec![],
            [own] => vec![own.as_str()],
            [own, .., root] => vec![own.as_str(), root.as_str()],
        }
    }
}

/// A new audit id: 16 random bytes, base64url without padding (22 characters, as Keystone's).
pub fn new_audit_id() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(scope: TokenScope) -> KeystoneClaims {
        KeystoneClaims {
            iss: "http://issuer".into(),
            sub: "urn:v1:eu:identity:user:lk0001-lk/admin".into(),
            aud: AUDIENCE.into(),
            exp: 100,
            iat_us: 1_000_001,
            acct: 1,
            who: Holder::User(1),
            methods: vec!["password".into()],
            scope,
            sacct: None,
            audit: vec!["own".into(), "parent".into()],
            app: None,
            trust: None,
        }
    }

    /// The guard reads these claims with `latchkey_wire::claims`: it must find what is written.
    #[test]
    fn a_verifier_reading_the_wire_claims_reads_what_a_keystone_token_carries() {
        let read = |scope| -> latchkey_wire::claims::SignedClaims {
            serde_json::from_value(serde_json::to_value(claims(scope)).unwrap()).unwrap()
        };
        let project = read(TokenScope::Scoped(Target::Project("p1".into())));
        assert!(project.is_keystone());
        assert_eq!(project.keystone_project(), Some("p1"));
        assert_eq!(project.token_id(), Some("own"));
        assert_eq!(project.issued_us(), 1_000_001);
        for other in [
            TokenScope::Unscoped,
            TokenScope::Scoped(Target::Domain),
            TokenScope::Scoped(Target::System),
        ] {
            assert_eq!(read(other).keystone_project(), None);
        }
    }
}
