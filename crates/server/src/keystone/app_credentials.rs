//! `/v3/users/{id}/application_credentials` and `/v3/users/{id}/access_rules`: the credentials a
//! user makes for itself ([`latchkey_core::service::keystone::app_credentials`]). A user reads
//! and deletes its own; an administrator of its domain reads and deletes them too. Only the
//! user makes them.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use latchkey_core::authz::{Action, Subject, USER_EDIT, USER_GET};
use latchkey_core::keystone::{self, AccessRule, KsUserId};
use latchkey_core::model::User;
use latchkey_core::secret::Secret;
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::KeystoneKind;
use latchkey_core::service::keystone::app_credentials::{
    AppCredential, NewAppCredential, RuleRequest,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::body::{KsBody, RoleRef, Wrapped, required, role_refs};
use super::views::{Links, links};
use super::{KsCaller, KsError, KsResult, collection, one, parse_time};

/// The body of `POST /v3/users/{id}/application_credentials`.
#[derive(Debug, Deserialize)]
pub struct AppCredentialBody {
    name: Option<String>,
    description: Option<String>,
    secret: Option<Secret>,
    expires_at: Option<String>,
    roles: Option<Vec<RoleRef>>,
    unrestricted: Option<bool>,
    access_rules: Option<Vec<RuleRef>>,
}

impl Wrapped for AppCredentialBody {
    const KEY: &'static str = "application_credential";
}

/// An access rule a request names: an existing one by `id`, or a new one.
#[derive(Debug, Deserialize)]
pub struct RuleRef {
    id: Option<String>,
    service: Option<String>,
    path: Option<String>,
    method: Option<String>,
}

impl RuleRef {
    fn into_request(self) -> KsResult<RuleRequest> {
        if let Some(id) = self.id {
            return Ok(RuleRequest::Id(id));
        }
        match (self.service, self.path, self.method) {
            (Some(service), Some(path), Some(method)) => Ok(RuleRequest::New {
                service,
                path,
                method,
            }),
            _ => Err(KsError::bad_request(
                "'access_rules' is a list of {\"id\"} or {\"service\", \"path\", \"method\"}",
            )),
        }
    }
}

/// The user a path names, when the caller is that user or may act on it with `action`.
async fn user_for(
    directory: &Directory,
    caller: &KsCaller,
    id: &str,
    action: &Action,
) -> KsResult<Arc<User>> {
    if let Subject::User(u) = &caller.0.subject
        && keystone::KsUserId(u.id).is(id)
    {
        return Ok(Arc::clone(u));
    }
    let (permit, _) = caller
        .permit_at(directory, action, KeystoneKind::User, id)
        .await?;
    directory
        .user_by_keystone_id(permit.account(), id)
        .await?
        .ok_or_else(|| KsError::not_found(format!("Could not find user: {id}.")))
}

/// Keystone's timestamp form for credentials: `2026-11-25T19:30:00.123456`.
fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// A role of an application credential.
#[derive(Debug, Serialize)]
struct AppRoleView<'a> {
    id: &'a str,
    name: String,
    domain_id: Option<String>,
}

/// An application credential as Keystone shows it; its secret only in the creation's answer.
#[derive(Debug, Serialize)]
struct AppCredentialView<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    user_id: KsUserId,
    project_id: &'a str,
    roles: Vec<AppRoleView<'a>>,
    expires_at: Option<String>,
    unrestricted: bool,
    access_rules: &'a [AccessRule],
    links: Links,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
}

fn view<'a>(directory: &Directory, c: &'a AppCredential) -> AppCredentialView<'a> {
    let user = KsUserId(c.user_id);
    let roles = c
        .roles
        .iter()
        .map(|id| AppRoleView {
            id,
            name: directory
                .keystone_role(id)
                .map(|r| r.name.as_str().to_owned())
                .unwrap_or_default(),
            domain_id: None,
        })
        .collect();
    AppCredentialView {
        id: &c.id,
        name: &c.name,
        description: &c.description,
        user_id: user,
        project_id: &c.project_id,
        roles,
        expires_at: c.expires_at.map(time),
        unrestricted: c.unrestricted,
        access_rules: &c.access_rules,
        links: links(
            directory,
            &format!("users/{user}/application_credentials/{}", c.id),
        ),
        secret: None,
    }
}

pub async fn create(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(user): Path<String>,
    KsBody(a): KsBody<AppCredentialBody>,
) -> KsResult<Response> {
    // A user makes application credentials for itself only (core refuses any other).
    let owner = keystone::KsUserId::parse(&user).ok_or_else(|| {
        KsError::forbidden("A user makes application credentials only for itself.")
    })?;
    let new = NewAppCredential {
        name: required(a.name, "name")?,
        description: a.description.unwrap_or_default(),
        secret: a.secret,
        expires_at: a.expires_at.as_deref().map(parse_time).transpose()?,
        roles: role_refs(a.roles)?,
        unrestricted: a.unrestricted.unwrap_or(false),
        access_rules: a
            .access_rules
            .unwrap_or_default()
            .into_iter()
            .map(RuleRef::into_request)
            .collect::<KsResult<_>>()?,
    };
    let (credential, secret) = directory
        .create_app_credential(&caller.0, owner.0, new)
        .await?;
    let mut body = view(&directory, &credential);
    body.secret = Some(secret.expose());
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({ "application_credential": body })),
    )
        .into_response())
}

pub async fn list(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(user): Path<String>,
    RawQuery(query): RawQuery,
) -> KsResult<Response> {
    let owner = user_for(&directory, &caller, &user, &USER_GET).await?;
    let query = crate::query::Query::parse(query.as_deref());
    let name = query.last("name");
    let items: Vec<Value> = directory
        .app_credentials(owner.id)
        .await?
        .iter()
        .filter(|c| name.is_none_or(|n| c.name == n))
        .map(|c| json!(view(&directory, c)))
        .collect();
    Ok(collection(
        &directory,
        "application_credentials",
        &format!("users/{user}/application_credentials"),
        json!(items),
    ))
}

pub async fn get(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path((user, id)): Path<(String, String)>,
) -> KsResult<Response> {
    let owner = user_for(&directory, &caller, &user, &USER_GET).await?;
    let credential = directory.app_credential(owner.id, &id).await?;
    Ok(
        axum::Json(json!({ "application_credential": view(&directory, &credential) }))
            .into_response(),
    )
}

pub async fn delete(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path((user, id)): Path<(String, String)>,
) -> KsResult<Response> {
    let owner = user_for(&directory, &caller, &user, &USER_EDIT).await?;
    directory
        .delete_app_credential(&caller.0, &owner, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn list_rules(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(user): Path<String>,
) -> KsResult<Response> {
    let owner = user_for(&directory, &caller, &user, &USER_GET).await?;
    let items: Vec<Value> = directory
        .access_rules(owner.id)
        .await?
        .iter()
        .map(|r| json!(r))
        .collect();
    Ok(collection(
        &directory,
        "access_rules",
        &format!("users/{user}/access_rules"),
        json!(items),
    ))
}

pub async fn get_rule(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path((user, id)): Path<(String, String)>,
) -> KsResult<Response> {
    let owner = user_for(&directory, &caller, &user, &USER_GET).await?;
    let rule = directory
        .access_rules(owner.id)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| KsError::not_found(format!("Could not find access rule: {id}.")))?;
    Ok(one("access_rule", rule))
}

pub async fn delete_rule(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path((user, id)): Path<(String, String)>,
) -> KsResult<Response> {
    let owner = user_for(&directory, &caller, &user, &USER_EDIT).await?;
    directory.delete_access_rule(&caller.0, &owner, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
