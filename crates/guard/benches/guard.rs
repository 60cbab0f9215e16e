//! The guard's cost per request once a token is known: `cargo bench -p latchkey-guard`.
//!
//! A real server runs in the process (SQLite); the guard follows its revocation feed, so cached
//! answers are trusted. Measured: an OAuth2 access token and a Keystone token (signed, verified
//! once, then a hash and map lookups), and a PAT (introspected once, then cached), each through
//! `authenticate` from request headers as the tower layer calls it.

#![allow(clippy::unwrap_used)]

use axum::http::{HeaderMap, HeaderValue};
use criterion::{Criterion, criterion_group, criterion_main};
use latchkey_client::{Client, Credentials, Secret};
use latchkey_guard::Guard;
use latchkey_server::testing::{ADMIN_PASSWORD, Backend, TestServer};

struct Setup {
    _server: TestServer,
    guard: Guard,
    access: HeaderMap,
    keystone: HeaderMap,
    pat: HeaderMap,
}

async fn setup() -> Setup {
    let server = TestServer::spawn(Backend::Sqlite).await;
    let http = reqwest::Client::new();
    let pat = server.admin_pat("bench").await;
    let admin = Client::new(
        server.base.clone(),
        Credentials::Pat(Secret::new(pat.clone())),
    )
    .unwrap();
    let sa = admin.create_service_account("bench", "").await.unwrap();
    let access = admin
        .client_credentials_grant(&sa.client_id, sa.client_secret.expose())
        .await
        .unwrap()
        .access_token;
    let res = http
        .post(format!("{}/v3/auth/tokens", server.base))
        .json(&serde_json::json!({ "auth": { "identity": { "methods": ["password"], "password": {
            "user": { "name": "admin", "domain": { "id": "default" }, "password": ADMIN_PASSWORD } } },
            "scope": { "project": { "name": "admin", "domain": { "id": "default" } } } } }))
        .send()
        .await
        .unwrap();
    let keystone = res.headers()["x-subject-token"]
        .to_str()
        .unwrap()
        .to_owned();
    // The operator's ROOT user's PAT reads every account's feed.
    let guard = Guard::builder(
        server.base.clone(),
        Credentials::Pat(Secret::new(pat.clone())),
    )
    .build()
    .await
    .unwrap();
    let header = |name: &'static str, value: String| {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(&value).unwrap());
        h
    };
    let setup = Setup {
        _server: server,
        access: header("authorization", format!("Bearer {}", access.expose())),
        keystone: header("x-auth-token", keystone),
        pat: header("authorization", format!("Bearer {pat}")),
        guard,
    };
    for h in [&setup.access, &setup.keystone, &setup.pat] {
        setup.guard.authenticate(h).await.unwrap();
    }
    setup
}

fn guard(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let s = rt.block_on(setup());
    let mut group = c.benchmark_group("guard");
    for (name, headers) in [
        ("cached access token", &s.access),
        ("cached keystone token", &s.keystone),
        ("cached PAT", &s.pat),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&rt)
                .iter(|| async { s.guard.authenticate(headers).await.unwrap() })
        });
    }
    group.finish();
}

criterion_group!(benches, guard);
criterion_main!(benches);
