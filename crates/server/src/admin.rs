//! `/v2/admin/account` and `/v2/admin/keys/rotate`: the operator (the bootstrap account's ROOT
//! user) creates and reads the installation's accounts (`account:apiovh:admin/account/manage`)
//! and rotates the signing keys. `/v2/admin/resource`: product back ends (identities of the
//! operator's account allowed `latchkey:iam/resource/manage`) register and remove the resources
//! they make for accounts, and declare their actions.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use latchkey_core::authz;
use latchkey_core::model::DomainFields;
use latchkey_core::names::{Email, Nic};
use latchkey_core::secret::Secret;
use latchkey_core::service::accounts::AccountRequest;
use serde::Deserialize;

use crate::error::ApiResult;
use crate::extract::{Body, Caller, PathParams, name};
use crate::state::AppState;
use crate::views::{AccountView, CreatedAccountView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v2/admin/account", get(list).post(create))
        .route("/v2/admin/account/{nic}", get(show))
        .route("/v2/admin/keys/rotate", axum::routing::post(rotate_keys))
        .route("/v2/admin/resource", axum::routing::post(register_resource))
        .route(
            "/v2/admin/resource/{urn}",
            axum::routing::delete(remove_resource),
        )
}

/// An action a product back end declares with a registration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ActionDeclaration {
    action: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    categories: Vec<String>,
}

/// The body of `POST /v2/admin/resource`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceRegistration {
    /// The nic of the account the resource belongs to.
    owner: String,
    #[serde(rename = "type")]
    kind: String,
    name: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    tags: latchkey_core::resource::Tags,
    #[serde(default)]
    actions: Vec<ActionDeclaration>,
}

/// `POST /v2/admin/resource` — `latchkey:iam/resource/manage`, in the operator's account.
/// Registering again the same resource for the same account keeps its tags.
async fn register_resource(
    State(app): State<AppState>,
    Caller(who): Caller,
    Body(body): Body<ResourceRegistration>,
) -> ApiResult<Json<crate::iam::views::ResourceView>> {
    use latchkey_core::resource::{
        Category, DeclaredAction, Registration, ResourceName, ResourceType,
    };
    let owner = name(&body.owner, Nic::parse)?;
    let kind = name(&body.kind, ResourceType::parse)?;
    let actions = body
        .actions
        .into_iter()
        .map(|a| {
            Ok(DeclaredAction {
                action: a.action,
                resource_type: kind.clone(),
                description: a.description,
                categories: a
                    .categories
                    .iter()
                    .map(|c| Category::parse(c))
                    .collect::<latchkey_core::Result<_>>()?,
            })
        })
        .collect::<latchkey_core::Result<Vec<_>>>()?;
    let registration = Registration {
        name: name(&body.name, ResourceName::parse)?,
        kind,
        display_name: body.display_name,
        tags: body.tags,
        actions,
    };
    let resource = app
        .directory
        .register_resource(&who, &owner, registration)
        .await?;
    tracing::info!(by = %who.urn(&app.plate), resource = %resource.urn, owner = %owner, "resource registered");
    Ok(Json(crate::iam::views::ResourceView::new(resource, &owner)))
}

/// `DELETE /v2/admin/resource/{urn}` — `latchkey:iam/resource/manage`, in the operator's account.
async fn remove_resource(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(urn): PathParams<String>,
) -> ApiResult<Json<()>> {
    let urn = name(&urn, latchkey_core::urn::Urn::resource)?;
    app.directory.remove_resource(&who, &urn).await?;
    tracing::info!(by = %who.urn(&app.plate), resource = %urn, "resource removed");
    Ok(Json(()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateAccount {
    nichandle: Option<String>,
    email: Email,
    admin_password: Option<Secret>,
}

async fn list(State(app): State<AppState>, Caller(who): Caller) -> ApiResult<Json<Vec<Nic>>> {
    let permit = app
        .directory
        .authorize_operator(&who, &authz::ADMIN_ACCOUNT_MANAGE)?;
    let accounts = app.directory.list_accounts(&permit).await?;
    Ok(Json(accounts.into_iter().map(|a| a.nic).collect()))
}

async fn create(
    State(app): State<AppState>,
    Caller(who): Caller,
    Body(body): Body<CreateAccount>,
) -> ApiResult<Json<CreatedAccountView>> {
    let permit = app
        .directory
        .authorize_operator(&who, &authz::ADMIN_ACCOUNT_MANAGE)?;
    let nic = body.nichandle.as_deref().map(Nic::parse).transpose()?;
    let request = AccountRequest {
        nic,
        email: body.email,
        admin_password: body.admin_password,
        domain: DomainFields::default(),
    };
    let created = app.directory.create_account(&permit, request).await?;
    tracing::info!(by = %who.urn(&app.plate), account = %created.account.nic, "account created");
    Ok(Json(CreatedAccountView {
        account: AccountView::new(created.account, &app.plate),
        admin_login: created.root_login,
        admin_password: created.generated_password.map(|p| p.expose().to_owned()),
    }))
}

async fn show(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(nic): PathParams<String>,
) -> ApiResult<Json<AccountView>> {
    let permit = app
        .directory
        .authorize_operator(&who, &authz::ADMIN_ACCOUNT_MANAGE)?;
    let account = app
        .directory
        .account_by_nic(&permit, &name(&nic, Nic::parse)?)
        .await?;
    Ok(Json(AccountView::new(account, &app.plate)))
}

/// `POST /v2/admin/keys/rotate` — `account:apiovh:admin/keys/rotate`: staged → primary,
/// primary → retired (verifying until its last token expires), and a new staged key. Answers the
/// keys' ids and states; private keys never leave the store.
async fn rotate_keys(
    State(app): State<AppState>,
    Caller(who): Caller,
) -> ApiResult<Json<serde_json::Value>> {
    let permit = app
        .directory
        .authorize_operator(&who, &authz::ADMIN_KEYS_ROTATE)?;
    let keys = app.directory.rotate_keys(&permit).await?;
    tracing::info!(by = %who.urn(&app.plate), "signing keys rotated");
    let keys: Vec<_> = keys
        .iter()
        .map(|k| serde_json::json!({ "kid": k.kid, "state": k.state.as_str(), "createdAt": k.created_at, "activatedAt": k.activated_at, "verifyUntil": k.verify_until }))
        .collect();
    Ok(Json(serde_json::json!({ "keys": keys })))
}
