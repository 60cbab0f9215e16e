use axum::Json;
use axum::extract::State;
use latchkey_core::authz;
use latchkey_core::model::UserType;
use latchkey_core::names::{Description, Email, GroupName, Login};
use latchkey_core::secret::Secret;
use latchkey_core::service::users::{UserRequest, UserUpdate};
use serde::Deserialize;

use super::login_param;
use crate::error::ApiResult;
use crate::extract::{Body, Caller, PathParams};
use crate::state::AppState;
use crate::views::UserView;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateUser {
    login: Login,
    email: Email,
    group: Option<GroupName>,
    #[serde(default)]
    description: Description,
    password: Secret,
    #[serde(rename = "type")]
    kind: Option<UserType>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateUser {
    email: Option<Email>,
    group: Option<GroupName>,
    description: Option<Description>,
    password: Option<Secret>,
}

/// `GET /me/identity/user` — `account:apiovh:me/identity/user/get`.
pub async fn list(State(app): State<AppState>, Caller(who): Caller) -> ApiResult<Json<Vec<Login>>> {
    let permit = app.directory.authorize(&who, &authz::USER_GET)?;
    Ok(Json(app.directory.list_users(&permit).await?))
}

/// `POST /me/identity/user` — `account:apiovh:me/identity/user/create`.
pub async fn create(
    State(app): State<AppState>,
    Caller(who): Caller,
    Body(body): Body<CreateUser>,
) -> ApiResult<Json<UserView>> {
    let permit = app.directory.authorize(&who, &authz::USER_CREATE)?;
    let request = UserRequest {
        login: body.login,
        email: body.email,
        group: body.group,
        description: body.description,
        password: body.password,
        kind: body.kind,
    };
    let user = app.directory.create_user(&permit, request).await?;
    tracing::info!(by = %who.urn(&app.plate), login = %user.login, "user created");
    Ok(Json(UserView::new(user, &who.account.nic, &app.plate)))
}

/// `GET /me/identity/user/{user}` — `account:apiovh:me/identity/user/get`.
pub async fn get(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(user): PathParams<String>,
) -> ApiResult<Json<UserView>> {
    let permit = app.directory.authorize(&who, &authz::USER_GET)?;
    let login = login_param(&who, &user)?;
    let user = app.directory.user(&permit, &login).await?;
    Ok(Json(UserView::new(user, &who.account.nic, &app.plate)))
}

/// `PUT /me/identity/user/{user}` — `account:apiovh:me/identity/user/edit`. Absent fields stay;
/// `password` changes the password.
pub async fn update(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(user): PathParams<String>,
    Body(body): Body<UpdateUser>,
) -> ApiResult<Json<UserView>> {
    let permit = app.directory.authorize(&who, &authz::USER_EDIT)?;
    let login = login_param(&who, &user)?;
    let password_changed = body.password.is_some();
    let update = UserUpdate {
        login: None,
        email: body.email,
        group: body.group,
        description: body.description,
        password: body.password,
    };
    let user = app.directory.update_user(&permit, &login, update).await?;
    tracing::info!(by = %who.urn(&app.plate), login = %user.login, password_changed, "user updated");
    Ok(Json(UserView::new(user, &who.account.nic, &app.plate)))
}

/// `DELETE /me/identity/user/{user}` — `account:apiovh:me/identity/user/delete`.
pub async fn delete(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(user): PathParams<String>,
) -> ApiResult<Json<()>> {
    let permit = app.directory.authorize(&who, &authz::USER_DELETE)?;
    let login = login_param(&who, &user)?;
    app.directory.delete_user(&permit, &login).await?;
    tracing::info!(by = %who.urn(&app.plate), login = %login, "user deleted");
    Ok(Json(()))
}

/// `POST /me/identity/user/{user}/enable` — `account:apiovh:me/identity/user/enable`.
pub async fn enable(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(user): PathParams<String>,
) -> ApiResult<Json<()>> {
    let permit = app.directory.authorize(&who, &authz::USER_ENABLE)?;
    let login = login_param(&who, &user)?;
    app.directory
        .set_user_enabled(&permit, &login, true)
        .await?;
    tracing::info!(by = %who.urn(&app.plate), login = %login, "user enabled");
    Ok(Json(()))
}

/// `POST /me/identity/user/{user}/disable` — `account:apiovh:me/identity/user/disable`.
pub async fn disable(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(user): PathParams<String>,
) -> ApiResult<Json<()>> {
    let permit = app.directory.authorize(&who, &authz::USER_DISABLE)?;
    let login = login_param(&who, &user)?;
    app.directory
        .set_user_enabled(&permit, &login, false)
        .await?;
    tracing::info!(by = %who.urn(&app.plate), login = %login, "user disabled");
    Ok(Json(()))
}
