//! `/v2/iam/resource`: the account's resources (the account itself), and which actions the
//! caller may perform on a resource.

use axum::Json;
use axum::extract::State;
use latchkey_core::authz;
use latchkey_core::urn::Urn;
use serde::{Deserialize, Serialize};

use super::views::ResourceView;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Caller, PathParams, name};
use crate::state::AppState;

/// `GET /v2/iam/resource` — `account:apiovh:iam/resource/get`.
pub async fn list(
    State(app): State<AppState>,
    Caller(who): Caller,
) -> ApiResult<Json<Vec<ResourceView>>> {
    app.directory.authorize(&who, &authz::RESOURCE_GET)?;
    Ok(Json(vec![ResourceView::account(&who.account, &app.plate)]))
}

/// `GET /v2/iam/resource/{urn}` — `account:apiovh:iam/resource/get`.
pub async fn get(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(urn): PathParams<String>,
) -> ApiResult<Json<ResourceView>> {
    app.directory.authorize(&who, &authz::RESOURCE_GET)?;
    let urn = name(&urn, Urn::resource)?;
    if !urn.is_account_resource(&app.plate, &who.account.nic) {
        return Err(ApiError::from(latchkey_core::Error::not_found(format!(
            "resource {urn} does not exist"
        ))));
    }
    Ok(Json(ResourceView::account(&who.account, &app.plate)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    actions: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckView {
    authorized_actions: Vec<String>,
    unauthorized_actions: Vec<String>,
}

/// Most actions one check may name.
const MAX_CHECKED_ACTIONS: usize = 500;

/// `POST /v2/iam/resource/{urn}/authorization/check` —
/// `account:apiovh:iam/resource/authorization/check`. Answers for the caller itself.
pub async fn check(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(urn): PathParams<String>,
    Body(body): Body<CheckRequest>,
) -> ApiResult<Json<CheckView>> {
    app.directory.authorize(&who, &authz::RESOURCE_CHECK)?;
    let urn = name(&urn, Urn::resource)?;
    if body.actions.is_empty() || body.actions.len() > MAX_CHECKED_ACTIONS {
        return Err(ApiError::bad_request(format!(
            "actions must name from 1 to {MAX_CHECKED_ACTIONS} actions"
        )));
    }
    let ip = latchkey_core::audit::Origin::current_ip();
    let outcome = app.directory.check_actions(&who, &urn, &body.actions, ip)?;
    Ok(Json(CheckView {
        authorized_actions: outcome.authorized,
        unauthorized_actions: outcome.unauthorized,
    }))
}
