//! Audit logs: the account's records in OVHcloud's types, as `/1.0/me/logs/audit` serves them,
//! newest first, a page at a time, filtered by type.

use axum::extract::Query;
use latchkey_core::audit::{AuditKind, AuditRecord};
use latchkey_core::authz;
use latchkey_core::service::audit::AuditFilter;
use maud::{Markup, html};
use serde::Deserialize;

use super::AUDIT as PATH;
use super::layout::{Nav, page};
use super::listing::{PAGE_SIZE, when};
use super::session::{Answer, Console, OrShow};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LogQuery {
    #[serde(rename = "type")]
    kind: String,
    /// The page after the record of this id.
    before: Option<i64>,
}

/// `GET /console/audit` — `account:apiovh:me/logs/audit/get`.
pub async fn list(console: Console, Query(q): Query<LogQuery>) -> Answer {
    let permit = console.permit(&authz::AUDIT_LOG_GET)?;
    let filter = AuditFilter {
        kinds: Some(q.kind.clone())
            .filter(|k| !k.is_empty())
            .into_iter()
            .collect(),
        before: q.before,
        limit: i64::from(PAGE_SIZE) + 1,
        ..AuditFilter::default()
    };
    let mut records = console
        .app
        .directory
        .ovh_audit_log(&permit, filter)
        .await
        .or_show(&console)?;
    let more = records.len() > PAGE_SIZE as usize;
    records.truncate(PAGE_SIZE as usize);
    let older = records.last().filter(|_| more).map(|r| {
        let query =
            serde_urlencoded::to_string([("type", q.kind.clone()), ("before", r.id.to_string())])
                .unwrap_or_default();
        format!("{PATH}?{query}")
    });
    let kinds: Vec<&str> = AuditKind::ALL
        .iter()
        .filter(|k| k.ovh())
        .map(|k| k.as_str())
        .collect();
    let content = html! {
        h1 { "Audit logs" }
        p.hint { "What was done in the account, by whom and from where, as " code { "GET /1.0/me/logs/audit" } " returns it." }
        div.bar {
            form method="get" action=(PATH) role="search" {
                div {
                    label for="type" { "Type" }
                    select #type name="type" {
                        option value="" selected[q.kind.is_empty()] { "All types" }
                        @for k in &kinds { option value=(k) selected[q.kind == *k] { (k) } }
                    }
                }
                button.secondary type="submit" { "Filter" }
            }
        }
        @if records.is_empty() {
            div.empty { p { "No record here yet." } }
        } @else {
            table {
                thead { tr {
                    th scope="col" { "Date" }
                    th scope="col" { "Type" }
                    th scope="col" { "Author" }
                    th scope="col" { "Origin" }
                    th scope="col" { "Details" }
                } }
                tbody { @for r in &records { (row(r)) } }
            }
            nav.pager aria-label="Pages" {
                @if q.before.is_some() { a href=(PATH) { "Newest" } }
                @if let Some(older) = older { a href=(older) rel="next" { "Older" } }
            }
        }
    };
    Ok(page(&console, "Audit logs", Nav::Audit, content))
}

fn row(r: &AuditRecord) -> Markup {
    let details = serde_json::Value::Object(r.details.clone()).to_string();
    html! {
        tr {
            td.when { (when(r.at)) @if r.count > 1 { span.sub { (r.count) " times, last " (when(r.last_at)) } } }
            td { code { (r.kind) } }
            td {
                (r.author.user.as_deref().or(r.author.identity.as_deref()).unwrap_or("—"))
                @if let Some(c) = &r.author.credential { span.sub { (c) } }
            }
            td {
                @match r.origin.ip { Some(ip) => (ip), None => "—" }
                @if let Some(agent) = &r.origin.user_agent { span.sub { (agent) } }
            }
            td { code.details { (details) } }
        }
    }
}
