//! `/v3/domains/{id}/config` (and `/v3/domains/config/…/default`): Keystone's per-domain
//! identity settings ([`latchkey_core::service::keystone::domain_config`]). The cloud
//! administrator manages them; the defaults are readable by any token.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use latchkey_core::authz::KS_CATALOG_MANAGE;
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::domain_config::default_config;
use serde_json::{Map, Value, json};

use crate::state::AppState;

use super::body::free_form;
use super::{KsCaller, KsError, KsResult};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/domains/config/default", get(defaults))
        .route("/v3/domains/config/{group}/default", get(group_defaults))
        .route(
            "/v3/domains/config/{group}/{option}/default",
            get(option_defaults),
        )
        .route(
            "/v3/domains/{domain}/config",
            get(whole).head(whole).put(whole).patch(whole).delete(whole),
        )
        .route(
            "/v3/domains/{domain}/config/{group}",
            get(group).head(group).patch(group).delete(group),
        )
        .route(
            "/v3/domains/{domain}/config/{group}/{option}",
            get(option).head(option).patch(option).delete(option),
        )
}

fn answer(status: StatusCode, config: Map<String, Value>) -> Response {
    (status, axum::Json(json!({ "config": config }))).into_response()
}

async fn defaults(_caller: KsCaller) -> KsResult<Response> {
    Ok(answer(StatusCode::OK, default_config(None, None)?))
}

async fn group_defaults(_caller: KsCaller, Path(group): Path<String>) -> KsResult<Response> {
    Ok(answer(StatusCode::OK, default_config(Some(&group), None)?))
}

async fn option_defaults(
    _caller: KsCaller,
    Path((group, option)): Path<(String, String)>,
) -> KsResult<Response> {
    Ok(answer(
        StatusCode::OK,
        default_config(Some(&group), Some(&option))?,
    ))
}

async fn whole(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    method: Method,
    Path(domain): Path<String>,
    body: Bytes,
) -> KsResult<Response> {
    on_config(&directory, &caller, method, &domain, (None, None), &body).await
}

async fn group(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    method: Method,
    Path((domain, group)): Path<(String, String)>,
    body: Bytes,
) -> KsResult<Response> {
    on_config(
        &directory,
        &caller,
        method,
        &domain,
        (Some(&group), None),
        &body,
    )
    .await
}

async fn option(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    method: Method,
    Path((domain, group, option)): Path<(String, String, String)>,
    body: Bytes,
) -> KsResult<Response> {
    let at = (Some(group.as_str()), Some(option.as_str()));
    on_config(&directory, &caller, method, &domain, at, &body).await
}

/// One request on a domain's configuration, the whole of it or the group or option `at` names.
async fn on_config(
    directory: &Directory,
    caller: &KsCaller,
    method: Method,
    domain: &str,
    at: (Option<&str>, Option<&str>),
    body: &[u8],
) -> KsResult<Response> {
    let operator = caller.operator(directory, &KS_CATALOG_MANAGE)?;
    let account = caller.domain(directory, domain).await?;
    match method {
        Method::GET | Method::HEAD => Ok(answer(
            StatusCode::OK,
            directory
                .domain_config(&operator, &account, at.0, at.1)
                .await?,
        )),
        Method::PUT => {
            let config = free_form(body, "config")?;
            let (config, created) = directory
                .set_domain_config(&operator, &account, config)
                .await?;
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok(answer(status, config))
        }
        Method::PATCH => {
            let change = free_form(body, "config")?;
            let config = directory
                .update_domain_config(&operator, &account, at, change)
                .await?;
            Ok(answer(StatusCode::OK, config))
        }
        Method::DELETE => {
            directory
                .delete_domain_config(&operator, &account, at.0, at.1)
                .await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        _ => Err(KsError::not_found("no such route")),
    }
}
