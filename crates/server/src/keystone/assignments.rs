//! `GET /v3/role_assignments`: the query parsed, the listing made in core
//! ([`Directory::keystone_assignments`]), each row rendered in Keystone's shape.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use latchkey_core::keystone::assignments::AssignmentRow;
use latchkey_core::keystone::snapshot::Catalog;
use latchkey_core::keystone::{self, Actor, Target, domain_id, domain_name};
use latchkey_core::model::Account;
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::assignments::{AccountAssignments, AssignmentQuery};
use serde::Serialize;

use super::{KsCaller, KsError, KsResult, collection};

/// Reads Keystone's filters: `user.id`, `group.id`, `scope.project.id`, `scope.domain.id`,
/// `scope.system`, `role.id`, `scope.OS-INHERIT:inherited_to`, `effective`, and
/// `include_names` (answered beside the query).
fn parse(query: Option<&str>) -> KsResult<(AssignmentQuery, bool)> {
    let mut q = AssignmentQuery::default();
    let mut include_names = false;
    let truthy = |v: &str| !matches!(v.to_ascii_lowercase().as_str(), "0" | "false");
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "user.id" => q.user = Some(v.into_owned()),
            "group.id" => q.group = Some(v.into_owned()),
            "scope.project.id" => q.project = Some(v.into_owned()),
            "scope.domain.id" => q.domain = Some(v.into_owned()),
            "scope.system" => q.system = true,
            "role.id" => q.role = Some(v.into_owned()),
            "effective" => q.effective = truthy(&v),
            "include_names" => include_names = truthy(&v),
            "scope.OS-INHERIT:inherited_to" => q.inherited = v == "projects",
            "include_subtree" => {}
            other => {
                return Err(KsError::bad_request(format!(
                    "Unknown filter {other:?} on role assignments."
                )));
            }
        }
    }
    if q.effective && q.group.is_some() {
        return Err(KsError::bad_request(
            "group.id cannot be combined with effective: effective assignments are users'.",
        ));
    }
    Ok((q, include_names))
}

/// `GET /v3/role_assignments`, with Keystone's filters, `effective` (group grants expanded to
/// their members, implied roles added) and `include_names`.
pub async fn assignments(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    RawQuery(query): RawQuery,
) -> KsResult<Response> {
    let (q, include_names) = parse(query.as_deref())?;
    let mut list = Vec::new();
    let catalog = directory.keystone_catalog();
    for listing in directory.keystone_assignments(&caller.0, &q).await? {
        let render = Render {
            directory: &directory,
            catalog: &catalog,
            listing: &listing,
            include_names,
        };
        for row in &listing.rows {
            list.push(render.row(row).await?);
        }
    }
    Ok(collection(
        &directory,
        "role_assignments",
        "role_assignments",
        serde_json::to_value(list).map_err(latchkey_core::Error::internal)?,
    ))
}

/// A domain, project, role or actor by id, with its name (and domain) under `include_names`.
#[derive(Debug, Serialize)]
struct Named {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<Box<Named>>,
}

impl Named {
    fn id(id: impl Into<String>) -> Self {
        Named {
            id: id.into(),
            name: None,
            domain: None,
        }
    }

    fn domain_of(account: &Account) -> Self {
        Named {
            id: domain_id(account),
            name: Some(domain_name(account)),
            domain: None,
        }
    }
}

#[derive(Debug, Serialize)]
struct SystemAll {
    all: bool,
}

#[derive(Debug, Serialize)]
struct ScopeView {
    #[serde(skip_serializing_if = "Option::is_none")]
    project: Option<Named>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<Named>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<SystemAll>,
    #[serde(
        rename = "OS-INHERIT:inherited_to",
        skip_serializing_if = "Option::is_none"
    )]
    inherited_to: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct LinksView {
    assignment: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    membership: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prior_role: Option<String>,
}

/// One role assignment as Keystone lists it.
#[derive(Debug, Serialize)]
struct AssignmentView {
    role: Named,
    scope: ScopeView,
    links: LinksView,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<Named>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<Named>,
}

/// Renders the rows of one account's listing.
struct Render<'a> {
    directory: &'a Directory,
    /// The roles, for their names.
    catalog: &'a Catalog,
    listing: &'a AccountAssignments,
    include_names: bool,
}

impl Render<'_> {
    async fn row(&self, row: &AssignmentRow) -> KsResult<AssignmentView> {
        let issuer = self.directory.issuer();
        let (user, group) = match &row.actor {
            Actor::User(id) => (Some(self.user(*id).await?), None),
            Actor::Client(id) => (Some(Named::id(id.to_string())), None),
            Actor::Group(name) => (None, Some(self.group(name.as_str()))),
        };
        let actor_id = user.as_ref().or(group.as_ref()).map(|a| a.id.clone());
        let membership = row
            .via
            .as_ref()
            .and_then(|g| self.listing.group(g.as_str()))
            .zip(actor_id)
            .map(|(g, actor)| {
                format!(
                    "{issuer}/v3/groups/{}/users/{actor}",
                    keystone::KsGroupId(g.id)
                )
            });
        Ok(AssignmentView {
            role: self.role(&row.role_id),
            scope: self.scope(&row.target),
            links: LinksView {
                assignment: format!("{issuer}/v3/role_assignments"),
                membership,
                prior_role: row
                    .prior
                    .as_ref()
                    .map(|prior| format!("{issuer}/v3/roles/{prior}")),
            },
            user,
            group,
        })
    }

    fn names(&self) -> bool {
        self.include_names
    }

    fn role(&self, id: &str) -> Named {
        let mut role = Named::id(id);
        if self.names() {
            role.name = self.catalog.role(id).map(|r| r.name.as_str().to_owned());
        }
        role
    }

    fn scope(&self, target: &Target) -> ScopeView {
        let account = &self.listing.account;
        let mut scope = ScopeView {
            project: None,
            domain: None,
            system: None,
            inherited_to: target.inherited().then_some("projects"),
        };
        match target {
            Target::Project(id) | Target::ProjectsBelow(id) => {
                let mut project = Named::id(id.as_str());
                if self.names()
                    && let Some(p) = self.listing.tenancy.project(id)
                {
                    project.name = Some(p.name.as_str().to_owned());
                    project.domain = Some(Box::new(Named::domain_of(account)));
                }
                scope.project = Some(project);
            }
            Target::Domain | Target::DomainProjects => {
                scope.domain = Some(if self.names() {
                    Named::domain_of(account)
                } else {
                    Named::id(domain_id(account))
                });
            }
            Target::System => scope.system = Some(SystemAll { all: true }),
        }
        scope
    }

    /// A user, named with its own domain (another than the listing's, for a member from
    /// elsewhere).
    async fn user(&self, id: latchkey_core::model::UserId) -> KsResult<Named> {
        let mut named = Named::id(keystone::KsUserId(id).to_string());
        let Some(user) = self.listing.user(id).filter(|_| self.names()) else {
            return Ok(named);
        };
        named.name = Some(user.login.to_string());
        let account = &self.listing.account;
        let home = if user.account_id == account.id {
            None
        } else {
            self.directory.cached_account(user.account_id).await?
        };
        named.domain = Some(Box::new(Named::domain_of(
            home.as_deref().unwrap_or(account),
        )));
        Ok(named)
    }

    fn group(&self, name: &str) -> Named {
        let group = self.listing.group(name);
        let mut named =
            Named::id(group.map_or_else(String::new, |g| keystone::KsGroupId(g.id).to_string()));
        if self.names() {
            named.name = Some(name.to_owned());
            named.domain = Some(Box::new(Named::domain_of(&self.listing.account)));
        }
        named
    }
}
