//! Nothing crosses accounts: account A's credentials see nothing of account B, by every route.

use serde_json::{Value, json};

use crate::helpers::{Auth, NIC, TestApp};

crate::on_both_backends!(
    account_a_sees_nothing_of_account_b_by_any_route,
    tenant_root_is_not_the_operator
);

const B: &str = "lk0042-lk";

/// The operator creates account B; B's ROOT creates user bob with a PAT and a group.
async fn account_b(app: &TestApp) -> (Auth, String) {
    let created = app
        .post(
            "/v2/admin/account",
            &app.admin,
            json!({ "nichandle": B, "email": "b@example.com", "adminPassword": "account b password" }),
        )
        .await
        .expect(200);
    assert_eq!(created["nichandle"], B);
    let b_admin = Auth::Bearer(
        app.create_pat(
            &Auth::password(B, "admin", "account b password"),
            "admin",
            "b",
        )
        .await,
    );
    app.create_user(&b_admin, "bob", "DEFAULT").await;
    app.post(
        "/1.0/me/identity/group",
        &b_admin,
        json!({ "name": "b-team", "role": "REGULAR" }),
    )
    .await
    .expect(200);
    let bob_token = app.create_pat(&b_admin, "bob", "bobs").await;
    (b_admin, bob_token)
}

async fn account_a_sees_nothing_of_account_b_by_any_route(app: TestApp) {
    let (b_admin, _) = account_b(&app).await;
    let a = app.admin_pat().await;

    assert_eq!(app.get("/1.0/me", &a).await.expect(200)["nichandle"], NIC);
    assert_eq!(
        app.get("/1.0/me", &b_admin).await.expect(200)["nichandle"],
        B
    );

    let users = app.get("/1.0/me/identity/user", &a).await.expect(200);
    assert!(
        !users.as_array().unwrap().contains(&Value::from("bob")),
        "{users}"
    );
    let groups = app.get("/1.0/me/identity/group", &a).await.expect(200);
    assert!(
        !groups.as_array().unwrap().contains(&Value::from("b-team")),
        "{groups}"
    );

    for user in ["bob", &format!("{B}%2Fbob")] {
        let base = format!("/1.0/me/identity/user/{user}");
        app.get(&base, &a)
            .await
            .expect_error(404, "Client::NotFound");
        app.put(&base, &a, json!({ "description": "mine now" }))
            .await
            .expect_error(404, "Client::NotFound");
        app.post(&format!("{base}/disable"), &a, json!({}))
            .await
            .expect_error(404, "Client::NotFound");
        app.post(&format!("{base}/enable"), &a, json!({}))
            .await
            .expect_error(404, "Client::NotFound");
        app.get(&format!("{base}/token"), &a)
            .await
            .expect_error(404, "Client::NotFound");
        app.post(
            &format!("{base}/token"),
            &a,
            json!({ "name": "steal", "description": "" }),
        )
        .await
        .expect_error(404, "Client::NotFound");
        app.get(&format!("{base}/token/bobs"), &a)
            .await
            .expect_error(404, "Client::NotFound");
        app.put(
            &format!("{base}/token/bobs"),
            &a,
            json!({ "description": "x" }),
        )
        .await
        .expect_error(404, "Client::NotFound");
        app.delete(&format!("{base}/token/bobs"), &a)
            .await
            .expect_error(404, "Client::NotFound");
        app.delete(&base, &a)
            .await
            .expect_error(404, "Client::NotFound");
    }
    app.get("/1.0/me/identity/group/b-team", &a)
        .await
        .expect_error(404, "Client::NotFound");
    app.put(
        "/1.0/me/identity/group/b-team",
        &a,
        json!({ "role": "ADMIN" }),
    )
    .await
    .expect_error(404, "Client::NotFound");
    app.delete("/1.0/me/identity/group/b-team", &a)
        .await
        .expect_error(404, "Client::NotFound");

    // B's user, token and group are intact.
    app.get("/1.0/me/identity/user/bob/token/bobs", &b_admin)
        .await
        .expect(200);
    assert_eq!(
        app.get("/1.0/me/identity/user/bob", &b_admin)
            .await
            .expect(200)["description"],
        "test user"
    );
    assert_eq!(
        app.get("/1.0/me/identity/group/b-team", &b_admin)
            .await
            .expect(200)["role"],
        "REGULAR"
    );
    // A's admin with the same login exists in both accounts, separately.
    let a_root = app.get("/1.0/me/identity/user/admin", &a).await.expect(200);
    assert_eq!(
        a_root["urn"],
        format!("urn:v1:eu:identity:user:{NIC}/admin")
    );
    let b_root = app
        .get("/1.0/me/identity/user/admin", &b_admin)
        .await
        .expect(200);
    assert_eq!(b_root["urn"], format!("urn:v1:eu:identity:user:{B}/admin"));
}

async fn tenant_root_is_not_the_operator(app: TestApp) {
    let (b_admin, _) = account_b(&app).await;
    for reply in [
        app.get("/v2/admin/account", &b_admin).await,
        app.get(&format!("/v2/admin/account/{NIC}"), &b_admin).await,
        app.post(
            "/v2/admin/account",
            &b_admin,
            json!({ "email": "c@example.com" }),
        )
        .await,
    ] {
        reply.expect_error(403, "Client::Forbidden");
    }
}
