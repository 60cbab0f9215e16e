//! The audit log: each change appears after its action with its author, address, details and
//! request id, in OVHcloud's shape at `/1.0/me/logs/audit` and whole at `/v2/audit/log`; rights
//! and accounts are kept apart; failed logins are coalesced; no record holds a secret.

use latchkey_core::audit::AuditQuery;
use serde_json::{Value, json};

use crate::helpers::{Auth, NIC, TestApp};

crate::on_both_backends!(
    each_change_is_recorded_with_its_author_address_details_and_request_id,
    the_ovhcloud_route_answers_ovhcloud_types_only,
    a_regular_user_needs_the_audit_action,
    an_account_never_sees_another_accounts_records,
    failed_logins_are_recorded_and_coalesced,
    token_issue_and_grants_are_recorded,
    the_log_pages_by_cursor_and_refuses_bad_filters,
    no_record_holds_a_secret,
    records_past_the_retention_are_pruned,
    a_forwarded_address_is_believed_from_a_trusted_proxy_only,
    refused_calls_are_recorded_with_the_action_and_coalesced,
);

/// OVHcloud's `audit.LogTypeEnum`.
const OVH_TYPES: &[&str] = &[
    "ACCOUNT_PASSWORD_CHANGED",
    "GROUP_CREATED",
    "GROUP_DELETED",
    "GROUP_MODIFIED",
    "LOGIN_SUCCESS",
    "POLICY_CREATED",
    "POLICY_DELETED",
    "POLICY_MODIFIED",
    "PROVIDER_CREATED",
    "PROVIDER_DELETED",
    "PROVIDER_MODIFIED",
    "RESOURCE_GROUP_CREATED",
    "RESOURCE_GROUP_DELETED",
    "RESOURCE_GROUP_MODIFIED",
    "TOKEN_CREATED",
    "TOKEN_DELETED",
    "TOKEN_MODIFIED",
    "USER_CREATED",
    "USER_DELETED",
    "USER_MODIFIED",
    "USER_PASSWORD_CHANGED",
];

/// The newest record of `kind` in `log`.
fn newest<'a>(log: &'a Value, kind: &str) -> &'a Value {
    log.as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} record in {log}"))
}

async fn with_request_id(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    auth: &Auth,
    body: Value,
    id: &str,
) -> u16 {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.base))
        .header("X-Request-Id", id)
        .header("User-Agent", "audit-test/1.0")
        .json(&body);
    request = match auth {
        Auth::Bearer(token) => request.bearer_auth(token),
        Auth::Basic(user, password) => request.basic_auth(user, Some(password)),
        _ => request,
    };
    request.send().await.unwrap().status().as_u16()
}

async fn each_change_is_recorded_with_its_author_address_details_and_request_id(app: TestApp) {
    let admin = app.admin_pat().await;
    app.create_user(&admin, "alice", "DEFAULT").await;
    app.create_pat(&admin, "alice", "alice-ci").await;
    let status = with_request_id(
        &app,
        reqwest::Method::PUT,
        "/1.0/me/identity/user/alice",
        &admin,
        json!({ "description": "renamed team" }),
        "req-edit-alice",
    )
    .await;
    assert_eq!(status, 200);
    app.put(
        "/1.0/me/identity/user/alice/token/alice-ci",
        &admin,
        json!({ "description": "ci runner" }),
    )
    .await
    .expect(200);
    app.post(
        "/1.0/me/identity/group",
        &admin,
        json!({ "name": "ops", "role": "REGULAR" }),
    )
    .await
    .expect(200);
    let policy = app
        .post(
            "/v2/iam/policy",
            &admin,
            json!({
                "name": "ops-read",
                "identities": [format!("urn:v1:eu:identity:user:{NIC}/alice")],
                "resources": [{ "urn": format!("urn:v1:eu:resource:account:{NIC}") }],
                "permissions": { "allow": [{ "action": "account:apiovh:me/get" }] },
            }),
        )
        .await
        .expect(200);
    let policy_id = policy["id"].as_str().unwrap().to_owned();
    app.delete("/1.0/me/identity/user/alice/token/alice-ci", &admin)
        .await
        .expect(200);
    app.delete("/1.0/me/identity/user/alice", &admin)
        .await
        .expect(200);

    let log = app.get("/1.0/me/logs/audit", &admin).await.expect(200);
    let created = newest(&log, "USER_CREATED");
    assert_eq!(created["userCreatedDetails"]["user"], "alice");
    assert_eq!(created["userCreatedDetails"]["new"]["group"], "DEFAULT");
    assert_eq!(created["authDetails"]["userDetails"]["type"], "ACCOUNT");
    assert_eq!(created["ip"], "127.0.0.1");
    assert_eq!(created["credential"], "pat:admin-test");

    let modified = newest(&log, "USER_MODIFIED");
    assert_eq!(modified["requestId"], "req-edit-alice");
    assert_eq!(
        modified["userModifiedDetails"]["old"]["description"],
        "test user"
    );
    assert_eq!(
        modified["userModifiedDetails"]["new"]["description"],
        "renamed team"
    );

    let token = newest(&log, "TOKEN_MODIFIED");
    assert_eq!(token["tokenModifiedDetails"]["user"], "alice");
    assert_eq!(token["tokenModifiedDetails"]["tokenName"], "alice-ci");
    assert_eq!(
        token["tokenModifiedDetails"]["old"]["description"],
        "test token"
    );
    assert_eq!(
        token["tokenModifiedDetails"]["new"]["description"],
        "ci runner"
    );
    assert_eq!(
        newest(&log, "TOKEN_CREATED")["tokenCreatedDetails"]["tokenName"],
        "alice-ci"
    );
    assert_eq!(
        newest(&log, "TOKEN_DELETED")["tokenDeletedDetails"]["old"]["description"],
        "ci runner"
    );
    let group = newest(&log, "GROUP_CREATED");
    assert_eq!(group["groupCreatedDetails"]["new"]["name"], "ops");
    assert_eq!(group["groupCreatedDetails"]["new"]["role"], "REGULAR");
    let policy = newest(&log, "POLICY_CREATED");
    assert_eq!(
        policy["policyCreatedDetails"]["policyId"],
        policy_id.as_str()
    );
    assert_eq!(
        policy["policyCreatedDetails"]["added"]["identities"],
        json!([format!("urn:v1:eu:identity:user:{NIC}/alice")])
    );
    assert_eq!(
        newest(&log, "USER_DELETED")["userDeletedDetails"]["user"],
        "alice"
    );
    // Newest first.
    let kinds: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    let at = |k: &str| kinds.iter().position(|x| *x == k).unwrap();
    assert!(at("USER_DELETED") < at("USER_CREATED"), "{kinds:?}");

    // The whole record at /v2: its id, account, identity and user agent.
    let full = app.get("/v2/audit/log", &admin).await.expect(200);
    let modified = full
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["requestId"] == "req-edit-alice")
        .unwrap();
    assert_eq!(modified["account"], NIC);
    assert_eq!(modified["userAgent"], "audit-test/1.0");
    assert_eq!(
        modified["identity"],
        format!("urn:v1:eu:identity:user:{NIC}/admin")
    );
    assert_eq!(modified["count"], 1);
}

async fn the_ovhcloud_route_answers_ovhcloud_types_only(app: TestApp) {
    let admin = app.admin_pat().await;
    // A service account's life cycle is recorded under Latchkey's own types.
    app.post(
        "/1.0/me/api/oauth2/client",
        &admin,
        json!({ "name": "svc", "description": "ci", "flow": "CLIENT_CREDENTIALS", "callbackUrls": [] }),
    )
    .await
    .expect(200);
    app.get("/1.0/me", &Auth::Bearer("lkpat_wrong".into()))
        .await;

    let log = app.get("/1.0/me/logs/audit", &admin).await.expect(200);
    assert!(!log.as_array().unwrap().is_empty());
    for record in log.as_array().unwrap() {
        let kind = record["type"].as_str().unwrap();
        assert!(OVH_TYPES.contains(&kind), "{kind} is not OVHcloud's");
        let details = format!(
            "{}Details",
            kind.split('_')
                .enumerate()
                .map(|(i, w)| {
                    let w = w.to_lowercase();
                    if i == 0 {
                        w
                    } else {
                        w[..1].to_uppercase() + &w[1..]
                    }
                })
                .collect::<String>()
        );
        assert!(record.get(&details).is_some(), "{record}");
        assert!(record.get("createdAt").is_some());
    }
    // Asking for a Latchkey type there selects nothing; /v2 has it.
    let none = app
        .get("/1.0/me/logs/audit?type=SERVICE_ACCOUNT_CREATED", &admin)
        .await
        .expect(200);
    assert_eq!(none, json!([]));
    let full = app
        .get("/v2/audit/log?type[]=SERVICE_ACCOUNT_CREATED", &admin)
        .await
        .expect(200);
    let created = &full.as_array().unwrap()[0];
    assert_eq!(created["type"], "SERVICE_ACCOUNT_CREATED");
    assert_eq!(
        created["serviceAccountCreatedDetails"]["new"]["name"],
        "svc"
    );
}

async fn a_regular_user_needs_the_audit_action(app: TestApp) {
    let admin = app.admin_pat().await;
    app.create_user(&admin, "reader", "DEFAULT").await;
    let reader = Auth::Bearer(app.create_pat(&admin, "reader", "r").await);
    let refused = app.get("/1.0/me/logs/audit", &reader).await;
    refused.expect_error(403, "Client::Forbidden");
    assert!(
        refused.text.contains("account:apiovh:me/logs/audit/get"),
        "{}",
        refused.text
    );
    app.get("/v2/audit/log", &reader)
        .await
        .expect_error(403, "Client::Forbidden");
    // A policy grants it.
    app.post(
        "/v2/iam/policy",
        &admin,
        json!({
            "name": "audit-readers",
            "identities": [format!("urn:v1:eu:identity:user:{NIC}/reader")],
            "resources": [{ "urn": format!("urn:v1:eu:resource:account:{NIC}") }],
            "permissions": { "allow": [{ "action": "account:apiovh:me/logs/audit/get" }] },
        }),
    )
    .await
    .expect(200);
    app.get("/1.0/me/logs/audit", &reader).await.expect(200);
    app.get("/v2/audit/log", &reader)
        .await
        .expect_error(403, "Client::Forbidden");
    // Only the operator's account reads another account's records.
    app.get(&format!("/v2/audit/log?account={NIC}"), &reader)
        .await
        .expect_error(403, "Client::Forbidden");
}

const B: &str = "lk0042-lk";

async fn an_account_never_sees_another_accounts_records(app: TestApp) {
    app.post(
        "/v2/admin/account",
        &app.admin,
        json!({ "nichandle": B, "email": "b@example.com", "adminPassword": "account b password" }),
    )
    .await
    .expect(200);
    let b_admin = Auth::password(B, "admin", "account b password");
    let b = Auth::Bearer(app.create_pat(&b_admin, "admin", "b").await);
    app.create_user(&b, "bob", "DEFAULT").await;
    let a = app.admin_pat().await;
    app.create_user(&a, "alice", "DEFAULT").await;

    let of_b = app.get("/1.0/me/logs/audit", &b).await.expect(200);
    let text = of_b.to_string();
    assert!(text.contains("bob"));
    assert!(!text.contains("alice"), "{text}");
    let of_b_full = app.get("/v2/audit/log", &b).await.expect(200);
    assert!(
        of_b_full
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["account"] == B)
    );
    assert!(!of_b_full.to_string().contains("alice"));
    // B cannot name A's account.
    app.get(&format!("/v2/audit/log?account={NIC}"), &b)
        .await
        .expect_error(403, "Client::Forbidden");
    // The operator reads B's with ?account=, and everyone's without.
    let b_by_operator = app
        .get(&format!("/v2/audit/log?account={B}"), &a)
        .await
        .expect(200);
    assert!(b_by_operator.to_string().contains("bob"));
    assert!(!b_by_operator.to_string().contains("alice"));
    let everyone = app.get("/v2/audit/log", &a).await.expect(200).to_string();
    assert!(everyone.contains("bob") && everyone.contains("alice"));
}

async fn failed_logins_are_recorded_and_coalesced(app: TestApp) {
    app.create_user(&app.admin, "alice", "DEFAULT").await;
    let wrong = Auth::password(NIC, "alice", "not her password");
    for _ in 0..25 {
        app.get("/1.0/me", &wrong).await;
    }
    let admin = app.admin_pat().await;
    let log = app
        .get("/v2/audit/log?type=LOGIN_FAILED", &admin)
        .await
        .expect(200);
    let rows = log.as_array().unwrap();
    let alice: Vec<&Value> = rows
        .iter()
        .filter(|r| r["loginFailedDetails"]["user"] == "alice")
        .collect();
    // 25 attempts: the wrong passwords, then the throttle's refusals, each kind one row.
    assert!(!alice.is_empty() && alice.len() <= 3, "{log}");
    let total: i64 = alice.iter().map(|r| r["count"].as_i64().unwrap()).sum();
    assert_eq!(total, 25);
    assert_eq!(alice[0]["loginFailedDetails"]["method"], "password");
    assert_eq!(
        alice[0]["identity"],
        format!("urn:v1:eu:identity:user:{NIC}/alice")
    );
    assert_eq!(alice[0]["account"], NIC);
    // The OVHcloud route does not show them (not an OVHcloud type).
    let ovh = app.get("/1.0/me/logs/audit", &admin).await.expect(200);
    assert!(!ovh.to_string().contains("LOGIN_FAILED"));
    // A refused PAT is recorded without an account.
    app.get("/1.0/me", &Auth::Bearer("lkpat_0000".into())).await;
    let all = app
        .get("/v2/audit/log?type=LOGIN_FAILED", &admin)
        .await
        .expect(200);
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|r| r["loginFailedDetails"]["method"] == "pat" && r["account"].is_null())
    );
}

async fn token_issue_and_grants_are_recorded(app: TestApp) {
    let admin_token = app.ks_admin().await;
    let project = app.ks_project(&admin_token, "audit-project").await;
    let admin = app.admin_pat().await;
    let log = app.get("/v2/audit/log", &admin).await.expect(200);
    let issued = newest(&log, "KEYSTONE_TOKEN_ISSUED");
    assert_eq!(issued["keystoneTokenIssuedDetails"]["method"], "password");
    assert!(issued["keystoneTokenIssuedDetails"]["auditId"].is_string());
    assert_eq!(
        newest(&log, "PROJECT_CREATED")["projectCreatedDetails"]["project"],
        project.as_str()
    );
    assert!(
        newest(&log, "PROJECT_CREATED")["credential"]
            .as_str()
            .unwrap()
            .starts_with("keystone:")
    );
    // A login with a password is OVHcloud's LOGIN_SUCCESS.
    let ovh = app.get("/1.0/me/logs/audit", &admin).await.expect(200);
    assert_eq!(
        newest(&ovh, "LOGIN_SUCCESS")["loginSuccessDetails"]["mfaType"],
        "NONE"
    );
    // Revoking the token is recorded too.
    let other = app.ks_admin().await;
    let revoked = app
        .ks(
            reqwest::Method::DELETE,
            "/v3/auth/tokens",
            Some(&admin_token),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    let log = app
        .get("/v2/audit/log?type=KEYSTONE_TOKEN_REVOKED", &admin)
        .await
        .expect(200);
    assert_eq!(log.as_array().unwrap().len(), 1);
}

async fn refused_calls_are_recorded_with_the_action_and_coalesced(app: TestApp) {
    let admin = app.admin_pat().await;
    app.create_user(&admin, "intruder", "DEFAULT").await;
    let pat = app.create_pat(&admin, "intruder", "probe").await;
    let intruder = Auth::Bearer(pat.clone());
    for _ in 0..5 {
        app.delete("/1.0/me/identity/user/admin", &intruder)
            .await
            .expect_error(403, "Client::Forbidden");
    }
    // On /v3 too, in Keystone's words.
    let token = app.ks_password("intruder", "intruder password", None).await;
    let created = app
        .ks_post(
            "/v3/users",
            &token,
            json!({ "user": { "name": "sneaky", "domain_id": "default" } }),
        )
        .await;
    assert_eq!(created.status, 403, "{}", created.text);
    // A right tried and not needed for the answer is not a refusal: /v3/domains lists the
    // caller's own domain when it may not read every one.
    assert_eq!(app.ks_get("/v3/domains", &token).await.status, 200);

    let log = app
        .get("/v2/audit/log?type[]=ACCESS_DENIED", &admin)
        .await
        .expect(200);
    let records = log.as_array().unwrap();
    assert_eq!(records.len(), 2, "{log}");
    let ovh = records
        .iter()
        .find(|r| r["accessDeniedDetails"]["method"] == "DELETE")
        .unwrap();
    assert_eq!(ovh["count"], 5, "five refusals, one record: {ovh}");
    assert_eq!(
        ovh["accessDeniedDetails"]["route"],
        "/1.0/me/identity/user/{user}"
    );
    assert_eq!(
        ovh["accessDeniedDetails"]["actions"],
        json!(["account:apiovh:me/identity/user/delete"])
    );
    assert_eq!(ovh["authDetails"]["userDetails"]["user"], "intruder");
    assert_eq!(ovh["credential"], "pat:probe");
    assert_eq!(
        ovh["identity"],
        format!("urn:v1:eu:identity:user:{NIC}/intruder")
    );
    let ks = records
        .iter()
        .find(|r| r["accessDeniedDetails"]["route"] == "/v3/users")
        .unwrap();
    assert_eq!(ks["accessDeniedDetails"]["method"], "POST");
    assert_eq!(
        ks["accessDeniedDetails"]["actions"],
        json!(["account:apiovh:me/identity/user/create"])
    );
    assert!(
        ks["credential"].as_str().unwrap().starts_with("keystone:"),
        "{ks}"
    );
    assert!(!log.to_string().contains(&pat), "no record holds the PAT");
}

async fn the_log_pages_by_cursor_and_refuses_bad_filters(app: TestApp) {
    let admin = app.admin_pat().await;
    for i in 0..5 {
        app.post(
            "/1.0/me/identity/group",
            &admin,
            json!({ "name": format!("team-{i}"), "role": "REGULAR" }),
        )
        .await
        .expect(200);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut request = app
            .client
            .get(format!("{}/1.0/me/logs/audit?type=GROUP_CREATED", app.base))
            .header("X-Pagination-Size", "2");
        if let Some(c) = &cursor {
            request = request.header("X-Pagination-Cursor", c);
        }
        let Auth::Bearer(token) = &admin else {
            unreachable!()
        };
        let res = request.bearer_auth(token).send().await.unwrap();
        assert_eq!(res.status(), 200);
        cursor = res
            .headers()
            .get("X-Pagination-Cursor-Next")
            .map(|v| v.to_str().unwrap().to_owned());
        let page: Value = res.json().await.unwrap();
        assert!(page.as_array().unwrap().len() <= 2);
        seen.extend(page.as_array().unwrap().iter().map(|r| {
            r["groupCreatedDetails"]["group"]
                .as_str()
                .unwrap()
                .to_owned()
        }));
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, ["team-4", "team-3", "team-2", "team-1", "team-0"]);
    // Filters that mean nothing are refused, not ignored.
    app.get("/1.0/me/logs/audit?type=NOT_A_TYPE", &admin)
        .await
        .expect_error(400, "Client::BadRequest");
    app.get("/1.0/me/logs/audit?from=yesterday", &admin)
        .await
        .expect_error(400, "Client::BadRequest");
    app.get("/1.0/me/logs/audit?colour=red", &admin)
        .await
        .expect_error(400, "Client::BadRequest");
    // Time and identity filters narrow.
    let later = app
        .get("/1.0/me/logs/audit?from=2999-01-01T00:00:00Z", &admin)
        .await
        .expect(200);
    assert_eq!(later, json!([]));
    let by_admin = app
        .get(
            &format!("/1.0/me/logs/audit?identity=urn:v1:eu:identity:user:{NIC}/admin"),
            &admin,
        )
        .await
        .expect(200);
    assert!(by_admin.as_array().unwrap().len() >= 5);
}

async fn no_record_holds_a_secret(app: TestApp) {
    let admin = app.admin_pat().await;
    let mut secrets = vec!["admin password".to_owned()];
    if let Auth::Bearer(token) = &admin {
        secrets.push(token.clone());
    }
    app.create_user(&admin, "alice", "DEFAULT").await;
    secrets.push("alice password".into());
    secrets.push(app.create_pat(&admin, "alice", "alice-ci").await);
    app.put(
        "/1.0/me/identity/user/alice",
        &admin,
        json!({ "password": "alice new password" }),
    )
    .await
    .expect(200);
    secrets.push("alice new password".into());
    let client = app
        .post(
            "/1.0/me/api/oauth2/client",
            &admin,
            json!({ "name": "svc", "description": "ci", "flow": "CLIENT_CREDENTIALS", "callbackUrls": [] }),
        )
        .await
        .expect(200);
    let client_id = client["clientId"].as_str().unwrap().to_owned();
    let client_secret = client["clientSecret"].as_str().unwrap().to_owned();
    secrets.push(client_secret.clone());
    let grant = app
        .client
        .post(format!("{}/auth/oauth2/token", app.base))
        .basic_auth(&client_id, Some(&client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let grant: Value = grant.json().await.unwrap();
    secrets.push(grant["access_token"].as_str().unwrap().to_owned());
    // A wrong password is a secret too (someone's real one, mistyped).
    app.get(
        "/1.0/me",
        &Auth::password(NIC, "alice", "alice almost password"),
    )
    .await;
    secrets.push("alice almost password".into());
    let (_, ks_token) = app
        .ks_issue(json!({
            "identity": { "methods": ["password"], "password": { "user": {
                "name": "admin", "domain": { "id": "default" },
                "password": crate::helpers::ADMIN_PASSWORD,
            } } }
        }))
        .await;
    secrets.push(ks_token.unwrap());

    // Every column of every record, straight from the store.
    let store = latchkey_store::connect(&app.config.database_url)
        .await
        .unwrap();
    let everything = store
        .audit_records(&AuditQuery {
            limit: 100_000,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(everything.len() >= 6);
    let text = format!("{everything:?}");
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "a record holds {secret:?}");
    }
    assert!(!text.contains("argon2"), "a record holds a password hash");
}

async fn records_past_the_retention_are_pruned(app: TestApp) {
    let admin = app.admin_pat().await;
    app.create_user(&admin, "old", "DEFAULT").await;
    app.advance(chrono::TimeDelta::days(91));
    app.create_user(&admin, "recent", "DEFAULT").await;
    let directory = app.directory.as_ref().unwrap();
    assert!(directory.prune_audit_log().await.unwrap() >= 2);
    let log = app
        .get("/1.0/me/logs/audit?type=USER_CREATED", &admin)
        .await
        .expect(200);
    let users: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userCreatedDetails"]["user"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["recent"]);
    assert_eq!(directory.prune_audit_log().await.unwrap(), 0);
}

async fn a_forwarded_address_is_believed_from_a_trusted_proxy_only(app: TestApp) {
    let create = |app: &TestApp, login: &'static str, forwarded: &'static str| {
        let request = app
            .client
            .post(format!("{}/1.0/me/identity/user", app.base))
            .header("X-Forwarded-For", forwarded);
        let Auth::Basic(user, password) = &app.admin else {
            unreachable!()
        };
        request
            .basic_auth(user, Some(password))
            .json(&json!({
                "login": login, "email": format!("{login}@example.com"),
                "description": "", "password": format!("{login} password"),
            }))
            .send()
    };
    let ip_of = |log: &Value, login: &str| {
        log.as_array()
            .unwrap()
            .iter()
            .find(|r| r["userCreatedDetails"]["user"] == login)
            .map(|r| r["ip"].clone())
            .unwrap()
    };
    // This server trusts no proxy: the header is the client's own claim, and ignored.
    assert_eq!(
        create(&app, "claims", "198.51.100.7")
            .await
            .unwrap()
            .status(),
        200
    );
    let log = app.get("/1.0/me/logs/audit", &app.admin).await.expect(200);
    assert_eq!(ip_of(&log, "claims"), "127.0.0.1");

    // Behind a trusted proxy (here, loopback), the nearest untrusted hop is the client.
    let behind = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let res = create(&behind, "proxied", "6.6.6.6, 198.51.100.7")
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let log = behind
        .get("/1.0/me/logs/audit", &behind.admin)
        .await
        .expect(200);
    assert_eq!(ip_of(&log, "proxied"), "198.51.100.7");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_file_gets_every_committed_record_as_a_json_line_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("audit.ndjson");
    let path = json_path.clone();
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, move |c| {
        c.audit_file = Some(path);
    })
    .await;
    let admin = app.admin_pat().await;
    app.create_user(&admin, "alice", "DEFAULT").await;
    let alice_pat = app.create_pat(&admin, "alice", "ci").await;
    app.get("/1.0/me", &Auth::password(NIC, "alice", "wrong guess"))
        .await;
    let text = std::fs::read_to_string(&json_path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON record a line"))
        .collect();
    let kinds: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    for kind in [
        "ACCOUNT_CREATED",
        "TOKEN_CREATED",
        "USER_CREATED",
        "LOGIN_FAILED",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let user = lines.iter().find(|l| l["type"] == "USER_CREATED").unwrap();
    assert_eq!(user["account"], NIC);
    assert!(user["id"].as_i64().unwrap() > 0);
    // The same records as the store's, by id.
    let stored = app
        .get("/v2/audit/log?type=USER_CREATED", &admin)
        .await
        .expect(200);
    assert_eq!(stored[0]["id"], user["id"]);
    for secret in [
        alice_pat.as_str(),
        "alice password",
        "wrong guess",
        crate::helpers::ADMIN_PASSWORD,
    ] {
        assert!(!text.contains(secret), "the audit file holds {secret:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_file_speaks_cadf_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let cadf_path = dir.path().join("audit.cadf");
    let path = cadf_path.clone();
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, move |c| {
        c.audit_file = Some(path);
        c.audit_format = latchkey_server::audit::Format::Cadf;
    })
    .await;
    let token = app.ks_admin().await;
    app.ks_project(&token, "cadf-project").await;
    app.get("/1.0/me", &Auth::password(NIC, "admin", "wrong guess"))
        .await;
    let events: Vec<Value> = std::fs::read_to_string(&cadf_path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!events.is_empty());
    for event in &events {
        assert_eq!(
            event["typeURI"],
            "http://schemas.dmtf.org/cloud/audit/1.0/event"
        );
        assert_eq!(event["eventType"], "activity");
        for field in [
            "id",
            "eventTime",
            "action",
            "outcome",
            "initiator",
            "target",
            "observer",
        ] {
            assert!(!event[field].is_null(), "{field} missing in {event}");
        }
    }
    let project = events
        .iter()
        .find(|e| e["action"] == "created.project_created")
        .expect("the project's creation");
    assert_eq!(project["outcome"], "success");
    assert_eq!(project["target"]["typeURI"], "data/security/project");
    assert_eq!(project["initiator"]["name"], Value::Null);
    assert_eq!(
        project["initiator"]["id"],
        format!("urn:v1:eu:identity:user:{NIC}/admin")
    );
    let issued = events
        .iter()
        .find(|e| e["action"] == "authenticate.keystone_token_issued")
        .unwrap();
    assert_eq!(issued["outcome"], "success");
    let failed = events
        .iter()
        .find(|e| e["action"] == "authenticate.login_failed")
        .unwrap();
    assert_eq!(failed["outcome"], "failure");
    assert_eq!(failed["reason"], "invalid credentials");
}

/// The first server-sent-event frame of `response`.
async fn first_frame(response: &mut reqwest::Response) -> String {
    let mut buffer = String::new();
    while !buffer.contains("\n\n") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), response.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
    buffer
}

/// Reads server-sent events from `response` until `want` has `n` records or `limit` passes;
/// returns the `data` of each `audit` event, and whether the stream ended.
async fn read_events(
    response: &mut reqwest::Response,
    n: usize,
    limit: std::time::Duration,
) -> (Vec<Value>, bool) {
    let mut buffer = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    while events.len() < n {
        match tokio::time::timeout_at(deadline, response.chunk()).await {
            Err(_) => return (events, false),
            Ok(Ok(Some(chunk))) => buffer.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(_) => return (events, true),
        }
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            if frame.lines().any(|l| l == "event: audit") {
                let data = frame
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .unwrap();
                events.push(serde_json::from_str(data).unwrap());
            }
        }
    }
    (events, false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_stream_pushes_records_resumes_and_ends_with_the_right() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let admin = app.admin_pat().await;
    app.create_user(&admin, "watcher", "ADMIN").await;
    let watcher = app.create_pat(&admin, "watcher", "tail").await;
    let open = |since: Option<i64>| {
        let mut url = format!("{}/1.0/me/logs/audit/stream", app.base);
        if let Some(since) = since {
            url.push_str(&format!("?since={since}"));
        }
        app.client.get(url).bearer_auth(&watcher).send()
    };
    let mut live = open(None).await.unwrap();
    assert_eq!(live.status(), 200);
    // A stream from now says first where "now" is: resuming from there loses nothing.
    let start = first_frame(&mut live).await;
    assert!(start.contains("event: cursor\n"), "{start}");
    let start: i64 = start
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .unwrap()
        .parse()
        .unwrap();
    app.create_user(&admin, "alice", "DEFAULT").await;
    let mut from_start = open(Some(start)).await.unwrap();
    let (events, _) = read_events(&mut from_start, 1, std::time::Duration::from_secs(5)).await;
    assert_eq!(events[0]["userCreatedDetails"]["user"], "alice");
    drop(from_start);
    let (events, _) = read_events(&mut live, 1, std::time::Duration::from_secs(5)).await;
    assert_eq!(events[0]["type"], "USER_CREATED");
    assert_eq!(events[0]["userCreatedDetails"]["user"], "alice");
    let first = events[0]["id"].as_i64().unwrap();

    // Resuming after a record gives what followed it, oldest first.
    app.create_user(&admin, "bob", "DEFAULT").await;
    let mut resumed = open(Some(first)).await.unwrap();
    let (events, _) = read_events(&mut resumed, 1, std::time::Duration::from_secs(5)).await;
    assert_eq!(events[0]["userCreatedDetails"]["user"], "bob");
    drop(resumed);

    // The watcher leaves the ADMIN group: its stream ends (checked again every 5 s).
    app.put(
        "/1.0/me/identity/user/watcher",
        &admin,
        json!({ "group": "DEFAULT" }),
    )
    .await
    .expect(200);
    let (_, ended) = read_events(&mut live, usize::MAX, std::time::Duration::from_secs(15)).await;
    assert!(ended, "the stream outlived its caller's right");
}
