//! `/v3/auth/*`: token issue, validation, check and revocation, and what a token may scope to.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::ks_token::KsToken;
use serde_json::{Value, json};

use super::auth_body::AuthBody;
use super::body::KsBody;
use super::{KsCaller, KsError, KsResult, X_SUBJECT_TOKEN, collection, views};

/// Whether a query string holds `key` (as a flag or with a true value).
fn flag(query: Option<&str>, key: &str) -> bool {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes()).any(|(k, v)| {
        k == key
            && !matches!(
                v.to_ascii_lowercase().as_str(),
                "0" | "false" | "no" | "off"
            )
    })
}

fn token_response(
    status: StatusCode,
    token: &KsToken,
    value: Option<&str>,
    catalog: bool,
) -> Response {
    let mut res = (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        views::token_body(token, catalog),
    )
        .into_response();
    if let Some(value) = value
        && let Ok(v) = HeaderValue::from_str(value)
    {
        res.headers_mut().insert(X_SUBJECT_TOKEN, v);
    }
    res
}

/// `POST /v3/auth/tokens`.
pub async fn issue(
    State(directory): State<Arc<Directory>>,
    RawQuery(query): RawQuery,
    extensions: axum::http::Extensions,
    KsBody(auth): KsBody<AuthBody>,
) -> KsResult<Response> {
    let client = super::client_ip(&extensions);
    let (method, scope) = auth.into_request()?;
    let issued = directory
        .issue_keystone_token(method, scope, client)
        .await?;
    let catalog = !flag(query.as_deref(), "nocatalog");
    Ok(token_response(
        StatusCode::CREATED,
        &issued.token,
        Some(issued.value.expose()),
        catalog,
    ))
}

/// The subject token of a validation request, when the caller may inspect it
/// ([`Directory::keystone_may_inspect`]).
async fn subject(
    directory: &Directory,
    caller: &KsToken,
    headers: &HeaderMap,
    allow_expired: bool,
) -> KsResult<KsToken> {
    let value = headers
        .get(X_SUBJECT_TOKEN)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| KsError::bad_request("X-Subject-Token is required"))?;
    let subject = directory
        .validate_keystone_token(value, allow_expired)
        .await
        .map_err(|_| KsError::not_found("Could not find token"))?;
    directory.keystone_may_inspect(caller, &subject)?;
    Ok(subject)
}

/// `GET /v3/auth/tokens`: 200 with the same body as at issue.
pub async fn validate(
    State(directory): State<Arc<Directory>>,
    KsCaller(caller): KsCaller,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> KsResult<Response> {
    let allow_expired = flag(query.as_deref(), "allow_expired");
    let token = subject(&directory, &caller, &headers, allow_expired).await?;
    let value = headers.get(X_SUBJECT_TOKEN).and_then(|v| v.to_str().ok());
    let catalog = !flag(query.as_deref(), "nocatalog");
    Ok(token_response(StatusCode::OK, &token, value, catalog))
}

/// `HEAD /v3/auth/tokens`: 200 when valid.
pub async fn check(
    State(directory): State<Arc<Directory>>,
    KsCaller(caller): KsCaller,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> KsResult<Response> {
    let allow_expired = flag(query.as_deref(), "allow_expired");
    subject(&directory, &caller, &headers, allow_expired).await?;
    Ok(StatusCode::OK.into_response())
}

/// `DELETE /v3/auth/tokens`: 204; the token and those rescoped from it stop working.
pub async fn revoke(
    State(directory): State<Arc<Directory>>,
    KsCaller(caller): KsCaller,
    headers: HeaderMap,
) -> KsResult<Response> {
    let token = subject(&directory, &caller, &headers, false).await?;
    directory.revoke_keystone_token(&token).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /v3/auth/catalog`.
pub async fn catalog(
    State(directory): State<Arc<Directory>>,
    KsCaller(caller): KsCaller,
) -> KsResult<Response> {
    let catalog = caller
        .catalog
        .as_deref()
        .ok_or_else(|| KsError::forbidden("A scoped token is required to read the catalog."))?;
    let catalog: Value = serde_json::from_str(catalog).unwrap_or(Value::Array(vec![]));
    Ok(collection(
        &directory,
        "catalog",
        "auth/catalog",
        json!(catalog),
    ))
}

/// `GET /v3/auth/projects`: the projects the caller may scope to.
pub async fn projects(
    State(directory): State<Arc<Directory>>,
    KsCaller(caller): KsCaller,
) -> KsResult<Response> {
    let projects = directory.keystone_projects_of(&caller).await?;
    let list: Vec<_> = projects
        .iter()
        .map(|(account, p)| views::project(&directory, account, p))
        .collect();
    Ok(collection(
        &directory,
        "projects",
        "auth/projects",
        json!(list),
    ))
}

/// `GET /v3/auth/domains`: the domains the caller holds a role on (its own or others).
pub async fn domains(
    State(directory): State<Arc<Directory>>,
    KsCaller(caller): KsCaller,
) -> KsResult<Response> {
    let domains = directory.keystone_domains_of(&caller).await?;
    let list: Vec<_> = domains
        .iter()
        .map(|account| views::domain(&directory, account))
        .collect();
    Ok(collection(
        &directory,
        "domains",
        "auth/domains",
        json!(list),
    ))
}

/// `GET /v3/auth/system`: `[{"all": true}]` when the caller holds a system role.
pub async fn system(
    State(directory): State<Arc<Directory>>,
    KsCaller(caller): KsCaller,
) -> KsResult<Response> {
    let mut list = vec![];
    if directory.keystone_has_system_roles(&caller).await? {
        list.push(json!({ "all": true }));
    }
    Ok(collection(&directory, "system", "auth/system", json!(list)))
}
