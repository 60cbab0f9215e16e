//! One connection, from its first byte to its close: hyper serves HTTP/1.1 or HTTP/2 on it
//! (with the header timeout), each request reaches the router with the peer's address, and the
//! connection is closed gracefully when it has had no request in progress for the idle
//! timeout, or when the server stops.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, header};
use http_body_util::BodyExt;
use hyper::body::{Body as _, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tokio::time::Instant;
use tower::ServiceExt;

use crate::config::ConnectionLimits;

/// What every HTTPS answer carries: browsers keep to HTTPS for this host for a year.
const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000");

/// Requests in progress on a connection, and since when it has had none: two atomics a
/// request touches on its way in and out (no lock, no wake of the connection's task).
struct Activity {
    opened: Instant,
    busy: AtomicUsize,
    /// When the last request ended, in milliseconds since `opened`.
    quiet_since_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            busy: AtomicUsize::new(0),
            quiet_since_ms: AtomicU64::new(0),
        }
    }

    fn quiet_since(&self) -> Instant {
        self.opened + Duration::from_millis(self.quiet_since_ms.load(Ordering::Acquire))
    }
}

/// Held by a request from its arrival until its answer is handed over whole, or, for a body
/// of unknown length (a stream), until that body is dropped (sent or abandoned).
struct InProgress(Arc<Activity>);

impl InProgress {
    fn begin(activity: &Arc<Activity>) -> Self {
        activity.busy.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(activity))
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        let since = u64::try_from(self.0.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.quiet_since_ms.store(since, Ordering::Release);
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Completes once the connection has had no request in progress for `limit` (late by at most
/// an eighth of it while a long request runs). One timer per connection, re-armed when it
/// fires, never per request.
async fn idle_for(activity: Arc<Activity>, limit: Duration) {
    let recheck = (limit / 8).max(Duration::from_millis(100));
    loop {
        let deadline = if activity.busy.load(Ordering::Acquire) == 0 {
            activity.quiet_since() + limit
        } else {
            Instant::now() + recheck
        };
        if deadline <= Instant::now() {
            return;
        }
        tokio::time::sleep_until(deadline).await;
        if activity.busy.load(Ordering::Acquire) == 0
            && activity.quiet_since() + limit <= Instant::now()
        {
            return;
        }
    }
}

/// The HTTP settings every connection is served with.
pub fn builder(limits: &ConnectionLimits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new());
    builder
}

/// How a connection speaks: HTTP/1.1 in plain, or over TLS with what ALPN chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Plain,
    Https1,
    Https2,
}

/// Serves one connection until it closes, it has been idle for the idle timeout, or `stop`
/// turns true (then in-progress requests finish first). The protocol is known before the first
/// byte (never sniffed, which would wait for bytes without the header timeout).
pub async fn serve<IO>(
    io: IO,
    peer: SocketAddr,
    protocol: Protocol,
    router: Router,
    builder: auto::Builder<TokioExecutor>,
    idle_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let quiet = Arc::clone(&activity);
    let https = protocol != Protocol::Plain;
    let builder = match protocol {
        Protocol::Https2 => builder.http2_only(),
        Protocol::Plain | Protocol::Https1 => builder.http1_only(),
    };
    let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let in_progress = InProgress::begin(&activity);
        let router = router.clone();
        async move {
            let Ok(mut res) = router.oneshot(req.map(Body::new)).await;
            if https {
                res.headers_mut()
                    .insert(header::STRICT_TRANSPORT_SECURITY, HSTS);
            }
            // A body of known length is written at once; a stream counts as in progress until
            // it is gone.
            if res.body().size_hint().exact().is_some() {
                return Ok::<Response<Body>, Infallible>(res);
            }
            Ok(res.map(|body| {
                Body::new(body.map_frame(move |frame| {
                    let _ = &in_progress;
                    frame
                }))
            }))
        }
    });
    let connection = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    let idle = idle_for(quiet, idle_timeout);
    tokio::pin!(idle);
    let mut closing = false;
    loop {
        tokio::select! {
            served = connection.as_mut() => {
                if let Err(e) = served {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            () = &mut idle, if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
            _ = stop.wait_for(|stopped| *stopped), if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
