//! End to end: the real Latchkey server, the example object storage behind the guard, and
//! clients (the SDK, plain HTTP) calling it — on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use latchkey_client::clock::{Clock, Sleep};
use latchkey_client::model::{ActionRef, Expiry, Permissions, PolicyDraft, ResourceRef};
use latchkey_client::{Client, Credentials, Domain, KeystoneScope, KeystoneUser, Renewal, Secret};
use latchkey_core::clock::{Clock as _, ManualClock};
use latchkey_example_object_storage::{SEED_OBJECT, SEED_SIZE, Store, router};
use latchkey_guard::Guard;
use latchkey_server::testing::{ADMIN_PASSWORD, Backend, NIC, TestServer};
use reqwest::StatusCode;
use serde_json::json;

/// The server's injected clock, shared by the SDK and the guard; waiting advances it.
#[derive(Debug)]
struct SharedTime(Arc<ManualClock>);

impl Clock for SharedTime {
    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
    fn sleep(&self, d: Duration) -> Sleep {
        self.0.advance(TimeDelta::from_std(d).unwrap());
        Box::pin(async {})
    }
}

/// A server, the object storage behind a guard, and the operator's clients.
struct World {
    server: TestServer,
    /// The object storage's base URL.
    storage: String,
    /// The operator's ROOT user, by PAT and by Keystone password.
    admin: Client,
    keystone: Client,
    /// The project `photos` of the operator's account.
    project: String,
    time: Arc<SharedTime>,
    guard: Guard,
    http: reqwest::Client,
}

latchkey_server::on_both_backends!(
    crate::World::new;
    the_seed_object_call_works_with_a_keystone_token_from_the_catalog,
    a_service_account_sdk_client_works_for_hours_across_renewals,
    revocations_reach_the_guard_within_a_second,
    tampered_and_foreign_tokens_are_refused,
    a_tagged_container_in_a_resource_group_is_read_from_the_allowed_range_while_tagged,
);

impl World {
    async fn new(backend: Backend) -> World {
        let server = TestServer::spawn(backend).await;
        let time = Arc::new(SharedTime(server.clock.clone()));
        let http = reqwest::Client::new();
        let admin = Client::new(
            server.base.clone(),
            Credentials::Pat(Secret::new(server.admin_pat("e2e").await)),
        )
        .unwrap();
        let keystone = Client::builder(
            server.base.clone(),
            Credentials::KeystonePassword {
                user: KeystoneUser::Name {
                    name: "admin".into(),
                    domain: Domain::Id("default".into()),
                },
                password: Secret::new(ADMIN_PASSWORD),
                scope: KeystoneScope::ProjectName {
                    name: "admin".into(),
                    domain: Domain::Id("default".into()),
                },
            },
        )
        .clock(time.clone())
        .build()
        .unwrap();

        // The guard authenticates as a service account allowed to read the feed.
        let guard_sa = admin.create_service_account("guard", "").await.unwrap();
        allow(
            &admin,
            "guard-feed",
            &identity_of(&admin, &guard_sa.client_id).await,
            &[&format!("urn:v1:eu:resource:account:{NIC}")],
            &[
                "account:apiovh:revocation/get",
                "latchkey:iam/resource/manage",
                "latchkey:iam/authorization/relay",
            ],
        )
        .await;
        let guard = Guard::builder(
            server.base.clone(),
            Credentials::ClientCredentials {
                client_id: guard_sa.client_id,
                client_secret: guard_sa.client_secret,
            },
        )
        .clock(time.clone())
        // The tests stand in for a proxy on loopback, naming callers in X-Forwarded-For.
        .trusted_proxies(vec!["127.0.0.1/32".parse().unwrap()])
        .build()
        .await
        .unwrap();

        // The project, the admin's role on it, and the object storage in the catalog.
        let project = keystone
            .keystone_create("projects", json!({ "name": "photos" }))
            .await
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let roles = keystone.keystone_list("roles").await.unwrap();
        let member = roles.iter().find(|r| r["name"] == "member").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let admin_id = keystone.keystone_list("users?name=admin").await.unwrap()[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        keystone
            .grant_project_role(&project, &admin_id, &member)
            .await
            .unwrap();

        let store = Store::new("eu");
        store.register_project(&project, NIC);
        store.seed(&project);
        store.register_through(guard.clone());
        store.create_container(&project, "photos").await.unwrap();
        let app = router(store.clone(), Some(guard.clone()))
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let storage = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        let service = keystone
            .keystone_create(
                "services",
                json!({ "type": "object-store", "name": "swift", "enabled": true }),
            )
            .await
            .unwrap();
        keystone
            .keystone_create(
                "endpoints",
                json!({
                    "service_id": service["id"], "interface": "public", "region_id": "RegionOne",
                    "url": format!("{storage}/v1/AUTH_$(project_id)s"),
                }),
            )
            .await
            .unwrap();
        World {
            server,
            storage,
            admin,
            keystone,
            project,
            time,
            guard,
            http,
        }
    }

    fn object_url(&self) -> String {
        format!("{}/v1/AUTH_{}/{SEED_OBJECT}", self.storage, self.project)
    }

    /// The seed object's container, as Latchkey knows it.
    fn resource(&self) -> String {
        format!("urn:v1:eu:resource:objectStorage:{}/photos", self.project)
    }

    /// `HEAD` of the seed object with a header; the status.
    async fn head_with(&self, name: &str, value: &str) -> StatusCode {
        self.http
            .head(self.object_url())
            .header(name, value)
            .send()
            .await
            .unwrap()
            .status()
    }
}

async fn identity_of(admin: &Client, client_id: &str) -> String {
    admin.get_service_account(client_id).await.unwrap().identity
}

async fn allow(admin: &Client, name: &str, identity: &str, resources: &[&str], actions: &[&str]) {
    admin
        .create_policy(&PolicyDraft {
            name: name.into(),
            description: String::new(),
            identities: vec![identity.to_owned()],
            resources: resources
                .iter()
                .map(|urn| ResourceRef {
                    urn: (*urn).to_owned(),
                })
                .collect(),
            permissions: Permissions {
                allow: actions
                    .iter()
                    .map(|a| ActionRef {
                        action: (*a).to_owned(),
                    })
                    .collect(),
                ..Permissions::default()
            },
            conditions: None,
            permissions_groups: Vec::new(),
            expired_at: None,
        })
        .await
        .unwrap();
}

async fn the_seed_object_call_works_with_a_keystone_token_from_the_catalog(w: World) {
    // The seed's steps: a project-scoped password token, the endpoint from its catalog.
    let (token, body) = {
        let res = w
            .http
            .post(format!("{}/v3/auth/tokens", w.server.base))
            .json(&json!({ "auth": {
                "identity": { "methods": ["password"], "password": { "user": {
                    "name": "admin", "domain": { "id": "default" }, "password": ADMIN_PASSWORD } } },
                "scope": { "project": { "name": "photos", "domain": { "id": "default" } } } } }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let token = res.headers()["x-subject-token"]
            .to_str()
            .unwrap()
            .to_owned();
        let body: serde_json::Value = res.json().await.unwrap();
        (token, body)
    };
    let endpoint = body["token"]["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["type"] == "object-store")
        .unwrap()["endpoints"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(endpoint, format!("{}/v1/AUTH_{}", w.storage, w.project));

    let res = w
        .http
        .head(format!("{endpoint}/{SEED_OBJECT}"))
        .header("X-Auth-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers();
    assert_eq!(h["content-length"], SEED_SIZE.to_string().as_str());
    assert_eq!(h["content-type"], "image/jpeg");
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(h["last-modified"], "Thu, 24 Sep 2015 14:20:11 GMT");
    for name in [
        "etag",
        "x-timestamp",
        "x-object-meta-mtime",
        "x-trans-id",
        "date",
    ] {
        assert!(h.contains_key(name), "{name} missing");
    }
    // GET returns the bytes.
    let got = w
        .http
        .get(format!("{endpoint}/{SEED_OBJECT}"))
        .header("X-Auth-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(got.bytes().await.unwrap().len(), SEED_SIZE);

    // No credential, garbage, a token scoped elsewhere.
    let res = w.http.head(w.object_url()).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    assert_eq!(w.head_with("X-Auth-Token", "garbage").await, 401);
    let unscoped = w
        .keystone
        .issue_keystone_token(&KeystoneScope::Unscoped)
        .await
        .unwrap();
    assert_eq!(
        w.head_with("X-Auth-Token", unscoped.value.expose()).await,
        403
    );
    // Removing the grant ends the scoped token at the guard too (Keystone event → re-check).
    let roles = w.keystone.keystone_list("roles").await.unwrap();
    let member = roles.iter().find(|r| r["name"] == "member").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin_id = w.keystone.keystone_list("users?name=admin").await.unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.keystone
        .revoke_project_role(&w.project, &admin_id, &member)
        .await
        .unwrap();
    let refused = eventually(|| async { w.head_with("X-Auth-Token", &token).await == 401 }).await;
    assert!(refused.is_some(), "the ungranted token still passes");
}

/// Polls `check` every 20 ms for up to 5 s; how long until it held.
async fn eventually<F, Fut>(check: F) -> Option<Duration>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if check().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

async fn a_service_account_sdk_client_works_for_hours_across_renewals(w: World) {
    let sa = w
        .admin
        .create_service_account("uploader", "")
        .await
        .unwrap();
    let identity = identity_of(&w.admin, &sa.client_id).await;
    let account = format!("urn:v1:eu:resource:account:{NIC}");
    allow(
        &w.admin,
        "uploader",
        &identity,
        &[
            &account,
            &format!("urn:v1:eu:resource:objectStorage:{}/*", w.project),
        ],
        &[
            "account:apiovh:iam/resource/authorization/check",
            latchkey_example_object_storage::ACTION_GET,
            latchkey_example_object_storage::ACTION_CREATE,
        ],
    )
    .await;
    let client = Client::builder(
        w.server.base.clone(),
        Credentials::ClientCredentials {
            client_id: sa.client_id,
            client_secret: sa.client_secret,
        },
    )
    .clock(w.time.clone())
    .renewal(Renewal::Before(Duration::from_secs(120)))
    .build()
    .unwrap();

    // Six hours of simulated time, a call every 4 minutes: 1-hour tokens renew six times.
    let mut failures = Vec::new();
    for step in 0..90 {
        let res = client
            .send(reqwest::Method::HEAD, &w.object_url(), None)
            .await
            .unwrap();
        if res.status() != 200 {
            failures.push((step, res.status()));
        }
        w.time.0.advance(TimeDelta::minutes(4));
    }
    assert!(failures.is_empty(), "failed calls: {failures:?}");
    let fetched = client.token_manager().tokens_fetched();
    assert!((6..=8).contains(&fetched), "{fetched} tokens in six hours");

    // It may write too; IAM without the action refuses.
    let readme = format!("{}/v1/AUTH_{}/docs/readme.txt", w.storage, w.project);
    let put = client
        .send_with_headers(
            reqwest::Method::PUT,
            &readme,
            Some(b"hello"),
            &[("Content-Type", "text/plain")],
        )
        .await
        .unwrap();
    assert_eq!(put.status(), 201);
    let got = client
        .send(reqwest::Method::GET, &readme, None)
        .await
        .unwrap();
    assert_eq!(got.headers()["content-type"], "text/plain");
    assert_eq!(got.bytes().await.unwrap().as_ref(), b"hello");
    // A service account IAM gives nothing is refused by the back end, not by the guard.
    let nobody = w.admin.create_service_account("nobody", "").await.unwrap();
    let nobody = Client::new(
        w.server.base.clone(),
        Credentials::ClientCredentials {
            client_id: nobody.client_id,
            client_secret: nobody.client_secret,
        },
    )
    .unwrap();
    let res = nobody
        .send(reqwest::Method::HEAD, &w.object_url(), None)
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // A wrong secret never gets a token.
    let wrong = Client::new(
        w.server.base.clone(),
        Credentials::ClientCredentials {
            client_id: "EU.0000000000000000".into(),
            client_secret: Secret::new("lksec_wrong"),
        },
    )
    .unwrap();
    let err = wrong
        .send(reqwest::Method::HEAD, &w.object_url(), None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
}

async fn revocations_reach_the_guard_within_a_second(w: World) {
    // A user with a PAT and the right to read objects.
    w.admin
        .create_user(&latchkey_client::model::NewUser {
            login: "carol".into(),
            email: "carol@example.com".into(),
            group: Some("DEFAULT".into()),
            description: String::new(),
            password: Secret::new("carol password 1"),
        })
        .await
        .unwrap();
    let carol = format!("urn:v1:eu:identity:user:{NIC}/carol");
    allow(
        &w.admin,
        "carol-reads",
        &carol,
        &[&format!("urn:v1:eu:resource:account:{NIC}"), &w.resource()],
        &[
            "account:apiovh:iam/resource/authorization/check",
            latchkey_example_object_storage::ACTION_GET,
        ],
    )
    .await;
    let pat = w
        .admin
        .create_pat("carol", "reader", "", Expiry::Never)
        .await
        .unwrap()
        .token;
    let bearer = format!("Bearer {}", pat.expose());
    assert_eq!(w.head_with("Authorization", &bearer).await, 200);
    // The pat_jwt_ Basic form too.
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("pat_jwt_backup:{}", pat.expose())
        )
    );
    assert_eq!(w.head_with("Authorization", &basic).await, 200);

    // Deleting the PAT through the API: refused within one second.
    w.admin.delete_pat("carol", "reader").await.unwrap();
    let took = eventually(|| async { w.head_with("Authorization", &bearer).await == 401 }).await;
    let took = took.expect("the deleted PAT is still accepted");
    assert!(took < Duration::from_secs(1), "took {took:?}");

    // Disabling a user ends its new PAT as fast.
    let second = w
        .admin
        .create_pat("carol", "second", "", Expiry::Never)
        .await
        .unwrap()
        .token;
    let bearer = format!("Bearer {}", second.expose());
    assert_eq!(w.head_with("Authorization", &bearer).await, 200);
    w.admin.disable_user("carol").await.unwrap();
    let took = eventually(|| async { w.head_with("Authorization", &bearer).await == 401 })
        .await
        .expect("the disabled user's PAT is still accepted");
    assert!(took < Duration::from_secs(1), "took {took:?}");

    // A Keystone token revoked with DELETE /v3/auth/tokens.
    let scoped = w
        .keystone
        .issue_keystone_token(&KeystoneScope::ProjectId(w.project.clone()))
        .await
        .unwrap();
    assert_eq!(
        w.head_with("X-Auth-Token", scoped.value.expose()).await,
        200
    );
    w.keystone
        .revoke_keystone_token(scoped.value.expose())
        .await
        .unwrap();
    let took =
        eventually(|| async { w.head_with("X-Auth-Token", scoped.value.expose()).await == 401 })
            .await
            .expect("the revoked Keystone token is still accepted");
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert!(w.guard.feed_cursor() > 0);
}

async fn tampered_and_foreign_tokens_are_refused(w: World) {
    let scoped = w
        .keystone
        .issue_keystone_token(&KeystoneScope::ProjectId(w.project.clone()))
        .await
        .unwrap();
    let good = scoped.value.expose().to_owned();
    assert_eq!(w.head_with("X-Auth-Token", &good).await, 200);
    let parts: Vec<&str> = good.split('.').collect();

    // A payload changed (another project), the signature kept.
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: serde_json::Value =
        serde_json::from_slice(&base64::Engine::decode(&engine, parts[1]).unwrap()).unwrap();
    claims["exp"] = json!(claims["exp"].as_i64().unwrap() + 86_400);
    let forged_payload = base64::Engine::encode(&engine, serde_json::to_vec(&claims).unwrap());
    let tampered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    assert_eq!(w.head_with("X-Auth-Token", &tampered).await, 401);
    // A flipped signature byte.
    let mut sig = base64::Engine::decode(&engine, parts[2]).unwrap();
    sig[0] ^= 1;
    let flipped = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        base64::Engine::encode(&engine, sig)
    );
    assert_eq!(w.head_with("X-Auth-Token", &flipped).await, 401);

    // Signed by a key of our own making, with the server's kid and the very same claims.
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let pkcs8 = aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let key = jsonwebtoken::EncodingKey::from_ed_der(pkcs8.as_ref());
    let real = jsonwebtoken::decode_header(&good).unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = real.kid.clone();
    let original: serde_json::Value =
        serde_json::from_slice(&base64::Engine::decode(&engine, parts[1]).unwrap()).unwrap();
    let foreign = jsonwebtoken::encode(&header, &original, &key).unwrap();
    assert_eq!(w.head_with("X-Auth-Token", &foreign).await, 401);
    // The same with an unknown kid: the guard refetches the JWKS once, then refuses.
    header.kid = Some("not-a-server-key".into());
    let unknown = jsonwebtoken::encode(&header, &original, &key).unwrap();
    assert_eq!(w.head_with("X-Auth-Token", &unknown).await, 401);
    // alg none.
    let none = format!(
        "{}.{}.",
        base64::Engine::encode(&engine, br#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    assert_eq!(w.head_with("X-Auth-Token", &none).await, 401);

    // A token of another Latchkey installation (its own keys).
    let other = TestServer::spawn(Backend::Sqlite).await;
    let res = w
        .http
        .post(format!("{}/v3/auth/tokens", other.base))
        .json(
            &json!({ "auth": { "identity": { "methods": ["password"], "password": { "user": {
            "name": "admin", "domain": { "id": "default" }, "password": ADMIN_PASSWORD } } } } }),
        )
        .send()
        .await
        .unwrap();
    let theirs = res.headers()["x-subject-token"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(w.head_with("X-Auth-Token", &theirs).await, 401);
    // The genuine token still passes; an expired one does not.
    assert_eq!(w.head_with("X-Auth-Token", &good).await, 200);
    w.time.0.advance(TimeDelta::hours(25));
    assert_eq!(w.head_with("X-Auth-Token", &good).await, 401);
}

async fn a_tagged_container_in_a_resource_group_is_read_from_the_allowed_range_while_tagged(
    w: World,
) {
    // The container the store registered is a resource of the account; tag it env=prod.
    let container = w.admin.get_resource(&w.resource()).await.unwrap();
    assert_eq!(
        (container.kind.as_str(), container.owner.as_str()),
        ("objectStorage", NIC)
    );
    let prod = [("env".to_owned(), "prod".to_owned())].into();
    w.admin
        .set_resource_tags(&w.resource(), &prod)
        .await
        .unwrap();
    // The back end declared its actions with it.
    let declared = w.admin.list_actions().await.unwrap();
    assert!(
        declared
            .iter()
            .any(|a| a.action == latchkey_example_object_storage::ACTION_GET)
    );
    // A group holding it.
    let group: serde_json::Value = w
        .admin
        .call(
            reqwest::Method::POST,
            "/v2/iam/resourceGroup",
            Some(&json!({ "name": "prod-containers", "resources": [{ "id": container.id }] })),
        )
        .await
        .unwrap();
    w.admin
        .create_user(&latchkey_client::model::NewUser {
            login: "dora".into(),
            email: "dora@example.com".into(),
            group: Some("DEFAULT".into()),
            description: String::new(),
            password: Secret::new("dora password 1"),
        })
        .await
        .unwrap();
    let dora = format!("urn:v1:eu:identity:user:{NIC}/dora");
    allow(
        &w.admin,
        "dora-checks",
        &dora,
        &[&format!("urn:v1:eu:resource:account:{NIC}")],
        &["account:apiovh:iam/resource/authorization/check"],
    )
    .await;
    let mut reads = PolicyDraft {
        name: "dora-reads-prod-from-loopback".into(),
        identities: vec![dora.clone()],
        resources: vec![ResourceRef {
            urn: group["urn"].as_str().unwrap().to_owned(),
        }],
        permissions: Permissions {
            allow: vec![ActionRef {
                action: latchkey_example_object_storage::ACTION_GET.into(),
            }],
            ..Permissions::default()
        },
        ..PolicyDraft::default()
    };
    reads.conditions = Some(json!({ "operator": "AND", "conditions": [
        { "operator": "MATCH", "values": { "resource.Tag(env)": "prod" } },
        { "operator": "MATCH", "values": { "request.IP.IN_RANGE": "127.0.0.0/8" } }
    ] }));
    w.admin.create_policy(&reads).await.unwrap();
    let pat = w
        .admin
        .create_pat("dora", "reader", "", Expiry::Never)
        .await
        .unwrap()
        .token;
    let get_from = |address: &'static str| {
        let request = w
            .http
            .get(w.object_url())
            .bearer_auth(pat.expose())
            .header("X-Forwarded-For", address);
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(get_from("127.0.0.9").await, StatusCode::OK);
    // From another address, refused on the next request.
    assert_eq!(get_from("198.51.100.7").await, StatusCode::FORBIDDEN);
    assert_eq!(get_from("127.0.0.9").await, StatusCode::OK);
    // The tag changes: refused as soon as the guard hears of it.
    let dev = [("env".to_owned(), "dev".to_owned())].into();
    w.admin
        .set_resource_tags(&w.resource(), &dev)
        .await
        .unwrap();
    let refused =
        eventually(|| async { get_from("127.0.0.9").await == StatusCode::FORBIDDEN }).await;
    assert!(
        refused.is_some(),
        "the untagged container is still readable"
    );
}
