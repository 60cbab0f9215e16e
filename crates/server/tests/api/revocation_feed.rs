//! The revocation feed for guards: `GET /v1/revocations?since=` and its streaming form.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Auth, NIC, TestApp};
use crate::oauth2::{access_token, service_account};
use crate::on_both_backends;

on_both_backends!(
    the_feed_names_revoked_tokens_and_identities_of_the_callers_account,
    the_operator_reads_every_account_and_tenants_only_their_own,
    bad_feed_requests_are_refused,
    the_stream_pushes_a_revocation_as_it_happens,
    an_open_stream_does_not_hold_up_shutdown,
    a_stream_ends_when_its_credential_is_revoked,
);

/// `GET /v1/revocations/stream` with a bearer token; the answer, its body still coming.
async fn open_stream(app: &TestApp, bearer: &str) -> reqwest::Response {
    app.client
        .get(format!("{}/v1/revocations/stream", app.base))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap()
}

async fn feed(app: &TestApp, auth: &Auth, since: i64) -> Value {
    app.get(&format!("/v1/revocations?since={since}"), auth)
        .await
        .expect(200)
}

pub async fn jti_of(app: &TestApp, token: &str, caller: &Auth) -> String {
    let Auth::Bearer(bearer) = caller else {
        unreachable!()
    };
    let res = app
        .client
        .post(format!("{}/auth/oauth2/introspect", app.base))
        .bearer_auth(bearer)
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    body["jti"].as_str().unwrap().to_owned()
}

async fn the_feed_names_revoked_tokens_and_identities_of_the_callers_account(app: TestApp) {
    let admin = app.admin_pat().await;
    // Without `since`: no events, the cursor to start from.
    let start = app.get("/v1/revocations", &admin).await.expect(200);
    assert_eq!(start["events"], json!([]));
    let cursor = start["cursor"].as_i64().unwrap();

    app.create_user(&admin, "alice", "DEFAULT").await;
    let pat = app.create_pat(&admin, "alice", "ci").await;
    let pat_id = jti_of(&app, &pat, &admin).await;
    app.delete("/1.0/me/identity/user/alice/token/ci", &admin)
        .await
        .expect(200);
    app.post("/1.0/me/identity/user/alice/disable", &admin, json!({}))
        .await
        .expect(200);
    let client = service_account(&app, &admin).await;
    let token = access_token(&app, &client).await;
    let jti = jti_of(&app, &token, &admin).await;
    app.client
        .post(format!("{}/auth/oauth2/revoke", app.base))
        .basic_auth(&client.id, Some(&client.secret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();

    let page = feed(&app, &admin, cursor).await;
    let events = page["events"].as_array().unwrap();
    let alice = format!("urn:v1:eu:identity:user:{NIC}/alice");
    let pat_event = events.iter().find(|e| e["kind"] == "pat").unwrap();
    assert_eq!(pat_event["token"], pat_id);
    assert_eq!(pat_event["identity"], alice);
    let user_event = events.iter().find(|e| e["kind"] == "user").unwrap();
    assert_eq!(user_event["identity"], alice);
    assert!(
        user_event.get("token").is_none(),
        "no store id is published"
    );
    let token_event = events.iter().find(|e| e["kind"] == "token").unwrap();
    assert_eq!(token_event["token"], jti);
    assert_eq!(
        token_event["identity"],
        format!("urn:v1:eu:identity:credential:{NIC}/oauth2-{}", client.id)
    );
    let ids: Vec<i64> = events.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]) && ids[0] > cursor);
    assert_eq!(page["cursor"].as_i64(), ids.last().copied());
    // Reading on from the cursor gives nothing new; a limit pages.
    let next = feed(&app, &admin, page["cursor"].as_i64().unwrap()).await;
    assert_eq!(next["events"], json!([]));
    assert_eq!(next["cursor"], page["cursor"]);
    let first = app
        .get(&format!("/v1/revocations?since={cursor}&limit=1"), &admin)
        .await
        .expect(200);
    assert_eq!(first["events"].as_array().unwrap().len(), 1);
    assert_eq!(first["cursor"].as_i64(), Some(ids[0]));
}

async fn the_operator_reads_every_account_and_tenants_only_their_own(app: TestApp) {
    let admin = app.admin_pat().await;
    let cursor = app.get("/v1/revocations", &admin).await.expect(200)["cursor"]
        .as_i64()
        .unwrap();
    app.post(
        "/v2/admin/account",
        &admin,
        json!({ "nichandle": "lk0042-lk", "email": "b@example.com", "adminPassword": "account b password" }),
    )
    .await
    .expect(200);
    let b_admin = Auth::Bearer(
        app.create_pat(
            &Auth::password("lk0042-lk", "admin", "account b password"),
            "admin",
            "b",
        )
        .await,
    );
    let b_pat = app.create_pat(&b_admin, "admin", "doomed").await;
    let b_pat_id = jti_of(&app, &b_pat, &b_admin).await;
    app.delete("/1.0/me/identity/user/admin/token/doomed", &b_admin)
        .await
        .expect(200);
    let a_pat = app.create_pat(&admin, "admin", "a-doomed").await;
    let a_pat_id = jti_of(&app, &a_pat, &admin).await;
    app.delete("/1.0/me/identity/user/admin/token/a-doomed", &admin)
        .await
        .expect(200);

    let tokens = |page: &Value| -> Vec<String> {
        page["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["token"].as_str().map(str::to_owned))
            .collect()
    };
    let operator = feed(&app, &admin, cursor).await;
    assert!(tokens(&operator).contains(&b_pat_id));
    assert!(tokens(&operator).contains(&a_pat_id));
    let tenant = feed(&app, &b_admin, cursor).await;
    assert_eq!(tokens(&tenant), vec![b_pat_id]);
    // A user the policies give nothing may not read the feed.
    app.create_user(&admin, "bob", "UNPRIVILEGED").await;
    let bob = Auth::password(NIC, "bob", "bob password");
    app.get("/v1/revocations", &bob)
        .await
        .expect_error(403, "Client::Forbidden");
    app.get("/v1/revocations", &Auth::None)
        .await
        .expect_error(401, "Client::Unauthorized");
}

async fn bad_feed_requests_are_refused(app: TestApp) {
    let admin = app.admin_pat().await;
    for query in [
        "since=-1",
        "since=abc",
        "since=1&limit=0",
        "since=1&limit=1001",
        "since=1&limit=x",
        "from=3",
    ] {
        let message = app
            .get(&format!("/v1/revocations?{query}"), &admin)
            .await
            .expect_error(400, "Client::BadRequest");
        assert!(!message.is_empty(), "{query}");
    }
    app.get("/v1/revocations/stream?since=x", &admin)
        .await
        .expect_error(400, "Client::BadRequest");
}

async fn the_stream_pushes_a_revocation_as_it_happens(app: TestApp) {
    let admin = app.admin_pat().await;
    let Auth::Bearer(bearer) = &admin else {
        unreachable!()
    };
    let pat = app.create_pat(&admin, "admin", "streamed").await;
    let pat_id = jti_of(&app, &pat, &admin).await;
    let mut res = open_stream(&app, bearer).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    app.delete("/1.0/me/identity/user/admin/token/streamed", &admin)
        .await
        .expect(200);
    let mut seen = String::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = res.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains(&pat_id) {
                return;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no event arrived; stream so far: {seen}");
    let frame = seen.split("\n\n").find(|f| f.contains(&pat_id)).unwrap();
    assert!(frame.contains("event: revocation"), "{frame}");
    let data = frame
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .unwrap();
    let event: Value = serde_json::from_str(data).unwrap();
    assert_eq!(event["kind"], "pat");
    let id = frame.lines().find_map(|l| l.strip_prefix("id: ")).unwrap();
    assert_eq!(event["id"].to_string(), id);
}

async fn an_open_stream_does_not_hold_up_shutdown(mut app: TestApp) {
    let admin = app.admin_pat().await;
    let Auth::Bearer(bearer) = &admin else {
        unreachable!()
    };
    let mut res = open_stream(&app, bearer).await;
    assert_eq!(res.status(), 200);
    let stopped = tokio::time::timeout(Duration::from_secs(10), app.server.stop()).await;
    assert!(stopped.is_ok(), "the server waited for the stream to end");
    // The stream ended cleanly rather than being cut.
    let rest = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = res.chunk().await.unwrap() {
            let _ = chunk;
        }
    })
    .await;
    assert!(rest.is_ok(), "the stream did not end");
}

async fn a_stream_ends_when_its_credential_is_revoked(app: TestApp) {
    let admin = app.admin_pat().await;
    let guard_pat = app.create_pat(&admin, "admin", "guard").await;
    let mut res = open_stream(&app, &guard_pat).await;
    assert_eq!(res.status(), 200);
    // The stream checks its caller again at most every 5 s (real time).
    tokio::time::sleep(Duration::from_millis(5100)).await;
    app.delete("/1.0/me/identity/user/admin/token/guard", &admin)
        .await
        .expect(200);
    let mut seen = String::new();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = res.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream went on: {seen}");
    assert!(!seen.contains("event: revocation"), "{seen}");
    // Reconnecting with it is refused.
    let again = open_stream(&app, &guard_pat).await;
    assert_eq!(again.status(), 401);
}
