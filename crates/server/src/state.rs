//! What handlers share: the directory (which owns the store) and the plate used in URNs.

use std::sync::Arc;

use axum::extract::FromRef;
use latchkey_core::names::Plate;
use latchkey_core::service::Directory;

#[derive(Debug, Clone, FromRef)]
pub struct AppState {
    pub directory: Arc<Directory>,
    pub plate: Plate,
}

/// The proxies whose `X-Forwarded-For` is believed (`LATCHKEY_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Arc<Vec<ipnet::IpNet>>);

impl TrustedProxies {
    /// The client's address: the peer's, unless the peer is a trusted proxy, then the nearest
    /// address in `X-Forwarded-For` that is not one (the right-most untrusted hop: anything
    /// further left is what the client itself claimed).
    /// [`TrustedProxies::client`] from a request's headers, read only when the peer is a
    /// trusted proxy.
    pub fn client_of(
        &self,
        peer: std::net::IpAddr,
        headers: &axum::http::HeaderMap,
    ) -> std::net::IpAddr {
        if !self.trusts(&peer) {
            return peer;
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        self.client(peer, (!forwarded.is_empty()).then_some(forwarded.as_str()))
    }

    fn trusts(&self, ip: &std::net::IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    pub fn client(&self, peer: std::net::IpAddr, forwarded: Option<&str>) -> std::net::IpAddr {
        let trusted = |ip: &std::net::IpAddr| self.trusts(ip);
        if !trusted(&peer) {
            return peer;
        }
        let Some(forwarded) = forwarded else {
            return peer;
        };
        let mut nearest = peer;
        for hop in forwarded.rsplit(',') {
            match hop.trim().parse::<std::net::IpAddr>() {
                Ok(ip) if trusted(&ip) => nearest = ip,
                Ok(ip) => return ip,
                Err(_) => return nearest,
            }
        }
        nearest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(nets: &[&str]) -> TrustedProxies {
        TrustedProxies(Arc::new(nets.iter().map(|n| n.parse().unwrap()).collect()))
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let none = proxies(&[]);
        assert_eq!(
            none.client(ip("10.0.0.5"), Some("198.51.100.7")),
            ip("10.0.0.5")
        );
        let lb = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            lb.client(ip("10.0.0.5"), Some("198.51.100.7")),
            ip("198.51.100.7")
        );
        // The client cannot choose its address by sending a header of its own.
        assert_eq!(
            lb.client(ip("10.0.0.5"), Some("6.6.6.6, 198.51.100.7, 10.1.1.1")),
            ip("198.51.100.7")
        );
        assert_eq!(
            lb.client(ip("203.0.113.9"), Some("198.51.100.7")),
            ip("203.0.113.9")
        );
        assert_eq!(lb.client(ip("10.0.0.5"), Some("garbage")), ip("10.0.0.5"));
        assert_eq!(lb.client(ip("10.0.0.5"), None), ip("10.0.0.5"));
    }
}
