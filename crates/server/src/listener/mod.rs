//! The socket side of the server: accepting connections, TLS, and what bounds a client.
//!
//! - At most [`ConnectionLimits::max_connections`] connections are served at once, and never
//!   more than the open-files limit leaves room for: beyond, new connections wait in the
//!   kernel's backlog until one closes, so the process never runs out of descriptors.
//! - Plain connections speak HTTP/1.1; HTTPS ones HTTP/2 or HTTP/1.1 as ALPN chose. The
//!   protocol is never sniffed from the first bytes: that wait would have no timeout.
//! - A client has [`ConnectionLimits::header_timeout`] to send a request's headers (hyper's
//!   header read timeout, which starts when the server waits for a request: on HTTP/1.1 it also
//!   closes a keep-alive connection idle that long), the same to finish a TLS handshake, and
//!   [`ConnectionLimits::body_timeout`] to send its body (a layer of the router, 408 beyond).
//!   A connection with no request in progress for [`ConnectionLimits::idle_timeout`] is closed
//!   gracefully (an HTTP/2 GOAWAY).
//! - An `accept` error that is not the client's (too many open files, no memory) backs off,
//!   from 5 ms up to a second, instead of spinning; it is logged at most once a second.
//! - At shutdown the listener closes, idle connections close, and requests in progress get
//!   [`DRAIN`] to finish.

pub mod connection;
pub mod tls;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::config::ConnectionLimits;
use connection::Protocol;

/// Descriptors kept for what is not a client connection: the store's pool, the listeners,
/// the audit file, the certificate files.
const RESERVED_FILES: u64 = 128;

/// How long requests in progress at shutdown have to finish.
pub const DRAIN: Duration = Duration::from_secs(30);

/// Raises the soft open-files limit to the hard limit; answers the limit in force.
pub fn raise_open_files_limit() -> std::io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}

/// The connections served at once: the configured cap, within what the open-files limit allows.
fn connection_cap(limits: &ConnectionLimits) -> usize {
    let files = rlimit::getrlimit(rlimit::Resource::NOFILE)
        .map(|(soft, _)| soft)
        .unwrap_or(u64::MAX);
    let room = usize::try_from(files.saturating_sub(RESERVED_FILES).max(16)).unwrap_or(usize::MAX);
    limits.max_connections.min(room)
}

/// Whether an `accept` error is about one connection (retry at once) rather than the process.
fn is_per_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted | WouldBlock
    )
}

/// Serves `router` on `listener` (HTTPS when `tls` is given) until `shutdown` completes, then
/// drains.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let cap = connection_cap(&limits);
    if cap < limits.max_connections {
        tracing::warn!(
            connections = cap,
            configured = limits.max_connections,
            "the open-files limit caps the connections served at once"
        );
    }
    let permits = Arc::new(Semaphore::new(cap));
    let (stop, stopped) = watch::channel(false);
    let builder = connection::builder(&limits);
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let mut backoff = Duration::from_millis(5);
    let mut last_logged: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => {
                    backoff = Duration::from_millis(5);
                    accepted
                }
                Err(e) if is_per_connection(&e) => continue,
                Err(e) => {
                    if last_logged.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
                        tracing::error!(error = %e, retry_in_ms = backoff.as_millis() as u64, "cannot accept connections");
                        last_logged = Some(Instant::now());
                    }
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = &mut shutdown => break,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let builder = builder.clone();
        let stopped = stopped.clone();
        let acceptor = acceptor.clone();
        let header_timeout = limits.header_timeout;
        let idle_timeout = limits.idle_timeout;
        tokio::spawn(async move {
            let _permit = permit;
            match acceptor {
                None => {
                    connection::serve(
                        stream,
                        peer,
                        Protocol::Plain,
                        router,
                        builder,
                        idle_timeout,
                        stopped,
                    )
                    .await
                }
                Some(acceptor) => {
                    match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            let protocol = match stream.get_ref().1.alpn_protocol() {
                                Some(b"h2") => Protocol::Https2,
                                _ => Protocol::Https1,
                            };
                            connection::serve(
                                stream,
                                peer,
                                protocol,
                                router,
                                builder,
                                idle_timeout,
                                stopped,
                            )
                            .await
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stop.send(true);
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    if tokio::time::timeout(DRAIN, permits.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("requests still in progress after the drain; closing their connections");
    }
    Ok(())
}
