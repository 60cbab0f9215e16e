//! Typed calls, one module per API family, as methods of [`crate::Client`].

mod admin;
mod iam;
mod keystone;
mod oauth2;
mod ovh;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but unreserved characters is escaped in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// One path segment or query value, escaped (logins, token names and URNs may hold `/`, `:` or
/// spaces): what every call of the SDK puts in a URL; public (as `path_segment`) for code that
/// builds its own, such as the guard.
pub fn seg(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}
