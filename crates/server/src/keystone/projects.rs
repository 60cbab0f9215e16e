//! `/v3/projects` and `/v3/users/{id}/projects`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use latchkey_core::authz::{
    KS_PROJECT_CREATE, KS_PROJECT_DELETE, KS_PROJECT_EDIT, KS_PROJECT_GET, Subject,
};
use latchkey_core::keystone::{self, domain_id};
use latchkey_core::names::{Description, DisplayName};
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::admin::ProjectChanges;
use serde_json::{Value, json};

use crate::iam::query::Query;

use super::{KsCaller, KsError, KsResult, collection, opt_bool, opt_str, views, wrapped};

/// Query filters Keystone's list calls accept: `name`, `domain_id`, `enabled`.
pub(crate) struct Filters {
    pub name: Option<String>,
    pub domain_id: Option<String>,
    pub enabled: Option<bool>,
}

impl Filters {
    pub fn parse(query: Option<&str>) -> Self {
        let query = Query::parse(query);
        Filters {
            name: query.last("name").map(str::to_owned),
            domain_id: query.last("domain_id").map(str::to_owned),
            enabled: query
                .last("enabled")
                .map(|v| !matches!(v.to_ascii_lowercase().as_str(), "0" | "false")),
        }
    }

    /// Whether the caller's domain passes the `domain_id` filter.
    pub fn domain_matches(&self, account: &latchkey_core::model::Account) -> bool {
        self.domain_id
            .as_deref()
            .is_none_or(|d| keystone::names_domain(account, d))
    }
}

pub async fn list(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    RawQuery(query): RawQuery,
) -> KsResult<Response> {
    let permit = caller.permit(&directory, &KS_PROJECT_GET)?;
    let filters = Filters::parse(query.as_deref());
    let account = &caller.0.account;
    let projects = if filters.domain_matches(account) {
        directory.projects(&permit).await?
    } else {
        vec![]
    };
    let list: Vec<Value> = projects
        .iter()
        .filter(|p| filters.name.as_deref().is_none_or(|n| p.name.as_str() == n))
        .filter(|p| filters.enabled.is_none_or(|e| p.enabled == e))
        .map(|p| views::project(&directory, account, p))
        .collect();
    Ok(collection(&directory, "projects", "projects", json!(list)))
}

pub async fn create(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    body: Bytes,
) -> KsResult<Response> {
    let permit = caller.permit(&directory, &KS_PROJECT_CREATE)?;
    let p = wrapped(&body, "project")?;
    let account = &caller.0.account;
    if opt_bool(&p, "is_domain")? == Some(true) {
        return Err(KsError::bad_request(
            "A project cannot act as a domain here: every domain is an account.",
        ));
    }
    for key in ["domain_id", "parent_id"] {
        if let Some(d) = opt_str(&p, key)?
            && d != domain_id(account)
        {
            return Err(KsError::forbidden(format!(
                "Projects can only be created in the caller's domain ({key} {d:?})."
            )));
        }
    }
    let name = opt_str(&p, "name")?
        .ok_or_else(|| KsError::bad_request("'name' is a required property"))?;
    let name = DisplayName::parse(name)?;
    let description = Description::parse(opt_str(&p, "description")?.unwrap_or_default())?;
    let enabled = opt_bool(&p, "enabled")?.unwrap_or(true);
    let project = directory
        .create_project(&permit, name, description, enabled)
        .await?;
    let body = json!({ "project": views::project(&directory, account, &project) });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

pub async fn get(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    // A token scoped to the project may read it, as in Keystone.
    let own = caller.0.project.as_ref().is_some_and(|p| p.id == id);
    let project = if own {
        caller
            .0
            .project
            .clone()
            .ok_or_else(|| KsError::not_found("no project"))?
    } else {
        let permit = caller.permit(&directory, &KS_PROJECT_GET)?;
        directory.project(&permit, &id).await?
    };
    let body = json!({ "project": views::project(&directory, &caller.0.account, &project) });
    Ok(axum::Json(body).into_response())
}

pub async fn update(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> KsResult<Response> {
    let permit = caller.permit(&directory, &KS_PROJECT_EDIT)?;
    let p = wrapped(&body, "project")?;
    let changes = ProjectChanges {
        name: opt_str(&p, "name")?.map(DisplayName::parse).transpose()?,
        description: opt_str(&p, "description")?
            .map(Description::parse)
            .transpose()?,
        enabled: opt_bool(&p, "enabled")?,
    };
    let project = directory.update_project(&permit, &id, changes).await?;
    let body = json!({ "project": views::project(&directory, &caller.0.account, &project) });
    Ok(axum::Json(body).into_response())
}

pub async fn delete(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let permit = caller.permit(&directory, &KS_PROJECT_DELETE)?;
    directory.delete_project(&permit, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /v3/users/{id}/projects`: the caller's own, or any user's with `project/get`.
pub async fn of_user(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(user): Path<String>,
) -> KsResult<Response> {
    let account = Arc::clone(&caller.0.account);
    let is_self = matches!(&caller.0.subject, Subject::User(u) if keystone::user_id(u.id) == user);
    if !is_self {
        caller.permit(&directory, &KS_PROJECT_GET)?;
    }
    let found = directory
        .user_by_keystone_id(account.id, &user)
        .await?
        .ok_or_else(|| KsError::not_found(format!("Could not find user: {user}.")))?;
    let tenancy = directory.tenancy(account.id).await?;
    let actors = latchkey_core::service::Directory::user_actors(&found);
    let list: Vec<Value> = tenancy
        .projects_of(&actors)
        .iter()
        .map(|p| views::project(&directory, &account, p))
        .collect();
    Ok(collection(
        &directory,
        "projects",
        &format!("users/{user}/projects"),
        json!(list),
    ))
}
