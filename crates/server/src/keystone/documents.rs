//! `/v3/policies`, `/v3/OS-OAUTH1/consumers` and `/v3/OS-EP-FILTER/endpoint_groups`: Keystone
//! resources kept and served whole ([`DocumentKind`]). The operator's administrators change
//! them; they and system readers read them.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use latchkey_core::authz::KS_CATALOG_MANAGE;
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::documents::DocumentKind;
use serde_json::{Map, Value, json};

use crate::state::AppState;

use super::body::free_form;
use super::{KsCaller, KsError, KsResult, collection, self_link};

/// How one kind of document is named and checked on the wire.
struct Spec {
    kind: DocumentKind,
    /// The body's key for one (`policy`).
    one: &'static str,
    /// The body's key for a list (`policies`).
    many: &'static str,
    /// The collection's path under `/v3/`.
    path: &'static str,
    /// Fields a creation must carry, as strings (or, for `filters`, an object).
    required: &'static [&'static str],
    /// Fields a request may carry; others are refused.
    allowed: &'static [&'static str],
}

const POLICIES: Spec = Spec {
    kind: DocumentKind::Policy,
    one: "policy",
    many: "policies",
    path: "policies",
    required: &["blob", "type"],
    allowed: &["blob", "type", "project_id", "user_id"],
};

const CONSUMERS: Spec = Spec {
    kind: DocumentKind::Consumer,
    one: "consumer",
    many: "consumers",
    path: "OS-OAUTH1/consumers",
    required: &[],
    allowed: &["description"],
};

const ENDPOINT_GROUPS: Spec = Spec {
    kind: DocumentKind::EndpointGroup,
    one: "endpoint_group",
    many: "endpoint_groups",
    path: "OS-EP-FILTER/endpoint_groups",
    required: &["name", "filters"],
    allowed: &["name", "description", "filters"],
};

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for spec in [&POLICIES, &CONSUMERS, &ENDPOINT_GROUPS] {
        router = router
            .route(
                &format!("/v3/{}", spec.path),
                get(move |s, c| list(spec, s, c)).post(move |s, c, b| create(spec, s, c, b)),
            )
            .route(
                &format!("/v3/{}/{{id}}", spec.path),
                get(move |s, c, m, p| show(spec, s, c, m, p))
                    .head(move |s, c, m, p| show(spec, s, c, m, p))
                    .patch(move |s, c, p, b| update(spec, s, c, p, b))
                    .delete(move |s, c, p| delete(spec, s, c, p)),
            );
    }
    router
}

/// Checks the request's fields: only allowed ones, strings (an object for `filters`, and
/// `description` may be null), and on creation the required ones.
fn checked(spec: &Spec, map: Map<String, Value>, creating: bool) -> KsResult<Map<String, Value>> {
    for key in map.keys() {
        if !spec.allowed.contains(&key.as_str()) {
            return Err(KsError::bad_request(format!(
                "Additional properties are not allowed ('{key}' was unexpected)."
            )));
        }
    }
    for (key, value) in &map {
        let fits = matches!(
            (key.as_str(), value),
            ("filters", Value::Object(_)) | (_, Value::String(_)) | ("description", Value::Null)
        );
        if !fits {
            return Err(KsError::bad_request(format!(
                "Invalid input for field '{key}'."
            )));
        }
    }
    if creating && let Some(missing) = spec.required.iter().find(|k| !map.contains_key(**k)) {
        return Err(KsError::bad_request(format!(
            "'{missing}' is a required property"
        )));
    }
    Ok(map)
}

fn view(directory: &Directory, spec: &Spec, mut doc: Map<String, Value>) -> Value {
    let id = doc
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    doc.insert(
        "links".to_owned(),
        self_link(directory, &format!("{}/{id}", spec.path)),
    );
    Value::Object(doc)
}

/// Reading needs the operator's administrator or a system reader.
fn may_read(directory: &Directory, caller: &KsCaller) -> KsResult<()> {
    Ok(directory.keystone_operator_reads(&caller.0, &KS_CATALOG_MANAGE)?)
}

async fn list(
    spec: &'static Spec,
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
) -> KsResult<Response> {
    may_read(&directory, &caller)?;
    let items: Vec<Value> = directory
        .documents(spec.kind)
        .await?
        .into_iter()
        .map(|d| view(&directory, spec, d))
        .collect();
    Ok(collection(&directory, spec.many, spec.path, json!(items)))
}

async fn create(
    spec: &'static Spec,
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    body: Bytes,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_CATALOG_MANAGE)?;
    let fields = checked(spec, free_form(&body, spec.one)?, true)?;
    let doc = directory
        .create_document(&permit, spec.kind, fields)
        .await?;
    let body = json!({ spec.one: view(&directory, spec, doc) });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// `GET` answers the document; `HEAD` (the endpoint-group check) only its existence.
async fn show(
    spec: &'static Spec,
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    method: Method,
    Path(id): Path<String>,
) -> KsResult<Response> {
    may_read(&directory, &caller)?;
    let doc = directory.document(spec.kind, &id).await?;
    if method == Method::HEAD {
        return Ok(StatusCode::OK.into_response());
    }
    Ok(axum::Json(json!({ spec.one: view(&directory, spec, doc) })).into_response())
}

async fn update(
    spec: &'static Spec,
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_CATALOG_MANAGE)?;
    let changes = checked(spec, free_form(&body, spec.one)?, false)?;
    let doc = directory
        .update_document(&permit, spec.kind, &id, changes)
        .await?;
    Ok(axum::Json(json!({ spec.one: view(&directory, spec, doc) })).into_response())
}

async fn delete(
    spec: &'static Spec,
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let permit = caller.operator(&directory, &KS_CATALOG_MANAGE)?;
    directory.delete_document(&permit, spec.kind, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
