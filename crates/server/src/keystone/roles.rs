//! `/v3/roles` (global; changes are the operator's) and implied roles. Grants are in
//! `grants.rs`, `/v3/role_assignments` in `assignments.rs`.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use latchkey_core::authz::KS_ROLE_MANAGE;
use latchkey_core::keystone::{KsRole, domain_id};
use latchkey_core::names::{Description, DisplayName};
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::KeystoneKind;
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::{KsBody, Wrapped, required};
use super::{KsCaller, KsError, KsResult, collection, created, one, self_link, views};

/// The body of `POST` and `PATCH /v3/roles[/{id}]`.
#[derive(Debug, Deserialize)]
pub struct RoleBody {
    name: Option<String>,
    description: Option<String>,
    domain_id: Option<String>,
}

impl Wrapped for RoleBody {
    const KEY: &'static str = "role";
}

pub async fn list(
    State(directory): State<Arc<Directory>>,
    _caller: KsCaller,
    RawQuery(query): RawQuery,
) -> KsResult<Response> {
    let filters = super::filters::Filters::parse(query.as_deref());
    let catalog = directory.keystone_catalog();
    // Global roles, or with `domain_id` that domain's own roles, as Keystone lists them.
    let list: Vec<_> = catalog
        .roles
        .iter()
        .filter(|r| filters.name.as_deref().is_none_or(|n| r.name.as_str() == n))
        .filter(|r| r.domain_id.as_deref() == filters.domain_id.as_deref())
        .map(|r| views::role(&directory, r))
        .collect();
    Ok(collection(&directory, "roles", "roles", json!(list)))
}

pub async fn get(
    State(directory): State<Arc<Directory>>,
    _caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let role = directory.keystone_role(&id)?;
    Ok(one("role", views::role(&directory, &role)))
}

pub async fn create(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    KsBody(r): KsBody<RoleBody>,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_ROLE_MANAGE)?;
    // A domain-specific role belongs to an existing domain, named by its canonical id.
    let domain = match r.domain_id {
        None => None,
        Some(d) => {
            let account = directory
                .keystone_home(KeystoneKind::Domain, &d)
                .await?
                .ok_or_else(|| KsError::not_found(format!("Could not find domain: {d}.")))?;
            Some(domain_id(&account))
        }
    };
    let name = required(r.name, "name")?;
    let role = directory
        .create_keystone_role(
            &permit,
            DisplayName::parse(&name)?,
            Description::parse(r.description.as_deref().unwrap_or_default())?,
            domain,
        )
        .await?;
    Ok(created("role", views::role(&directory, &role)))
}

pub async fn update(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    KsBody(r): KsBody<RoleBody>,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_ROLE_MANAGE)?;
    let role = directory
        .update_keystone_role(
            &permit,
            &id,
            r.name.as_deref().map(DisplayName::parse).transpose()?,
            r.description
                .as_deref()
                .map(Description::parse)
                .transpose()?,
        )
        .await?;
    Ok(one("role", views::role(&directory, &role)))
}

pub async fn delete(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_ROLE_MANAGE)?;
    directory.delete_keystone_role(&permit, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn inference(directory: &Directory, prior: &str, implied: &[String]) -> KsResult<Value> {
    let prior = directory.keystone_role(prior)?;
    let implies: Vec<_> = implied
        .iter()
        .filter_map(|id| directory.keystone_role(id).ok())
        .map(|r| json!(views::role_ref(directory, &r)))
        .collect();
    Ok(json!({ "prior_role": views::role_ref(directory, &prior), "implies": implies }))
}

/// `GET /v3/roles/{id}/implies`.
pub async fn implies(
    State(directory): State<Arc<Directory>>,
    _caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let catalog = directory.keystone_catalog();
    let implied: Vec<String> = catalog
        .implications
        .get(&id)
        .map(|s| s.iter().cloned().collect())
        .unwrap_or_default();
    let body = json!({
        "role_inference": inference(&directory, &id, &implied)?,
        "links": self_link(&directory, &format!("roles/{id}/implies")),
    });
    Ok(axum::Json(body).into_response())
}

/// `GET /v3/role_inferences`.
pub async fn inferences(
    State(directory): State<Arc<Directory>>,
    _caller: KsCaller,
) -> KsResult<Response> {
    let catalog = directory.keystone_catalog();
    let list = catalog
        .implications
        .iter()
        .map(|(prior, implied)| {
            inference(
                &directory,
                prior,
                &implied.iter().cloned().collect::<Vec<_>>(),
            )
        })
        .collect::<KsResult<Vec<Value>>>()?;
    let body = json!({
        "role_inferences": list,
        "links": self_link(&directory, "role_inferences"),
    });
    Ok(axum::Json(body).into_response())
}

pub async fn add_implied(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path((prior, implied)): Path<(String, String)>,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_ROLE_MANAGE)?;
    directory
        .create_implied_role(&permit, &prior, &implied)
        .await?;
    let prior_role = directory.keystone_role(&prior)?;
    let implied_role = directory.keystone_role(&implied)?;
    let body = one_inference(&directory, &prior_role, &implied_role);
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// One `role_inference` answer.
fn one_inference(directory: &Directory, prior: &KsRole, implied: &KsRole) -> Value {
    json!({
        "role_inference": {
            "prior_role": views::role_ref(directory, prior),
            "implies": views::role_ref(directory, implied),
        },
        "links": self_link(directory, &format!("roles/{}/implies/{}", prior.id, implied.id)),
    })
}

/// `HEAD` (204) or `GET` (200 with the inference) of one implication; 404 when there is none.
pub async fn check_implied(
    State(directory): State<Arc<Directory>>,
    _caller: KsCaller,
    method: Method,
    Path((prior, implied)): Path<(String, String)>,
) -> KsResult<Response> {
    let catalog = directory.keystone_catalog();
    if catalog
        .implications
        .get(&prior)
        .is_some_and(|s| s.contains(&implied))
    {
        if method == Method::HEAD {
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        let prior_role = directory.keystone_role(&prior)?;
        let implied_role = directory.keystone_role(&implied)?;
        Ok(axum::Json(one_inference(&directory, &prior_role, &implied_role)).into_response())
    } else {
        Err(KsError::not_found(format!(
            "Role {prior} does not imply {implied}."
        )))
    }
}

pub async fn remove_implied(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path((prior, implied)): Path<(String, String)>,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_ROLE_MANAGE)?;
    directory
        .delete_implied_role(&permit, &prior, &implied)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
