//! Where credentials travel.

/// The header carrying a Keystone token (the caller's).
pub const X_AUTH_TOKEN: &str = "x-auth-token";
/// The header carrying the Keystone token being issued or inspected.
pub const X_SUBJECT_TOKEN: &str = "x-subject-token";
/// The user-name prefix of the Basic form of a token: `pat_jwt_<any ASCII>` with the token as
/// the password, for back ends that only speak Basic authentication.
pub const PAT_BASIC_PREFIX: &str = "pat_jwt_";
