//! `/v3/roles` (global; changes are the operator's), implied roles, grants on projects, the
//! domain and the system, and `/v3/role_assignments`.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use latchkey_core::authz::{
    KS_GRANT_CREATE, KS_GRANT_DELETE, KS_GRANT_GET, KS_ROLE_MANAGE, Permit, USER_GET,
};
use latchkey_core::keystone::assignments::{AssignmentFilter, AssignmentRow};
use latchkey_core::keystone::{self, Actor, Assignment, KsRole, Target, domain_id};
use latchkey_core::model::Account;
use latchkey_core::names::{ClientId, Description, DisplayName};
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::KeystoneKind;
use latchkey_core::service::keystone::access::AssignmentTargets;
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::{KsBody, Wrapped, required};
use super::{KsCaller, KsError, KsResult, collection, self_link, views};

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
    let filters = super::projects::Filters::parse(query.as_deref());
    let catalog = directory.keystone_catalog();
    // Global roles, or with `domain_id` that domain's own roles, as Keystone lists them.
    let list: Vec<Value> = catalog
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
    Ok(axum::Json(json!({ "role": views::role(&directory, &role) })).into_response())
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
    let body = json!({ "role": views::role(&directory, &role) });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
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
    Ok(axum::Json(json!({ "role": views::role(&directory, &role) })).into_response())
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
    let implies: Vec<Value> = implied
        .iter()
        .filter_map(|id| directory.keystone_role(id).ok())
        .map(|r| views::role_ref(directory, &r))
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

/// The actor `{users|groups}/{id}` names for a grant in the permit's account. A service account
/// is named as a user by its client id, the user id its tokens show. A user may be another
/// domain's, when the caller may read that domain's users (its id is the installation's); a
/// group holds roles in its own domain only, because a grant names its group by name.
async fn actor(
    directory: &Directory,
    caller: &KsCaller,
    permit: &Permit,
    (kind, id): (&str, &str),
) -> KsResult<Actor> {
    let no_user = || KsError::not_found(format!("Could not find user: {id}."));
    match kind {
        "users" => {
            if let Some(user) = directory.user_by_keystone_id(permit.account(), id).await? {
                return Ok(Actor::User(user.id));
            }
            if let Some(home) = directory.keystone_home(KeystoneKind::User, id).await? {
                let there = caller.permit_in(directory, &USER_GET, &home)?;
                if let Some(user) = directory.user_by_keystone_id(there.account(), id).await? {
                    return Ok(Actor::User(user.id));
                }
            }
            let client = ClientId::parse(id).map_err(|_| no_user())?;
            match directory.service_account(permit, &client).await {
                Ok(sa) => Ok(Actor::Client(sa.client_id.clone())),
                Err(latchkey_core::Error::NotFound(_)) => Err(no_user()),
                Err(e) => Err(e.into()),
            }
        }
        "groups" => {
            if let Some(group) = directory.group_by_keystone_id(permit, id).await? {
                return Ok(Actor::Group(group.name));
            }
            if directory
                .keystone_home(KeystoneKind::Group, id)
                .await?
                .is_some()
            {
                return Err(KsError::bad_request(format!(
                    "Group {id} belongs to another domain: a group holds roles on its own \
                     domain, its projects and the system."
                )));
            }
            Err(KsError::not_found(format!("Could not find group: {id}.")))
        }
        _ => Err(KsError::not_found("no such route")),
    }
}

/// The target named by `{projects|domains}/{id}`, and the account it belongs to (the caller's
/// unless a cloud administrator names another domain's).
async fn target(
    directory: &Directory,
    caller: &KsCaller,
    kind: &str,
    id: &str,
) -> KsResult<(Target, Arc<Account>)> {
    match kind {
        "projects" => {
            let account = directory
                .keystone_home(KeystoneKind::Project, id)
                .await?
                .unwrap_or_else(|| Arc::clone(&caller.0.account));
            Ok((Target::Project(id.to_owned()), account))
        }
        "domains" => Ok((Target::Domain, caller.domain(directory, id).await?)),
        _ => Err(KsError::not_found("no such route")),
    }
}

type GrantPath = (String, String, String, String, String);

/// What a request does to one grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GrantOp {
    Grant,
    Check,
    Revoke,
}

/// Grants, checks (204 or 404) or revokes `role` for the actor named by `{users|groups}/{id}`.
async fn on_grant(
    directory: &Directory,
    caller: &KsCaller,
    op: GrantOp,
    (target, account): (Target, Arc<Account>),
    (actor_kind, actor_id): (&str, &str),
    role: String,
) -> KsResult<Response> {
    let action = match op {
        GrantOp::Grant => &KS_GRANT_CREATE,
        GrantOp::Check => &KS_GRANT_GET,
        GrantOp::Revoke => &KS_GRANT_DELETE,
    };
    let permit = caller.permit_in(directory, action, &account)?;
    let assignment = Assignment {
        actor: actor(directory, caller, &permit, (actor_kind, actor_id)).await?,
        target,
        role_id: role,
    };
    match op {
        GrantOp::Grant => directory.grant_role(&permit, assignment).await?,
        GrantOp::Revoke => directory.revoke_role(&permit, assignment).await?,
        GrantOp::Check => {
            let held = directory
                .roles_granted(&permit, &assignment.actor, &assignment.target)
                .await?;
            if !held.contains(&assignment.role_id) {
                return Err(KsError::not_found("The role is not granted there."));
            }
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

impl GrantOp {
    /// `PUT` grants, `DELETE` revokes, `GET` and `HEAD` check.
    fn of(method: &Method) -> Self {
        match *method {
            Method::PUT => GrantOp::Grant,
            Method::DELETE => GrantOp::Revoke,
            _ => GrantOp::Check,
        }
    }
}

/// `PUT|HEAD|GET|DELETE /v3/{projects|domains}/{id}/{users|groups}/{id}/roles/{role}`.
pub async fn on_target_grant(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    method: Method,
    Path((kind, target_id, actor_kind, actor_id, role)): Path<GrantPath>,
) -> KsResult<Response> {
    let target = target(&directory, &caller, &kind, &target_id).await?;
    let who = (actor_kind.as_str(), actor_id.as_str());
    on_grant(&directory, &caller, GrantOp::of(&method), target, who, role).await
}

/// The inherited form of a target (OS-INHERIT's `inherited_to_projects`).
fn inherited((target, account): (Target, Arc<Account>)) -> (Target, Arc<Account>) {
    let target = match target {
        Target::Project(id) => Target::ProjectsBelow(id),
        Target::Domain => Target::DomainProjects,
        other => other,
    };
    (target, account)
}

/// `PUT|HEAD|GET|DELETE /v3/OS-INHERIT/{projects|domains}/{id}/{users|groups}/{id}/roles/{role}/
/// inherited_to_projects`: a grant held on every project below the target.
pub async fn on_inherited_grant(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    method: Method,
    Path((kind, target_id, actor_kind, actor_id, role)): Path<GrantPath>,
) -> KsResult<Response> {
    let target = inherited(target(&directory, &caller, &kind, &target_id).await?);
    let who = (actor_kind.as_str(), actor_id.as_str());
    on_grant(&directory, &caller, GrantOp::of(&method), target, who, role).await
}

/// `GET /v3/OS-INHERIT/{projects|domains}/{id}/{users|groups}/{id}/roles/inherited_to_projects`.
pub async fn list_inherited_grants(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path((kind, target_id, actor_kind, actor_id)): Path<(String, String, String, String)>,
) -> KsResult<Response> {
    let target = inherited(target(&directory, &caller, &kind, &target_id).await?);
    let path = format!(
        "OS-INHERIT/{kind}/{target_id}/{actor_kind}/{actor_id}/roles/inherited_to_projects"
    );
    grants_listed(&directory, &caller, target, (&actor_kind, &actor_id), &path).await
}

/// The roles granted to the actor named by `{users|groups}/{id}` on a target of an account,
/// answered as the collection at `path`.
async fn grants_listed(
    directory: &Directory,
    caller: &KsCaller,
    (target, account): (Target, Arc<Account>),
    (actor_kind, actor_id): (&str, &str),
    path: &str,
) -> KsResult<Response> {
    let permit = caller.permit_in(directory, &KS_GRANT_GET, &account)?;
    let who = actor(directory, caller, &permit, (actor_kind, actor_id)).await?;
    if let Target::Project(id) | Target::ProjectsBelow(id) = &target {
        directory.project(&permit, id).await?;
    }
    roles_held(directory, &permit, &who, &target, path).await
}

/// `GET /v3/{projects|domains}/{id}/{users|groups}/{id}/roles`.
pub async fn list_grants(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path((kind, target_id, actor_kind, actor_id)): Path<(String, String, String, String)>,
) -> KsResult<Response> {
    let target = target(&directory, &caller, &kind, &target_id).await?;
    let path = format!("{kind}/{target_id}/{actor_kind}/{actor_id}/roles");
    grants_listed(&directory, &caller, target, (&actor_kind, &actor_id), &path).await
}

async fn roles_held(
    directory: &Directory,
    permit: &Permit,
    who: &Actor,
    target: &Target,
    path: &str,
) -> KsResult<Response> {
    let list: Vec<Value> = directory
        .roles_granted(permit, who, target)
        .await?
        .iter()
        .filter_map(|id| directory.keystone_role(id).ok())
        .map(|r| views::role(directory, &r))
        .collect();
    Ok(collection(directory, "roles", path, json!(list)))
}

pub async fn list_system_grants(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path((actor_kind, actor_id)): Path<(String, String)>,
) -> KsResult<Response> {
    let system = on_system(&directory, &caller, &actor_kind, &actor_id).await?;
    let path = format!("system/{actor_kind}/{actor_id}/roles");
    grants_listed(&directory, &caller, system, (&actor_kind, &actor_id), &path).await
}

/// `PUT|HEAD|GET|DELETE /v3/system/{users|groups}/{id}/roles/{role}`.
pub async fn on_system_grant(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    method: Method,
    Path((actor_kind, actor_id, role)): Path<(String, String, String)>,
) -> KsResult<Response> {
    let who = (actor_kind.as_str(), actor_id.as_str());
    let op = GrantOp::of(&method);
    let system = on_system(&directory, &caller, &actor_kind, &actor_id).await?;
    // A role on the system makes a cloud administrator or reader of whoever holds it, so outside
    // the operator's domain only a cloud administrator grants or revokes one, never the
    // domain's own administrators.
    if op != GrantOp::Check && !system.1.operator && !caller.is_cloud_admin() {
        return Err(KsError::forbidden(
            "Only a cloud administrator grants roles on the system to another domain's identities.",
        ));
    }
    on_grant(&directory, &caller, op, system, who, role).await
}

/// The system as a grant target for the actor `{users|groups}/{id}`: a grant on the system is
/// kept in the actor's own domain (the caller's when no user or group has that id).
async fn on_system(
    directory: &Directory,
    caller: &KsCaller,
    actor_kind: &str,
    actor_id: &str,
) -> KsResult<(Target, Arc<Account>)> {
    let kind = match actor_kind {
        "users" => KeystoneKind::User,
        "groups" => KeystoneKind::Group,
        _ => return Err(KsError::not_found("no such route")),
    };
    let account = directory
        .keystone_home(kind, actor_id)
        .await?
        .unwrap_or_else(|| Arc::clone(&caller.0.account));
    Ok((Target::System, account))
}

/// Filters of `GET /v3/role_assignments`.
#[derive(Default)]
struct AssignmentQuery {
    user: Option<String>,
    group: Option<String>,
    project: Option<String>,
    domain: Option<String>,
    system: bool,
    role: Option<String>,
    effective: bool,
    include_names: bool,
    /// `scope.OS-INHERIT:inherited_to=projects`: only inherited grants.
    inherited: bool,
}

impl AssignmentQuery {
    fn parse(query: Option<&str>) -> KsResult<Self> {
        let mut q = AssignmentQuery::default();
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
                "include_names" => q.include_names = truthy(&v),
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
        Ok(q)
    }
}

/// `GET /v3/role_assignments`, with Keystone's filters, `effective` (group grants expanded to
/// their members, implied roles added) and `include_names`.
pub async fn assignments(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    RawQuery(query): RawQuery,
) -> KsResult<Response> {
    let q = AssignmentQuery::parse(query.as_deref())?;
    let mut list = Vec::new();
    let named = AssignmentTargets {
        project: q.project.as_deref(),
        domain: q.domain.as_deref(),
        group: q.group.as_deref(),
        user: q.user.as_deref(),
        system: q.system,
    };
    for (account, required) in directory
        .keystone_assignment_accounts(&caller.0, &named)
        .await?
    {
        match caller.permit_in(&directory, &KS_GRANT_GET, &account) {
            Ok(permit) => list.extend(assignments_in(&directory, &permit, &account, &q).await?),
            Err(e) if required => return Err(e),
            // Another domain holding grants to the user, which the caller may not read.
            Err(_) => {}
        }
    }
    Ok(collection(
        &directory,
        "role_assignments",
        "role_assignments",
        json!(list),
    ))
}

/// The assignments of one account that the query selects, rendered.
async fn assignments_in(
    directory: &Directory,
    permit: &Permit,
    account: &Arc<Account>,
    q: &AssignmentQuery,
) -> KsResult<Vec<Value>> {
    let account = Arc::clone(account);
    let catalog = directory.keystone_catalog();
    let tenancy = directory.tenancy(account.id).await?;
    let mut users = directory.users_of(permit).await?;
    let mut groups = Vec::new();
    for name in directory.list_groups(permit).await? {
        groups.push(directory.group(permit, &name).await?);
    }
    // Users of other domains holding grants or memberships here, for names and expansion.
    let mut foreign: Vec<latchkey_core::model::UserId> = tenancy
        .assignments
        .iter()
        .filter_map(|a| match a.actor {
            Actor::User(id) => Some(id),
            _ => None,
        })
        .chain(groups.iter().flat_map(|g| tenancy.members_of(&g.name)))
        .filter(|id| !users.iter().any(|u| u.id == *id))
        .collect();
    foreign.sort();
    foreign.dedup();
    for id in foreign {
        if let Some(user) = directory.cached_user(id).await? {
            users.push(user);
        }
    }
    let user_hex = |id: latchkey_core::model::UserId| keystone::user_id(id);
    let group_of = |name: &str| groups.iter().find(|g| g.name.as_str() == name);
    let group = match q.group.as_deref() {
        None => None,
        Some(id) => match groups.iter().find(|g| keystone::group_id(g.id) == id) {
            Some(g) => Some(g.name.clone()),
            // No group of this domain has that id: nothing here is held through it.
            None => return Ok(Vec::new()),
        },
    };
    let filter = AssignmentFilter {
        user: q.user.clone(),
        group,
        role: q.role.clone(),
        project: q.project.clone(),
        domain: q
            .domain
            .as_deref()
            .map(|d| keystone::names_domain(&account, d)),
        system: q.system,
        inherited: q.inherited,
        effective: q.effective,
    };
    let rows = tenancy.assignments(&catalog, account.id, &users, &filter);
    let domain = domain_id(&account);
    let mut list = Vec::new();
    for row in rows {
        let AssignmentRow {
            actor,
            target,
            role_id,
            prior,
            via,
        } = row;
        let (actor_key, actor_id, actor_name) = match &actor {
            Actor::User(id) => (
                "user",
                user_hex(*id),
                users
                    .iter()
                    .find(|u| u.id == *id)
                    .map(|u| u.login.to_string()),
            ),
            Actor::Group(name) => (
                "group",
                group_of(name.as_str()).map_or_else(String::new, |g| keystone::group_id(g.id)),
                Some(name.to_string()),
            ),
            Actor::Client(id) => ("user", id.to_string(), None),
        };
        let mut scope = match &target {
            Target::Project(id) | Target::ProjectsBelow(id) => {
                let mut project = json!({ "id": id });
                if q.include_names
                    && let Some(p) = tenancy.project(id)
                {
                    project["name"] = json!(p.name.as_str());
                    project["domain"] =
                        json!({ "id": domain, "name": keystone::domain_name(&account) });
                }
                json!({ "project": project })
            }
            Target::Domain | Target::DomainProjects => {
                let mut d = json!({ "id": domain });
                if q.include_names {
                    d["name"] = json!(keystone::domain_name(&account));
                }
                json!({ "domain": d })
            }
            Target::System => json!({ "system": { "all": true } }),
        };
        if target.inherited() {
            scope["OS-INHERIT:inherited_to"] = json!("projects");
        }
        let mut role = json!({ "id": role_id });
        if q.include_names
            && let Some(r) = catalog.role(&role_id)
        {
            role["name"] = json!(r.name.as_str());
        }
        let mut entity = json!({ "id": actor_id });
        if q.include_names
            && let Some(name) = actor_name
        {
            entity["name"] = json!(name);
            // A user of another domain is named with its own.
            let home = match &actor {
                Actor::User(id) => match users.iter().find(|u| u.id == *id) {
                    Some(u) if u.account_id != account.id => {
                        directory.cached_account(u.account_id).await?
                    }
                    _ => None,
                },
                _ => None,
            };
            let home = home.as_deref().unwrap_or(&account);
            entity["domain"] =
                json!({ "id": domain_id(home), "name": keystone::domain_name(home) });
        }
        let mut links =
            json!({ "assignment": format!("{}/v3/role_assignments", directory.issuer()) });
        if let Some(group) = via.as_ref().and_then(|g| group_of(g.as_str())) {
            links["membership"] = json!(format!(
                "{}/v3/groups/{}/users/{}",
                directory.issuer(),
                keystone::group_id(group.id),
                actor_id
            ));
        }
        let mut item = json!({ "role": role, "scope": scope, "links": links });
        item[actor_key] = entity;
        if let Some(prior) = prior {
            item["links"]["prior_role"] = json!(format!("{}/v3/roles/{prior}", directory.issuer()));
        }
        list.push(item);
    }
    Ok(list)
}
