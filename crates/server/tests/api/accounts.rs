//! The operator's account management (`/v2/admin/account`) and the bootstrap.

use serde_json::json;

use crate::helpers::{Auth, NIC, TestApp};

crate::on_both_backends!(
    operator_creates_accounts_with_generated_nic_and_password,
    duplicate_or_malformed_nic_is_refused,
    bootstrap_made_the_operator_account_with_its_root_user,
);

async fn operator_creates_accounts_with_generated_nic_and_password(app: TestApp) {
    let op = app.admin_pat().await;
    let created = app
        .post(
            "/v2/admin/account",
            &op,
            json!({ "email": "t@example.com" }),
        )
        .await
        .expect(200);
    assert_eq!(created["nichandle"], "lk0002-lk");
    assert_eq!(created["adminLogin"], "admin");
    assert_eq!(created["urn"], "urn:v1:eu:identity:account:lk0002-lk");
    let password = created["adminPassword"].as_str().unwrap().to_owned();
    assert!(password.len() >= 20);
    let me = app
        .get("/1.0/me", &Auth::password("lk0002-lk", "admin", &password))
        .await
        .expect(200);
    assert_eq!(me["nichandle"], "lk0002-lk");
    assert_eq!(
        app.get("/v2/admin/account", &op).await.expect(200),
        json!([NIC, "lk0002-lk"])
    );
    let shown = app.get("/v2/admin/account/lk0002-lk", &op).await;
    assert_eq!(shown.expect(200)["email"], "t@example.com");
    assert!(
        !shown.text.contains(&password),
        "the password is shown once"
    );
    // A given password is not echoed.
    let given = app
        .post(
            "/v2/admin/account",
            &op,
            json!({ "email": "u@example.com", "adminPassword": "chosen password" }),
        )
        .await
        .expect(200);
    assert!(given.get("adminPassword").is_none());
}

async fn duplicate_or_malformed_nic_is_refused(app: TestApp) {
    let op = app.admin_pat().await;
    app.post(
        "/v2/admin/account",
        &op,
        json!({ "nichandle": NIC, "email": "t@example.com" }),
    )
    .await
    .expect_error(409, "Client::Conflict");
    app.post(
        "/v2/admin/account",
        &op,
        json!({ "nichandle": "not a nic", "email": "t@example.com" }),
    )
    .await
    .expect_error(400, "Client::BadRequest");
    app.post(
        "/v2/admin/account",
        &op,
        json!({ "email": "t@example.com", "adminPassword": "short" }),
    )
    .await
    .expect_error(400, "Client::BadRequest");
    app.get("/v2/admin/account/lk9999-lk", &op)
        .await
        .expect_error(404, "Client::NotFound");
    assert_eq!(
        app.get("/v2/admin/account", &op).await.expect(200),
        json!([NIC])
    );
}

async fn bootstrap_made_the_operator_account_with_its_root_user(app: TestApp) {
    let me = app.get("/1.0/me", &app.admin).await.expect(200);
    assert_eq!(me["nichandle"], NIC);
    assert_eq!(me["email"], "admin@example.com");
    assert_eq!(me["identity"]["type"], "ROOT");
    assert_eq!(me["identity"]["authentication"], "password");
    assert_eq!(
        app.get("/1.0/me/identity/user", &app.admin)
            .await
            .expect(200),
        json!(["admin"])
    );
}
