//! `/v3/OS-TRUST/trusts`: a trustor delegates roles on a project to a trustee
//! ([`latchkey_core::service::keystone::trusts`]). The trustor and the trustee read a trust;
//! the trustor deletes it; the operator's administrators and system readers read every trust
//! and an administrator deletes any.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use latchkey_core::keystone;
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::trusts::{NewTrust, Trust, trust_fields};
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::{KsBody, RoleRef, Wrapped, required, role_refs};
use super::{KsCaller, KsError, KsResult, collection, created, one, parse_time, self_link, views};

/// The body of `POST /v3/OS-TRUST/trusts`.
#[derive(Debug, Deserialize)]
pub struct TrustBody {
    trustor_user_id: Option<String>,
    trustee_user_id: Option<String>,
    project_id: Option<String>,
    roles: Option<Vec<RoleRef>>,
    impersonation: Option<bool>,
    expires_at: Option<String>,
    remaining_uses: Option<u32>,
}

impl Wrapped for TrustBody {
    const KEY: &'static str = "trust";
}

fn view(directory: &Directory, trust: &Trust, summary: bool) -> Value {
    let mut map = trust_fields(trust);
    map.insert(
        "links".into(),
        self_link(directory, &format!("OS-TRUST/trusts/{}", trust.id)),
    );
    if !summary {
        let roles: Vec<_> = trust
            .roles
            .iter()
            .filter_map(|id| directory.keystone_role(id).ok())
            .map(|r| json!(views::role(directory, &r)))
            .collect();
        map.insert("roles".into(), json!(roles));
        map.insert(
            "roles_links".into(),
            json!({ "self": null, "previous": null, "next": null }),
        );
    }
    Value::Object(map)
}

/// A trust the caller may read: its trustor, its trustee, or those who read every domain.
async fn readable(directory: &Directory, caller: &KsCaller, id: &str) -> KsResult<Trust> {
    let trust = directory.trust(id).await?;
    if trust.readable_by(&caller.0) {
        Ok(trust)
    } else {
        Err(KsError::not_found(format!("Could not find trust: {id}.")))
    }
}

pub async fn create(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    KsBody(t): KsBody<TrustBody>,
) -> KsResult<Response> {
    let roles = role_refs(t.roles)?;
    if roles.is_empty() {
        return Err(KsError::bad_request("'roles' lists at least one role"));
    }
    let new = NewTrust {
        trustor: required(t.trustor_user_id, "trustor_user_id")?,
        trustee: required(t.trustee_user_id, "trustee_user_id")?,
        project_id: required(t.project_id, "project_id")?,
        roles,
        impersonation: required(t.impersonation, "impersonation")?,
        expires_at: t.expires_at.as_deref().map(parse_time).transpose()?,
        remaining_uses: t.remaining_uses,
    };
    let trust = directory.create_trust(&caller.0, new).await?;
    Ok(created("trust", view(&directory, &trust, false)))
}

pub async fn list(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    RawQuery(query): RawQuery,
) -> KsResult<Response> {
    let query = crate::query::Query::parse(query.as_deref());
    let trustor = query.last("trustor_user_id").map(str::to_owned);
    let trustee = query.last("trustee_user_id").map(str::to_owned);
    let items: Vec<Value> = directory
        .trusts()
        .await?
        .iter()
        .filter(|t| t.readable_by(&caller.0))
        .filter(|t| {
            let named = |k, x: &str| keystone::KsUserId(latchkey_core::model::UserId(k)).is(x);
            trustor.as_deref().is_none_or(|x| named(t.trustor, x))
                && trustee.as_deref().is_none_or(|x| named(t.trustee, x))
        })
        .map(|t| view(&directory, t, true))
        .collect();
    Ok(collection(
        &directory,
        "trusts",
        "OS-TRUST/trusts",
        json!(items),
    ))
}

pub async fn get(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let trust = readable(&directory, &caller, &id).await?;
    Ok(one("trust", view(&directory, &trust, false)))
}

pub async fn delete(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let trust = readable(&directory, &caller, &id).await?;
    if !trust.deletable_by(&caller.0) {
        return Err(KsError::forbidden("Only the trustor deletes a trust."));
    }
    directory.delete_trust(&caller.0, &trust).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn roles(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let trust = readable(&directory, &caller, &id).await?;
    let roles: Vec<_> = trust
        .roles
        .iter()
        .filter_map(|r| directory.keystone_role(r).ok())
        .map(|r| json!(views::role(&directory, &r)))
        .collect();
    Ok(collection(
        &directory,
        "roles",
        &format!("OS-TRUST/trusts/{id}/roles"),
        json!(roles),
    ))
}

/// `GET` (the role) or `HEAD` (200) of a role the trust delegates; 404 otherwise.
pub async fn role(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    method: Method,
    Path((id, role)): Path<(String, String)>,
) -> KsResult<Response> {
    let trust = readable(&directory, &caller, &id).await?;
    if !trust.roles.contains(&role) {
        return Err(KsError::not_found(format!(
            "Role {role} is not delegated by trust {id}."
        )));
    }
    if method == Method::HEAD {
        return Ok(StatusCode::OK.into_response());
    }
    let role = directory.keystone_role(&role)?;
    Ok(one("role", views::role(&directory, &role)))
}
