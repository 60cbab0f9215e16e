//! `/v3/regions`, `/v3/services`, `/v3/endpoints`: readable by any caller, changed only by the
//! operator (`account:keystone:admin/catalog/manage`).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use latchkey_core::authz::KS_CATALOG_MANAGE;
use latchkey_core::keystone::{Interface, Region};
use latchkey_core::names::Description;
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::admin::EndpointChanges;
use serde::Deserialize;
use serde_json::json;

use crate::query::Query;

use super::body::{KsBody, Wrapped, present, required};
use super::{KsCaller, KsError, KsResult, collection, created, one, views};

/// The body of `POST`, `PUT` and `PATCH /v3/regions[/{id}]`.
#[derive(Debug, Deserialize)]
pub struct RegionBody {
    id: Option<String>,
    description: Option<String>,
    /// Absent: unchanged; null: the region has no parent.
    #[serde(default, deserialize_with = "present")]
    parent_region_id: Option<Option<String>>,
}

impl Wrapped for RegionBody {
    const KEY: &'static str = "region";
}

/// The body of `POST` and `PATCH /v3/services[/{id}]`.
#[derive(Debug, Deserialize)]
pub struct ServiceBody {
    #[serde(rename = "type")]
    kind: Option<String>,
    name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
}

impl Wrapped for ServiceBody {
    const KEY: &'static str = "service";
}

/// The body of `POST` and `PATCH /v3/endpoints[/{id}]`; `region` is the older name of
/// `region_id`.
#[derive(Debug, Deserialize)]
pub struct EndpointBody {
    service_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    region_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    region: Option<Option<String>>,
    interface: Option<String>,
    url: Option<String>,
    enabled: Option<bool>,
}

impl Wrapped for EndpointBody {
    const KEY: &'static str = "endpoint";
}

impl EndpointBody {
    /// The region the request names: absent, none (null) or one.
    fn region(&self) -> Option<Option<String>> {
        self.region_id.clone().or_else(|| self.region.clone())
    }
}

pub async fn list_regions(
    State(directory): State<Arc<Directory>>,
    _caller: KsCaller,
    RawQuery(query): RawQuery,
) -> KsResult<Response> {
    let query = Query::parse(query.as_deref());
    let parent = query.last("parent_region_id");
    let catalog = directory.keystone_catalog();
    let list: Vec<_> = catalog
        .regions
        .iter()
        .filter(|r| parent.is_none_or(|p| r.parent_region_id.as_deref() == Some(p)))
        .map(|r| views::region(&directory, r))
        .collect();
    Ok(collection(&directory, "regions", "regions", json!(list)))
}

pub async fn get_region(
    State(directory): State<Arc<Directory>>,
    _caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let region = directory.region(&id)?;
    Ok(one("region", views::region(&directory, &region)))
}

async fn insert_region(
    directory: &Directory,
    caller: &KsCaller,
    r: RegionBody,
    id: String,
) -> KsResult<Response> {
    let permit = caller.operator(directory, &KS_CATALOG_MANAGE)?;
    let region = Region {
        id,
        description: Description::parse(r.description.as_deref().unwrap_or_default())?,
        parent_region_id: r.parent_region_id.flatten(),
    };
    let region = directory.create_region(&permit, region).await?;
    Ok(created("region", views::region(directory, &region)))
}

pub async fn create_region(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    KsBody(r): KsBody<RegionBody>,
) -> KsResult<Response> {
    let id = r.id.clone().unwrap_or_else(latchkey_core::keystone::new_id);
    insert_region(&directory, &caller, r, id).await
}

/// `PUT /v3/regions/{id}`: creates a region with the id given in the path.
pub async fn put_region(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    KsBody(r): KsBody<RegionBody>,
) -> KsResult<Response> {
    if r.id.as_ref().is_some_and(|given| *given != id) {
        return Err(KsError::bad_request(
            "The region id in the body differs from the path.",
        ));
    }
    insert_region(&directory, &caller, r, id).await
}

pub async fn update_region(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    KsBody(r): KsBody<RegionBody>,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_CATALOG_MANAGE)?;
    let description = r
        .description
        .as_deref()
        .map(Description::parse)
        .transpose()?;
    let region = directory
        .update_region(&permit, &id, description, r.parent_region_id)
        .await?;
    Ok(one("region", views::region(&directory, &region)))
}

pub async fn delete_region(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_CATALOG_MANAGE)?;
    directory.delete_region(&permit, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn list_services(
    State(directory): State<Arc<Directory>>,
    _caller: KsCaller,
    RawQuery(query): RawQuery,
) -> KsResult<Response> {
    let query = Query::parse(query.as_deref());
    let kind = query.last("type");
    let name = query.last("name");
    let catalog = directory.keystone_catalog();
    let list: Vec<_> = catalog
        .services
        .iter()
        .filter(|s| kind.is_none_or(|k| s.kind == k))
        .filter(|s| name.is_none_or(|n| s.name == n))
        .map(|s| views::service(&directory, s))
        .collect();
    Ok(collection(&directory, "services", "services", json!(list)))
}

pub async fn get_service(
    State(directory): State<Arc<Directory>>,
    _caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let service = directory.service(&id)?;
    Ok(one("service", views::service(&directory, &service)))
}

pub async fn create_service(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    KsBody(s): KsBody<ServiceBody>,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_CATALOG_MANAGE)?;
    let service = directory
        .create_service(
            &permit,
            required(s.kind, "type")?,
            s.name.unwrap_or_default(),
            Description::parse(s.description.as_deref().unwrap_or_default())?,
            s.enabled.unwrap_or(true),
        )
        .await?;
    Ok(created("service", views::service(&directory, &service)))
}

pub async fn update_service(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    KsBody(s): KsBody<ServiceBody>,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_CATALOG_MANAGE)?;
    let mut service = directory.service(&id)?;
    if let Some(kind) = s.kind {
        service.kind = kind;
    }
    if let Some(name) = s.name {
        service.name = name;
    }
    if let Some(d) = s.description {
        service.description = Description::parse(&d)?;
    }
    if let Some(enabled) = s.enabled {
        service.enabled = enabled;
    }
    let service = directory.update_service(&permit, service).await?;
    Ok(one("service", views::service(&directory, &service)))
}

pub async fn delete_service(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_CATALOG_MANAGE)?;
    directory.delete_service(&permit, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn list_endpoints(
    State(directory): State<Arc<Directory>>,
    _caller: KsCaller,
    RawQuery(query): RawQuery,
) -> KsResult<Response> {
    let query = Query::parse(query.as_deref());
    let service = query.last("service_id");
    let interface = query.last("interface");
    let region = query.last("region_id");
    let catalog = directory.keystone_catalog();
    let list: Vec<_> = catalog
        .endpoints
        .iter()
        .filter(|e| service.is_none_or(|s| e.service_id == s))
        .filter(|e| interface.is_none_or(|i| e.interface.as_str() == i))
        .filter(|e| region.is_none_or(|r| e.region_id.as_deref() == Some(r)))
        .map(|e| views::endpoint(&directory, e))
        .collect();
    Ok(collection(
        &directory,
        "endpoints",
        "endpoints",
        json!(list),
    ))
}

pub async fn get_endpoint(
    State(directory): State<Arc<Directory>>,
    _caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let endpoint = directory.endpoint(&id)?;
    Ok(one("endpoint", views::endpoint(&directory, &endpoint)))
}

pub async fn create_endpoint(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    KsBody(e): KsBody<EndpointBody>,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_CATALOG_MANAGE)?;
    let region = e.region().flatten();
    let endpoint = directory
        .create_endpoint(
            &permit,
            required(e.service_id, "service_id")?,
            region,
            Interface::parse(&required(e.interface, "interface")?)?,
            required(e.url, "url")?,
            e.enabled.unwrap_or(true),
        )
        .await?;
    Ok(created("endpoint", views::endpoint(&directory, &endpoint)))
}

pub async fn update_endpoint(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    KsBody(e): KsBody<EndpointBody>,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_CATALOG_MANAGE)?;
    let changes = EndpointChanges {
        region_id: e.region(),
        service_id: e.service_id,
        interface: e.interface.as_deref().map(Interface::parse).transpose()?,
        url: e.url,
        enabled: e.enabled,
    };
    let endpoint = directory.update_endpoint(&permit, &id, changes).await?;
    Ok(one("endpoint", views::endpoint(&directory, &endpoint)))
}

pub async fn delete_endpoint(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_CATALOG_MANAGE)?;
    directory.delete_endpoint(&permit, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
