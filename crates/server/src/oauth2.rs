//! The OAuth2 authorisation server: `POST /auth/oauth2/token` (client credentials, RFC 6749
//! §4.4), introspection (RFC 7662) and revocation (RFC 7009), the JWKS of the signing keys, and the RFC 8414 metadata. Errors are RFC 6749 §5.2
//! bodies (`{"error","error_description"}`), not the OVH format.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, PRAGMA, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use latchkey_core::secret::Secret;
use latchkey_core::service::oauth2::{DEFAULT_SCOPE, OAuthError};
use serde_json::json;

use crate::extract::{Authorization, parse_authorization};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/oauth2/token", post(token))
        .route("/auth/oauth2/introspect", post(introspect))
        .route("/auth/oauth2/revoke", post(revoke))
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .route(
            "/auth/oauth2/.well-known/oauth-authorization-server",
            get(metadata),
        )
        .route("/.well-known/jwks.json", get(jwks))
        .route("/auth/oauth2/.well-known/jwks.json", get(jwks))
}

pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
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
        OAuthError::RateLimited(wait) => {
            let mut res = oauth_error(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "too many access tokens requested by this client; retry later",
            );
            crate::error::retry_in(&mut res, wait);
            res
        }
        OAuthError::Server(latchkey_core::Error::Unavailable { retry_after }) => {
            let mut res = oauth_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                latchkey_core::error::UNAVAILABLE_MESSAGE,
            );
            crate::error::retry_in(&mut res, retry_after);
            res
        }
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
    let malformed = || OAuthError::InvalidClient("malformed Basic client credentials".into());
    let basic = match headers.get(AUTHORIZATION).map(parse_authorization) {
        None => None,
        Some(Ok(Authorization::Basic { user, password })) => Some((
            form_decode(&user).ok_or_else(malformed)?,
            form_decode(password.expose()).ok_or_else(malformed)?,
        )),
        Some(Ok(_)) => {
            return Err(OAuthError::InvalidClient(
                "authenticate the client with HTTP Basic or client_id and client_secret".into(),
            ));
        }
        Some(Err(_)) => return Err(malformed()),
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
    let mut form = match Form::parse(&body, &["grant_type", "scope"]) {
        Ok(form) => form,
        Err(e) => return render(e),
    };
    let (grant_type, scope) = (form.take("grant_type"), form.take("scope"));
    let (client_id, client_secret) = (form.take("client_id"), form.take("client_secret"));
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

/// A token-endpoint form: each known parameter at most once; unknown ones ignored (RFC 6749 §3.2).
struct Form(Vec<(String, String)>);

impl Form {
    fn parse(body: &[u8], extra: &[&str]) -> Result<Self, OAuthError> {
        let params: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| {
            OAuthError::InvalidRequest("the body must be application/x-www-form-urlencoded".into())
        })?;
        let known = |k: &str| extra.contains(&k) || k == "client_id" || k == "client_secret";
        let mut kept: Vec<(String, String)> = Vec::new();
        for (key, value) in params.into_iter().filter(|(k, _)| known(k)) {
            if kept.iter().any(|(k, _)| *k == key) {
                return Err(OAuthError::InvalidRequest(format!(
                    "parameter {key} is repeated"
                )));
            }
            kept.push((key, value));
        }
        Ok(Self(kept))
    }

    fn take(&mut self, key: &str) -> Option<String> {
        let at = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.swap_remove(at).1)
    }
}

/// Who calls introspection or revocation: a client (Basic or body credentials) or any bearer
/// credential of an account.
async fn caller_of(
    app: &AppState,
    headers: &HeaderMap,
    form: &mut Form,
) -> Result<latchkey_core::authz::Principal, OAuthError> {
    let bearer = match headers.get(AUTHORIZATION).map(parse_authorization) {
        Some(Ok(Authorization::Bearer(token))) => Some(token),
        _ => None,
    };
    if let Some(token) = bearer {
        let presented = latchkey_core::service::auth::Presented::Bearer(&token);
        let client = std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);
        return match app.directory.authenticate(presented, client).await {
            Ok(who) => Ok(who),
            Err(_) => Err(OAuthError::InvalidClient(
                "the caller's bearer token is not valid".into(),
            )),
        };
    }
    let (id, secret) =
        client_credentials(headers, form.take("client_id"), form.take("client_secret"))?;
    app.directory.client_principal(&id, &secret).await
}

/// The caller and the `token` parameter of an introspection or revocation request.
async fn token_request_of(
    app: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(latchkey_core::authz::Principal, String), OAuthError> {
    let mut form = Form::parse(body, &["token", "token_type_hint"])?;
    let caller = caller_of(app, headers, &mut form).await?;
    let token = form
        .take("token")
        .ok_or_else(|| OAuthError::InvalidRequest("token is required".into()))?;
    Ok((caller, token))
}

/// `POST /auth/oauth2/introspect` (RFC 7662): `token` → `{"active": …}`. The caller sees only
/// tokens of its own account (any other token is inactive), unless it is a caller of the
/// operator's account allowed `account:apiovh:oauth2/introspect/any`.
async fn introspect(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        let (caller, token) = token_request_of(&app, &headers, &body).await?;
        Ok::<_, OAuthError>(app.directory.introspect(&caller, &token).await)
    }
    .await;
    match result {
        Ok(answer) => {
            let mut res = Json(answer).into_response();
            res.headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => render(e),
    }
}

/// `POST /auth/oauth2/revoke` (RFC 7009): 200 whether or not the token was known.
async fn revoke(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        let (caller, token) = token_request_of(&app, &headers, &body).await?;
        app.directory.revoke(&caller, &token).await?;
        Ok::<_, OAuthError>(())
    }
    .await;
    match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => render(e),
    }
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
async fn metadata(State(app): State<AppState>) -> Response {
    let issuer = app.directory.issuer();
    Json(json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/auth/oauth2/token"),
        "introspection_endpoint": format!("{issuer}/auth/oauth2/introspect"),
        "revocation_endpoint": format!("{issuer}/auth/oauth2/revoke"),
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
