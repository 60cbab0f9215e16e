//! IAM policies through /v2/iam: the seed's service-account example end to end, the management
//! API, what policies grant (and never grant), and bad input.

use chrono::TimeDelta;
use latchkey_core::authz::all_actions;
use serde_json::{Value, json};

use crate::helpers::{Auth, NIC, TestApp};
use crate::oauth2::{Client, access_token, service_account};

crate::on_both_backends!(
    seed_policy_lets_a_service_account_manage_clients_and_nothing_else,
    policy_crud_round_trips_every_field,
    listing_filters_and_pages_with_a_cursor,
    a_regular_user_cannot_grant_itself_rights_without_policy_edit,
    a_pat_carries_exactly_its_users_rights,
    deny_except_and_expiry_apply_through_the_api,
    another_accounts_policies_are_unreachable_and_grant_nothing,
    bad_policy_requests_are_refused_and_store_nothing,
    resources_and_authorization_checks,
    the_action_reference_lists_every_enforced_action,
    policies_survive_a_restart,
);

const POLICIES: &str = "/v2/iam/policy";
const ACCOUNT_URN: &str = "urn:v1:eu:resource:account:lk0001-lk";

fn user_urn(login: &str) -> String {
    format!("urn:v1:eu:identity:user:{NIC}/{login}")
}

fn client_urn(client: &Client) -> String {
    format!("urn:v1:eu:identity:credential:{NIC}/oauth2-{}", client.id)
}

/// A policy body allowing `allow` to `identities` on the account.
fn allowing(name: &str, identities: &[&str], allow: &[&str]) -> Value {
    json!({
        "name": name,
        "description": "test policy",
        "identities": identities,
        "resources": [{ "urn": ACCOUNT_URN }],
        "permissions": {
            "allow": allow.iter().map(|a| json!({ "action": a })).collect::<Vec<_>>(),
        },
    })
}

async fn create_policy(app: &TestApp, auth: &Auth, body: Value) -> Value {
    app.post(POLICIES, auth, body).await.expect(200)
}

/// The actions a 403 names.
fn refused_actions(reply: &crate::helpers::Reply) -> String {
    reply.expect_error(403, "Client::Forbidden");
    reply.json()["details"]["unauthorizedActionsByIAM"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn seed_policy_lets_a_service_account_manage_clients_and_nothing_else(app: TestApp) {
    let admin = app.admin_pat().await;
    let client = service_account(&app, &admin).await;
    let sa = Auth::Bearer(access_token(&app, &client).await);
    let clients = "/1.0/me/api/oauth2/client";
    assert_eq!(
        refused_actions(&app.get(clients, &sa).await),
        "account:apiovh:me/api/oauth2/client/get"
    );

    // The seed's example, adapted to this account.
    let policy = create_policy(
        &app,
        &admin,
        json!({
            "description": "Demo for service account guide",
            "identities": [client_urn(&client)],
            "name": "Demo-service-account",
            "permissions": { "allow": [
                { "action": "account:apiovh:me/api/oauth2/client/get" },
                { "action": "account:apiovh:me/api/oauth2/client/create" },
                { "action": "account:apiovh:me/api/oauth2/client/edit" },
                { "action": "account:apiovh:me/api/oauth2/client/delete" },
            ]},
            "resources": [{ "urn": ACCOUNT_URN }],
        }),
    )
    .await;

    // The very next request is decided by it.
    app.get(clients, &sa).await.expect(200);
    let created = app
        .post(
            clients,
            &sa,
            json!({ "callbackUrls": [], "flow": "CLIENT_CREDENTIALS", "name": "made by sa", "description": "" }),
        )
        .await
        .expect(200);
    let other = created["clientId"].as_str().unwrap();
    app.put(
        &format!("{clients}/{other}"),
        &sa,
        json!({ "description": "edited by sa" }),
    )
    .await
    .expect(200);
    app.delete(&format!("{clients}/{other}"), &sa)
        .await
        .expect(200);
    // Everything else stays refused.
    assert_eq!(
        refused_actions(&app.get("/1.0/me/identity/user", &sa).await),
        "account:apiovh:me/identity/user/get"
    );
    refused_actions(&app.get("/1.0/me", &sa).await);
    refused_actions(&app.get(POLICIES, &sa).await);

    // The listing counts the policies attached to each service account.
    let listed = app
        .client
        .get(format!("{}{clients}", app.base))
        .bearer_auth(match &admin {
            Auth::Bearer(t) => t.clone(),
            _ => unreachable!(),
        })
        .header("X-Pagination-Mode", "CachedObjectList-Pages")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let ours = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["clientId"] == client.id.as_str())
        .unwrap();
    assert_eq!(ours["associatedPolicies"], 1, "{listed}");
    let shown = app
        .get(&format!("{clients}/{}", client.id), &admin)
        .await
        .expect(200);
    assert_eq!(shown["associatedPolicies"], 1);

    // Detaching the policy takes the rights away on the next call.
    let id = policy["id"].as_str().unwrap();
    app.delete(&format!("{POLICIES}/{id}"), &admin)
        .await
        .expect(200);
    refused_actions(&app.get(clients, &sa).await);
}

async fn policy_crud_round_trips_every_field(app: TestApp) {
    let admin = app.admin_pat().await;
    let body = json!({
        "name": "ops-read",
        "description": "Operators read users",
        "identities": ["urn:v1:eu:identity:group:lk0001-lk/ops", "urn:v1:eu:identity:user:lk0001-lk/*"],
        "resources": [{ "urn": ACCOUNT_URN }, { "urn": "urn:v1:eu:resource:vps:*" }],
        "permissions": {
            "allow": [{ "action": "account:apiovh:me/identity/*" }],
            "except": [{ "action": "account:apiovh:me/identity/user/delete" }],
            "deny": [{ "action": "account:apiovh:me/identity/group/delete" }],
        },
        "permissionsGroups": [],
        "expiredAt": "2030-01-02T03:04:05Z",
    });
    let created = create_policy(&app, &admin, body.clone()).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4);
    for field in [
        "name",
        "description",
        "identities",
        "resources",
        "permissions",
        "permissionsGroups",
    ] {
        assert_eq!(created[field], body[field], "{field}");
    }
    assert_eq!(created["expiredAt"], "2030-01-02T03:04:05Z");
    assert_eq!(created["readOnly"], false);
    assert_eq!(created["owner"], NIC);
    assert!(created["createdAt"].is_string() && created["updatedAt"].is_string());

    let path = format!("{POLICIES}/{id}");
    assert_eq!(app.get(&path, &admin).await.expect(200), created);
    assert_eq!(
        app.get(POLICIES, &admin).await.expect(200),
        json!([created])
    );

    // A name is unique in the account.
    app.post(POLICIES, &admin, allowing("ops-read", &["*"], &["*"]))
        .await
        .expect_error(409, "Client::Conflict");
    // PUT replaces everything.
    app.advance(TimeDelta::seconds(5));
    let replaced = app
        .put(
            &path,
            &admin,
            allowing(
                "ops-read-v2",
                &[&user_urn("john")],
                &["account:apiovh:me/get"],
            ),
        )
        .await
        .expect(200);
    assert_eq!(replaced["id"], id);
    assert_eq!(replaced["name"], "ops-read-v2");
    assert_eq!(replaced["identities"], json!([user_urn("john")]));
    assert_eq!(replaced["permissions"]["except"], json!([]));
    assert_eq!(replaced["expiredAt"], Value::Null);
    assert_eq!(replaced["createdAt"], created["createdAt"]);
    assert_ne!(replaced["updatedAt"], created["updatedAt"]);
    // Renaming onto another policy's name is a conflict too.
    create_policy(&app, &admin, allowing("second", &["*"], &["*"])).await;
    app.put(&path, &admin, allowing("second", &["*"], &["*"]))
        .await
        .expect_error(409, "Client::Conflict");

    app.delete(&path, &admin).await.expect(200);
    app.get(&path, &admin)
        .await
        .expect_error(404, "Client::NotFound");
    app.delete(&path, &admin)
        .await
        .expect_error(404, "Client::NotFound");
    app.put(&path, &admin, allowing("gone", &["*"], &["*"]))
        .await
        .expect_error(404, "Client::NotFound");
}

async fn listing_filters_and_pages_with_a_cursor(app: TestApp) {
    let admin = app.admin_pat().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let who = user_urn(&format!("user{}", i % 2));
        let action = if i < 3 {
            "account:apiovh:me/get"
        } else {
            "account:apiovh:me/identity/user/get"
        };
        let p = create_policy(&app, &admin, allowing(&format!("p{i}"), &[&who], &[action])).await;
        ids.push(p["id"].as_str().unwrap().to_owned());
        app.advance(TimeDelta::milliseconds(1));
    }
    let names = |v: Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let user0 = urlencode(&user_urn("user0"));
    let by_identity = app
        .get(&format!("{POLICIES}?identity[]={user0}"), &admin)
        .await
        .expect(200);
    assert_eq!(names(by_identity), ["p0", "p2", "p4"]);
    let by_action = app
        .get(
            &format!("{POLICIES}?action[]=account:apiovh:me/identity/user/get"),
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(names(by_action), ["p3", "p4"]);
    let both = app
        .get(
            &format!("{POLICIES}?identity[]={user0}&action=account:apiovh:me/get"),
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(names(both), ["p0", "p2"]);
    let by_resource = app
        .get(
            &format!("{POLICIES}?resourceURN[]={}", urlencode(ACCOUNT_URN)),
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(names(by_resource).len(), 5);
    let other = app
        .get(
            &format!(
                "{POLICIES}?resourceURN[]={}",
                urlencode("urn:v1:eu:resource:vps:x")
            ),
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(other, json!([]));
    assert_eq!(
        app.get(&format!("{POLICIES}?readOnly=true"), &admin)
            .await
            .expect(200),
        json!([])
    );
    assert_eq!(
        names(
            app.get(&format!("{POLICIES}?readOnly=false"), &admin)
                .await
                .expect(200)
        )
        .len(),
        5
    );

    // Pages of two, following the cursor, give each policy once and in order.
    let token = match &admin {
        Auth::Bearer(t) => t.clone(),
        _ => unreachable!(),
    };
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let mut req = app
            .client
            .get(format!("{}{POLICIES}", app.base))
            .bearer_auth(&token)
            .header("X-Pagination-Size", "2");
        if let Some(c) = &cursor {
            req = req.header("X-Pagination-Cursor", c);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200);
        cursor = res
            .headers()
            .get("X-Pagination-Cursor-Next")
            .map(|v| v.to_str().unwrap().to_owned());
        seen.extend(names(res.json().await.unwrap()));
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, ["p0", "p1", "p2", "p3", "p4"]);

    for (header, value) in [
        ("X-Pagination-Size", "0"),
        ("X-Pagination-Size", "1001"),
        ("X-Pagination-Size", "ten"),
        ("X-Pagination-Cursor", "not a cursor!"),
    ] {
        let res = app
            .client
            .get(format!("{}{POLICIES}", app.base))
            .bearer_auth(&token)
            .header(header, value)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{header}: {value}");
    }
    app.get(&format!("{POLICIES}?identities[]=x"), &admin)
        .await
        .expect_error(400, "Client::BadRequest");
    app.get(&format!("{POLICIES}?readOnly=maybe"), &admin)
        .await
        .expect_error(400, "Client::BadRequest");
}

fn urlencode(s: &str) -> String {
    s.replace(':', "%3A")
        .replace('/', "%2F")
        .replace('*', "%2A")
}

/// Creates a user in the REGULAR default group and returns a PAT of theirs (made by the admin).
async fn regular_user(app: &TestApp, admin: &Auth, login: &str) -> Auth {
    app.create_user(admin, login, "DEFAULT").await;
    Auth::Bearer(app.create_pat(admin, login, "work").await)
}

async fn a_regular_user_cannot_grant_itself_rights_without_policy_edit(app: TestApp) {
    let admin = app.admin_pat().await;
    let bob = regular_user(&app, &admin, "bob").await;
    let everything = allowing("bob-everything", &[&user_urn("bob")], &["*"]);
    assert_eq!(
        refused_actions(&app.post(POLICIES, &bob, everything.clone()).await),
        "account:apiovh:iam/policy/create"
    );
    // Bob may read policies, and that is all.
    let readable = create_policy(
        &app,
        &admin,
        allowing(
            "bob-reads-policies",
            &[&user_urn("bob")],
            &["account:apiovh:iam/policy/get"],
        ),
    )
    .await;
    let path = format!("{POLICIES}/{}", readable["id"].as_str().unwrap());
    app.get(&path, &bob).await.expect(200);
    assert_eq!(
        refused_actions(&app.put(&path, &bob, everything.clone()).await),
        "account:apiovh:iam/policy/edit"
    );
    refused_actions(&app.delete(&path, &bob).await);
    refused_actions(&app.get("/1.0/me/identity/user", &bob).await);
    // Only once a policy allows iam/policy/edit can bob widen his own rights.
    create_policy(
        &app,
        &admin,
        allowing(
            "bob-edits-policies",
            &[&user_urn("bob")],
            &["account:apiovh:iam/policy/edit"],
        ),
    )
    .await;
    app.put(&path, &bob, everything).await.expect(200);
    app.get("/1.0/me/identity/user", &bob).await.expect(200);
}

async fn a_pat_carries_exactly_its_users_rights(app: TestApp) {
    let admin = app.admin_pat().await;
    let carol_pat = regular_user(&app, &admin, "carol").await;
    let carol_password = Auth::password(NIC, "carol", "carol password");
    create_policy(
        &app,
        &admin,
        allowing(
            "carol-reads-users",
            &[&user_urn("carol")],
            &["account:apiovh:me/identity/user/get"],
        ),
    )
    .await;
    let new_user = json!({ "login": "dave", "email": "dave@example.com", "group": "DEFAULT", "password": "dave password" });
    for carol in [&carol_pat, &carol_password] {
        app.get("/1.0/me/identity/user", carol).await.expect(200);
        assert_eq!(
            refused_actions(
                &app.post("/1.0/me/identity/user", carol, new_user.clone())
                    .await
            ),
            "account:apiovh:me/identity/user/create"
        );
        // Not even a token for herself: that needs its own action.
        refused_actions(
            &app.post(
                "/1.0/me/identity/user/carol/token",
                carol,
                json!({ "name": "more", "description": "" }),
            )
            .await,
        );
    }
    // Moving carol into an ADMIN group gives her PAT the group's rights, and back.
    app.put(
        "/1.0/me/identity/user/carol",
        &admin,
        json!({ "group": "ADMIN" }),
    )
    .await
    .expect(200);
    app.post("/1.0/me/identity/user", &carol_pat, new_user)
        .await
        .expect(200);
    app.put(
        "/1.0/me/identity/user/carol",
        &admin,
        json!({ "group": "UNPRIVILEGED" }),
    )
    .await
    .expect(200);
    refused_actions(&app.delete("/1.0/me/identity/user/dave", &carol_pat).await);
}

async fn deny_except_and_expiry_apply_through_the_api(app: TestApp) {
    let admin = app.admin_pat().await;
    let erin = regular_user(&app, &admin, "erin").await;
    let group = format!("urn:v1:eu:identity:group:{NIC}/DEFAULT");
    let mut broad = allowing(
        "default-group-identity",
        &[&group],
        &["account:apiovh:me/identity/*"],
    );
    broad["permissions"]["except"] = json!([{ "action": "account:apiovh:me/identity/group/*" }]);
    create_policy(&app, &admin, broad).await;
    app.get("/1.0/me/identity/user", &erin).await.expect(200);
    refused_actions(&app.get("/1.0/me/identity/group", &erin).await);

    let mut deny = allowing("no-user-listing-for-erin", &[&user_urn("erin")], &[]);
    deny["permissions"] = json!({ "deny": [{ "action": "account:apiovh:me/identity/user/get" }] });
    let deny = create_policy(&app, &admin, deny).await;
    refused_actions(&app.get("/1.0/me/identity/user", &erin).await);
    // The deny expires: the allow applies again.
    let mut expiring = deny.clone();
    let expires = app.clock_now() + TimeDelta::minutes(10);
    expiring["expiredAt"] = json!(expires.to_rfc3339());
    let id = deny["id"].as_str().unwrap();
    let body = json!({
        "name": expiring["name"], "description": "", "identities": expiring["identities"],
        "resources": expiring["resources"], "permissions": expiring["permissions"],
        "expiredAt": expiring["expiredAt"],
    });
    app.put(&format!("{POLICIES}/{id}"), &admin, body)
        .await
        .expect(200);
    refused_actions(&app.get("/1.0/me/identity/user", &erin).await);
    app.advance(TimeDelta::minutes(11));
    app.get("/1.0/me/identity/user", &erin).await.expect(200);
}

async fn another_accounts_policies_are_unreachable_and_grant_nothing(app: TestApp) {
    let admin = app.admin_pat().await;
    app.post(
        "/v2/admin/account",
        &admin,
        json!({ "nichandle": "lk0042-lk", "email": "b@example.com", "adminPassword": "account b password" }),
    )
    .await
    .expect(200);
    let b_admin = Auth::password("lk0042-lk", "admin", "account b password");
    app.create_user(&b_admin, "frank", "DEFAULT").await;
    let frank = Auth::password("lk0042-lk", "frank", "frank password");
    // A's policy names B's user and B's account: it grants nothing there.
    let policy = create_policy(
        &app,
        &admin,
        json!({
            "name": "reach-into-b",
            "identities": ["urn:v1:eu:identity:user:lk0042-lk/frank", "*"],
            "resources": [{ "urn": "urn:v1:eu:resource:account:lk0042-lk" }, { "urn": "*" }],
            "permissions": { "allow": [{ "action": "*" }] },
        }),
    )
    .await;
    refused_actions(&app.get("/1.0/me/identity/user", &frank).await);
    let path = format!("{POLICIES}/{}", policy["id"].as_str().unwrap());
    app.get(&path, &b_admin)
        .await
        .expect_error(404, "Client::NotFound");
    app.put(&path, &b_admin, allowing("x", &["*"], &["*"]))
        .await
        .expect_error(404, "Client::NotFound");
    app.delete(&path, &b_admin)
        .await
        .expect_error(404, "Client::NotFound");
    assert_eq!(app.get(POLICIES, &b_admin).await.expect(200), json!([]));
    app.get(&path, &admin).await.expect(200);
}

async fn bad_policy_requests_are_refused_and_store_nothing(app: TestApp) {
    let admin = app.admin_pat().await;
    let good = allowing("good", &[&user_urn("john")], &["account:apiovh:me/get"]);
    let with = |pointer: &str, value: Value| {
        let mut body = good.clone();
        *body.pointer_mut(pointer).unwrap() = value;
        body
    };
    let many: Vec<String> = (0..101).map(|i| user_urn(&format!("u{i}"))).collect();
    let cases = [
        with("/identities", json!([])),
        with("/identities", json!(["john"])),
        with(
            "/identities",
            json!(["urn:v1:eu:identity:user:lk0001-lk/jo*hn"]),
        ),
        with("/identities", json!([ACCOUNT_URN])),
        with("/identities", json!(many)),
        with("/resources", json!([])),
        with(
            "/resources",
            json!([{ "urn": "urn:v1:eu:identity:user:lk0001-lk/john" }]),
        ),
        with("/resources", json!([{ "urn": ACCOUNT_URN, "extra": 1 }])),
        with("/resources", json!([ACCOUNT_URN])),
        with("/permissions", json!({})),
        with(
            "/permissions",
            json!({ "allow": [{ "action": "not an action" }] }),
        ),
        with("/permissions", json!({ "allow": [{ "action": "me/get" }] })),
        with("/permissions", json!({ "except": [{ "action": "a:b:c" }] })),
        with(
            "/permissions",
            json!({ "allow": [{ "action": "a:b:c" }], "grant": [] }),
        ),
        with("/name", json!("")),
        with("/name", json!("has space")),
        with("/name", json!("ovh-admin")),
        with("/description", json!("x".repeat(2000))),
        json!({ "name": "x", "identities": ["*"], "resources": [{ "urn": "*" }], "permissions": { "allow": [{ "action": "*" }] }, "owner": "me" }),
        json!({ "name": "x", "identities": ["*"], "resources": [{ "urn": "*" }], "permissions": { "allow": [{ "action": "*" }] }, "expiredAt": "tomorrow" }),
        json!({ "name": "x", "identities": ["*"], "resources": [{ "urn": "*" }], "permissions": { "allow": [{ "action": "*" }] }, "permissionsGroups": [{ "urn": "urn:v1:eu:permissionsGroup:x" }] }),
        json!({ "identities": ["*"], "resources": [{ "urn": "*" }], "permissions": { "allow": [{ "action": "*" }] } }),
        json!([]),
    ];
    for body in cases {
        let message = app
            .post(POLICIES, &admin, body.clone())
            .await
            .expect_error(400, "Client::BadRequest");
        assert!(!message.is_empty(), "{body}");
    }
    let too_many_actions: Vec<Value> = (0..501)
        .map(|i| json!({ "action": format!("a:b:c{i}") }))
        .collect();
    app.post(
        POLICIES,
        &admin,
        with("/permissions", json!({ "allow": too_many_actions })),
    )
    .await
    .expect_error(400, "Client::BadRequest");
    assert_eq!(app.get(POLICIES, &admin).await.expect(200), json!([]));
    app.get(&format!("{POLICIES}/not-a-uuid"), &admin)
        .await
        .expect_error(400, "Client::BadRequest");
    app.get(&format!("{POLICIES}/{}", uuid::Uuid::new_v4()), &admin)
        .await
        .expect_error(404, "Client::NotFound");
}

async fn resources_and_authorization_checks(app: TestApp) {
    let admin = app.admin_pat().await;
    let listed = app.get("/v2/iam/resource", &admin).await.expect(200);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["urn"], ACCOUNT_URN);
    assert_eq!(listed[0]["type"], "account");
    assert_eq!(listed[0]["owner"], NIC);
    let one = app
        .get(&format!("/v2/iam/resource/{ACCOUNT_URN}"), &admin)
        .await
        .expect(200);
    assert_eq!(one, listed[0]);
    app.get(
        "/v2/iam/resource/urn:v1:eu:resource:account:lk0042-lk",
        &admin,
    )
    .await
    .expect_error(404, "Client::NotFound");
    app.get("/v2/iam/resource/not-a-urn", &admin)
        .await
        .expect_error(400, "Client::BadRequest");

    let client = service_account(&app, &admin).await;
    create_policy(
        &app,
        &admin,
        allowing(
            "sa-checks",
            &[&client_urn(&client)],
            &[
                "account:apiovh:me/api/oauth2/client/get",
                "account:apiovh:iam/resource/authorization/check",
            ],
        ),
    )
    .await;
    let sa = Auth::Bearer(access_token(&app, &client).await);
    let check = format!("/v2/iam/resource/{ACCOUNT_URN}/authorization/check");
    let asked = json!({ "actions": ["account:apiovh:me/api/oauth2/client/get", "account:apiovh:me/identity/user/get", "account:apiovh:admin/keys/rotate"] });
    let answer = app.post(&check, &sa, asked.clone()).await.expect(200);
    assert_eq!(
        answer["authorizedActions"],
        json!(["account:apiovh:me/api/oauth2/client/get"])
    );
    assert_eq!(
        answer["unauthorizedActions"],
        json!([
            "account:apiovh:me/identity/user/get",
            "account:apiovh:admin/keys/rotate"
        ])
    );
    // The operator's ROOT user may do all three; on another account's resource, nothing.
    let answer = app.post(&check, &admin, asked.clone()).await.expect(200);
    assert_eq!(answer["unauthorizedActions"], json!([]));
    let elsewhere = app
        .post(
            "/v2/iam/resource/urn:v1:eu:resource:account:lk0042-lk/authorization/check",
            &sa,
            asked,
        )
        .await
        .expect(200);
    assert_eq!(elsewhere["authorizedActions"], json!([]));
    for bad in [
        json!({ "actions": [] }),
        json!({ "actions": ["account:apiovh:*"] }),
        json!({ "actions": ["nope"] }),
        json!({}),
    ] {
        app.post(&check, &sa, bad)
            .await
            .expect_error(400, "Client::BadRequest");
    }
    // Even a policy allowing everything everywhere reaches neither another account nor the
    // operator's actions.
    let mut everything = allowing("sa-everything", &[&client_urn(&client)], &["*"]);
    everything["resources"] = json!([{ "urn": "*" }]);
    create_policy(&app, &admin, everything).await;
    let asked = json!({ "actions": ["account:apiovh:me/identity/user/get", "account:apiovh:admin/keys/rotate"] });
    let own = app.post(&check, &sa, asked.clone()).await.expect(200);
    assert_eq!(
        own["authorizedActions"],
        json!(["account:apiovh:me/identity/user/get"])
    );
    assert_eq!(
        own["unauthorizedActions"],
        json!(["account:apiovh:admin/keys/rotate"])
    );
    let elsewhere = app
        .post(
            "/v2/iam/resource/urn:v1:eu:resource:account:lk0042-lk/authorization/check",
            &sa,
            asked,
        )
        .await
        .expect(200);
    assert_eq!(elsewhere["authorizedActions"], json!([]));
    // Without the check action, the check itself is refused.
    let other = service_account(&app, &admin).await;
    let other = Auth::Bearer(access_token(&app, &other).await);
    assert_eq!(
        refused_actions(
            &app.post(&check, &other, json!({ "actions": ["a:b:c"] }))
                .await
        ),
        "account:apiovh:iam/resource/authorization/check"
    );
}

async fn the_action_reference_lists_every_enforced_action(app: TestApp) {
    let admin = app.admin_pat().await;
    let listed = app
        .get("/v2/iam/reference/action", &admin)
        .await
        .expect(200);
    let mut names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    let mut enforced: Vec<&str> = all_actions().map(|a| a.name).collect();
    enforced.sort_unstable();
    assert_eq!(names, enforced);
    let create = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "account:apiovh:iam/policy/create")
        .unwrap();
    assert_eq!(create["resourceType"], "account");
    assert_eq!(create["categories"], json!(["CREATE"]));
    assert!(!create["description"].as_str().unwrap().is_empty());
}

async fn policies_survive_a_restart(mut app: TestApp) {
    let admin = app.admin_pat().await;
    let client = service_account(&app, &admin).await;
    create_policy(
        &app,
        &admin,
        allowing(
            "sa-reads-clients",
            &[&client_urn(&client)],
            &["account:apiovh:me/api/oauth2/client/get"],
        ),
    )
    .await;
    app.restart().await;
    let sa = Auth::Bearer(access_token(&app, &client).await);
    app.get("/1.0/me/api/oauth2/client", &sa).await.expect(200);
    refused_actions(&app.get("/1.0/me/identity/user", &sa).await);
}
