//! The OAuth2 authorisation server: `POST /auth/oauth2/token` (client credentials, RFC 6749
//! §4.4), the JWKS of the signing keys, and the RFC 8414 metadata. Errors are RFC 6749 §5.2
//! bodies (`{"error","error_description"}`), not the OVH format.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, PRAGMA, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use latchkey_core::secret::Secret;
use latchkey_core::service::oauth2::{DEFAULT_SCOPE, OAuthError};
use serde_json::json;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/oauth2/token", post(token))
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .route(
            "/auth/oauth2/.well-known/oauth-authorization-server",
            get(metadata),
        )
        .route("/.well-known/jwks.json", get(jwks))
        .route("/auth/oauth2/.well-known/jwks.json", get(jwks))
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({ "error": error, "error_description": description });
    let mut res = (status, Json(body)).into_response();
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn render(e: OAuthError) -> Response {
    match e {
        OAuthError::InvalidRequest(m) => {
            oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &m)
        }
        OAuthError::InvalidClient(m) => {
            let mut res = oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", &m);
            res.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"latchkey\""),
            );
            res
        }
        OAuthError::UnauthorizedClient(m) => {
            oauth_error(StatusCode::BAD_REQUEST, "unauthorized_client", &m)
        }
        OAuthError::UnsupportedGrantType(m) => {
            oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", &m)
        }
        OAuthError::InvalidScope(m) => oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", &m),
        OAuthError::Server(e) => crate::error::ApiError(e).into_response(),
    }
}

/// Decodes one `application/x-www-form-urlencoded` component (RFC 6749 §2.3.1 for Basic).
fn form_decode(s: &str) -> Option<String> {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// The client's credentials: HTTP Basic, or `client_id` / `client_secret` in the body.
fn client_credentials(
    headers: &HeaderMap,
    body_id: Option<String>,
    body_secret: Option<String>,
) -> Result<(String, Secret), OAuthError> {
    let basic = match headers.get(AUTHORIZATION) {
        None => None,
        Some(value) => {
            let malformed =
                || OAuthError::InvalidClient("malformed Basic client credentials".into());
            let value = value.to_str().map_err(|_| malformed())?;
            let (scheme, encoded) = value.split_once(' ').ok_or_else(malformed)?;
            if !scheme.eq_ignore_ascii_case("basic") {
                return Err(OAuthError::InvalidClient(
                    "authenticate the client with HTTP Basic or client_id and client_secret".into(),
                ));
            }
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(malformed)?;
            let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
            Some((
                form_decode(id).ok_or_else(malformed)?,
                form_decode(secret).ok_or_else(malformed)?,
            ))
        }
    };
    match (basic, body_id, body_secret) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(OAuthError::InvalidRequest(
            "use one client authentication method, not both Basic and body parameters".into(),
        )),
        (Some((id, secret)), None, None) => Ok((id, Secret::new(secret))),
        (None, Some(id), Some(secret)) => Ok((id, Secret::new(secret))),
        (None, _, _) => Err(OAuthError::InvalidClient(
            "client authentication required: HTTP Basic, or client_id and client_secret".into(),
        )),
    }
}

/// `POST /auth/oauth2/token` — `grant_type=client_credentials`.
async fn token(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let params: Vec<(String, String)> = match serde_urlencoded::from_bytes(&body) {
        Ok(p) => p,
        Err(_) => {
            return render(OAuthError::InvalidRequest(
                "the body must be application/x-www-form-urlencoded".into(),
            ));
        }
    };
    let mut grant_type = None;
    let mut scope = None;
    let mut client_id = None;
    let mut client_secret = None;
    for (key, value) in params {
        let slot = match key.as_str() {
            "grant_type" => &mut grant_type,
            "scope" => &mut scope,
            "client_id" => &mut client_id,
            "client_secret" => &mut client_secret,
            _ => continue, // RFC 6749 §3.2: unknown parameters are ignored
        };
        if slot.replace(value).is_some() {
            return render(OAuthError::InvalidRequest(format!(
                "parameter {key} is repeated"
            )));
        }
    }
    let result = async {
        let grant_type = grant_type
            .ok_or_else(|| OAuthError::InvalidRequest("grant_type is required".into()))?;
        let (id, secret) = client_credentials(&headers, client_id, client_secret)?;
        if grant_type != "client_credentials" {
            return Err(OAuthError::UnsupportedGrantType(format!(
                "grant_type {grant_type:?} is not supported; use client_credentials"
            )));
        }
        app.directory
            .client_credentials_grant(&id, &secret, scope.as_deref())
            .await
    }
    .await;
    match result {
        Ok(issued) => {
            let body = json!({
                "access_token": issued.access_token.expose(),
                "token_type": "Bearer",
                "expires_in": issued.expires_in,
                "scope": issued.scope,
            });
            let mut res = Json(body).into_response();
            res.headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res.headers_mut()
                .insert(PRAGMA, HeaderValue::from_static("no-cache"));
            res
        }
        Err(OAuthError::InvalidClient(m)) => {
            tracing::info!(reason = %m, "client authentication refused");
            render(OAuthError::InvalidClient(m))
        }
        Err(e) => render(e),
    }
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
async fn metadata(State(app): State<AppState>) -> Response {
    let issuer = app.directory.issuer();
    Json(json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/auth/oauth2/token"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": [DEFAULT_SCOPE],
        "response_types_supported": [],
        "token_endpoint_auth_signing_alg_values_supported": ["EdDSA"],
    }))
    .into_response()
}

/// `GET /.well-known/jwks.json`: every key that verifies (staged, primary, retired until due).
async fn jwks(State(app): State<AppState>) -> Response {
    let mut res = Json(app.directory.jwks()).into_response();
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("max-age=60"));
    res
}
