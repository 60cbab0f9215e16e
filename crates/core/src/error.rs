//! The domain error: what went wrong, in the model's words. Each protocol renders it in its own
//! wire format, in exactly one place.

use std::time::Duration;

/// Result alias used across the model, the store and the services.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, independent of any protocol.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is malformed or breaks a rule; the message says which.
    #[error("{0}")]
    Invalid(String),
    /// The named thing does not exist (or is not visible to the caller).
    #[error("{0}")]
    NotFound(String),
    /// The change conflicts with stored state (duplicate name, object still in use).
    #[error("{0}")]
    Conflict(String),
    /// No valid credential was presented.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller is authenticated but not allowed; carries the refused IAM actions.
    #[error("User not granted for this request")]
    Forbidden { actions: Vec<String> },
    /// Too many attempts; retry after the given delay.
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after: Duration,
    },
    /// The store cannot be reached now (or is overloaded); nothing was changed. Retry after
    /// the given delay.
    #[error("{UNAVAILABLE_MESSAGE}")]
    Unavailable { retry_after: Duration },
    /// Anything the caller cannot fix. The cause is logged, never shown.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::Invalid(msg.into())
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::NotFound(msg.into())
    }
    pub fn conflict(msg: impl Into<String>) -> Self {
        Self::Conflict(msg.into())
    }
    /// Refused, naming the one IAM action the caller lacks.
    pub fn forbidden(action: &str) -> Self {
        Self::Forbidden {
            actions: vec![action.to_owned()],
        }
    }
    pub fn unauthenticated(msg: impl Into<String>) -> Self {
        Self::Unauthenticated(msg.into())
    }
    pub fn internal(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(err.into())
    }
    /// The store is unreachable: the caller should retry after [`UNAVAILABLE_RETRY`].
    pub fn unavailable() -> Self {
        Self::Unavailable {
            retry_after: UNAVAILABLE_RETRY,
        }
    }
}

/// What an answer says while the store is unreachable (each API in its own format).
pub const UNAVAILABLE_MESSAGE: &str = "the service is temporarily unavailable; retry later";

/// What an answer tells a caller to wait while the store is unreachable.
pub const UNAVAILABLE_RETRY: Duration = Duration::from_secs(5);
