//! `/v2/iam/resource`: the account's resources (the account itself and those product back ends
//! registered), their tags, and which actions the caller may perform on a resource.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use latchkey_core::authz;
use latchkey_core::resource::{Resource, Tags};
use latchkey_core::service::resources::{ResourceFilter, TagFilter, TagOperator};
use latchkey_core::urn::Urn;
use serde::{Deserialize, Serialize};

use super::views::ResourceView;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Caller, PathParams, name};
use crate::query::{self, Page, Query};
use crate::state::AppState;

/// The `tags` filter: `tags[<key>]=<value>` (EQ), or OpenAPI's deep-object form
/// `tags[<key>][<n>][operator]=<OP>` with `tags[<key>][<n>][value]=<value>`.
fn tag_filters(q: &Query) -> Result<Vec<TagFilter>, ApiError> {
    // (key, index) → (operator, value)
    let mut parts: std::collections::BTreeMap<(String, String), (Option<String>, Option<String>)> =
        std::collections::BTreeMap::new();
    for (k, v) in q.pairs() {
        let Some(rest) = k.strip_prefix("tags[") else {
            continue;
        };
        let bad = || {
            ApiError::bad_request(format!(
                "{k:?} is not a tag filter: tags[<key>]=<value>, or \
                 tags[<key>][<n>][operator] with tags[<key>][<n>][value]"
            ))
        };
        let (key, rest) = rest.split_once(']').ok_or_else(bad)?;
        if rest.is_empty() {
            parts.entry((key.to_owned(), String::new())).or_default().1 = Some(v.clone());
            continue;
        }
        let rest = rest.strip_prefix('[').ok_or_else(bad)?;
        let (index, rest) = rest.split_once("][").ok_or_else(bad)?;
        let entry = parts.entry((key.to_owned(), index.to_owned())).or_default();
        match rest {
            "operator]" => entry.0 = Some(v.clone()),
            "value]" => entry.1 = Some(v.clone()),
            _ => return Err(bad()),
        }
    }
    parts
        .into_iter()
        .map(|((key, _), (operator, value))| {
            let operator = operator
                .as_deref()
                .map_or(Ok(TagOperator::Eq), TagOperator::parse)?;
            let needs_value = !matches!(operator, TagOperator::Exists | TagOperator::Nexists);
            if needs_value && value.is_none() {
                return Err(ApiError::bad_request(format!(
                    "the tag filter on {key:?} needs a value"
                )));
            }
            Ok(TagFilter {
                key,
                operator,
                value: value.unwrap_or_default(),
            })
        })
        .collect()
}

/// `GET /v2/iam/resource` — `account:apiovh:iam/resource/get`. Filters `resourceName[]`,
/// `resourceType[]`, `resourceURN[]` and `tags`; pages by `X-Pagination-Cursor`.
pub async fn list(
    State(app): State<AppState>,
    Caller(who): Caller,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let permit = app.directory.authorize(&who, &authz::RESOURCE_GET)?;
    let q = Query::parse(uri.query());
    let known = ["resourceName", "resourceType", "resourceURN"];
    if let Some((k, _)) = q
        .pairs()
        .iter()
        .find(|(k, _)| !known.contains(&k.as_str()) && !k.starts_with("tags["))
    {
        return Err(ApiError::bad_request(format!(
            "unknown query parameter {k:?}; expected resourceName, resourceType, resourceURN \
             or tags"
        )));
    }
    let filter = ResourceFilter {
        names: q.all("resourceName"),
        types: q.all("resourceType"),
        urns: q.all("resourceURN"),
        tags: tag_filters(&q)?,
    };
    let page = Page::from_headers(&headers)?;
    let resources = app
        .directory
        .list_resources(&permit, &who.account, &filter)
        .await?;
    let (range, next) = page.of(&resources, |r: &Resource| {
        format!("{:020}/{}", r.created_at.timestamp_micros(), r.id)
    });
    let views: Vec<ResourceView> = resources[range]
        .iter()
        .cloned()
        .map(|r| ResourceView::new(r, &who.account.nic))
        .collect();
    Ok(query::paged(views, next))
}

/// `GET /v2/iam/resource/{urn}` — `account:apiovh:iam/resource/get`.
pub async fn get(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(urn): PathParams<String>,
) -> ApiResult<Json<ResourceView>> {
    let permit = app.directory.authorize(&who, &authz::RESOURCE_GET)?;
    let urn = name(&urn, Urn::resource)?;
    let r = app.directory.resource(&permit, &who.account, &urn).await?;
    Ok(Json(ResourceView::new(r, &who.account.nic)))
}

/// The body of `PUT /v2/iam/resource/{urn}`: OVHcloud's whole `iam.resource.Resource`, of which
/// only `tags` may change; the read-only fields may be sent back as they were read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceEdit {
    #[serde(default)]
    tags: Option<Tags>,
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    urn: Option<serde_json::Value>,
    #[serde(default)]
    name: Option<serde_json::Value>,
    #[serde(default)]
    display_name: Option<serde_json::Value>,
    #[serde(default, rename = "type")]
    kind: Option<serde_json::Value>,
    #[serde(default)]
    owner: Option<serde_json::Value>,
}

/// `PUT /v2/iam/resource/{urn}` — `account:apiovh:iam/resource/edit`: replaces the tags.
pub async fn edit(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(urn): PathParams<String>,
    Body(body): Body<ResourceEdit>,
) -> ApiResult<Json<ResourceView>> {
    let permit = app.directory.authorize(&who, &authz::RESOURCE_EDIT)?;
    let urn = name(&urn, Urn::resource)?;
    let current = app.directory.resource(&permit, &who.account, &urn).await?;
    let unchanged = |field: &str, given: &Option<serde_json::Value>, is: &str| match given {
        Some(v) if v.as_str() != Some(is) => Err(ApiError::bad_request(format!(
            "{field} cannot be changed; only tags can"
        ))),
        _ => Ok(()),
    };
    unchanged("id", &body.id, &current.id.to_string())?;
    unchanged("urn", &body.urn, current.urn.as_str())?;
    unchanged("name", &body.name, current.name.as_str())?;
    unchanged("displayName", &body.display_name, &current.display_name)?;
    unchanged("type", &body.kind, current.kind.as_str())?;
    unchanged("owner", &body.owner, who.account.nic.as_str())?;
    let r = app
        .directory
        .set_resource_tags(&permit, &who.account, &urn, body.tags.unwrap_or_default())
        .await?;
    tracing::info!(by = %who.urn(&app.plate), resource = %urn, "resource tags replaced");
    Ok(Json(ResourceView::new(r, &who.account.nic)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddTag {
    key: String,
    value: String,
}

/// `POST /v2/iam/resource/{urn}/tag` — `account:apiovh:iam/resource/tag/add`.
pub async fn add_tag(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(urn): PathParams<String>,
    Body(body): Body<AddTag>,
) -> ApiResult<Json<()>> {
    let permit = app.directory.authorize(&who, &authz::RESOURCE_TAG_ADD)?;
    let urn = name(&urn, Urn::resource)?;
    app.directory
        .add_resource_tag(&permit, &who.account, &urn, body.key, body.value)
        .await?;
    Ok(Json(()))
}

/// `DELETE /v2/iam/resource/{urn}/tag/{key}` — `account:apiovh:iam/resource/tag/remove`.
pub async fn remove_tag(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams((urn, key)): PathParams<(String, String)>,
) -> ApiResult<Json<()>> {
    let permit = app.directory.authorize(&who, &authz::RESOURCE_TAG_REMOVE)?;
    let urn = name(&urn, Urn::resource)?;
    app.directory
        .remove_resource_tag(&permit, &who.account, &urn, key)
        .await?;
    Ok(Json(()))
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

/// Most resources one batch check may name.
const MAX_CHECKED_RESOURCES: usize = 100;

/// The address a check decides with: the caller's own, or — from a guard that proves with
/// `X-Latchkey-Relay` an identity of the operator's account allowed
/// `latchkey:iam/authorization/relay` — the one it names in `X-Latchkey-Caller-Address`.
async fn check_address(
    app: &AppState,
    headers: &HeaderMap,
) -> Result<Option<std::net::IpAddr>, ApiError> {
    use latchkey_wire::headers::{X_LATCHKEY_CALLER_ADDRESS, X_LATCHKEY_RELAY};
    let own = latchkey_core::audit::Origin::current_ip();
    let Some(named) = headers.get(X_LATCHKEY_CALLER_ADDRESS) else {
        return Ok(own);
    };
    let address = named
        .to_str()
        .ok()
        .and_then(|s| s.trim().parse::<std::net::IpAddr>().ok())
        .ok_or_else(|| {
            ApiError::bad_request(format!("{X_LATCHKEY_CALLER_ADDRESS} is not an IP address"))
        })?;
    let refused = || ApiError::from(latchkey_core::Error::forbidden(authz::RELAY_CALLER.name));
    let relay = headers
        .get(X_LATCHKEY_RELAY)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(refused)?;
    let mut proof = HeaderMap::new();
    let value = axum::http::HeaderValue::from_str(relay).map_err(|_| refused())?;
    proof.insert(axum::http::header::AUTHORIZATION, value);
    let client = own.unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    let guard = crate::extract::authenticate_headers(&app.directory, &proof, client)
        .await
        .map_err(|_| refused())?;
    app.directory.relay_permit(&guard).map_err(|_| refused())?;
    Ok(Some(address))
}

fn check_actions_bound(actions: &[String]) -> Result<(), ApiError> {
    if actions.is_empty() || actions.len() > MAX_CHECKED_ACTIONS {
        return Err(ApiError::bad_request(format!(
            "actions must name from 1 to {MAX_CHECKED_ACTIONS} actions"
        )));
    }
    Ok(())
}

/// `POST /v2/iam/resource/{urn}/authorization/check` —
/// `account:apiovh:iam/resource/authorization/check`. Answers for the caller itself (from the
/// address a guard relays for it, see [`check_address`]).
pub async fn check(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(urn): PathParams<String>,
    headers: HeaderMap,
    Body(body): Body<CheckRequest>,
) -> ApiResult<Json<CheckView>> {
    app.directory.authorize(&who, &authz::RESOURCE_CHECK)?;
    let urn = name(&urn, Urn::resource)?;
    check_actions_bound(&body.actions)?;
    let ip = check_address(&app, &headers).await?;
    let outcome = app.directory.check_actions(&who, &urn, &body.actions, ip)?;
    Ok(Json(CheckView {
        authorized_actions: outcome.authorized,
        unauthorized_actions: outcome.unauthorized,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchCheckRequest {
    actions: Vec<String>,
    #[serde(rename = "resourceURNs")]
    resource_urns: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchCheckView {
    #[serde(rename = "resourceURN")]
    resource_urn: String,
    authorized_actions: Vec<String>,
    unauthorized_actions: Vec<String>,
}

/// `POST /v2/iam/authorization/check` — `account:apiovh:iam/resource/authorization/check`: the
/// same check on several resources, one answer per resource in the order asked.
pub async fn batch_check(
    State(app): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    Body(body): Body<BatchCheckRequest>,
) -> ApiResult<Json<Vec<BatchCheckView>>> {
    app.directory.authorize(&who, &authz::RESOURCE_CHECK)?;
    check_actions_bound(&body.actions)?;
    if body.resource_urns.is_empty() || body.resource_urns.len() > MAX_CHECKED_RESOURCES {
        return Err(ApiError::bad_request(format!(
            "resourceURNs must name from 1 to {MAX_CHECKED_RESOURCES} resources"
        )));
    }
    let urns = body
        .resource_urns
        .iter()
        .map(|u| name(u, Urn::resource))
        .collect::<Result<Vec<_>, _>>()?;
    let ip = check_address(&app, &headers).await?;
    let mut out = Vec::with_capacity(urns.len());
    for urn in urns {
        let outcome = app.directory.check_actions(&who, &urn, &body.actions, ip)?;
        out.push(BatchCheckView {
            resource_urn: urn.to_string(),
            authorized_actions: outcome.authorized,
            unauthorized_actions: outcome.unauthorized,
        });
    }
    Ok(Json(out))
}
