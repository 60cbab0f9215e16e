//! The one table that turns a domain [`Error`] into the OVH API's error body:
//! `{"class":"Client::NotFound","message":"…"}`. A 5xx logs the whole cause chain and returns
//! only the request id.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use latchkey_core::Error;
use serde_json::json;

use crate::middleware::request_id;

/// An error on its way to becoming an HTTP response.
#[derive(Debug)]
pub struct ApiError(pub Error);

/// Handler result.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        Self(e)
    }
}

impl ApiError {
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self(Error::Invalid(msg.into()))
    }
}

/// The challenge sent with every 401.
pub const CHALLENGE: &str = "Bearer realm=\"latchkey\", Basic realm=\"latchkey\"";

/// A response in the OVH error format with an arbitrary status (413, 405, …).
pub fn ovh_error(status: StatusCode, class: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "class": class, "message": message })),
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.0 {
            Error::Invalid(m) => ovh_error(StatusCode::BAD_REQUEST, "Client::BadRequest", &m),
            Error::NotFound(m) => ovh_error(StatusCode::NOT_FOUND, "Client::NotFound", &m),
            Error::Conflict(m) => ovh_error(StatusCode::CONFLICT, "Client::Conflict", &m),
            Error::Unauthenticated(m) => {
                let mut res = ovh_error(StatusCode::UNAUTHORIZED, "Client::Unauthorized", &m);
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(CHALLENGE),
                );
                res
            }
            Error::Forbidden { actions } => {
                let unauthorized = actions.join(",");
                let refused = crate::middleware::refusals::Refused {
                    actions,
                    reason: None,
                };
                let mut res = (
                    StatusCode::FORBIDDEN,
                    axum::Json(json!({
                        "class": "Client::Forbidden",
                        "message": "User not granted for this request",
                        // What the OVHcloud SDKs read to raise their "not granted" error.
                        "errorCode": "NOT_GRANTED_CALL",
                        "details": {
                            "unauthorizedActionsByAuthentication": "",
                            "unauthorizedActionsByIAM": unauthorized,
                        },
                    })),
                )
                    .into_response();
                res.extensions_mut().insert(refused);
                res
            }
            Error::RateLimited {
                message,
                retry_after,
            } => {
                let mut res = ovh_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Client::TooManyRequests",
                    &message,
                );
                retry_in(&mut res, retry_after);
                res
            }
            Error::Unavailable { retry_after } => {
                let mut res = ovh_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Server::ServiceUnavailable",
                    latchkey_core::error::UNAVAILABLE_MESSAGE,
                );
                retry_in(&mut res, retry_after);
                res
            }
            Error::Internal(cause) => {
                log_internal(cause.as_ref());
                internal_error_response()
            }
        }
    }
}

/// Sets `Retry-After` in whole seconds, at least one.
pub fn retry_in(res: &mut Response, wait: std::time::Duration) {
    if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

/// Logs an internal error with its whole cause chain (never shown to the client).
pub fn log_internal(cause: &(dyn std::error::Error + 'static)) {
    let mut chain = cause.to_string();
    let mut source = cause.source();
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    tracing::error!(error = %chain, "internal error");
}

/// The body of every 500: the request id, nothing else.
pub fn internal_error_response() -> Response {
    let id = request_id::current().unwrap_or_default();
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        axum::Json(json!({
            "class": "Server::InternalServerError",
            "message": format!("Internal server error (request id {id})"),
            "requestId": id,
        })),
    )
        .into_response()
}
