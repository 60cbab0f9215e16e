//! Service accounts (OAuth2 clients), as the seed "Managing OVHcloud service accounts" describes:
//! create (secret shown once), read with its URN identity, edit, delete.

use serde_json::{Value, json};

use crate::helpers::{NIC, TestApp};

crate::on_both_backends!(
    service_account_life_cycle_from_the_seed,
    secret_is_shown_once_and_stored_only_hashed,
    bad_service_account_requests_are_refused,
    another_accounts_service_account_is_invisible,
);

const CLIENTS: &str = "/1.0/me/api/oauth2/client";

async fn create(app: &TestApp, auth: &crate::helpers::Auth, name: &str) -> Value {
    let body = json!({ "callbackUrls": [], "flow": "CLIENT_CREDENTIALS", "name": name, "description": "CI deployer" });
    app.post(CLIENTS, auth, body).await.expect(200)
}

async fn service_account_life_cycle_from_the_seed(app: TestApp) {
    let admin = app.admin_pat().await;
    let created = create(&app, &admin, "deployer").await;
    let client_id = created["clientId"].as_str().unwrap().to_owned();
    let secret = created["clientSecret"].as_str().unwrap();
    assert_eq!(client_id.len(), 16, "{client_id}");
    assert!(secret.starts_with("lksec_"), "{secret}");
    assert_eq!(
        created.as_object().unwrap().len(),
        2,
        "only clientId and clientSecret: {created}"
    );

    assert_eq!(
        app.get(CLIENTS, &admin).await.expect(200),
        json!([client_id])
    );
    let shown = app
        .get(&format!("{CLIENTS}/{client_id}"), &admin)
        .await
        .expect(200);
    assert_eq!(shown["clientId"], client_id);
    assert_eq!(shown["name"], "deployer");
    assert_eq!(shown["description"], "CI deployer");
    assert_eq!(shown["flow"], "CLIENT_CREDENTIALS");
    assert_eq!(shown["callbackUrls"], json!([]));
    assert!(shown["createdAt"].is_string());
    assert_eq!(
        shown["identity"],
        format!("urn:v1:eu:identity:credential:{NIC}/oauth2-{client_id}")
    );

    let edited = app
        .put(
            &format!("{CLIENTS}/{client_id}"),
            &admin,
            json!({ "name": "deployer v2", "description": "prod" }),
        )
        .await
        .expect(200);
    assert_eq!(edited["name"], "deployer v2");
    assert_eq!(edited["description"], "prod");
    assert_eq!(edited["flow"], "CLIENT_CREDENTIALS");

    app.delete(&format!("{CLIENTS}/{client_id}"), &admin)
        .await
        .expect(200);
    app.get(&format!("{CLIENTS}/{client_id}"), &admin)
        .await
        .expect_error(404, "Client::NotFound");
    app.delete(&format!("{CLIENTS}/{client_id}"), &admin)
        .await
        .expect_error(404, "Client::NotFound");
    assert_eq!(app.get(CLIENTS, &admin).await.expect(200), json!([]));
}

async fn secret_is_shown_once_and_stored_only_hashed(app: TestApp) {
    let admin = app.admin_pat().await;
    let created = create(&app, &admin, "one").await;
    let secret = created["clientSecret"].as_str().unwrap();
    let client_id = created["clientId"].as_str().unwrap();
    for reply in [
        app.get(CLIENTS, &admin).await,
        app.get(&format!("{CLIENTS}/{client_id}"), &admin).await,
        app.put(
            &format!("{CLIENTS}/{client_id}"),
            &admin,
            json!({ "description": "x" }),
        )
        .await,
    ] {
        assert!(
            !reply.text.contains(secret),
            "secret shown again: {}",
            reply.text
        );
        assert!(!reply.text.contains("clientSecret"));
    }
    let other = create(&app, &admin, "two").await;
    assert_ne!(other["clientSecret"], created["clientSecret"]);
    assert_ne!(other["clientId"], created["clientId"]);
}

async fn bad_service_account_requests_are_refused(app: TestApp) {
    let admin = app.admin_pat().await;
    let cases = [
        json!({ "callbackUrls": [], "flow": "CLIENT_CREDENTIALS", "description": "no name" }),
        json!({ "callbackUrls": [], "flow": "CLIENT_CREDENTIALS", "name": "" }),
        json!({ "callbackUrls": [], "flow": "IMPLICIT", "name": "x" }),
        json!({ "callbackUrls": ["https://app.example.com/cb"], "flow": "CLIENT_CREDENTIALS", "name": "x" }),
        json!({ "callbackUrls": [], "flow": "AUTHORIZATION_CODE", "name": "x" }),
        json!({ "callbackUrls": ["http://app.example.com/cb"], "flow": "AUTHORIZATION_CODE", "name": "x" }),
        json!({ "callbackUrls": [], "flow": "CLIENT_CREDENTIALS", "name": "x", "clientSecret": "mine" }),
    ];
    for body in cases {
        app.post(CLIENTS, &admin, body.clone())
            .await
            .expect_error(400, "Client::BadRequest");
    }
    assert_eq!(
        app.get(CLIENTS, &admin).await.expect(200),
        json!([]),
        "nothing stored"
    );
    let code = app
        .post(
            CLIENTS,
            &admin,
            json!({ "callbackUrls": ["https://app.example.com/cb"], "flow": "AUTHORIZATION_CODE", "name": "web" }),
        )
        .await
        .expect(200);
    let id = code["clientId"].as_str().unwrap();
    app.put(
        &format!("{CLIENTS}/{id}"),
        &admin,
        json!({ "callbackUrls": [] }),
    )
    .await
    .expect_error(400, "Client::BadRequest");
    app.get(&format!("{CLIENTS}/not-a-client"), &admin)
        .await
        .expect_error(400, "Client::BadRequest");
    app.get(&format!("{CLIENTS}/0f0f0f0f0f0f0f0f"), &admin)
        .await
        .expect_error(404, "Client::NotFound");
}

async fn another_accounts_service_account_is_invisible(app: TestApp) {
    let op = app.admin_pat().await;
    app.post(
        "/v2/admin/account",
        &op,
        json!({ "nichandle": "lk0042-lk", "email": "b@example.com", "adminPassword": "account b password" }),
    )
    .await
    .expect(200);
    let b = crate::helpers::Auth::password("lk0042-lk", "admin", "account b password");
    let theirs = create(&app, &b, "theirs").await;
    let id = theirs["clientId"].as_str().unwrap();
    assert_eq!(app.get(CLIENTS, &op).await.expect(200), json!([]));
    let path = format!("{CLIENTS}/{id}");
    app.get(&path, &op)
        .await
        .expect_error(404, "Client::NotFound");
    app.put(&path, &op, json!({ "name": "mine" }))
        .await
        .expect_error(404, "Client::NotFound");
    app.delete(&path, &op)
        .await
        .expect_error(404, "Client::NotFound");
    assert_eq!(app.get(&path, &b).await.expect(200)["name"], "theirs");
}
