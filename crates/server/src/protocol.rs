//! Which of the server's APIs a path belongs to, and an error in that API's own format: the
//! OVH body (`{"class", "message"}`) on /1.0, /v1 and /v2, Keystone's (`{"error": {"code",
//! "title", "message"}}`) on /v3, RFC 6749's (`{"error", "error_description"}`) on the OAuth2
//! endpoints. For answers made before a handler runs or around it: a timeout, an unreadable
//! body, an unreachable store.

use std::time::Duration;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An API family of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Ovh,
    Keystone,
    OAuth2,
    /// The web console's pages (HTML).
    Console,
}

impl Api {
    /// The API a request path belongs to.
    pub fn of(path: &str) -> Self {
        if path == "/v3" || path.starts_with("/v3/") {
            Self::Keystone
        } else if path == "/console" || path.starts_with(crate::console::ROOT) {
            Self::Console
        } else if path.starts_with("/auth/oauth2/") {
            Self::OAuth2
        } else {
            Self::Ovh
        }
    }

    /// An error answer in this API's format; `retry_after` becomes `Retry-After`.
    pub fn error(
        self,
        status: StatusCode,
        message: &str,
        retry_after: Option<Duration>,
    ) -> Response {
        let mut res = match self {
            Self::Ovh => crate::error::ovh_error(status, ovh_class(status), message),
            Self::Keystone => crate::keystone::KsError::new(status, message).into_response(),
            Self::OAuth2 => crate::oauth2::oauth_error(status, oauth2_code(status), message),
            Self::Console => crate::console::error_page(status, message),
        };
        if let Some(wait) = retry_after {
            crate::error::retry_in(&mut res, wait);
        }
        res
    }
}

/// The OVH error class of a status.
fn ovh_class(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "Client::BadRequest",
        StatusCode::UNAUTHORIZED => "Client::Unauthorized",
        StatusCode::FORBIDDEN => "Client::Forbidden",
        StatusCode::NOT_FOUND => "Client::NotFound",
        StatusCode::METHOD_NOT_ALLOWED => "Client::MethodNotAllowed",
        StatusCode::REQUEST_TIMEOUT => "Client::RequestTimeout",
        StatusCode::CONFLICT => "Client::Conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "Client::PayloadTooLarge",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Client::UnsupportedMediaType",
        StatusCode::UNPROCESSABLE_ENTITY => "Client::BadRequest",
        StatusCode::TOO_MANY_REQUESTS => "Client::TooManyRequests",
        StatusCode::SERVICE_UNAVAILABLE => "Server::ServiceUnavailable",
        s if s.is_client_error() => "Client::BadRequest",
        _ => "Server::InternalServerError",
    }
}

/// The RFC 6749 error code of a status (`temporarily_unavailable` is §4.1.2.1's).
fn oauth2_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "invalid_client",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        StatusCode::SERVICE_UNAVAILABLE => "temporarily_unavailable",
        s if s.is_client_error() => "invalid_request",
        _ => "server_error",
    }
}

/// Whether an error answer came from a layer or an extractor (plain text or nothing) rather
/// than in an API's JSON format.
pub fn is_unformatted(res: &Response) -> bool {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return false;
    }
    match res.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(v) => v.as_bytes().starts_with(b"text/plain"),
    }
}

/// The longest message of an unformatted answer carried into the formatted one.
const MESSAGE_BYTES: usize = 1024;

/// Re-renders an unformatted error answer in the format of the API of `path`, keeping its
/// status, its text as the message (or the status's reason) and its `Retry-After`.
pub async fn reformat(path: &str, res: Response) -> Response {
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, MESSAGE_BYTES * 4)
        .await
        .ok()
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .filter(|t| !t.is_empty());
    let message = match text {
        Some(mut t) => {
            if t.len() > MESSAGE_BYTES {
                let mut end = MESSAGE_BYTES;
                while !t.is_char_boundary(end) {
                    end -= 1;
                }
                t.truncate(end);
            }
            t
        }
        None => match parts.status {
            StatusCode::REQUEST_TIMEOUT => "the request was not received in time".to_owned(),
            s => s.canonical_reason().unwrap_or("error").to_owned(),
        },
    };
    let mut out = Api::of(path).error(parts.status, &message, None);
    for name in [header::RETRY_AFTER, header::WWW_AUTHENTICATE, header::ALLOW] {
        if let Some(v) = parts.headers.get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}
