//! `/v3/projects` and `/v3/users/{id}/projects`.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use latchkey_core::authz::Permit;
use latchkey_core::authz::{
    KS_PROJECT_CREATE, KS_PROJECT_DELETE, KS_PROJECT_EDIT, KS_PROJECT_GET, Subject,
};
use latchkey_core::keystone::{self, domain_id};
use latchkey_core::model::Account;
use latchkey_core::names::{Description, DisplayName};
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::KeystoneKind;
use latchkey_core::service::keystone::admin::{NewProject, ProjectChanges};
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::{KsBody, KsJson, Wrapped, required};
use super::domains::{self, DomainBody};
use super::filters::Filters;
use super::{KsCaller, KsError, KsResult, collection, created, one, views};

/// The body of `POST` and `PATCH /v3/projects[/{id}]`.
#[derive(Debug, Deserialize)]
pub struct ProjectBody {
    name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
    domain_id: Option<String>,
    parent_id: Option<String>,
    is_domain: Option<bool>,
    tags: Option<Vec<String>>,
}

impl Wrapped for ProjectBody {
    const KEY: &'static str = "project";
}

impl ProjectBody {
    /// The project acting as a domain, as the domain it is.
    fn into_domain(self) -> DomainBody {
        DomainBody {
            name: self.name,
            description: self.description,
            enabled: self.enabled,
        }
    }
}

/// The body of `PUT /v3/projects/{id}/tags`.
#[derive(Debug, Deserialize)]
pub struct TagList {
    tags: Option<Vec<String>>,
}

pub async fn list(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    RawQuery(query): RawQuery,
) -> KsResult<Response> {
    let filters = Filters::parse(query.as_deref());
    let mut list = Vec::new();
    if filters.is_domain == Some(true) {
        // Domains, as the projects that act as them.
        for (_, account) in caller
            .listing(&directory, &KS_PROJECT_GET, filters.domain_id.as_deref())
            .await?
        {
            if filters.domain_passes(&account) {
                list.push(json!(views::domain_project(&directory, &account)));
            }
        }
        return Ok(collection(&directory, "projects", "projects", json!(list)));
    }
    for (permit, account) in caller
        .listing(&directory, &KS_PROJECT_GET, filters.domain_id.as_deref())
        .await?
    {
        for p in directory.projects(&permit).await? {
            if filters.project_passes(&account, &p) {
                list.push(json!(views::project(&directory, &account, &p)));
            }
        }
    }
    Ok(collection(&directory, "projects", "projects", json!(list)))
}

/// A project's name: 1 to 64 characters, as Keystone's schema has it.
fn project_name(name: &str) -> KsResult<DisplayName> {
    if name.trim().is_empty() || name.chars().count() > 64 {
        return Err(KsError::bad_request(
            "Invalid input for field 'name': a project name has 1 to 64 characters.",
        ));
    }
    Ok(DisplayName::parse(name)?)
}

pub async fn create(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    KsBody(p): KsBody<ProjectBody>,
) -> KsResult<Response> {
    if p.is_domain == Some(true) {
        // A project that acts as a domain is a domain: a new account.
        return domains::create_domain_from(&directory, &caller, p.into_domain(), "project").await;
    }
    let name = project_name(&required(p.name, "name")?)?;
    // The parent names the domain when it is a project; a domain id as parent means the top.
    let mut domain = p.domain_id;
    let mut parent_id = None;
    if let Some(parent) = p.parent_id {
        if let Some(account) = directory
            .keystone_home(KeystoneKind::Project, &parent)
            .await?
        {
            if domain.as_deref().is_some_and(|d| d != domain_id(&account)) {
                return Err(KsError::bad_request(
                    "The parent project is in another domain.",
                ));
            }
            domain = Some(domain_id(&account));
            parent_id = Some(parent);
        } else if domain.as_deref().is_none_or(|d| d == parent) {
            domain = Some(parent);
        } else {
            return Err(KsError::not_found(format!(
                "Could not find project: {parent}."
            )));
        }
    }
    let (permit, account) = caller
        .permit_in_domain(&directory, &KS_PROJECT_CREATE, domain.as_deref())
        .await?;
    let new = NewProject {
        name,
        description: Description::parse(p.description.as_deref().unwrap_or_default())?,
        enabled: p.enabled.unwrap_or(true),
        parent_id,
        tags: p.tags.unwrap_or_default(),
    };
    let project = directory.create_project(&permit, new).await?;
    Ok(created(
        "project",
        views::project(&directory, &account, &project),
    ))
}

/// The domain a project id names, when it names one (the project acting as the domain).
async fn as_domain(
    directory: &Directory,
    caller: &KsCaller,
    id: &str,
) -> KsResult<Option<Arc<Account>>> {
    if directory
        .keystone_home(KeystoneKind::Project, id)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    if keystone::names_domain(&caller.0.account, id) {
        return Ok(Some(Arc::clone(&caller.0.account)));
    }
    Ok(directory.keystone_home(KeystoneKind::Domain, id).await?)
}

pub async fn get(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    // A token scoped to the project may read it, as in Keystone.
    if let Some(project) = caller.0.project.as_ref().filter(|p| p.id == id) {
        let body = json!({ "project": views::project(&directory, &caller.0.account, project) });
        return Ok(axum::Json(body).into_response());
    }
    if let Some(account) = as_domain(&directory, &caller, &id).await? {
        caller.permit_in(&directory, &KS_PROJECT_GET, &account)?;
        let body = json!({ "project": views::domain_project(&directory, &account) });
        return Ok(axum::Json(body).into_response());
    }
    let (permit, account) = caller
        .permit_at(&directory, &KS_PROJECT_GET, KeystoneKind::Project, &id)
        .await?;
    let project = directory.project(&permit, &id).await?;
    Ok(one(
        "project",
        views::project(&directory, &account, &project),
    ))
}

pub async fn update(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    KsBody(p): KsBody<ProjectBody>,
) -> KsResult<Response> {
    if as_domain(&directory, &caller, &id).await?.is_some() {
        return domains::update_domain_from(&directory, &caller, &id, p.into_domain(), "project")
            .await;
    }
    let (permit, account) = caller
        .permit_at(&directory, &KS_PROJECT_EDIT, KeystoneKind::Project, &id)
        .await?;
    // Where a project sits is fixed: a request may repeat it, not change it.
    if p.domain_id.is_some() || p.parent_id.is_some() || p.is_domain.is_some() {
        let current = directory.project(&permit, &id).await?;
        let parent = current
            .parent_id
            .clone()
            .unwrap_or_else(|| domain_id(&account));
        let moved = [
            (
                "domain_id",
                p.domain_id
                    .as_ref()
                    .is_some_and(|d| *d != domain_id(&account)),
            ),
            (
                "parent_id",
                p.parent_id.as_ref().is_some_and(|x| *x != parent),
            ),
            ("is_domain", p.is_domain == Some(true)),
        ];
        if let Some((key, _)) = moved.iter().find(|(_, moved)| *moved) {
            return Err(KsError::bad_request(format!(
                "A project's {key} cannot change."
            )));
        }
    }
    let changes = ProjectChanges {
        name: p.name.as_deref().map(project_name).transpose()?,
        description: p
            .description
            .as_deref()
            .map(Description::parse)
            .transpose()?,
        enabled: p.enabled,
        tags: p.tags,
    };
    let project = directory.update_project(&permit, &id, changes).await?;
    Ok(one(
        "project",
        views::project(&directory, &account, &project),
    ))
}

pub async fn delete(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    if as_domain(&directory, &caller, &id).await?.is_some() {
        return domains::delete_domain_by_id(&directory, &caller, &id)
            .await
            .map(IntoResponse::into_response);
    }
    let (permit, _) = caller
        .permit_at(&directory, &KS_PROJECT_DELETE, KeystoneKind::Project, &id)
        .await?;
    directory.delete_project(&permit, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The tags of a project, and a permit to change them (`edit`) or read them.
async fn tagged(
    directory: &Directory,
    caller: &KsCaller,
    id: &str,
    edit: bool,
) -> KsResult<(Permit, Vec<String>)> {
    let action = if edit {
        &KS_PROJECT_EDIT
    } else {
        &KS_PROJECT_GET
    };
    let (permit, _) = caller
        .permit_at(directory, action, KeystoneKind::Project, id)
        .await?;
    let project = directory.project(&permit, id).await?;
    Ok((permit, project.tags.clone()))
}

async fn set_tags(
    directory: &Directory,
    permit: &Permit,
    id: &str,
    tags: Vec<String>,
) -> KsResult<Vec<String>> {
    let changes = ProjectChanges {
        tags: Some(tags),
        ..ProjectChanges::default()
    };
    Ok(directory
        .update_project(permit, id, changes)
        .await?
        .tags
        .clone())
}

/// `GET`/`HEAD /v3/projects/{id}/tags`.
pub async fn tags(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let (_, tags) = tagged(&directory, &caller, &id, false).await?;
    Ok(one("tags", tags))
}

/// `PUT /v3/projects/{id}/tags`: replaces them all.
pub async fn replace_tags(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    KsJson(body): KsJson<TagList>,
) -> KsResult<Response> {
    let (permit, _) = tagged(&directory, &caller, &id, true).await?;
    let tags = set_tags(&directory, &permit, &id, required(body.tags, "tags")?).await?;
    Ok(one("tags", tags))
}

/// `DELETE /v3/projects/{id}/tags`: removes them all.
pub async fn clear_tags(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let (permit, _) = tagged(&directory, &caller, &id, true).await?;
    set_tags(&directory, &permit, &id, Vec::new()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET`/`HEAD /v3/projects/{id}/tags/{tag}` (204 or 404), `PUT` (add, 201), `DELETE` (204).
pub async fn tag(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    method: Method,
    Path((id, tag)): Path<(String, String)>,
) -> KsResult<Response> {
    let edit = matches!(method, Method::PUT | Method::DELETE);
    let (permit, mut tags) = tagged(&directory, &caller, &id, edit).await?;
    let present = tags.contains(&tag);
    match method {
        Method::PUT => {
            // Keystone answers an empty 201 with the tag's address in `Location`.
            let path = format!(
                "projects/{id}/tags/{}",
                percent_encoding::utf8_percent_encode(&tag, percent_encoding::NON_ALPHANUMERIC)
            );
            if !present {
                tags.push(tag);
                set_tags(&directory, &permit, &id, tags).await?;
            }
            let location = views::links(&directory, &path).href;
            Ok((StatusCode::CREATED, [(header::LOCATION, location)]).into_response())
        }
        Method::DELETE if present => {
            tags.retain(|t| *t != tag);
            set_tags(&directory, &permit, &id, tags).await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        _ if present => Ok(StatusCode::NO_CONTENT.into_response()),
        _ => Err(KsError::not_found(format!(
            "Tag {tag} not found for project {id}."
        ))),
    }
}

/// `GET /v3/users/{id}/projects`: the caller's own, or any user's with `project/get`.
pub async fn of_user(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(user): Path<String>,
) -> KsResult<Response> {
    let is_self =
        matches!(&caller.0.subject, Subject::User(u) if keystone::KsUserId(u.id).is(&user));
    // Its own projects, of every domain, a user reads as `GET /v3/auth/projects` answers them;
    // another's, within the domain the caller may read.
    let list: Vec<Value> = if is_self {
        directory
            .keystone_projects_of(&caller.0)
            .await?
            .iter()
            .map(|(account, p)| json!(views::project(&directory, account, p)))
            .collect()
    } else {
        let (_, account) = caller
            .permit_at(&directory, &KS_PROJECT_GET, KeystoneKind::User, &user)
            .await?;
        let found = directory
            .user_by_keystone_id(account.id, &user)
            .await?
            .ok_or_else(|| KsError::not_found(format!("Could not find user: {user}.")))?;
        let tenancy = directory.tenancy(account.id).await?;
        let actors = latchkey_core::service::Directory::user_actors(&found, account.id, &tenancy);
        tenancy
            .projects_of(&actors)
            .iter()
            .map(|p| json!(views::project(&directory, &account, p)))
            .collect()
    };
    Ok(collection(
        &directory,
        "projects",
        &format!("users/{user}/projects"),
        json!(list),
    ))
}
