//! Prometheus metrics at `GET /metrics`, on a listener of their own (`LATCHKEY_METRICS_LISTEN`),
//! never on the public port. The `metrics` facade is recorded by one process-wide recorder
//! (`metrics-exporter-prometheus`); what is counted:
//!
//! - `latchkey_http_requests_total{method, route, status}` and
//!   `latchkey_http_request_duration_seconds{method, route}`: by route template (`/1.0/me/identity/user/{user}`,
//!   never the concrete path) and status class (`2xx` …);
//! - `latchkey_authentications_total{method, outcome}`, `latchkey_tokens_issued_total{kind}`,
//!   `latchkey_cache_lookups_total{cache, result}` (core);
//! - `latchkey_event_propagation_seconds` (commit on one node to apply on this one),
//!   `latchkey_store_commit_seconds`, `latchkey_audit_records_written_total`,
//!   `latchkey_audit_records_pruned_total` (core);
//! - `latchkey_store_pool_connections{state}`, read when scraped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use latchkey_core::service::Directory;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// The process's recorder, installed on first use (every server of a test process shares it).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let buckets = [
            0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
        ];
        let recorder = PrometheusBuilder::new()
            .set_buckets(&buckets)
            .map(PrometheusBuilder::build_recorder);
        match recorder {
            Ok(recorder) => {
                let handle = recorder.handle();
                if metrics::set_global_recorder(recorder).is_err() {
                    tracing::warn!(
                        "a metrics recorder was already installed; /metrics stays empty"
                    );
                }
                handle
            }
            // The bucket list above is never empty.
            Err(_) => PrometheusBuilder::new().build_recorder().handle(),
        }
    })
}

/// Whether the recorder is installed: until it is, [`Timer::start`] does nothing at all.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// How often recorded histogram samples are folded into their buckets when no one scrapes.
const UPKEEP: Duration = Duration::from_secs(5);

/// Installs the recorder (so that counting starts with the server, before the first scrape),
/// and, once per process, the upkeep task that keeps the recorder's memory bounded between
/// scrapes. Called from within the server's runtime.
pub fn install() {
    let handle = handle();
    if !INSTALLED.swap(true, Ordering::AcqRel) {
        let handle = handle.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(UPKEEP);
            loop {
                tick.tick().await;
                handle.run_upkeep();
            }
        });
    }
}

#[derive(Clone)]
struct Scrape {
    directory: Arc<Directory>,
}

/// The metrics listener's routes.
pub fn router(directory: Arc<Directory>) -> Router {
    install();
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(Scrape { directory })
}

async fn scrape(State(scrape): State<Scrape>) -> Response {
    let (size, idle) = scrape.directory.store_pool();
    metrics::gauge!("latchkey_store_pool_connections", "state" => "open").set(size as f64);
    metrics::gauge!("latchkey_store_pool_connections", "state" => "idle").set(idle as f64);
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle().render(),
    )
        .into_response()
}

/// One request being counted ([`Timer::start`] before, [`Timer::finish`] after).
#[derive(Debug)]
pub struct Timer {
    start: Instant,
    method: metrics::SharedString,
    route: String,
}

impl Timer {
    /// Starts timing a request to `route` (its template), or nothing while metrics are off.
    pub fn start(method: &axum::http::Method, route: Option<&MatchedPath>) -> Option<Self> {
        if !INSTALLED.load(Ordering::Relaxed) {
            return None;
        }
        Some(Self {
            start: Instant::now(),
            method: method_label(method),
            route: route.map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned()),
        })
    }

    /// Counts the request by route template, method and status class, and records its time.
    pub fn finish(self, status: axum::http::StatusCode) {
        let status = match status.as_u16() {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        let Self {
            start,
            method,
            route,
        } = self;
        metrics::histogram!("latchkey_http_request_duration_seconds", "method" => method.clone(), "route" => route.clone())
            .record(start.elapsed().as_secs_f64());
        metrics::counter!("latchkey_http_requests_total", "method" => method, "route" => route, "status" => status)
            .increment(1);
    }
}

/// A method's label, without an allocation for the usual ones.
fn method_label(method: &axum::http::Method) -> metrics::SharedString {
    let known = match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        other => return metrics::SharedString::from(other.to_owned()),
    };
    metrics::SharedString::const_str(known)
}
