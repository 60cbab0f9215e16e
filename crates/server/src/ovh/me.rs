use axum::Json;
use axum::extract::State;
use latchkey_core::authz;

use crate::error::ApiResult;
use crate::extract::Caller;
use crate::state::AppState;
use crate::views::MeView;

/// `GET /me` — action `account:apiovh:me/get`.
pub async fn get(State(app): State<AppState>, Caller(who): Caller) -> ApiResult<Json<MeView>> {
    let permit = app.directory.authorize(&who, &authz::ME_GET)?;
    let account = app.directory.me(&permit).await?;
    Ok(Json(MeView::new(&account, &who, &app.plate)))
}
