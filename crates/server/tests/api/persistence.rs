//! Acknowledged writes survive a restart of the server, and so do token values (the hash key
//! is kept in the data directory) and recorded usage.

use chrono::TimeDelta;
use serde_json::json;

use crate::helpers::{Auth, TestApp};

crate::on_both_backends!(
    users_tokens_and_usage_survive_a_restart,
    restart_does_not_bootstrap_again
);

async fn users_tokens_and_usage_survive_a_restart(mut app: TestApp) {
    let admin = app.admin_pat().await;
    app.create_user(&admin, "john", "ADMIN").await;
    let john = Auth::Bearer(app.create_pat(&admin, "john", "johns").await);
    app.advance(TimeDelta::minutes(1));
    app.get("/1.0/me", &john).await.expect(200);
    let used = app
        .get("/1.0/me/identity/user/john/token/johns", &admin)
        .await
        .expect(200)["lastUsed"]
        .clone();
    assert!(used.is_string());

    app.restart().await;

    assert_eq!(
        app.get("/1.0/me", &john).await.expect(200)["identity"]["login"],
        "john"
    );
    let users = app.get("/1.0/me/identity/user", &admin).await.expect(200);
    assert_eq!(users, json!(["admin", "john"]));
    let token = app
        .get("/1.0/me/identity/user/john/token/johns", &admin)
        .await
        .expect(200);
    assert_eq!(token["lastUsed"], used, "usage written at shutdown");
}

async fn restart_does_not_bootstrap_again(mut app: TestApp) {
    let admin = app.admin_pat().await;
    app.put(
        "/1.0/me/identity/user/admin",
        &admin,
        json!({ "password": "changed password" }),
    )
    .await
    .expect(200);
    app.restart().await;
    // The bootstrap password does not come back; the changed one stays.
    app.get("/1.0/me", &app.admin)
        .await
        .expect_error(401, "Client::Unauthorized");
    app.get(
        "/1.0/me",
        &Auth::password(crate::helpers::NIC, "admin", "changed password"),
    )
    .await
    .expect(200);
}
