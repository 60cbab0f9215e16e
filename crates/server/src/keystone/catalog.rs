//! `/v3/regions`, `/v3/services`, `/v3/endpoints`: readable by any caller, changed only by the
//! operator (`account:keystone:admin/catalog/manage`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use latchkey_core::authz::KS_CATALOG_MANAGE;
use latchkey_core::keystone::{Interface, Region};
use latchkey_core::names::Description;
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::admin::EndpointChanges;
use serde_json::{Map, Value, json};

use crate::query::Query;

use super::{KsCaller, KsError, KsResult, collection, opt_bool, opt_str, views, wrapped};

pub async fn list_regions(
    State(directory): State<Arc<Directory>>,
    _caller: KsCaller,
    RawQuery(query): RawQuery,
) -> KsResult<Response> {
    let query = Query::parse(query.as_deref());
    let parent = query.last("parent_region_id");
    let catalog = directory.keystone_catalog();
    let list: Vec<Value> = catalog
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
    Ok(axum::Json(json!({ "region": views::region(&directory, &region) })).into_response())
}

async fn insert_region(
    directory: &Directory,
    caller: &KsCaller,
    r: &Map<String, Value>,
    id: String,
) -> KsResult<Response> {
    let permit = caller.operator(directory, &KS_CATALOG_MANAGE)?;
    let region = Region {
        id,
        description: Description::parse(opt_str(r, "description")?.unwrap_or_default())?,
        parent_region_id: opt_str(r, "parent_region_id")?.map(str::to_owned),
    };
    let region = directory.create_region(&permit, region).await?;
    let body = json!({ "region": views::region(directory, &region) });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

pub async fn create_region(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    body: Bytes,
) -> KsResult<Response> {
    let r = wrapped(&body, "region")?;
    let id = opt_str(&r, "id")?.map_or_else(latchkey_core::keystone::new_id, str::to_owned);
    insert_region(&directory, &caller, &r, id).await
}

/// `PUT /v3/regions/{id}`: creates a region with the id given in the path.
pub async fn put_region(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> KsResult<Response> {
    let r = wrapped(&body, "region")?;
    if opt_str(&r, "id")?.is_some_and(|given| given != id) {
        return Err(KsError::bad_request(
            "The region id in the body differs from the path.",
        ));
    }
    insert_region(&directory, &caller, &r, id).await
}

pub async fn update_region(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_CATALOG_MANAGE)?;
    let r = wrapped(&body, "region")?;
    let parent = match r.get("parent_region_id") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(p)) => Some(Some(p.clone())),
        Some(_) => return Err(KsError::bad_request("'parent_region_id' must be a string")),
    };
    let region = directory
        .update_region(
            &permit,
            &id,
            opt_str(&r, "description")?
                .map(Description::parse)
                .transpose()?,
            parent,
        )
        .await?;
    Ok(axum::Json(json!({ "region": views::region(&directory, &region) })).into_response())
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
    let list: Vec<Value> = catalog
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
    Ok(axum::Json(json!({ "service": views::service(&directory, &service) })).into_response())
}

pub async fn create_service(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    body: Bytes,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_CATALOG_MANAGE)?;
    let s = wrapped(&body, "service")?;
    let kind = opt_str(&s, "type")?
        .ok_or_else(|| KsError::bad_request("'type' is a required property"))?;
    let service = directory
        .create_service(
            &permit,
            kind.to_owned(),
            opt_str(&s, "name")?.unwrap_or_default().to_owned(),
            Description::parse(opt_str(&s, "description")?.unwrap_or_default())?,
            opt_bool(&s, "enabled")?.unwrap_or(true),
        )
        .await?;
    let body = json!({ "service": views::service(&directory, &service) });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

pub async fn update_service(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_CATALOG_MANAGE)?;
    let s = wrapped(&body, "service")?;
    let mut service = directory.service(&id)?;
    if let Some(kind) = opt_str(&s, "type")? {
        service.kind = kind.to_owned();
    }
    if let Some(name) = opt_str(&s, "name")? {
        service.name = name.to_owned();
    }
    if let Some(d) = opt_str(&s, "description")? {
        service.description = Description::parse(d)?;
    }
    if let Some(enabled) = opt_bool(&s, "enabled")? {
        service.enabled = enabled;
    }
    let service = directory.update_service(&permit, service).await?;
    Ok(axum::Json(json!({ "service": views::service(&directory, &service) })).into_response())
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
    let list: Vec<Value> = catalog
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
    Ok(axum::Json(json!({ "endpoint": views::endpoint(&directory, &endpoint) })).into_response())
}

/// `region_id` (or the older `region`) of an endpoint body.
fn region_of(e: &Map<String, Value>) -> KsResult<Option<Option<String>>> {
    for key in ["region_id", "region"] {
        match e.get(key) {
            None => continue,
            Some(Value::Null) => return Ok(Some(None)),
            Some(Value::String(r)) => return Ok(Some(Some(r.clone()))),
            Some(_) => return Err(KsError::bad_request(format!("'{key}' must be a string"))),
        }
    }
    Ok(None)
}

pub async fn create_endpoint(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    body: Bytes,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_CATALOG_MANAGE)?;
    let e = wrapped(&body, "endpoint")?;
    let required = |key: &str| -> KsResult<String> {
        opt_str(&e, key)?
            .map(str::to_owned)
            .ok_or_else(|| KsError::bad_request(format!("'{key}' is a required property")))
    };
    let endpoint = directory
        .create_endpoint(
            &permit,
            required("service_id")?,
            region_of(&e)?.flatten(),
            Interface::parse(&required("interface")?)?,
            required("url")?,
            opt_bool(&e, "enabled")?.unwrap_or(true),
        )
        .await?;
    let body = json!({ "endpoint": views::endpoint(&directory, &endpoint) });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

pub async fn update_endpoint(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_CATALOG_MANAGE)?;
    let e = wrapped(&body, "endpoint")?;
    let changes = EndpointChanges {
        service_id: opt_str(&e, "service_id")?.map(str::to_owned),
        region_id: region_of(&e)?,
        interface: opt_str(&e, "interface")?
            .map(Interface::parse)
            .transpose()?,
        url: opt_str(&e, "url")?.map(str::to_owned),
        enabled: opt_bool(&e, "enabled")?,
    };
    let endpoint = directory.update_endpoint(&permit, &id, changes).await?;
    Ok(axum::Json(json!({ "endpoint": views::endpoint(&directory, &endpoint) })).into_response())
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
