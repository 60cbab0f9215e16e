//! No secret reaches a log line: every event the SDK (and the server beside it) emits at TRACE
//! level during logins, renewals, 429 retries and re-authentications is captured and searched.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{ADMIN_PASSWORD, NIC, SharedTime, TestServer, admin_client, robot};
use latchkey_client::{Client, Credentials, Domain, KeystoneScope, KeystoneUser, Renewal, Secret};
use latchkey_server::testing::Backend;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_is_ever_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .init();

    let server = TestServer::spawn(Backend::Sqlite).await;
    let admin = admin_client(&server).await;
    let time = SharedTime::of(&server);
    let (client, id, secret) = robot(&server, &admin, time.clone(), Renewal::default()).await;
    client.me().await.unwrap();
    let first = client.token().await.unwrap().value.clone();
    // A renewal, a revoked token's 401 and re-authentication.
    time.advance(Duration::from_secs(3500));
    client.me().await.unwrap();
    let second = client.token().await.unwrap().value.clone();
    admin.revoke(second.expose()).await.unwrap();
    client.me().await.unwrap();
    let third = client.token().await.unwrap().value.clone();
    // A Keystone password login.
    let ks = Client::new(
        server.base.clone(),
        Credentials::KeystonePassword {
            user: KeystoneUser::Name {
                name: "admin".into(),
                domain: Domain::Name(NIC.into()),
            },
            password: Secret::new(ADMIN_PASSWORD),
            scope: KeystoneScope::Unscoped,
        },
    )
    .unwrap();
    ks.me().await.unwrap();
    let ks_token = ks.keystone_token_value().await.unwrap();
    let pat = admin.token().await.unwrap().value.clone();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("obtained a token"),
        "the SDK's own events were captured"
    );
    assert!(logs.contains(&id), "client ids are not secret and do show");
    for (what, secret) in [
        ("client secret", secret.expose()),
        ("password", ADMIN_PASSWORD),
        ("PAT", pat.expose()),
        ("access token", first.expose()),
        ("renewed access token", second.expose()),
        ("re-authenticated access token", third.expose()),
        ("Keystone token", ks_token.expose()),
    ] {
        assert!(!logs.contains(secret), "the {what} was logged");
    }
}
