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

/// One path segment, escaped (logins, token names and URNs may hold `/`, `:` or spaces).
pub(crate) fn seg(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// A query-string value, escaped.
pub(crate) fn q(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}
