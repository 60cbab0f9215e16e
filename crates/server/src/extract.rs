//! Extractors that speak the API's error format: the authenticated [`Caller`], JSON bodies
//! ([`Body`]) and path segments ([`PathParams`], [`name`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use latchkey_core::Error;
use latchkey_core::authz::Principal;
use latchkey_core::secret::Secret;
use latchkey_core::service::Directory;
use latchkey_core::service::auth::Presented;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ovh_error};

/// Largest accepted request body, in bytes (413 beyond).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The authenticated identity making the request.
#[derive(Debug)]
pub struct Caller(pub Principal);

impl<S> FromRequestParts<S> for Caller
where
    Arc<Directory>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let directory = Arc::<Directory>::from_ref(state);
        let client = client_address(&parts.extensions);
        let who = authenticate_headers(&directory, &parts.headers, client).await?;
        crate::middleware::refusals::remember(who.clone());
        Ok(Caller(who))
    }
}

/// The client's address: the one the request's [`latchkey_core::audit::Origin`] names (the
/// peer's, or the client a trusted proxy forwarded for), else the peer's.
pub fn client_address(extensions: &axum::http::Extensions) -> IpAddr {
    latchkey_core::audit::Origin::current_ip().unwrap_or_else(|| {
        extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
    })
}

/// The identity a request's headers authenticate: `Authorization` (Bearer, Basic), else
/// `X-Auth-Token`. Long-lived responses (the revocation stream) call it again to notice a
/// credential revoked while they run.
pub async fn authenticate_headers(
    directory: &Directory,
    headers: &HeaderMap,
    client: IpAddr,
) -> Result<Principal, ApiError> {
    let Some(header) = headers.get(AUTHORIZATION) else {
        // A Keystone token is a credential too (DESIGN: `X-Auth-Token`).
        if let Some(token) = headers
            .get(latchkey_wire::headers::X_AUTH_TOKEN)
            .and_then(|v| v.to_str().ok())
        {
            let token = directory.keystone_caller(token).await?;
            return Ok(token.principal());
        }
        return Err(Error::unauthenticated(
            "authentication required: send Authorization: Bearer <token> or X-Auth-Token",
        )
        .into());
    };
    let result = match parse_authorization(header) {
        Ok(Authorization::Bearer(token)) => {
            directory
                .authenticate(Presented::Bearer(&token), client)
                .await
        }
        Ok(Authorization::Basic { user, password }) => {
            directory
                .authenticate(
                    Presented::Basic {
                        user: &user,
                        password: &password,
                    },
                    client,
                )
                .await
        }
        Ok(Authorization::Unsupported) => Err(Error::unauthenticated(
            "unsupported Authorization scheme; use Bearer or Basic",
        )),
        Err(BadAuthorization::NotAscii) => Err(Error::unauthenticated(
            "the Authorization header is not valid ASCII",
        )),
        Err(BadAuthorization::MalformedBasic) => {
            Err(Error::unauthenticated("malformed Basic credentials"))
        }
    };
    result.map_err(|e| {
        if let Error::Unauthenticated(reason) = &e {
            tracing::info!(client = %client, reason = %reason, "authentication refused");
        }
        e.into()
    })
}

/// An `Authorization` header, parsed: what the API and the OAuth2 endpoints both read.
#[derive(Debug)]
pub(crate) enum Authorization {
    Bearer(Secret),
    /// Decoded, but not form-decoded (RFC 6749 §2.3.1 clients do that themselves).
    Basic {
        user: String,
        password: Secret,
    },
    Unsupported,
}

/// Why an `Authorization` header could not be read.
#[derive(Debug)]
pub(crate) enum BadAuthorization {
    NotAscii,
    MalformedBasic,
}

/// [`latchkey_wire::headers::authorization`], with the secrets it read kept as [`Secret`]s.
pub(crate) fn parse_authorization(header: &HeaderValue) -> Result<Authorization, BadAuthorization> {
    use latchkey_wire::headers::{self, Authorization as Read};
    let header = header.to_str().map_err(|_| BadAuthorization::NotAscii)?;
    match headers::authorization(header) {
        Ok(Read::Bearer(token)) => Ok(Authorization::Bearer(Secret::new(token))),
        Ok(Read::Basic { user, password }) => Ok(Authorization::Basic {
            user,
            password: Secret::new(password),
        }),
        Ok(Read::Other) => Ok(Authorization::Unsupported),
        Err(headers::MalformedBasic) => Err(BadAuthorization::MalformedBasic),
    }
}

fn too_large() -> Response {
    ovh_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "Client::PayloadTooLarge",
        &format!("request body is larger than {MAX_BODY_BYTES} bytes"),
    )
}

/// A JSON request body, parsed whatever the Content-Type; errors are 400 (413 when too large)
/// in the API's format, naming the offending field.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S, T> FromRequest<S> for Body<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        // Refuse an announced oversize body at once, without reading any of it.
        let announced = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if announced.is_some_and(|n| n > MAX_BODY_BYTES) {
            return Err(too_large());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::bad_request(format!("cannot read the request body: {rejection}"))
                    .into_response()
            }
        })?;
        parse_json(&bytes)
            .map(Body)
            .map_err(|m| ApiError::bad_request(m).into_response())
    }
}

/// Parses a JSON document, naming the field at fault (`expiresIn: invalid type …`).
fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        match e.path().to_string().as_str() {
            "." | "" => format!("invalid request body: {}", e.inner()),
            path => format!("invalid request body: {path}: {}", e.inner()),
        }
    })?;
    de.end().map_err(|e| format!("invalid request body: {e}"))?;
    Ok(value)
}

/// Parses a path segment into a validated name, refusing it with a 400 that says why.
pub fn name<T>(
    raw: &str,
    parse: impl FnOnce(&str) -> latchkey_core::Result<T>,
) -> Result<T, ApiError> {
    parse(raw).map_err(ApiError::from)
}

/// Path parameters that are not valid UTF-8 or do not match the route become a 400.
#[derive(Debug)]
pub struct PathParams<T>(pub T);

impl<S, T> FromRequestParts<S> for PathParams<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| PathParams(p.0))
            .map_err(|e| ApiError::bad_request(format!("invalid path: {}", e.body_text())))
    }
}
