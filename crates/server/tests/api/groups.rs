//! Groups: CRUD, the default groups, and a role change taking effect on the next request.

use latchkey_client::Error;
use latchkey_client::model::Expiry;
use serde_json::json;

use crate::helpers::{Auth, NIC, TestApp};

crate::on_both_backends!(
    account_starts_with_default_groups_that_cannot_change,
    group_is_created_edited_and_deleted,
    group_role_change_applies_to_members_on_the_next_request,
    group_with_members_cannot_be_deleted,
);

async fn account_starts_with_default_groups_that_cannot_change(app: TestApp) {
    let admin = app.admin_pat().await;
    let groups = app.get("/1.0/me/identity/group", &admin).await.expect(200);
    assert_eq!(groups, json!(["ADMIN", "DEFAULT", "UNPRIVILEGED"]));
    let group = app
        .get("/1.0/me/identity/group/ADMIN", &admin)
        .await
        .expect(200);
    assert_eq!(group["role"], "ADMIN");
    assert_eq!(group["defaultGroup"], true);
    assert_eq!(
        group["urn"],
        format!("urn:v1:eu:identity:group:{NIC}/ADMIN")
    );
    app.put(
        "/1.0/me/identity/group/DEFAULT",
        &admin,
        json!({ "role": "ADMIN" }),
    )
    .await
    .expect_error(400, "Client::BadRequest");
    app.delete("/1.0/me/identity/group/DEFAULT", &admin)
        .await
        .expect_error(400, "Client::BadRequest");
}

async fn group_is_created_edited_and_deleted(app: TestApp) {
    let admin = app.admin_pat().await;
    let created = app
        .post(
            "/1.0/me/identity/group",
            &admin,
            json!({ "name": "ops", "role": "REGULAR", "description": "Ops" }),
        )
        .await
        .expect(200);
    assert_eq!(created["name"], "ops");
    assert_eq!(created["defaultGroup"], false);
    app.post(
        "/1.0/me/identity/group",
        &admin,
        json!({ "name": "ops", "role": "REGULAR" }),
    )
    .await
    .expect_error(409, "Client::Conflict");
    app.post(
        "/1.0/me/identity/group",
        &admin,
        json!({ "name": "x", "role": "SUPERUSER" }),
    )
    .await
    .expect_error(400, "Client::BadRequest");
    let edited = app
        .put(
            "/1.0/me/identity/group/ops",
            &admin,
            json!({ "description": "Operations" }),
        )
        .await
        .expect(200);
    assert_eq!(edited["description"], "Operations");
    assert_eq!(edited["role"], "REGULAR");
    app.delete("/1.0/me/identity/group/ops", &admin)
        .await
        .expect(200);
    app.get("/1.0/me/identity/group/ops", &admin)
        .await
        .expect_error(404, "Client::NotFound");
}

async fn group_role_change_applies_to_members_on_the_next_request(app: TestApp) {
    let admin_pat = app.admin_pat().await;
    let admin = app.sdk(&admin_pat);
    admin.create_group("ops", "ADMIN", "").await.unwrap();
    app.create_user(&admin_pat, "john", "ops").await;
    let token = admin
        .create_pat("john", "johns", "", Expiry::Never)
        .await
        .unwrap()
        .token;
    let john = app.sdk(&Auth::Bearer(token.expose().to_owned()));
    john.me().await.unwrap();
    admin
        .update_group("ops", Some("UNPRIVILEGED"), None)
        .await
        .unwrap();
    let refused = john.me().await.unwrap_err();
    assert!(
        matches!(&refused, Error::Api { status, class, .. }
            if status.as_u16() == 403 && class == "Client::Forbidden"),
        "{refused:?}"
    );
    admin
        .update_group("ops", Some("ADMIN"), None)
        .await
        .unwrap();
    john.me().await.unwrap();
}

async fn group_with_members_cannot_be_deleted(app: TestApp) {
    let admin_pat = app.admin_pat().await;
    let admin = app.sdk(&admin_pat);
    admin.create_group("ops", "REGULAR", "").await.unwrap();
    app.create_user(&admin_pat, "john", "ops").await;
    let refused = admin.delete_group("ops").await.unwrap_err();
    assert!(
        matches!(&refused, Error::Api { class, .. } if class == "Client::Conflict"),
        "{refused:?}"
    );
    assert_eq!(admin.get_group("ops").await.unwrap().name, "ops");
}
