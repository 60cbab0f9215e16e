//! Signing keys for short-lived tokens, and the tokens they sign.
//!
//! Keys are Ed25519 (JWS `EdDSA`), identified by a `kid`, and move through three states:
//! `STAGED` (published in the JWKS, not yet signing) → `PRIMARY` (signs) → `RETIRED` (verifies until
//! the longest token it signed has expired, then is dropped). Private keys are kept in the store
//! sealed with AES-256-GCM under a key derived from the server's hash key, so a database dump alone
//! cannot sign. [`KeyRing`] is the in-memory, ready-to-use view of the stored keys.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::secret::HashKey;
use crate::{Error, Result};

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyState {
    Staged,
    Primary,
    Retired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Staged => "STAGED",
            KeyState::Primary => "PRIMARY",
            KeyState::Retired => "RETIRED",
        }
    }
}

impl FromStr for KeyState {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "STAGED" => Ok(KeyState::Staged),
            "PRIMARY" => Ok(KeyState::Primary),
            "RETIRED" => Ok(KeyState::Retired),
            _ => Err(Error::internal(format!("unknown key state {s:?}"))),
        }
    }
}

impl fmt::Display for KeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A signing key as the store keeps it.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub kid: String,
    pub state: KeyState,
    /// Nonce followed by the AES-256-GCM sealed PKCS#8 document.
    pub sealed_private: Vec<u8>,
    /// The raw 32-byte Ed25519 public key.
    pub public: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    /// For a retired key: when the last token it signed expires.
    pub verify_until: Option<DateTime<Utc>>,
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("state", &self.state)
            .field("created_at", &self.created_at)
            .field("activated_at", &self.activated_at)
            .field("verify_until", &self.verify_until)
            .finish_non_exhaustive()
    }
}

/// Seals and opens private keys at rest.
#[derive(Debug)]
pub struct KeySealer {
    key: LessSafeKeyDebug,
}

struct LessSafeKeyDebug(LessSafeKey);

impl fmt::Debug for LessSafeKeyDebug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LessSafeKey(***)")
    }
}

impl KeySealer {
    /// Derives the sealing key from the server's hash key (HMAC with a fixed label).
    pub fn new(hash_key: &HashKey) -> Self {
        let derived = hash_key.hash("latchkey signing-key sealing v1").0;
        let unbound = UnboundKey::new(&AES_256_GCM, &derived)
            .unwrap_or_else(|_| unreachable!("AES-256-GCM takes a 32-byte key"));
        Self {
            key: LessSafeKeyDebug(LessSafeKey::new(unbound)),
        }
    }

    fn seal(&self, kid: &str, plain: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| Error::internal("no randomness"))?;
        let mut sealed = plain.to_vec();
        self.key
            .0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(kid.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| Error::internal("sealing a signing key failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    fn open(&self, kid: &str, sealed: &[u8]) -> Result<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return Err(Error::internal(format!("signing key {kid} is truncated")));
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| Error::internal("bad nonce"))?;
        let mut body = body.to_vec();
        let plain = self
            .key
            .0
            .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut body)
            .map_err(|_| {
                Error::internal(format!(
                    "signing key {kid} cannot be opened: the hash key differs from the one it was sealed with"
                ))
            })?;
        Ok(plain.to_vec())
    }

    /// Makes a new key in the given state.
    pub fn generate(&self, state: KeyState, now: DateTime<Utc>) -> Result<StoredKey> {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| Error::internal("Ed25519 key generation failed"))?;
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
            .map_err(|_| Error::internal("generated Ed25519 key does not parse"))?;
        let public = pair.public_key().as_ref().to_vec();
        // The kid is derived from the public key: stable, unique, and reveals nothing else.
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(&public)[..12]);
        Ok(StoredKey {
            sealed_private: self.seal(&kid, pkcs8.as_ref())?,
            kid,
            state,
            public,
            created_at: now,
            activated_at: (state == KeyState::Primary).then_some(now),
            verify_until: None,
        })
    }
}

/// The claims of an OAuth2 access token (RFC 9068 shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    /// The identity URN of the service account.
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    /// Token id.
    pub jti: String,
    pub client_id: String,
    pub scope: String,
}

/// The audience of every access token this server issues.
pub const AUDIENCE: &str = latchkey_wire::claims::ACCESS_AUDIENCE;

/// The keys ready for use: one to sign with, all that verify, and the JWKS that publishes them.
pub struct KeyRing {
    /// The primary key's id, its JWS header (base64url, computed once) and its key pair.
    signer: Option<(String, String, Ed25519KeyPair)>,
    verifiers: HashMap<String, (DecodingKey, Option<DateTime<Utc>>)>,
    jwks: Value,
    issuer: String,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("signer", &self.signer.as_ref().map(|(kid, _, _)| kid))
            .field("verifiers", &self.verifiers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl KeyRing {
    /// Builds the ring from stored keys, dropping retired keys past their `verify_until`.
    pub fn new(
        keys: &[StoredKey],
        sealer: &KeySealer,
        issuer: &str,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let mut signer = None;
        let mut verifiers = HashMap::new();
        let mut published = Vec::new();
        for key in keys {
            if key.state == KeyState::Retired && key.verify_until.is_none_or(|until| until <= now) {
                continue;
            }
            let x = URL_SAFE_NO_PAD.encode(&key.public);
            let decoding = DecodingKey::from_ed_components(&x).map_err(Error::internal)?;
            let until = (key.state == KeyState::Retired)
                .then_some(key.verify_until)
                .flatten();
            verifiers.insert(key.kid.clone(), (decoding, until));
            published.push(json!({ "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": key.kid, "x": x }));
            if key.state == KeyState::Primary {
                let der = sealer.open(&key.kid, &key.sealed_private)?;
                let pair = Ed25519KeyPair::from_pkcs8(&der).map_err(|_| {
                    Error::internal(format!("signing key {} does not parse", key.kid))
                })?;
                let header = json!({ "alg": "EdDSA", "kid": key.kid, "typ": "at+jwt" });
                signer = Some((
                    key.kid.clone(),
                    URL_SAFE_NO_PAD.encode(header.to_string()),
                    pair,
                ));
            }
        }
        Ok(Self {
            signer,
            verifiers,
            jwks: json!({ "keys": published }),
            issuer: issuer.to_owned(),
        })
    }

    /// A ring with no keys (before the store has been read).
    pub fn empty(issuer: &str) -> Self {
        Self {
            signer: None,
            verifiers: HashMap::new(),
            jwks: json!({ "keys": [] }),
            issuer: issuer.to_owned(),
        }
    }

    /// The JWKS document (RFC 7517) of every key that may verify.
    pub fn jwks(&self) -> &Value {
        &self.jwks
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn knows(&self, kid: &str) -> bool {
        self.verifiers.contains_key(kid)
    }

    /// Signs claims with the primary key (JWS compact serialisation, RFC 7515). The key pair is
    /// parsed once per ring, not per token.
    pub fn sign<C: Serialize>(&self, claims: &C) -> Result<String> {
        let (_, header, pair) = self
            .signer
            .as_ref()
            .ok_or_else(|| Error::internal("no primary signing key"))?;
        let payload = serde_json::to_vec(claims).map_err(Error::internal)?;
        let mut token = String::with_capacity(header.len() + payload.len() * 4 / 3 + 100);
        token.push_str(header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
        let signature = pair.sign(token.as_bytes());
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature.as_ref(), &mut token);
        Ok(token)
    }

    /// Verifies signature, algorithm, issuer and audience, and expiry against `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<AccessClaims> {
        let claims: AccessClaims = self.decode(token, now, AUDIENCE, "access token")?;
        if claims.exp <= now.timestamp() {
            return Err(Error::unauthenticated("the access token has expired"));
        }
        Ok(claims)
    }

    /// Verifies signature, algorithm, issuer and audience; expiry is the caller's to check (a
    /// Keystone token may be read after it expired, with `allow_expired`).
    pub fn decode<C: DeserializeOwned>(
        &self,
        token: &str,
        now: DateTime<Utc>,
        audience: &str,
        what: &str,
    ) -> Result<C> {
        let refused = |why: &str| Error::unauthenticated(format!("the {what} {why}"));
        let header = jsonwebtoken::decode_header(token).map_err(|_| refused("is malformed"))?;
        if header.alg != Algorithm::EdDSA {
            return Err(refused("is not signed with EdDSA"));
        }
        let kid = header.kid.ok_or_else(|| refused("has no key id"))?;
        let (key, until) = self
            .verifiers
            .get(&kid)
            .ok_or_else(|| refused("is signed by an unknown key"))?;
        if until.is_some_and(|u| u <= now) {
            return Err(refused("is signed by a retired key"));
        }
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.validate_exp = false; // checked below against the injected clock
        validation.set_audience(&[audience]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<C>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|_| refused("has an invalid signature or claims"))
    }
}

/// Whether a presented bearer value looks like a JWS compact serialisation.
pub fn looks_like_jwt(value: &str) -> bool {
    latchkey_wire::opaque::looks_signed(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn claims(now: DateTime<Utc>, ttl: i64) -> AccessClaims {
        AccessClaims {
            iss: "http://issuer".into(),
            sub: "urn:v1:eu:identity:credential:lk0001-lk/oauth2-0f0f0f0f0f0f0f0f".into(),
            aud: AUDIENCE.into(),
            exp: now.timestamp() + ttl,
            iat: now.timestamp(),
            jti: "t1".into(),
            client_id: "0f0f0f0f0f0f0f0f".into(),
            scope: "all".into(),
        }
    }

    fn ring(keys: &[StoredKey], sealer: &KeySealer, now: DateTime<Utc>) -> KeyRing {
        KeyRing::new(keys, sealer, "http://issuer", now).unwrap()
    }

    #[test]
    fn a_verifier_reading_the_wire_claims_reads_what_an_access_token_carries() {
        let now = Utc::now();
        let written = serde_json::to_value(claims(now, 60)).unwrap();
        let read: latchkey_wire::claims::SignedClaims = serde_json::from_value(written).unwrap();
        assert!(!read.is_keystone());
        assert_eq!(read.sub, claims(now, 60).sub);
        assert_eq!(read.token_id(), Some("t1"));
        assert_eq!(read.issued_us(), now.timestamp() * 1_000_000);
        assert_eq!(read.keystone_project(), None);
    }

    #[test]
    fn signed_token_verifies_and_carries_its_kid() {
        let sealer = KeySealer::new(&HashKey::generate());
        let now = Utc::now();
        let primary = sealer.generate(KeyState::Primary, now).unwrap();
        let r = ring(std::slice::from_ref(&primary), &sealer, now);
        let token = r.sign(&claims(now, 60)).unwrap();
        assert!(looks_like_jwt(&token));
        assert_eq!(
            jsonwebtoken::decode_header(&token).unwrap().kid.as_deref(),
            Some(primary.kid.as_str())
        );
        assert_eq!(r.verify(&token, now).unwrap(), claims(now, 60));
        assert!(
            r.verify(&token, now + TimeDelta::seconds(61)).is_err(),
            "expired"
        );
    }

    #[test]
    fn tampered_unknown_key_and_alg_none_tokens_are_refused() {
        let sealer = KeySealer::new(&HashKey::generate());
        let now = Utc::now();
        let a = sealer.generate(KeyState::Primary, now).unwrap();
        let b = sealer.generate(KeyState::Primary, now).unwrap();
        let ring_a = ring(std::slice::from_ref(&a), &sealer, now);
        let ring_b = ring(std::slice::from_ref(&b), &sealer, now);
        let token = ring_a.sign(&claims(now, 60)).unwrap();
        assert!(ring_b.verify(&token, now).is_err(), "unknown kid");
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut forged = claims(now, 60);
        forged.sub = "urn:v1:eu:identity:user:lk0001-lk/admin".into();
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        assert!(
            ring_a.verify(&parts.join("."), now).is_err(),
            "tampered payload"
        );
        let none_header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","kid":"{}"}}"#, a.kid));
        let unsigned = format!("{none_header}.{}.", parts[1]);
        assert!(ring_a.verify(&unsigned, now).is_err(), "alg none");
    }

    #[test]
    fn retired_key_verifies_until_its_deadline_and_staged_key_is_published() {
        let sealer = KeySealer::new(&HashKey::generate());
        let now = Utc::now();
        let mut old = sealer.generate(KeyState::Primary, now).unwrap();
        let token = ring(std::slice::from_ref(&old), &sealer, now)
            .sign(&claims(now, 3600))
            .unwrap();
        old.state = KeyState::Retired;
        old.verify_until = Some(now + TimeDelta::hours(1));
        let new = sealer.generate(KeyState::Primary, now).unwrap();
        let staged = sealer.generate(KeyState::Staged, now).unwrap();
        let keys = [old.clone(), new.clone(), staged.clone()];
        let r = ring(&keys, &sealer, now);
        assert!(r.verify(&token, now + TimeDelta::minutes(30)).is_ok());
        let kids: Vec<_> = r.jwks()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(kids, [old.kid.clone(), new.kid.clone(), staged.kid.clone()]);
        let later = ring(&keys, &sealer, now + TimeDelta::hours(2));
        assert!(!later.knows(&old.kid), "dropped after verify_until");
        let fresh = r.sign(&claims(now, 60)).unwrap();
        assert_eq!(
            jsonwebtoken::decode_header(&fresh).unwrap().kid,
            Some(new.kid)
        );
    }

    #[test]
    fn a_key_sealed_under_another_hash_key_does_not_open() {
        let now = Utc::now();
        let key = KeySealer::new(&HashKey::generate())
            .generate(KeyState::Primary, now)
            .unwrap();
        assert!(KeyRing::new(&[key], &KeySealer::new(&HashKey::generate()), "i", now).is_err());
    }
}
