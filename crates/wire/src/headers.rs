//! Where credentials travel.

/// The header carrying a Keystone token (the caller's).
pub const X_AUTH_TOKEN: &str = "x-auth-token";
/// The header carrying the Keystone token being issued or inspected.
pub const X_SUBJECT_TOKEN: &str = "x-subject-token";
/// The address of the caller a guard asks an authorisation check for (conditions on
/// `request.IP` read it), believed only beside [`X_LATCHKEY_RELAY`].
pub const X_LATCHKEY_CALLER_ADDRESS: &str = "x-latchkey-caller-address";
/// The guard's own access token, proving it may speak for its callers
/// (`latchkey:iam/authorization/relay` in the operator's account).
pub const X_LATCHKEY_RELAY: &str = "x-latchkey-relay";
/// The user-name prefix of the Basic form of a token: `pat_jwt_<any ASCII>` with the token as
/// the password, for back ends that only speak Basic authentication.
pub const PAT_BASIC_PREFIX: &str = "pat_jwt_";

/// An `Authorization` header's value, read (RFC 9110 §11.6.2): a case-insensitive scheme, one
/// space, the credentials (surrounding blanks ignored). Basic (RFC 7617) is the base64 of
/// `user:password` in UTF-8.
#[derive(Debug, PartialEq, Eq)]
pub enum Authorization<'a> {
    Bearer(&'a str),
    /// Decoded, but not form-decoded (RFC 6749 §2.3.1 clients do that themselves).
    Basic {
        user: String,
        password: String,
    },
    /// Any other scheme, or none.
    Other,
}

/// A Basic header whose credentials are not base64 of UTF-8 `user:password`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedBasic;

/// Reads an `Authorization` header's value: what the server, its OAuth2 endpoints and the
/// guard all read, the one parser of untrusted header bytes.
pub fn authorization(header: &str) -> Result<Authorization<'_>, MalformedBasic> {
    use base64::Engine;
    let (scheme, value) = header.split_once(' ').unwrap_or((header, ""));
    let value = value.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Ok(Authorization::Bearer(value));
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(Authorization::Other);
    }
    let text = base64::engine::general_purpose::STANDARD
        .decode(value)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(MalformedBasic)?;
    let (user, password) = text.split_once(':').ok_or(MalformedBasic)?;
    Ok(Authorization::Basic {
        user: user.to_owned(),
        password: password.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bearer_and_basic_are_read_whatever_the_schemes_case() {
        assert_eq!(
            authorization("Bearer abc"),
            Ok(Authorization::Bearer("abc"))
        );
        assert_eq!(
            authorization("bEARER  abc "),
            Ok(Authorization::Bearer("abc"))
        );
        // "alice:pa:ss" — the password may hold a colon, the user may not.
        assert_eq!(
            authorization("basic YWxpY2U6cGE6c3M="),
            Ok(Authorization::Basic {
                user: "alice".into(),
                password: "pa:ss".into()
            })
        );
        assert_eq!(authorization("Digest x"), Ok(Authorization::Other));
        assert_eq!(authorization(""), Ok(Authorization::Other));
    }

    #[test]
    fn basic_that_is_not_base64_of_user_colon_password_is_malformed() {
        // not base64; base64 of "alice" (no colon); base64 of invalid UTF-8
        for bad in ["Basic !!!", "Basic YWxpY2U=", "Basic //79"] {
            assert_eq!(authorization(bad), Err(MalformedBasic), "{bad}");
        }
    }
}
