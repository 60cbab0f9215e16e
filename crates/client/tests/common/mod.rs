//! What the SDK's tests share: the real server, and clocks the SDK and the server can share.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use latchkey_client::clock::{Clock, Sleep};
use latchkey_client::{Client, Credentials, Secret};
use latchkey_core::clock::{Clock as _, ManualClock};
#[allow(unused_imports)] // each test binary uses a part
pub use latchkey_server::testing::{ADMIN_PASSWORD, NIC, TestServer};

/// The server's injected clock, seen by the SDK too: waiting advances it at once, so a test
/// lives through hours in milliseconds.
#[derive(Debug)]
pub struct SharedTime {
    pub server: Arc<ManualClock>,
    pub slept: parking_lot::Mutex<Vec<Duration>>,
}

impl SharedTime {
    pub fn of(server: &TestServer) -> Arc<Self> {
        Arc::new(Self {
            server: server.clock.clone(),
            slept: parking_lot::Mutex::new(Vec::new()),
        })
    }

    pub fn advance(&self, by: Duration) {
        self.server.advance(TimeDelta::from_std(by).unwrap());
    }
}

impl Clock for SharedTime {
    fn now(&self) -> DateTime<Utc> {
        self.server.now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        self.slept.lock().push(duration);
        self.advance(duration);
        Box::pin(async {})
    }
}

/// A clock that never moves: the SDK believes no time passes while the server's does.
#[derive(Debug)]
pub struct Frozen(pub DateTime<Utc>);

impl Clock for Frozen {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }

    fn sleep(&self, _: Duration) -> Sleep {
        Box::pin(async {})
    }
}

/// A client of the bootstrap ROOT user with a PAT.
pub async fn admin_client(server: &TestServer) -> Client {
    let pat = server.admin_pat("sdk-admin").await;
    Client::new(server.base.clone(), Credentials::Pat(Secret::new(pat))).unwrap()
}

/// A service account of the operator account, created through the SDK: (client id, secret).
pub async fn service_account(admin: &Client) -> (String, Secret) {
    let created = admin
        .create_service_account("robot", "SDK test")
        .await
        .unwrap();
    (created.client_id, created.client_secret)
}

/// Lets a service account read `GET /1.0/me` (a service account starts with no rights).
pub async fn allow_me(admin: &Client, client_id: &str) {
    use latchkey_client::model::{ActionRef, Permissions, PolicyDraft, ResourceRef};
    let sa = admin.get_service_account(client_id).await.unwrap();
    let draft = PolicyDraft {
        name: format!("me-{}", &client_id[client_id.len() - 6..]),
        description: String::new(),
        identities: vec![sa.identity],
        resources: vec![ResourceRef {
            urn: format!("urn:v1:eu:resource:account:{NIC}"),
        }],
        permissions: Permissions {
            allow: vec![ActionRef {
                action: "account:apiovh:me/get".into(),
            }],
            ..Permissions::default()
        },
        conditions: None,
        permissions_groups: Vec::new(),
        expired_at: None,
    };
    admin.create_policy(&draft).await.unwrap();
}

/// A client of a new service account allowed `GET /1.0/me`, on `clock`.
pub async fn robot(
    server: &TestServer,
    admin: &Client,
    clock: Arc<dyn Clock>,
    renewal: latchkey_client::Renewal,
) -> (Client, String, Secret) {
    let (id, secret) = service_account(admin).await;
    allow_me(admin, &id).await;
    let client = Client::builder(
        server.base.clone(),
        Credentials::ClientCredentials {
            client_id: id.clone(),
            client_secret: secret.clone(),
        },
    )
    .clock(clock)
    .renewal(renewal)
    .build()
    .unwrap();
    (client, id, secret)
}
