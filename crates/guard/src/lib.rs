//! The Latchkey guard: put it in front of a product back end's routes and every request is
//! authenticated before a handler runs.
//!
//! - Accepts `Authorization: Bearer <token>`, the Basic form with user `pat_jwt_<anything>` and
//!   the token as password, and `X-Auth-Token`.
//! - Signed tokens (OAuth2 access tokens, Keystone tokens) are verified offline with the
//!   server's JWKS (fetched again when a token names an unknown key); the verification is
//!   cached, so a known token costs a hash and a few map lookups.
//! - Opaque PATs are introspected once and cached.
//! - The guard follows the server's revocation feed (a server-sent-event stream, with polling
//!   to catch up), so a deleted PAT, a revoked token, or a disabled or deleted identity is
//!   refused within about a second. While the feed is unreachable the guard trusts no cache
//!   and asks the server on every request.
//! - Handlers get a [`Caller`] (axum extractor): the [`Identity`], and [`Caller::allowed`] to ask
//!   IAM whether the caller may perform an action on a resource.
//!
//! ```no_run
//! # async fn demo() -> Result<(), latchkey_guard::GuardError> {
//! use axum::{Router, routing::get};
//! use latchkey_client::{Credentials, Secret};
//! use latchkey_guard::{Caller, Guard, GuardLayer};
//!
//! let guard = Guard::builder(
//!     "http://127.0.0.1:5080",
//!     Credentials::ClientCredentials { client_id: "EU.…".into(), client_secret: Secret::new("lksec_…") },
//! )
//! .build()
//! .await?;
//! let app: Router = Router::new()
//!     .route("/hello", get(|caller: Caller| async move { caller.identity.urn.clone() }))
//!     .layer(GuardLayer::new(guard));
//! # Ok(()) }
//! ```

mod caller;
mod credential;
mod feed;
mod guard;
mod identity;
mod keys;
mod layer;
mod state;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub use caller::Caller;
pub use credential::{Carrier, Form, Missing};
pub use guard::{Guard, GuardBuilder};
pub use identity::{Identity, TokenKind};
pub use layer::{GuardLayer, GuardService};

/// Why the guard refused a request, or could not decide.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// No usable credential in the request.
    #[error(transparent)]
    Missing(#[from] Missing),
    /// The credential is invalid, expired or revoked.
    #[error("{0}")]
    Refused(String),
    /// The server could not be asked, or answered unexpectedly.
    #[error("the identity server: {0}")]
    Server(String),
    #[error(transparent)]
    Client(#[from] latchkey_client::Error),
}

impl IntoResponse for GuardError {
    /// 401 with `WWW-Authenticate` for a missing or refused credential; 503 when the identity
    /// server cannot be asked. The body is the API's `{"class","message"}`.
    fn into_response(self) -> Response {
        let (status, class) = match &self {
            GuardError::Missing(_) | GuardError::Refused(_) => {
                (StatusCode::UNAUTHORIZED, "Client::Unauthorized")
            }
            GuardError::Server(_) | GuardError::Client(_) => {
                tracing::error!(error = %self, "the guard could not reach the identity server");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Server::ServiceUnavailable",
                )
            }
        };
        let message = if status == StatusCode::UNAUTHORIZED {
            self.to_string()
        } else {
            "the identity server cannot be reached".to_owned()
        };
        let body = serde_json::json!({ "class": class, "message": message });
        let mut res = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"latchkey\""),
            );
        }
        res
    }
}
