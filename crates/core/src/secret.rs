//! Opaque long-lived secrets and what is kept of them at rest.
//!
//! A token reads `lkpat_` + 30 base62 characters of randomness (≈178 bits) + 6 base62 characters of
//! CRC32 over everything before them (the format is written once, in `latchkey_wire::opaque`, which
//! the SDK and the guard read too). The prefix tells secret scanners what it is; the checksum lets
//! the server refuse garbage before any lookup. Only an HMAC-SHA256 of the whole value under a
//! server key ([`HashKey`]) is stored, and lookups are by that hash.

use std::fmt;

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

use crate::{Error, Result};

use latchkey_wire::opaque::{self, BASE62, RANDOM_LEN};

/// A string that must not be printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The value itself; call only where it must leave the process (a response, a hash).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The kinds of opaque token, each with its own prefix.
pub use latchkey_wire::opaque::Kind as TokenKind;

/// `len` characters of base62 drawn uniformly from the operating system's random source.
pub fn random_base62(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| BASE62[rng.random_range(0..BASE62.len())] as char)
        .collect()
}

/// A fresh password for a bootstrapped ROOT user: 24 base62 characters (≈143 bits).
pub fn random_password() -> Secret {
    Secret(random_base62(24))
}

/// Makes a new token of the given kind from the operating system's random source.
pub fn generate(kind: TokenKind) -> Secret {
    Secret(opaque::compose(kind, &random_base62(RANDOM_LEN)))
}

/// Checks that `value` is a well-formed token of `kind`: prefix, length, alphabet and checksum.
/// Nothing is looked up; a refusal here costs no database access.
pub fn check_format(kind: TokenKind, value: &str) -> Result<()> {
    opaque::check(kind, value).map_err(|m| Error::unauthenticated(m.message()))
}

/// The keyed hash of a token: what the store keeps and looks up.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(…)")
    }
}

impl TokenHash {
    /// Lowercase hexadecimal, as revocation events carry it.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(out))
    }

    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::internal(format!("stored token hash has {} bytes", bytes.len())))?;
        Ok(Self(arr))
    }
}

/// The server key under which token hashes are computed (HMAC-SHA256). The keyed state is
/// computed once and cloned per hash.
#[derive(Clone)]
pub struct HashKey {
    key: [u8; 32],
    keyed: Hmac<Sha256>,
}

impl fmt::Debug for HashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HashKey(***)")
    }
}

impl HashKey {
    pub fn from_bytes(key: [u8; 32]) -> Self {
        let keyed = <Hmac<Sha256> as Mac>::new_from_slice(&key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        Self { key, keyed }
    }

    pub fn generate() -> Self {
        Self::from_bytes(rand::random())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.key
    }

    pub fn hash(&self, value: &str) -> TokenHash {
        let mut mac = self.keyed.clone();
        mac.update(value.as_bytes());
        TokenHash(mac.finalize().into_bytes().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pat_has_prefix_length_and_valid_checksum() {
        let token = generate(TokenKind::Pat);
        let value = token.expose();
        assert!(value.starts_with("lkpat_"));
        assert_eq!(
            value.len(),
            6 + RANDOM_LEN + latchkey_wire::opaque::CHECKSUM_LEN
        );
        check_format(TokenKind::Pat, value).unwrap();
    }

    #[test]
    fn generated_tokens_differ() {
        assert_ne!(generate(TokenKind::Pat), generate(TokenKind::Pat));
    }

    #[test]
    fn a_changed_character_breaks_the_checksum() {
        let token = generate(TokenKind::Pat);
        let mut bytes = token.expose().as_bytes().to_vec();
        bytes[10] = if bytes[10] == b'a' { b'b' } else { b'a' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(check_format(TokenKind::Pat, &tampered).is_err());
    }

    #[test]
    fn wrong_prefix_length_or_alphabet_is_refused() {
        let token = generate(TokenKind::Pat);
        let value = token.expose();
        assert!(check_format(TokenKind::Pat, &value.replacen("lkpat_", "ghp_", 1)).is_err());
        assert!(check_format(TokenKind::Pat, &value[..value.len() - 1]).is_err());
        assert!(check_format(TokenKind::Pat, &format!("{value}x")).is_err());
        assert!(
            check_format(TokenKind::Pat, &value.replacen('A', "-", 1)).is_err()
                || !value.contains('A')
        );
        assert!(check_format(TokenKind::Pat, "").is_err());
    }

    #[test]
    fn token_hash_round_trips_through_hex() {
        let hash = HashKey::generate().hash("x");
        assert_eq!(TokenHash::from_hex(&hash.to_hex()), Some(hash));
        assert_eq!(TokenHash::from_hex("zz"), None);
    }

    #[test]
    fn secret_debug_and_display_hide_the_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?} {secret}"), "*** ***");
    }

    #[test]
    fn hash_is_standard_hmac_sha256() {
        // RFC 4231 test case 2 has a short key; check against an independent computation instead.
        let key = HashKey::from_bytes([7; 32]);
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&[7; 32]).unwrap();
        mac.update(b"lkpat_example");
        let expected: [u8; 32] = mac.finalize().into_bytes().into();
        assert_eq!(key.hash("lkpat_example").0, expected);
        assert_eq!(key.hash("lkpat_example"), key.hash("lkpat_example"));
    }

    #[test]
    fn hash_depends_on_the_key() {
        let (a, b) = (HashKey::generate(), HashKey::generate());
        assert_eq!(a.hash("x"), a.hash("x"));
        assert_ne!(a.hash("x"), b.hash("x"));
        assert_ne!(a.hash("x"), a.hash("y"));
    }
}
