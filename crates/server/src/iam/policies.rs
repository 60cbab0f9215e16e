//! `/v2/iam/policy`: create, list (filtered, paginated), get, replace and delete policies.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use chrono::{DateTime, Utc};
use latchkey_core::authz;
use latchkey_core::names::{Description, PolicyName};
use latchkey_core::policy::{
    ActionPattern, Condition, ConditionDocument, Permissions, PolicyDraft, PolicyId, UrnPattern,
};
use latchkey_core::service::policies::PolicyFilter;
use serde::{Deserialize, Deserializer};

use super::views::PolicyView;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Caller, PathParams, name};
use crate::query::{self, Page, Query};
use crate::state::AppState;

/// An identity URN (pattern) in a request.
#[derive(Debug)]
struct Identity(UrnPattern);

impl<'de> Deserialize<'de> for Identity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        UrnPattern::identity(&s)
            .map(Identity)
            .map_err(serde::de::Error::custom)
    }
}

/// `{"urn": …}`: a resource URN (pattern) in a request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceRef {
    #[serde(deserialize_with = "resource_pattern")]
    urn: UrnPattern,
}

fn resource_pattern<'de, D: Deserializer<'de>>(d: D) -> Result<UrnPattern, D::Error> {
    let s = String::deserialize(d)?;
    UrnPattern::resource(&s).map_err(serde::de::Error::custom)
}

/// `{"action": …}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionRef {
    action: ActionPattern,
}

/// `{allow, except, deny}`, each a list of `{"action": …}` (absent or `null`: none).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PermissionsBody {
    #[serde(default, deserialize_with = "actions_or_null")]
    allow: Vec<ActionRef>,
    #[serde(default, deserialize_with = "actions_or_null")]
    except: Vec<ActionRef>,
    #[serde(default, deserialize_with = "actions_or_null")]
    deny: Vec<ActionRef>,
}

/// OVHcloud's lists of actions are nullable.
fn actions_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ActionRef>, D::Error> {
    Ok(Option::<Vec<ActionRef>>::deserialize(d)?.unwrap_or_default())
}

impl PermissionsBody {
    pub(super) fn permissions(self) -> Permissions {
        let actions = |list: Vec<ActionRef>| list.into_iter().map(|a| a.action).collect();
        Permissions {
            allow: actions(self.allow),
            except: actions(self.except),
            deny: actions(self.deny),
        }
    }
}

/// `{"urn": …}` naming a permissions group; the read-only fields a `details=true` reading
/// shows may be sent back and are ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PermissionsGroupRef {
    urn: String,
    #[serde(default)]
    name: Option<serde_json::Value>,
    #[serde(default)]
    owner: Option<serde_json::Value>,
    #[serde(default)]
    permissions: Option<serde_json::Value>,
}

/// The body of `POST /policy` and `PUT /policy/{id}` (a replace: every field is given again).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyBody {
    name: PolicyName,
    #[serde(default)]
    description: Description,
    identities: Vec<Identity>,
    resources: Vec<ResourceRef>,
    permissions: PermissionsBody,
    #[serde(default)]
    expired_at: Option<DateTime<Utc>>,
    /// OVHcloud's condition tree; `null` or absent for none.
    #[serde(default)]
    conditions: Option<ConditionDocument>,
    /// The permissions groups whose permissions the policy adds to its own.
    #[serde(default)]
    permissions_groups: Option<Vec<PermissionsGroupRef>>,
}

impl PolicyBody {
    fn into_draft(self) -> Result<PolicyDraft, ApiError> {
        let permissions_groups = self
            .permissions_groups
            .unwrap_or_default()
            .into_iter()
            .map(|g| {
                let _read_only = (g.name, g.owner, g.permissions);
                g.urn
            })
            .collect();
        let conditions = self
            .conditions
            .map(Condition::parse)
            .transpose()
            .map_err(|e| ApiError::bad_request(format!("conditions: {}", message(e))))?;
        Ok(PolicyDraft {
            name: self.name,
            description: self.description,
            identities: self.identities.into_iter().map(|i| i.0).collect(),
            resources: self.resources.into_iter().map(|r| r.urn).collect(),
            permissions: self.permissions.permissions(),
            conditions,
            permissions_groups,
            expired_at: self.expired_at,
        })
    }
}

/// The message of a model error, without its kind.
fn message(e: latchkey_core::Error) -> String {
    match e {
        latchkey_core::Error::Invalid(m) => m,
        other => other.to_string(),
    }
}

/// `POST /v2/iam/policy` — `account:apiovh:iam/policy/create`.
pub async fn create(
    State(app): State<AppState>,
    Caller(who): Caller,
    Body(body): Body<PolicyBody>,
) -> ApiResult<Json<PolicyView>> {
    let permit = app.directory.authorize(&who, &authz::POLICY_CREATE)?;
    let policy = app
        .directory
        .create_policy(&permit, body.into_draft()?)
        .await?;
    tracing::info!(by = %who.urn(&app.plate), policy = %policy.id, name = %policy.name, "policy created");
    Ok(Json(PolicyView::new(policy, &who.account.nic)))
}

/// `GET /v2/iam/policy` — `account:apiovh:iam/policy/get`. Filters `identity[]`,
/// `resourceURN[]`, `action[]` (a policy is kept when it names one of the values exactly) and
/// `readOnly`; pages by `X-Pagination-Cursor` / `X-Pagination-Size`, and answers
/// `X-Pagination-Cursor-Next` while more remain.
pub async fn list(
    State(app): State<AppState>,
    Caller(who): Caller,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let permit = app.directory.authorize(&who, &authz::POLICY_GET)?;
    let q = Query::parse(uri.query());
    q.only(&["identity", "resourceURN", "action", "readOnly", "details"])?;
    let details = q.flag("details")?.unwrap_or(false);
    let filter = PolicyFilter {
        identities: q.all("identity"),
        resources: q.all("resourceURN"),
        actions: q.all("action"),
        read_only: q.flag("readOnly")?,
    };
    let page = Page::from_headers(&headers)?;
    let policies = app.directory.list_policies(&permit, &filter).await?;
    // Listed oldest first; a cursor is the position key of the last policy of its page.
    let (range, next) = page.of(&policies, |p| {
        format!("{:020}/{}", p.created_at.timestamp_micros(), p.id)
    });
    let mut views: Vec<PolicyView> = policies[range]
        .iter()
        .cloned()
        .map(|p| PolicyView::new(p, &who.account.nic))
        .collect();
    if details {
        views = detailed(&app, &permit, &who, views).await?;
    }
    Ok(query::paged(views, next))
}

/// The views with each resource's object embedded (`details=true`, as OVHcloud answers).
async fn detailed(
    app: &AppState,
    permit: &latchkey_core::authz::Permit,
    who: &latchkey_core::authz::Principal,
    views: Vec<PolicyView>,
) -> ApiResult<Vec<PolicyView>> {
    let filter = latchkey_core::service::resources::ResourceFilter::default();
    let resources = app
        .directory
        .list_resources(permit, &who.account, &filter)
        .await?;
    let groups = app.directory.list_resource_groups(permit).await?;
    let permissions_groups = app.directory.list_permissions_groups(permit).await?;
    Ok(views
        .into_iter()
        .map(|v| v.with_details(&resources, &groups, &permissions_groups, &app.plate))
        .collect())
}

/// One view with its resources' objects embedded.
async fn detailed_one(
    app: &AppState,
    permit: &latchkey_core::authz::Permit,
    who: &latchkey_core::authz::Principal,
    view: PolicyView,
) -> ApiResult<PolicyView> {
    let mut views = detailed(app, permit, who, vec![view]).await?;
    views.pop().ok_or_else(|| {
        ApiError::from(latchkey_core::Error::not_found(
            "the policy no longer exists",
        ))
    })
}

/// `GET /v2/iam/policy/{id}` — `account:apiovh:iam/policy/get`; `details=true` embeds each
/// resource's object.
pub async fn get(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
    uri: Uri,
) -> ApiResult<Json<PolicyView>> {
    let permit = app.directory.authorize(&who, &authz::POLICY_GET)?;
    let q = Query::parse(uri.query());
    q.only(&["details"])?;
    let details = q.flag("details")?.unwrap_or(false);
    let id: PolicyId = name(&id, str::parse)?;
    let policy = app.directory.policy(&permit, id).await?;
    let view = PolicyView::new(policy, &who.account.nic);
    if details {
        return Ok(Json(detailed_one(&app, &permit, &who, view).await?));
    }
    Ok(Json(view))
}

/// `PUT /v2/iam/policy/{id}` — `account:apiovh:iam/policy/edit`. Replaces the whole content.
pub async fn replace(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
    Body(body): Body<PolicyBody>,
) -> ApiResult<Json<PolicyView>> {
    let permit = app.directory.authorize(&who, &authz::POLICY_EDIT)?;
    let id: PolicyId = name(&id, str::parse)?;
    let policy = app
        .directory
        .replace_policy(&permit, id, body.into_draft()?)
        .await?;
    tracing::info!(by = %who.urn(&app.plate), policy = %policy.id, "policy replaced");
    Ok(Json(PolicyView::new(policy, &who.account.nic)))
}

/// `DELETE /v2/iam/policy/{id}` — `account:apiovh:iam/policy/delete`.
pub async fn delete(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
) -> ApiResult<Json<()>> {
    let permit = app.directory.authorize(&who, &authz::POLICY_DELETE)?;
    let id: PolicyId = name(&id, str::parse)?;
    app.directory.delete_policy(&permit, id).await?;
    tracing::info!(by = %who.urn(&app.plate), policy = %id, "policy deleted");
    Ok(Json(()))
}
