//! Keystone across domains: roles on the system held by another domain's identities, group
//! renames, Keystone group memberships and grants that cross domains, and domain configuration.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Auth, TestApp};
use crate::keystone_tokens::{admin_user_id, role_id};
use crate::on_both_backends;

on_both_backends!(
    system_roles_reach_every_domain_and_only_a_cloud_admin_grants_them,
    a_renamed_group_keeps_its_members_grants_and_policies,
    domain_configuration_is_kept_checked_and_a_foreign_driver_refuses_passwords,
);

/// A tenant account (a domain) with its ROOT user's unscoped token: (domain id, token).
async fn tenant(app: &TestApp, email: &str, password: &str) -> (String, String) {
    let op = app.admin_pat().await;
    let created = app
        .post(
            "/v2/admin/account",
            &op,
            json!({ "email": email, "adminPassword": password }),
        )
        .await
        .expect(200);
    let nic = created["nichandle"].as_str().unwrap().to_owned();
    let token = tenant_token(app, &nic, password, None).await;
    (nic, token)
}

async fn tenant_token(app: &TestApp, nic: &str, password: &str, scope: Option<Value>) -> String {
    let mut auth = json!({ "identity": { "methods": ["password"], "password": { "user": {
        "name": "admin", "domain": { "name": nic }, "password": password } } } });
    if let Some(scope) = scope {
        auth["scope"] = scope;
    }
    let (reply, token) = app.ks_issue(auth).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    token.unwrap()
}

async fn system_roles_reach_every_domain_and_only_a_cloud_admin_grants_them(app: TestApp) {
    let password = "tenant password 1";
    let (nic, tenant_token_unscoped) = tenant(&app, "t@example.com", password).await;
    let tenant_user = admin_user_id(&app, &tenant_token_unscoped).await;
    let admin = app.ks_admin().await;
    let reader = role_id(&app, &admin, "reader").await;
    let grant = format!("/v3/system/users/{tenant_user}/roles/{reader}");
    // The tenant's own ROOT user administers its domain, yet cannot make itself a system reader.
    let r = app
        .ks(
            Method::PUT,
            &grant,
            Some(&tenant_token_unscoped),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let system = json!({ "system": { "all": true } });
    let (reply, _) = app
        .ks_issue(
            json!({ "identity": { "methods": ["password"], "password": { "user": {
            "name": "admin", "domain": { "name": nic }, "password": password } } },
            "scope": system }),
        )
        .await;
    assert_eq!(
        reply.status, 401,
        "no role on the system yet: {}",
        reply.text
    );
    // The cloud administrator grants it; the grant is listed and checked.
    app.ks(Method::PUT, &grant, Some(&admin), None, None)
        .await
        .expect(204);
    let listed = app
        .ks(
            Method::GET,
            &format!("/v3/system/users/{tenant_user}/roles"),
            Some(&admin),
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(listed["roles"].as_array().unwrap().len(), 1);
    assert_eq!(listed["roles"][0]["id"], reader.as_str());
    let r = app.ks(Method::HEAD, &grant, Some(&admin), None, None).await;
    assert_eq!(r.status, 204);
    // A system-scoped token of the tenant's user reads every domain, and changes none.
    let reading = tenant_token(&app, &nic, password, Some(system.clone())).await;
    let body = app
        .ks(
            Method::GET,
            "/v3/auth/tokens",
            Some(&reading),
            Some(&reading),
            None,
        )
        .await
        .expect(200);
    assert_eq!(body["token"]["system"], json!({ "all": true }));
    let domains = app
        .ks(Method::GET, "/v3/domains", Some(&reading), None, None)
        .await
        .expect(200);
    assert_eq!(domains["domains"].as_array().unwrap().len(), 2);
    app.ks(
        Method::GET,
        "/v3/domains/default",
        Some(&reading),
        None,
        None,
    )
    .await
    .expect(200);
    let r = app
        .ks(
            Method::POST,
            "/v3/domains",
            Some(&reading),
            None,
            Some(json!({ "domain": { "name": "made-by-a-reader" } })),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    // Revoked by the cloud administrator, the system scope is gone on the next validation.
    app.ks(Method::DELETE, &grant, Some(&admin), None, None)
        .await
        .expect(204);
    let r = app
        .ks(
            Method::GET,
            "/v3/auth/tokens",
            Some(&admin),
            Some(&reading),
            None,
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
}

async fn a_renamed_group_keeps_its_members_grants_and_policies(app: TestApp) {
    let admin = app.ks_admin().await;
    let pat = app.admin_pat().await;
    app.post(
        "/1.0/me/identity/group",
        &pat,
        json!({ "name": "devs", "role": "REGULAR", "description": "" }),
    )
    .await
    .expect(200);
    app.create_user(&pat, "dave", "devs").await;
    let dave = Auth::Bearer(app.create_pat(&pat, "dave", "work").await);
    let devs = app
        .ks(
            Method::GET,
            "/v3/groups?name=devs",
            Some(&admin),
            None,
            None,
        )
        .await
        .expect(200)["groups"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // An IAM policy lets the group read users; a Keystone grant gives it `member` on a project.
    let policy = app
        .post(
            "/v2/iam/policy",
            &pat,
            json!({ "name": "devs-read-users", "description": "",
                "identities": ["urn:v1:eu:identity:group:lk0001-lk/devs"],
                "resources": [{ "urn": "urn:v1:eu:resource:account:lk0001-lk" }],
                "permissions": { "allow": [{ "action": "account:apiovh:me/identity/user/get" }] } }),
        )
        .await
        .expect(200);
    let project = app
        .ks(
            Method::GET,
            "/v3/projects?name=admin",
            Some(&admin),
            None,
            None,
        )
        .await
        .expect(200)["projects"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let member = role_id(&app, &admin, "member").await;
    app.ks(
        Method::PUT,
        &format!("/v3/projects/{project}/groups/{devs}/roles/{member}"),
        Some(&admin),
        None,
        None,
    )
    .await
    .expect(204);
    // Renamed through Keystone, under the same id.
    let renamed = app
        .ks(
            Method::PATCH,
            &format!("/v3/groups/{devs}"),
            Some(&admin),
            None,
            Some(json!({ "group": { "name": "builders" } })),
        )
        .await
        .expect(200);
    assert_eq!(renamed["group"]["name"], "builders");
    assert_eq!(renamed["group"]["id"], devs.as_str());
    // /1.0 sees the new name, and dave in it.
    app.get("/1.0/me/identity/group/builders", &pat)
        .await
        .expect(200);
    app.get("/1.0/me/identity/group/devs", &pat)
        .await
        .expect_error(404, "Client::NotFound");
    let user = app
        .get("/1.0/me/identity/user/dave", &pat)
        .await
        .expect(200);
    assert_eq!(user["group"], "builders");
    // The policy names the group by its new URN, and still lets dave read users.
    let path = format!("/v2/iam/policy/{}", policy["id"].as_str().unwrap());
    let policy = app.get(&path, &pat).await.expect(200);
    assert_eq!(
        policy["identities"],
        json!(["urn:v1:eu:identity:group:lk0001-lk/builders"])
    );
    app.get("/1.0/me/identity/user", &dave).await.expect(200);
    // The Keystone grant followed: dave still scopes to the project through the group.
    let listed = app
        .ks(
            Method::GET,
            &format!("/v3/projects/{project}/groups/{devs}/roles"),
            Some(&admin),
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(listed["roles"][0]["name"], "member");
    app.ks_password(
        "dave",
        "dave password",
        Some(json!({ "project": { "id": project } })),
    )
    .await;
    // Another group's name is a conflict, and leaves the group as it was.
    let r = app
        .ks(
            Method::PATCH,
            &format!("/v3/groups/{devs}"),
            Some(&admin),
            None,
            Some(json!({ "group": { "name": "DEFAULT" } })),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    let group = app
        .ks(
            Method::GET,
            &format!("/v3/groups/{devs}"),
            Some(&admin),
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(group["group"]["name"], "builders");
}

async fn domain_configuration_is_kept_checked_and_a_foreign_driver_refuses_passwords(app: TestApp) {
    let password = "tenant password 1";
    let (nic, tenant_admin) = tenant(&app, "t@example.com", password).await;
    let admin = app.ks_admin().await;
    let config = format!("/v3/domains/{nic}/config");
    // Defaults are Latchkey's own driver; any token reads them.
    let defaults = app
        .ks(
            Method::GET,
            "/v3/domains/config/identity/driver/default",
            Some(&tenant_admin),
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(defaults["config"], json!({ "driver": "sql" }));
    let r = app
        .ks(
            Method::GET,
            "/v3/domains/config/assignment/default",
            Some(&admin),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    // Nothing set yet.
    let r = app.ks(Method::GET, &config, Some(&admin), None, None).await;
    assert_eq!(r.status, 404, "{}", r.text);
    // Only the cloud administrator sets it, even on the tenant's own domain.
    let sql = json!({ "config": { "identity": { "driver": "sql", "list_limit": 50 } } });
    let r = app
        .ks(
            Method::PUT,
            &config,
            Some(&tenant_admin),
            None,
            Some(sql.clone()),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    // Unknown groups and options are refused, and nothing is kept.
    for bad in [
        json!({ "config": { "assignment": { "driver": "sql" } } }),
        json!({ "config": { "identity": { "password_hash": "plain" } } }),
        json!({ "config": { "identity": { "driver": { "nested": true } } } }),
    ] {
        let r = app
            .ks(Method::PUT, &config, Some(&admin), None, Some(bad))
            .await;
        assert_eq!(r.status, 400, "{}", r.text);
    }
    let r = app.ks(Method::GET, &config, Some(&admin), None, None).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let made = app
        .ks(Method::PUT, &config, Some(&admin), None, Some(sql.clone()))
        .await
        .expect(201);
    assert_eq!(made["config"], sql["config"]);
    // With its own driver, the domain's users authenticate as before.
    tenant_token(&app, &nic, password, None).await;
    // Switched to LDAP (with a bind password, kept sealed and never shown), the domain's users
    // are no longer checked against the local store.
    let ldap = json!({ "config": { "identity": { "driver": "ldap" },
        "ldap": { "url": "ldap://ldap.example.com", "password": "bind secret" } } });
    let replaced = app
        .ks(Method::PUT, &config, Some(&admin), None, Some(ldap))
        .await
        .expect(200);
    assert_eq!(
        replaced["config"],
        json!({ "identity": { "driver": "ldap" }, "ldap": { "url": "ldap://ldap.example.com" } })
    );
    let shown = app.ks(Method::GET, &config, Some(&admin), None, None).await;
    assert!(!shown.text.contains("bind secret"), "{}", shown.text);
    let r = app
        .ks(
            Method::GET,
            &format!("{config}/ldap/password"),
            Some(&admin),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("never shown"), "{}", r.text);
    let (reply, _) = app
        .ks_issue(
            json!({ "identity": { "methods": ["password"], "password": { "user": {
            "name": "admin", "domain": { "name": nic }, "password": password } } } }),
        )
        .await;
    assert_eq!(reply.status, 401, "{}", reply.text);
    // Options change one by one; a group or option not set is 404.
    let patched = app
        .ks(
            Method::PATCH,
            &format!("{config}/identity/driver"),
            Some(&admin),
            None,
            Some(json!({ "config": { "driver": "sql" } })),
        )
        .await
        .expect(200);
    assert_eq!(patched["config"]["identity"]["driver"], "sql");
    tenant_token(&app, &nic, password, None).await;
    let r = app
        .ks(
            Method::PATCH,
            &format!("{config}/identity/list_limit"),
            Some(&admin),
            None,
            Some(json!({ "config": { "list_limit": 5 } })),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    app.ks(
        Method::DELETE,
        &format!("{config}/ldap"),
        Some(&admin),
        None,
        None,
    )
    .await
    .expect(204);
    let r = app
        .ks(
            Method::GET,
            &format!("{config}/ldap"),
            Some(&admin),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    // Deleted whole, it is gone.
    app.ks(Method::DELETE, &config, Some(&admin), None, None)
        .await
        .expect(204);
    let r = app.ks(Method::GET, &config, Some(&admin), None, None).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = app
        .ks(
            Method::GET,
            "/v3/domains/nowhere/config",
            Some(&admin),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
}
