//! Local users: create, read, edit, password change, enable/disable, delete.

use latchkey_client::model::UserChanges;
use latchkey_client::{Error, Secret};
use serde_json::json;

use crate::helpers::{Auth, NIC, TestApp};

crate::on_both_backends!(
    user_is_created_read_listed_edited_and_deleted,
    password_change_replaces_the_old_password,
    root_user_cannot_be_deleted_disabled_or_moved,
    unknown_user_is_not_found_on_every_route,
    user_can_be_named_with_its_account_prefix,
    disabled_user_cannot_log_in_with_a_password,
);

async fn user_is_created_read_listed_edited_and_deleted(app: TestApp) {
    let admin = app.admin_pat().await;
    let created = app
        .post(
            "/1.0/me/identity/user",
            &admin,
            json!({
                "login": "johnsmith",
                "email": "john@example.com",
                "group": "DEFAULT",
                "description": "John",
                "password": "a long password",
            }),
        )
        .await
        .expect(200);
    assert_eq!(created["login"], "johnsmith");
    assert_eq!(created["email"], "john@example.com");
    assert_eq!(created["group"], "DEFAULT");
    assert_eq!(created["status"], "OK");
    assert_eq!(created["type"], "USER");
    assert_eq!(
        created["urn"],
        format!("urn:v1:eu:identity:user:{NIC}/johnsmith")
    );
    for field in ["creation", "lastUpdate", "passwordLastUpdate"] {
        assert!(created[field].is_string(), "{field} missing: {created}");
    }
    assert!(created.get("password").is_none());
    app.post(
        "/1.0/me/identity/user",
        &admin,
        json!({ "login": "johnsmith", "email": "j@example.com", "password": "another password" }),
    )
    .await
    .expect_error(409, "Client::Conflict");

    assert_eq!(
        app.get("/1.0/me/identity/user", &admin).await.expect(200),
        json!(["admin", "johnsmith"])
    );
    let edited = app
        .put(
            "/1.0/me/identity/user/johnsmith",
            &admin,
            json!({ "email": "smith@example.com", "description": "Mr Smith" }),
        )
        .await
        .expect(200);
    assert_eq!(edited["email"], "smith@example.com");
    assert_eq!(edited["description"], "Mr Smith");
    assert_eq!(edited["group"], "DEFAULT", "absent fields stay");
    let read = app
        .get("/1.0/me/identity/user/johnsmith", &admin)
        .await
        .expect(200);
    assert_eq!(read["email"], "smith@example.com");

    app.delete("/1.0/me/identity/user/johnsmith", &admin)
        .await
        .expect(200);
    app.get("/1.0/me/identity/user/johnsmith", &admin)
        .await
        .expect_error(404, "Client::NotFound");
    assert_eq!(
        app.get("/1.0/me/identity/user", &admin).await.expect(200),
        json!(["admin"])
    );
}

async fn password_change_replaces_the_old_password(app: TestApp) {
    let admin_pat = app.admin_pat().await;
    let admin = app.sdk(&admin_pat);
    app.create_user(&admin_pat, "john", "ADMIN").await;
    let old = app.sdk(&Auth::password(NIC, "john", "john password"));
    old.me().await.unwrap();
    let before = admin.get_user("john").await.unwrap();
    app.advance(chrono::TimeDelta::seconds(30));
    let change = |password: &str| UserChanges {
        password: Some(Secret::new(password)),
        ..UserChanges::default()
    };
    admin
        .update_user("john", &change("brand new password"))
        .await
        .unwrap();
    let refused = old.me().await.unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(401));
    app.sdk(&Auth::password(NIC, "john", "brand new password"))
        .me()
        .await
        .unwrap();
    let after = admin.get_user("john").await.unwrap();
    assert!(after.password_last_update > before.password_last_update);
    let short = admin
        .update_user("john", &change("short"))
        .await
        .unwrap_err();
    assert!(
        matches!(&short, Error::Api { class, .. } if class == "Client::BadRequest"),
        "{short:?}"
    );
}

async fn root_user_cannot_be_deleted_disabled_or_moved(app: TestApp) {
    let admin = app.admin_pat().await;
    app.delete("/1.0/me/identity/user/admin", &admin)
        .await
        .expect_error(400, "Client::BadRequest");
    app.post("/1.0/me/identity/user/admin/disable", &admin, json!({}))
        .await
        .expect_error(400, "Client::BadRequest");
    app.put(
        "/1.0/me/identity/user/admin",
        &admin,
        json!({ "group": "DEFAULT" }),
    )
    .await
    .expect_error(400, "Client::BadRequest");
    app.post(
        "/1.0/me/identity/user",
        &admin,
        json!({ "login": "root2", "email": "r@example.com", "password": "a long password", "type": "ROOT" }),
    )
    .await
    .expect_error(400, "Client::BadRequest");
    let root = app
        .get("/1.0/me/identity/user/admin", &admin)
        .await
        .expect(200);
    assert_eq!(root["type"], "ROOT");
    assert_eq!(root["status"], "OK");
}

async fn unknown_user_is_not_found_on_every_route(app: TestApp) {
    let admin = app.admin_pat().await;
    let base = "/1.0/me/identity/user/ghost";
    app.get(base, &admin)
        .await
        .expect_error(404, "Client::NotFound");
    app.put(base, &admin, json!({ "description": "x" }))
        .await
        .expect_error(404, "Client::NotFound");
    app.delete(base, &admin)
        .await
        .expect_error(404, "Client::NotFound");
    app.post(&format!("{base}/enable"), &admin, json!({}))
        .await
        .expect_error(404, "Client::NotFound");
    app.post(&format!("{base}/disable"), &admin, json!({}))
        .await
        .expect_error(404, "Client::NotFound");
    app.get(&format!("{base}/token"), &admin)
        .await
        .expect_error(404, "Client::NotFound");
    app.post(
        &format!("{base}/token"),
        &admin,
        json!({ "name": "t", "description": "" }),
    )
    .await
    .expect_error(404, "Client::NotFound");
    app.get(&format!("{base}/token/t"), &admin)
        .await
        .expect_error(404, "Client::NotFound");
    app.delete(&format!("{base}/token/t"), &admin)
        .await
        .expect_error(404, "Client::NotFound");
    // A group that does not exist is a bad request, not a missing user.
    app.post(
        "/1.0/me/identity/user",
        &admin,
        json!({ "login": "x", "email": "x@example.com", "group": "nope", "password": "a long password" }),
    )
    .await
    .expect_error(400, "Client::BadRequest");
}

async fn user_can_be_named_with_its_account_prefix(app: TestApp) {
    let admin = app.admin_pat().await;
    app.create_user(&admin, "johnsmith", "DEFAULT").await;
    let path = format!("/1.0/me/identity/user/{NIC}%2Fjohnsmith");
    assert_eq!(
        app.get(&path, &admin).await.expect(200)["login"],
        "johnsmith"
    );
    let created = app
        .post(
            &format!("{path}/token"),
            &admin,
            json!({ "name": "pat-my-script", "description": "" }),
        )
        .await
        .expect(200);
    assert!(created["token"].as_str().unwrap().starts_with("lkpat_"));
}

async fn disabled_user_cannot_log_in_with_a_password(app: TestApp) {
    let admin = app.admin_pat().await;
    app.create_user(&admin, "john", "ADMIN").await;
    app.post("/1.0/me/identity/user/john/disable", &admin, json!({}))
        .await
        .expect(200);
    app.get("/1.0/me", &Auth::password(NIC, "john", "john password"))
        .await
        .expect_error(401, "Client::Unauthorized");
}
