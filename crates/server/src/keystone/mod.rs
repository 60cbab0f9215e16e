//! OpenStack Keystone v3: version discovery (`/`, `/v3`), tokens (`/v3/auth/…`) and the admin
//! resources, in Keystone's wire format: bodies wrapped in the resource's name, errors as
//! `{"error":{"code","title","message"}}`, every 401 with `WWW-Authenticate: Keystone uri=…`.
//!
//! Callers present a Keystone token in `X-Auth-Token` ([`KsCaller`]). Account-scoped operations
//! get an IAM permit for the token's identity, exactly as the /1.0 API does for its callers.

mod app_credentials;
mod assignments;
mod auth;
mod auth_body;
mod body;
mod catalog;
mod credentials;
mod documents;
mod domain_config;
mod domains;
mod filters;
mod grants;
mod groups;
mod projects;
mod roles;
mod trusts;
mod users;
mod views;

use std::net::IpAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use latchkey_core::Error;
use latchkey_core::authz::{Action, OperatorAction, OperatorPermit, Permit};
use latchkey_core::model::Account;
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::KeystoneKind;
use latchkey_core::service::keystone::ks_token::KsToken;
use serde_json::{Value, json};

use crate::state::AppState;

pub use auth_body::auth_request;
pub use latchkey_wire::headers::{X_AUTH_TOKEN, X_SUBJECT_TOKEN};

pub fn router(state: AppState) -> Router<AppState> {
    routes().layer(axum::middleware::map_response_with_state(state, challenge))
}

/// Every 401 of the Keystone API names where to authenticate, as keystoneauth expects.
async fn challenge(State(state): State<AppState>, mut res: Response) -> Response {
    if res.status() == StatusCode::UNAUTHORIZED
        && let Ok(v) =
            HeaderValue::from_str(&format!("Keystone uri=\"{}/v3\"", state.directory.issuer()))
    {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    res
}

fn routes() -> Router<AppState> {
    documents::routes()
        .merge(domain_config::routes())
        .route("/", get(versions))
        .route("/v3", get(version))
        .route("/v3/", get(version))
        .route(
            "/v3/auth/tokens",
            get(auth::validate)
                .head(auth::check)
                .post(auth::issue)
                .delete(auth::revoke),
        )
        .route("/v3/auth/catalog", get(auth::catalog))
        .route("/v3/auth/projects", get(auth::projects))
        .route("/v3/auth/domains", get(auth::domains))
        .route("/v3/auth/system", get(auth::system))
        .route(
            "/v3/domains",
            get(domains::list_domains).post(domains::create_domain),
        )
        .route(
            "/v3/domains/{domain}",
            get(domains::get_domain)
                .patch(domains::update_domain)
                .delete(domains::delete_domain),
        )
        .route(
            "/v3/users",
            get(users::list_users).post(users::create_user),
        )
        .route(
            "/v3/users/{user}",
            get(users::get_user)
                .patch(users::update_user)
                .delete(users::delete_user),
        )
        .route("/v3/users/{user}/projects", get(projects::of_user))
        .route(
            "/v3/users/{user}/application_credentials",
            get(app_credentials::list).post(app_credentials::create),
        )
        .route(
            "/v3/users/{user}/application_credentials/{id}",
            get(app_credentials::get).delete(app_credentials::delete),
        )
        .route(
            "/v3/users/{user}/access_rules",
            get(app_credentials::list_rules),
        )
        .route(
            "/v3/users/{user}/access_rules/{id}",
            get(app_credentials::get_rule).delete(app_credentials::delete_rule),
        )
        .route(
            "/v3/users/{user}/password",
            axum::routing::post(users::change_password),
        )
        .route("/v3/users/{user}/groups", get(groups::groups_of_user))
        .route(
            "/v3/groups",
            get(groups::list_groups).post(groups::create_group),
        )
        .route(
            "/v3/groups/{group}",
            get(groups::get_group)
                .patch(groups::update_group)
                .delete(groups::delete_group),
        )
        .route("/v3/groups/{group}/users", get(groups::group_members))
        .route(
            "/v3/groups/{group}/users/{user}",
            put(groups::add_member)
                .head(groups::check_member)
                .get(groups::check_member)
                .delete(groups::remove_member),
        )
        .route("/v3/projects", get(projects::list).post(projects::create))
        .route(
            "/v3/projects/{project}/tags",
            get(projects::tags)
                .head(projects::tags)
                .put(projects::replace_tags)
                .delete(projects::clear_tags),
        )
        .route(
            "/v3/projects/{project}/tags/{tag}",
            get(projects::tag)
                .head(projects::tag)
                .put(projects::tag)
                .delete(projects::tag),
        )
        .route(
            "/v3/projects/{project}",
            get(projects::get)
                .patch(projects::update)
                .delete(projects::delete),
        )
        .route("/v3/roles", get(roles::list).post(roles::create))
        .route(
            "/v3/roles/{role}",
            get(roles::get).patch(roles::update).delete(roles::delete),
        )
        .route("/v3/roles/{role}/implies", get(roles::implies))
        .route(
            "/v3/roles/{prior}/implies/{implied}",
            put(roles::add_implied)
                .head(roles::check_implied)
                .get(roles::check_implied)
                .delete(roles::remove_implied),
        )
        .route("/v3/role_inferences", get(roles::inferences))
        .route(
            "/v3/credentials",
            get(credentials::list).post(credentials::create),
        )
        .route(
            "/v3/credentials/{id}",
            get(credentials::get)
                .patch(credentials::update)
                .delete(credentials::delete),
        )
        .route(
            "/v3/users/{user}/credentials/OS-EC2",
            get(credentials::ec2_list).post(credentials::ec2_create),
        )
        .route(
            "/v3/users/{user}/credentials/OS-EC2/{access}",
            get(credentials::ec2_get).delete(credentials::ec2_delete),
        )
        .route(
            "/v3/OS-TRUST/trusts",
            get(trusts::list).post(trusts::create),
        )
        // Keystone accepts the trailing slash tempest's client sends.
        .route("/v3/OS-TRUST/trusts/", get(trusts::list))
        .route(
            "/v3/OS-TRUST/trusts/{trust}",
            get(trusts::get).delete(trusts::delete),
        )
        .route("/v3/OS-TRUST/trusts/{trust}/roles", get(trusts::roles))
        .route(
            "/v3/OS-TRUST/trusts/{trust}/roles/{role}",
            get(trusts::role).head(trusts::role),
        )
        .route("/v3/role_assignments", get(assignments::assignments))
        .route(
            "/v3/{kind}/{target}/{actor_kind}/{actor}/roles",
            get(grants::list_grants),
        )
        .route(
            "/v3/{kind}/{target}/{actor_kind}/{actor}/roles/{role}",
            put(grants::on_target_grant)
                .head(grants::on_target_grant)
                .get(grants::on_target_grant)
                .delete(grants::on_target_grant),
        )
        .route(
            "/v3/OS-INHERIT/{kind}/{target}/{actor_kind}/{actor}/roles/inherited_to_projects",
            get(grants::list_inherited_grants),
        )
        .route(
            "/v3/OS-INHERIT/{kind}/{target}/{actor_kind}/{actor}/roles/{role}/inherited_to_projects",
            put(grants::on_inherited_grant)
                .head(grants::on_inherited_grant)
                .get(grants::on_inherited_grant)
                .delete(grants::on_inherited_grant),
        )
        .route(
            "/v3/system/{actor_kind}/{actor}/roles",
            get(grants::list_system_grants),
        )
        .route(
            "/v3/system/{actor_kind}/{actor}/roles/{role}",
            put(grants::on_system_grant)
                .head(grants::on_system_grant)
                .get(grants::on_system_grant)
                .delete(grants::on_system_grant),
        )
        .route(
            "/v3/regions",
            get(catalog::list_regions).post(catalog::create_region),
        )
        .route(
            "/v3/regions/{region}",
            get(catalog::get_region)
                .patch(catalog::update_region)
                .put(catalog::put_region)
                .delete(catalog::delete_region),
        )
        .route(
            "/v3/services",
            get(catalog::list_services).post(catalog::create_service),
        )
        .route(
            "/v3/services/{service}",
            get(catalog::get_service)
                .patch(catalog::update_service)
                .delete(catalog::delete_service),
        )
        .route(
            "/v3/endpoints",
            get(catalog::list_endpoints).post(catalog::create_endpoint),
        )
        .route(
            "/v3/endpoints/{endpoint}",
            get(catalog::get_endpoint)
                .patch(catalog::update_endpoint)
                .delete(catalog::delete_endpoint),
        )
}

/// An error in Keystone's format.
#[derive(Debug)]
pub struct KsError {
    status: StatusCode,
    message: String,
    retry_after: Option<std::time::Duration>,
    /// The actions a 403 refused, when it names them.
    refused: Vec<String>,
}

pub type KsResult<T> = Result<T, KsError>;

impl KsError {
    /// The answer's status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
            refused: Vec::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }
}

impl From<Error> for KsError {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(m) => Self::bad_request(m),
            Error::NotFound(m) => Self::not_found(m),
            Error::Conflict(m) => Self::new(StatusCode::CONFLICT, m),
            Error::Unauthenticated(m) => Self::unauthorized(m),
            Error::Forbidden { actions } => {
                let mut refused = Self::forbidden(format!(
                    "You are not authorized to perform the requested action: {}.",
                    actions.join(", ")
                ));
                refused.refused = actions;
                refused
            }
            Error::RateLimited {
                message,
                retry_after,
            } => Self {
                status: StatusCode::TOO_MANY_REQUESTS,
                message,
                retry_after: Some(retry_after),
                refused: Vec::new(),
            },
            Error::Unavailable { retry_after } => Self {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: "The service is temporarily unavailable; retry later.".to_owned(),
                retry_after: Some(retry_after),
                refused: Vec::new(),
            },
            Error::Internal(cause) => {
                crate::error::log_internal(cause.as_ref());
                let id = crate::middleware::request_id::current().unwrap_or_default();
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!(
                        "An unexpected error prevented the server from fulfilling your request (request id {id})."
                    ),
                )
            }
        }
    }
}

impl IntoResponse for KsError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let body = json!({
            "error": { "code": self.status.as_u16(), "title": title, "message": self.message }
        });
        let mut res = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::FORBIDDEN {
            let reason = self.refused.is_empty().then_some(self.message);
            res.extensions_mut()
                .insert(crate::middleware::refusals::Refused {
                    actions: self.refused,
                    reason,
                });
        }
        if let Some(wait) = self.retry_after {
            crate::error::retry_in(&mut res, wait);
        }
        res
    }
}

/// The caller: the Keystone token in `X-Auth-Token`, validated.
#[derive(Debug)]
pub struct KsCaller(pub KsToken);

impl<S> FromRequestParts<S> for KsCaller
where
    Arc<Directory>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = KsError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, KsError> {
        let directory = Arc::<Directory>::from_ref(state);
        let value = parts
            .headers
            .get(X_AUTH_TOKEN)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                KsError::unauthorized("The request you have made requires authentication.")
            })?;
        match directory.keystone_caller(value).await {
            Ok(token) => {
                crate::middleware::refusals::remember(token.principal());
                Ok(KsCaller(token))
            }
            Err(Error::Unauthenticated(_)) => Err(KsError::unauthorized(
                "The request you have made requires authentication.",
            )),
            Err(e) => Err(e.into()),
        }
    }
}

impl KsCaller {
    /// An IAM permit for the caller's own account.
    pub fn permit(&self, directory: &Directory, action: &Action) -> KsResult<Permit> {
        Ok(directory.keystone_permit(&self.0, action, &self.0.account)?)
    }

    /// A permit for `account` ([`Directory::keystone_permit`]).
    pub fn permit_in(
        &self,
        directory: &Directory,
        action: &Action,
        account: &Account,
    ) -> KsResult<Permit> {
        Ok(directory.keystone_permit(&self.0, action, account)?)
    }

    /// An operator permit ([`Directory::keystone_operator`]).
    pub fn operator(
        &self,
        directory: &Directory,
        action: &OperatorAction,
    ) -> KsResult<OperatorPermit> {
        Ok(directory.keystone_operator(&self.0, action)?)
    }

    /// A permit in the account holding the user, group, project or domain `id` names
    /// ([`Directory::keystone_permit_at`]).
    pub async fn permit_at(
        &self,
        directory: &Directory,
        action: &Action,
        kind: KeystoneKind,
        id: &str,
    ) -> KsResult<(Permit, Arc<Account>)> {
        Ok(directory
            .keystone_permit_at(&self.0, action, kind, id)
            .await?)
    }

    /// The account of the domain `id` names ([`Directory::keystone_domain`]).
    pub async fn domain(&self, directory: &Directory, id: &str) -> KsResult<Arc<Account>> {
        Ok(directory.keystone_domain(&self.0, id).await?)
    }

    /// A permit in the domain a request names, or the caller's own
    /// ([`Directory::keystone_permit_in_domain`]).
    pub async fn permit_in_domain(
        &self,
        directory: &Directory,
        action: &Action,
        domain: Option<&str>,
    ) -> KsResult<(Permit, Arc<Account>)> {
        Ok(directory
            .keystone_permit_in_domain(&self.0, action, domain)
            .await?)
    }

    /// The accounts a listing covers, each with its permit ([`Directory::keystone_listing`]).
    pub async fn listing(
        &self,
        directory: &Directory,
        action: &Action,
        domain: Option<&str>,
    ) -> KsResult<Vec<(Permit, Arc<Account>)>> {
        Ok(directory.keystone_listing(&self.0, action, domain).await?)
    }
}

/// The client's address, for the password throttles.
pub(crate) fn client_ip(parts: &axum::http::Extensions) -> IpAddr {
    crate::extract::client_address(parts)
}

/// The version document of v3, as keystoneauth's discovery reads it.
fn v3_document(base: &str) -> Value {
    json!({
        "id": "v3.14",
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": [{ "rel": "self", "href": format!("{base}/v3/") }],
        "media-types": [{
            "base": "application/json",
            "type": "application/vnd.openstack.identity-v3+json"
        }],
    })
}

/// `GET /`: the versions this server speaks (300 Multiple Choices, as Keystone answers).
/// A browser asking for a page is sent to the console instead.
async fn versions(
    State(directory): State<Arc<Directory>>,
    headers: axum::http::HeaderMap,
) -> Response {
    if crate::console::wants_page(&headers) {
        return axum::response::Redirect::to(crate::console::ROOT).into_response();
    }
    let body = json!({ "versions": { "values": [v3_document(directory.issuer())] } });
    (StatusCode::MULTIPLE_CHOICES, axum::Json(body)).into_response()
}

/// `GET /v3`: the v3 version document.
async fn version(State(directory): State<Arc<Directory>>) -> Response {
    axum::Json(json!({ "version": v3_document(directory.issuer()) })).into_response()
}

/// An answer holding one resource under its name (`{"user": {…}}`), 200.
pub(crate) fn one(key: &str, view: impl serde::Serialize) -> Response {
    resource(StatusCode::OK, key, view)
}

/// An answer holding the resource just made under its name, 201.
pub(crate) fn created(key: &str, view: impl serde::Serialize) -> Response {
    resource(StatusCode::CREATED, key, view)
}

fn resource(status: StatusCode, key: &str, view: impl serde::Serialize) -> Response {
    match serde_json::to_value(view) {
        Ok(view) => {
            let mut body = serde_json::Map::new();
            body.insert(key.to_owned(), view);
            (status, axum::Json(Value::Object(body))).into_response()
        }
        Err(e) => KsError::from(Error::internal(e)).into_response(),
    }
}

/// The `links.self` of a resource.
pub(crate) fn self_link(directory: &Directory, path: &str) -> Value {
    json!(views::links(directory, path))
}

/// A collection answer: `{key: items, "links": {"self": …/v3/{path}, "previous": null,
/// "next": null}}`.
pub(crate) fn collection(directory: &Directory, key: &str, path: &str, items: Value) -> Response {
    let links = json!({ "self": format!("{}/v3/{path}", directory.issuer()), "previous": null, "next": null });
    let mut body = serde_json::Map::new();
    body.insert(key.to_owned(), items);
    body.insert("links".to_owned(), links);
    axum::Json(Value::Object(body)).into_response()
}

/// An `expires_at` of a request: RFC 3339, or without an offset (UTC), as Keystone accepts it.
pub(crate) fn parse_time(s: &str) -> KsResult<chrono::DateTime<chrono::Utc>> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
        .map(|t| t.and_utc())
        .map_err(|_| KsError::bad_request(format!("Invalid input for field 'expires_at': {s:?}.")))
}
