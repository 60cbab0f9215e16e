//! `X-Request-Id` on every response: taken from the request when it is a sane token, otherwise a
//! fresh id. The id is also a tracing span field and a task-local that error bodies read, and,
//! with the client's address and user agent, the [`Origin`] of every audit record the request
//! writes.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use latchkey_core::audit::Origin;
use tracing::Instrument;

/// The longest user agent an audit record keeps (longer ones are cut).
const MAX_USER_AGENT: usize = 512;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// A fresh id: a random per-process prefix and a counter — unique, cheap, and sortable within a
/// process (no system call per request, unlike a random UUID).
fn fresh() -> String {
    static PREFIX: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(rand::random::<u64>);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{prefix:016x}-{n:010x}")
}

/// The id of the request being served, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

fn acceptable(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    let ok = (1..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then(|| s.to_owned())
}

/// Middleware: assigns the id, runs the request inside its span and its [`Origin`], and echoes
/// the id.
pub async fn assign(
    axum::extract::State(trusted): axum::extract::State<crate::state::TrustedProxies>,
    req: Request,
    next: Next,
) -> Response {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(acceptable)
        .unwrap_or_else(fresh);
    let span =
        tracing::debug_span!("request", id = %id, method = %req.method(), path = %req.uri().path());
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let forwarded = (!forwarded.is_empty()).then_some(forwarded.as_str());
    let origin = Origin {
        ip: req
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| trusted.client(c.0.ip(), forwarded)),
        request_id: Some(id.clone()),
        user_agent: req
            .headers()
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| cut(ua, MAX_USER_AGENT).to_owned()),
    };
    let mut res = REQUEST_ID
        .scope(id.clone(), origin.scope(next.run(req)).instrument(span))
        .await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, v);
    }
    res
}

/// `s` cut to at most `max` bytes, on a character boundary.
fn cut(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_ids_differ_and_share_the_process_prefix() {
        let (a, b) = (fresh(), fresh());
        assert_ne!(a, b);
        assert_eq!(a[..16], b[..16]);
        assert!(acceptable(&HeaderValue::from_str(&a).unwrap()).is_some());
    }

    #[test]
    fn only_sane_incoming_ids_are_kept() {
        assert!(acceptable(&HeaderValue::from_static("trace-42")).is_some());
        assert!(acceptable(&HeaderValue::from_static("has space")).is_none());
        assert!(acceptable(&HeaderValue::from_str(&"x".repeat(129)).unwrap()).is_none());
    }

    #[test]
    fn long_user_agents_are_cut_on_a_character_boundary() {
        let ua = "é".repeat(300);
        let kept = cut(&ua, MAX_USER_AGENT);
        assert!(kept.len() <= MAX_USER_AGENT);
        assert!(kept.chars().all(|c| c == 'é'));
        assert_eq!(cut("curl/8", MAX_USER_AGENT), "curl/8");
    }
}
