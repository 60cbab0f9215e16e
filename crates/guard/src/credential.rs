//! Finding the credential in a request: `Authorization: Bearer`, the `pat_jwt_` Basic form, or
//! `X-Auth-Token`; and refusing garbage before any work.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use latchkey_wire::headers::{self, Authorization, PAT_BASIC_PREFIX, X_AUTH_TOKEN};
use latchkey_wire::opaque;

/// What kind of value was presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A signed token (JWS): an OAuth2 access token or a Keystone token.
    Signed,
    /// An opaque personal access token (`lkpat_…`).
    Pat,
}

/// How the value came, so calls made on the caller's behalf present it the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    /// `Authorization: Bearer` or the `pat_jwt_` Basic form.
    Authorization,
    /// `X-Auth-Token`.
    XAuthToken,
}

/// Why a request carries no usable credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Missing {
    #[error("no credential: send Authorization: Bearer, the pat_jwt_ Basic form or X-Auth-Token")]
    None,
    #[error("the Authorization header is malformed")]
    Malformed,
    #[error("the credential is not a Latchkey token")]
    Unknown,
}

/// The presented value, its form and its carrier.
pub fn presented(headers: &HeaderMap) -> Result<(String, Form, Carrier), Missing> {
    let (value, carrier) = if let Some(auth) = headers.get(AUTHORIZATION) {
        let auth = auth.to_str().map_err(|_| Missing::Malformed)?;
        let value = match headers::authorization(auth) {
            Ok(Authorization::Bearer(token)) => token.to_owned(),
            Ok(Authorization::Basic { user, password }) if user.starts_with(PAT_BASIC_PREFIX) => {
                password
            }
            Ok(Authorization::Basic { .. }) => return Err(Missing::Unknown),
            Ok(Authorization::Other) | Err(_) => return Err(Missing::Malformed),
        };
        (value, Carrier::Authorization)
    } else if let Some(token) = headers.get(X_AUTH_TOKEN) {
        let token = token.to_str().map_err(|_| Missing::Malformed)?;
        (token.trim().to_owned(), Carrier::XAuthToken)
    } else {
        return Err(Missing::None);
    };
    let form = form_of(&value).ok_or(Missing::Unknown)?;
    Ok((value, form, carrier))
}

/// A signed token (three base64url parts, a JSON header) or a well-formed PAT (prefix, length,
/// alphabet and CRC32 checksum); anything else is not ours.
pub fn form_of(value: &str) -> Option<Form> {
    if opaque::looks_signed(value) {
        return Some(Form::Signed);
    }
    opaque::check(opaque::Kind::Pat, value)
        .ok()
        .map(|()| Form::Pat)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn pat() -> String {
        opaque::compose(opaque::Kind::Pat, &"a1B2c3D4e5".repeat(3))
    }

    #[test]
    fn bearer_basic_and_x_auth_token_are_read() {
        let p = pat();
        let (v, f, c) = presented(&headers(&[("authorization", &format!("Bearer {p}"))])).unwrap();
        assert_eq!(
            (v.as_str(), f, c),
            (p.as_str(), Form::Pat, Carrier::Authorization)
        );
        let basic = STANDARD.encode(format!("pat_jwt_ci:{p}"));
        let (v, _, _) =
            presented(&headers(&[("authorization", &format!("Basic {basic}"))])).unwrap();
        assert_eq!(v, p);
        let jws = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln";
        let (_, f, c) = presented(&headers(&[("x-auth-token", jws)])).unwrap();
        assert_eq!((f, c), (Form::Signed, Carrier::XAuthToken));
    }

    #[test]
    fn garbage_is_refused_before_any_lookup() {
        assert_eq!(presented(&HeaderMap::new()), Err(Missing::None));
        let other_basic = STANDARD.encode("alice:secret");
        assert_eq!(
            presented(&headers(&[(
                "authorization",
                &format!("Basic {other_basic}")
            )])),
            Err(Missing::Unknown)
        );
        assert_eq!(
            presented(&headers(&[("authorization", "Digest x")])),
            Err(Missing::Malformed)
        );
        let mut bad = pat();
        bad.replace_range(10..11, if &bad[10..11] == "x" { "y" } else { "x" });
        assert_eq!(form_of(&bad), None, "checksum mismatch");
        assert_eq!(form_of("lkpat_short"), None);
        assert_eq!(form_of("hello"), None);
        assert_eq!(form_of(&pat()), Some(Form::Pat));
    }
}
