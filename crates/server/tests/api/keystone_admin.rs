//! Keystone's admin resources: projects, users and groups (the same as /1.0's), grants and
//! role assignments, roles and the catalog (the operator's), the OpenRC download, and the
//! boundary between accounts.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_PASSWORD, TestApp};
use crate::keystone_tokens::{admin_project_id, admin_user_id, role_id};
use crate::on_both_backends;

on_both_backends!(
    projects_are_created_read_updated_and_deleted,
    users_and_groups_are_the_local_users_and_groups,
    group_grants_reach_members_and_effective_assignments_expand_them,
    roles_and_the_catalog_are_the_operators_and_appear_in_new_tokens,
    a_user_without_rights_gets_403_and_reads_only_its_own,
    the_keystone_admin_role_administers_as_keystone_does,
    domains_are_accounts_created_renamed_disabled_and_deleted_through_keystone,
    projects_nest_and_carry_tags,
    users_change_their_own_password_with_the_original,
    inherited_grants_reach_the_projects_below,
    policies_consumers_and_endpoint_groups_are_kept_whole,
    users_make_application_credentials_bound_to_a_project_and_roles,
    trusts_delegate_roles_to_a_trustee,
    domain_roles_stay_in_their_domain_and_out_of_tokens,
    credentials_are_their_owners_and_sealed_at_rest,
    openrc_files_carry_what_the_openstack_client_needs,
    accounts_are_domains_and_do_not_see_each_other,
    revocation_on_one_node_reaches_the_other,
    malformed_resource_bodies_get_keystone_errors_naming_the_field,
    new_user_and_group_ids_are_random_and_ids_made_before_keep_working,
);

async fn ks_json(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> crate::helpers::Reply {
    app.ks(method, path, Some(token), None, body).await
}

async fn projects_are_created_read_updated_and_deleted(app: TestApp) {
    let admin = app.ks_admin().await;
    let created = app
        .ks_post(
            "/v3/projects",
            &admin,
            json!({ "project": { "name": "web", "description": "front", "domain_id": "default" } }),
        )
        .await
        .expect(201);
    let id = created["project"]["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);
    assert_eq!(created["project"]["domain_id"], "default");
    assert_eq!(created["project"]["enabled"], true);
    let dup = app
        .ks_post(
            "/v3/projects",
            &admin,
            json!({ "project": { "name": "web" } }),
        )
        .await;
    assert_eq!(dup.expect(409)["error"]["code"], 409);
    let list = app.ks_get("/v3/projects", &admin).await.expect(200);
    let names: Vec<&str> = list["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "web"]);
    let filtered = app
        .ks_get("/v3/projects?name=web", &admin)
        .await
        .expect(200);
    assert_eq!(filtered["projects"].as_array().unwrap().len(), 1);
    let patched = app
        .ks_patch(
            &format!("/v3/projects/{id}"),
            &admin,
            json!({ "project": { "name": "www", "enabled": false } }),
        )
        .await
        .expect(200);
    assert_eq!(patched["project"]["name"], "www");
    assert_eq!(patched["project"]["enabled"], false);
    let got = app
        .ks_get(&format!("/v3/projects/{id}"), &admin)
        .await
        .expect(200);
    assert_eq!(got["project"]["description"], "front");
    app.ks_delete(&format!("/v3/projects/{id}"), &admin)
        .await
        .expect(204);
    app.ks_get(&format!("/v3/projects/{id}"), &admin)
        .await
        .expect(404);
    // Bad bodies are 400 and store nothing.
    for body in [
        json!({}),
        json!({ "project": {} }),
        json!({ "project": { "name": "" } }),
        json!({ "project": { "name": 5 } }),
        json!({ "project": { "name": "x", "enabled": "yes" } }),
        json!({ "project": { "name": "x".repeat(65) } }),
    ] {
        let r = app.ks_post("/v3/projects", &admin, body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
    }
    let other_domain = app
        .ks_post(
            "/v3/projects",
            &admin,
            json!({ "project": { "name": "x", "domain_id": "lk0002-lk" } }),
        )
        .await;
    // No such domain.
    assert_eq!(other_domain.status, 404);
    let list = app.ks_get("/v3/projects", &admin).await.expect(200);
    assert_eq!(list["projects"].as_array().unwrap().len(), 1);
}

async fn users_and_groups_are_the_local_users_and_groups(app: TestApp) {
    let admin = app.ks_admin().await;
    let pat = app.admin_pat().await;
    let created = app.ks_post("/v3/users", &admin, json!({ "user": { "name": "bob", "password": "bob password 1", "domain_id": "default" } }))
    .await
    .expect(201);
    let bob = created["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["user"]["enabled"], true);
    assert!(!created.to_string().contains("bob password 1"));
    // Visible through /1.0, and the reverse.
    let seen = app.get("/1.0/me/identity/user/bob", &pat).await.expect(200);
    assert_eq!(seen["login"], "bob");
    app.create_user(&pat, "carol", "DEFAULT").await;
    let listed = app.ks_get("/v3/users", &admin).await.expect(200);
    let names: Vec<&str> = listed["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "bob", "carol"]);
    // Disable through /v3: /1.0 shows it and the password stops working.
    app.ks_patch(
        &format!("/v3/users/{bob}"),
        &admin,
        json!({ "user": { "enabled": false, "email": "bob@example.com" } }),
    )
    .await
    .expect(200);
    let seen = app.get("/1.0/me/identity/user/bob", &pat).await.expect(200);
    assert_eq!(seen["status"], "DISABLED");
    assert_eq!(seen["email"], "bob@example.com");
    let (reply, _) = app
        .ks_issue(
            json!({ "identity": { "methods": ["password"], "password": { "user": {
            "id": bob, "password": "bob password 1" } } } }),
        )
        .await;
    assert_eq!(reply.status, 401);
    app.ks_patch(
        &format!("/v3/users/{bob}"),
        &admin,
        json!({ "user": { "enabled": true } }),
    )
    .await
    .expect(200);
    let (reply, _) = app
        .ks_issue(
            json!({ "identity": { "methods": ["password"], "password": { "user": {
            "id": bob, "password": "bob password 1" } } } }),
        )
        .await;
    assert_eq!(reply.expect(201)["token"]["user"]["name"], "bob");
    // Keystone renames users: the login changes through /1.0 too; the id stays. Extra
    // attributes and the default project are kept and returned.
    let renamed = app
        .ks_patch(
            &format!("/v3/users/{bob}"),
            &admin,
            json!({ "user": { "name": "robert", "team": "blue" } }),
        )
        .await
        .expect(200);
    assert_eq!(renamed["user"]["name"], "robert");
    assert_eq!(renamed["user"]["id"], bob.as_str());
    assert_eq!(renamed["user"]["team"], "blue");
    app.get("/1.0/me/identity/user/robert", &pat)
        .await
        .expect(200);
    let bad = app
        .ks_patch(
            &format!("/v3/users/{bob}"),
            &admin,
            json!({ "user": { "default_project_id": "nowhere" } }),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    let taken = app
        .ks_patch(
            &format!("/v3/users/{bob}"),
            &admin,
            json!({ "user": { "name": "admin" } }),
        )
        .await;
    assert_eq!(taken.status, 409, "{}", taken.text);
    app.ks_patch(
        &format!("/v3/users/{bob}"),
        &admin,
        json!({ "user": { "name": "bob" } }),
    )
    .await
    .expect(200);
    // Groups: a Keystone membership sits beside the user's IAM group (the one /1.0 shows).
    let group = app
        .ks_post(
            "/v3/groups",
            &admin,
            json!({ "group": { "name": "ops", "description": "operators" } }),
        )
        .await
        .expect(201);
    let ops = group["group"]["id"].as_str().unwrap().to_owned();
    let member = format!("/v3/groups/{ops}/users/{bob}");
    app.ks_put(&member, &admin).await.expect(204);
    app.ks_head(&member, &admin).await.expect(204);
    let seen = app.get("/1.0/me/identity/user/bob", &pat).await.expect(200);
    assert_eq!(seen["group"], "DEFAULT");
    let members = app
        .ks_get(&format!("/v3/groups/{ops}/users"), &admin)
        .await
        .expect(200);
    assert_eq!(members["users"][0]["name"], "bob");
    // Given an IAM group through /1.0, bob is in both; DEFAULT is no group to Keystone.
    app.post(
        "/1.0/me/identity/group",
        &pat,
        json!({ "name": "sre", "role": "REGULAR", "description": "" }),
    )
    .await
    .expect(200);
    app.put("/1.0/me/identity/user/bob", &pat, json!({ "group": "sre" }))
        .await
        .expect(200);
    let groups = app
        .ks_get(&format!("/v3/users/{bob}/groups"), &admin)
        .await
        .expect(200);
    let mut names: Vec<&str> = groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["ops", "sre"]);
    // Leaving the Keystone group keeps the IAM group; leaving the IAM group returns to DEFAULT.
    app.ks_delete(&member, &admin).await.expect(204);
    app.ks_head(&member, &admin).await.expect(404);
    assert_eq!(
        app.get("/1.0/me/identity/user/bob", &pat).await.expect(200)["group"],
        "sre"
    );
    let sre = app.ks_get("/v3/groups?name=sre", &admin).await.expect(200)["groups"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ks_delete(&format!("/v3/groups/{sre}/users/{bob}"), &admin)
        .await
        .expect(204);
    assert_eq!(
        app.get("/1.0/me/identity/user/bob", &pat).await.expect(200)["group"],
        "DEFAULT"
    );
    let groups = app
        .ks_get(&format!("/v3/users/{bob}/groups"), &admin)
        .await
        .expect(200);
    assert_eq!(groups["groups"], json!([]));
    app.ks_delete(&format!("/v3/groups/{ops}"), &admin)
        .await
        .expect(204);
    app.ks_delete(&format!("/v3/users/{bob}"), &admin)
        .await
        .expect(204);
    app.get("/1.0/me/identity/user/bob", &pat).await.expect(404);
}

async fn group_grants_reach_members_and_effective_assignments_expand_them(app: TestApp) {
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
    let groups = app.ks_get("/v3/groups?name=devs", &admin).await.expect(200);
    let devs = groups["groups"][0]["id"].as_str().unwrap().to_owned();
    let project = admin_project_id(&app, &admin).await;
    let member = role_id(&app, &admin, "member").await;
    app.ks_grant(
        &admin,
        &format!("projects/{project}/groups/{devs}"),
        &member,
    )
    .await;
    let listed = app
        .ks_get(
            &format!("/v3/projects/{project}/groups/{devs}/roles"),
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(listed["roles"][0]["name"], "member");
    // Dave holds member (and reader, implied) on the project through his group.
    let token = app.ks_scoped_token("dave", "dave password", &project).await;
    let body = app
        .ks(
            Method::GET,
            "/v3/auth/tokens",
            Some(&admin),
            Some(&token),
            None,
        )
        .await
        .expect(200);
    let mut roles: Vec<&str> = body["token"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    roles.sort_unstable();
    assert_eq!(roles, ["member", "reader"]);
    let dave = body["token"]["user"]["id"].as_str().unwrap().to_owned();
    let mine = app
        .ks_get(&format!("/v3/users/{dave}/projects"), &token)
        .await
        .expect(200);
    assert_eq!(mine["projects"][0]["id"], project);
    // Plain listing: the group's grant; effective: dave's, with the implied reader.
    let plain = app
        .ks_get(
            &format!("/v3/role_assignments?scope.project.id={project}&include_names=1"),
            &admin,
        )
        .await
        .expect(200);
    let groups_listed: Vec<&Value> = plain["role_assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a.get("group").is_some())
        .collect();
    assert_eq!(groups_listed.len(), 1);
    assert_eq!(groups_listed[0]["group"]["name"], "devs");
    assert_eq!(groups_listed[0]["role"]["name"], "member");
    let effective = app
        .ks_get(
            &format!("/v3/role_assignments?effective&user.id={dave}"),
            &admin,
        )
        .await
        .expect(200);
    let got: Vec<&str> = effective["role_assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["role"]["id"].as_str().unwrap())
        .collect();
    let reader = role_id(&app, &admin, "reader").await;
    assert_eq!(got.len(), 2, "{effective}");
    assert!(got.contains(&member.as_str()) && got.contains(&reader.as_str()));
    for a in effective["role_assignments"].as_array().unwrap() {
        assert!(a["links"]["membership"].is_string(), "{a}");
    }
    let bad = app.ks_get("/v3/role_assignments?color=red", &admin).await;
    assert_eq!(bad.status, 400);
    // Revoking the group's grant ends dave's scoped token.
    app.ks_delete(
        &format!("/v3/projects/{project}/groups/{devs}/roles/{member}"),
        &admin,
    )
    .await
    .expect(204);
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
}

async fn roles_and_the_catalog_are_the_operators_and_appear_in_new_tokens(app: TestApp) {
    let admin = app.ks_admin().await;
    let listed = app.ks_get("/v3/roles", &admin).await.expect(200);
    let mut names: Vec<&str> = listed["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["admin", "manager", "member", "reader", "service"]);
    let inferences = app.ks_get("/v3/role_inferences", &admin).await.expect(200);
    assert_eq!(inferences["role_inferences"].as_array().unwrap().len(), 3);
    let created = app
        .ks_post(
            "/v3/roles",
            &admin,
            json!({ "role": { "name": "objectstore_operator" } }),
        )
        .await
        .expect(201);
    let operator_role = created["role"]["id"].as_str().unwrap().to_owned();
    let member = role_id(&app, &admin, "member").await;
    app.ks_put(
        &format!("/v3/roles/{operator_role}/implies/{member}"),
        &admin,
    )
    .await
    .expect(201);
    let one = format!("/v3/roles/{operator_role}/implies/{member}");
    let read = app.ks_get(&one, &admin).await.expect(200);
    assert_eq!(read["role_inference"]["implies"]["id"], member.as_str());
    app.ks_head(&one, &admin).await.expect(204);
    let implied = app
        .ks_get(&format!("/v3/roles/{operator_role}/implies"), &admin)
        .await
        .expect(200);
    assert_eq!(implied["role_inference"]["implies"][0]["name"], "member");
    // Regions, services and endpoints.
    app.ks_post(
        "/v3/regions",
        &admin,
        json!({ "region": { "id": "GRA11", "description": "Gravelines" } }),
    )
    .await
    .expect(201);
    let service = app
        .ks_post(
            "/v3/services",
            &admin,
            json!({ "service": { "type": "object-store", "name": "swift" } }),
        )
        .await
        .expect(201);
    let service_id = service["service"]["id"].as_str().unwrap().to_owned();
    let endpoint = app
        .ks_post(
            "/v3/endpoints",
            &admin,
            json!({ "endpoint": { "service_id": service_id, "region_id": "GRA11",
            "interface": "public", "url": "https://storage.gra11.example.net/v1/AUTH_x" } }),
        )
        .await
        .expect(201);
    let endpoint_id = endpoint["endpoint"]["id"].as_str().unwrap().to_owned();
    for (body, what) in [
        (
            json!({ "endpoint": { "service_id": service_id, "interface": "public", "url": "ftp://x" } }),
            "bad url",
        ),
        (
            json!({ "endpoint": { "service_id": service_id, "interface": "side", "url": "https://x" } }),
            "bad interface",
        ),
        (
            json!({ "endpoint": { "service_id": "nope", "interface": "public", "url": "https://x" } }),
            "unknown service",
        ),
    ] {
        let r = app.ks_post("/v3/endpoints", &admin, body).await;
        assert_eq!(r.status, 400, "{what}: {}", r.text);
    }
    // A region an endpoint names that does not exist yet is created, as Keystone does.
    let r = app.ks_get("/v3/regions/SBG5", &admin).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let sbg = json!({ "endpoint": { "service_id": service_id, "region_id": "SBG5", "interface": "internal", "url": "https://sbg.example" } });
    let sbg = app.ks_post("/v3/endpoints", &admin, sbg).await.expect(201);
    app.ks_get("/v3/regions/SBG5", &admin).await.expect(200);
    let sbg = format!("/v3/endpoints/{}", sbg["endpoint"]["id"].as_str().unwrap());
    app.ks_delete(&sbg, &admin).await.expect(204);
    let in_use = app.ks_delete("/v3/regions/GRA11", &admin).await;
    assert_eq!(in_use.status, 409, "{}", in_use.text);
    // A new token's catalog shows the service.
    let token = app.ks_admin().await;
    let body = app.ks_get("/v3/auth/catalog", &token).await.expect(200);
    let store = body["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["type"] == "object-store")
        .expect("object-store in the catalog");
    assert_eq!(store["endpoints"][0]["region"], "GRA11");
    assert_eq!(
        store["endpoints"][0]["url"],
        "https://storage.gra11.example.net/v1/AUTH_x"
    );
    app.ks_patch(
        &format!("/v3/endpoints/{endpoint_id}"),
        &admin,
        json!({ "endpoint": { "enabled": false } }),
    )
    .await
    .expect(200);
    let body = app
        .ks(
            Method::GET,
            "/v3/auth/tokens",
            Some(&admin),
            Some(&token),
            None,
        )
        .await
        .expect(200);
    let store = body["token"]["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["type"] == "object-store")
        .unwrap()
        .clone();
    assert_eq!(
        store["endpoints"],
        json!([]),
        "disabled endpoints leave the catalog"
    );
    app.ks_delete(&format!("/v3/services/{service_id}"), &admin)
        .await
        .expect(204);
    app.ks_get(&format!("/v3/endpoints/{endpoint_id}"), &admin)
        .await
        .expect(404);
    app.ks_delete("/v3/regions/GRA11", &admin).await.expect(204);
    app.ks_delete(&format!("/v3/roles/{operator_role}"), &admin)
        .await
        .expect(204);
}

async fn a_user_without_rights_gets_403_and_reads_only_its_own(app: TestApp) {
    let admin = app.ks_admin().await;
    let pat = app.admin_pat().await;
    app.create_user(&pat, "erin", "DEFAULT").await;
    let erin_token = app.ks_password("erin", "erin password", None).await;
    let erin = admin_user_id(&app, &erin_token).await;
    for (method, path, body) in [
        (Method::GET, "/v3/projects".to_owned(), None),
        (
            Method::POST,
            "/v3/projects".to_owned(),
            Some(json!({ "project": { "name": "mine" } })),
        ),
        (Method::GET, "/v3/users".to_owned(), None),
        (Method::GET, "/v3/role_assignments".to_owned(), None),
        (
            Method::POST,
            "/v3/roles".to_owned(),
            Some(json!({ "role": { "name": "x" } })),
        ),
        (
            Method::POST,
            "/v3/regions".to_owned(),
            Some(json!({ "region": { "id": "X" } })),
        ),
    ] {
        let r = app
            .ks(method.clone(), &path, Some(&erin_token), None, body)
            .await;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.text);
        assert_eq!(r.json()["error"]["code"], 403);
    }
    // Her own user, her own projects, her own token: yes. The admin's token: no.
    app.ks_get(&format!("/v3/users/{erin}"), &erin_token)
        .await
        .expect(200);
    app.ks_get(&format!("/v3/users/{erin}/projects"), &erin_token)
        .await
        .expect(200);
    let r = app
        .ks(
            Method::GET,
            "/v3/auth/tokens",
            Some(&erin_token),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, 403);
    // A policy granting the Keystone project action opens the listing.
    app.post(
        "/v2/iam/policy",
        &pat,
        json!({
            "name": "erin-projects",
            "identities": ["urn:v1:eu:identity:user:lk0001-lk/erin"],
            "resources": [{ "urn": "urn:v1:eu:resource:account:lk0001-lk" }],
            "permissions": { "allow": [{ "action": "account:keystone:project/get" }] },
        }),
    )
    .await
    .expect(200);
    app.ks_get("/v3/projects", &erin_token).await.expect(200);
    // Reading the catalog is open to every token holder.
    app.ks_get("/v3/services", &erin_token).await.expect(200);
}

async fn the_keystone_admin_role_administers_as_keystone_does(app: TestApp) {
    let admin = app.ks_admin().await;
    let pat = app.admin_pat().await;
    app.create_user(&pat, "frank", "DEFAULT").await;
    let frank_token = app.ks_password("frank", "frank password", None).await;
    let frank = admin_user_id(&app, &frank_token).await;
    let project = app.ks_project(&admin, "frank-admin").await;
    let scope = json!({ "project": { "id": project } });
    // A `member` of the project with no IAM policy may not create projects.
    let member = role_id(&app, &admin, "member").await;
    let grant = format!("/v3/projects/{project}/users/{frank}/roles/{member}");
    app.ks_put(&grant, &admin).await.expect(204);
    let as_member = app
        .ks_password("frank", "frank password", Some(scope.clone()))
        .await;
    let new_project = json!({ "project": { "name": "frank-made" } });
    let r = app
        .ks_post("/v3/projects", &as_member, new_project.clone())
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    // Keystone's `admin` role on the token is an administrator's, here of the whole cloud: the
    // operator's domain, the shared roles and catalog.
    let admin_role = role_id(&app, &admin, "admin").await;
    let grant = format!("/v3/projects/{project}/users/{frank}/roles/{admin_role}");
    app.ks_put(&grant, &admin).await.expect(204);
    let as_admin = app
        .ks_password("frank", "frank password", Some(scope))
        .await;
    app.ks_post("/v3/projects", &as_admin, new_project)
        .await
        .expect(201);
    app.ks_post(
        "/v3/roles",
        &as_admin,
        json!({ "role": { "name": "frank-role" } }),
    )
    .await
    .expect(201);
    // The unscoped token carries no role, so it has no such rights.
    let r = app.ks_get("/v3/users", &frank_token).await;
    assert_eq!(r.status, 403, "{}", r.text);
}

async fn domains_are_accounts_created_renamed_disabled_and_deleted_through_keystone(app: TestApp) {
    let admin = app.ks_admin().await;
    let created = app
        .ks_post(
            "/v3/domains",
            &admin,
            json!({ "domain": { "name": "Acme", "description": "a tenant" } }),
        )
        .await
        .expect(201);
    let domain = created["domain"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["domain"]["name"], "Acme");
    assert_eq!(created["domain"]["enabled"], true);
    // The same name again is a conflict; an empty or a 65-character name is refused.
    for (name, status) in [
        ("Acme".to_owned(), 409),
        (String::new(), 400),
        ("a".repeat(65), 400),
    ] {
        let r = app
            .ks_post("/v3/domains", &admin, json!({ "domain": { "name": name } }))
            .await;
        assert_eq!(r.status, status, "{}", r.text);
    }
    // The domain is an account: the operator sees it through /v2 under its nic.
    let pat = app.admin_pat().await;
    let accounts = app.get("/v2/admin/account", &pat).await.expect(200);
    assert!(accounts.to_string().contains(&domain), "{accounts}");
    // A cloud administrator creates a user there and finds it with the domain filter only.
    let user = app
        .ks_post(
            "/v3/users",
            &admin,
            json!({ "user": { "name": "wile", "password": "wile password", "domain_id": domain } }),
        )
        .await
        .expect(201);
    assert_eq!(user["user"]["domain_id"], domain.as_str());
    let user_id = user["user"]["id"].as_str().unwrap().to_owned();
    let listed = app
        .ks_get(&format!("/v3/users?domain_id={domain}"), &admin)
        .await
        .expect(200);
    let names: Vec<&str> = listed["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"wile") && !names.contains(&"frank"),
        "{names:?}"
    );
    let r = app
        .ks_post(
            "/v3/users",
            &admin,
            json!({ "user": { "name": "x", "password": "x password", "domain_id": "nowhere" } }),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    // The user authenticates in its domain, by the domain's new name too.
    let auth = |domain_name: &str| {
        json!({ "identity": { "methods": ["password"], "password": { "user": {
            "name": "wile", "domain": { "name": domain_name }, "password": "wile password"
        } } } })
    };
    assert_eq!(app.ks_issue(auth("Acme")).await.0.status, 201);
    app.ks_patch(
        &format!("/v3/domains/{domain}"),
        &admin,
        json!({ "domain": { "name": "Acme Corp" } }),
    )
    .await
    .expect(200);
    assert_eq!(app.ks_issue(auth("Acme Corp")).await.0.status, 201);
    assert_eq!(app.ks_issue(auth("Acme")).await.0.status, 401);
    // An enabled domain cannot be deleted; a disabled one refuses its users, then goes with
    // everything in it.
    let path = format!("/v3/domains/{domain}");
    let r = app.ks_delete(&path, &admin).await;
    assert_eq!(r.status, 403, "{}", r.text);
    app.ks_patch(&path, &admin, json!({ "domain": { "enabled": false } }))
        .await
        .expect(200);
    assert_eq!(app.ks_issue(auth("Acme Corp")).await.0.status, 401);
    app.ks_delete(&path, &admin).await.expect(204);
    let r = app.ks_get(&path, &admin).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = app.ks_get(&format!("/v3/users/{user_id}"), &admin).await;
    assert_eq!(r.status, 404, "{}", r.text);
    // The default domain stays.
    let r = app.ks_delete("/v3/domains/default", &admin).await;
    assert_eq!(r.status, 403, "{}", r.text);
}

async fn projects_nest_and_carry_tags(app: TestApp) {
    let admin = app.ks_admin().await;
    let create = |body: Value| app.ks_post("/v3/projects", &admin, body);
    let root = create(json!({ "project": { "name": "root", "tags": ["a", "b"] } }))
        .await
        .expect(201);
    assert_eq!(root["project"]["parent_id"], "default");
    assert_eq!(root["project"]["tags"], json!(["a", "b"]));
    let root_id = root["project"]["id"].as_str().unwrap().to_owned();
    let child = create(json!({ "project": { "name": "child", "parent_id": root_id } }))
        .await
        .expect(201);
    assert_eq!(child["project"]["parent_id"], root_id.as_str());
    let child_id = child["project"]["id"].as_str().unwrap().to_owned();
    let r = create(json!({ "project": { "name": "orphan", "parent_id": "0123" } })).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = create(json!({ "project": { "name": "x".repeat(65) } })).await;
    assert_eq!(r.status, 400, "{}", r.text);
    // Tags: one at a time, all at once, and as list filters.
    let tags = format!("/v3/projects/{child_id}/tags");
    let child_link = child["project"]["links"]["self"].as_str().unwrap();
    let added = app.ks_put(&format!("{tags}/blue"), &admin).await;
    assert_eq!(added.status, 201, "{}", added.text);
    // As Keystone: no body, and the tag's address in Location (percent-encoded).
    assert_eq!(added.text, "");
    assert_eq!(
        added.headers["location"],
        format!("{child_link}/tags/blue").as_str()
    );
    let spaced = app.ks_put(&format!("{tags}/light%20blue"), &admin).await;
    assert_eq!(spaced.status, 201, "{}", spaced.text);
    assert_eq!(
        spaced.headers["location"],
        format!("{child_link}/tags/light%20blue").as_str()
    );
    app.ks_head(&format!("{tags}/blue"), &admin)
        .await
        .expect(204);
    let r = app.ks_get(&format!("{tags}/red"), &admin).await;
    assert_eq!(r.status, 404);
    let listed = app
        .ks_get("/v3/projects?tags-any=blue,b", &admin)
        .await
        .expect(200);
    assert_eq!(listed["projects"].as_array().unwrap().len(), 2, "{listed}");
    let listed = app
        .ks_get("/v3/projects?tags=a,b", &admin)
        .await
        .expect(200);
    assert_eq!(listed["projects"][0]["id"], root_id.as_str());
    let r = app
        .ks_put_json(&tags, &admin, json!({ "tags": ["x", "x"] }))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let set = app
        .ks_put_json(&tags, &admin, json!({ "tags": ["x", "y"] }))
        .await
        .expect(200);
    assert_eq!(set["tags"], json!(["x", "y"]));
    app.ks_delete(&tags, &admin).await.expect(204);
    let read = app.ks_get(&tags, &admin).await.expect(200);
    assert_eq!(read["tags"], json!([]));
    // A project with children stays until they go.
    let root_path = format!("/v3/projects/{root_id}");
    let r = app.ks_delete(&root_path, &admin).await;
    assert_eq!(r.status, 403, "{}", r.text);
    app.ks_delete(&format!("/v3/projects/{child_id}"), &admin)
        .await
        .expect(204);
    app.ks_delete(&root_path, &admin).await.expect(204);
    // A project acting as a domain is a domain.
    let as_domain = create(json!({ "project": { "name": "Dom", "is_domain": true } }))
        .await
        .expect(201);
    assert_eq!(as_domain["project"]["is_domain"], true);
    let id = as_domain["project"]["id"].as_str().unwrap();
    app.ks_get(&format!("/v3/domains/{id}"), &admin)
        .await
        .expect(200);
    let listed = app
        .ks_get("/v3/projects?is_domain=true", &admin)
        .await
        .expect(200);
    assert!(listed.to_string().contains(id), "{listed}");
}

async fn users_change_their_own_password_with_the_original(app: TestApp) {
    let pat = app.admin_pat().await;
    app.create_user(&pat, "gina", "DEFAULT").await;
    let token = app.ks_password("gina", "gina password", None).await;
    let gina = admin_user_id(&app, &token).await;
    let path = format!("/v3/users/{gina}/password");
    let change = |original: &str, new: &str| json!({ "user": { "original_password": original, "password": new } });
    // A wrong original is 401; a new password the policy refuses is 400; a missing field 400.
    let r = app
        .ks(
            Method::POST,
            &path,
            None,
            None,
            Some(change("wrong", "new gina password")),
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = app
        .ks(
            Method::POST,
            &path,
            None,
            None,
            Some(change("gina password", "x")),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = app
        .ks(
            Method::POST,
            &path,
            None,
            None,
            Some(json!({ "user": { "password": "p" } })),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    app.ks(
        Method::POST,
        &path,
        None,
        None,
        Some(change("gina password", "new gina password")),
    )
    .await
    .expect(204);
    // The new password works, the old one no longer does.
    app.ks_password("gina", "new gina password", None).await;
    let old = json!({ "identity": { "methods": ["password"], "password": { "user": {
        "name": "gina", "domain": { "id": "default" }, "password": "gina password"
    } } } });
    assert_eq!(app.ks_issue(old).await.0.status, 401);
}

async fn inherited_grants_reach_the_projects_below(app: TestApp) {
    let admin = app.ks_admin().await;
    let pat = app.admin_pat().await;
    app.create_user(&pat, "hank", "DEFAULT").await;
    let hank = admin_user_id(&app, &app.ks_password("hank", "hank password", None).await).await;
    let create = |body: Value| app.ks_post("/v3/projects", &admin, body);
    let top = create(json!({ "project": { "name": "top" } }))
        .await
        .expect(201);
    let top = top["project"]["id"].as_str().unwrap().to_owned();
    let leaf = create(json!({ "project": { "name": "leaf", "parent_id": top } }))
        .await
        .expect(201);
    let leaf = leaf["project"]["id"].as_str().unwrap().to_owned();
    let reader = role_id(&app, &admin, "reader").await;
    let scoped = |project: &str| {
        json!({ "identity": { "methods": ["password"], "password": { "user": {
            "name": "hank", "domain": { "id": "default" }, "password": "hank password"
        } } }, "scope": { "project": { "id": project } } })
    };
    // Inherited on the top project: held on the leaf, not on the top itself.
    let grant =
        format!("/v3/OS-INHERIT/projects/{top}/users/{hank}/roles/{reader}/inherited_to_projects");
    app.ks_put(&grant, &admin).await.expect(204);
    app.ks_head(&grant, &admin).await.expect(204);
    assert_eq!(app.ks_issue(scoped(&leaf)).await.0.status, 201);
    assert_eq!(app.ks_issue(scoped(&top)).await.0.status, 401);
    let listed = app
        .ks_get(&format!("/v3/role_assignments?user.id={hank}"), &admin)
        .await
        .expect(200);
    let row = &listed["role_assignments"][0];
    assert_eq!(row["scope"]["project"]["id"], top.as_str());
    assert_eq!(row["scope"]["OS-INHERIT:inherited_to"], "projects");
    let effective = app
        .ks_get(
            &format!("/v3/role_assignments?effective&user.id={hank}&scope.project.id={leaf}"),
            &admin,
        )
        .await
        .expect(200);
    assert!(
        !effective["role_assignments"].as_array().unwrap().is_empty(),
        "{effective}"
    );
    app.ks_delete(&grant, &admin).await.expect(204);
    assert_eq!(app.ks_issue(scoped(&leaf)).await.0.status, 401);
    // Inherited on the domain: every project of it.
    let grant =
        format!("/v3/OS-INHERIT/domains/default/users/{hank}/roles/{reader}/inherited_to_projects");
    app.ks_put(&grant, &admin).await.expect(204);
    assert_eq!(app.ks_issue(scoped(&top)).await.0.status, 201);
    assert_eq!(app.ks_issue(scoped(&leaf)).await.0.status, 201);
    let listed = app
        .ks_get(
            &format!("/v3/OS-INHERIT/domains/default/users/{hank}/roles/inherited_to_projects"),
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(listed["roles"][0]["id"], reader.as_str());
}

async fn policies_consumers_and_endpoint_groups_are_kept_whole(app: TestApp) {
    let admin = app.ks_admin().await;
    let policy = app
        .ks_post(
            "/v3/policies",
            &admin,
            json!({ "policy": { "blob": "{\"a\": 1}", "type": "application/json" } }),
        )
        .await
        .expect(201);
    let id = policy["policy"]["id"].as_str().unwrap().to_owned();
    let path = format!("/v3/policies/{id}");
    let updated = app
        .ks_patch(&path, &admin, json!({ "policy": { "type": "text/plain" } }))
        .await
        .expect(200);
    assert_eq!(updated["policy"]["type"], "text/plain");
    assert_eq!(updated["policy"]["blob"], "{\"a\": 1}");
    let listed = app.ks_get("/v3/policies", &admin).await.expect(200);
    assert_eq!(listed["policies"][0]["id"], id.as_str());
    // A missing or unknown field is 400; an unknown id 404.
    for body in [
        json!({ "policy": { "blob": "x" } }),
        json!({ "policy": { "blob": "x", "type": "t", "colour": "red" } }),
    ] {
        let r = app.ks_post("/v3/policies", &admin, body).await;
        assert_eq!(r.status, 400, "{}", r.text);
    }
    app.ks_delete(&path, &admin).await.expect(204);
    let r = app.ks_get(&path, &admin).await;
    assert_eq!(r.status, 404, "{}", r.text);
    // A consumer's secret is shown once.
    let consumer = app
        .ks_post(
            "/v3/OS-OAUTH1/consumers",
            &admin,
            json!({ "consumer": { "description": "a client" } }),
        )
        .await
        .expect(201);
    let secret = consumer["consumer"]["secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 32);
    let read = app
        .ks_get(
            &format!(
                "/v3/OS-OAUTH1/consumers/{}",
                consumer["consumer"]["id"].as_str().unwrap()
            ),
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(read["consumer"]["description"], "a client");
    assert!(!read.to_string().contains(&secret), "{read}");
    assert!(read["consumer"].get("secret_hash").is_none(), "{read}");
    // Endpoint groups answer HEAD; someone without the operator's rights gets 403.
    let group = app
        .ks_post(
            "/v3/OS-EP-FILTER/endpoint_groups",
            &admin,
            json!({ "endpoint_group": { "name": "eg", "filters": { "interface": "public" } } }),
        )
        .await
        .expect(201);
    let group = format!(
        "/v3/OS-EP-FILTER/endpoint_groups/{}",
        group["endpoint_group"]["id"].as_str().unwrap()
    );
    app.ks_head(&group, &admin).await.expect(200);
    let pat = app.admin_pat().await;
    app.create_user(&pat, "ivan", "DEFAULT").await;
    let ivan = app.ks_password("ivan", "ivan password", None).await;
    let r = app.ks_get(&group, &ivan).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = app.ks_delete(&group, &ivan).await;
    assert_eq!(r.status, 403, "{}", r.text);
}

async fn users_make_application_credentials_bound_to_a_project_and_roles(app: TestApp) {
    let admin = app.ks_admin().await;
    let pat = app.admin_pat().await;
    app.create_user(&pat, "judy", "DEFAULT").await;
    let judy = admin_user_id(&app, &app.ks_password("judy", "judy password", None).await).await;
    let project = app.ks_project(&admin, "judy-work").await;
    for role in ["member", "service"] {
        let role = role_id(&app, &admin, role).await;
        app.ks_grant(&admin, &format!("projects/{project}/users/{judy}"), &role)
            .await;
    }
    let scoped = app.ks_scoped_token("judy", "judy password", &project).await;
    let path = format!("/v3/users/{judy}/application_credentials");
    // Only the user makes its own, with a project-scoped token, roles it holds.
    let body = json!({ "application_credential": {
        "name": "ci", "roles": [{ "name": "member" }],
        "access_rules": [{ "service": "compute", "path": "/v2.1/servers", "method": "GET" }],
    } });
    let r = app.ks_post(&path, &admin, body.clone()).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let bad = json!({ "application_credential": { "name": "x", "roles": [{ "name": "admin" }] } });
    let r = app.ks_post(&path, &scoped, bad).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let created = app.ks_post(&path, &scoped, body.clone()).await.expect(201);
    let credential = &created["application_credential"];
    let id = credential["id"].as_str().unwrap().to_owned();
    let secret = credential["secret"].as_str().unwrap().to_owned();
    assert_eq!(credential["project_id"], project.as_str());
    assert_eq!(credential["roles"].as_array().unwrap().len(), 1);
    let r = app.ks_post(&path, &scoped, body).await;
    assert_eq!(r.status, 409, "{}", r.text);
    // Read back without its secret; found by name.
    let read = app
        .ks_get(&format!("{path}/{id}"), &scoped)
        .await
        .expect(200);
    assert!(!read.to_string().contains(&secret), "{read}");
    let listed = app
        .ks_get(&format!("{path}?name=ci"), &scoped)
        .await
        .expect(200);
    assert_eq!(
        listed["application_credentials"].as_array().unwrap().len(),
        1
    );
    // Its token: the user, the credential's project and roles only (member and what it implies).
    let auth = |secret: &str| {
        json!({ "identity": { "methods": ["application_credential"],
            "application_credential": { "id": id, "secret": secret } } })
    };
    let (reply, token) = app.ks_issue(auth(&secret)).await;
    let issued = reply.expect(201);
    assert_eq!(issued["token"]["user"]["id"], judy.as_str());
    assert_eq!(issued["token"]["project"]["id"], project.as_str());
    assert_eq!(issued["token"]["application_credential"]["id"], id.as_str());
    let roles: Vec<&str> = issued["token"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        roles.contains(&"member") && !roles.contains(&"service"),
        "{roles:?}"
    );
    assert_eq!(app.ks_issue(auth("wrong secret")).await.0.status, 401);
    // A restricted credential's token makes no other credential.
    let token = token.unwrap();
    let again = json!({ "application_credential": { "name": "more" } });
    let r = app.ks_post(&path, &token, again).await;
    assert_eq!(r.status, 403, "{}", r.text);
    // The access rule stays with the user, and cannot go while a credential uses it.
    let rules = app
        .ks_get(&format!("/v3/users/{judy}/access_rules"), &scoped)
        .await
        .expect(200);
    let rule = rules["access_rules"][0]["id"].as_str().unwrap().to_owned();
    let rule_path = format!("/v3/users/{judy}/access_rules/{rule}");
    let r = app.ks_delete(&rule_path, &scoped).await;
    assert_eq!(r.status, 403, "{}", r.text);
    // Deleting the credential ends its token; then the rule can go.
    app.ks_delete(&format!("{path}/{id}"), &scoped)
        .await
        .expect(204);
    let r = app
        .ks(
            Method::GET,
            "/v3/auth/tokens",
            Some(&admin),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(app.ks_issue(auth(&secret)).await.0.status, 401);
    app.ks_delete(&rule_path, &scoped).await.expect(204);
}

async fn trusts_delegate_roles_to_a_trustee(app: TestApp) {
    let admin = app.ks_admin().await;
    let pat = app.admin_pat().await;
    app.create_user(&pat, "kim", "DEFAULT").await;
    app.create_user(&pat, "lee", "DEFAULT").await;
    let kim = admin_user_id(&app, &app.ks_password("kim", "kim password", None).await).await;
    let lee = admin_user_id(&app, &app.ks_password("lee", "lee password", None).await).await;
    let project = app.ks_project(&admin, "kim-work").await;
    for role in ["member", "service"] {
        let role = role_id(&app, &admin, role).await;
        app.ks_grant(&admin, &format!("projects/{project}/users/{kim}"), &role)
            .await;
    }
    let kim_scoped = app.ks_scoped_token("kim", "kim password", &project).await;
    let trust = |impersonation: bool, uses: Value| {
        json!({ "trust": {
            "trustor_user_id": kim, "trustee_user_id": lee, "project_id": project,
            "roles": [{ "name": "member" }], "impersonation": impersonation,
            "remaining_uses": uses,
        } })
    };
    // Only the trustor makes a trust, for roles it holds; a bad expiry is 400.
    let r = app
        .ks_post("/v3/OS-TRUST/trusts", &admin, trust(false, Value::Null))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let mut bad = trust(false, Value::Null);
    bad["trust"]["expires_at"] = json!("bad.123Z");
    let r = app.ks_post("/v3/OS-TRUST/trusts", &kim_scoped, bad).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let created = app
        .ks_post("/v3/OS-TRUST/trusts", &kim_scoped, trust(false, json!(2)))
        .await
        .expect(201);
    let id = created["trust"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["trust"]["roles"][0]["name"], "member");
    // The trustee gets a token scoped to the trust: itself, the trust's roles only.
    let lee_token = app.ks_password("lee", "lee password", None).await;
    let by_trust = |token: &str| {
        json!({ "identity": { "methods": ["token"], "token": { "id": token } },
            "scope": { "OS-TRUST:trust": { "id": id } } })
    };
    let (reply, trust_token) = app.ks_issue(by_trust(&lee_token)).await;
    let issued = reply.expect(201);
    assert_eq!(issued["token"]["user"]["id"], lee.as_str());
    assert_eq!(issued["token"]["project"]["id"], project.as_str());
    assert_eq!(
        issued["token"]["OS-TRUST:trust"]["trustor_user"]["id"],
        kim.as_str()
    );
    let roles: Vec<&str> = issued["token"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        roles.contains(&"member") && !roles.contains(&"service"),
        "{roles:?}"
    );
    // Nobody else uses it; its uses run out.
    let kim_token = app.ks_password("kim", "kim password", None).await;
    assert_eq!(app.ks_issue(by_trust(&kim_token)).await.0.status, 403);
    assert_eq!(app.ks_issue(by_trust(&lee_token)).await.0.status, 201);
    assert_eq!(app.ks_issue(by_trust(&lee_token)).await.0.status, 401);
    // Deleting the trust ends its tokens.
    let trust_token = trust_token.unwrap();
    app.ks_delete(&format!("/v3/OS-TRUST/trusts/{id}"), &kim_scoped)
        .await
        .expect(204);
    let r = app
        .ks(
            Method::GET,
            "/v3/auth/tokens",
            Some(&admin),
            Some(&trust_token),
            None,
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    // With impersonation, the token names the trustor.
    let created = app
        .ks_post("/v3/OS-TRUST/trusts", &kim_scoped, trust(true, Value::Null))
        .await
        .expect(201);
    let id = created["trust"]["id"].as_str().unwrap().to_owned();
    let listed = app
        .ks_get(
            &format!("/v3/OS-TRUST/trusts?trustee_user_id={lee}"),
            &lee_token,
        )
        .await
        .expect(200);
    assert_eq!(listed["trusts"][0]["id"], id.as_str());
    let auth = json!({ "identity": { "methods": ["token"], "token": { "id": lee_token } },
        "scope": { "OS-TRUST:trust": { "id": id } } });
    let issued = app.ks_issue(auth).await.0.expect(201);
    assert_eq!(issued["token"]["user"]["id"], kim.as_str());
}

async fn domain_roles_stay_in_their_domain_and_out_of_tokens(app: TestApp) {
    let admin = app.ks_admin().await;
    let pat = app.admin_pat().await;
    let create = |body: Value| app.ks_post("/v3/roles", &admin, body);
    let own = create(json!({ "role": { "name": "dom-writer", "domain_id": "default" } }))
        .await
        .expect(201);
    assert_eq!(own["role"]["domain_id"], "default");
    let own = own["role"]["id"].as_str().unwrap().to_owned();
    let r = create(json!({ "role": { "name": "x", "domain_id": "nowhere" } })).await;
    assert_eq!(r.status, 404, "{}", r.text);
    // Listed with their domain only.
    let global = app.ks_get("/v3/roles", &admin).await.expect(200);
    assert!(!global.to_string().contains("dom-writer"), "{global}");
    let listed = app
        .ks_get("/v3/roles?domain_id=default", &admin)
        .await
        .expect(200);
    assert_eq!(listed["roles"].as_array().unwrap().len(), 1);
    // A domain role may imply a global one, not the reverse.
    let member = role_id(&app, &admin, "member").await;
    app.ks_put(&format!("/v3/roles/{own}/implies/{member}"), &admin)
        .await
        .expect(201);
    let r = app
        .ks_put(&format!("/v3/roles/{member}/implies/{own}"), &admin)
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    // Granted on a project of its domain: the token holds what it implies, not the role itself.
    app.create_user(&pat, "mia", "DEFAULT").await;
    let mia = admin_user_id(&app, &app.ks_password("mia", "mia password", None).await).await;
    let project = app.ks_project(&admin, "mia-work").await;
    app.ks_grant(&admin, &format!("projects/{project}/users/{mia}"), &own)
        .await;
    let auth = json!({ "identity": { "methods": ["password"], "password": { "user": {
        "name": "mia", "domain": { "id": "default" }, "password": "mia password"
    } } }, "scope": { "project": { "id": project } } });
    let issued = app.ks_issue(auth).await.0.expect(201);
    let names: Vec<&str> = issued["token"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"member") && !names.contains(&"dom-writer"),
        "{names:?}"
    );
    // Another domain's role is not granted here; a domain is named by its id.
    let other = app
        .ks_post(
            "/v3/domains",
            &admin,
            json!({ "domain": { "name": "Other" } }),
        )
        .await
        .expect(201);
    let by_name = create(json!({ "role": { "name": "other-role", "domain_id": "Other" } })).await;
    assert_eq!(by_name.status, 404, "{}", by_name.text);
    let domain = other["domain"]["id"].as_str().unwrap();
    let foreign = create(json!({ "role": { "name": "other-role", "domain_id": domain } }))
        .await
        .expect(201);
    let foreign = foreign["role"]["id"].as_str().unwrap();
    let r = app
        .ks_put(
            &format!("/v3/projects/{project}/users/{mia}/roles/{foreign}"),
            &admin,
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
}

async fn credentials_are_their_owners_and_sealed_at_rest(app: TestApp) {
    let admin = app.ks_admin().await;
    let pat = app.admin_pat().await;
    app.create_user(&pat, "nina", "DEFAULT").await;
    app.create_user(&pat, "omar", "DEFAULT").await;
    let nina_token = app.ks_password("nina", "nina password", None).await;
    let nina = admin_user_id(&app, &nina_token).await;
    let omar_token = app.ks_password("omar", "omar password", None).await;
    let secret = "s3cr3t-value-never-stored-in-clear";
    let blob = json!({ "access": "AKIA-nina", "secret": secret }).to_string();
    let create = |token: &str, body: Value| {
        let token = token.to_owned();
        let app = &app;
        async move { ks_json(app, Method::POST, "/v3/credentials", &token, Some(body)).await }
    };
    let body = json!({ "credential": {
        "user_id": nina, "project_id": "p1", "type": "ec2", "blob": blob } });
    // Another user may not make one for her; she may, and reads it back whole.
    let r = create(&omar_token, body.clone()).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let created = create(&nina_token, body).await.expect(201);
    let id = created["credential"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        id.len(),
        64,
        "an ec2 credential's id is the SHA-256 of its access key"
    );
    let read = app
        .ks_get(&format!("/v3/credentials/{id}"), &nina_token)
        .await
        .expect(200);
    assert_eq!(read["credential"]["blob"].as_str().unwrap(), blob);
    // Omar neither reads nor lists it; the cloud administrator does.
    let r = app
        .ks_get(&format!("/v3/credentials/{id}"), &omar_token)
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let listed = app.ks_get("/v3/credentials", &omar_token).await.expect(200);
    assert_eq!(listed["credentials"].as_array().unwrap().len(), 0);
    let listed = app
        .ks_get("/v3/credentials?type=ec2", &admin)
        .await
        .expect(200);
    assert_eq!(listed["credentials"].as_array().unwrap().len(), 1);
    // An ec2 blob without an access key, or without a project, is refused.
    let bad = json!({ "credential": { "user_id": nina, "type": "ec2", "blob": "{}" } });
    assert_eq!(create(&nina_token, bad).await.status, 400);
    // OS-EC2: generated keys, read back by access key, deleted.
    let path = format!("/v3/users/{nina}/credentials/OS-EC2");
    let ec2 = app
        .ks_post(&path, &nina_token, json!({ "tenant_id": "p1" }))
        .await
        .expect(201);
    let access = ec2["credential"]["access"].as_str().unwrap().to_owned();
    let shown = app
        .ks_get(&format!("{path}/{access}"), &nina_token)
        .await
        .expect(200);
    assert_eq!(shown["credential"]["secret"], ec2["credential"]["secret"]);
    let all = app.ks_get(&path, &nina_token).await.expect(200);
    assert_eq!(all["credentials"].as_array().unwrap().len(), 2);
    app.ks_delete(&format!("{path}/{access}"), &nina_token)
        .await
        .expect(204);
    let r = app.ks_get(&format!("{path}/{access}"), &nina_token).await;
    assert_eq!(r.status, 404, "{}", r.text);
    // What the store holds is sealed: no secret in clear.
    let store = latchkey_store::connect(&app.config.database_url)
        .await
        .unwrap();
    let stored = store.documents("credential").await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(
        !stored[0].contains(secret) && !stored[0].contains("AKIA-nina"),
        "{stored:?}"
    );
}

async fn openrc_files_carry_what_the_openstack_client_needs(app: TestApp) {
    let pat = app.admin_pat().await;
    let reply = app
        .get(
            "/1.0/me/identity/user/admin/openrc?project=admin&region=RegionOne",
            &pat,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        reply.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/x-shellscript")
    );
    let rc = &reply.text;
    for line in [
        "export OS_AUTH_URL='http://127.0.0.1/v3/'",
        "export OS_IDENTITY_API_VERSION='3'",
        "export OS_USERNAME='admin'",
        "export OS_USER_DOMAIN_NAME='Default'",
        "export OS_PROJECT_DOMAIN_NAME='Default'",
        "export OS_PROJECT_NAME='admin'",
        "export OS_TENANT_NAME='admin'",
        "export OS_REGION_NAME='RegionOne'",
    ] {
        assert!(rc.contains(line), "{line} missing from:\n{rc}");
    }
    assert!(!rc.contains(ADMIN_PASSWORD));
    // Defaults: the first project and region.
    let default = app.get("/1.0/me/identity/user/admin/openrc", &pat).await;
    assert_eq!(default.text, reply.text);
    for (query, status) in [
        ("?region=Nowhere", 400),
        ("?project=nope", 400),
        ("?colour=red", 400),
    ] {
        let r = app
            .get(&format!("/1.0/me/identity/user/admin/openrc{query}"), &pat)
            .await;
        r.expect_error(status, "Client::BadRequest");
    }
    app.create_user(&pat, "frank", "DEFAULT").await;
    app.get("/1.0/me/identity/user/frank/openrc", &pat)
        .await
        .expect_error(400, "Client::BadRequest");
    app.get("/1.0/me/identity/user/nobody/openrc", &pat)
        .await
        .expect_error(404, "Client::NotFound");
}

async fn accounts_are_domains_and_do_not_see_each_other(app: TestApp) {
    let op = app.admin_pat().await;
    let created = app
        .post(
            "/v2/admin/account",
            &op,
            json!({ "email": "t@example.com", "adminPassword": "tenant password 1" }),
        )
        .await
        .expect(200);
    let nic = created["nichandle"].as_str().unwrap().to_owned();
    // The tenant's ROOT user holds no Keystone role yet: unscoped only, in its own domain.
    let (reply, token) = app
        .ks_issue(
            json!({ "identity": { "methods": ["password"], "password": { "user": {
            "name": "admin", "domain": { "name": nic }, "password": "tenant password 1" } } } }),
        )
        .await;
    let body = reply.expect(201);
    assert_eq!(body["token"]["user"]["domain"]["id"], nic);
    let tenant = token.unwrap();
    // Its ROOT user manages its own projects, in its own domain only.
    let project = app
        .ks_post(
            "/v3/projects",
            &tenant,
            json!({ "project": { "name": "admin" } }),
        )
        .await
        .expect(201);
    assert_eq!(project["project"]["domain_id"], nic);
    let project_id = project["project"]["id"].as_str().unwrap().to_owned();
    let list = app.ks_get("/v3/projects", &tenant).await.expect(200);
    assert_eq!(list["projects"].as_array().unwrap().len(), 1);
    let domains = app.ks_get("/v3/domains", &tenant).await.expect(200);
    assert_eq!(domains["domains"].as_array().unwrap().len(), 1);
    assert_eq!(domains["domains"][0]["id"], nic);
    app.ks_get("/v3/domains/default", &tenant).await.expect(403);
    // The operator's cloud administrator (Keystone's `admin` role in the operator's domain)
    // sees every domain and reads the tenant's projects, but cannot scope a token there.
    let admin = app.ks_admin().await;
    let all = app.ks_get("/v3/domains", &admin).await.expect(200);
    assert_eq!(all["domains"].as_array().unwrap().len(), 2);
    let read = app
        .ks_get(&format!("/v3/projects/{project_id}"), &admin)
        .await
        .expect(200);
    assert_eq!(read["project"]["domain_id"], nic.as_str());
    let (reply, _) = app
        .ks_issue(
            json!({ "identity": { "methods": ["token"], "token": { "id": admin } },
            "scope": { "project": { "id": project_id } } }),
        )
        .await;
    assert_eq!(reply.status, 401);
    // The tenant cannot read or revoke the operator's tokens, nor grant system roles (only a
    // cloud administrator does, keystone_domains.rs).
    let r = app
        .ks(
            Method::GET,
            "/v3/auth/tokens",
            Some(&tenant),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, 403);
    let tenant_user = admin_user_id(&app, &tenant).await;
    let reader = role_id(&app, &tenant, "reader").await;
    let r = app
        .ks_put(
            &format!("/v3/system/users/{tenant_user}/roles/{reader}"),
            &tenant,
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
}

async fn revocation_on_one_node_reaches_the_other(app: TestApp) {
    let other = app.another_node().await;
    let admin = app.ks_admin().await;
    let token = app.ks_password("admin", ADMIN_PASSWORD, None).await;
    other
        .ks(
            Method::HEAD,
            "/v3/auth/tokens",
            Some(&admin),
            Some(&token),
            None,
        )
        .await
        .expect(200);
    app.ks(
        Method::DELETE,
        "/v3/auth/tokens",
        Some(&admin),
        Some(&token),
        None,
    )
    .await
    .expect(204);
    other.apply_revocation_events().await;
    let r = other
        .ks(
            Method::HEAD,
            "/v3/auth/tokens",
            Some(&admin),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    // A project made on one node scopes tokens on the other.
    app.ks_post(
        "/v3/projects",
        &admin,
        json!({ "project": { "name": "shared" } }),
    )
    .await
    .expect(201);
    let user = admin_user_id(&app, &admin).await;
    let listed = app
        .ks_get("/v3/projects?name=shared", &admin)
        .await
        .expect(200);
    let project = listed["projects"][0]["id"].as_str().unwrap().to_owned();
    let member = role_id(&app, &admin, "member").await;
    app.ks_grant(&admin, &format!("projects/{project}/users/{user}"), &member)
        .await;
    // The feed stops below an event another transaction has not committed yet, for up to 5 s
    // (a test running beside others can meet one): read it until the grant arrives, within that.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(8);
    let reply = loop {
        other.apply_revocation_events().await;
        let (reply, _) = other
            .ks_issue(
                json!({ "identity": { "methods": ["token"], "token": { "id": admin } },
                "scope": { "project": { "id": project } } }),
            )
            .await;
        if reply.status == 201 || std::time::Instant::now() > deadline {
            break reply;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(reply.expect(201)["token"]["project"]["name"], "shared");
}

async fn malformed_resource_bodies_get_keystone_errors_naming_the_field(app: TestApp) {
    let admin = app.ks_admin().await;
    // (path, body, what the message names)
    let cases = [
        (
            "/v3/projects",
            json!({ "project": { "name": "web", "enabled": "yes" } }),
            "'enabled'",
        ),
        (
            "/v3/projects",
            json!({ "project": { "name": "web", "tags": "a" } }),
            "'tags'",
        ),
        (
            "/v3/users",
            json!({ "user": { "name": 7, "password": "pw" } }),
            "'name'",
        ),
        (
            "/v3/groups",
            json!({ "group": "ops" }),
            "'group' must be an object",
        ),
        (
            "/v3/roles",
            json!({ "name": "floating" }),
            "'role' is a required property",
        ),
        (
            "/v3/regions",
            json!({ "region": { "parent_region_id": 1 } }),
            "'parent_region_id'",
        ),
        (
            "/v3/services",
            json!({ "service": { "name": "object" } }),
            "'type' is a required property",
        ),
        (
            "/v3/OS-TRUST/trusts",
            json!({ "trust": { "remaining_uses": -1 } }),
            "'remaining_uses'",
        ),
    ];
    for (path, body, named) in cases {
        let reply = app.ks_post(path, &admin, body.clone()).await;
        let error = reply.expect(400);
        assert_eq!(error["error"]["code"], 400, "{path} {body}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(named), "{path} {body}: {message}");
    }
    // Not JSON at all, and too large.
    let reply = app
        .ks_bytes("/v3/projects", &admin, b"{not json".to_vec())
        .await;
    let message = reply.expect(400)["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("valid JSON"), "{message}");
    let reply = app
        .ks_bytes("/v3/projects", &admin, vec![b' '; 65 * 1024])
        .await;
    assert_eq!(reply.expect(413)["error"]["code"], 413);
    // A user's unknown attributes are kept, but never in place of a field every user has.
    let created = app
        .ks_post(
            "/v3/users",
            &admin,
            json!({ "user": { "name": "attr", "password": "attr password", "team": "blue" } }),
        )
        .await
        .expect(201);
    assert_eq!(created["user"]["team"], "blue");
    assert_eq!(created["user"]["name"], "attr");
    // Null clears a default project where absence keeps it.
    let id = created["user"]["id"].as_str().unwrap().to_owned();
    let project = app.ks_project(&admin, "attr-home").await;
    let path = format!("/v3/users/{id}");
    let set = app
        .ks_patch(
            &path,
            &admin,
            json!({ "user": { "default_project_id": project } }),
        )
        .await
        .expect(200);
    assert_eq!(set["user"]["default_project_id"], project.as_str());
    let kept = app
        .ks_patch(&path, &admin, json!({ "user": { "description": "d" } }))
        .await
        .expect(200);
    assert_eq!(kept["user"]["default_project_id"], project.as_str());
    let cleared = app
        .ks_patch(
            &path,
            &admin,
            json!({ "user": { "default_project_id": null } }),
        )
        .await
        .expect(200);
    assert!(
        cleared["user"].get("default_project_id").is_none(),
        "{cleared}"
    );
}

/// The store key a Keystone user or group id spells (its last 16 of 32 hex digits), after
/// checking the id is as wide as Keystone's: a new id's first 16 digits are not zeros.
fn key_of(id: &Value) -> u64 {
    let id = id.as_str().unwrap();
    assert_eq!(id.len(), 32, "{id}");
    assert_ne!(&id[..16], "0000000000000000", "{id}");
    u64::from_str_radix(&id[16..], 16).unwrap()
}

async fn new_user_and_group_ids_are_random_and_ids_made_before_keep_working(mut app: TestApp) {
    let admin = app.ks_admin().await;
    let mut keys = Vec::new();
    for name in ["u1", "u2", "u3"] {
        let user = app
            .ks_post(
                "/v3/users",
                &admin,
                json!({ "user": { "name": name, "domain_id": "default", "password": "a password 1" } }),
            )
            .await
            .expect(201);
        keys.push(key_of(&user["user"]["id"]));
    }
    for name in ["g1", "g2", "g3"] {
        let group = app
            .ks_post(
                "/v3/groups",
                &admin,
                json!({ "group": { "name": name, "domain_id": "default" } }),
            )
            .await
            .expect(201);
        keys.push(key_of(&group["group"]["id"]));
    }
    // Random 63-bit keys: none next to another, none small (each holds with odds of 1 in 2^31).
    for (i, a) in keys.iter().enumerate() {
        assert!(*a > 1 << 32, "a small, counted key: {a:x}");
        for b in &keys[i + 1..] {
            assert!(
                a.abs_diff(*b) > 1 << 16,
                "keys made one after another: {a:x} {b:x}"
            );
        }
    }
    // A user of a store made before keys were random (key 7), written as that store had it.
    let insert = "INSERT INTO users (id, account_id, login, email, group_id, description, \
         password_hash, status, kind, created_at, updated_at, password_updated_at) \
         SELECT 7, account_id, 'legacy', email, group_id, description, password_hash, status, \
         kind, created_at, updated_at, password_updated_at FROM users WHERE login = 'u1'";
    let url = app.config.database_url.clone();
    if url.starts_with("sqlite") {
        use sqlx::{Connection, Executor};
        let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
        db.execute(insert).await.unwrap();
    } else {
        use sqlx::{Connection, Executor};
        let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
        db.execute(insert).await.unwrap();
    }
    app.restart().await;
    let admin = app.ks_admin().await;
    let legacy = format!("{:032x}", 7);
    let read = app
        .ks_get(&format!("/v3/users/{legacy}"), &admin)
        .await
        .expect(200);
    assert_eq!(read["user"]["name"], "legacy");
    assert_eq!(read["user"]["id"], legacy.as_str());
}
