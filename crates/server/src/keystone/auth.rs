//! `/v3/auth/*`: token issue, validation, check and revocation, and what a token may scope to.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use latchkey_core::authz::KS_TOKEN_VALIDATE;
use latchkey_core::secret::Secret;
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::ks_token::KsToken;
use latchkey_core::service::keystone::tokens::{
    DomainRef, Method, ProjectRef, ScopeRequest, UserRef,
};
use serde_json::{Map, Value, json};

use super::{KsCaller, KsError, KsResult, X_SUBJECT_TOKEN, collection, opt_str, views};

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
    request: axum::extract::Request,
) -> KsResult<Response> {
    let client = super::client_ip(request.extensions());
    let body = axum::body::to_bytes(request.into_body(), crate::middleware::MAX_BODY_BYTES)
        .await
        .map_err(|_| KsError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large."))?;
    let (method, scope) = parse_auth(&body)?;
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

/// The subject token of a validation request, and whether the caller may inspect it: its own
/// holder, an operator-account identity with the `admin` or `service` role (a service
/// validating its users' tokens), or an identity the subject's account's policies allow.
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
    // The roles are those of the caller's scope: in the operator's domain or on the system.
    let privileged_service =
        caller.in_cloud_scope() && (caller.has_role("admin") || caller.has_role("service"));
    let same_account_allowed = caller.account.id == subject.account.id
        && directory
            .authorize(&caller.principal(), &KS_TOKEN_VALIDATE)
            .is_ok();
    if caller.same_holder(&subject) || privileged_service || same_account_allowed {
        Ok(subject)
    } else {
        Err(KsError::forbidden(
            "You are not authorized to perform the requested action: identity:validate_token.",
        ))
    }
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
    let list: Vec<Value> = projects
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
    let list: Vec<Value> = directory
        .keystone_domains_of(&caller)
        .await?
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

/// The methods this server implements.
const METHODS: &[&str] = &["password", "token", "application_credential"];

/// Reads a `POST /v3/auth/tokens` body with Keystone's errors: a malformed shape is 400, an
/// unsupported method 401.
fn parse_auth(body: &Bytes) -> KsResult<(Method, ScopeRequest)> {
    let auth = super::wrapped(body, "auth")?;
    let identity = match auth.get("identity") {
        Some(Value::Object(m)) => m,
        Some(_) => return Err(KsError::bad_request("'identity' must be an object")),
        None => return Err(KsError::bad_request("'identity' is a required property")),
    };
    let methods: Vec<&str> = match identity.get("methods") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|m| {
                m.as_str()
                    .ok_or_else(|| KsError::bad_request("'methods' must be a list of strings"))
            })
            .collect::<KsResult<_>>()?,
        Some(_) => return Err(KsError::bad_request("'methods' must be a list of strings")),
        None => return Err(KsError::bad_request("'methods' is a required property")),
    };
    let [name] = methods.as_slice() else {
        if methods.is_empty() {
            return Err(KsError::bad_request("'methods' must name one method"));
        }
        return Err(KsError::unauthorized(
            "Attempted to authenticate with an unsupported method: one method at a time is \
             supported.",
        ));
    };
    if !METHODS.contains(name) {
        return Err(KsError::unauthorized(format!(
            "Attempted to authenticate with an unsupported method: {name}."
        )));
    }
    let payload = match identity.get(*name) {
        Some(Value::Object(m)) => m,
        Some(_) => return Err(KsError::bad_request(format!("'{name}' must be an object"))),
        None => {
            return Err(KsError::bad_request(format!(
                "Expecting to find {name} in identity."
            )));
        }
    };
    let method = match *name {
        "password" => password_method(payload)?,
        "token" => {
            let id = opt_str(payload, "id")?
                .ok_or_else(|| KsError::bad_request("Expecting to find id in token."))?;
            Method::Token(Secret::new(id))
        }
        _ => {
            let secret = opt_str(payload, "secret")?.ok_or_else(|| {
                KsError::bad_request("Expecting to find secret in application_credential.")
            })?;
            let id = opt_str(payload, "id")?.ok_or_else(|| {
                KsError::unauthorized(
                    "Identify the application credential by its id (a service account's clientId).",
                )
            })?;
            Method::ApplicationCredential {
                id: id.to_owned(),
                secret: Secret::new(secret),
            }
        }
    };
    let scope = match auth.get("scope") {
        None | Some(Value::Null) => ScopeRequest::Default,
        Some(Value::String(s)) if s == "unscoped" => ScopeRequest::Default,
        Some(Value::Object(scope)) => parse_scope(scope)?,
        Some(_) => return Err(KsError::bad_request("'scope' must be an object")),
    };
    Ok((method, scope))
}

fn password_method(payload: &Map<String, Value>) -> KsResult<Method> {
    let user = match payload.get("user") {
        Some(Value::Object(m)) => m,
        Some(_) => return Err(KsError::bad_request("'user' must be an object")),
        None => return Err(KsError::bad_request("Expecting to find user in password.")),
    };
    let password = match user.get("password") {
        Some(Value::String(p)) => Secret::new(p.as_str()),
        None | Some(Value::Null) => Secret::new(""),
        Some(_) => return Err(KsError::bad_request("'password' must be a string")),
    };
    // As in Keystone, a name (with its domain) wins over an id.
    let user = match (opt_str(user, "name")?, opt_str(user, "id")?) {
        (Some(name), _) => UserRef::Name {
            name: name.to_owned(),
            domain: domain_ref(user.get("domain"), "user")?,
        },
        (None, Some(id)) => UserRef::Id(id.to_owned()),
        (None, None) => {
            return Err(KsError::bad_request(
                "Expecting to find id or name in user.",
            ));
        }
    };
    Ok(Method::Password { user, password })
}

/// `{"id": …}` or `{"name": …}`; required.
fn domain_ref(value: Option<&Value>, of: &str) -> KsResult<DomainRef> {
    let domain = match value {
        Some(Value::Object(m)) => m,
        Some(_) => return Err(KsError::bad_request("'domain' must be an object")),
        None => {
            return Err(KsError::bad_request(format!(
                "Expecting to find domain in {of}."
            )));
        }
    };
    match (opt_str(domain, "id")?, opt_str(domain, "name")?) {
        (Some(id), _) => Ok(DomainRef::Id(id.to_owned())),
        (None, Some(name)) => Ok(DomainRef::Name(name.to_owned())),
        (None, None) => Err(KsError::bad_request(
            "Expecting to find id or name in domain.",
        )),
    }
}

fn parse_scope(scope: &Map<String, Value>) -> KsResult<ScopeRequest> {
    let kinds: Vec<&String> = scope.keys().collect();
    if kinds.len() > 1 {
        return Err(KsError::bad_request(
            "Only one of project, domain or system may be given as the scope.",
        ));
    }
    match kinds.first().map(|k| k.as_str()) {
        None => Ok(ScopeRequest::Default),
        Some("project") => {
            let project = match scope.get("project") {
                Some(Value::Object(m)) => m,
                _ => return Err(KsError::bad_request("'project' must be an object")),
            };
            match (opt_str(project, "id")?, opt_str(project, "name")?) {
                (Some(id), _) => Ok(ScopeRequest::Project(ProjectRef::Id(id.to_owned()))),
                (None, Some(name)) => Ok(ScopeRequest::Project(ProjectRef::Name {
                    name: name.to_owned(),
                    domain: domain_ref(project.get("domain"), "project")?,
                })),
                (None, None) => Err(KsError::bad_request(
                    "Expecting to find id or name in project.",
                )),
            }
        }
        Some("domain") => Ok(ScopeRequest::Domain(domain_ref(
            scope.get("domain"),
            "scope",
        )?)),
        Some("system") => match scope.get("system") {
            Some(Value::Object(m)) if m.get("all") == Some(&Value::Bool(true)) => {
                Ok(ScopeRequest::System)
            }
            _ => Err(KsError::bad_request("'system' must be {\"all\": true}")),
        },
        Some("OS-TRUST:trust") => match scope.get("OS-TRUST:trust") {
            Some(Value::Object(m)) => match opt_str(m, "id")? {
                Some(id) => Ok(ScopeRequest::Trust(id.to_owned())),
                None => Err(KsError::bad_request(
                    "Expecting to find id in OS-TRUST:trust.",
                )),
            },
            _ => Err(KsError::bad_request("'OS-TRUST:trust' must be an object")),
        },
        Some(other) => Err(KsError::bad_request(format!(
            "Unknown scope {other:?}; expected project, domain or system."
        ))),
    }
}
