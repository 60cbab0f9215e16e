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
use latchkey_core::keystone;
use latchkey_core::model::DEFAULT_USER_GROUP;
use latchkey_core::model::{Account, DomainFields, Group, Role, User, UserStatus};
use latchkey_core::names::{Description, DisplayName, Email, GroupName, Login, Nic};
use latchkey_core::secret::Secret;
use latchkey_core::service::Directory;
use latchkey_core::service::accounts::AccountRequest;
use latchkey_core::service::users::{UserRequest, UserUpdate};
use latchkey_core::store::GroupChanges;
use serde_json::{Value, json};

use super::projects::Filters;
use latchkey_core::service::keystone::KeystoneKind;

use super::{KsCaller, KsError, KsResult, collection, opt_bool, opt_str, views, wrapped};

pub async fn list_domains(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    RawQuery(query): RawQuery,
) -> KsResult<Response> {
    let filters = Filters::parse(query.as_deref());
    // The operator and Keystone's cloud administrators and system readers see every domain;
    // anyone else, their own.
    let accounts = match caller.operator(&directory, &ADMIN_ACCOUNT_MANAGE) {
        Ok(permit) => directory.list_accounts(&permit).await?,
        Err(_) if caller.reads_every_domain() => directory.all_domains().await?,
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
        .filter(|a| filters.enabled.is_none_or(|e| a.domain.enabled == e))
        .map(|a| views::domain(&directory, a))
        .collect();
    Ok(collection(&directory, "domains", "domains", json!(list)))
}

pub async fn get_domain(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    // Another domain: for the operator, cloud administrators and system readers.
    if !keystone::names_domain(&caller.0.account, &id) && !caller.reads_every_domain() {
        caller.operator(&directory, &ADMIN_ACCOUNT_MANAGE)?;
    }
    let account = caller.domain(&directory, &id).await?;
    Ok(axum::Json(json!({ "domain": views::domain(&directory, &account) })).into_response())
}

/// A domain's name: 1 to 64 characters, as Keystone's schema has it.
fn domain_name_field(name: &str) -> KsResult<DisplayName> {
    if name.trim().is_empty() || name.chars().count() > 64 {
        return Err(KsError::bad_request(
            "Invalid input for field 'name': a domain name has 1 to 64 characters.",
        ));
    }
    Ok(DisplayName::parse(name)?)
}

/// `POST /v3/domains`: a new account (the operator's right). Its ROOT user `admin` gets a
/// generated password that is never shown: the domain is managed through Keystone (or the
/// operator sets the password).
pub async fn create_domain(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    body: Bytes,
) -> KsResult<Response> {
    let d = wrapped(&body, "domain")?;
    create_domain_from(&directory, &caller, &d, "domain").await
}

/// A domain as Keystone shows it under `key`: `domain`, or `project` for the project acting as
/// the domain.
fn domain_as(directory: &Directory, account: &Account, key: &str) -> Value {
    let view = if key == "project" {
        views::domain_project(directory, account)
    } else {
        views::domain(directory, account)
    };
    json!({ key: view })
}

fn duplicate_domain(name: &DisplayName) -> KsError {
    KsError::new(
        StatusCode::CONFLICT,
        format!(
            "Conflict occurred attempting to store domain - Duplicate entry found with name {}.",
            name.as_str()
        ),
    )
}

/// Creates a domain from a request object (of `POST /v3/domains`, or of `POST /v3/projects`
/// with `is_domain`), answered under `key`.
pub(crate) async fn create_domain_from(
    directory: &Directory,
    caller: &KsCaller,
    d: &serde_json::Map<String, Value>,
    key: &str,
) -> KsResult<Response> {
    let permit = caller.operator(directory, &ADMIN_ACCOUNT_MANAGE)?;
    let name =
        opt_str(d, "name")?.ok_or_else(|| KsError::bad_request("'name' is a required property"))?;
    let name = domain_name_field(name)?;
    // A name must not pass for another domain's id or for the default domain.
    if name.as_str() == keystone::DEFAULT_DOMAIN_NAME || Nic::parse(name.as_str()).is_ok() {
        return Err(duplicate_domain(&name));
    }
    let domain = DomainFields {
        name: Some(name.clone()),
        description: Description::parse(opt_str(d, "description")?.unwrap_or_default())?,
        enabled: opt_bool(d, "enabled")?.unwrap_or(true),
    };
    // The operator's address is the new account's contact until someone sets another.
    let request = AccountRequest {
        nic: None,
        email: caller.0.account.email.clone(),
        admin_password: None,
        domain,
    };
    let created = match directory.create_account(&permit, request).await {
        Err(latchkey_core::Error::Conflict(_)) => return Err(duplicate_domain(&name)),
        other => other?,
    };
    let body = domain_as(directory, &created.account, key);
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

pub async fn update_domain(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> KsResult<Response> {
    let d = wrapped(&body, "domain")?;
    update_domain_from(&directory, &caller, &id, &d, "domain").await
}

pub(crate) async fn update_domain_from(
    directory: &Directory,
    caller: &KsCaller,
    id: &str,
    d: &serde_json::Map<String, Value>,
    key: &str,
) -> KsResult<Response> {
    let permit = caller.operator(directory, &ADMIN_ACCOUNT_MANAGE)?;
    let account = caller.domain(directory, id).await?;
    let mut domain = account.domain.clone();
    if let Some(name) = opt_str(d, "name")? {
        domain.name = Some(domain_name_field(name)?);
    }
    if let Some(description) = opt_str(d, "description")? {
        domain.description = Description::parse(description)?;
    }
    if let Some(enabled) = opt_bool(d, "enabled")? {
        domain.enabled = enabled;
    }
    let account = match directory.update_domain(&permit, account.id, domain).await {
        Err(latchkey_core::Error::Conflict(m)) => {
            return Err(KsError::new(StatusCode::CONFLICT, m));
        }
        other => other?,
    };
    Ok(axum::Json(domain_as(directory, &account, key)).into_response())
}

pub async fn delete_domain(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<StatusCode> {
    delete_domain_by_id(&directory, &caller, &id).await
}

pub(crate) async fn delete_domain_by_id(
    directory: &Directory,
    caller: &KsCaller,
    id: &str,
) -> KsResult<StatusCode> {
    let permit = caller.operator(directory, &ADMIN_ACCOUNT_MANAGE)?;
    let account = caller.domain(directory, id).await?;
    if account.operator {
        return Err(KsError::forbidden("The default domain cannot be deleted."));
    }
    if account.domain.enabled {
        return Err(KsError::forbidden(
            "Cannot delete a domain that is enabled, please disable it first.",
        ));
    }
    directory.delete_domain(&permit, account.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The fields of a user request Keystone keeps beside the local user: `default_project_id`
/// and any attribute Keystone does not define (kept and returned as given).
fn attributes(
    u: &serde_json::Map<String, Value>,
) -> KsResult<(Option<String>, serde_json::Map<String, Value>)> {
    const KNOWN: &[&str] = &[
        "id",
        "name",
        "password",
        "email",
        "description",
        "enabled",
        "domain_id",
        "default_project_id",
        "options",
        "links",
        "password_expires_at",
        "federated",
    ];
    let project = opt_str(u, "default_project_id")?.map(str::to_owned);
    let extra = u
        .iter()
        .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok((project, extra))
}

/// A user as Keystone shows it, with its default project and extra attributes.
async fn user_view(directory: &Directory, account: &Account, user: &User) -> KsResult<Value> {
    let mut view = views::user(directory, account, user);
    let (project, extra) = directory.user_attributes(user).await?;
    if let Value::Object(map) = &mut view {
        for (key, value) in extra {
            map.entry(key).or_insert(value);
        }
        if let Some(project) = project {
            map.insert("default_project_id".to_owned(), Value::String(project));
        }
    }
    Ok(view)
}

/// The account a user belongs to: the caller's, or the one a cloud administrator reached.
async fn home_of(
    directory: &Directory,
    caller: &KsCaller,
    account: latchkey_core::model::AccountId,
) -> KsResult<Arc<Account>> {
    if account == caller.0.account.id {
        return Ok(Arc::clone(&caller.0.account));
    }
    directory
        .keystone_account(account)
        .await?
        .ok_or_else(|| KsError::not_found("Could not find the user's domain."))
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
    let filters = Filters::parse(query.as_deref());
    let mut list = Vec::new();
    for (permit, account) in caller
        .listing(&directory, &USER_GET, filters.domain_id.as_deref())
        .await?
    {
        for u in directory.users_of(&permit).await? {
            let named = filters
                .name
                .as_deref()
                .is_none_or(|n| u.login.as_str() == n);
            let enabled = filters
                .enabled
                .is_none_or(|e| (u.status != UserStatus::Disabled) == e);
            if named && enabled {
                list.push(user_view(&directory, &account, &u).await?);
            }
        }
    }
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
        let (permit, _) = caller
            .permit_at(&directory, &USER_GET, KeystoneKind::User, &id)
            .await?;
        user_in(&directory, &permit, &id).await?
    };
    let account = home_of(&directory, &caller, user.account_id).await?;
    let body = json!({ "user": user_view(&directory, &account, &user).await? });
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
    let u = wrapped(&body, "user")?;
    let (permit, account) = caller
        .permit_in_domain(&directory, &USER_CREATE, opt_str(&u, "domain_id")?)
        .await?;
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
    let (default_project, extra) = attributes(&u)?;
    let mut user = directory.create_user(&permit, request).await?;
    if let Err(e) = directory
        .set_user_attributes(&permit, &user, default_project, extra)
        .await
    {
        // The user is not kept half-made.
        let _ = directory.delete_user(&permit, &login).await;
        return Err(e.into());
    }
    if opt_bool(&u, "enabled")? == Some(false) {
        let permit = caller.permit_in(&directory, &USER_DISABLE, &account)?;
        user = directory.set_user_enabled(&permit, &login, false).await?;
    }
    let body = json!({ "user": user_view(&directory, &account, &user).await? });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

pub async fn update_user(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> KsResult<Response> {
    let (permit, account) = caller
        .permit_at(&directory, &USER_EDIT, KeystoneKind::User, &id)
        .await?;
    let u = wrapped(&body, "user")?;
    let current = user_in(&directory, &permit, &id).await?;
    let (project_given, changed_extra) = attributes(&u)?;
    let update = UserUpdate {
        login: opt_str(&u, "name")?.map(Login::parse).transpose()?,
        email: opt_str(&u, "email")?.map(Email::parse).transpose()?,
        group: None,
        description: opt_str(&u, "description")?
            .map(Description::parse)
            .transpose()?,
        password: opt_str(&u, "password")?.map(Secret::new),
    };
    // Attributes first: a bad default project refuses the whole change.
    if u.contains_key("default_project_id") || !changed_extra.is_empty() {
        let (project, mut extra) = directory.user_attributes(&current).await?;
        let project = if u.contains_key("default_project_id") {
            project_given
        } else {
            project
        };
        for (key, value) in changed_extra {
            extra.insert(key, value);
        }
        directory
            .set_user_attributes(&permit, &current, project, extra)
            .await?;
    }
    let mut user = directory
        .update_user(&permit, &current.login, update)
        .await?;
    if let Some(enabled) = opt_bool(&u, "enabled")? {
        let action = if enabled { &USER_ENABLE } else { &USER_DISABLE };
        let permit = caller.permit_in(&directory, action, &account)?;
        user = directory
            .set_user_enabled(&permit, &user.login, enabled)
            .await?;
    }
    let body = json!({ "user": user_view(&directory, &account, &user).await? });
    Ok(axum::Json(body).into_response())
}

pub async fn delete_user(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let (permit, _) = caller
        .permit_at(&directory, &USER_DELETE, KeystoneKind::User, &id)
        .await?;
    let user = user_in(&directory, &permit, &id).await?;
    directory.delete_user(&permit, &user.login).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /v3/users/{id}/password`: a user changes its own password with the original one
/// (`{"user": {"password", "original_password"}}`); no token is needed, as in Keystone.
pub async fn change_password(
    State(directory): State<Arc<Directory>>,
    extensions: axum::http::Extensions,
    Path(id): Path<String>,
    body: Bytes,
) -> KsResult<Response> {
    let u = wrapped(&body, "user")?;
    let new = opt_str(&u, "password")?
        .ok_or_else(|| KsError::bad_request("'password' is a required property"))?;
    let original = opt_str(&u, "original_password")?
        .ok_or_else(|| KsError::bad_request("'original_password' is a required property"))?;
    let user = keystone::parse_hex_id(&id)
        .ok_or_else(|| KsError::not_found(format!("Could not find user: {id}.")))?;
    match directory
        .change_own_password(
            latchkey_core::model::UserId(user),
            &Secret::new(original),
            Secret::new(new),
            super::client_ip(&extensions),
        )
        .await
    {
        Err(latchkey_core::Error::Unauthenticated(_)) => Err(KsError::unauthorized(
            "The request you have made requires authentication.",
        )),
        other => {
            other?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
    }
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
            list.push(views::group(&directory, &account, &group));
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
    let body = json!({ "group": views::group(&directory, &account, &group) });
    Ok(axum::Json(body).into_response())
}

pub async fn create_group(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    body: Bytes,
) -> KsResult<Response> {
    let g = wrapped(&body, "group")?;
    let (permit, account) = caller
        .permit_in_domain(&directory, &GROUP_CREATE, opt_str(&g, "domain_id")?)
        .await?;
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
    let body = json!({ "group": views::group(&directory, &account, &group) });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

pub async fn update_group(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> KsResult<Response> {
    let (permit, account) = caller
        .permit_at(&directory, &GROUP_EDIT, KeystoneKind::Group, &id)
        .await?;
    let g = wrapped(&body, "group")?;
    let current = group_in(&directory, &permit, &id).await?;
    let changes = GroupChanges {
        name: opt_str(&g, "name")?
            .filter(|name| *name != current.name.as_str())
            .map(GroupName::parse)
            .transpose()?,
        role: None,
        description: opt_str(&g, "description")?
            .map(Description::parse)
            .transpose()?,
    };
    let group = directory
        .update_group(&permit, &current.name, changes)
        .await?;
    let body = json!({ "group": views::group(&directory, &account, &group) });
    Ok(axum::Json(body).into_response())
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
            list.push(views::user(&directory, &account, &user));
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
            let mut view = views::group(&directory, &account, &group);
            // Memberships do not expire here.
            view["membership_expires_at"] = Value::Null;
            list.push(view);
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
    action: &latchkey_core::authz::Action,
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
        let default = GroupName::parse(DEFAULT_USER_GROUP)?;
        return set_group(&directory, &permit, &user, default).await;
    }
    directory
        .remove_keystone_member(&permit, &group, &user)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn set_group(
    directory: &Directory,
    permit: &Permit,
    user: &User,
    group: GroupName,
) -> KsResult<Response> {
    let update = UserUpdate {
        login: None,
        group: Some(group),
        ..UserUpdate::default()
    };
    directory.update_user(permit, &user.login, update).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
