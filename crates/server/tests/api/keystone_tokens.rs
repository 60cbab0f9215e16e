//! Keystone v3 tokens: discovery, the seed's password request, validation, rescoping,
//! revocation with its audit chain, the per-identity issue limit, and Keystone's errors.

use chrono::TimeDelta;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_PASSWORD, TestApp};
use crate::on_both_backends;

on_both_backends!(
    discovery_answers_as_keystoneauth_expects,
    the_seed_password_request_issues_a_scoped_token_with_roles_and_catalog,
    validation_returns_the_issue_body_and_revocation_ends_the_token,
    rescoped_tokens_are_revoked_with_their_parent,
    unscoped_domain_and_system_scopes,
    the_sixty_first_creation_in_a_minute_is_refused_whatever_the_method,
    malformed_auth_bodies_get_keystone_errors,
    state_changes_invalidate_tokens_on_the_next_validation,
    a_password_change_ends_the_tokens_issued_before_it,
    application_credentials_are_service_accounts,
    tokens_expire_and_allow_expired_reads_them_back,
);

fn project_scope(name: &str) -> Value {
    json!({ "project": { "name": name, "domain": { "id": "default" } } })
}

#[track_caller]
fn keystone_error(reply: &crate::helpers::Reply, status: u16) -> String {
    let body = reply.expect(status);
    assert_eq!(body["error"]["code"], status, "{}", reply.text);
    assert!(body["error"]["title"].is_string(), "{}", reply.text);
    if status == 401 {
        let challenge = reply.headers["www-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("Keystone uri=\""), "{challenge}");
        assert!(challenge.ends_with("/v3\""), "{challenge}");
    }
    body["error"]["message"].as_str().unwrap().to_owned()
}

async fn discovery_answers_as_keystoneauth_expects(app: TestApp) {
    let root = app.get("/", &crate::helpers::Auth::None).await;
    let body = root.expect(300);
    let v3 = &body["versions"]["values"][0];
    assert_eq!(v3["id"], "v3.14");
    assert_eq!(v3["status"], "stable");
    assert_eq!(v3["links"][0]["href"], "http://127.0.0.1/v3/");
    let body = app
        .get("/v3", &crate::helpers::Auth::None)
        .await
        .expect(200);
    assert_eq!(body["version"]["id"], "v3.14");
    assert_eq!(
        body["version"]["media-types"][0]["type"],
        "application/vnd.openstack.identity-v3+json"
    );
}

async fn the_seed_password_request_issues_a_scoped_token_with_roles_and_catalog(app: TestApp) {
    // The body of the seed's curl command, as written.
    let (reply, token) = app
        .ks_issue(json!({
            "identity": { "methods": ["password"], "password": { "user": {
                "name": "admin", "domain": { "id": "default" }, "password": ADMIN_PASSWORD
            } } },
            "scope": project_scope("admin"),
        }))
        .await;
    let body = reply.expect(201);
    let token = token.expect("X-Subject-Token");
    assert!(token.starts_with("eyJ"), "a signed token: {token}");
    let t = &body["token"];
    assert_eq!(t["methods"], json!(["password"]));
    assert_eq!(t["user"]["name"], "admin");
    assert_eq!(
        t["user"]["domain"],
        json!({ "id": "default", "name": "Default" })
    );
    assert_eq!(t["user"]["password_expires_at"], Value::Null);
    assert_eq!(t["project"]["name"], "admin");
    assert_eq!(t["project"]["domain"]["id"], "default");
    assert_eq!(t["is_domain"], false);
    let mut roles: Vec<&str> = t["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    roles.sort_unstable();
    // admin implies manager, member and reader.
    assert_eq!(roles, ["admin", "manager", "member", "reader"]);
    assert_eq!(t["audit_ids"].as_array().unwrap().len(), 1);
    let identity = &t["catalog"][0];
    assert_eq!(identity["type"], "identity");
    let interfaces: Vec<&str> = identity["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["interface"].as_str().unwrap())
        .collect();
    assert_eq!(interfaces.len(), 3, "{interfaces:?}");
    assert_eq!(identity["endpoints"][0]["region_id"], "RegionOne");
    assert_eq!(identity["endpoints"][0]["url"], "http://127.0.0.1/v3/");
    // 24 hours of life.
    let issued = chrono::DateTime::parse_from_rfc3339(t["issued_at"].as_str().unwrap()).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(t["expires_at"].as_str().unwrap()).unwrap();
    let life = expires - issued;
    assert!(
        life <= TimeDelta::hours(24) && life > TimeDelta::hours(24) - TimeDelta::seconds(2),
        "{life}"
    );
    assert!(t["expires_at"].as_str().unwrap().ends_with(".000000Z"));
    // The token is accepted by a service: here, Keystone itself.
    let projects = app.ks_get("/v3/auth/projects", &token).await.expect(200);
    assert_eq!(projects["projects"][0]["name"], "admin");
    // nocatalog drops the catalog.
    let reply = app
        .ks(
            Method::POST,
            "/v3/auth/tokens?nocatalog",
            None,
            None,
            Some(
                json!({ "auth": { "identity": { "methods": ["token"], "token": { "id": token } },
                "scope": project_scope("admin") } }),
            ),
        )
        .await;
    let body = reply.expect(201);
    assert!(body["token"].get("catalog").is_none(), "{body}");
    assert!(body["token"].get("roles").is_some());
}

async fn validation_returns_the_issue_body_and_revocation_ends_the_token(app: TestApp) {
    let admin = app.ks_admin().await;
    let (issued, user_token) = app
        .ks_issue(json!({
            "identity": { "methods": ["password"], "password": { "user": {
                "name": "admin", "domain": { "name": "Default" }, "password": ADMIN_PASSWORD
            } } },
            "scope": project_scope("admin"),
        }))
        .await;
    let issued = issued.expect(201);
    let user_token = user_token.unwrap();
    let got = app
        .ks(
            Method::GET,
            "/v3/auth/tokens",
            Some(&admin),
            Some(&user_token),
            None,
        )
        .await;
    assert_eq!(got.json(), issued, "GET returns the body given at issue");
    assert_eq!(got.headers["x-subject-token"].to_str().unwrap(), user_token);
    let head = app
        .ks(
            Method::HEAD,
            "/v3/auth/tokens",
            Some(&admin),
            Some(&user_token),
            None,
        )
        .await;
    assert_eq!(head.status, 200);
    // A caller with no token, or a garbage token, is 401; a garbage subject is 404.
    let none = app
        .ks(
            Method::GET,
            "/v3/auth/tokens",
            None,
            Some(&user_token),
            None,
        )
        .await;
    keystone_error(&none, 401);
    let garbage = app
        .ks(
            Method::GET,
            "/v3/auth/tokens",
            Some(&admin),
            Some("garbage"),
            None,
        )
        .await;
    keystone_error(&garbage, 404);
    // A Keystone token is a credential of the /1.0 API too.
    let me = app.ks_get("/1.0/me", &user_token).await.expect(200);
    assert_eq!(me["nichandle"], "lk0001-lk");
    assert!(me.to_string().contains("keystone"), "{me}");
    let revoked = app
        .ks(
            Method::DELETE,
            "/v3/auth/tokens",
            Some(&admin),
            Some(&user_token),
            None,
        )
        .await;
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    let gone = app
        .ks(
            Method::GET,
            "/v3/auth/tokens",
            Some(&admin),
            Some(&user_token),
            None,
        )
        .await;
    keystone_error(&gone, 404);
    let as_caller = app.ks_get("/v3/auth/projects", &user_token).await;
    keystone_error(&as_caller, 401);
    app.ks_get("/1.0/me", &user_token)
        .await
        .expect_error(401, "Client::Unauthorized");
    // The admin's own token is untouched.
    app.ks(
        Method::GET,
        "/v3/auth/tokens",
        Some(&admin),
        Some(&admin),
        None,
    )
    .await
    .expect(200);
}

async fn rescoped_tokens_are_revoked_with_their_parent(app: TestApp) {
    let unscoped = app.ks_password("admin", ADMIN_PASSWORD, None).await;
    let rescope = |id: String| {
        json!({ "identity": { "methods": ["token"], "token": { "id": id } },
                "scope": project_scope("admin") })
    };
    let (reply, child) = app.ks_issue(rescope(unscoped.clone())).await;
    let body = reply.expect(201);
    let child = child.unwrap();
    assert_eq!(body["token"]["methods"], json!(["password", "token"]));
    assert_eq!(body["token"]["audit_ids"].as_array().unwrap().len(), 2);
    let (reply, grandchild) = app.ks_issue(rescope(child.clone())).await;
    reply.expect(201);
    let grandchild = grandchild.unwrap();
    // A rescoped token keeps its parent's expiry.
    let parent_exp = app
        .ks(
            Method::GET,
            "/v3/auth/tokens",
            Some(&unscoped),
            Some(&unscoped),
            None,
        )
        .await
        .expect(200)["token"]["expires_at"]
        .clone();
    let child_body = app
        .ks(
            Method::GET,
            "/v3/auth/tokens",
            Some(&child),
            Some(&child),
            None,
        )
        .await
        .expect(200);
    assert_eq!(child_body["token"]["expires_at"], parent_exp);
    // Revoking the child ends it and its own descendant, not its parent.
    app.ks(
        Method::DELETE,
        "/v3/auth/tokens",
        Some(&unscoped),
        Some(&child),
        None,
    )
    .await
    .expect(204);
    for t in [&child, &grandchild] {
        let r = app
            .ks(
                Method::HEAD,
                "/v3/auth/tokens",
                Some(&unscoped),
                Some(t),
                None,
            )
            .await;
        assert_eq!(r.status, 404);
    }
    app.ks(
        Method::HEAD,
        "/v3/auth/tokens",
        Some(&unscoped),
        Some(&unscoped),
        None,
    )
    .await
    .expect(200);
    // A rescoping from a revoked token is refused.
    let (reply, _) = app.ks_issue(rescope(child)).await;
    keystone_error(&reply, 401);
}

async fn unscoped_domain_and_system_scopes(app: TestApp) {
    let unscoped = app.ks_password("admin", ADMIN_PASSWORD, None).await;
    let body = app
        .ks(
            Method::GET,
            "/v3/auth/tokens",
            Some(&unscoped),
            Some(&unscoped),
            None,
        )
        .await
        .expect(200);
    assert!(body["token"].get("project").is_none());
    assert!(body["token"].get("catalog").is_none());
    assert!(body["token"].get("roles").is_none());
    let catalog = app.ks_get("/v3/auth/catalog", &unscoped).await;
    keystone_error(&catalog, 403);
    // The bootstrap admin holds admin on the system, not on the domain.
    let system = app
        .ks_password(
            "admin",
            ADMIN_PASSWORD,
            Some(json!({ "system": { "all": true } })),
        )
        .await;
    let body = app
        .ks(
            Method::GET,
            "/v3/auth/tokens",
            Some(&system),
            Some(&system),
            None,
        )
        .await
        .expect(200);
    assert_eq!(body["token"]["system"], json!({ "all": true }));
    let listed = app.ks_get("/v3/auth/system", &system).await.expect(200);
    assert_eq!(listed["system"], json!([{ "all": true }]));
    let (reply, _) = app
        .ks_issue(json!({
            "identity": { "methods": ["token"], "token": { "id": unscoped } },
            "scope": { "domain": { "id": "default" } },
        }))
        .await;
    keystone_error(&reply, 401);
    // Granted on the domain, the scope works.
    let admin = app.ks_admin().await;
    let user = admin_user_id(&app, &admin).await;
    let role = role_id(&app, &admin, "reader").await;
    app.ks_grant(&admin, &format!("domains/default/users/{user}"), &role)
        .await;
    let (reply, _) = app
        .ks_issue(json!({
            "identity": { "methods": ["token"], "token": { "id": unscoped } },
            "scope": { "domain": { "name": "Default" } },
        }))
        .await;
    let body = reply.expect(201);
    assert_eq!(body["token"]["domain"]["id"], "default");
    assert_eq!(body["token"]["roles"][0]["name"], "reader");
}

pub(crate) async fn admin_user_id(app: &TestApp, admin: &str) -> String {
    app.ks(
        Method::GET,
        "/v3/auth/tokens",
        Some(admin),
        Some(admin),
        None,
    )
    .await
    .expect(200)["token"]["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The id of the operator's `admin` project.
pub(crate) async fn admin_project_id(app: &TestApp, admin: &str) -> String {
    app.ks_get("/v3/projects?name=admin", admin)
        .await
        .expect(200)["projects"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn role_id(app: &TestApp, token: &str, name: &str) -> String {
    let roles = app
        .ks_get(&format!("/v3/roles?name={name}"), token)
        .await
        .expect(200);
    roles["roles"][0]["id"].as_str().unwrap().to_owned()
}

async fn the_sixty_first_creation_in_a_minute_is_refused_whatever_the_method(app: TestApp) {
    let first = app.ks_password("admin", ADMIN_PASSWORD, None).await;
    let by_token = json!({ "identity": { "methods": ["token"], "token": { "id": first } } });
    for _ in 1..60 {
        app.ks_issue(by_token.clone()).await.0.expect(201);
    }
    let (reply, _) = app.ks_issue(by_token.clone()).await;
    keystone_error(&reply, 429);
    let wait: u64 = reply.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Switching method or scope does not help.
    let (reply, _) = app
        .ks_issue(json!({
            "identity": { "methods": ["password"], "password": { "user": {
                "name": "admin", "domain": { "id": "default" }, "password": ADMIN_PASSWORD
            } } },
            "scope": project_scope("admin"),
        }))
        .await;
    keystone_error(&reply, 429);
    // Another identity is not affected; the window ends after a minute.
    app.advance(TimeDelta::seconds(61));
    app.ks_issue(by_token).await.0.expect(201);
}

async fn malformed_auth_bodies_get_keystone_errors(app: TestApp) {
    let password = |user: Value| json!({ "auth": { "identity": { "methods": ["password"], "password": { "user": user } } } });
    let cases: Vec<(&str, Value, u16)> = vec![
        ("no auth", json!({}), 400),
        ("no identity", json!({ "auth": {} }), 400),
        (
            "identity not an object",
            json!({ "auth": { "identity": [] } }),
            400,
        ),
        ("no methods", json!({ "auth": { "identity": {} } }), 400),
        (
            "methods not strings",
            json!({ "auth": { "identity": { "methods": [1] } } }),
            400,
        ),
        (
            "empty methods",
            json!({ "auth": { "identity": { "methods": [] } } }),
            400,
        ),
        (
            "unknown method",
            json!({ "auth": { "identity": { "methods": ["totp"], "totp": {} } } }),
            401,
        ),
        (
            "method without its payload",
            json!({ "auth": { "identity": { "methods": ["password"] } } }),
            400,
        ),
        (
            "no user",
            json!({ "auth": { "identity": { "methods": ["password"], "password": {} } } }),
            400,
        ),
        (
            "user without id or name",
            password(json!({ "password": "x" })),
            400,
        ),
        (
            "name without domain",
            password(json!({ "name": "admin", "password": "x" })),
            400,
        ),
        (
            "domain without id or name",
            password(json!({ "name": "admin", "domain": {}, "password": "x" })),
            400,
        ),
        (
            "unknown domain",
            password(
                json!({ "name": "admin", "domain": { "id": "nowhere" }, "password": ADMIN_PASSWORD }),
            ),
            401,
        ),
        (
            "wrong password",
            password(
                json!({ "name": "admin", "domain": { "id": "default" }, "password": "wrong" }),
            ),
            401,
        ),
        (
            "empty password",
            password(json!({ "name": "admin", "domain": { "id": "default" }, "password": "" })),
            401,
        ),
        (
            "password not a string",
            password(json!({ "name": "admin", "domain": { "id": "default" }, "password": 5 })),
            400,
        ),
        (
            "unknown user id",
            password(json!({ "id": "ffffffffffffffffffffffffffffffff", "password": "x" })),
            401,
        ),
        (
            "token without id",
            json!({ "auth": { "identity": { "methods": ["token"], "token": {} } } }),
            400,
        ),
        (
            "garbage token",
            json!({ "auth": { "identity": { "methods": ["token"], "token": { "id": "garbage" } } } }),
            401,
        ),
        (
            "application credential without secret",
            json!({ "auth": { "identity": { "methods": ["application_credential"],
                "application_credential": { "id": "x" } } } }),
            400,
        ),
        (
            "application credential by name",
            json!({ "auth": { "identity": { "methods": ["application_credential"],
                "application_credential": { "name": "x", "secret": "y" } } } }),
            401,
        ),
    ];
    for (what, body, status) in cases {
        let reply = app
            .ks(Method::POST, "/v3/auth/tokens", None, None, Some(body))
            .await;
        assert_eq!(reply.status.as_u16(), status, "{what}: {}", reply.text);
        keystone_error(&reply, status);
    }
    let with_scope = |scope: Value| {
        json!({ "auth": {
            "identity": { "methods": ["password"], "password": { "user": {
                "name": "admin", "domain": { "id": "default" }, "password": ADMIN_PASSWORD } } },
            "scope": scope,
        } })
    };
    let scopes: Vec<(&str, Value, u16)> = vec![
        (
            "two scopes",
            json!({ "project": { "id": "x" }, "domain": { "id": "default" } }),
            400,
        ),
        ("project without id or name", json!({ "project": {} }), 400),
        (
            "project name without domain",
            json!({ "project": { "name": "admin" } }),
            400,
        ),
        (
            "unknown project",
            json!({ "project": { "id": "nope" } }),
            401,
        ),
        ("system not all", json!({ "system": { "all": false } }), 400),
        ("scope not an object", json!(7), 400),
    ];
    for (what, scope, status) in scopes {
        let reply = app
            .ks(
                Method::POST,
                "/v3/auth/tokens",
                None,
                None,
                Some(with_scope(scope)),
            )
            .await;
        assert_eq!(reply.status.as_u16(), status, "{what}: {}", reply.text);
        keystone_error(&reply, status);
    }
    let reply = app
        .raw(
            Method::POST,
            "/v3/auth/tokens",
            &crate::helpers::Auth::None,
            b"{not json".to_vec(),
        )
        .await;
    keystone_error(&reply, 400);
    // A scope to a project on which the user holds no role.
    let admin = app.ks_admin().await;
    app.ks_post(
        "/v3/projects",
        &admin,
        json!({ "project": { "name": "empty" } }),
    )
    .await
    .expect(201);
    let reply = app
        .ks(
            Method::POST,
            "/v3/auth/tokens",
            None,
            None,
            Some(with_scope(project_scope("empty"))),
        )
        .await;
    keystone_error(&reply, 401);
}

async fn state_changes_invalidate_tokens_on_the_next_validation(app: TestApp) {
    let admin = app.ks_admin().await;
    let pat = app.admin_pat().await;
    app.create_user(&pat, "alice", "DEFAULT").await;
    let project = app.ks_project(&admin, "web").await;
    let users = app.ks_get("/v3/users?name=alice", &admin).await.expect(200);
    let alice = users["users"][0]["id"].as_str().unwrap().to_owned();
    let member = role_id(&app, &admin, "member").await;
    let grant = format!("/v3/projects/{project}/users/{alice}/roles/{member}");
    app.ks_put(&grant, &admin).await.expect(204);
    let scope = json!({ "project": { "id": project } });
    let token = app
        .ks_password("alice", "alice password", Some(scope.clone()))
        .await;
    let check = |t: String| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.ks(
                Method::HEAD,
                "/v3/auth/tokens",
                Some(&admin),
                Some(&t),
                None,
            )
            .await
            .status
            .as_u16()
        }
    };
    assert_eq!(check(token.clone()).await, 200);
    // Removing the role ends the scoped token.
    app.ks_delete(&grant, &admin).await.expect(204);
    assert_eq!(check(token.clone()).await, 404);
    app.ks_put(&grant, &admin).await.expect(204);
    assert_eq!(check(token.clone()).await, 200);
    // Disabling the user ends every token of theirs.
    app.post("/1.0/me/identity/user/alice/disable", &pat, json!({}))
        .await
        .expect(200);
    assert_eq!(check(token.clone()).await, 404);
    app.post("/1.0/me/identity/user/alice/enable", &pat, json!({}))
        .await
        .expect(200);
    assert_eq!(check(token.clone()).await, 200);
    // Disabling the project, then deleting the user.
    app.ks_patch(
        &format!("/v3/projects/{project}"),
        &admin,
        json!({ "project": { "enabled": false } }),
    )
    .await
    .expect(200);
    assert_eq!(check(token.clone()).await, 404);
    app.delete("/1.0/me/identity/user/alice", &pat)
        .await
        .expect(200);
    app.ks_patch(
        &format!("/v3/projects/{project}"),
        &admin,
        json!({ "project": { "enabled": true } }),
    )
    .await
    .expect(200);
    assert_eq!(check(token).await, 404);
}

async fn application_credentials_are_service_accounts(app: TestApp) {
    let admin = app.ks_admin().await;
    let pat = app.admin_pat().await;
    let created = app
        .post(
            "/1.0/me/api/oauth2/client",
            &pat,
            json!({ "callbackUrls": [], "flow": "CLIENT_CREDENTIALS", "name": "ci", "description": "" }),
        )
        .await
        .expect(200);
    let (id, secret) = (
        created["clientId"].as_str().unwrap().to_owned(),
        created["clientSecret"].as_str().unwrap().to_owned(),
    );
    let auth = json!({ "identity": { "methods": ["application_credential"],
        "application_credential": { "id": id, "secret": secret } } });
    // Without a role, the token is unscoped.
    let (reply, _) = app.ks_issue(auth.clone()).await;
    let body = reply.expect(201);
    assert!(body["token"].get("project").is_none());
    assert_eq!(body["token"]["application_credential"]["id"], id);
    // A role on a project scopes it there, with the catalog.
    let project = admin_project_id(&app, &admin).await;
    let member = role_id(&app, &admin, "member").await;
    // A service account is granted roles as a user named by its client id.
    app.ks_grant(&admin, &format!("projects/{project}/users/{id}"), &member)
        .await;
    let (reply, token) = app.ks_issue(auth.clone()).await;
    let body = reply.expect(201);
    assert_eq!(body["token"]["project"]["id"], project);
    assert_eq!(body["token"]["methods"], json!(["application_credential"]));
    assert_eq!(body["token"]["catalog"][0]["type"], "identity");
    let token = token.unwrap();
    // Deleting the service account ends its tokens.
    app.delete(&format!("/1.0/me/api/oauth2/client/{id}"), &pat)
        .await
        .expect(200);
    let r = app
        .ks(
            Method::HEAD,
            "/v3/auth/tokens",
            Some(&admin),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    let (reply, _) = app.ks_issue(auth).await;
    keystone_error(&reply, 401);
}

async fn tokens_expire_and_allow_expired_reads_them_back(app: TestApp) {
    let token = app.ks_password("admin", ADMIN_PASSWORD, None).await;
    app.advance(TimeDelta::hours(24) + TimeDelta::seconds(1));
    let fresh = app.ks_admin().await;
    let r = app
        .ks(
            Method::GET,
            "/v3/auth/tokens",
            Some(&fresh),
            Some(&token),
            None,
        )
        .await;
    keystone_error(&r, 404);
    let r = app
        .ks(
            Method::GET,
            "/v3/auth/tokens?allow_expired=1",
            Some(&fresh),
            Some(&token),
            None,
        )
        .await;
    r.expect(200);
    let expired_caller = app.ks_get("/v3/auth/projects", &token).await;
    keystone_error(&expired_caller, 401);
}

async fn a_password_change_ends_the_tokens_issued_before_it(app: TestApp) {
    let admin = app.ks_admin().await;
    let pat = app.admin_pat().await;
    app.create_user(&pat, "hana", "DEFAULT").await;
    let users = app.ks_get("/v3/users?name=hana", &admin).await.expect(200);
    let hana = users["users"][0]["id"].as_str().unwrap().to_owned();
    let valid = |t: String| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.ks(
                Method::HEAD,
                "/v3/auth/tokens",
                Some(&admin),
                Some(&t),
                None,
            )
            .await
            .status
            .as_u16()
        }
    };
    let rescope = |t: String| {
        let app = &app;
        async move {
            app.ks_issue(json!({ "identity": { "methods": ["token"], "token": { "id": t } } }))
                .await
                .0
        }
    };
    // Changed by the user itself: its earlier tokens end, the ones it gets next work.
    let before = app.ks_password("hana", "hana password", None).await;
    assert_eq!(valid(before.clone()).await, 200);
    app.advance(TimeDelta::seconds(1));
    let change = json!({ "user": { "original_password": "hana password", "password": "hana new password" } });
    let r = app
        .ks(
            Method::POST,
            &format!("/v3/users/{hana}/password"),
            None,
            None,
            Some(change),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(valid(before.clone()).await, 404);
    keystone_error(&rescope(before).await, 401);
    let after = app.ks_password("hana", "hana new password", None).await;
    assert_eq!(valid(after.clone()).await, 200);
    assert_eq!(rescope(after.clone()).await.status, 201);
    // Changed by an administrator, through /1.0: the same.
    app.advance(TimeDelta::seconds(1));
    app.put(
        "/1.0/me/identity/user/hana",
        &pat,
        json!({ "password": "hana third password" }),
    )
    .await
    .expect(200);
    assert_eq!(valid(after.clone()).await, 404);
    keystone_error(&rescope(after).await, 401);
    // Other changes to the user leave its tokens alone.
    let third = app.ks_password("hana", "hana third password", None).await;
    app.advance(TimeDelta::seconds(1));
    app.put(
        "/1.0/me/identity/user/hana",
        &pat,
        json!({ "description": "renamed team" }),
    )
    .await
    .expect(200);
    assert_eq!(valid(third).await, 200);
}
