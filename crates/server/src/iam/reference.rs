//! `GET /v2/iam/reference/action`: every action the server enforces.

use axum::Json;
use axum::extract::State;
use latchkey_core::authz;

use super::views::ActionView;
use crate::error::ApiResult;
use crate::extract::Caller;
use crate::state::AppState;

/// `account:apiovh:iam/reference/action/get`.
pub async fn actions(
    State(app): State<AppState>,
    Caller(who): Caller,
) -> ApiResult<Json<Vec<ActionView>>> {
    app.directory
        .authorize(&who, &authz::ACTION_REFERENCE_GET)?;
    Ok(Json(authz::all_actions().map(ActionView::new).collect()))
}
