//! The guard in process against the real server: key rotation, identity changes, and the mode
//! without a feed.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue};
use latchkey_client::model::Expiry;
use latchkey_client::{Client, Credentials, Secret};
use latchkey_guard::{Guard, GuardError, TokenKind};
use latchkey_server::testing::{Backend, NIC, TestServer};

async fn admin(server: &TestServer) -> (Client, String) {
    let pat = server.admin_pat("guard-test").await;
    let client = Client::new(
        server.base.clone(),
        Credentials::Pat(Secret::new(pat.clone())),
    )
    .unwrap();
    (client, pat)
}

fn bearer(token: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    h
}

/// Polls until the guard refuses `headers`; how long it took.
async fn refused_within(guard: &Guard, headers: &HeaderMap) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if guard.authenticate(headers).await.is_err() {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_signed_by_a_rotated_key_are_verified_without_restart() {
    let server = TestServer::spawn(Backend::Sqlite).await;
    let (admin, pat) = admin(&server).await;
    let guard = Guard::builder(server.base.clone(), Credentials::Pat(Secret::new(pat)))
        .build()
        .await
        .unwrap();
    let sa = admin.create_service_account("rotation", "").await.unwrap();
    let before = admin
        .client_credentials_grant(&sa.client_id, sa.client_secret.expose())
        .await
        .unwrap()
        .access_token;
    // Twice: the key that signs next was created after the guard read the JWKS.
    admin.rotate_keys().await.unwrap();
    admin.rotate_keys().await.unwrap();
    let after = admin
        .client_credentials_grant(&sa.client_id, sa.client_secret.expose())
        .await
        .unwrap()
        .access_token;
    let kid = |t: &str| jsonwebtoken::decode_header(t).unwrap().kid.unwrap();
    assert_ne!(kid(before.expose()), kid(after.expose()));
    let caller = guard.authenticate(&bearer(after.expose())).await.unwrap();
    assert_eq!(caller.identity.kind, TokenKind::AccessToken);
    assert_eq!(
        caller.identity.client_id.as_deref(),
        Some(sa.client_id.as_str())
    );
    assert_eq!(caller.identity.account, NIC);
    // The retired key still verifies what it signed.
    guard.authenticate(&bearer(before.expose())).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_service_account_ends_its_signed_tokens_within_a_second() {
    let server = TestServer::spawn(Backend::Postgres).await;
    let (admin, pat) = admin(&server).await;
    let guard = Guard::builder(server.base.clone(), Credentials::Pat(Secret::new(pat)))
        .build()
        .await
        .unwrap();
    let sa = admin
        .create_service_account("short-lived", "")
        .await
        .unwrap();
    let token = admin
        .client_credentials_grant(&sa.client_id, sa.client_secret.expose())
        .await
        .unwrap()
        .access_token;
    let headers = bearer(token.expose());
    guard.authenticate(&headers).await.unwrap();
    admin.delete_service_account(&sa.client_id).await.unwrap();
    let took = refused_within(&guard, &headers)
        .await
        .expect("the deleted service account's token is still accepted");
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert!(matches!(
        guard.authenticate(&headers).await,
        Err(GuardError::Refused(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_feed_every_request_asks_the_server() {
    let server = TestServer::spawn(Backend::Sqlite).await;
    let (admin, pat) = admin(&server).await;
    let guard = Guard::builder(server.base.clone(), Credentials::Pat(Secret::new(pat)))
        .revocation_feed(false)
        .build()
        .await
        .unwrap();
    let user_pat = admin
        .create_pat("admin", "no-feed", "", Expiry::Never)
        .await
        .unwrap()
        .token;
    let headers = bearer(user_pat.expose());
    let caller = guard.authenticate(&headers).await.unwrap();
    assert_eq!(caller.identity.kind, TokenKind::Pat);
    assert_eq!(caller.identity.login.as_deref(), Some("admin"));
    admin.delete_pat("admin", "no-feed").await.unwrap();
    // No feed, no cache: refused on the very next request.
    assert!(guard.authenticate(&headers).await.is_err());
    assert_eq!(guard.feed_cursor(), 0);
}
