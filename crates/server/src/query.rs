//! Query strings with repeated keys (`identity[]=a&identity[]=b`), and the cursor pagination of
//! /v2 listings (`X-Pagination-Cursor` and `X-Pagination-Size` in, `X-Pagination-Cursor-Next`
//! out).

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ApiError;

/// The pairs of a query string, percent-decoded; `key[]` is read as `key`.
#[derive(Debug, Default)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .map(|(k, v)| {
                let key = k.strip_suffix("[]").unwrap_or(&k).to_owned();
                (key, v.into_owned())
            })
            .collect();
        Self(pairs)
    }

    /// Every value given for `key`.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The last value given for `key`, if any.
    pub fn last(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every pair, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// Refuses keys the route does not know, so a misspelt filter is not silently ignored.
    pub fn only(&self, known: &[&str]) -> Result<(), ApiError> {
        match self.0.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            Some((k, _)) => Err(ApiError::bad_request(format!(
                "unknown query parameter {k:?}; expected one of {}",
                known.join(", ")
            ))),
            None => Ok(()),
        }
    }

    /// The one boolean value of `key`, if given.
    pub fn flag(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.all(key).as_slice() {
            [] => Ok(None),
            [v] if v == "true" => Ok(Some(true)),
            [v] if v == "false" => Ok(Some(false)),
            _ => Err(ApiError::bad_request(format!(
                "{key} takes one value, true or false"
            ))),
        }
    }
}

/// One page of a listing: where it starts and how long it is.
#[derive(Debug)]
pub struct Page {
    /// The position (an opaque key) after which the page starts.
    pub after: Option<String>,
    pub size: usize,
}

pub const DEFAULT_PAGE_SIZE: usize = 100;
pub const MAX_PAGE_SIZE: usize = 1000;
pub const CURSOR: &str = "X-Pagination-Cursor";
pub const SIZE: &str = "X-Pagination-Size";
pub const NEXT: &str = "X-Pagination-Cursor-Next";

impl Page {
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, ApiError> {
        let text = |name: &str| -> Result<Option<&str>, ApiError> {
            headers
                .get(name)
                .map(|v| {
                    v.to_str()
                        .map_err(|_| ApiError::bad_request(format!("{name} is not ASCII")))
                })
                .transpose()
        };
        let size = match text(SIZE)? {
            None => DEFAULT_PAGE_SIZE,
            Some(s) => s
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "{SIZE} must be a number from 1 to {MAX_PAGE_SIZE}"
                    ))
                })?,
        };
        let after = match text(CURSOR)? {
            None | Some("") => None,
            Some(c) => Some(decode_cursor(c).ok_or_else(|| {
                ApiError::bad_request(format!("{CURSOR} is not a cursor this server gave"))
            })?),
        };
        Ok(Self { after, size })
    }
}

impl Page {
    /// The page of `items` (sorted by `key`, ascending and unique): its range, and the cursor of
    /// the next page while more remain.
    pub fn of<T>(
        &self,
        items: &[T],
        key: impl Fn(&T) -> String,
    ) -> (std::ops::Range<usize>, Option<String>) {
        let start = self.after.as_deref().map_or(0, |after| {
            items.partition_point(|item| key(item).as_str() <= after)
        });
        let end = (start + self.size).min(items.len());
        let next = (end < items.len()).then(|| encode_cursor(&key(&items[end - 1])));
        (start..end, next)
    }
}

/// A JSON answer with `X-Pagination-Cursor-Next` when `next` names one.
pub fn paged<T: serde::Serialize>(body: T, next: Option<String>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut response = axum::Json(body).into_response();
    if let Some(next) = next.and_then(|n| axum::http::HeaderValue::from_str(&n).ok()) {
        response.headers_mut().insert(NEXT, next);
    }
    response
}

pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

fn decode_cursor(cursor: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_bracketed_keys_are_collected() {
        let q = Query::parse(Some("identity[]=a%3Ab&identity=c&readOnly=true"));
        assert_eq!(q.all("identity"), vec!["a:b", "c"]);
        assert_eq!(q.flag("readOnly").unwrap(), Some(true));
        assert!(q.only(&["identity", "readOnly"]).is_ok());
        assert!(q.only(&["identity"]).is_err());
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(
            decode_cursor(&encode_cursor("42/abc")).as_deref(),
            Some("42/abc")
        );
        assert_eq!(decode_cursor("%%%"), None);
    }
}
