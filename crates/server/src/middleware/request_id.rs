//! `X-Request-Id` on every response: taken from the request when it is a sane token, otherwise a
//! fresh id. With the client's address and user agent it is the request's [`Origin`]: a
//! task-local that every audit record the request writes, error bodies and the tracing span of
//! [`super::around`]'s `TraceLayer` read.

use axum::extract::Request;
use axum::http::HeaderValue;
use latchkey_core::audit::Origin;

/// The longest user agent an audit record keeps (longer ones are cut).
const MAX_USER_AGENT: usize = 512;

pub const HEADER: &str = "x-request-id";

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
    Origin::current_request_id()
}

fn acceptable(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    let ok = (1..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then(|| s.to_owned())
}

/// The request's [`Origin`] (its id: the incoming one when sane, else a fresh one) and the id
/// as the response's header value.
pub(super) fn origin_of(
    req: &Request,
    trusted: &crate::state::TrustedProxies,
) -> (Origin, Option<HeaderValue>) {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(acceptable)
        .unwrap_or_else(fresh);
    let header = HeaderValue::from_str(&id).ok();
    let origin = Origin {
        ip: req
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| trusted.client_of(c.0.ip(), req.headers())),
        request_id: Some(id),
        user_agent: req
            .headers()
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| cut(ua, MAX_USER_AGENT).to_owned()),
    };
    (origin, header)
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
