//! `/v2/iam/resourceGroup`: sets of the account's registered resources that policies name by one
//! URN (`urn:v1:{plate}:resourceGroup:{id}`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use latchkey_core::authz::{self, Permit};
use latchkey_core::resource::{ResourceGroup, ResourceGroupId, ResourceId};
use latchkey_core::service::resource_groups::MemberRef;
use latchkey_core::service::resources::ResourceFilter;
use latchkey_core::urn::Urn;
use serde::Deserialize;

use super::views::ResourceGroupView;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Caller, PathParams, name};
use crate::query::{self, Page, Query};
use crate::state::AppState;

/// A resource of a group request: `{"id": …}` (OVHcloud's way) or `{"urn": …}`; the read-only
/// fields of a resource read with `details=true` may be sent back and are ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceRef {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    urn: Option<String>,
    #[serde(default)]
    name: Option<serde_json::Value>,
    #[serde(default)]
    display_name: Option<serde_json::Value>,
    #[serde(default, rename = "type")]
    kind: Option<serde_json::Value>,
    #[serde(default)]
    owner: Option<serde_json::Value>,
    #[serde(default)]
    tags: Option<serde_json::Value>,
}

impl ResourceRef {
    fn member(self) -> Result<MemberRef, ApiError> {
        let _read_only = (
            self.name,
            self.display_name,
            self.kind,
            self.owner,
            self.tags,
        );
        match (self.id, self.urn) {
            (Some(id), _) => Ok(MemberRef::Id(name(&id, str::parse::<ResourceId>)?)),
            (None, Some(urn)) => Ok(MemberRef::Urn(name(&urn, Urn::resource)?)),
            (None, None) => Err(ApiError::bad_request(
                "each of resources names a resource by id (or by urn)",
            )),
        }
    }
}

fn members(refs: Vec<ResourceRef>) -> Result<Vec<MemberRef>, ApiError> {
    refs.into_iter().map(ResourceRef::member).collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupCreation {
    name: String,
    #[serde(default)]
    resources: Vec<ResourceRef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupUpdate {
    name: String,
    resources: Vec<ResourceRef>,
}

/// `details=true` shows each resource whole.
fn details(q: &Query) -> Result<bool, ApiError> {
    q.only(&["details"])?;
    Ok(q.flag("details")?.unwrap_or(false))
}

async fn view(
    app: &AppState,
    permit: &Permit,
    who: &latchkey_core::authz::Principal,
    groups: Vec<ResourceGroup>,
    details: bool,
) -> ApiResult<Vec<ResourceGroupView>> {
    let resources = if details {
        Some(
            app.directory
                .list_resources(permit, &who.account, &ResourceFilter::default())
                .await?,
        )
    } else {
        None
    };
    Ok(groups
        .into_iter()
        .map(|g| ResourceGroupView::new(g, &who.account.nic, &app.plate, resources.as_deref()))
        .collect())
}

async fn one(
    app: &AppState,
    permit: &Permit,
    who: &latchkey_core::authz::Principal,
    group: ResourceGroup,
    details: bool,
) -> ApiResult<Json<ResourceGroupView>> {
    let mut views = view(app, permit, who, vec![group], details).await?;
    views
        .pop()
        .map(Json)
        .ok_or_else(|| ApiError::from(latchkey_core::Error::not_found("no such resource group")))
}

/// `GET /v2/iam/resourceGroup` — `account:apiovh:iam/resourceGroup/get`; pages by cursor.
pub async fn list(
    State(app): State<AppState>,
    Caller(who): Caller,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let permit = app.directory.authorize(&who, &authz::RESOURCE_GROUP_GET)?;
    let details = details(&Query::parse(uri.query()))?;
    let page = Page::from_headers(&headers)?;
    let groups = app.directory.list_resource_groups(&permit).await?;
    let (range, next) = page.of(&groups, |g: &ResourceGroup| {
        format!("{:020}/{}", g.created_at.timestamp_micros(), g.id)
    });
    let views = view(&app, &permit, &who, groups[range].to_vec(), details).await?;
    Ok(query::paged(views, next))
}

/// `POST /v2/iam/resourceGroup` — `account:apiovh:iam/resourceGroup/create`.
pub async fn create(
    State(app): State<AppState>,
    Caller(who): Caller,
    Body(body): Body<GroupCreation>,
) -> ApiResult<Json<ResourceGroupView>> {
    let permit = app
        .directory
        .authorize(&who, &authz::RESOURCE_GROUP_CREATE)?;
    let refs = members(body.resources)?;
    let group = app
        .directory
        .create_resource_group(&permit, body.name, &refs)
        .await?;
    tracing::info!(by = %who.urn(&app.plate), group = %group.id, "resource group created");
    one(&app, &permit, &who, group, false).await
}

/// `GET /v2/iam/resourceGroup/{groupId}` — `account:apiovh:iam/resourceGroup/get`.
pub async fn get(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
    uri: Uri,
) -> ApiResult<Json<ResourceGroupView>> {
    let permit = app.directory.authorize(&who, &authz::RESOURCE_GROUP_GET)?;
    let details = details(&Query::parse(uri.query()))?;
    let id: ResourceGroupId = name(&id, str::parse)?;
    let group = app.directory.resource_group(&permit, id).await?;
    one(&app, &permit, &who, group, details).await
}

/// `PUT /v2/iam/resourceGroup/{groupId}` — `account:apiovh:iam/resourceGroup/edit`.
pub async fn replace(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
    Body(body): Body<GroupUpdate>,
) -> ApiResult<Json<ResourceGroupView>> {
    let permit = app.directory.authorize(&who, &authz::RESOURCE_GROUP_EDIT)?;
    let id: ResourceGroupId = name(&id, str::parse)?;
    let refs = members(body.resources)?;
    let group = app
        .directory
        .replace_resource_group(&permit, id, body.name, &refs)
        .await?;
    tracing::info!(by = %who.urn(&app.plate), group = %group.id, "resource group replaced");
    one(&app, &permit, &who, group, false).await
}

/// `DELETE /v2/iam/resourceGroup/{groupId}` — `account:apiovh:iam/resourceGroup/delete`.
pub async fn delete(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
) -> ApiResult<Json<()>> {
    let permit = app
        .directory
        .authorize(&who, &authz::RESOURCE_GROUP_DELETE)?;
    let id: ResourceGroupId = name(&id, str::parse)?;
    app.directory.delete_resource_group(&permit, id).await?;
    tracing::info!(by = %who.urn(&app.plate), group = %id, "resource group deleted");
    Ok(Json(()))
}
