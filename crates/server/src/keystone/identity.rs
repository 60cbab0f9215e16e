//! `/v3/domains`, `/v3/users` and `/v3/groups`: the same accounts, local users and groups the
//! /1.0 API manages, under the same IAM actions. A local user belongs to exactly one group, so
//! adding a user to a group moves it there, and removing it returns it to `DEFAULT`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use latchkey_core::authz::{
    ADMIN_ACCOUNT_MANAGE, GROUP_CREATE, GROUP_DELETE, GROUP_EDIT, GROUP_GET, Permit, Subject,
    USER_CREATE, USER_DELETE, USER_DISABLE, USER_EDIT, USER_ENABLE, USER_GET,
};
use latchkey_core::keystone::{self, domain_id};
use latchkey_core::model::{Group, Role, User, UserStatus};
use latchkey_core::names::{Description, Email, GroupName, Login};
use latchkey_core::secret::Secret;
use latchkey_core::service::Directory;
use latchkey_core::service::users::{UserRequest, UserUpdate};
use latchkey_core::store::{DEFAULT_USER_GROUP, GroupChanges};
use serde_json::{Value, json};

use super::projects::Filters;
use super::{KsCaller, KsError, KsResult, collection, opt_bool, opt_str, views, wrapped};

pub async fn list_domains(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    RawQuery(query): RawQuery,
) -> KsResult<Response> {
    let filters = Filters::parse(query.as_deref());
    // The operator sees every domain; anyone else, their own.
    let accounts = match directory.authorize(&caller.0.principal(), &ADMIN_ACCOUNT_MANAGE) {
        Ok(permit) => directory.list_accounts(&permit).await?,
        Err(_) => vec![(*caller.0.account).clone()],
    };
    let list: Vec<Value> = accounts
        .iter()
        .filter(|a| {
            filters
                .name
                .as_deref()
                .is_none_or(|n| keystone::domain_name(a) == n)
        })
        .map(|a| views::domain(&directory, a))
        .collect();
    Ok(collection(&directory, "domains", "domains", json!(list)))
}

pub async fn get_domain(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let account = if keystone::names_domain(&caller.0.account, &id) {
        (*caller.0.account).clone()
    } else {
        let permit = caller.permit(&directory, &ADMIN_ACCOUNT_MANAGE)?;
        directory
            .list_accounts(&permit)
            .await?
            .into_iter()
            .find(|a| domain_id(a) == id)
            .ok_or_else(|| KsError::not_found(format!("Could not find domain: {id}.")))?
    };
    Ok(axum::Json(json!({ "domain": views::domain(&directory, &account) })).into_response())
}

/// A user of the permit's account by Keystone id.
async fn user_in(directory: &Directory, permit: &Permit, id: &str) -> KsResult<Arc<User>> {
    directory
        .user_by_keystone_id(permit.account(), id)
        .await?
        .ok_or_else(|| KsError::not_found(format!("Could not find user: {id}.")))
}

pub async fn list_users(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    RawQuery(query): RawQuery,
) -> KsResult<Response> {
    let permit = caller.permit(&directory, &USER_GET)?;
    let filters = Filters::parse(query.as_deref());
    let account = &caller.0.account;
    let users = if filters.domain_matches(account) {
        directory.users_of(&permit).await?
    } else {
        vec![]
    };
    let list: Vec<Value> = users
        .iter()
        .filter(|u| {
            filters
                .name
                .as_deref()
                .is_none_or(|n| u.login.as_str() == n)
        })
        .filter(|u| {
            filters
                .enabled
                .is_none_or(|e| (u.status != UserStatus::Disabled) == e)
        })
        .map(|u| views::user(&directory, account, u))
        .collect();
    Ok(collection(&directory, "users", "users", json!(list)))
}

pub async fn get_user(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let own = matches!(&caller.0.subject, Subject::User(u) if keystone::user_id(u.id) == id);
    let user = if own {
        user_of_caller(&caller)?
    } else {
        let permit = caller.permit(&directory, &USER_GET)?;
        user_in(&directory, &permit, &id).await?
    };
    let body = json!({ "user": views::user(&directory, &caller.0.account, &user) });
    Ok(axum::Json(body).into_response())
}

fn user_of_caller(caller: &KsCaller) -> KsResult<Arc<User>> {
    match &caller.0.subject {
        Subject::User(u) => Ok(Arc::clone(u)),
        Subject::ServiceAccount(_) => Err(KsError::not_found("the caller is not a user")),
    }
}

pub async fn create_user(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    body: Bytes,
) -> KsResult<Response> {
    let permit = caller.permit(&directory, &USER_CREATE)?;
    let u = wrapped(&body, "user")?;
    let account = Arc::clone(&caller.0.account);
    if let Some(d) = opt_str(&u, "domain_id")?
        && !keystone::names_domain(&account, d)
    {
        return Err(KsError::forbidden(format!(
            "Users can only be created in the caller's domain (domain_id {d:?})."
        )));
    }
    let name = opt_str(&u, "name")?
        .ok_or_else(|| KsError::bad_request("'name' is a required property"))?;
    let login = Login::parse(name)?;
    let password = opt_str(&u, "password")?.ok_or_else(|| {
        KsError::bad_request("'password' is required: every local user has a password")
    })?;
    let email = match opt_str(&u, "email")? {
        Some(e) => Email::parse(e)?,
        None => Email::parse(&format!("{login}@{}.invalid", account.nic))?,
    };
    let request = UserRequest {
        login: login.clone(),
        email,
        group: None,
        description: Description::parse(opt_str(&u, "description")?.unwrap_or_default())?,
        password: Secret::new(password),
        kind: None,
    };
    let mut user = directory.create_user(&permit, request).await?;
    if opt_bool(&u, "enabled")? == Some(false) {
        let permit = caller.permit(&directory, &USER_DISABLE)?;
        user = directory.set_user_enabled(&permit, &login, false).await?;
    }
    let body = json!({ "user": views::user(&directory, &account, &user) });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

pub async fn update_user(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> KsResult<Response> {
    let permit = caller.permit(&directory, &USER_EDIT)?;
    let u = wrapped(&body, "user")?;
    let current = user_in(&directory, &permit, &id).await?;
    if let Some(name) = opt_str(&u, "name")?
        && name != current.login.as_str()
    {
        return Err(KsError::bad_request(
            "A user's name (its login) cannot change.",
        ));
    }
    let update = UserUpdate {
        email: opt_str(&u, "email")?.map(Email::parse).transpose()?,
        group: None,
        description: opt_str(&u, "description")?
            .map(Description::parse)
            .transpose()?,
        password: opt_str(&u, "password")?.map(Secret::new),
    };
    let mut user = directory
        .update_user(&permit, &current.login, update)
        .await?;
    if let Some(enabled) = opt_bool(&u, "enabled")? {
        let action = if enabled { &USER_ENABLE } else { &USER_DISABLE };
        let permit = caller.permit(&directory, action)?;
        user = directory
            .set_user_enabled(&permit, &current.login, enabled)
            .await?;
    }
    let body = json!({ "user": views::user(&directory, &caller.0.account, &user) });
    Ok(axum::Json(body).into_response())
}

pub async fn delete_user(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let permit = caller.permit(&directory, &USER_DELETE)?;
    let user = user_in(&directory, &permit, &id).await?;
    directory.delete_user(&permit, &user.login).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
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
    let permit = caller.permit(&directory, &GROUP_GET)?;
    let filters = Filters::parse(query.as_deref());
    let account = &caller.0.account;
    let mut list = Vec::new();
    if filters.domain_matches(account) {
        for name in directory.list_groups(&permit).await? {
            if filters.name.as_deref().is_some_and(|n| n != name.as_str()) {
                continue;
            }
            let group = directory.group(&permit, &name).await?;
            list.push(views::group(&directory, account, &group));
        }
    }
    Ok(collection(&directory, "groups", "groups", json!(list)))
}

pub async fn get_group(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let permit = caller.permit(&directory, &GROUP_GET)?;
    let group = group_in(&directory, &permit, &id).await?;
    let body = json!({ "group": views::group(&directory, &caller.0.account, &group) });
    Ok(axum::Json(body).into_response())
}

pub async fn create_group(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    body: Bytes,
) -> KsResult<Response> {
    let permit = caller.permit(&directory, &GROUP_CREATE)?;
    let g = wrapped(&body, "group")?;
    if let Some(d) = opt_str(&g, "domain_id")?
        && !keystone::names_domain(&caller.0.account, d)
    {
        return Err(KsError::forbidden(format!(
            "Groups can only be created in the caller's domain (domain_id {d:?})."
        )));
    }
    let name = opt_str(&g, "name")?
        .ok_or_else(|| KsError::bad_request("'name' is a required property"))?;
    let group = directory
        .create_group(
            &permit,
            GroupName::parse(name)?,
            Role::Regular,
            Description::parse(opt_str(&g, "description")?.unwrap_or_default())?,
        )
        .await?;
    let body = json!({ "group": views::group(&directory, &caller.0.account, &group) });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

pub async fn update_group(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> KsResult<Response> {
    let permit = caller.permit(&directory, &GROUP_EDIT)?;
    let g = wrapped(&body, "group")?;
    let current = group_in(&directory, &permit, &id).await?;
    if let Some(name) = opt_str(&g, "name")?
        && name != current.name.as_str()
    {
        return Err(KsError::bad_request("A group's name cannot change."));
    }
    let changes = GroupChanges {
        role: None,
        description: opt_str(&g, "description")?
            .map(Description::parse)
            .transpose()?,
    };
    let group = directory
        .update_group(&permit, &current.name, changes)
        .await?;
    let body = json!({ "group": views::group(&directory, &caller.0.account, &group) });
    Ok(axum::Json(body).into_response())
}

pub async fn delete_group(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let permit = caller.permit(&directory, &GROUP_DELETE)?;
    let group = group_in(&directory, &permit, &id).await?;
    directory.delete_group(&permit, &group.name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn group_members(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let permit = caller.permit(&directory, &USER_GET)?;
    let group = group_in(&directory, &permit, &id).await?;
    let list: Vec<Value> = directory
        .users_of(&permit)
        .await?
        .iter()
        .filter(|u| u.group == group.name)
        .map(|u| views::user(&directory, &caller.0.account, u))
        .collect();
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
    let permit = caller.permit(&directory, &GROUP_GET)?;
    let user = user_in(&directory, &permit, &id).await?;
    let group = directory.group(&permit, &user.group).await?;
    let list = vec![views::group(&directory, &caller.0.account, &group)];
    Ok(collection(
        &directory,
        "groups",
        &format!("users/{id}/groups"),
        json!(list),
    ))
}

/// `PUT /v3/groups/{g}/users/{u}`: moves the user into the group.
pub async fn add_member(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path((group, user)): Path<(String, String)>,
) -> KsResult<Response> {
    let permit = caller.permit(&directory, &USER_EDIT)?;
    let group = group_in(&directory, &permit, &group).await?;
    let user = user_in(&directory, &permit, &user).await?;
    set_group(&directory, &permit, &user, group.name).await
}

pub async fn check_member(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path((group, user)): Path<(String, String)>,
) -> KsResult<Response> {
    let permit = caller.permit(&directory, &USER_GET)?;
    let group = group_in(&directory, &permit, &group).await?;
    let user = user_in(&directory, &permit, &user).await?;
    if user.group == group.name {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(KsError::not_found("The user is not a member of the group."))
    }
}

/// `DELETE /v3/groups/{g}/users/{u}`: returns the user to `DEFAULT`.
pub async fn remove_member(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path((group, user)): Path<(String, String)>,
) -> KsResult<Response> {
    let permit = caller.permit(&directory, &USER_EDIT)?;
    let group = group_in(&directory, &permit, &group).await?;
    let user = user_in(&directory, &permit, &user).await?;
    if user.group != group.name {
        return Err(KsError::not_found("The user is not a member of the group."));
    }
    set_group(
        &directory,
        &permit,
        &user,
        GroupName::parse(DEFAULT_USER_GROUP)?,
    )
    .await
}

async fn set_group(
    directory: &Directory,
    permit: &Permit,
    user: &User,
    group: GroupName,
) -> KsResult<Response> {
    let update = UserUpdate {
        group: Some(group),
        ..UserUpdate::default()
    };
    directory.update_user(permit, &user.login, update).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
