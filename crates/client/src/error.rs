//! The SDK's one error type.

use reqwest::StatusCode;

/// What went wrong. API errors keep the server's status, its error class or code
/// (`Client::NotFound`, `invalid_client`, Keystone's numeric code) and its message.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error.
    #[error("{status}: {message} ({class})")]
    Api {
        status: StatusCode,
        /// The OVH error class, the OAuth2 error code or Keystone's error title.
        class: String,
        message: String,
        /// Seconds to wait before retrying, when the server said (429).
        retry_after: Option<u64>,
    },
    /// The request did not reach the server or its answer could not be read.
    #[error("cannot reach the server: {0}")]
    Transport(#[from] reqwest::Error),
    /// The server's answer is not what its API promises.
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    /// The SDK was given no usable credentials or settings.
    #[error("{0}")]
    Config(String),
}

impl Error {
    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Reads an error answer in any of the server's three formats.
    pub(crate) fn from_answer(status: StatusCode, retry_after: Option<u64>, body: &str) -> Self {
        let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        let (class, message) = if let Some(class) = text(&json["class"]) {
            (class, text(&json["message"]))
        } else if json["error"].is_object() {
            let e = &json["error"];
            (
                text(&e["title"]).unwrap_or_else(|| e["code"].to_string()),
                text(&e["message"]),
            )
        } else if let Some(code) = text(&json["error"]) {
            (code, text(&json["error_description"]))
        } else {
            (
                status.canonical_reason().unwrap_or("error").to_owned(),
                None,
            )
        };
        let message = message.unwrap_or_else(|| {
            let trimmed = body.trim();
            if trimmed.is_empty() {
                status.to_string()
            } else {
                trimmed.chars().take(200).collect()
            }
        });
        Error::Api {
            status,
            class,
            message,
            retry_after,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
