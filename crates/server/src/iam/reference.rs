//! `/v2/iam/reference`: the actions the server enforces and those product back ends declared,
//! and the resource types.

use axum::Json;
use axum::extract::State;
use axum::http::Uri;
use latchkey_core::authz;

use super::views::ActionView;
use crate::error::ApiResult;
use crate::extract::Caller;
use crate::query::Query;
use crate::state::AppState;

/// `GET /v2/iam/reference/action` — `account:apiovh:iam/reference/action/get`; `resourceType[]`
/// keeps the actions of those types.
pub async fn actions(
    State(app): State<AppState>,
    Caller(who): Caller,
    uri: Uri,
) -> ApiResult<Json<Vec<ActionView>>> {
    app.directory
        .authorize(&who, &authz::ACTION_REFERENCE_GET)?;
    let q = Query::parse(uri.query());
    q.only(&["resourceType"])?;
    let types = q.all("resourceType");
    let mut views: Vec<ActionView> = authz::all_actions().map(ActionView::new).collect();
    views.extend(
        app.directory
            .declared_actions()
            .await?
            .into_iter()
            .map(ActionView::declared),
    );
    views.retain(|a| types.is_empty() || types.contains(&a.resource_type));
    Ok(Json(views))
}

/// `GET /v2/iam/reference/resource/type` — `account:apiovh:iam/reference/resource/type/get`.
pub async fn resource_types(
    State(app): State<AppState>,
    Caller(who): Caller,
) -> ApiResult<Json<Vec<String>>> {
    app.directory
        .authorize(&who, &authz::RESOURCE_TYPE_REFERENCE_GET)?;
    Ok(Json(app.directory.resource_types().await?))
}
