//! `/v3/groups` and their members. A local user belongs to exactly one IAM group, so adding
//! a user to a group moves it there, and removing it returns it to `DEFAULT`; users of other
//! domains are Keystone members only.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use latchkey_core::authz::{
    Action, GROUP_CREATE, GROUP_DELETE, GROUP_EDIT, GROUP_GET, Permit, USER_EDIT, USER_GET,
};
use latchkey_core::model::{DEFAULT_USER_GROUP, Group, Role, User};
use latchkey_core::names::{Description, GroupName};
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::KeystoneKind;
use latchkey_core::service::users::UserUpdate;
use latchkey_core::store::GroupChanges;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::body::{KsBody, Wrapped, required};
use super::filters::Filters;
use super::users::user_in;
use super::{KsCaller, KsError, KsResult, collection, created, one, views};

/// The body of `POST` and `PATCH /v3/groups[/{id}]`.
#[derive(Debug, Deserialize)]
pub struct GroupBody {
    name: Option<String>,
    description: Option<String>,
    domain_id: Option<String>,
}

impl Wrapped for GroupBody {
    const KEY: &'static str = "group";
}

/// A group among a user's, with when the membership ends.
#[derive(Debug, Serialize)]
struct MembershipView<'a> {
    #[serde(flatten)]
    group: views::GroupView<'a>,
    membership_expires_at: Option<String>,
}

/// A group of the permit's account by Keystone id.
async fn group_in(directory: &Directory, permit: &Permit, id: &str) -> KsResult<Group> {
    directory
        .group_by_keystone_id(permit, id)
        .await?
        .ok_or_else(|| KsError::not_found(format!("Could not find group: {id}.")))
}

pub async fn list_groups(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    RawQuery(query): RawQuery,
) -> KsResult<Response> {
    let filters = Filters::parse(query.as_deref());
    let mut list = Vec::new();
    for (permit, account) in caller
        .listing(&directory, &GROUP_GET, filters.domain_id.as_deref())
        .await?
    {
        for name in directory.list_groups(&permit).await? {
            if filters.name.as_deref().is_some_and(|n| n != name.as_str()) {
                continue;
            }
            let group = directory.group(&permit, &name).await?;
            list.push(json!(views::group(&directory, &account, &group)));
        }
    }
    Ok(collection(&directory, "groups", "groups", json!(list)))
}

pub async fn get_group(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let (permit, account) = caller
        .permit_at(&directory, &GROUP_GET, KeystoneKind::Group, &id)
        .await?;
    let group = group_in(&directory, &permit, &id).await?;
    Ok(one("group", views::group(&directory, &account, &group)))
}

pub async fn create_group(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    KsBody(g): KsBody<GroupBody>,
) -> KsResult<Response> {
    let (permit, account) = caller
        .permit_in_domain(&directory, &GROUP_CREATE, g.domain_id.as_deref())
        .await?;
    let name = GroupName::parse(&required(g.name, "name")?)?;
    let description = Description::parse(g.description.as_deref().unwrap_or_default())?;
    let group = directory
        .create_group(&permit, name, Role::Regular, description)
        .await?;
    Ok(created("group", views::group(&directory, &account, &group)))
}

pub async fn update_group(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    KsBody(g): KsBody<GroupBody>,
) -> KsResult<Response> {
    let (permit, account) = caller
        .permit_at(&directory, &GROUP_EDIT, KeystoneKind::Group, &id)
        .await?;
    let current = group_in(&directory, &permit, &id).await?;
    let changes = GroupChanges {
        name: g
            .name
            .as_deref()
            .filter(|name| *name != current.name.as_str())
            .map(GroupName::parse)
            .transpose()?,
        role: None,
        description: g
            .description
            .as_deref()
            .map(Description::parse)
            .transpose()?,
    };
    let group = directory
        .update_group(&permit, &current.name, changes)
        .await?;
    Ok(one("group", views::group(&directory, &account, &group)))
}

pub async fn delete_group(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let (permit, _) = caller
        .permit_at(&directory, &GROUP_DELETE, KeystoneKind::Group, &id)
        .await?;
    let group = group_in(&directory, &permit, &id).await?;
    directory.delete_group(&permit, &group.name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn group_members(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let (permit, _) = caller
        .permit_at(&directory, &USER_GET, KeystoneKind::Group, &id)
        .await?;
    let group = group_in(&directory, &permit, &id).await?;
    let mut list = Vec::new();
    for user in directory.members(&permit, &group).await? {
        if let Some(account) = directory.cached_account(user.account_id).await? {
            list.push(json!(views::user(&directory, &account, &user)));
        }
    }
    Ok(collection(
        &directory,
        "users",
        &format!("groups/{id}/users"),
        json!(list),
    ))
}

pub async fn groups_of_user(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let (permit, _) = caller
        .permit_at(&directory, &GROUP_GET, KeystoneKind::User, &id)
        .await?;
    let user = user_in(&directory, &permit, &id).await?;
    let mut list = Vec::new();
    for group in directory.groups_of(&user).await? {
        if let Some(account) = directory.cached_account(group.account_id).await? {
            // Memberships do not expire here.
            list.push(json!(MembershipView {
                group: views::group(&directory, &account, &group),
                membership_expires_at: None,
            }));
        }
    }
    Ok(collection(
        &directory,
        "groups",
        &format!("users/{id}/groups"),
        json!(list),
    ))
}

/// The group `group` names and the user `user` names, for a membership request: the group in
/// the account `action` is permitted in, the user in any domain the caller may read users of.
async fn membership(
    directory: &Directory,
    caller: &KsCaller,
    action: &Action,
    (group, user): (&str, &str),
) -> KsResult<(Permit, Group, Arc<User>)> {
    let (permit, _) = caller
        .permit_at(directory, action, KeystoneKind::Group, group)
        .await?;
    let group = group_in(directory, &permit, group).await?;
    let user = match directory
        .user_by_keystone_id(permit.account(), user)
        .await?
    {
        Some(found) => found,
        None => {
            let (there, _) = caller
                .permit_at(directory, &USER_GET, KeystoneKind::User, user)
                .await?;
            user_in(directory, &there, user).await?
        }
    };
    Ok((permit, group, user))
}

/// `PUT /v3/groups/{g}/users/{u}`: adds the user, of any domain, to the group (its IAM group
/// stays as it is).
pub async fn add_member(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path((group, user)): Path<(String, String)>,
) -> KsResult<Response> {
    let (permit, group, user) =
        membership(&directory, &caller, &USER_EDIT, (&group, &user)).await?;
    directory
        .add_keystone_member(&permit, &group, &user)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn check_member(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path((group, user)): Path<(String, String)>,
) -> KsResult<Response> {
    let (_, group, user) = membership(&directory, &caller, &USER_GET, (&group, &user)).await?;
    if directory.is_member(&group, &user).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(KsError::not_found("The user is not a member of the group."))
    }
}

/// `DELETE /v3/groups/{g}/users/{u}`: ends a membership; a user leaving its IAM group returns
/// to `DEFAULT`.
pub async fn remove_member(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path((group, user)): Path<(String, String)>,
) -> KsResult<Response> {
    let (permit, group, user) =
        membership(&directory, &caller, &USER_EDIT, (&group, &user)).await?;
    if directory.in_iam_group(&group, &user) {
        let update = UserUpdate {
            group: Some(GroupName::parse(DEFAULT_USER_GROUP)?),
            ..UserUpdate::default()
        };
        directory.update_user(&permit, &user.login, update).await?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    directory
        .remove_keystone_member(&permit, &group, &user)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
