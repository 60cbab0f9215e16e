//! Permissions groups through /v2/iam/permissionsGroup, in OVHcloud's fields: the installation's
//! managed groups beside the account's, and policies adding each group's permissions with its
//! own `except`.

use serde_json::{Value, json};

use crate::helpers::{Auth, NIC, TestApp};

crate::on_both_backends!(
    groups_are_created_read_replaced_and_deleted_in_ovhclouds_shape,
    a_policy_adds_each_groups_permissions_with_its_own_except,
    bad_permissions_group_requests_are_refused_and_change_nothing,
);

const GROUPS: &str = "/v2/iam/permissionsGroup";
const POLICIES: &str = "/v2/iam/policy";
const USER_GET: &str = "account:apiovh:me/identity/user/get";
const USER_CREATE: &str = "account:apiovh:me/identity/user/create";
const OTHER_NIC: &str = "lk0042-lk";

fn managed(name: &str) -> String {
    format!("urn:v1:eu:permissionsGroup:latchkey:{name}")
}

fn own(name: &str) -> String {
    format!("urn:v1:eu:permissionsGroup:{NIC}:{name}")
}

fn path(urn: &str) -> String {
    format!("{GROUPS}/{urn}")
}

fn user_readers() -> Value {
    json!({
        "name": "userReaders",
        "description": "Read the account's users",
        "permissions": {
            "allow": [{ "action": "account:apiovh:me/identity/user/*" }],
            "except": [{ "action": USER_CREATE }],
        },
    })
}

async fn audit_types(app: &TestApp, admin: &Auth, kind: &str) -> Vec<Value> {
    app.get(&format!("/v2/audit/log?type={kind}"), admin)
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .clone()
}

async fn groups_are_created_read_replaced_and_deleted_in_ovhclouds_shape(app: TestApp) {
    let admin = app.admin_pat().await;
    // The installation's managed groups are listed first, read-only, owned by `latchkey`.
    let listed = app.get(GROUPS, &admin).await.expect(200);
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "accountReader",
            "identityAdministrator",
            "policyAdministrator",
            "tokenSelfService",
            "keystoneProjectMember",
            "keystoneProjectReader"
        ]
    );
    let reader = &listed[0];
    assert_eq!(reader["urn"], managed("accountReader"));
    assert_eq!(reader["owner"], "latchkey");
    let allowed: Vec<&str> = reader["permissions"]["allow"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert!(allowed.contains(&USER_GET) && !allowed.contains(&USER_CREATE));
    for field in ["id", "description", "createdAt", "updatedAt"] {
        assert!(reader[field].is_string(), "{field}: {reader}");
    }
    let one = app
        .get(&path(&managed("accountReader")), &admin)
        .await
        .expect(200);
    assert_eq!(one, *reader);
    app.put(&path(&managed("accountReader")), &admin, user_readers())
        .await
        .expect_error(403, "Client::Forbidden");
    app.delete(&path(&managed("accountReader")), &admin)
        .await
        .expect_error(403, "Client::Forbidden");

    let made = app.post(GROUPS, &admin, user_readers()).await.expect(200);
    assert_eq!(made["urn"], own("userReaders"));
    assert_eq!(made["owner"], NIC);
    assert_eq!(made["name"], "userReaders");
    assert_eq!(made["description"], "Read the account's users");
    assert_eq!(
        made["permissions"],
        json!({ "allow": [{ "action": "account:apiovh:me/identity/user/*" }],
                "except": [{ "action": USER_CREATE }], "deny": [] })
    );
    uuid::Uuid::parse_str(made["id"].as_str().unwrap()).unwrap();
    let read = app
        .get(&path(&own("userReaders")), &admin)
        .await
        .expect(200);
    assert_eq!(read, made);
    assert_eq!(
        app.get(GROUPS, &admin).await.expect(200)[6]["urn"],
        own("userReaders")
    );
    // PUT takes the whole content again; a body read back (with its read-only fields) is taken.
    let mut changed = read.clone();
    changed["description"] = json!("Read users and groups");
    changed["permissions"]["allow"] = json!([
        { "action": "account:apiovh:me/identity/user/*" },
        { "action": "account:apiovh:me/identity/group/get" }
    ]);
    let replaced = app
        .put(&path(&own("userReaders")), &admin, changed)
        .await
        .expect(200);
    assert_eq!(replaced["description"], "Read users and groups");
    assert_eq!(replaced["id"], made["id"]);
    assert_eq!(replaced["createdAt"], made["createdAt"]);
    assert_eq!(
        replaced["permissions"]["allow"].as_array().unwrap().len(),
        2
    );
    // A rename changes the URN when no policy names the group.
    let mut renamed = user_readers();
    renamed["name"] = json!("readers");
    app.put(&path(&own("userReaders")), &admin, renamed)
        .await
        .expect(200);
    app.get(&path(&own("userReaders")), &admin)
        .await
        .expect_error(404, "Client::NotFound");
    app.delete(&path(&own("readers")), &admin).await.expect(200);
    app.get(&path(&own("readers")), &admin)
        .await
        .expect_error(404, "Client::NotFound");
    assert_eq!(
        app.get(GROUPS, &admin)
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .len(),
        6
    );

    let created = audit_types(&app, &admin, "PERMISSIONS_GROUP_CREATED").await;
    assert_eq!(created.len(), 1);
    let details = &created[0]["permissionsGroupCreatedDetails"];
    assert_eq!(details["new"]["name"], "userReaders");
    assert_eq!(
        details["new"]["permissions"]["except"],
        json!([USER_CREATE])
    );
    let modified = audit_types(&app, &admin, "PERMISSIONS_GROUP_MODIFIED").await;
    assert_eq!(modified.len(), 2);
    let deleted = audit_types(&app, &admin, "PERMISSIONS_GROUP_DELETED").await;
    assert_eq!(
        deleted[0]["permissionsGroupDeletedDetails"]["old"]["name"],
        "readers"
    );
}

async fn a_policy_adds_each_groups_permissions_with_its_own_except(app: TestApp) {
    let admin = app.admin_pat().await;
    app.post(GROUPS, &admin, user_readers()).await.expect(200);
    app.create_user(&admin, "bob", "DEFAULT").await;
    app.create_user(&admin, "carol", "DEFAULT").await;
    let bob = Auth::Bearer(app.create_pat(&admin, "bob", "work").await);
    let carol = Auth::Bearer(app.create_pat(&admin, "carol", "work").await);
    let account = format!("urn:v1:eu:resource:account:{NIC}");
    let policy = |who: &str, groups: Value| {
        json!({
            "name": format!("{who}-groups"),
            "identities": [format!("urn:v1:eu:identity:user:{NIC}/{who}")],
            "resources": [{ "urn": account }],
            "permissions": { "allow": [{ "action": "account:apiovh:me/get" }] },
            "permissionsGroups": groups,
        })
    };
    let bobs = app
        .post(
            POLICIES,
            &admin,
            policy("bob", json!([{ "urn": own("userReaders") }])),
        )
        .await
        .expect(200);
    assert_eq!(
        bobs["permissionsGroups"],
        json!([{ "urn": own("userReaders") }])
    );
    app.post(
        POLICIES,
        &admin,
        policy(
            "carol",
            json!([{ "urn": managed("identityAdministrator") }]),
        ),
    )
    .await
    .expect(200);
    let new_user = |login: &str| {
        json!({ "login": login, "email": format!("{login}@example.com"),
                "password": "a long enough password", "group": "DEFAULT" })
    };
    // Bob reads users; the group's except refuses him user creation.
    app.get("/1.0/me/identity/user", &bob).await.expect(200);
    app.post("/1.0/me/identity/user", &bob, new_user("dave"))
        .await
        .expect_error(403, "Client::Forbidden");
    // Carol, through the managed identity administrator group, creates one.
    app.post("/1.0/me/identity/user", &carol, new_user("dave"))
        .await
        .expect(200);
    // details=true embeds each group's name, owner and permissions.
    let id = bobs["id"].as_str().unwrap();
    let detailed = app
        .get(&format!("{POLICIES}/{id}?details=true"), &admin)
        .await
        .expect(200);
    let named = &detailed["permissionsGroups"][0];
    assert_eq!(named["urn"], own("userReaders"));
    assert_eq!(named["name"], "userReaders");
    assert_eq!(named["owner"], NIC);
    assert_eq!(
        named["permissions"]["except"],
        json!([{ "action": USER_CREATE }])
    );
    // A change to the group decides the next request, here and on another node once it has
    // applied the change's event.
    let other = app.another_node().await;
    other.get("/1.0/me/identity/user", &bob).await.expect(200);
    let mut denying = user_readers();
    denying["permissions"]["deny"] = json!([{ "action": USER_GET }]);
    app.put(&path(&own("userReaders")), &admin, denying)
        .await
        .expect(200);
    app.get("/1.0/me/identity/user", &bob)
        .await
        .expect_error(403, "Client::Forbidden");
    other.apply_revocation_events().await;
    other
        .get("/1.0/me/identity/user", &bob)
        .await
        .expect_error(403, "Client::Forbidden");
    drop(other);
    // A group a policy names is neither deleted nor renamed; its content may change.
    app.delete(&path(&own("userReaders")), &admin)
        .await
        .expect_error(409, "Client::Conflict");
    let mut renamed = user_readers();
    renamed["name"] = json!("other");
    app.put(&path(&own("userReaders")), &admin, renamed)
        .await
        .expect_error(409, "Client::Conflict");
    app.put(&path(&own("userReaders")), &admin, user_readers())
        .await
        .expect(200);
    app.get("/1.0/me/identity/user", &bob).await.expect(200);
    // Taken out of the policy, the group adds nothing, and may then go.
    app.put(
        &format!("{POLICIES}/{id}"),
        &admin,
        policy("bob", json!([])),
    )
    .await
    .expect(200);
    app.get("/1.0/me/identity/user", &bob)
        .await
        .expect_error(403, "Client::Forbidden");
    app.delete(&path(&own("userReaders")), &admin)
        .await
        .expect(200);
}

async fn bad_permissions_group_requests_are_refused_and_change_nothing(app: TestApp) {
    let admin = app.admin_pat().await;
    app.post(
        "/v2/admin/account",
        &admin,
        json!({ "nichandle": OTHER_NIC, "email": "b@example.com", "adminPassword": "account b password" }),
    )
    .await
    .expect(200);
    let b_admin = Auth::password(OTHER_NIC, "admin", "account b password");
    let allow = json!({ "allow": [{ "action": USER_GET }] });
    for body in [
        json!({ "name": "has space", "description": "", "permissions": allow }),
        json!({ "name": "a:b", "description": "", "permissions": allow }),
        json!({ "name": "x", "description": "" }),
        json!({ "name": "x", "description": "", "permissions": {} }),
        json!({ "name": "x", "description": "", "permissions": { "except": [{ "action": USER_GET }] } }),
        json!({ "name": "x", "description": "", "permissions": { "allow": [{ "action": "no colons" }] } }),
        json!({ "name": "x", "description": "", "permissions": allow, "readOnly": true }),
        json!({ "name": "x", "description": "\u{7}", "permissions": allow }),
    ] {
        app.post(GROUPS, &admin, body.clone())
            .await
            .expect_error(400, "Client::BadRequest");
    }
    assert_eq!(
        app.get(GROUPS, &admin)
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .len(),
        6
    );
    let body = json!({ "name": "mine", "description": "", "permissions": allow });
    app.post(GROUPS, &admin, body.clone()).await.expect(200);
    app.post(GROUPS, &admin, body.clone())
        .await
        .expect_error(409, "Client::Conflict");
    // Another account may use the name; it neither sees nor changes this account's group.
    app.post(GROUPS, &b_admin, body.clone()).await.expect(200);
    let mine = path(&own("mine"));
    app.get(&mine, &b_admin)
        .await
        .expect_error(404, "Client::NotFound");
    app.put(&mine, &b_admin, body.clone())
        .await
        .expect_error(404, "Client::NotFound");
    app.delete(&mine, &b_admin)
        .await
        .expect_error(404, "Client::NotFound");
    for bad in [
        "urn:v1:eu:permissionsGroup:nobody:mine",
        "urn:v1:ca:permissionsGroup:latchkey:accountReader",
        "not-a-urn",
    ] {
        app.get(&path(bad), &admin)
            .await
            .expect_error(400, "Client::BadRequest");
    }
    app.get(&path(&managed("noSuchGroup")), &admin)
        .await
        .expect_error(404, "Client::NotFound");
    // A policy names groups of its account or of the installation, each once.
    let policy = |groups: Value| {
        json!({ "name": "p", "identities": ["*"], "resources": [{ "urn": "*" }],
                "permissions": {}, "permissionsGroups": groups })
    };
    for groups in [
        json!([{ "urn": format!("urn:v1:eu:permissionsGroup:{OTHER_NIC}:mine") }]),
        json!([{ "urn": own("absent") }]),
        json!([{ "urn": "not-a-urn" }]),
        json!([{ "urn": own("mine") }, { "urn": own("mine") }]),
        json!([{}]),
        json!([]),
    ] {
        app.post(POLICIES, &admin, policy(groups.clone()))
            .await
            .expect_error(400, "Client::BadRequest");
    }
    let listed = app.get(POLICIES, &admin).await.expect(200);
    assert!(
        listed.as_array().unwrap().iter().all(|p| p["name"] != "p"),
        "{listed}"
    );
    // The owner may be spelled in capitals: the policy keeps the group's own URN, and the group
    // named that way is still known to be named.
    let shouted = format!("urn:v1:eu:permissionsGroup:{}:mine", NIC.to_uppercase());
    let made = app
        .post(
            POLICIES,
            &admin,
            policy(json!([{ "urn": shouted }, { "urn": managed("accountReader") }])),
        )
        .await
        .expect(200);
    assert_eq!(made["permissionsGroups"][0]["urn"], own("mine"));
    app.delete(&path(&shouted), &admin)
        .await
        .expect_error(409, "Client::Conflict");
    app.post(
        POLICIES,
        &admin,
        json!({ "name": "q", "identities": ["*"], "resources": [{ "urn": "*" }],
                "permissions": {}, "permissionsGroups": [{ "urn": shouted }, { "urn": own("mine") }] }),
    )
    .await
    .expect_error(400, "Client::BadRequest");
}
