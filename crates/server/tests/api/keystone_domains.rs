//! Keystone across domains: roles on the system held by another domain's identities, group
//! renames, Keystone group memberships and grants that cross domains, and domain configuration.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Auth, TestApp};
use crate::keystone_tokens::{admin_project_id, admin_user_id, role_id};
use crate::on_both_backends;

on_both_backends!(
    system_roles_reach_every_domain_and_only_a_cloud_admin_grants_them,
    a_renamed_group_keeps_its_members_grants_and_policies,
    domain_configuration_is_kept_checked_and_a_foreign_driver_refuses_passwords,
    users_join_groups_and_hold_roles_across_domains,
    a_keystone_membership_counts_for_iam_in_the_users_own_account,
    admin_on_another_domain_administers_that_domain_only,
    another_domains_ids_answer_as_unknown_ones,
);

/// A tenant account (a domain) with its ROOT user's unscoped token: (domain id, token).
async fn tenant(app: &TestApp, email: &str, password: &str) -> (String, String) {
    let op = app.admin_pat().await;
    tenant_by(app, &op, email, password).await
}

async fn tenant_by(app: &TestApp, op: &Auth, email: &str, password: &str) -> (String, String) {
    let created = app
        .post(
            "/v2/admin/account",
            op,
            json!({ "email": email, "adminPassword": password }),
        )
        .await
        .expect(200);
    let nic = created["nichandle"].as_str().unwrap().to_owned();
    let token = tenant_token(app, &nic, password, None).await;
    (nic, token)
}

/// `GET /v3/auth/tokens` of `token`, asked by `by`.
async fn validated(app: &TestApp, by: &str, token: &str) -> crate::helpers::Reply {
    app.ks(Method::GET, "/v3/auth/tokens", Some(by), Some(token), None)
        .await
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
    let r = app.ks_put(&grant, &tenant_token_unscoped).await;
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
    app.ks_put(&grant, &admin).await.expect(204);
    let listed = app
        .ks_get(&format!("/v3/system/users/{tenant_user}/roles"), &admin)
        .await
        .expect(200);
    assert_eq!(listed["roles"].as_array().unwrap().len(), 1);
    assert_eq!(listed["roles"][0]["id"], reader.as_str());
    let r = app.ks_head(&grant, &admin).await;
    assert_eq!(r.status, 204);
    // The cloud administrator's system listing covers every domain's holders.
    let on_system = app
        .ks_get("/v3/role_assignments?scope.system=all", &admin)
        .await
        .expect(200);
    assert!(
        on_system["role_assignments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["user"]["id"] == tenant_user.as_str() && a["role"]["id"] == reader.as_str()),
        "{on_system}"
    );
    // A system-scoped token of the tenant's user reads every domain, and changes none.
    let reading = tenant_token(&app, &nic, password, Some(system.clone())).await;
    let body = validated(&app, &reading, &reading).await.expect(200);
    assert_eq!(body["token"]["system"], json!({ "all": true }));
    let domains = app.ks_get("/v3/domains", &reading).await.expect(200);
    assert_eq!(domains["domains"].as_array().unwrap().len(), 2);
    app.ks_get("/v3/domains/default", &reading)
        .await
        .expect(200);
    let r = app
        .ks_post(
            "/v3/domains",
            &reading,
            json!({ "domain": { "name": "made-by-a-reader" } }),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    // Revoked by the cloud administrator, the system scope is gone on the next validation.
    app.ks_delete(&grant, &admin).await.expect(204);
    let r = validated(&app, &admin, &reading).await;
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
    let devs = app.ks_get("/v3/groups?name=devs", &admin).await.expect(200)["groups"][0]["id"]
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
    let project = admin_project_id(&app, &admin).await;
    let member = role_id(&app, &admin, "member").await;
    app.ks_grant(
        &admin,
        &format!("projects/{project}/groups/{devs}"),
        &member,
    )
    .await;
    // Renamed through Keystone, under the same id.
    let renamed = app
        .ks_patch(
            &format!("/v3/groups/{devs}"),
            &admin,
            json!({ "group": { "name": "builders" } }),
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
        .ks_get(
            &format!("/v3/projects/{project}/groups/{devs}/roles"),
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(listed["roles"][0]["name"], "member");
    app.ks_scoped_token("dave", "dave password", &project).await;
    // Another group's name is a conflict, and leaves the group as it was.
    let r = app
        .ks_patch(
            &format!("/v3/groups/{devs}"),
            &admin,
            json!({ "group": { "name": "DEFAULT" } }),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    let group = app
        .ks_get(&format!("/v3/groups/{devs}"), &admin)
        .await
        .expect(200);
    assert_eq!(group["group"]["name"], "builders");
    // A renamed user keeps the policies naming it as well.
    let user_policy = app
        .post(
            "/v2/iam/policy",
            &pat,
            json!({ "name": "dave-reads-groups", "description": "",
                "identities": ["urn:v1:eu:identity:user:lk0001-lk/dave"],
                "resources": [{ "urn": "urn:v1:eu:resource:account:lk0001-lk" }],
                "permissions": { "allow": [{ "action": "account:apiovh:me/identity/group/get" }] } }),
        )
        .await
        .expect(200);
    app.get("/1.0/me/identity/group", &dave).await.expect(200);
    let dave_id = app.ks_get("/v3/users?name=dave", &admin).await.expect(200)["users"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ks_patch(
        &format!("/v3/users/{dave_id}"),
        &admin,
        json!({ "user": { "name": "david" } }),
    )
    .await
    .expect(200);
    let path = format!("/v2/iam/policy/{}", user_policy["id"].as_str().unwrap());
    assert_eq!(
        app.get(&path, &pat).await.expect(200)["identities"],
        json!(["urn:v1:eu:identity:user:lk0001-lk/david"])
    );
    app.get("/1.0/me/identity/group", &dave).await.expect(200);
}

async fn domain_configuration_is_kept_checked_and_a_foreign_driver_refuses_passwords(app: TestApp) {
    let password = "tenant password 1";
    let (nic, tenant_admin) = tenant(&app, "t@example.com", password).await;
    let admin = app.ks_admin().await;
    let config = format!("/v3/domains/{nic}/config");
    // Defaults are Latchkey's own driver; any token reads them.
    let defaults = app
        .ks_get("/v3/domains/config/identity/driver/default", &tenant_admin)
        .await
        .expect(200);
    assert_eq!(defaults["config"], json!({ "driver": "sql" }));
    let r = app
        .ks_get("/v3/domains/config/assignment/default", &admin)
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    // Nothing set yet.
    let r = app.ks_get(&config, &admin).await;
    assert_eq!(r.status, 404, "{}", r.text);
    // Only the cloud administrator sets it, even on the tenant's own domain.
    let sql = json!({ "config": { "identity": { "driver": "sql", "list_limit": 50 } } });
    let r = app.ks_put_json(&config, &tenant_admin, sql.clone()).await;
    assert_eq!(r.status, 403, "{}", r.text);
    // Unknown groups and options are refused, and nothing is kept.
    for bad in [
        json!({ "config": { "assignment": { "driver": "sql" } } }),
        json!({ "config": { "identity": { "password_hash": "plain" } } }),
        json!({ "config": { "identity": { "driver": { "nested": true } } } }),
    ] {
        let r = app.ks_put_json(&config, &admin, bad).await;
        assert_eq!(r.status, 400, "{}", r.text);
    }
    let r = app.ks_get(&config, &admin).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let made = app
        .ks_put_json(&config, &admin, sql.clone())
        .await
        .expect(201);
    assert_eq!(made["config"], sql["config"]);
    // With its own driver, the domain's users authenticate as before.
    tenant_token(&app, &nic, password, None).await;
    // Switched to LDAP (with a bind password, kept sealed and never shown), the domain's users
    // are no longer checked against the local store.
    let ldap = json!({ "config": { "identity": { "driver": "ldap" },
        "ldap": { "url": "ldap://ldap.example.com", "password": "bind secret" } } });
    let replaced = app.ks_put_json(&config, &admin, ldap).await.expect(200);
    assert_eq!(
        replaced["config"],
        json!({ "identity": { "driver": "ldap" }, "ldap": { "url": "ldap://ldap.example.com" } })
    );
    let shown = app.ks_get(&config, &admin).await;
    assert!(!shown.text.contains("bind secret"), "{}", shown.text);
    // The sealed option is changed in place, and still not shown.
    let changed = app
        .ks_patch(
            &format!("{config}/ldap/password"),
            &admin,
            json!({ "config": { "password": "another bind secret" } }),
        )
        .await
        .expect(200);
    assert!(!changed.to_string().contains("bind secret"), "{changed}");
    // What the store holds is sealed too.
    let store = latchkey_store::connect(&app.config.database_url)
        .await
        .unwrap();
    let stored = store.documents("domain_config").await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(
        stored[0].contains("ldap.example.com") && !stored[0].contains("bind secret"),
        "{stored:?}"
    );
    let r = app.ks_get(&format!("{config}/ldap/password"), &admin).await;
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
        .ks_patch(
            &format!("{config}/identity/driver"),
            &admin,
            json!({ "config": { "driver": "sql" } }),
        )
        .await
        .expect(200);
    assert_eq!(patched["config"]["identity"]["driver"], "sql");
    tenant_token(&app, &nic, password, None).await;
    let r = app
        .ks_patch(
            &format!("{config}/identity/list_limit"),
            &admin,
            json!({ "config": { "list_limit": 5 } }),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    app.ks_delete(&format!("{config}/ldap"), &admin)
        .await
        .expect(204);
    let r = app.ks_get(&format!("{config}/ldap"), &admin).await;
    assert_eq!(r.status, 404, "{}", r.text);
    // Deleted whole, it is gone.
    app.ks_delete(&config, &admin).await.expect(204);
    let r = app.ks_get(&config, &admin).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = app.ks_get("/v3/domains/nowhere/config", &admin).await;
    assert_eq!(r.status, 404, "{}", r.text);
}

fn id_of(body: &Value, key: &str) -> String {
    body[key]["id"].as_str().unwrap().to_owned()
}

fn ids(body: &Value, key: &str) -> Vec<String> {
    let mut out: Vec<String> = body[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

async fn users_join_groups_and_hold_roles_across_domains(app: TestApp) {
    let admin = app.ks_admin().await;
    let password = "tenant password 1";
    let op = app.admin_pat().await;
    let (x, x_token) = tenant_by(&app, &op, "x@example.com", password).await;
    let (y, y_token) = tenant_by(&app, &op, "y@example.com", "tenant password 2").await;
    let tenant_user = admin_user_id(&app, &x_token).await;
    let member = role_id(&app, &admin, "member").await;
    // A project of the operator's domain, reached through a group of the operator's domain.
    let project = app
        .ks_post(
            "/v3/projects",
            &admin,
            json!({ "project": { "name": "shared", "domain_id": "default" } }),
        )
        .await
        .expect(201);
    let project = id_of(&project, "project");
    let group = app
        .ks_post(
            "/v3/groups",
            &admin,
            json!({ "group": { "name": "partners", "domain_id": "default" } }),
        )
        .await
        .expect(201);
    let group = id_of(&group, "group");
    let ks = |method: Method, path: String, token: &str| {
        let app = &app;
        let token = token.to_owned();
        async move { app.ks(method, &path, Some(&token), None, None).await }
    };
    ks(
        Method::PUT,
        format!("/v3/projects/{project}/groups/{group}/roles/{member}"),
        &admin,
    )
    .await
    .expect(204);
    // The tenant's own administrator cannot put its user in another domain's group: the group
    // is out of its reach, and answers as if it did not exist.
    let membership = format!("/v3/groups/{group}/users/{tenant_user}");
    let r = ks(Method::PUT, membership.clone(), &x_token).await;
    assert_eq!(r.status, 404, "{}", r.text);
    // The cloud administrator can; the membership is listed from both sides.
    ks(Method::PUT, membership.clone(), &admin)
        .await
        .expect(204);
    ks(Method::HEAD, membership.clone(), &admin)
        .await
        .expect(204);
    let members = ks(Method::GET, format!("/v3/groups/{group}/users"), &admin)
        .await
        .expect(200);
    assert_eq!(ids(&members, "users"), std::slice::from_ref(&tenant_user));
    assert_eq!(members["users"][0]["domain_id"], x.as_str());
    let groups = ks(
        Method::GET,
        format!("/v3/users/{tenant_user}/groups"),
        &admin,
    )
    .await
    .expect(200);
    // Its IAM group in its own domain, and the Keystone group in the operator's.
    let domains_of_groups: Vec<(String, String)> = groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_str().unwrap().to_owned(),
                g["domain_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(domains_of_groups.len(), 2, "{groups}");
    assert!(domains_of_groups.contains(&(group.clone(), "default".to_owned())));
    assert!(domains_of_groups.iter().any(|(_, d)| *d == x));
    // The tenant's user lists the project and scopes to it, in the operator's domain.
    let projects = ks(Method::GET, "/v3/auth/projects".into(), &x_token)
        .await
        .expect(200);
    assert_eq!(ids(&projects, "projects"), std::slice::from_ref(&project));
    assert_eq!(projects["projects"][0]["domain_id"], "default");
    let scoped = tenant_token(
        &app,
        &x,
        password,
        Some(json!({ "project": { "id": project } })),
    )
    .await;
    let body = validated(&app, &admin, &scoped).await.expect(200);
    assert_eq!(body["token"]["project"]["id"], project.as_str());
    assert_eq!(body["token"]["project"]["domain"]["id"], "default");
    assert_eq!(body["token"]["user"]["domain"]["id"], x.as_str());
    let roles: Vec<&str> = body["token"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(roles.contains(&"member"), "{roles:?}");
    // By name too, naming the project's domain.
    tenant_token(
        &app,
        &x,
        password,
        Some(json!({ "project": { "name": "shared", "domain": { "id": "default" } } })),
    )
    .await;
    // A member role on the project is no administration of the operator's domain.
    let r = ks(Method::GET, "/v3/users?domain_id=default".into(), &scoped).await;
    assert_eq!(r.status, 403, "{}", r.text);
    // Leaving the group ends the scoped token on its next validation.
    ks(Method::DELETE, membership.clone(), &admin)
        .await
        .expect(204);
    let r = validated(&app, &admin, &scoped).await;
    assert_eq!(r.status, 404, "{}", r.text);
    // A role on another tenant's domain, granted by the cloud administrator, is listed and
    // scoped to; the tenant's own administrator cannot grant it.
    let grant = format!("/v3/domains/{y}/users/{tenant_user}/roles/{member}");
    let r = ks(Method::PUT, grant.clone(), &x_token).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = ks(
        Method::PUT,
        format!(
            "/v3/domains/{x}/users/{}/roles/{member}",
            admin_user_id(&app, &y_token).await
        ),
        &x_token,
    )
    .await;
    assert_eq!(
        r.status, 403,
        "another domain's user is out of the tenant's reach: {}",
        r.text
    );
    ks(Method::PUT, grant.clone(), &admin).await.expect(204);
    let listed = ks(
        Method::GET,
        format!("/v3/domains/{y}/users/{tenant_user}/roles"),
        &admin,
    )
    .await
    .expect(200);
    assert_eq!(ids(&listed, "roles"), std::slice::from_ref(&member));
    let domains = ks(Method::GET, "/v3/auth/domains".into(), &x_token)
        .await
        .expect(200);
    assert_eq!(ids(&domains, "domains"), std::slice::from_ref(&y));
    let named = ks(
        Method::GET,
        format!("/v3/role_assignments?scope.domain.id={y}&include_names=true"),
        &admin,
    )
    .await
    .expect(200);
    let entry = named["role_assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["user"]["id"] == tenant_user.as_str())
        .unwrap_or_else(|| panic!("{named}"));
    assert_eq!(entry["user"]["domain"]["id"], x.as_str());
    // The user's assignments list its grants in every domain.
    let of_user = ks(
        Method::GET,
        format!("/v3/role_assignments?user.id={tenant_user}&include_names=true"),
        &admin,
    )
    .await
    .expect(200);
    let on_domain_y = of_user["role_assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["scope"]["domain"]["id"] == y.as_str())
        .unwrap_or_else(|| panic!("{of_user}"));
    assert_eq!(on_domain_y["role"]["id"], member.as_str());
    assert_eq!(on_domain_y["user"]["domain"]["id"], x.as_str());
    let on_y = tenant_token(&app, &x, password, Some(json!({ "domain": { "id": y } }))).await;
    let body = validated(&app, &admin, &on_y).await.expect(200);
    assert_eq!(body["token"]["domain"]["id"], y.as_str());
    // A group holds roles in its own domain only.
    let r = ks(
        Method::PUT,
        format!("/v3/domains/{y}/groups/{group}/roles/{member}"),
        &admin,
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text);
    // Deleting a user removes its grants in the other domain too.
    let zed = app
        .ks_post(
            "/v3/users",
            &admin,
            json!({ "user": { "name": "zed", "domain_id": x, "password": "zed password 1" } }),
        )
        .await
        .expect(201);
    let zed = id_of(&zed, "user");
    ks(
        Method::PUT,
        format!("/v3/domains/{y}/users/{zed}/roles/{member}"),
        &admin,
    )
    .await
    .expect(204);
    let assignments = format!("/v3/role_assignments?scope.domain.id={y}");
    let before = ks(Method::GET, assignments.clone(), &admin)
        .await
        .expect(200);
    assert!(before.to_string().contains(&zed), "{before}");
    ks(Method::DELETE, format!("/v3/users/{zed}"), &admin)
        .await
        .expect(204);
    let after = ks(Method::GET, assignments, &admin).await.expect(200);
    assert!(!after.to_string().contains(&zed), "{after}");
}

async fn a_keystone_membership_counts_for_iam_in_the_users_own_account(app: TestApp) {
    let admin = app.ks_admin().await;
    let pat = app.admin_pat().await;
    app.create_user(&pat, "erin", "DEFAULT").await;
    let erin = Auth::Bearer(app.create_pat(&pat, "erin", "work").await);
    app.post(
        "/1.0/me/identity/group",
        &pat,
        json!({ "name": "readers", "role": "REGULAR", "description": "" }),
    )
    .await
    .expect(200);
    app.post(
        "/v2/iam/policy",
        &pat,
        json!({ "name": "readers-read-users", "description": "",
            "identities": ["urn:v1:eu:identity:group:lk0001-lk/readers"],
            "resources": [{ "urn": "urn:v1:eu:resource:account:lk0001-lk" }],
            "permissions": { "allow": [{ "action": "account:apiovh:me/identity/user/get" }] } }),
    )
    .await
    .expect(200);
    app.get("/1.0/me/identity/user", &erin)
        .await
        .expect_error(403, "Client::Forbidden");
    let readers = app
        .ks_get("/v3/groups?name=readers", &admin)
        .await
        .expect(200)["groups"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let users = app.ks_get("/v3/users?name=erin", &admin).await.expect(200);
    let erin_id = users["users"][0]["id"].as_str().unwrap().to_owned();
    let membership = format!("/v3/groups/{readers}/users/{erin_id}");
    app.ks_put(&membership, &admin).await.expect(204);
    // Her IAM group is still DEFAULT; the Keystone group's policy reaches her at once.
    let seen = app
        .get("/1.0/me/identity/user/erin", &pat)
        .await
        .expect(200);
    assert_eq!(seen["group"], "DEFAULT");
    app.get("/1.0/me/identity/user", &erin).await.expect(200);
    // The group's role counts too: made ADMIN, it makes her an administrator of the account,
    // and no longer once it is REGULAR again.
    app.get("/1.0/me/identity/group", &erin)
        .await
        .expect_error(403, "Client::Forbidden");
    app.put(
        "/1.0/me/identity/group/readers",
        &pat,
        json!({ "role": "ADMIN" }),
    )
    .await
    .expect(200);
    app.get("/1.0/me/identity/group", &erin).await.expect(200);
    app.put(
        "/1.0/me/identity/group/readers",
        &pat,
        json!({ "role": "REGULAR" }),
    )
    .await
    .expect(200);
    app.get("/1.0/me/identity/group", &erin)
        .await
        .expect_error(403, "Client::Forbidden");
    app.ks_delete(&membership, &admin).await.expect(204);
    app.get("/1.0/me/identity/user", &erin)
        .await
        .expect_error(403, "Client::Forbidden");
}

async fn admin_on_another_domain_administers_that_domain_only(app: TestApp) {
    let admin = app.ks_admin().await;
    let (x, x_token) = tenant(&app, "x@example.com", "tenant password 1").await;
    // Carol, of the operator's domain, holds no role there; the cloud administrator makes her
    // `admin` of the tenant's domain.
    let carol = app
        .ks_post(
            "/v3/users",
            &admin,
            json!({ "user": { "name": "carol", "domain_id": "default",
                "password": "carol password 1" } }),
        )
        .await
        .expect(201);
    let carol = id_of(&carol, "user");
    let admin_role = role_id(&app, &admin, "admin").await;
    app.ks_grant(&admin, &format!("domains/{x}/users/{carol}"), &admin_role)
        .await;
    let (reply, token) = app
        .ks_issue(
            json!({ "identity": { "methods": ["password"], "password": { "user": {
            "name": "carol", "domain": { "id": "default" }, "password": "carol password 1" } } },
            "scope": { "domain": { "id": x } } }),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let carol_on_x = token.unwrap();
    // She administers the tenant's domain …
    let users = app
        .ks_get(&format!("/v3/users?domain_id={x}"), &carol_on_x)
        .await
        .expect(200);
    assert_eq!(users["users"].as_array().unwrap().len(), 1);
    // … and nothing else: not her own domain, not the shared roles, not other tokens.
    for (method, path, body) in [
        (Method::GET, "/v3/users?domain_id=default".to_owned(), None),
        (
            Method::POST,
            "/v3/roles".to_owned(),
            Some(json!({ "role": { "name": "escalated" } })),
        ),
        (
            Method::POST,
            "/v3/domains".to_owned(),
            Some(json!({ "domain": { "name": "another" } })),
        ),
    ] {
        let r = app.ks(method, &path, Some(&carol_on_x), None, body).await;
        assert_eq!(r.status, 403, "{path}: {}", r.text);
    }
    let r = validated(&app, &carol_on_x, &x_token).await;
    assert_eq!(r.status, 403, "{}", r.text);
}

async fn another_domains_ids_answer_as_unknown_ones(app: TestApp) {
    let admin = app.ks_admin().await;
    let operator_user = admin_user_id(&app, &admin).await;
    let group = app
        .ks_post(
            "/v3/groups",
            &admin,
            json!({ "group": { "name": "operators", "domain_id": "default" } }),
        )
        .await
        .expect(201);
    let group = id_of(&group, "group");
    let project = admin_project_id(&app, &admin).await;
    // The tenant's ROOT admin, who administers its own domain only.
    let (x, x_token) = tenant(&app, "probe@example.com", "tenant password 1").await;
    let own = app
        .ks(
            Method::GET,
            &format!("/v3/users?domain_id={x}"),
            Some(&x_token),
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(own["users"].as_array().unwrap().len(), 1);
    let unknown = "0123456789abcdef0123456789abcdef";
    for (kind, real) in [
        ("users", operator_user.as_str()),
        ("groups", group.as_str()),
        ("projects", project.as_str()),
    ] {
        let elsewhere = app
            .ks(
                Method::GET,
                &format!("/v3/{kind}/{real}"),
                Some(&x_token),
                None,
                None,
            )
            .await;
        let nowhere = app
            .ks(
                Method::GET,
                &format!("/v3/{kind}/{unknown}"),
                Some(&x_token),
                None,
                None,
            )
            .await;
        assert_eq!(elsewhere.status, 404, "{kind}: {}", elsewhere.text);
        assert_eq!(nowhere.status, 404, "{kind}: {}", nowhere.text);
        assert_eq!(
            elsewhere.text.replace(real, "ID"),
            nowhere.text.replace(unknown, "ID"),
            "{kind}: the answers differ"
        );
    }
    // The operator's cloud administrator still reads the tenant's and its own.
    app.ks_get(&format!("/v3/users/{operator_user}"), &admin)
        .await
        .expect(200);
}
