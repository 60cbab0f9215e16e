//! The operator's account management (`/v2/admin/account`) and the bootstrap.

use serde_json::{Value, json};

use crate::helpers::{Auth, NIC, TestApp};

crate::on_both_backends!(
    operator_creates_accounts_with_generated_nic_and_password,
    generated_nics_follow_the_highest_ever_given_and_deleted_ones_stay_retired,
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

async fn generated_nics_follow_the_highest_ever_given_and_deleted_ones_stay_retired(app: TestApp) {
    let op = app.admin_pat().await;
    let admin = app.ks_admin().await;
    let create = |body: Value| app.post("/v2/admin/account", &op, body);
    let nic_of = |v: &Value| v["nichandle"].as_str().unwrap().to_owned();
    let first = nic_of(
        &create(json!({ "email": "a@example.com" }))
            .await
            .expect(200),
    );
    assert_eq!(first, "lk0002-lk");
    // A nic given by hand past the generated ones moves the next generated one after it.
    create(json!({ "nichandle": "lk0041-lk", "email": "b@example.com" }))
        .await
        .expect(200);
    let after = nic_of(
        &create(json!({ "email": "c@example.com" }))
            .await
            .expect(200),
    );
    assert_eq!(after, "lk0042-lk");
    // Deleted (disabled, then deleted as a Keystone domain), its nic is never given again.
    let path = format!("/v3/domains/{after}");
    app.ks_patch(&path, &admin, json!({ "domain": { "enabled": false } }))
        .await
        .expect(200);
    app.ks_delete(&path, &admin).await.expect(204);
    let next = nic_of(
        &create(json!({ "email": "d@example.com" }))
            .await
            .expect(200),
    );
    assert_eq!(next, "lk0043-lk");
    // A Keystone domain is a generated account too; a taken domain name is the caller's
    // conflict, not a reason to try other nics.
    let domain = app
        .ks_post(
            "/v3/domains",
            &admin,
            json!({ "domain": { "name": "Acme" } }),
        )
        .await;
    assert_eq!(domain.status, 201, "{}", domain.text);
    assert_eq!(domain.json()["domain"]["id"], "lk0044-lk");
    let again = app
        .ks_post(
            "/v3/domains",
            &admin,
            json!({ "domain": { "name": "Acme" } }),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.text);
    let listed = app.get("/v2/admin/account", &op).await.expect(200);
    assert_eq!(
        listed,
        json!([NIC, "lk0002-lk", "lk0041-lk", "lk0043-lk", "lk0044-lk"])
    );
}
