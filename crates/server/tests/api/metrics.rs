//! `/metrics`: on its own listener only, in the Prometheus text format (read by a parser of that
//! format), its counters move with the requests served, and its listener has the API's edge.

use crate::helpers::{Auth, Backend, TestApp};

/// The metrics of `app`, parsed; each sample's value by name and labels.
async fn scrape(app: &TestApp) -> prometheus_parse::Scrape {
    let base = app.metrics_base.as_ref().expect("a metrics listener");
    let text = app
        .client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    prometheus_parse::Scrape::parse(lines).expect("the Prometheus text format")
}

fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            prometheus_parse::Value::Histogram(ref buckets) => {
                buckets.iter().map(|b| b.count).fold(0.0, f64::max)
            }
            _ => 0.0,
        })
        .sum()
}

async fn with_metrics() -> TestApp {
    TestApp::spawn_with(Backend::Sqlite, |c| {
        c.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_move_with_the_requests_served() {
    let app = with_metrics().await;
    let admin = app.admin_pat().await;
    let before = scrape(&app).await;
    let route = [("route", "/1.0/me"), ("method", "GET"), ("status", "2xx")];
    let unauthorized = [("route", "/1.0/me"), ("method", "GET"), ("status", "4xx")];
    for _ in 0..5 {
        app.get("/1.0/me", &admin).await.expect(200);
    }
    app.get("/1.0/me", &Auth::Bearer("lkpat_nope".into())).await;
    app.create_pat(&admin, "admin", "another").await;
    let after = scrape(&app).await;
    let moved = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };
    // Other tests of this process count too: each figure is at least what this test did.
    assert!(moved("latchkey_http_requests_total", &route) >= 5.0);
    assert!(moved("latchkey_http_requests_total", &unauthorized) >= 1.0);
    let pat_ok = [("method", "pat"), ("outcome", "success")];
    assert!(moved("latchkey_authentications_total", &pat_ok) >= 5.0);
    let pat_failed = [("method", "pat"), ("outcome", "failure")];
    assert!(moved("latchkey_authentications_total", &pat_failed) >= 1.0);
    assert!(moved("latchkey_tokens_issued_total", &[("kind", "pat")]) >= 1.0);
    let hits = [("cache", "pat"), ("result", "hit")];
    assert!(moved("latchkey_cache_lookups_total", &hits) >= 4.0);
    assert!(moved("latchkey_audit_records_written_total", &[]) >= 1.0);
    // Routes are templates, never concrete paths.
    assert!(
        after
            .samples
            .iter()
            .filter(|s| s.metric == "latchkey_http_requests_total")
            .all(|s| !s
                .labels
                .get("route")
                .unwrap_or_default()
                .contains("admin-test"))
    );
    assert!(after.samples.iter().any(|s| {
        s.metric
            .starts_with("latchkey_http_request_duration_seconds")
    }));
    assert!(
        value(
            &after,
            "latchkey_store_pool_connections",
            &[("state", "open")]
        ) >= 1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_not_served_on_the_public_port() {
    let app = with_metrics().await;
    let reply = app.get("/metrics", &Auth::None).await;
    assert_eq!(reply.status, 404);
}

#[tokio::test]
async fn the_metrics_listener_disconnects_a_client_that_never_finishes_its_headers() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
        c.connections.header_timeout = std::time::Duration::from_secs(1);
    })
    .await;
    let base = app.metrics_base.as_ref().expect("a metrics listener");
    let address = base.trim_start_matches("http://");
    let mut slow = tokio::net::TcpStream::connect(address).await.unwrap();
    slow.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    // Closed by the server (read returns 0 or an error) well before the test's own bound.
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), slow.read(&mut buf)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "the half-sent request's connection stays open: {read:?}"
    );
    // Whole requests are still served.
    scrape(&app).await;
}
