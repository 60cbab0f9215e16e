//! `/v2/iam/permissionsGroup`: named sets of permissions that policies add to their own by URN
//! (`urn:v1:{plate}:permissionsGroup:{owner}:{name}`): the account's, and the installation's
//! managed ones (owner `latchkey`, read-only).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use latchkey_core::authz;
use latchkey_core::names::Description;
use latchkey_core::policy::permissions_group::{
    PermissionsGroup, PermissionsGroupDraft, PermissionsGroupName,
};
use serde::Deserialize;

use super::policies::PermissionsBody;
use super::views::PermissionsGroupView;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Caller, PathParams, name};
use crate::query::{self, Page, Query};
use crate::state::AppState;

/// The body of `POST` and `PUT` (OVHcloud's `iam.PermissionsGroup`): the read-only fields a
/// reading shows may be sent back and are ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GroupBody {
    name: String,
    #[serde(default)]
    description: Description,
    permissions: PermissionsBody,
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    urn: Option<serde_json::Value>,
    #[serde(default)]
    owner: Option<serde_json::Value>,
    #[serde(default)]
    created_at: Option<serde_json::Value>,
    #[serde(default)]
    updated_at: Option<serde_json::Value>,
}

impl GroupBody {
    fn into_draft(self) -> Result<PermissionsGroupDraft, ApiError> {
        let _read_only = (
            self.id,
            self.urn,
            self.owner,
            self.created_at,
            self.updated_at,
        );
        Ok(PermissionsGroupDraft {
            name: name(&self.name, PermissionsGroupName::parse)?,
            description: self.description,
            permissions: self.permissions.permissions(),
        })
    }
}

fn view(app: &AppState, who: &authz::Principal, g: PermissionsGroup) -> PermissionsGroupView {
    PermissionsGroupView::new(g, &who.account.nic, &app.plate)
}

/// `GET /v2/iam/permissionsGroup` — `account:apiovh:iam/permissionsGroup/get`: the managed
/// groups, then the account's; pages by cursor.
pub async fn list(
    State(app): State<AppState>,
    Caller(who): Caller,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let permit = app
        .directory
        .authorize(&who, &authz::PERMISSIONS_GROUP_GET)?;
    Query::parse(uri.query()).only(&[])?;
    let page = Page::from_headers(&headers)?;
    let groups = app.directory.list_permissions_groups(&permit).await?;
    // Managed groups first (their creation time is the oldest), then by creation.
    let (range, next) = page.of(&groups, |g: &PermissionsGroup| {
        format!(
            "{}/{:020}/{}",
            u8::from(!g.read_only()),
            g.created_at.timestamp_micros(),
            g.id
        )
    });
    let views: Vec<PermissionsGroupView> = groups[range]
        .iter()
        .cloned()
        .map(|g| view(&app, &who, g))
        .collect();
    Ok(query::paged(views, next))
}

/// `POST /v2/iam/permissionsGroup` — `account:apiovh:iam/permissionsGroup/create`.
pub async fn create(
    State(app): State<AppState>,
    Caller(who): Caller,
    Body(body): Body<GroupBody>,
) -> ApiResult<Json<PermissionsGroupView>> {
    let permit = app
        .directory
        .authorize(&who, &authz::PERMISSIONS_GROUP_CREATE)?;
    let group = app
        .directory
        .create_permissions_group(&permit, body.into_draft()?)
        .await?;
    tracing::info!(by = %who.urn(&app.plate), group = %group.name, "permissions group created");
    Ok(Json(view(&app, &who, group)))
}

/// `GET /v2/iam/permissionsGroup/{permissionsGroupURN}` —
/// `account:apiovh:iam/permissionsGroup/get`.
pub async fn get(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(urn): PathParams<String>,
) -> ApiResult<Json<PermissionsGroupView>> {
    let permit = app
        .directory
        .authorize(&who, &authz::PERMISSIONS_GROUP_GET)?;
    let group = app
        .directory
        .permissions_group(&permit, &who.account, &urn)
        .await?;
    Ok(Json(view(&app, &who, group)))
}

/// `PUT /v2/iam/permissionsGroup/{permissionsGroupURN}` —
/// `account:apiovh:iam/permissionsGroup/edit`. Replaces the whole content.
pub async fn replace(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(urn): PathParams<String>,
    Body(body): Body<GroupBody>,
) -> ApiResult<Json<PermissionsGroupView>> {
    let permit = app
        .directory
        .authorize(&who, &authz::PERMISSIONS_GROUP_EDIT)?;
    let group = app
        .directory
        .replace_permissions_group(&permit, &who.account, &urn, body.into_draft()?)
        .await?;
    tracing::info!(by = %who.urn(&app.plate), group = %group.name, "permissions group replaced");
    Ok(Json(view(&app, &who, group)))
}

/// `DELETE /v2/iam/permissionsGroup/{permissionsGroupURN}` —
/// `account:apiovh:iam/permissionsGroup/delete`.
pub async fn delete(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(urn): PathParams<String>,
) -> ApiResult<Json<()>> {
    let permit = app
        .directory
        .authorize(&who, &authz::PERMISSIONS_GROUP_DELETE)?;
    app.directory
        .delete_permissions_group(&permit, &who.account, &urn)
        .await?;
    tracing::info!(by = %who.urn(&app.plate), %urn, "permissions group deleted");
    Ok(Json(()))
}
