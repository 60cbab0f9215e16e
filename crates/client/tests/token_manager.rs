//! The token manager against the real server, with the server's clock shared by the SDK (or an
//! SDK clock that stands still while the server's moves).

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Frozen, SharedTime, TestServer, admin_client, robot};
use latchkey_client::{Credentials, Error, Renewal, Retry, Secret};
use reqwest::StatusCode;

latchkey_server::on_both_backends!(
    latchkey_server::testing::TestServer::spawn;
    a_token_is_fetched_on_first_use_and_renewed_before_it_expires,
    one_renewal_serves_a_hundred_concurrent_callers,
    a_429_is_retried_after_retry_after_then_succeeds,
    a_401_for_an_expired_token_triggers_exactly_one_reauthentication,
);

async fn introspect_active(admin: &latchkey_client::Client, token: &str) -> bool {
    admin.introspect(token).await.unwrap()["active"] == true
}

async fn a_token_is_fetched_on_first_use_and_renewed_before_it_expires(server: TestServer) {
    let admin = admin_client(&server).await;
    let time = SharedTime::of(&server);
    let renewal = Renewal::Before(Duration::from_secs(300));
    let (client, _, _) = robot(&server, &admin, time.clone(), renewal).await;
    assert_eq!(
        client.token_manager().tokens_fetched(),
        0,
        "nothing before use"
    );

    client.me().await.unwrap();
    assert_eq!(client.token_manager().tokens_fetched(), 1);
    let first = client.token().await.unwrap();
    let expires = first.expires_at.unwrap();

    // 50 minutes later the 1-hour token is still used.
    time.advance(Duration::from_secs(3000));
    client.me().await.unwrap();
    assert_eq!(client.token_manager().tokens_fetched(), 1);

    // Inside the 5-minute margin: renewed while the old one is still valid at the server.
    time.advance(Duration::from_secs(301));
    let old = first.value.expose().to_owned();
    assert!(
        introspect_active(&admin, &old).await,
        "old token still valid"
    );
    client.me().await.unwrap();
    assert_eq!(client.token_manager().tokens_fetched(), 2);
    let second = client.token().await.unwrap();
    assert_ne!(second.value.expose(), old);
    assert!(second.expires_at.unwrap() > expires);
}

async fn one_renewal_serves_a_hundred_concurrent_callers(server: TestServer) {
    let admin = admin_client(&server).await;
    let time = SharedTime::of(&server);
    let (client, _, _) = robot(&server, &admin, time.clone(), Renewal::default()).await;

    let calls = (0..100).map(|_| {
        let client = client.clone();
        tokio::spawn(async move {
            client.me().await.unwrap();
            client.token().await.unwrap().value.expose().to_owned()
        })
    });
    let mut values = Vec::new();
    for call in calls {
        values.push(call.await.unwrap());
    }
    assert_eq!(client.token_manager().tokens_fetched(), 1);
    assert!(values.iter().all(|v| *v == values[0]), "one shared token");

    // Once stale, 100 callers again share one renewal.
    time.advance(Duration::from_secs(3500));
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.me().await.unwrap().identity.urn })
        })
        .collect();
    for call in calls {
        assert!(call.await.unwrap().contains(":identity:credential:"));
    }
    assert_eq!(client.token_manager().tokens_fetched(), 2);
    assert!(time.slept.lock().is_empty(), "no 429 was met");
}

/// Spends the client's grants of this minute outside the SDK; returns the 429's Retry-After.
async fn exhaust_grants(server: &TestServer, id: &str, secret: &Secret) -> u64 {
    let http = reqwest::Client::new();
    for _ in 0..40 {
        let res = http
            .post(format!("{}/auth/oauth2/token", server.base))
            .basic_auth(id, Some(secret.expose()))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            return res.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
        }
    }
    panic!("the grant limit never answered 429")
}

async fn a_429_is_retried_after_retry_after_then_succeeds(server: TestServer) {
    let admin = admin_client(&server).await;
    let time = SharedTime::of(&server);
    let (client, id, secret) = robot(&server, &admin, time.clone(), Renewal::default()).await;
    let retry_after = exhaust_grants(&server, &id, &secret).await;
    assert!(retry_after >= 1);

    // The SDK meets the 429, waits Retry-After (plus jitter) and gets its token.
    let me = client.me().await.unwrap();
    assert!(me.identity.urn.ends_with(&format!("oauth2-{id}")));
    let slept = time.slept.lock().clone();
    assert_eq!(slept.len(), 1, "one wait: {slept:?}");
    assert!(slept[0] >= Duration::from_secs(retry_after), "{slept:?}");
    assert!(
        slept[0] <= Duration::from_secs(retry_after) * 2,
        "{slept:?}"
    );
    assert_eq!(client.token_manager().tokens_fetched(), 1);

    // With retries disabled, the 429 is the caller's error, with its Retry-After.
    exhaust_grants(&server, &id, &secret).await;
    let impatient = latchkey_client::Client::builder(
        server.base.clone(),
        Credentials::ClientCredentials {
            client_id: id.clone(),
            client_secret: secret.clone(),
        },
    )
    .clock(time.clone())
    .retry(Retry {
        max_retries: 0,
        ..Retry::default()
    })
    .build()
    .unwrap();
    let err = impatient.me().await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::TOO_MANY_REQUESTS), "{err}");
    assert!(
        matches!(err, Error::Api { retry_after: Some(s), .. } if s >= 1),
        "{err:?}"
    );
    assert_eq!(time.slept.lock().len(), 1, "no wait without retries");
}

async fn a_401_for_an_expired_token_triggers_exactly_one_reauthentication(server: TestServer) {
    let admin = admin_client(&server).await;
    // The SDK's clock stands still: it believes its token fresh after the server's hour passed.
    let frozen = Arc::new(Frozen(server_now(&server)));
    let (client, id, _) = robot(&server, &admin, frozen, Renewal::default()).await;
    client.me().await.unwrap();
    assert_eq!(client.token_manager().tokens_fetched(), 1);

    server.clock.advance(chrono::TimeDelta::seconds(3601));
    client.me().await.unwrap();
    assert_eq!(
        client.token_manager().tokens_fetched(),
        2,
        "one re-authentication after the 401"
    );

    // A revoked token is replaced the same way.
    let current = client.token().await.unwrap().value.expose().to_owned();
    admin.revoke(&current).await.unwrap();
    client.me().await.unwrap();
    assert_eq!(client.token_manager().tokens_fetched(), 3);

    // When re-authentication itself is refused, the error comes back; no loop.
    admin.delete_service_account(&id).await.unwrap();
    let err = client.me().await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED), "{err}");
    assert!(
        matches!(&err, Error::Api { class, .. } if class == "invalid_client"),
        "{err:?}"
    );
    assert_eq!(client.token_manager().tokens_fetched(), 3);
}

fn server_now(server: &TestServer) -> chrono::DateTime<chrono::Utc> {
    latchkey_core::clock::Clock::now(server.clock.as_ref())
}
