//! The revocation feed for guards (DESIGN §2): `GET /v1/revocations?since=` answers the events
//! recorded after a cursor; `GET /v1/revocations/stream?since=` keeps the connection open and
//! pushes each event as a server-sent event as soon as this node records or applies it.
//!
//! A caller reads its own account's events (and those of the shared catalog, which name no
//! account); a caller of the operator's account, which runs the product back ends, reads every
//! account's. Both need `account:apiovh:revocation/get`.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::Stream;
use latchkey_core::authz::{self, Permit};
use latchkey_core::store::{RevocationEvent, RevocationKind};
use serde::Serialize;

use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, authenticate_headers};
use crate::query::Query;
use crate::state::AppState;

/// A comment line this often keeps idle streams open and lets guards notice a dead one.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// How often a stream checks that its caller is still who it was and still allowed.
const RECHECK: Duration = Duration::from_secs(5);

/// Events per answer unless `limit` says fewer.
const MAX_LIMIT: i64 = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/revocations", get(list))
        .route("/v1/revocations/stream", get(stream))
}

/// One event as guards read it. `token` names one credential (a PAT's id, an access token's
/// `jti` or a Keystone token's audit id); `identity` the URN whose credentials the event ends or
/// changes. Internal subjects (store ids) are not published.
#[derive(Debug, Serialize)]
pub struct FeedEvent {
    id: i64,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<String>,
    at: String,
}

impl FeedEvent {
    fn of(event: RevocationEvent) -> Option<Self> {
        let kind = RevocationKind::parse(&event.kind)?;
        // A console session is no credential a guard sees.
        if kind == RevocationKind::Session {
            return None;
        }
        let token = matches!(kind, RevocationKind::Pat | RevocationKind::AccessToken)
            .then(|| event.subject.clone());
        Some(Self {
            id: event.id,
            kind: kind.as_str(),
            token,
            identity: event.identity,
            at: time(event.at),
        })
    }
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[derive(Debug, Serialize)]
pub struct FeedPage {
    events: Vec<FeedEvent>,
    /// Pass it as `since` to read what follows.
    cursor: i64,
}

/// What a feed request asks for.
struct FeedQuery {
    since: Option<i64>,
    limit: i64,
}

fn feed_query(uri: &Uri, headers: &HeaderMap) -> Result<FeedQuery, ApiError> {
    let q = Query::parse(uri.query());
    q.only(&["since", "limit"])?;
    let number = |key: &str, raw: &str| {
        raw.parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError::bad_request(format!("{key} must be a non-negative integer")))
    };
    // A reconnecting EventSource sends the last id it saw.
    let resumed = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| number("Last-Event-ID", v))
        .transpose()?;
    let since = match q.last("since") {
        Some(raw) => Some(number("since", raw)?),
        None => resumed,
    };
    let limit = match q.last("limit") {
        Some(raw) => {
            let n = number("limit", raw)?;
            if !(1..=MAX_LIMIT).contains(&n) {
                return Err(ApiError::bad_request(format!(
                    "limit must be from 1 to {MAX_LIMIT}"
                )));
            }
            n
        }
        None => MAX_LIMIT,
    };
    Ok(FeedQuery { since, limit })
}

/// `GET /v1/revocations?since=&limit=` — `account:apiovh:revocation/get`. Without `since`, no
/// events and the current cursor: a guard that starts has nothing cached to revoke.
async fn list(
    State(app): State<AppState>,
    Caller(who): Caller,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Json<FeedPage>> {
    let permit = app.directory.authorize(&who, &authz::REVOCATION_GET)?;
    let query = feed_query(&uri, &headers)?;
    let Some(since) = query.since else {
        return Ok(Json(FeedPage {
            events: Vec::new(),
            cursor: app.directory.feed_start(),
        }));
    };
    let operator = who.account.operator;
    let page = read(&app, &permit, operator, since, query.limit).await?;
    Ok(Json(page))
}

async fn read(
    app: &AppState,
    permit: &Permit,
    operator: bool,
    since: i64,
    limit: i64,
) -> latchkey_core::Result<FeedPage> {
    let events = app
        .directory
        .revocation_feed(permit, operator, since, limit)
        .await?;
    let cursor = events.last().map_or(since, |e| e.id);
    Ok(FeedPage {
        events: events.into_iter().filter_map(FeedEvent::of).collect(),
        cursor,
    })
}

/// `GET /v1/revocations/stream?since=` — the same events as server-sent events (`event:
/// revocation`, `id:` the cursor, `data:` one event as JSON), pushed as this node records or
/// applies them; a comment every 5 s keeps the connection open.
async fn stream(
    State(app): State<AppState>,
    Caller(who): Caller,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let permit = app.directory.authorize(&who, &authz::REVOCATION_GET)?;
    let query = feed_query(&uri, &headers)?;
    let mut seen = app.directory.watch_events();
    let closing = app.directory.watch_closing();
    seen.borrow_and_update();
    let since = query.since.unwrap_or_else(|| app.directory.feed_start());
    let operator = who.account.operator;
    let state = Feed {
        app,
        permit,
        operator,
        cursor: since,
        pending: std::collections::VecDeque::new(),
        headers,
        peer: peer.ip(),
        checked: Instant::now(),
    };
    let start = (state, seen, closing);
    let events =
        futures_util::stream::unfold(start, |(mut feed, mut seen, mut closing)| async move {
            loop {
                if *closing.borrow() {
                    return None;
                }
                if let Some(event) = feed.pending.pop_front() {
                    let data = serde_json::to_string(&event).unwrap_or_default();
                    let sse = Event::default()
                        .event("revocation")
                        .id(event.id.to_string())
                        .data(data);
                    return Some((Ok(sse), (feed, seen, closing)));
                }
                // The credential may have been revoked, or the right withdrawn, since the stream
                // opened: asked again before reading, at most every few seconds.
                if feed.checked.elapsed() >= RECHECK && !feed.still_allowed().await {
                    return None;
                }
                // Mark the current value seen before reading, so an event recorded during the read
                // wakes the next wait.
                seen.borrow_and_update();
                match read(
                    &feed.app,
                    &feed.permit,
                    feed.operator,
                    feed.cursor,
                    MAX_LIMIT,
                )
                .await
                {
                    Ok(page) if !page.events.is_empty() || page.cursor != feed.cursor => {
                        feed.cursor = page.cursor;
                        feed.pending.extend(page.events);
                        continue;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        crate::error::log_internal(&e);
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                }
                tokio::select! {
                    changed = seen.changed() => {
                        if changed.is_err() {
                            return None;
                        }
                    }
                    _ = closing.wait_for(|c| *c) => return None,
                }
            }
        });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

struct Feed {
    app: AppState,
    permit: Permit,
    operator: bool,
    cursor: i64,
    pending: std::collections::VecDeque<FeedEvent>,
    /// The request's headers, to authenticate the caller again.
    headers: HeaderMap,
    peer: IpAddr,
    checked: Instant,
}

impl Feed {
    /// Authenticates and authorises the caller again; `false` ends the stream.
    async fn still_allowed(&mut self) -> bool {
        let directory = &self.app.directory;
        let who = match authenticate_headers(directory, &self.headers, self.peer).await {
            Ok(who) => who,
            Err(_) => return false,
        };
        match directory.authorize(&who, &authz::REVOCATION_GET) {
            Ok(permit) => {
                self.permit = permit;
                self.operator = who.account.operator;
                self.checked = Instant::now();
                true
            }
            Err(_) => false,
        }
    }
}
