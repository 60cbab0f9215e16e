//! Service accounts: `/me/api/oauth2/client`. The secret is returned by the creation only.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use latchkey_core::authz::{self, Permit, Principal};
use latchkey_core::model::{Flow, ServiceAccount};
use latchkey_core::names::{CallbackUrl, ClientId, Description, DisplayName};
use latchkey_core::service::service_accounts::ServiceAccountRequest;
use latchkey_core::store::ServiceAccountChanges;
use serde::Deserialize;

use crate::error::ApiResult;
use crate::extract::{Body, Caller, PathParams, name};
use crate::state::AppState;
use crate::views::{CreatedClientView, ServiceAccountView};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateClient {
    name: DisplayName,
    #[serde(default)]
    description: Description,
    flow: Flow,
    #[serde(default)]
    callback_urls: Vec<CallbackUrl>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateClient {
    name: Option<DisplayName>,
    description: Option<Description>,
    callback_urls: Option<Vec<CallbackUrl>>,
}

/// `GET /me/api/oauth2/client` — `account:apiovh:me/api/oauth2/client/get`. The client ids; with
/// `X-Pagination-Mode: CachedObjectList-Pages` (as OVHcloud's console asks), the service accounts
/// themselves, each with its number of associated policies.
pub async fn list(
    State(app): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let permit = app.directory.authorize(&who, &authz::CLIENT_GET)?;
    let ids = app.directory.list_service_accounts(&permit).await?;
    let objects = headers.get("X-Pagination-Mode").is_some_and(|mode| {
        mode.as_bytes()
            .eq_ignore_ascii_case(b"CachedObjectList-Pages")
    });
    if !objects {
        return Ok(Json(ids).into_response());
    }
    let mut views = Vec::with_capacity(ids.len());
    for id in ids {
        // A client deleted meanwhile is simply not listed.
        match app.directory.service_account(&permit, &id).await {
            Ok(sa) => views.push(view(&app, &permit, &who, sa)),
            Err(latchkey_core::Error::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Json(views).into_response())
}

fn view(
    app: &AppState,
    permit: &Permit,
    who: &Principal,
    sa: ServiceAccount,
) -> ServiceAccountView {
    let urn = sa.urn(&app.plate, &who.account.nic);
    let associated = app.directory.attached_policies(permit, &urn);
    ServiceAccountView::new(sa, &who.account.nic, &app.plate, associated)
}

/// `POST /me/api/oauth2/client` — `account:apiovh:me/api/oauth2/client/create`.
/// Answers `{clientId, clientSecret}`; the secret is never shown again.
pub async fn create(
    State(app): State<AppState>,
    Caller(who): Caller,
    Body(body): Body<CreateClient>,
) -> ApiResult<Json<CreatedClientView>> {
    let permit = app.directory.authorize(&who, &authz::CLIENT_CREATE)?;
    let request = ServiceAccountRequest {
        name: body.name,
        description: body.description,
        flow: body.flow,
        callback_urls: body.callback_urls,
    };
    let created = app
        .directory
        .create_service_account(&permit, request)
        .await?;
    let client_id = created.service_account.client_id;
    tracing::info!(by = %who.urn(&app.plate), client = %client_id, "service account created");
    Ok(Json(CreatedClientView {
        client_id,
        client_secret: created.secret.expose().to_owned(),
    }))
}

/// `GET /me/api/oauth2/client/{clientId}` — `account:apiovh:me/api/oauth2/client/get`.
pub async fn get(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(client): PathParams<String>,
) -> ApiResult<Json<ServiceAccountView>> {
    let permit = app.directory.authorize(&who, &authz::CLIENT_GET)?;
    let sa = app
        .directory
        .service_account(&permit, &name(&client, ClientId::parse)?)
        .await?;
    Ok(Json(view(&app, &permit, &who, sa)))
}

/// `PUT /me/api/oauth2/client/{clientId}` — `account:apiovh:me/api/oauth2/client/edit`.
/// Absent fields stay.
pub async fn update(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(client): PathParams<String>,
    Body(body): Body<UpdateClient>,
) -> ApiResult<Json<ServiceAccountView>> {
    let permit = app.directory.authorize(&who, &authz::CLIENT_EDIT)?;
    let client = name(&client, ClientId::parse)?;
    let changes = ServiceAccountChanges {
        name: body.name,
        description: body.description,
        callback_urls: body.callback_urls,
    };
    let sa = app
        .directory
        .update_service_account(&permit, &client, changes)
        .await?;
    tracing::info!(by = %who.urn(&app.plate), client = %client, "service account updated");
    Ok(Json(view(&app, &permit, &who, sa)))
}

/// `DELETE /me/api/oauth2/client/{clientId}` — `account:apiovh:me/api/oauth2/client/delete`.
pub async fn delete(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(client): PathParams<String>,
) -> ApiResult<Json<()>> {
    let permit = app.directory.authorize(&who, &authz::CLIENT_DELETE)?;
    let client = name(&client, ClientId::parse)?;
    app.directory
        .delete_service_account(&permit, &client)
        .await?;
    tracing::info!(by = %who.urn(&app.plate), client = %client, "service account deleted");
    Ok(Json(()))
}
