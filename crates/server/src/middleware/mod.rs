//! What every request goes through, in one place: the request id (`X-Request-Id`, also the id
//! a 500 body carries), the body limit (64 KiB, then 413), the body timeout (408), a refusal
//! recorded in the audit log, a panic turned into a 500 in the API's format, metrics and the
//! tracing span; and any error a layer or an extractor answered in plain text, re-rendered in
//! the format of the request's API ([`crate::protocol`]).

pub mod refusals;
pub mod request_id;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use latchkey_core::service::Directory;
use tower_http::catch_panic::CatchPanicLayer;

/// What the outermost layer needs.
#[derive(Clone)]
struct Edge {
    directory: Arc<Directory>,
    trusted: crate::state::TrustedProxies,
}

/// The layers every route of the server runs inside, outermost last: the edge layer first, so that
/// everything below (a panic's 500 included) carries the request id.
pub fn around(
    routes: Router,
    directory: Arc<Directory>,
    trusted: crate::state::TrustedProxies,
    body_timeout: std::time::Duration,
) -> Router {
    routes
        .layer(DefaultBodyLimit::max(crate::extract::MAX_BODY_BYTES))
        // The handler reads the body: a body that does not arrive in time ends in 408.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            body_timeout,
        ))
        .layer(CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                tracing::error!("handler panicked");
                crate::error::internal_error_response()
            },
        ))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                |req: &axum::http::Request<axum::body::Body>| {
                    tracing::debug_span!(
                        "http",
                        request_id = %request_id::current().unwrap_or_default(),
                        method = %req.method(),
                        uri = %req.uri().path(),
                    )
                },
            ),
        )
        .layer(axum::middleware::from_fn_with_state(
            Edge { directory, trusted },
            edge,
        ))
}

/// One middleware for what every request needs around it (one layer, not one per concern):
/// the request id and [`latchkey_core::audit::Origin`] for everything below, the request's
/// metrics, and its refusal in the audit log when the answer is a 403; then the id echoed.
async fn edge(State(edge): State<Edge>, req: Request, next: Next) -> Response {
    let (origin, id) = request_id::origin_of(&req, &edge.trusted);
    let method = req.method().clone();
    // A cheap clone (shared bytes): the path picks the format of an unformatted error.
    let uri = req.uri().clone();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let timer = crate::metrics::Timer::start(&method, route.as_ref());
    let mut res = origin
        .scope(async {
            let (res, who) = refusals::watching(next.run(req)).await;
            if let Some((who, refusal)) = refusals::refusal_of(who, &method, route.as_ref(), &res) {
                edge.directory.record_refusal(&who, refusal).await;
            }
            if crate::protocol::is_unformatted(&res) {
                crate::protocol::reformat(uri.path(), res).await
            } else {
                res
            }
        })
        .await;
    if let Some(timer) = timer {
        timer.finish(res.status());
    }
    if let Some(id) = id {
        res.headers_mut().insert(request_id::HEADER, id);
    }
    res
}
