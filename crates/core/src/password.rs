//! Argon2id password hashing (PHC string format at rest). Hashing and verifying are deliberately
//! slow: callers run them off the async executor.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::secret::Secret;
use crate::{Error, Result};

/// Shortest accepted password.
pub const MIN_LEN: usize = 8;
/// Longest accepted password (bounds hashing cost).
pub const MAX_LEN: usize = 256;

/// Checks a new password against the length rules.
pub fn check_policy(password: &Secret) -> Result<()> {
    let len = password.expose().chars().count();
    if len < MIN_LEN {
        return Err(Error::invalid(format!(
            "password must have at least {MIN_LEN} characters"
        )));
    }
    if len > MAX_LEN {
        return Err(Error::invalid(format!(
            "password must have at most {MAX_LEN} characters"
        )));
    }
    Ok(())
}

/// Hashes a password with Argon2id and a fresh salt.
pub fn hash(password: &Secret) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::internal(format!("argon2 hashing failed: {e}")))
}

/// Verifies a password against a stored PHC string. A malformed stored hash never verifies.
pub fn verify(password: &Secret, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.expose().as_bytes(), &parsed)
        .is_ok()
}

/// A hash of a random password, verified against when the user does not exist, so that an
/// unknown login costs as much time as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        hash(&crate::secret::generate(crate::secret::TokenKind::Pat)).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_the_same_password_only() {
        let stored = hash(&Secret::new("correct horse")).unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify(&Secret::new("correct horse"), &stored));
        assert!(!verify(&Secret::new("wrong horse"), &stored));
    }

    #[test]
    fn malformed_stored_hash_never_verifies() {
        assert!(!verify(&Secret::new("anything"), "not-a-phc-string"));
    }

    #[test]
    fn policy_bounds_length() {
        assert!(check_policy(&Secret::new("short")).is_err());
        assert!(check_policy(&Secret::new("long enough")).is_ok());
        assert!(check_policy(&Secret::new("x".repeat(257))).is_err());
    }
}
