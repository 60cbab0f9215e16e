//! Two servers on one PostgreSQL database (a cluster): what one node revokes, the other refuses
//! once it has applied the revocation events (every second in a running server; driven
//! explicitly here so the test does not depend on timing).

use serde_json::json;

use crate::helpers::{Auth, Backend, TestApp};
use crate::oauth2::{access_token, service_account};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_on_one_node_reach_the_other() {
    let a = TestApp::spawn(Backend::Postgres).await;
    let b = a.another_node().await;
    let admin = a.admin_pat().await;
    a.create_user(&admin, "john", "ADMIN").await;
    let john = Auth::Bearer(a.create_pat(&admin, "john", "johns").await);
    let spare = Auth::Bearer(a.create_pat(&admin, "john", "spare").await);
    let client = service_account(&a, &admin).await;
    let token = Auth::Bearer(access_token(&a, &client).await);
    // Node B has seen (and cached) every credential.
    b.get("/1.0/me", &john).await.expect(200);
    b.get("/1.0/me", &spare).await.expect(200);
    b.get("/1.0/me", &token)
        .await
        .expect_error(403, "Client::Forbidden");

    // Deleting a PAT on A.
    a.delete("/1.0/me/identity/user/john/token/johns", &admin)
        .await
        .expect(200);
    b.apply_revocation_events().await;
    b.get("/1.0/me", &john)
        .await
        .expect_error(401, "Client::Unauthorized");
    b.get("/1.0/me", &spare).await.expect(200);

    // Moving the user out of ADMIN on A.
    a.put(
        "/1.0/me/identity/user/john",
        &admin,
        json!({ "group": "DEFAULT" }),
    )
    .await
    .expect(200);
    b.apply_revocation_events().await;
    b.get("/1.0/me", &spare)
        .await
        .expect_error(403, "Client::Forbidden");

    // Disabling the user on A.
    a.post("/1.0/me/identity/user/john/disable", &admin, json!({}))
        .await
        .expect(200);
    b.apply_revocation_events().await;
    b.get("/1.0/me", &spare)
        .await
        .expect_error(401, "Client::Unauthorized");

    // Deleting the service account on A.
    a.delete(&format!("/1.0/me/api/oauth2/client/{}", client.id), &admin)
        .await
        .expect(200);
    b.apply_revocation_events().await;
    b.get("/1.0/me", &token)
        .await
        .expect_error(401, "Client::Unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_change_on_one_node_decides_on_the_other() {
    let a = TestApp::spawn(Backend::Postgres).await;
    let b = a.another_node().await;
    let admin = a.admin_pat().await;
    let client = service_account(&a, &admin).await;
    let token = Auth::Bearer(access_token(&a, &client).await);
    let clients = "/1.0/me/api/oauth2/client";
    b.get(clients, &token)
        .await
        .expect_error(403, "Client::Forbidden");
    let policy = a
        .post(
            "/v2/iam/policy",
            &admin,
            json!({
                "name": "sa-reads-clients",
                "identities": [format!("urn:v1:eu:identity:credential:lk0001-lk/oauth2-{}", client.id)],
                "resources": [{ "urn": "urn:v1:eu:resource:account:lk0001-lk" }],
                "permissions": { "allow": [{ "action": "account:apiovh:me/api/oauth2/client/get" }] },
            }),
        )
        .await
        .expect(200);
    a.get(clients, &token).await.expect(200);
    b.apply_revocation_events().await;
    b.get(clients, &token).await.expect(200);

    let id = policy["id"].as_str().unwrap();
    a.delete(&format!("/v2/iam/policy/{id}"), &admin)
        .await
        .expect(200);
    b.apply_revocation_events().await;
    b.get(clients, &token)
        .await
        .expect_error(403, "Client::Forbidden");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keystone_issue_limit_is_shared_by_the_nodes() {
    let a = TestApp::spawn(Backend::Postgres).await;
    let b = a.another_node().await;
    let first = a
        .ks_password("admin", crate::helpers::ADMIN_PASSWORD, None)
        .await;
    let by_token = json!({ "identity": { "methods": ["token"], "token": { "id": first } } });
    // 1 + 29 on node A, 30 on node B: the 61st, on either node, is refused.
    for node in [&a, &b] {
        for _ in 0..(if std::ptr::eq(node, &a) { 29 } else { 30 }) {
            node.ks_issue(by_token.clone()).await.0.expect(201);
        }
    }
    for node in [&a, &b] {
        let (reply, _) = node.ks_issue(by_token.clone()).await;
        assert_eq!(reply.status, 429, "{}", reply.text);
        assert!(reply.headers.contains_key("retry-after"));
    }
    a.advance(chrono::TimeDelta::seconds(61));
    b.ks_issue(by_token).await.0.expect(201);
}

/// Polls `node` until `auth` is refused; returns how long that took.
async fn refused_within(
    node: &TestApp,
    auth: &Auth,
    limit: std::time::Duration,
) -> std::time::Duration {
    let start = std::time::Instant::now();
    loop {
        if node.get("/1.0/me", auth).await.status == 401 {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "still accepted after {limit:?}");
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_pat_is_refused_on_every_node_as_soon_as_the_commit_is_pushed() {
    let a = TestApp::spawn(Backend::Postgres).await;
    let b = a.another_node().await;
    let c = a.another_node().await;
    let admin = a.admin_pat().await;
    let mut worst = std::time::Duration::ZERO;
    let mut total = std::time::Duration::ZERO;
    const TRIALS: u32 = 100;
    for i in 0..TRIALS {
        let name = format!("t{i}");
        let pat = Auth::Bearer(a.create_pat(&admin, "admin", &name).await);
        // Both other nodes have the PAT in their caches.
        b.get("/1.0/me", &pat).await.expect(200);
        c.get("/1.0/me", &pat).await.expect(200);
        a.delete(&format!("/1.0/me/identity/user/admin/token/{name}"), &admin)
            .await
            .expect(200);
        // Nothing here applies events by hand: the push (or, failing it, the poll) does.
        let limit = std::time::Duration::from_secs(1);
        let (on_b, on_c) = tokio::join!(
            refused_within(&b, &pat, limit),
            refused_within(&c, &pat, limit)
        );
        let slower = on_b.max(on_c);
        worst = worst.max(slower);
        total += slower;
    }
    println!(
        "revocation propagation over {TRIALS} trials, 3 nodes: worst {worst:?}, mean {:?}",
        total / TRIALS
    );
}

/// On PostgreSQL an event's id is allocated when it is written, not when its transaction commits:
/// an event committed after a higher one was read must still be applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_committed_after_a_higher_one_was_read_is_still_applied() {
    use sqlx::{Connection, Executor};
    let a = TestApp::spawn(Backend::Postgres).await;
    let admin = a.admin_pat().await;
    let client = service_account(&a, &admin).await;
    let token = access_token(&a, &client).await;
    let jti = crate::revocation_feed::jti_of(&a, &token, &admin).await;
    let bearer = Auth::Bearer(token);
    a.get("/1.0/me", &bearer)
        .await
        .expect_error(403, "Client::Forbidden");
    let start = a.get("/v1/revocations", &admin).await.expect(200)["cursor"]
        .as_i64()
        .unwrap();
    let feed = || async {
        let page = a
            .get(&format!("/v1/revocations?since={start}"), &admin)
            .await
            .expect(200);
        page["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["token"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let insert = "INSERT INTO revocation_events (kind, subject, account_id, identity, at) \
                  VALUES ('token', $1, NULL, NULL, 0)";
    // A transaction writes the token's revocation (taking the lower id) and has not committed…
    let mut late = sqlx::PgConnection::connect(&a.config.database_url)
        .await
        .unwrap();
    late.execute("BEGIN").await.unwrap();
    sqlx::query(insert)
        .bind(&jti)
        .execute(&mut late)
        .await
        .unwrap();
    // … while another commits a higher id, which the node reads.
    let mut other = sqlx::PgConnection::connect(&a.config.database_url)
        .await
        .unwrap();
    sqlx::query(insert)
        .bind("some-other-token")
        .execute(&mut other)
        .await
        .unwrap();
    assert_eq!(a.apply_revocation_events().await, 1);
    a.get("/1.0/me", &bearer)
        .await
        .expect_error(403, "Client::Forbidden");
    // The guards' feed holds the higher one back: a guard resuming after it would skip the hole.
    assert_eq!(feed().await, Vec::<String>::new());
    // The lower id commits now: the node applies it, and the feed gives both, in id order.
    late.execute("COMMIT").await.unwrap();
    assert_eq!(a.apply_revocation_events().await, 1);
    a.get("/1.0/me", &bearer)
        .await
        .expect_error(401, "Client::Unauthorized");
    assert_eq!(
        feed().await,
        vec![jti.clone(), "some-other-token".to_owned()]
    );
}
