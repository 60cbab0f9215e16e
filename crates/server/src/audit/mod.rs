//! The audit log: `GET /1.0/me/logs/audit` (and `/v1`), OVHcloud's `audit.Log` records of its own
//! types, and `GET /v2/audit/log`, every record Latchkey keeps, in the same shape with more
//! fields. Both filter by `type[]`, `identity`, `from` and `to`, and page newest first by
//! `X-Pagination-Cursor` / `X-Pagination-Size` (`X-Pagination-Cursor-Next` while more remain).
//! `GET /1.0/me/logs/audit/stream` pushes the same records as server-sent events (`stream.rs`);
//! `--audit-file` appends every record this node commits as NDJSON (`file.rs`), in Latchkey's
//! shape or as CADF events (`views.rs`).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use latchkey_core::audit::{AuditKind, AuditRecord};
use latchkey_core::authz::{self, Principal};
use latchkey_core::names::Nic;
use latchkey_core::service::audit::{AuditFilter, AuditScope};
use serde_json::Value;

mod file;
mod stream;
pub mod views;

pub use file::{FileSink, Format};
use views::{full_view, ovh_view};

use crate::error::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::query::{self, Page, Query};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/1.0/me/logs/audit", get(ovh_log))
        .route("/v1/me/logs/audit", get(ovh_log))
        .route("/1.0/me/logs/audit/stream", get(stream::stream))
        .route("/v1/me/logs/audit/stream", get(stream::stream))
        .route("/v2/audit/log", get(log))
}

/// `GET /1.0/me/logs/audit` — `account:apiovh:me/logs/audit/get`.
async fn ovh_log(
    State(app): State<AppState>,
    Caller(who): Caller,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let permit = app.directory.authorize(&who, &authz::AUDIT_LOG_GET)?;
    let q = Query::parse(uri.query());
    q.only(&["type", "identity", "from", "to"])?;
    let page = Page::from_headers(&headers)?;
    let filter = filter_of(&q, &page)?;
    let records = app.directory.ovh_audit_log(&permit, filter).await?;
    Ok(paged(records, page.size, |r| Ok(ovh_view(r))))
}

/// `GET /v2/audit/log` — `account:apiovh:audit/log/get`. A caller of the operator's account
/// reads every account's records, or one account's with `?account={nic}`.
async fn log(
    State(app): State<AppState>,
    Caller(who): Caller,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let permit = app.directory.authorize(&who, &authz::AUDIT_RECORD_GET)?;
    let q = Query::parse(uri.query());
    q.only(&["type", "identity", "from", "to", "account"])?;
    let page = Page::from_headers(&headers)?;
    let filter = filter_of(&q, &page)?;
    let operator = who.account.operator;
    let scope = scope_of(&app, &who, q.last("account")).await?;
    let records = app
        .directory
        .audit_log(&permit, operator, scope, filter)
        .await?;
    let mut nics = std::collections::HashMap::new();
    for id in records.iter().filter_map(|r| r.account) {
        if let std::collections::hash_map::Entry::Vacant(slot) = nics.entry(id)
            && let Some(account) = app.directory.keystone_account(id).await?
        {
            slot.insert(account.nic.clone());
        }
    }
    Ok(paged(records, page.size, |r| {
        let nic = r.account.and_then(|id| nics.get(&id));
        Ok(full_view(r, nic))
    }))
}

/// Whose records `?account=` asks for: the operator's reading only.
async fn scope_of(app: &AppState, who: &Principal, account: Option<&str>) -> ApiResult<AuditScope> {
    let Some(nic) = account else {
        return Ok(if who.account.operator {
            AuditScope::Everyone
        } else {
            AuditScope::Own
        });
    };
    if !who.account.operator {
        return Err(ApiError(latchkey_core::Error::forbidden(
            authz::AUDIT_RECORD_GET.name,
        )));
    }
    let nic = Nic::parse(nic)?;
    let operator = app
        .directory
        .authorize_operator(who, &authz::ADMIN_ACCOUNT_MANAGE)?;
    let account = app.directory.account_by_nic(&operator, &nic).await?;
    Ok(AuditScope::Account(account.id))
}

fn filter_of(q: &Query, page: &Page) -> ApiResult<AuditFilter> {
    let kinds = q.all("type");
    if let Some(unknown) = kinds.iter().find(|k| AuditKind::parse(k).is_none()) {
        return Err(ApiError::bad_request(format!(
            "type {unknown:?} is not an audit record type"
        )));
    }
    let time = |key: &str| -> ApiResult<Option<DateTime<Utc>>> {
        q.last(key)
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| {
                        ApiError::bad_request(format!(
                            "{key} must be an RFC 3339 date-time, such as 2026-01-31T12:00:00Z"
                        ))
                    })
            })
            .transpose()
    };
    let before = page
        .after
        .as_deref()
        .map(|c| {
            c.parse::<i64>().map_err(|_| {
                ApiError::bad_request(format!(
                    "{} is not a cursor this server gave",
                    query::CURSOR
                ))
            })
        })
        .transpose()?;
    Ok(AuditFilter {
        kinds,
        identity: q.last("identity").map(str::to_owned),
        from: time("from")?,
        to: time("to")?,
        before,
        // One more than the page, to know whether another follows.
        limit: i64::try_from(page.size)
            .unwrap_or(i64::MAX)
            .saturating_add(1),
    })
}

/// The page of `records` (fetched one longer than `size`), with the cursor of the next.
fn paged(
    mut records: Vec<AuditRecord>,
    size: usize,
    view: impl Fn(&AuditRecord) -> ApiResult<Value>,
) -> Response {
    let more = records.len() > size;
    records.truncate(size);
    let next = more
        .then(|| records.last())
        .flatten()
        .map(|r| query::encode_cursor(&r.id.to_string()));
    let views: Vec<Value> = records.iter().filter_map(|r| view(r).ok()).collect();
    let mut response = Json(views).into_response();
    if let Some(next) = next.and_then(|n| HeaderValue::from_str(&n).ok()) {
        response.headers_mut().insert(query::NEXT, next);
    }
    response
}
