//! `GET /1.0/me/logs/audit/stream?since=` — the account's records of OVHcloud's types as
//! server-sent events (`event: audit`, `id:` the record's id, `data:` the record as
//! `GET /1.0/me/logs/audit` shows it, with its `id`), oldest first after `since` (or
//! `Last-Event-ID`; without either, from now). The first event, `event: cursor` (`id:` and
//! `data:` the position the stream starts after), tells a client that started "from now"
//! where to resume if the connection drops before any record came. Records this node commits are pushed at once,
//! other nodes' within a second. As the revocation feed's streams, it ends when the server
//! stops and when its caller no longer authenticates or is no longer allowed (checked again
//! before reading, at most every 5 s).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use latchkey_core::audit::AuditRecord;
use latchkey_core::authz::{self, Permit};

use super::views::ovh_view;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, authenticate_headers, client_address};
use crate::query::Query;
use crate::revocations::KEEP_ALIVE;
use crate::state::AppState;

/// How often a stream checks that its caller is still who it was and still allowed.
const RECHECK: Duration = Duration::from_secs(5);
/// Records read per round trip.
const BATCH: i64 = 500;
/// Other nodes' records are found this often.
const POLL: Duration = Duration::from_secs(1);

struct Tail {
    app: AppState,
    permit: Permit,
    cursor: i64,
    pending: VecDeque<AuditRecord>,
    headers: HeaderMap,
    client: IpAddr,
    checked: Instant,
}

impl Tail {
    async fn still_allowed(&mut self) -> bool {
        let directory = &self.app.directory;
        let Ok(who) = authenticate_headers(directory, &self.headers, self.client).await else {
            return false;
        };
        match directory.authorize(&who, &authz::AUDIT_LOG_GET) {
            Ok(permit) => {
                self.permit = permit;
                self.checked = Instant::now();
                true
            }
            Err(_) => false,
        }
    }
}

fn since_of(uri: &Uri, headers: &HeaderMap) -> ApiResult<Option<i64>> {
    let q = Query::parse(uri.query());
    q.only(&["since"])?;
    let number = |key: &str, raw: &str| {
        raw.parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError::bad_request(format!("{key} must be a non-negative integer")))
    };
    match q.last("since") {
        Some(raw) => Ok(Some(number("since", raw)?)),
        None => headers
            .get("last-event-id")
            .and_then(|v| v.to_str().ok())
            .map(|v| number("Last-Event-ID", v))
            .transpose(),
    }
}

pub async fn stream(
    State(app): State<AppState>,
    Caller(who): Caller,
    uri: Uri,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let permit = app.directory.authorize(&who, &authz::AUDIT_LOG_GET)?;
    let since = since_of(&uri, &headers)?;
    let mut seen = app.directory.watch_audit();
    seen.borrow_and_update();
    let cursor = match since {
        Some(since) => since,
        None => app.directory.newest_audit_id(&permit).await?,
    };
    let closing = app.directory.watch_closing();
    let tail = Tail {
        client: client_address(request.extensions()),
        app,
        permit,
        cursor,
        pending: VecDeque::new(),
        headers,
        checked: Instant::now(),
    };
    let start = Event::default()
        .event("cursor")
        .id(cursor.to_string())
        .data(cursor.to_string());
    let events = futures_util::stream::unfold(
        (tail, seen, closing),
        |(mut tail, mut seen, mut closing)| async move {
            loop {
                if *closing.borrow() {
                    return None;
                }
                if let Some(record) = tail.pending.pop_front() {
                    let mut view = ovh_view(&record);
                    view["id"] = record.id.into();
                    let sse = Event::default()
                        .event("audit")
                        .id(record.id.to_string())
                        .data(view.to_string());
                    return Some((Ok(sse), (tail, seen, closing)));
                }
                if tail.checked.elapsed() >= RECHECK && !tail.still_allowed().await {
                    return None;
                }
                seen.borrow_and_update();
                match tail
                    .app
                    .directory
                    .ovh_audit_since(&tail.permit, tail.cursor, BATCH)
                    .await
                {
                    Ok(records) if !records.is_empty() => {
                        tail.cursor = records.last().map_or(tail.cursor, |r| r.id);
                        tail.pending.extend(records);
                        continue;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        crate::error::log_internal(&e);
                        tokio::time::sleep(POLL).await;
                        continue;
                    }
                }
                tokio::select! {
                    changed = seen.changed() => {
                        if changed.is_err() {
                            return None;
                        }
                    }
                    () = tokio::time::sleep(POLL) => {}
                    _ = closing.wait_for(|c| *c) => return None,
                }
            }
        },
    );
    let events = futures_util::stream::once(async move { Ok(start) }).chain(events);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}
