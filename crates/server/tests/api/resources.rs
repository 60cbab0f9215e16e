//! IAM resources through /v2: product back ends register and remove them (`/v2/admin/resource`,
//! an identity of the operator's account allowed `latchkey:iam/resource/manage`); accounts list,
//! filter and tag them (`/v2/iam/resource`); decisions follow their owner and their tags; the
//! reference lists their types and the actions back ends declared.

use serde_json::{Value, json};

use crate::helpers::{Auth, NIC, TestApp};
use crate::oauth2::{access_token, service_account};

crate::on_both_backends!(
    only_the_operators_allowed_identities_register_resources,
    resources_are_listed_filtered_paged_and_read,
    tags_are_replaced_added_and_removed,
    bad_resource_requests_are_refused_and_change_nothing,
    decisions_follow_the_owner_and_the_tags_of_a_resource,
    the_reference_lists_registered_types_and_declared_actions,
    a_removed_resource_is_gone_and_no_longer_the_accounts,
    tags_reach_another_node_and_survive_a_restart,
    the_batch_check_answers_each_resource_in_order,
    a_callers_address_is_believed_only_from_an_allowed_relay,
);

const ADMIN_RESOURCE: &str = "/v2/admin/resource";
const RESOURCES: &str = "/v2/iam/resource";
const POLICIES: &str = "/v2/iam/policy";
const MANAGE: &str = "latchkey:iam/resource/manage";
const OTHER_NIC: &str = "lk0042-lk";

fn urn_of(name: &str) -> String {
    format!("urn:v1:eu:resource:objectStorage:{name}")
}

fn path_of(name: &str) -> String {
    format!("{RESOURCES}/{}", urn_of(name))
}

/// A service account of the operator's account allowed to manage resources, by policy.
pub(crate) async fn product_back_end(app: &TestApp, admin: &Auth) -> Auth {
    let client = service_account(app, admin).await;
    app.post(
        POLICIES,
        admin,
        json!({
            "name": format!("back-end-{}", &client.id[..6]),
            "identities": [format!("urn:v1:eu:identity:credential:{NIC}/oauth2-{}", client.id)],
            "resources": [{ "urn": format!("urn:v1:eu:resource:account:{NIC}") }],
            "permissions": { "allow": [{ "action": MANAGE }] },
        }),
    )
    .await
    .expect(200);
    Auth::Bearer(access_token(app, &client).await)
}

pub(crate) async fn register(
    app: &TestApp,
    back_end: &Auth,
    owner: &str,
    name: &str,
    tags: Value,
) -> Value {
    app.post(
        ADMIN_RESOURCE,
        back_end,
        json!({ "owner": owner, "type": "objectStorage", "name": name,
                "displayName": format!("Container {name}"), "tags": tags }),
    )
    .await
    .expect(200)
}

async fn other_account(app: &TestApp, admin: &Auth) -> Auth {
    app.post(
        "/v2/admin/account",
        admin,
        json!({ "nichandle": OTHER_NIC, "email": "b@example.com", "adminPassword": "account b password" }),
    )
    .await
    .expect(200);
    Auth::password(OTHER_NIC, "admin", "account b password")
}

async fn only_the_operators_allowed_identities_register_resources(app: TestApp) {
    let admin = app.admin_pat().await;
    let body = json!({ "owner": NIC, "type": "objectStorage", "name": "photos" });
    // A service account of the operator's account without the action.
    let client = service_account(&app, &admin).await;
    let bare = Auth::Bearer(access_token(&app, &client).await);
    let refused = app.post(ADMIN_RESOURCE, &bare, body.clone()).await;
    refused.expect_error(403, "Client::Forbidden");
    assert_eq!(
        refused.json()["details"]["unauthorizedActionsByIAM"],
        MANAGE
    );
    // Another account's administrator, even with a policy of its own naming the action.
    let b_admin = other_account(&app, &admin).await;
    app.post(
        POLICIES,
        &b_admin,
        json!({
            "name": "self-service",
            "identities": ["*"],
            "resources": [{ "urn": "*" }],
            "permissions": { "allow": [{ "action": MANAGE }] },
        }),
    )
    .await
    .expect(200);
    app.post(
        ADMIN_RESOURCE,
        &b_admin,
        json!({ "owner": OTHER_NIC, "type": "objectStorage", "name": "mine" }),
    )
    .await
    .expect_error(403, "Client::Forbidden");

    let back_end = product_back_end(&app, &admin).await;
    let made = register(&app, &back_end, NIC, "photos", json!({ "env": "prod" })).await;
    assert_eq!(made["urn"], urn_of("photos"));
    assert_eq!(made["name"], "photos");
    assert_eq!(made["displayName"], "Container photos");
    assert_eq!(made["type"], "objectStorage");
    assert_eq!(made["owner"], NIC);
    assert_eq!(made["tags"], json!({ "env": "prod" }));
    uuid::Uuid::parse_str(made["id"].as_str().unwrap()).unwrap();
    // Registering again is harmless: the same resource, its tags kept.
    app.post(
        &format!("{}/tag", path_of("photos")),
        &admin,
        json!({ "key": "team", "value": "web" }),
    )
    .await
    .expect(200);
    let again = register(&app, &back_end, NIC, "photos", json!({})).await;
    assert_eq!(again["id"], made["id"]);
    assert_eq!(again["tags"], json!({ "env": "prod", "team": "web" }));
    // The same URN for another account is a conflict.
    app.post(
        ADMIN_RESOURCE,
        &back_end,
        json!({ "owner": OTHER_NIC, "type": "objectStorage", "name": "photos" }),
    )
    .await
    .expect_error(409, "Client::Conflict");
    // The owner's audit log tells who registered it.
    let log = app
        .get("/v2/audit/log?type=RESOURCE_REGISTERED", &admin)
        .await
        .expect(200);
    assert_eq!(log.as_array().unwrap().len(), 1, "{log}");
    assert_eq!(
        log[0]["resourceRegisteredDetails"]["resourceURN"],
        urn_of("photos")
    );
}

async fn resources_are_listed_filtered_paged_and_read(app: TestApp) {
    let admin = app.admin_pat().await;
    let back_end = product_back_end(&app, &admin).await;
    // Listed oldest first.
    register(
        &app,
        &back_end,
        NIC,
        "photos",
        json!({ "env": "prod", "team": "Web" }),
    )
    .await;
    app.advance(chrono::TimeDelta::seconds(1));
    register(&app, &back_end, NIC, "backups", json!({ "env": "dev" })).await;
    app.advance(chrono::TimeDelta::seconds(1));
    register(&app, &back_end, NIC, "logs", json!({})).await;
    let b_admin = other_account(&app, &admin).await;
    register(
        &app,
        &back_end,
        OTHER_NIC,
        "theirs",
        json!({ "env": "prod" }),
    )
    .await;

    let all = app.get(RESOURCES, &admin).await.expect(200);
    let urns: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["urn"].as_str().unwrap())
        .collect();
    assert_eq!(
        urns,
        [
            format!("urn:v1:eu:resource:account:{NIC}"),
            urn_of("photos"),
            urn_of("backups"),
            urn_of("logs")
        ]
    );
    assert_eq!(all[0]["type"], "account");
    uuid::Uuid::parse_str(all[0]["id"].as_str().unwrap()).unwrap();
    // B sees its own only.
    let theirs = app.get(RESOURCES, &b_admin).await.expect(200);
    assert_eq!(theirs.as_array().unwrap().len(), 2);
    assert_eq!(theirs[1]["urn"], urn_of("theirs"));

    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let cases = [
        (
            "resourceType[]=objectStorage",
            vec!["photos", "backups", "logs"],
        ),
        (
            "resourceName[]=logs&resourceName[]=photos",
            vec!["photos", "logs"],
        ),
        (
            &*format!("resourceURN[]={}", urn_of("backups")),
            vec!["backups"],
        ),
        ("tags[env]=prod", vec!["photos"]),
        (
            "tags[env][0][operator]=NEQ&tags[env][0][value]=prod",
            vec![NIC, "backups", "logs"],
        ),
        (
            "tags[team][0][operator]=LIKE&tags[team][0][value]=W%25",
            vec!["photos"],
        ),
        (
            "tags[team][0][operator]=LIKE&tags[team][0][value]=w%25",
            vec![],
        ),
        (
            "tags[team][0][operator]=ILIKE&tags[team][0][value]=w%25",
            vec!["photos"],
        ),
        ("tags[env][0][operator]=EXISTS", vec!["photos", "backups"]),
        (
            "tags[env][0][operator]=NEXISTS&resourceType=objectStorage",
            vec!["logs"],
        ),
        ("tags[env]=prod&tags[team]=Web", vec!["photos"]),
    ];
    for (query, expected) in cases {
        let got = app
            .get(&format!("{RESOURCES}?{query}"), &admin)
            .await
            .expect(200);
        assert_eq!(names(&got), expected, "{query}");
    }

    // Pages of two, by cursor.
    let first = app
        .client
        .get(format!("{}{RESOURCES}", app.base))
        .bearer_auth(match &admin {
            Auth::Bearer(t) => t.clone(),
            _ => unreachable!(),
        })
        .header("X-Pagination-Size", "2")
        .send()
        .await
        .unwrap();
    let next = first.headers()["X-Pagination-Cursor-Next"]
        .to_str()
        .unwrap()
        .to_owned();
    let first: Value = first.json().await.unwrap();
    assert_eq!(first.as_array().unwrap().len(), 2);
    let second = app
        .client
        .get(format!("{}{RESOURCES}", app.base))
        .bearer_auth(match &admin {
            Auth::Bearer(t) => t.clone(),
            _ => unreachable!(),
        })
        .header("X-Pagination-Size", "2")
        .header("X-Pagination-Cursor", &next)
        .send()
        .await
        .unwrap();
    assert!(second.headers().get("X-Pagination-Cursor-Next").is_none());
    let second: Value = second.json().await.unwrap();
    assert_eq!(names(&second), ["backups", "logs"]);

    let one = app.get(&path_of("photos"), &admin).await.expect(200);
    assert_eq!(one["tags"], json!({ "env": "prod", "team": "Web" }));
    let account = app
        .get(
            &format!("{RESOURCES}/urn:v1:eu:resource:account:{NIC}"),
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(account["id"], all[0]["id"]);
    // Another account's resource does not exist for A.
    app.get(&path_of("theirs"), &admin)
        .await
        .expect_error(404, "Client::NotFound");
}

async fn tags_are_replaced_added_and_removed(app: TestApp) {
    let admin = app.admin_pat().await;
    let back_end = product_back_end(&app, &admin).await;
    let made = register(&app, &back_end, NIC, "photos", json!({ "env": "dev" })).await;
    // PUT takes OVHcloud's whole resource back, of which only the tags change.
    let mut body = made.clone();
    body["tags"] = json!({ "env": "prod", "team": "web" });
    let put = app.put(&path_of("photos"), &admin, body).await.expect(200);
    assert_eq!(put["tags"], json!({ "env": "prod", "team": "web" }));
    app.put(
        &path_of("photos"),
        &admin,
        json!({ "tags": { "env": "prod" } }),
    )
    .await
    .expect(200);
    app.post(
        &format!("{}/tag", path_of("photos")),
        &admin,
        json!({ "key": "cost:center", "value": "42" }),
    )
    .await
    .expect(200);
    app.delete(&format!("{}/tag/env", path_of("photos")), &admin)
        .await
        .expect(200);
    let now = app.get(&path_of("photos"), &admin).await.expect(200);
    assert_eq!(now["tags"], json!({ "cost:center": "42" }));
    app.delete(&format!("{}/tag/env", path_of("photos")), &admin)
        .await
        .expect_error(404, "Client::NotFound");
    let log = app
        .get("/v2/audit/log?type=RESOURCE_MODIFIED", &admin)
        .await
        .expect(200);
    assert_eq!(log.as_array().unwrap().len(), 4, "{log}");
}

async fn bad_resource_requests_are_refused_and_change_nothing(app: TestApp) {
    let admin = app.admin_pat().await;
    let back_end = product_back_end(&app, &admin).await;
    register(&app, &back_end, NIC, "photos", json!({ "env": "dev" })).await;
    let registrations = [
        json!({ "owner": NIC, "type": "object-storage", "name": "x" }),
        json!({ "owner": NIC, "type": "account", "name": "x" }),
        json!({ "owner": NIC, "type": "objectStorage", "name": "has space" }),
        json!({ "owner": NIC, "type": "objectStorage", "name": "x", "tags": { "bad key": "v" } }),
        json!({ "owner": NIC, "type": "objectStorage", "name": "x", "actions": [{ "action": "vps:apiovh:reboot" }] }),
        json!({ "owner": NIC, "type": "objectStorage", "name": "x", "actions": [{ "action": "objectStorage:apiovh:*" }] }),
        json!({ "owner": NIC, "type": "objectStorage", "name": "x", "actions": [{ "action": "objectStorage:apiovh:get", "categories": ["LIST"] }] }),
        json!({ "owner": "not a nic", "type": "objectStorage", "name": "x" }),
        json!({ "owner": NIC, "type": "objectStorage", "name": "x", "extra": true }),
    ];
    for body in registrations {
        app.post(ADMIN_RESOURCE, &back_end, body.clone())
            .await
            .expect_error(400, "Client::BadRequest");
    }
    app.post(
        ADMIN_RESOURCE,
        &back_end,
        json!({ "owner": "lk0099-lk", "type": "objectStorage", "name": "x" }),
    )
    .await
    .expect_error(404, "Client::NotFound");
    let listed = app.get(RESOURCES, &admin).await.expect(200);
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");

    let tag = format!("{}/tag", path_of("photos"));
    for body in [
        json!({ "key": "", "value": "v" }),
        json!({ "key": "k", "value": "spaced value" }),
        json!({ "key": "k" }),
        json!({ "key": "k", "value": "v", "extra": 1 }),
    ] {
        app.post(&tag, &admin, body)
            .await
            .expect_error(400, "Client::BadRequest");
    }
    for body in [
        json!({ "tags": { "k": "spaced value" } }),
        json!({ "tags": {}, "name": "renamed" }),
        json!({ "tags": {}, "colour": "blue" }),
    ] {
        app.put(&path_of("photos"), &admin, body)
            .await
            .expect_error(400, "Client::BadRequest");
    }
    let account = format!("{RESOURCES}/urn:v1:eu:resource:account:{NIC}");
    app.post(
        &format!("{account}/tag"),
        &admin,
        json!({ "key": "k", "value": "v" }),
    )
    .await
    .expect_error(400, "Client::BadRequest");
    app.post(
        &format!("{}/tag", path_of("unregistered")),
        &admin,
        json!({ "key": "k", "value": "v" }),
    )
    .await
    .expect_error(404, "Client::NotFound");
    for query in [
        "tags[env][0][operator]=GT&tags[env][0][value]=x",
        "tags[env][0][operator]=EQ",
        "tags[env][x]=1",
        "colour=blue",
    ] {
        app.get(&format!("{RESOURCES}?{query}"), &admin)
            .await
            .expect_error(400, "Client::BadRequest");
    }
    let unchanged = app.get(&path_of("photos"), &admin).await.expect(200);
    assert_eq!(unchanged["tags"], json!({ "env": "dev" }));
    app.delete(
        &format!("{ADMIN_RESOURCE}/{}", urn_of("unregistered")),
        &back_end,
    )
    .await
    .expect_error(404, "Client::NotFound");
}

async fn decisions_follow_the_owner_and_the_tags_of_a_resource(app: TestApp) {
    let admin = app.admin_pat().await;
    let back_end = product_back_end(&app, &admin).await;
    register(&app, &back_end, NIC, "photos", json!({ "env": "prod" })).await;
    let b_admin = other_account(&app, &admin).await;
    register(
        &app,
        &back_end,
        OTHER_NIC,
        "theirs",
        json!({ "env": "prod" }),
    )
    .await;
    let get = "objectStorage:apiovh:object/get";
    let check = |name: &str| format!("{}/authorization/check", path_of(name));
    let asked = json!({ "actions": [get] });
    // ROOT holds its account's registered resources, not another account's.
    let mine = app
        .post(&check("photos"), &admin, asked.clone())
        .await
        .expect(200);
    assert_eq!(mine["authorizedActions"], json!([get]));
    let foreign = app
        .post(&check("theirs"), &admin, asked.clone())
        .await
        .expect(200);
    assert_eq!(foreign["unauthorizedActions"], json!([get]));
    let unregistered = app
        .post(&check("nobody"), &admin, asked.clone())
        .await
        .expect(200);
    assert_eq!(unregistered["unauthorizedActions"], json!([get]));
    // B's policy naming A's resource grants nothing on it.
    app.post(
        POLICIES,
        &b_admin,
        json!({ "name": "grab", "identities": ["*"], "resources": [{ "urn": "*" }],
                "permissions": { "allow": [{ "action": "*" }] } }),
    )
    .await
    .expect(200);
    let b_on_a = app
        .post(&check("photos"), &b_admin, asked.clone())
        .await
        .expect(200);
    assert_eq!(b_on_a["unauthorizedActions"], json!([get]));

    // A regular user allowed on prod-tagged containers only.
    app.create_user(&admin, "bob", "DEFAULT").await;
    let bob = Auth::Bearer(app.create_pat(&admin, "bob", "work").await);
    app.post(
        POLICIES,
        &admin,
        json!({
            "name": "bob-reads-prod",
            "identities": [format!("urn:v1:eu:identity:user:{NIC}/bob")],
            "resources": [{ "urn": "urn:v1:eu:resource:objectStorage:*" },
                          { "urn": format!("urn:v1:eu:resource:account:{NIC}") }],
            "permissions": { "allow": [{ "action": get },
                                       { "action": "account:apiovh:iam/resource/authorization/check" }] },
            "conditions": { "operator": "OR", "conditions": [
                { "operator": "MATCH", "values": { "resource.Tag(env)": "prod" } },
                { "operator": "MATCH", "values": { "resource.Type": "account" } }
            ] },
        }),
    )
    .await
    .expect(200);
    let bob_may = |answer: &Value| answer["authorizedActions"] == json!([get]);
    assert!(bob_may(
        &app.post(&check("photos"), &bob, asked.clone())
            .await
            .expect(200)
    ));
    // The tag changes: the very next decision sees it.
    app.put(
        &path_of("photos"),
        &admin,
        json!({ "tags": { "env": "dev" } }),
    )
    .await
    .expect(200);
    assert!(!bob_may(
        &app.post(&check("photos"), &bob, asked.clone())
            .await
            .expect(200)
    ));
    app.post(
        &format!("{}/tag", path_of("photos")),
        &admin,
        json!({ "key": "env", "value": "prod" }),
    )
    .await
    .expect(200);
    assert!(bob_may(
        &app.post(&check("photos"), &bob, asked.clone())
            .await
            .expect(200)
    ));
    app.delete(&format!("{}/tag/env", path_of("photos")), &admin)
        .await
        .expect(200);
    assert!(!bob_may(
        &app.post(&check("photos"), &bob, asked).await.expect(200)
    ));
}

async fn the_reference_lists_registered_types_and_declared_actions(app: TestApp) {
    let admin = app.admin_pat().await;
    let back_end = product_back_end(&app, &admin).await;
    app.post(
        ADMIN_RESOURCE,
        &back_end,
        json!({ "owner": NIC, "type": "objectStorage", "name": "photos", "actions": [
            { "action": "objectStorage:apiovh:object/get", "description": "Read an object" },
            { "action": "objectStorage:apiovh:object/put", "description": "Write an object", "categories": ["CREATE", "EDIT"] }
        ] }),
    )
    .await
    .expect(200);
    let types = app
        .get("/v2/iam/reference/resource/type", &admin)
        .await
        .expect(200);
    assert_eq!(types, json!(["account", "objectStorage"]));
    let actions = app
        .get(
            "/v2/iam/reference/action?resourceType[]=objectStorage",
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(
        actions,
        json!([
            { "action": "objectStorage:apiovh:object/get", "description": "Read an object",
              "resourceType": "objectStorage", "categories": ["READ"], "hasQueryParameters": false },
            { "action": "objectStorage:apiovh:object/put", "description": "Write an object",
              "resourceType": "objectStorage", "categories": ["CREATE", "EDIT"], "hasQueryParameters": false }
        ])
    );
    let account = app
        .get("/v2/iam/reference/action?resourceType=account", &admin)
        .await
        .expect(200);
    assert!(
        account
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["resourceType"] == "account")
    );
    assert!(
        account
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == MANAGE)
    );
    // Declaring again replaces the description.
    app.post(
        ADMIN_RESOURCE,
        &back_end,
        json!({ "owner": NIC, "type": "objectStorage", "name": "photos", "actions": [
            { "action": "objectStorage:apiovh:object/get", "description": "Read one object" }] }),
    )
    .await
    .expect(200);
    let again = app
        .get(
            "/v2/iam/reference/action?resourceType[]=objectStorage",
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(again[0]["description"], "Read one object");
}

async fn a_removed_resource_is_gone_and_no_longer_the_accounts(app: TestApp) {
    let admin = app.admin_pat().await;
    let back_end = product_back_end(&app, &admin).await;
    register(&app, &back_end, NIC, "photos", json!({})).await;
    app.delete(&format!("{ADMIN_RESOURCE}/{}", urn_of("photos")), &back_end)
        .await
        .expect(200);
    app.get(&path_of("photos"), &admin)
        .await
        .expect_error(404, "Client::NotFound");
    let check = app
        .post(
            &format!("{}/authorization/check", path_of("photos")),
            &admin,
            json!({ "actions": ["objectStorage:apiovh:object/get"] }),
        )
        .await
        .expect(200);
    assert_eq!(check["authorizedActions"], json!([]));
    let log = app
        .get("/v2/audit/log?type=RESOURCE_REMOVED", &admin)
        .await
        .expect(200);
    assert_eq!(log.as_array().unwrap().len(), 1);
}

async fn tags_reach_another_node_and_survive_a_restart(mut app: TestApp) {
    let admin = app.admin_pat().await;
    let back_end = product_back_end(&app, &admin).await;
    register(&app, &back_end, NIC, "photos", json!({ "env": "prod" })).await;
    app.create_user(&admin, "bob", "DEFAULT").await;
    let bob = Auth::Bearer(app.create_pat(&admin, "bob", "work").await);
    app.post(
        POLICIES,
        &admin,
        json!({
            "name": "bob-reads-prod",
            "identities": [format!("urn:v1:eu:identity:user:{NIC}/bob")],
            "resources": [{ "urn": "*" }],
            "permissions": { "allow": [{ "action": "objectStorage:apiovh:object/get" },
                                       { "action": "account:apiovh:iam/resource/authorization/check" }] },
            "conditions": { "operator": "OR", "conditions": [
                { "operator": "MATCH", "values": { "resource.Tag(env)": "prod" } },
                { "operator": "MATCH", "values": { "resource.Type": "account" } }
            ] },
        }),
    )
    .await
    .expect(200);
    let check = format!("{}/authorization/check", path_of("photos"));
    let asked = json!({ "actions": ["objectStorage:apiovh:object/get"] });
    let other = app.another_node().await;
    let allowed = |v: Value| v["authorizedActions"].as_array().unwrap().len() == 1;
    assert!(allowed(
        other.post(&check, &bob, asked.clone()).await.expect(200)
    ));
    app.put(
        &path_of("photos"),
        &admin,
        json!({ "tags": { "env": "dev" } }),
    )
    .await
    .expect(200);
    other.apply_revocation_events().await;
    assert!(!allowed(
        other.post(&check, &bob, asked.clone()).await.expect(200)
    ));
    drop(other);
    app.restart().await;
    assert!(!allowed(
        app.post(&check, &bob, asked.clone()).await.expect(200)
    ));
    let one = app.get(&path_of("photos"), &admin).await.expect(200);
    assert_eq!(one["tags"], json!({ "env": "dev" }));
}

async fn the_batch_check_answers_each_resource_in_order(app: TestApp) {
    let admin = app.admin_pat().await;
    let back_end = product_back_end(&app, &admin).await;
    register(&app, &back_end, NIC, "photos", json!({})).await;
    other_account(&app, &admin).await;
    register(&app, &back_end, OTHER_NIC, "theirs", json!({})).await;
    let get = "objectStorage:apiovh:object/get";
    let account = format!("urn:v1:eu:resource:account:{NIC}");
    let body = json!({
        "actions": [get, "account:apiovh:me/get"],
        "resourceURNs": [urn_of("theirs"), urn_of("photos"), account],
    });
    let answers = app
        .post("/v2/iam/authorization/check", &admin, body)
        .await
        .expect(200);
    assert_eq!(
        answers,
        json!([
            { "resourceURN": urn_of("theirs"), "authorizedActions": [],
              "unauthorizedActions": [get, "account:apiovh:me/get"] },
            { "resourceURN": urn_of("photos"), "authorizedActions": [get, "account:apiovh:me/get"],
              "unauthorizedActions": [] },
            { "resourceURN": account, "authorizedActions": [get, "account:apiovh:me/get"],
              "unauthorizedActions": [] },
        ])
    );
    let many: Vec<String> = (0..101).map(|i| urn_of(&format!("c{i}"))).collect();
    for body in [
        json!({ "actions": [get], "resourceURNs": [] }),
        json!({ "actions": [], "resourceURNs": [urn_of("photos")] }),
        json!({ "actions": [get], "resourceURNs": many }),
        json!({ "actions": ["objectStorage:*"], "resourceURNs": [urn_of("photos")] }),
        json!({ "actions": [get], "resourceURNs": ["urn:v1:eu:resource:*"] }),
        json!({ "actions": [get] }),
    ] {
        app.post("/v2/iam/authorization/check", &admin, body)
            .await
            .expect_error(400, "Client::BadRequest");
    }
}

async fn a_callers_address_is_believed_only_from_an_allowed_relay(app: TestApp) {
    let admin = app.admin_pat().await;
    let back_end = product_back_end(&app, &admin).await;
    register(&app, &back_end, NIC, "photos", json!({})).await;
    app.create_user(&admin, "bob", "DEFAULT").await;
    let bob = match Auth::Bearer(app.create_pat(&admin, "bob", "work").await) {
        Auth::Bearer(t) => t,
        _ => unreachable!(),
    };
    let get = "objectStorage:apiovh:object/get";
    app.post(
        POLICIES,
        &admin,
        json!({
            "name": "bob-from-the-office",
            "identities": [format!("urn:v1:eu:identity:user:{NIC}/bob")],
            "resources": [{ "urn": urn_of("photos") }],
            "permissions": { "allow": [{ "action": get }] },
            "conditions": { "operator": "MATCH", "values": { "request.IP.IN_RANGE": "203.0.113.0/24" } },
        }),
    )
    .await
    .expect(200);
    app.post(
        POLICIES,
        &admin,
        json!({
            "name": "bob-checks",
            "identities": [format!("urn:v1:eu:identity:user:{NIC}/bob")],
            "resources": [{ "urn": format!("urn:v1:eu:resource:account:{NIC}") }],
            "permissions": { "allow": [{ "action": "account:apiovh:iam/resource/authorization/check" }] },
        }),
    )
    .await
    .expect(200);
    // A guard's identity allowed to relay, and one that is not.
    let relay_client = service_account(&app, &admin).await;
    app.post(
        POLICIES,
        &admin,
        json!({
            "name": "guard-relays",
            "identities": [format!("urn:v1:eu:identity:credential:{NIC}/oauth2-{}", relay_client.id)],
            "resources": [{ "urn": format!("urn:v1:eu:resource:account:{NIC}") }],
            "permissions": { "allow": [{ "action": "latchkey:iam/authorization/relay" }] },
        }),
    )
    .await
    .expect(200);
    let relay = access_token(&app, &relay_client).await;
    let Auth::Bearer(unallowed) = back_end else {
        unreachable!()
    };
    let check = |address: Option<&'static str>, relay: Option<String>| {
        let mut req = app
            .client
            .post(format!(
                "{}{}/authorization/check",
                app.base,
                path_of("photos")
            ))
            .bearer_auth(&bob)
            .json(&json!({ "actions": [get] }));
        if let Some(a) = address {
            req = req.header("X-Latchkey-Caller-Address", a);
        }
        if let Some(r) = relay {
            req = req.header("X-Latchkey-Relay", format!("Bearer {r}"));
        }
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    // Bob's own address (loopback) is not in the range.
    let (status, own) = check(None, None).await;
    assert_eq!((status, &own["authorizedActions"]), (200, &json!([])));
    // Relayed by an allowed guard: the address it names decides.
    let (status, relayed) = check(Some("203.0.113.9"), Some(relay.clone())).await;
    assert_eq!(
        (status, &relayed["authorizedActions"]),
        (200, &json!([get]))
    );
    let (_, elsewhere) = check(Some("198.51.100.1"), Some(relay.clone())).await;
    assert_eq!(elsewhere["authorizedActions"], json!([]));
    // Named without proof, or by an identity not allowed to relay: refused, naming the action.
    for proof in [
        None,
        Some(unallowed),
        Some(bob.clone()),
        Some("lkpat_nonsense".to_owned()),
    ] {
        let (status, refused) = check(Some("203.0.113.9"), proof).await;
        assert_eq!(status, 403, "{refused}");
        assert_eq!(
            refused["details"]["unauthorizedActionsByIAM"],
            "latchkey:iam/authorization/relay"
        );
    }
    let (status, _) = check(Some("not an address"), Some(relay)).await;
    assert_eq!(status, 400);
}
