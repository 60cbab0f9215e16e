//! Grants of roles: on a project or the domain (`/v3/{projects|domains}/{id}/{users|groups}/
//! {id}/roles/{role}`), inherited to the projects below (OS-INHERIT), and on the system.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use latchkey_core::authz::{KS_GRANT_CREATE, KS_GRANT_DELETE, KS_GRANT_GET, Permit, USER_GET};
use latchkey_core::keystone::{Actor, Assignment, Target};
use latchkey_core::model::Account;
use latchkey_core::names::ClientId;
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::KeystoneKind;
use serde::Deserialize;
use serde_json::json;

use super::{KsCaller, KsError, KsResult, collection, views};

/// The path of one grant: `/v3/{kind}/{target}/{actor_kind}/{actor}/roles/{role}`.
#[derive(Debug, Deserialize)]
pub struct GrantPath {
    /// `projects` or `domains`.
    kind: String,
    target: String,
    /// `users` or `groups`.
    actor_kind: String,
    actor: String,
    role: String,
}

/// The path of the grants to one actor on a target: `/v3/{kind}/{target}/{actor_kind}/
/// {actor}/roles`.
#[derive(Debug, Deserialize)]
pub struct GrantsPath {
    kind: String,
    target: String,
    actor_kind: String,
    actor: String,
}

/// The path of one grant on the system: `/v3/system/{actor_kind}/{actor}/roles/{role}`.
#[derive(Debug, Deserialize)]
pub struct SystemGrantPath {
    actor_kind: String,
    actor: String,
    role: String,
}

/// The path of an actor's grants on the system.
#[derive(Debug, Deserialize)]
pub struct SystemGrantsPath {
    actor_kind: String,
    actor: String,
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
    who: (&str, &str),
    role: String,
) -> KsResult<Response> {
    let permit = caller.permit_in(directory, op.action(), &account)?;
    change_grant(directory, caller, op, &permit, target, who, role).await
}

/// Does `op` on the grant of `role` on `target` to the actor `who` names, under `permit`.
async fn change_grant(
    directory: &Directory,
    caller: &KsCaller,
    op: GrantOp,
    permit: &Permit,
    target: Target,
    who: (&str, &str),
    role: String,
) -> KsResult<Response> {
    let assignment = Assignment {
        actor: actor(directory, caller, permit, who).await?,
        target,
        role_id: role,
    };
    match op {
        GrantOp::Grant => directory.grant_role(permit, assignment).await?,
        GrantOp::Revoke => directory.revoke_role(permit, assignment).await?,
        GrantOp::Check => {
            let held = directory
                .roles_granted(permit, &assignment.actor, &assignment.target)
                .await?;
            if !held.contains(&assignment.role_id) {
                return Err(KsError::not_found("The role is not granted there."));
            }
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

impl GrantOp {
    fn action(self) -> &'static latchkey_core::authz::Action {
        match self {
            GrantOp::Grant => &KS_GRANT_CREATE,
            GrantOp::Check => &KS_GRANT_GET,
            GrantOp::Revoke => &KS_GRANT_DELETE,
        }
    }

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
    Path(p): Path<GrantPath>,
) -> KsResult<Response> {
    let target = target(&directory, &caller, &p.kind, &p.target).await?;
    let who = (p.actor_kind.as_str(), p.actor.as_str());
    on_grant(
        &directory,
        &caller,
        GrantOp::of(&method),
        target,
        who,
        p.role,
    )
    .await
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
    Path(p): Path<GrantPath>,
) -> KsResult<Response> {
    let target = inherited(target(&directory, &caller, &p.kind, &p.target).await?);
    let who = (p.actor_kind.as_str(), p.actor.as_str());
    on_grant(
        &directory,
        &caller,
        GrantOp::of(&method),
        target,
        who,
        p.role,
    )
    .await
}

/// `GET /v3/OS-INHERIT/{projects|domains}/{id}/{users|groups}/{id}/roles/inherited_to_projects`.
pub async fn list_inherited_grants(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(p): Path<GrantsPath>,
) -> KsResult<Response> {
    let target = inherited(target(&directory, &caller, &p.kind, &p.target).await?);
    let path = format!(
        "OS-INHERIT/{}/{}/{}/{}/roles/inherited_to_projects",
        p.kind, p.target, p.actor_kind, p.actor
    );
    grants_listed(
        &directory,
        &caller,
        target,
        (&p.actor_kind, &p.actor),
        &path,
    )
    .await
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
    Path(p): Path<GrantsPath>,
) -> KsResult<Response> {
    let target = target(&directory, &caller, &p.kind, &p.target).await?;
    let path = format!("{}/{}/{}/{}/roles", p.kind, p.target, p.actor_kind, p.actor);
    grants_listed(
        &directory,
        &caller,
        target,
        (&p.actor_kind, &p.actor),
        &path,
    )
    .await
}

async fn roles_held(
    directory: &Directory,
    permit: &Permit,
    who: &Actor,
    target: &Target,
    path: &str,
) -> KsResult<Response> {
    let list: Vec<_> = directory
        .roles_granted(permit, who, target)
        .await?
        .iter()
        .filter_map(|id| directory.keystone_role(id).ok())
        .map(|r| json!(views::role(directory, &r)))
        .collect();
    Ok(collection(directory, "roles", path, json!(list)))
}

pub async fn list_system_grants(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(p): Path<SystemGrantsPath>,
) -> KsResult<Response> {
    let system = on_system(&directory, &caller, &p.actor_kind, &p.actor).await?;
    let path = format!("system/{}/{}/roles", p.actor_kind, p.actor);
    grants_listed(
        &directory,
        &caller,
        system,
        (&p.actor_kind, &p.actor),
        &path,
    )
    .await
}

/// `PUT|HEAD|GET|DELETE /v3/system/{users|groups}/{id}/roles/{role}`.
pub async fn on_system_grant(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    method: Method,
    Path(p): Path<SystemGrantPath>,
) -> KsResult<Response> {
    let who = (p.actor_kind.as_str(), p.actor.as_str());
    let op = GrantOp::of(&method);
    let (target, account) = on_system(&directory, &caller, &p.actor_kind, &p.actor).await?;
    let permit = directory.keystone_system_grant_permit(&caller.0, op.action(), &account)?;
    change_grant(&directory, &caller, op, &permit, target, who, p.role).await
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
