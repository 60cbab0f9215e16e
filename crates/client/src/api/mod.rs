//! Typed calls, one module per API family, as methods of [`crate::Client`].

mod admin;
mod audit;
mod iam;
mod keystone;
mod oauth2;
mod ovh;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde::de::DeserializeOwned;

pub use audit::AuditStream;

use crate::answer::check;
use crate::client::Client;
use crate::error::{Error, Result};

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

/// The largest page the server gives (`X-Pagination-Size`).
const MAX_PAGE: usize = 1000;

impl Client {
    /// `GET path` page after page (`X-Pagination-Cursor` / `X-Pagination-Cursor-Next`), until the
    /// last or until `limit` items.
    pub(crate) async fn pages<T: DeserializeOwned>(
        &self,
        path: &str,
        limit: Option<usize>,
    ) -> Result<Vec<T>> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let want = limit.map(|l| l.saturating_sub(all.len()).clamp(1, MAX_PAGE));
            let size = want.map(|n| n.to_string());
            let mut headers: Vec<(&str, &str)> = Vec::new();
            if let Some(c) = cursor.as_deref() {
                headers.push(("X-Pagination-Cursor", c));
            }
            if let Some(n) = size.as_deref() {
                headers.push(("X-Pagination-Size", n));
            }
            let res = self
                .send_with_headers(Method::GET, path, None, &headers)
                .await?;
            let res = check(res).await?;
            let next = res
                .headers()
                .get("x-pagination-cursor-next")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let page: Vec<T> = res
                .json()
                .await
                .map_err(|e| Error::Protocol(e.to_string()))?;
            all.extend(page);
            if let Some(limit) = limit
                && all.len() >= limit
            {
                all.truncate(limit);
                return Ok(all);
            }
            match next {
                Some(n) => cursor = Some(n),
                None => return Ok(all),
            }
        }
    }
}

/// `path` with `query` (already escaped pairs) appended.
fn with_query(path: &str, query: &[String]) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}
