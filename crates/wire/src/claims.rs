//! What a verifier reads from a signed token. Both kinds are JWS (EdDSA, `kid` in the header)
//! from the server's one key ring; their audiences keep either from being taken for the other.
//! The server writes the full claims (`latchkey-core`: `keys::AccessClaims`,
//! `keystone::token::KeystoneClaims`); its tests hold them against [`SignedClaims`], so a
//! guard that reads these names reads what the server wrote.

use serde::Deserialize;
use serde_json::Value;

/// The `aud` of OAuth2 access tokens.
pub const ACCESS_AUDIENCE: &str = "latchkey";
/// The `aud` of Keystone tokens.
pub const KEYSTONE_AUDIENCE: &str = "keystone";

/// How a Keystone token's `scope` claim writes a scope to a target, and a project target.
const SCOPED: &str = "t";
const PROJECT: &str = "p";

/// The claims of either kind of signed token that a verifier needs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SignedClaims {
    /// The identity URN of the holder.
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    /// Access tokens: issue time (seconds) and token id.
    pub iat: Option<i64>,
    pub jti: Option<String>,
    /// Keystone tokens: issue time (microseconds), the audit chain (this token's id first), and
    /// the scope.
    pub iat_us: Option<i64>,
    pub audit: Option<Vec<String>>,
    pub scope: Option<Value>,
}

impl SignedClaims {
    /// Whether it is a Keystone token.
    pub fn is_keystone(&self) -> bool {
        self.aud == KEYSTONE_AUDIENCE
    }

    /// The project a Keystone token is scoped to, if it is scoped to one.
    pub fn keystone_project(&self) -> Option<&str> {
        self.scope.as_ref()?.get(SCOPED)?.get(PROJECT)?.as_str()
    }

    /// The token's id: an access token's `jti`, a Keystone token's audit id.
    pub fn token_id(&self) -> Option<&str> {
        match &self.audit {
            Some(chain) if self.is_keystone() => chain.first().map(String::as_str),
            _ => self.jti.as_deref(),
        }
    }

    /// When it was issued, in microseconds.
    pub fn issued_us(&self) -> i64 {
        match self.iat_us {
            Some(us) => us,
            None => self.iat.unwrap_or(0).saturating_mul(1_000_000),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(v: Value) -> SignedClaims {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("claims: {e}"))
    }

    #[test]
    fn a_keystone_token_gives_its_project_audit_id_and_microseconds() {
        let c = read(serde_json::json!({
            "sub": "urn:v1:eu:identity:user:lk0001-lk/admin", "aud": "keystone", "exp": 10,
            "iat_us": 1_500_000, "audit": ["a1", "a0"], "scope": {"t": {"p": "p1"}},
        }));
        assert!(c.is_keystone());
        assert_eq!(c.keystone_project(), Some("p1"));
        assert_eq!(c.token_id(), Some("a1"));
        assert_eq!(c.issued_us(), 1_500_000);
        let domain = read(serde_json::json!({
            "sub": "s", "aud": "keystone", "exp": 10, "audit": ["a"], "scope": {"t": "d"},
        }));
        assert_eq!(domain.keystone_project(), None);
    }

    #[test]
    fn an_access_token_gives_its_jti_and_seconds() {
        let c = read(serde_json::json!({
            "sub": "s", "aud": "latchkey", "exp": 10, "iat": 2, "jti": "j",
            "client_id": "c", "scope": "all",
        }));
        assert!(!c.is_keystone());
        assert_eq!(c.token_id(), Some("j"));
        assert_eq!(c.issued_us(), 2_000_000);
        assert_eq!(c.keystone_project(), None);
    }
}
