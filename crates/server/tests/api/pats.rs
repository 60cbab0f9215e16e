//! The PAT life cycle of the seed "How to configure a Personal Access Token", and the rules
//! around it: one-time value, expiry, disabled and deleted users, rights of the owner.

use chrono::{DateTime, TimeDelta, Utc};
use latchkey_client::Error;
use latchkey_client::model::Expiry;
use serde_json::json;

use crate::helpers::{Auth, NIC, TestApp};

crate::on_both_backends!(
    pat_life_cycle_create_use_list_delete_then_refused,
    token_value_is_shown_at_creation_only,
    pat_expires_with_expires_in_and_can_be_extended,
    pat_expires_at_a_given_date,
    expiry_in_the_past_or_given_twice_is_refused,
    duplicate_token_name_is_a_conflict_but_other_users_may_reuse_it,
    last_used_is_reported_after_a_call,
    disabled_users_tokens_are_refused_until_enabled,
    deleted_users_tokens_are_refused,
    pat_carries_exactly_its_users_rights,
);

async fn pat_life_cycle_create_use_list_delete_then_refused(app: TestApp) {
    // Create, authenticated with the ROOT user's password (a fresh install's first step).
    let created = app
        .post(
            "/1.0/me/identity/user/admin/token",
            &app.admin,
            json!({ "name": "pat-my-script", "description": "nightly export" }),
        )
        .await
        .expect(200);
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("lkpat_"), "{token}");
    assert_eq!(created["name"], "pat-my-script");
    assert_eq!(created["description"], "nightly export");
    assert!(created["expiresAt"].is_null(), "no expiry by default");

    // Use it as a Bearer token on GET /1.0/me.
    let me = app
        .get("/1.0/me", &Auth::Bearer(token.clone()))
        .await
        .expect(200);
    assert_eq!(me["nichandle"], NIC);
    assert_eq!(me["urn"], format!("urn:v1:eu:identity:account:{NIC}"));
    assert_eq!(
        me["identity"]["urn"],
        format!("urn:v1:eu:identity:user:{NIC}/admin")
    );
    assert_eq!(me["identity"]["token"], "pat-my-script");

    // Use it through the pat_jwt_ Basic form, with any suffix.
    app.get("/1.0/me", &Auth::pat_basic(&token))
        .await
        .expect(200);
    app.get("/1.0/me", &Auth::Basic("pat_jwt_".into(), token.clone()))
        .await
        .expect(200);
    // /v1 serves the same routes.
    app.get("/v1/me", &Auth::Bearer(token.clone()))
        .await
        .expect(200);

    // List: names only, never values.
    let list = app
        .get(
            "/1.0/me/identity/user/admin/token",
            &Auth::Bearer(token.clone()),
        )
        .await;
    assert_eq!(list.expect(200), json!(["pat-my-script"]));
    assert!(!list.text.contains(&token));

    // Delete, and the very next call is refused.
    app.delete(
        "/1.0/me/identity/user/admin/token/pat-my-script",
        &Auth::Bearer(token.clone()),
    )
    .await
    .expect(200);
    let refused = app.get("/1.0/me", &Auth::Bearer(token.clone())).await;
    refused.expect_error(401, "Client::Unauthorized");
    assert!(refused.headers.contains_key("www-authenticate"));
    app.get("/1.0/me", &Auth::pat_basic(&token))
        .await
        .expect_error(401, "Client::Unauthorized");
    app.get(
        "/1.0/me/identity/user/admin/token/pat-my-script",
        &app.admin,
    )
    .await
    .expect_error(404, "Client::NotFound");
}

async fn token_value_is_shown_at_creation_only(app: TestApp) {
    let admin = app.admin_pat().await;
    let token = app.create_pat(&admin, "admin", "ci").await;
    let shown = app
        .get("/1.0/me/identity/user/admin/token/ci", &admin)
        .await;
    let body = shown.expect(200);
    assert!(body.get("token").is_none(), "{body}");
    assert!(!shown.text.contains(&token));
    let edited = app
        .put(
            "/1.0/me/identity/user/admin/token/ci",
            &admin,
            json!({ "description": "changed" }),
        )
        .await;
    assert_eq!(edited.expect(200)["description"], "changed");
    assert!(!edited.text.contains(&token));
}

async fn pat_expires_with_expires_in_and_can_be_extended(app: TestApp) {
    let admin = app.admin_pat().await;
    let created = app
        .post(
            "/1.0/me/identity/user/admin/token",
            &admin,
            json!({ "name": "short", "description": "one hour", "expiresIn": 3600 }),
        )
        .await
        .expect(200);
    let expires: DateTime<Utc> = created["expiresAt"].as_str().unwrap().parse().unwrap();
    let lifetime = expires - app.clock_now();
    assert!(
        (3599..=3600).contains(&lifetime.num_seconds()),
        "{lifetime}"
    );
    let token = Auth::Bearer(created["token"].as_str().unwrap().to_owned());
    app.get("/1.0/me", &token).await.expect(200);
    app.advance(TimeDelta::seconds(3601));
    let msg = app
        .get("/1.0/me", &token)
        .await
        .expect_error(401, "Client::Unauthorized");
    assert!(msg.contains("expired"), "{msg}");
    // Removing the expiry brings the token back.
    app.put(
        "/1.0/me/identity/user/admin/token/short",
        &admin,
        json!({ "expiresAt": null }),
    )
    .await
    .expect(200);
    app.get("/1.0/me", &token).await.expect(200);
}

async fn pat_expires_at_a_given_date(app: TestApp) {
    let admin = app.admin_pat().await;
    let at = app.clock_now() + TimeDelta::days(2);
    let created = app
        .post(
            "/1.0/me/identity/user/admin/token",
            &admin,
            json!({ "name": "dated", "description": "", "expiresAt": at.to_rfc3339() }),
        )
        .await
        .expect(200);
    let token = Auth::Bearer(created["token"].as_str().unwrap().to_owned());
    app.advance(TimeDelta::days(1));
    app.get("/1.0/me", &token).await.expect(200);
    app.advance(TimeDelta::days(1));
    app.get("/1.0/me", &token)
        .await
        .expect_error(401, "Client::Unauthorized");
    // A bare date is midnight UTC.
    let date = (app.clock_now() + TimeDelta::days(10))
        .format("%Y-%m-%d")
        .to_string();
    let created = app
        .post(
            "/1.0/me/identity/user/admin/token",
            &admin,
            json!({ "name": "by-date", "description": "", "expiresAt": date }),
        )
        .await
        .expect(200);
    assert!(
        created["expiresAt"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{date}T00:00:00"))
    );
}

async fn expiry_in_the_past_or_given_twice_is_refused(app: TestApp) {
    let admin = app.admin_pat().await;
    let past = (app.clock_now() - TimeDelta::minutes(1)).to_rfc3339();
    let cases = [
        json!({ "name": "a", "description": "", "expiresAt": past }),
        json!({ "name": "a", "description": "", "expiresIn": 0 }),
        json!({ "name": "a", "description": "", "expiresIn": -10 }),
        json!({ "name": "a", "description": "", "expiresIn": 60, "expiresAt": "2999-01-01T00:00:00Z" }),
        json!({ "name": "a", "description": "", "expiresAt": "next tuesday" }),
    ];
    for body in cases {
        app.post("/1.0/me/identity/user/admin/token", &admin, body.clone())
            .await
            .expect_error(400, "Client::BadRequest");
    }
    let names = app
        .get("/1.0/me/identity/user/admin/token", &admin)
        .await
        .expect(200);
    assert_eq!(
        names,
        json!(["admin-test"]),
        "nothing stored by refused requests"
    );
}

async fn duplicate_token_name_is_a_conflict_but_other_users_may_reuse_it(app: TestApp) {
    let admin = app.admin_pat().await;
    app.create_pat(&admin, "admin", "deploy").await;
    app.post(
        "/1.0/me/identity/user/admin/token",
        &admin,
        json!({ "name": "deploy", "description": "again" }),
    )
    .await
    .expect_error(409, "Client::Conflict");
    app.create_user(&admin, "john", "DEFAULT").await;
    app.create_pat(&admin, "john", "deploy").await;
}

async fn last_used_is_reported_after_a_call(app: TestApp) {
    let admin = app.sdk(&app.admin_pat().await);
    let token = admin
        .create_pat("admin", "watch", "", Expiry::Never)
        .await
        .unwrap()
        .token;
    assert_eq!(
        admin.get_pat("admin", "watch").await.unwrap().last_used,
        None
    );
    app.advance(TimeDelta::minutes(5));
    app.sdk(&Auth::Bearer(token.expose().to_owned()))
        .me()
        .await
        .unwrap();
    let used = admin.get_pat("admin", "watch").await.unwrap().last_used;
    assert_eq!(
        used.map(|t| t.timestamp()),
        Some(app.clock_now().timestamp())
    );
}

async fn disabled_users_tokens_are_refused_until_enabled(app: TestApp) {
    let admin_pat = app.admin_pat().await;
    let admin = app.sdk(&admin_pat);
    app.create_user(&admin_pat, "john", "ADMIN").await;
    let token = admin
        .create_pat("john", "johns", "", Expiry::Never)
        .await
        .unwrap()
        .token;
    let john = app.sdk(&Auth::Bearer(token.expose().to_owned()));
    john.me().await.unwrap();
    admin.disable_user("john").await.unwrap();
    assert_eq!(admin.get_user("john").await.unwrap().status, "DISABLED");
    let refused = john.me().await.unwrap_err();
    assert!(
        matches!(&refused, Error::Api { status, class, message, .. }
            if status.as_u16() == 401 && class == "Client::Unauthorized" && message.contains("disabled")),
        "{refused:?}"
    );
    admin.enable_user("john").await.unwrap();
    john.me().await.unwrap();
}

async fn deleted_users_tokens_are_refused(app: TestApp) {
    let admin_pat = app.admin_pat().await;
    let admin = app.sdk(&admin_pat);
    app.create_user(&admin_pat, "john", "ADMIN").await;
    let token = admin
        .create_pat("john", "johns", "", Expiry::Never)
        .await
        .unwrap()
        .token;
    let john = app.sdk(&Auth::Bearer(token.expose().to_owned()));
    john.me().await.unwrap();
    admin.delete_user("john").await.unwrap();
    let refused = john.me().await.unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(401));
    // The pat_jwt_ Basic form, which the SDK does not send, is refused as well.
    app.get("/1.0/me", &Auth::pat_basic(token.expose()))
        .await
        .expect_error(401, "Client::Unauthorized");
}

async fn pat_carries_exactly_its_users_rights(app: TestApp) {
    let admin = app.admin_pat().await;
    app.create_user(&admin, "john", "ADMIN").await;
    let john = Auth::Bearer(app.create_pat(&admin, "john", "johns").await);
    app.get("/1.0/me/identity/user", &john).await.expect(200);
    // Moved to a group without rights: the same token is now refused by the authoriser.
    app.put(
        "/1.0/me/identity/user/john",
        &admin,
        json!({ "group": "DEFAULT" }),
    )
    .await
    .expect(200);
    let refused = app.get("/1.0/me/identity/user", &john).await;
    refused.expect_error(403, "Client::Forbidden");
    assert_eq!(refused.json()["errorCode"], "NOT_GRANTED_CALL");
    assert_eq!(
        refused.json()["details"]["unauthorizedActionsByIAM"],
        "account:apiovh:me/identity/user/get"
    );
    // Its own token management needs rights too.
    app.post(
        "/1.0/me/identity/user/john/token",
        &john,
        json!({ "name": "more", "description": "" }),
    )
    .await
    .expect_error(403, "Client::Forbidden");
}
