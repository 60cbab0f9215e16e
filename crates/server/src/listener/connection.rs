//! One connection, from its first byte to its close: hyper serves HTTP/1.1 or HTTP/2 on it
//! (with the header timeout), each request reaches the router with the peer's address, and the
//! connection is closed gracefully when it has had no request in progress for the idle
//! timeout, or when the server stops.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tokio::time::Instant;
use tower::ServiceExt;

use crate::config::ConnectionLimits;

/// What every HTTPS answer carries: browsers keep to HTTPS for this host for a year.
const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000");

/// Requests in progress on a connection, and since when it has had none.
#[derive(Debug, Clone, Copy)]
struct Activity {
    busy: usize,
    quiet_since: Instant,
}

/// Held by a request from its arrival until its answer's body is dropped (sent or abandoned).
struct InProgress(Arc<watch::Sender<Activity>>);

impl InProgress {
    fn begin(activity: &Arc<watch::Sender<Activity>>) -> Self {
        activity.send_if_modified(|a| {
            a.busy += 1;
            a.busy == 1
        });
        Self(Arc::clone(activity))
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.send_if_modified(|a| {
            a.busy = a.busy.saturating_sub(1);
            if a.busy == 0 {
                a.quiet_since = Instant::now();
            }
            a.busy == 0
        });
    }
}

/// Completes once the connection has had no request in progress for `limit`.
async fn idle_for(mut activity: watch::Receiver<Activity>, limit: Duration) {
    loop {
        let now = *activity.borrow_and_update();
        if now.busy == 0 {
            tokio::select! {
                () = tokio::time::sleep_until(now.quiet_since + limit) => return,
                changed = activity.changed() => if changed.is_err() { return },
            }
        } else if activity.changed().await.is_err() {
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
    let activity = Arc::new(
        watch::channel(Activity {
            busy: 0,
            quiet_since: Instant::now(),
        })
        .0,
    );
    let quiet = activity.subscribe();
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
            // The request counts as in progress until its answer's body is gone.
            Ok::<Response<Body>, Infallible>(res.map(|body| {
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
