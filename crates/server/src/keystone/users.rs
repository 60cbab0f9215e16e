//! `/v3/users`: the local users the /1.0 API manages, under the same IAM actions, with what
//! Keystone keeps beside them (a default project and attributes it does not define).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use latchkey_core::authz::{
    Permit, Subject, USER_CREATE, USER_DELETE, USER_DISABLE, USER_EDIT, USER_ENABLE, USER_GET,
};
use latchkey_core::keystone::{self, UserAttributes};
use latchkey_core::model::{Account, AccountId, User, UserStatus};
use latchkey_core::names::{Description, Email, Login};
use latchkey_core::secret::Secret;
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::KeystoneKind;
use latchkey_core::service::users::{UserRequest, UserUpdate};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::body::{KsBody, Wrapped, present, required};
use super::filters::Filters;
use super::{KsCaller, KsError, KsResult, collection, created, one, views};

/// The body of `POST` and `PATCH /v3/users[/{id}]`. Attributes Keystone does not define are
/// kept in `extra` and returned as given.
#[derive(Debug, Deserialize)]
pub struct UserBody {
    name: Option<String>,
    password: Option<Secret>,
    email: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
    domain_id: Option<String>,
    /// Absent: unchanged; null: cleared.
    #[serde(default, deserialize_with = "present")]
    default_project_id: Option<Option<String>>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl Wrapped for UserBody {
    const KEY: &'static str = "user";
}

/// Fields of Keystone's user that a request may carry and that are not kept.
const NOT_KEPT: &[&str] = &["id", "options", "links", "password_expires_at", "federated"];

impl UserBody {
    /// The attributes Keystone does not define, to keep.
    fn extra(&self) -> Map<String, Value> {
        self.extra
            .iter()
            .filter(|(k, _)| !NOT_KEPT.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// The body of `POST /v3/users/{id}/password`.
#[derive(Debug, Deserialize)]
pub struct PasswordChange {
    password: Option<Secret>,
    original_password: Option<Secret>,
}

impl Wrapped for PasswordChange {
    const KEY: &'static str = "user";
}

/// A user as Keystone shows it, with its default project and extra attributes.
async fn user_view(directory: &Directory, account: &Account, user: &User) -> KsResult<Value> {
    let mut view = views::user(directory, account, user);
    let attributes = directory.user_attributes(user).await?;
    view.default_project_id = attributes.default_project;
    view.extra = attributes.extra;
    // An attribute never hides a field every user has.
    view.extra
        .retain(|key, _| !views::UserView::FIELDS.contains(&key.as_str()));
    Ok(json!(view))
}

/// The account a user belongs to: the caller's, or the one a cloud administrator reached.
async fn home_of(
    directory: &Directory,
    caller: &KsCaller,
    account: AccountId,
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
pub(crate) async fn user_in(
    directory: &Directory,
    permit: &Permit,
    id: &str,
) -> KsResult<Arc<User>> {
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
    let own = matches!(&caller.0.subject, Subject::User(u) if keystone::KsUserId(u.id).is(&id));
    let user = if own {
        user_of_caller(&caller)?
    } else {
        let (permit, _) = caller
            .permit_at(&directory, &USER_GET, KeystoneKind::User, &id)
            .await?;
        user_in(&directory, &permit, &id).await?
    };
    let account = home_of(&directory, &caller, user.account_id).await?;
    Ok(one("user", user_view(&directory, &account, &user).await?))
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
    KsBody(u): KsBody<UserBody>,
) -> KsResult<Response> {
    let (permit, account) = caller
        .permit_in_domain(&directory, &USER_CREATE, u.domain_id.as_deref())
        .await?;
    let login = Login::parse(&required(u.name.clone(), "name")?)?;
    let password = u.password.clone().ok_or_else(|| {
        KsError::bad_request("'password' is required: every local user has a password")
    })?;
    let email = match &u.email {
        Some(e) => Email::parse(e)?,
        None => Email::parse(&format!("{login}@{}.invalid", account.nic))?,
    };
    let request = UserRequest {
        login: login.clone(),
        email,
        group: None,
        description: Description::parse(u.description.as_deref().unwrap_or_default())?,
        password,
        kind: None,
    };
    let attributes = UserAttributes {
        default_project: u.default_project_id.clone().flatten(),
        extra: u.extra(),
    };
    let mut user = directory.create_user(&permit, request).await?;
    if let Err(e) = directory
        .set_user_attributes(&permit, &user, &attributes)
        .await
    {
        // The user is not kept half-made.
        let _ = directory.delete_user(&permit, &login).await;
        return Err(e.into());
    }
    if u.enabled == Some(false) {
        let permit = caller.permit_in(&directory, &USER_DISABLE, &account)?;
        user = directory.set_user_enabled(&permit, &login, false).await?;
    }
    Ok(created(
        "user",
        user_view(&directory, &account, &user).await?,
    ))
}

pub async fn update_user(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    KsBody(u): KsBody<UserBody>,
) -> KsResult<Response> {
    let (permit, account) = caller
        .permit_at(&directory, &USER_EDIT, KeystoneKind::User, &id)
        .await?;
    let current = user_in(&directory, &permit, &id).await?;
    let changed_extra = u.extra();
    let update = UserUpdate {
        login: u.name.as_deref().map(Login::parse).transpose()?,
        email: u.email.as_deref().map(Email::parse).transpose()?,
        group: None,
        description: u
            .description
            .as_deref()
            .map(Description::parse)
            .transpose()?,
        password: u.password,
    };
    // Attributes first: a bad default project refuses the whole change.
    if u.default_project_id.is_some() || !changed_extra.is_empty() {
        let mut attributes = directory.user_attributes(&current).await?;
        if let Some(project) = u.default_project_id {
            attributes.default_project = project;
        }
        attributes.extra.extend(changed_extra);
        directory
            .set_user_attributes(&permit, &current, &attributes)
            .await?;
    }
    let mut user = directory
        .update_user(&permit, &current.login, update)
        .await?;
    if let Some(enabled) = u.enabled {
        let action = if enabled { &USER_ENABLE } else { &USER_DISABLE };
        let permit = caller.permit_in(&directory, action, &account)?;
        user = directory
            .set_user_enabled(&permit, &user.login, enabled)
            .await?;
    }
    Ok(one("user", user_view(&directory, &account, &user).await?))
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
    KsBody(change): KsBody<PasswordChange>,
) -> KsResult<Response> {
    let new = required(change.password, "password")?;
    let original = required(change.original_password, "original_password")?;
    let user = keystone::KsUserId::parse(&id)
        .ok_or_else(|| KsError::not_found(format!("Could not find user: {id}.")))?;
    match directory
        .change_own_password(user.0, &original, new, super::client_ip(&extensions))
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
