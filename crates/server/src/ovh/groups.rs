use axum::Json;
use axum::extract::State;
use latchkey_core::authz;
use latchkey_core::model::Role;
use latchkey_core::names::{Description, GroupName};
use latchkey_core::store::GroupChanges;
use serde::Deserialize;

use crate::error::ApiResult;
use crate::extract::{Body, Caller, PathParams, name};
use crate::state::AppState;
use crate::views::GroupView;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateGroup {
    name: GroupName,
    role: Role,
    #[serde(default)]
    description: Description,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateGroup {
    role: Option<Role>,
    description: Option<Description>,
}

/// `GET /me/identity/group` — `account:apiovh:me/identity/group/get`.
pub async fn list(
    State(app): State<AppState>,
    Caller(who): Caller,
) -> ApiResult<Json<Vec<GroupName>>> {
    let permit = app.directory.authorize(&who, &authz::GROUP_GET)?;
    Ok(Json(app.directory.list_groups(&permit).await?))
}

/// `POST /me/identity/group` — `account:apiovh:me/identity/group/create`.
pub async fn create(
    State(app): State<AppState>,
    Caller(who): Caller,
    Body(body): Body<CreateGroup>,
) -> ApiResult<Json<GroupView>> {
    let permit = app.directory.authorize(&who, &authz::GROUP_CREATE)?;
    let group = app
        .directory
        .create_group(&permit, body.name, body.role, body.description)
        .await?;
    tracing::info!(by = %who.urn(&app.plate), group = %group.name, "group created");
    Ok(Json(GroupView::new(group, &who.account.nic, &app.plate)))
}

/// `GET /me/identity/group/{group}` — `account:apiovh:me/identity/group/get`.
pub async fn get(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(group): PathParams<String>,
) -> ApiResult<Json<GroupView>> {
    let permit = app.directory.authorize(&who, &authz::GROUP_GET)?;
    let group = app
        .directory
        .group(&permit, &name(&group, GroupName::parse)?)
        .await?;
    Ok(Json(GroupView::new(group, &who.account.nic, &app.plate)))
}

/// `PUT /me/identity/group/{group}` — `account:apiovh:me/identity/group/edit`.
pub async fn update(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(group): PathParams<String>,
    Body(body): Body<UpdateGroup>,
) -> ApiResult<Json<GroupView>> {
    let permit = app.directory.authorize(&who, &authz::GROUP_EDIT)?;
    let changes = GroupChanges {
        name: None,
        role: body.role,
        description: body.description,
    };
    let group = app
        .directory
        .update_group(&permit, &name(&group, GroupName::parse)?, changes)
        .await?;
    tracing::info!(by = %who.urn(&app.plate), group = %group.name, "group updated");
    Ok(Json(GroupView::new(group, &who.account.nic, &app.plate)))
}

/// `DELETE /me/identity/group/{group}` — `account:apiovh:me/identity/group/delete`.
pub async fn delete(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(group): PathParams<String>,
) -> ApiResult<Json<()>> {
    let permit = app.directory.authorize(&who, &authz::GROUP_DELETE)?;
    let group = name(&group, GroupName::parse)?;
    app.directory.delete_group(&permit, &group).await?;
    tracing::info!(by = %who.urn(&app.plate), group = %group, "group deleted");
    Ok(Json(()))
}
