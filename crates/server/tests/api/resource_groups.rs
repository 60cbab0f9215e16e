//! Resource groups through /v2/iam/resourceGroup, in OVHcloud's fields, and policies naming them:
//! every resource in the group, now and later.

use serde_json::{Value, json};

use crate::helpers::{Auth, NIC, TestApp};
use crate::resources::product_back_end as back_end;

crate::on_both_backends!(
    groups_are_created_read_replaced_and_deleted_in_ovhclouds_shape,
    a_policy_naming_a_group_covers_its_resources_now_and_later,
    bad_group_requests_are_refused_and_change_nothing,
);

const GROUPS: &str = "/v2/iam/resourceGroup";
const GET: &str = "objectStorage:apiovh:object/get";

fn urn_of(name: &str) -> String {
    format!("urn:v1:eu:resource:objectStorage:{name}")
}

/// Registers an objectStorage container for `owner`; its id.
async fn register(app: &TestApp, back_end: &Auth, owner: &str, name: &str) -> String {
    let made = crate::resources::register(app, back_end, owner, name, json!({})).await;
    made["id"].as_str().unwrap().to_owned()
}

async fn groups_are_created_read_replaced_and_deleted_in_ovhclouds_shape(app: TestApp) {
    let admin = app.admin_pat().await;
    let back_end = back_end(&app, &admin).await;
    let photos = register(&app, &back_end, NIC, "photos").await;
    let backups = register(&app, &back_end, NIC, "backups").await;
    let made = app
        .post(
            GROUPS,
            &admin,
            json!({ "name": "prodContainers", "resources": [{ "id": photos }] }),
        )
        .await
        .expect(200);
    let id = made["id"].as_str().unwrap().to_owned();
    assert_eq!(made["urn"], format!("urn:v1:eu:resourceGroup:{id}"));
    assert_eq!(made["name"], "prodContainers");
    assert_eq!(made["owner"], NIC);
    assert_eq!(made["readOnly"], false);
    assert_eq!(made["resources"], json!([{ "id": photos }]));
    assert!(made["createdAt"].is_string() && made["updatedAt"].is_string());

    let path = format!("{GROUPS}/{id}");
    let detailed = app
        .get(&format!("{path}?details=true"), &admin)
        .await
        .expect(200);
    assert_eq!(detailed["resources"][0]["urn"], urn_of("photos"));
    assert_eq!(detailed["resources"][0]["type"], "objectStorage");
    let listed = app.get(GROUPS, &admin).await.expect(200);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["resources"], json!([{ "id": photos }]));

    // PUT takes the name and the whole set again; by id or by URN.
    let replaced = app
        .put(
            &path,
            &admin,
            json!({ "name": "containers", "resources": [
            { "id": backups }, { "urn": urn_of("photos") }] }),
        )
        .await
        .expect(200);
    assert_eq!(replaced["name"], "containers");
    assert_eq!(
        replaced["resources"],
        json!([{ "id": backups }, { "id": photos }])
    );
    let log = app
        .get("/v2/audit/log?type=RESOURCE_GROUP_MODIFIED", &admin)
        .await
        .expect(200);
    let details = &log[0]["resourceGroupModifiedDetails"];
    assert_eq!(details["added"]["resources"], json!([urn_of("backups")]));
    assert_eq!(details["removed"]["resources"], json!([]));
    assert_eq!(details["old"]["name"], "prodContainers");
    assert_eq!(details["new"]["name"], "containers");

    app.delete(&path, &admin).await.expect(200);
    app.get(&path, &admin)
        .await
        .expect_error(404, "Client::NotFound");
    let created = app
        .get("/v2/audit/log?type=RESOURCE_GROUP_CREATED", &admin)
        .await
        .expect(200);
    assert_eq!(
        created[0]["resourceGroupCreatedDetails"]["added"]["resources"],
        json!([urn_of("photos")])
    );
    let deleted = app
        .get("/v2/audit/log?type=RESOURCE_GROUP_DELETED", &admin)
        .await
        .expect(200);
    assert_eq!(deleted.as_array().unwrap().len(), 1);
}

async fn a_policy_naming_a_group_covers_its_resources_now_and_later(app: TestApp) {
    let admin = app.admin_pat().await;
    let back_end = back_end(&app, &admin).await;
    let photos = register(&app, &back_end, NIC, "photos").await;
    let backups = register(&app, &back_end, NIC, "backups").await;
    let group = app
        .post(
            GROUPS,
            &admin,
            json!({ "name": "prod", "resources": [{ "id": photos }] }),
        )
        .await
        .expect(200);
    app.create_user(&admin, "bob", "DEFAULT").await;
    let bob = Auth::Bearer(app.create_pat(&admin, "bob", "work").await);
    app.post(
        "/v2/iam/policy",
        &admin,
        json!({
            "name": "bob-reads-prod",
            "identities": [format!("urn:v1:eu:identity:user:{NIC}/bob")],
            "resources": [{ "urn": group["urn"] }, { "urn": format!("urn:v1:eu:resource:account:{NIC}") }],
            "permissions": { "allow": [{ "action": GET },
                                       { "action": "account:apiovh:iam/resource/authorization/check" }] },
        }),
    )
    .await
    .expect(200);
    // details=true embeds what each URN names, as OVHcloud answers.
    let detailed = app
        .get("/v2/iam/policy?details=true", &admin)
        .await
        .expect(200);
    let bobs = detailed
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "bob-reads-prod")
        .unwrap();
    let named = &bobs["resources"];
    assert_eq!(named[0]["group"]["id"], group["id"]);
    assert_eq!(named[0]["group"]["name"], "prod");
    assert_eq!(named[0]["group"]["readOnly"], false);
    assert_eq!(named[1]["resource"]["type"], "account");
    assert_eq!(named[1]["resource"]["owner"], NIC);
    let id = bobs["id"].as_str().unwrap();
    let one = app
        .get(&format!("/v2/iam/policy/{id}?details=true"), &admin)
        .await
        .expect(200);
    assert_eq!(one["resources"], *named);
    let plain = app
        .get(&format!("/v2/iam/policy/{id}"), &admin)
        .await
        .expect(200);
    assert!(plain["resources"][0].get("group").is_none());
    let may = |name: &str| {
        let app = &app;
        let bob = &bob;
        let path = format!("/v2/iam/resource/{}/authorization/check", urn_of(name));
        async move {
            let v: Value = app
                .post(&path, bob, json!({ "actions": [GET] }))
                .await
                .expect(200);
            v["authorizedActions"] == json!([GET])
        }
    };
    assert!(may("photos").await);
    assert!(!may("backups").await);
    // A resource added to the group is covered from the next decision; one taken out is not.
    let path = format!("{GROUPS}/{}", group["id"].as_str().unwrap());
    app.put(
        &path,
        &admin,
        json!({ "name": "prod", "resources": [{ "id": backups }] }),
    )
    .await
    .expect(200);
    assert!(may("backups").await);
    assert!(!may("photos").await);
    // A group a policy names cannot be deleted.
    app.delete(&path, &admin)
        .await
        .expect_error(409, "Client::Conflict");
    // A resource the back end removes leaves its groups.
    app.delete(
        &format!("/v2/admin/resource/{}", urn_of("backups")),
        &back_end,
    )
    .await
    .expect(200);
    assert!(!may("backups").await);
    let now = app.get(&path, &admin).await.expect(200);
    assert_eq!(now["resources"], json!([]));
}

async fn bad_group_requests_are_refused_and_change_nothing(app: TestApp) {
    let admin = app.admin_pat().await;
    let back_end = back_end(&app, &admin).await;
    let photos = register(&app, &back_end, NIC, "photos").await;
    app.post(
        "/v2/admin/account",
        &admin,
        json!({ "nichandle": "lk0042-lk", "email": "b@example.com", "adminPassword": "account b password" }),
    )
    .await
    .expect(200);
    let theirs = register(&app, &back_end, "lk0042-lk", "theirs").await;
    let b_admin = Auth::password("lk0042-lk", "admin", "account b password");
    for body in [
        json!({ "name": "x", "resources": [{ "id": uuid::Uuid::new_v4().to_string() }] }),
        json!({ "name": "x", "resources": [{ "id": theirs }] }),
        json!({ "name": "x", "resources": [{ "id": "not-a-uuid" }] }),
        json!({ "name": "x", "resources": [{ "urn": format!("urn:v1:eu:resource:account:{NIC}") }] }),
        json!({ "name": "x", "resources": [{}] }),
        json!({ "name": "has space", "resources": [{ "id": photos }] }),
        json!({ "name": "x", "resources": [], "readOnly": true }),
        json!({ "resources": [] }),
    ] {
        app.post(GROUPS, &admin, body.clone())
            .await
            .expect_error(400, "Client::BadRequest");
    }
    assert_eq!(app.get(GROUPS, &admin).await.expect(200), json!([]));
    let group = app
        .post(
            GROUPS,
            &admin,
            json!({ "name": "mine", "resources": [{ "id": photos }] }),
        )
        .await
        .expect(200);
    app.post(GROUPS, &admin, json!({ "name": "mine" }))
        .await
        .expect_error(409, "Client::Conflict");
    // Another account neither sees nor changes it, nor names it in a policy.
    let path = format!("{GROUPS}/{}", group["id"].as_str().unwrap());
    app.get(&path, &b_admin)
        .await
        .expect_error(404, "Client::NotFound");
    app.put(
        &path,
        &b_admin,
        json!({ "name": "stolen", "resources": [] }),
    )
    .await
    .expect_error(404, "Client::NotFound");
    app.delete(&path, &b_admin)
        .await
        .expect_error(404, "Client::NotFound");
    let naming = |urn: &str| {
        json!({
        "name": "via-group", "identities": ["*"], "resources": [{ "urn": urn }],
        "permissions": { "allow": [{ "action": GET }] } })
    };
    app.post(
        "/v2/iam/policy",
        &b_admin,
        naming(group["urn"].as_str().unwrap()),
    )
    .await
    .expect_error(400, "Client::BadRequest");
    app.post(
        "/v2/iam/policy",
        &admin,
        naming(&format!("urn:v1:eu:resourceGroup:{}", uuid::Uuid::new_v4())),
    )
    .await
    .expect_error(400, "Client::BadRequest");
    app.post(
        "/v2/iam/policy",
        &admin,
        naming("urn:v1:eu:resourceGroup:*"),
    )
    .await
    .expect_error(400, "Client::BadRequest");
    assert_eq!(
        app.get("/v2/iam/policy", &b_admin).await.expect(200),
        json!([])
    );
    app.get(&format!("{GROUPS}/not-a-uuid"), &admin)
        .await
        .expect_error(400, "Client::BadRequest");
    app.get(&format!("{GROUPS}?colour=blue"), &admin)
        .await
        .expect_error(400, "Client::BadRequest");
    let unchanged = app.get(&path, &admin).await.expect(200);
    assert_eq!(unchanged["name"], "mine");
}
