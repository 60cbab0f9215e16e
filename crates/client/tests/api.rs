//! The SDK's typed calls against the real server: each call's request and answer shapes.

#![allow(clippy::unwrap_used)]

mod common;

use common::{ADMIN_PASSWORD, NIC, SharedTime, TestServer, admin_client, robot};
use latchkey_client::model::{
    ActionRef, Expiry, NewUser, Permissions, PermissionsGroupDraft, PermissionsGroupRef,
    PolicyDraft, PolicyFilter, ResourceRef, ServiceAccountChanges, UserChanges,
};
use latchkey_client::{
    Client, Credentials, Domain, Error, KeystoneScope, KeystoneUser, Renewal, Secret, Settings,
};
use reqwest::StatusCode;

latchkey_server::on_both_backends!(
    latchkey_server::testing::TestServer::spawn;
    users_groups_and_pats_round_trip,
    service_accounts_and_policies_round_trip,
    keystone_calls_with_a_password_from_an_openrc_file,
    the_operator_calls_accounts_keys_and_the_revocation_feed,
);

fn status(e: Error) -> StatusCode {
    e.status()
        .unwrap_or_else(|| panic!("not an API error: {e}"))
}

async fn users_groups_and_pats_round_trip(server: TestServer) {
    let admin = admin_client(&server).await;
    let me = admin.me().await.unwrap();
    assert_eq!(me.nichandle, NIC);
    assert_eq!(me.identity.login.as_deref(), Some("admin"));

    let group = admin
        .create_group("ops-team", "REGULAR", "operators")
        .await
        .unwrap();
    assert_eq!(group.role, "REGULAR");
    assert!(admin.list_groups().await.unwrap().contains(&group.name));
    let group = admin
        .update_group("ops-team", Some("ADMIN"), None)
        .await
        .unwrap();
    assert_eq!(
        (group.role.as_str(), group.description.as_str()),
        ("ADMIN", "operators")
    );
    assert_eq!(admin.get_group("ops-team").await.unwrap().role, "ADMIN");

    let user = admin
        .create_user(&NewUser {
            login: "alice".into(),
            email: "alice@example.com".into(),
            group: Some("ops-team".into()),
            description: "on call".into(),
            password: Secret::new("alice password 1"),
        })
        .await
        .unwrap();
    assert_eq!(user.urn, format!("urn:v1:eu:identity:user:{NIC}/alice"));
    assert!(admin.list_users().await.unwrap().contains(&"alice".into()));
    let user = admin
        .update_user(
            "alice",
            &UserChanges {
                description: Some("off call".into()),
                ..UserChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(user.description, "off call");

    let created = admin
        .create_pat("alice", "ci-deploy", "pipeline", Expiry::In(3600))
        .await
        .unwrap();
    assert!(created.token.expose().starts_with("lkpat_"));
    assert!(created.meta.expires_at.is_some());
    assert_eq!(
        admin.list_pats("alice").await.unwrap(),
        vec!["ci-deploy".to_owned()]
    );
    // The PAT carries alice's rights (her group is ADMIN).
    let as_alice = Client::new(server.base.clone(), Credentials::Pat(created.token)).unwrap();
    assert_eq!(
        as_alice.me().await.unwrap().identity.token.as_deref(),
        Some("ci-deploy")
    );
    let pat = admin
        .update_pat("alice", "ci-deploy", Some("nightly"), Some(Expiry::Never))
        .await
        .unwrap();
    assert_eq!(
        (pat.description.as_str(), pat.expires_at),
        ("nightly", None)
    );
    assert_eq!(
        admin
            .get_pat("alice", "ci-deploy")
            .await
            .unwrap()
            .description,
        "nightly"
    );

    admin.disable_user("alice").await.unwrap();
    assert_eq!(admin.get_user("alice").await.unwrap().status, "DISABLED");
    assert_eq!(
        status(as_alice.me().await.unwrap_err()),
        StatusCode::UNAUTHORIZED
    );
    admin.enable_user("alice").await.unwrap();
    as_alice.me().await.unwrap();
    admin.delete_pat("alice", "ci-deploy").await.unwrap();
    assert_eq!(
        status(as_alice.me().await.unwrap_err()),
        StatusCode::UNAUTHORIZED
    );

    // Errors keep the server's class and message.
    let err = admin.get_user("nobody").await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { status, class, .. } if *status == StatusCode::NOT_FOUND && class == "Client::NotFound"),
        "{err:?}"
    );
    admin.delete_user("alice").await.unwrap();
    admin.delete_group("ops-team").await.unwrap();
    assert_eq!(
        status(admin.get_group("ops-team").await.unwrap_err()),
        StatusCode::NOT_FOUND
    );
}

async fn service_accounts_and_policies_round_trip(server: TestServer) {
    let admin = admin_client(&server).await;
    let time = SharedTime::of(&server);
    let (robot, id, _) = robot(&server, &admin, time, Renewal::default()).await;
    assert!(admin.list_service_accounts().await.unwrap().contains(&id));
    let sa = admin
        .update_service_account(
            &id,
            &ServiceAccountChanges {
                name: Some("deployer".into()),
                ..ServiceAccountChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(sa.name, "deployer");
    assert_eq!(sa.flow, "CLIENT_CREDENTIALS");

    // The robot may read /me (its policy) but not list users.
    let account = format!("urn:v1:eu:resource:account:{NIC}");
    let check = robot
        .check_authorization(
            &account,
            &[
                "account:apiovh:me/get",
                "account:apiovh:me/identity/user/get",
            ],
        )
        .await;
    // The check itself needs its own action: not granted yet.
    assert_eq!(status(check.unwrap_err()), StatusCode::FORBIDDEN);
    let draft = PolicyDraft {
        name: "robot-reads-users".into(),
        description: "SDK".into(),
        identities: vec![sa.identity.clone()],
        resources: vec![ResourceRef {
            urn: account.clone(),
        }],
        permissions: Permissions {
            allow: vec![
                ActionRef {
                    action: "account:apiovh:me/identity/user/get".into(),
                },
                ActionRef {
                    action: "account:apiovh:iam/resource/authorization/check".into(),
                },
            ],
            ..Permissions::default()
        },
        conditions: None,
        permissions_groups: Vec::new(),
        expired_at: None,
    };
    let policy = admin.create_policy(&draft).await.unwrap();
    assert_eq!(policy.identities, vec![sa.identity.clone()]);
    let listed = admin
        .list_policies(&PolicyFilter {
            identities: vec![sa.identity.clone()],
            ..PolicyFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 2, "the test's me policy and this one");
    let check = robot
        .check_authorization(
            &account,
            &[
                "account:apiovh:me/identity/user/get",
                "account:apiovh:me/identity/user/delete",
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        check.authorized_actions,
        vec!["account:apiovh:me/identity/user/get"]
    );
    assert_eq!(
        check.unauthorized_actions,
        vec!["account:apiovh:me/identity/user/delete"]
    );
    assert!(robot.list_users().await.unwrap().contains(&"admin".into()));

    let mut narrower = draft.clone();
    narrower.permissions.allow.truncate(1);
    narrower.permissions.allow[0].action = "account:apiovh:me/get".into();
    let updated = admin.update_policy(&policy.id, &narrower).await.unwrap();
    assert_eq!(updated.permissions, narrower.permissions);
    assert_eq!(
        status(robot.list_users().await.unwrap_err()),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        admin.get_policy(&policy.id).await.unwrap().name,
        "robot-reads-users"
    );
    admin.delete_policy(&policy.id).await.unwrap();
    assert_eq!(
        status(admin.get_policy(&policy.id).await.unwrap_err()),
        StatusCode::NOT_FOUND
    );

    // A permissions group of the account gives the robot its actions through a policy.
    let managed = admin.list_permissions_groups().await.unwrap();
    assert!(
        managed
            .iter()
            .any(|g| g.name == "accountReader" && g.owner == "latchkey")
    );
    let readers = PermissionsGroupDraft {
        name: "userReaders".into(),
        description: "Read users".into(),
        permissions: Permissions {
            allow: vec![ActionRef {
                action: "account:apiovh:me/identity/user/get".into(),
            }],
            ..Permissions::default()
        },
    };
    let group = admin.create_permissions_group(&readers).await.unwrap();
    assert_eq!(
        group.urn,
        format!("urn:v1:eu:permissionsGroup:{NIC}:userReaders")
    );
    assert_eq!(
        admin.get_permissions_group(&group.urn).await.unwrap(),
        group
    );
    let mut through_group = draft.clone();
    through_group.permissions = Permissions {
        allow: vec![ActionRef {
            action: "account:apiovh:me/get".into(),
        }],
        ..Permissions::default()
    };
    through_group.permissions_groups = vec![PermissionsGroupRef {
        urn: group.urn.clone(),
    }];
    let policy = admin.create_policy(&through_group).await.unwrap();
    assert_eq!(policy.permissions_groups, through_group.permissions_groups);
    assert!(robot.list_users().await.unwrap().contains(&"admin".into()));
    let mut described = readers.clone();
    described.description = "Read the account's users".into();
    let replaced = admin
        .update_permissions_group(&group.urn, &described)
        .await
        .unwrap();
    assert_eq!(replaced.description, "Read the account's users");
    assert_eq!(
        status(
            admin
                .delete_permissions_group(&group.urn)
                .await
                .unwrap_err()
        ),
        StatusCode::CONFLICT
    );
    admin.delete_policy(&policy.id).await.unwrap();
    admin.delete_permissions_group(&group.urn).await.unwrap();
    assert_eq!(
        status(robot.list_users().await.unwrap_err()),
        StatusCode::FORBIDDEN
    );

    let resources = admin.list_resources().await.unwrap();
    assert_eq!(resources[0].urn, account);
    assert_eq!(admin.get_resource(&account).await.unwrap().kind, "account");
    let actions = admin.list_actions().await.unwrap();
    assert!(
        actions
            .iter()
            .any(|a| a.action == "account:apiovh:revocation/get")
    );

    admin.delete_service_account(&id).await.unwrap();
    assert_eq!(
        status(admin.get_service_account(&id).await.unwrap_err()),
        StatusCode::NOT_FOUND
    );
}

async fn keystone_calls_with_a_password_from_an_openrc_file(server: TestServer) {
    let admin = admin_client(&server).await;
    let rc = admin.openrc("admin", None, None).await.unwrap();
    assert!(rc.contains("export OS_USERNAME='admin'"), "{rc}");
    let settings = Settings::from_openrc(&rc, |name| {
        (name == "OS_PASSWORD").then(|| ADMIN_PASSWORD.to_owned())
    })
    .unwrap();
    let Credentials::KeystonePassword { user, scope, .. } = &settings.credentials else {
        panic!("a Keystone password credential")
    };
    assert_eq!(
        *user,
        KeystoneUser::Name {
            name: "admin".into(),
            domain: Domain::Name("Default".into())
        }
    );
    assert!(matches!(scope, KeystoneScope::ProjectId(_)));
    // The OpenRC names the server's public URL; this test server listens elsewhere.
    let ks = Client::new(server.base.clone(), settings.credentials).unwrap();

    let catalog = ks.keystone_catalog().await.unwrap();
    assert!(catalog.iter().any(|s| s["type"] == "identity"));
    let projects = ks.keystone_my_projects().await.unwrap();
    assert!(projects.iter().any(|p| p["name"] == "admin"));
    // A Keystone token authenticates /1.0 too.
    assert_eq!(
        ks.me().await.unwrap().identity.login.as_deref(),
        Some("admin")
    );

    let project = ks
        .keystone_create(
            "projects",
            serde_json::json!({ "name": "web", "description": "sdk" }),
        )
        .await
        .unwrap();
    let pid = project["id"].as_str().unwrap().to_owned();
    let roles = ks.keystone_list("roles").await.unwrap();
    let member = roles.iter().find(|r| r["name"] == "member").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = ks.keystone_list("users?name=admin").await.unwrap();
    let uid = me[0]["id"].as_str().unwrap().to_owned();
    ks.grant_project_role(&pid, &uid, &member).await.unwrap();

    let scoped = ks
        .issue_keystone_token(&KeystoneScope::ProjectId(pid.clone()))
        .await
        .unwrap();
    assert_eq!(scoped.body["project"]["name"], "web");
    assert!(scoped.expires_at().is_some());
    let body = ks
        .validate_keystone_token(scoped.value.expose())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(body["project"]["id"], pid.as_str());
    ks.revoke_keystone_token(scoped.value.expose())
        .await
        .unwrap();
    assert!(
        ks.validate_keystone_token(scoped.value.expose())
            .await
            .unwrap()
            .is_none()
    );
    ks.revoke_project_role(&pid, &uid, &member).await.unwrap();
    let renamed = ks
        .keystone_update("projects", &pid, serde_json::json!({ "name": "www" }))
        .await
        .unwrap();
    assert_eq!(renamed["name"], "www");
    assert_eq!(
        ks.keystone_get("projects", &pid).await.unwrap()["name"],
        "www"
    );
    ks.keystone_delete("projects", &pid).await.unwrap();
    assert_eq!(
        status(ks.keystone_get("projects", &pid).await.unwrap_err()),
        StatusCode::NOT_FOUND
    );

    // A PAT cannot make Keystone tokens: a clear configuration error, no request.
    assert!(matches!(
        admin.keystone_catalog().await.unwrap_err(),
        Error::Config(m) if m.contains("PAT")
    ));
}

async fn the_operator_calls_accounts_keys_and_the_revocation_feed(server: TestServer) {
    let admin = admin_client(&server).await;
    let start = admin.revocations(None).await.unwrap();
    assert!(start.events.is_empty());

    let created = admin
        .create_account("b@example.com", Some("lk0042-lk"))
        .await
        .unwrap();
    assert_eq!(created.account.nichandle, "lk0042-lk");
    assert_eq!(created.admin_login, "admin");
    let password = created.admin_password.expect("a generated password");
    assert!(
        admin
            .list_accounts()
            .await
            .unwrap()
            .contains(&"lk0042-lk".to_owned())
    );
    assert!(!admin.get_account("lk0042-lk").await.unwrap().operator);
    let b = Client::new(
        server.base.clone(),
        Credentials::KeystonePassword {
            user: KeystoneUser::Name {
                name: "admin".into(),
                domain: Domain::Name("lk0042-lk".into()),
            },
            password,
            scope: KeystoneScope::Unscoped,
        },
    )
    .unwrap();
    assert_eq!(b.me().await.unwrap().nichandle, "lk0042-lk");
    // Only the operator rotates keys.
    assert_eq!(
        status(b.rotate_keys().await.unwrap_err()),
        StatusCode::FORBIDDEN
    );
    let keys = admin.rotate_keys().await.unwrap();
    assert!(keys["keys"].as_array().is_some_and(|k| !k.is_empty()));
    let jwks = admin.jwks().await.unwrap();
    assert!(jwks["keys"].as_array().is_some_and(|k| !k.is_empty()));
    let meta = admin.authorization_server_metadata().await.unwrap();
    assert!(
        meta["token_endpoint"]
            .as_str()
            .unwrap()
            .ends_with("/auth/oauth2/token")
    );

    let pat = admin
        .create_pat("admin", "doomed", "", Expiry::Never)
        .await
        .unwrap();
    let id = admin.introspect(pat.token.expose()).await.unwrap()["jti"]
        .as_str()
        .unwrap()
        .to_owned();
    admin.delete_pat("admin", "doomed").await.unwrap();
    let page = admin.revocations(Some(start.cursor)).await.unwrap();
    assert!(
        page.events
            .iter()
            .any(|e| e.kind == "pat" && e.token.as_deref() == Some(&id))
    );
    assert!(page.cursor > start.cursor);
}
