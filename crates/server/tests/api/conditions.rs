//! Policy conditions through /v2/iam: given and shown in OVHcloud's shape, decided per request
//! against the caller's address (as the server sees it, `X-Forwarded-For` only from a trusted
//! proxy), the time and the resource; bad conditions refused with the fault named.

use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::helpers::{Auth, Backend, NIC, TestApp};

crate::on_both_backends!(
    conditions_round_trip_and_are_replaced_or_removed,
    an_address_range_decides_each_request,
    forwarded_addresses_count_only_from_a_trusted_proxy,
    time_conditions_follow_the_clock_in_the_named_zone,
    resource_name_and_type_conditions_read_the_resource,
    bad_conditions_are_refused_with_the_fault_named_and_store_nothing,
);

const POLICIES: &str = "/v2/iam/policy";
const USERS: &str = "/1.0/me/identity/user";
const USER_GET: &str = "account:apiovh:me/identity/user/get";

fn policy(name: &str, login: &str, conditions: Value) -> Value {
    json!({
        "name": name,
        "identities": [format!("urn:v1:eu:identity:user:{NIC}/{login}")],
        "resources": [{ "urn": format!("urn:v1:eu:resource:account:{NIC}") }],
        "permissions": { "allow": [{ "action": USER_GET }] },
        "conditions": conditions,
    })
}

fn range(cidr: &str) -> Value {
    json!({ "operator": "MATCH", "values": { "request.IP.IN_RANGE": cidr } })
}

async fn regular_user(app: &TestApp, admin: &Auth, login: &str) -> Auth {
    app.create_user(admin, login, "DEFAULT").await;
    Auth::Bearer(app.create_pat(admin, login, "work").await)
}

fn backend_of(app: &TestApp) -> Backend {
    if app.config.database_url.starts_with("sqlite") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    }
}

async fn conditions_round_trip_and_are_replaced_or_removed(app: TestApp) {
    let admin = app.admin_pat().await;
    let given = json!({
        "operator": "OR",
        "conditions": [
            { "operator": "MATCH", "values": {
                "date(Europe/Paris).WeekDay.In": "monday,tuesday",
                "resource.Tag(security_level)": "high" } },
            { "operator": "NOT", "conditions": [range("192.0.2.0/24")] }
        ]
    });
    let created = app
        .post(POLICIES, &admin, policy("round-trip", "bob", given.clone()))
        .await
        .expect(200);
    assert_eq!(created["conditions"], given);
    let path = format!("{POLICIES}/{}", created["id"].as_str().unwrap());
    assert_eq!(
        app.get(&path, &admin).await.expect(200)["conditions"],
        given
    );
    let listed = app.get(POLICIES, &admin).await.expect(200);
    assert_eq!(listed[0]["conditions"], given);

    let replaced = app
        .put(
            &path,
            &admin,
            policy("round-trip", "bob", range("10.0.0.0/8")),
        )
        .await
        .expect(200);
    assert_eq!(replaced["conditions"], range("10.0.0.0/8"));
    let removed = app
        .put(&path, &admin, policy("round-trip", "bob", Value::Null))
        .await
        .expect(200);
    assert_eq!(removed["conditions"], Value::Null);
    assert_eq!(
        app.get(&path, &admin).await.expect(200)["conditions"],
        Value::Null
    );
}

async fn an_address_range_decides_each_request(app: TestApp) {
    let admin = app.admin_pat().await;
    let bob = regular_user(&app, &admin, "bob").await;
    // The test client connects from loopback.
    let created = app
        .post(
            POLICIES,
            &admin,
            policy("loopback-only", "bob", range("127.0.0.0/8")),
        )
        .await
        .expect(200);
    app.get(USERS, &bob).await.expect(200);
    let path = format!("{POLICIES}/{}", created["id"].as_str().unwrap());
    app.put(
        &path,
        &admin,
        policy("loopback-only", "bob", range("10.0.0.0/8, ::1/128")),
    )
    .await
    .expect(200);
    app.get(USERS, &bob)
        .await
        .expect_error(403, "Client::Forbidden");
    // Bob's own check answers the same way, for the address he asks from.
    let mut checks = policy("bob-checks", "bob", Value::Null);
    checks["permissions"]["allow"] =
        json!([{ "action": "account:apiovh:iam/resource/authorization/check" }]);
    app.post(POLICIES, &admin, checks).await.expect(200);
    let check = format!("/v2/iam/resource/urn:v1:eu:resource:account:{NIC}/authorization/check");
    let asked = json!({ "actions": [USER_GET] });
    let answer = app.post(&check, &bob, asked.clone()).await.expect(200);
    assert_eq!(answer["unauthorizedActions"], json!([USER_GET]));
    app.put(
        &path,
        &admin,
        policy("loopback-only", "bob", range("127.0.0.1/32")),
    )
    .await
    .expect(200);
    let answer = app.post(&check, &bob, asked).await.expect(200);
    assert_eq!(answer["authorizedActions"], json!([USER_GET]));
    // A NOT of the range: refused inside it, allowed outside.
    app.put(
        &path,
        &admin,
        policy(
            "loopback-only",
            "bob",
            json!({ "operator": "NOT", "conditions": [range("127.0.0.1/32")] }),
        ),
    )
    .await
    .expect(200);
    app.get(USERS, &bob)
        .await
        .expect_error(403, "Client::Forbidden");
}

async fn forwarded_addresses_count_only_from_a_trusted_proxy(app: TestApp) {
    let admin = app.admin_pat().await;
    regular_user(&app, &admin, "bob").await;
    app.post(
        POLICIES,
        &admin,
        policy("office", "bob", range("203.0.113.0/24")),
    )
    .await
    .expect(200);
    let bob_from = |app: &TestApp, address: &'static str| {
        let request = app
            .client
            .get(format!("{}{USERS}", app.base))
            .header("X-Forwarded-For", address)
            .basic_auth(format!("{NIC}/bob"), Some("bob password"));
        async move { request.send().await.unwrap().status() }
    };
    // No proxy is trusted: the header is the caller's own claim, and the peer is loopback.
    assert_eq!(bob_from(&app, "203.0.113.7").await, 403);
    let backend = backend_of(&app);
    drop(app);

    let app = TestApp::spawn_with(backend, |c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let admin = app.admin_pat().await;
    regular_user(&app, &admin, "bob").await;
    app.post(
        POLICIES,
        &admin,
        policy("office", "bob", range("203.0.113.0/24")),
    )
    .await
    .expect(200);
    assert_eq!(bob_from(&app, "203.0.113.7").await, 200);
    assert_eq!(bob_from(&app, "198.51.100.7").await, 403);
}

async fn time_conditions_follow_the_clock_in_the_named_zone(app: TestApp) {
    let admin = app.admin_pat().await;
    let bob = regular_user(&app, &admin, "bob").await;
    let now = app.clock_now();
    let zone = "Asia/Tokyo";
    // Tokyo keeps UTC+9 all year.
    let local = (now + TimeDelta::hours(9)).naive_utc();
    let hour = chrono::Timelike::hour(&local);
    // Allowed from this hour in Tokyo until the end of its day.
    let conditions = json!({ "operator": "AND", "conditions": [
        { "operator": "MATCH", "values": { format!("date({zone}).Hour.GE"): hour.to_string() } },
        { "operator": "MATCH", "values": {
            format!("date({zone}).Date"): local.date().format("%Y-%m-%d").to_string() } }
    ]});
    app.post(
        POLICIES,
        &admin,
        policy("today-in-tokyo", "bob", conditions),
    )
    .await
    .expect(200);
    app.get(USERS, &bob).await.expect(200);
    // A day later the date no longer matches: the same request is refused.
    app.advance(TimeDelta::days(1));
    app.get(USERS, &bob)
        .await
        .expect_error(403, "Client::Forbidden");
}

async fn resource_name_and_type_conditions_read_the_resource(app: TestApp) {
    let admin = app.admin_pat().await;
    let bob = regular_user(&app, &admin, "bob").await;
    let conditions = json!({ "operator": "MATCH", "values": {
        "resource.Type": "account", "resource.Name.STARTS_WITH": "lk0001" } });
    let created = app
        .post(POLICIES, &admin, policy("account-only", "bob", conditions))
        .await
        .expect(200);
    app.get(USERS, &bob).await.expect(200);
    let path = format!("{POLICIES}/{}", created["id"].as_str().unwrap());
    let other =
        json!({ "operator": "MATCH", "values": { "resource.Type.IN": "vps, dedicatedServer" } });
    app.put(&path, &admin, policy("account-only", "bob", other))
        .await
        .expect(200);
    app.get(USERS, &bob)
        .await
        .expect_error(403, "Client::Forbidden");
    // A tag the account resource does not carry: the condition does not hold.
    let tagged = json!({ "operator": "MATCH", "values": { "resource.Tag(env)": "prod" } });
    app.put(&path, &admin, policy("account-only", "bob", tagged))
        .await
        .expect(200);
    app.get(USERS, &bob)
        .await
        .expect_error(403, "Client::Forbidden");
}

async fn bad_conditions_are_refused_with_the_fault_named_and_store_nothing(app: TestApp) {
    let admin = app.admin_pat().await;
    let deep = json!({ "operator": "AND", "conditions": [{ "operator": "OR", "conditions": [
        { "operator": "NOT", "conditions": [range("10.0.0.0/8")] }] }] });
    let cases = [
        (deep, "at most 3 levels"),
        (range("10.0.0.0/33"), "not a CIDR block"),
        (range("somewhere"), "not a CIDR block"),
        (
            json!({ "operator": "MATCH", "values": { "request.IP.LIKE": "10.*" } }),
            "not an operator",
        ),
        (
            json!({ "operator": "MATCH", "values": { "date(Europe/Atlantis).Hour": "9" } }),
            "not an IANA time zone",
        ),
        (
            json!({ "operator": "MATCH", "values": { "resource.Owner": "x" } }),
            "unknown key",
        ),
        (
            json!({ "operator": "MATCH", "values": { "date(UTC).Hour.GE": "25" } }),
            "not an hour",
        ),
        (json!({ "operator": "XOR", "conditions": [] }), "operator"),
        (
            json!({ "operator": "MATCH", "values": {} }),
            "at least one entry",
        ),
        (
            json!({ "operator": "MATCH", "values": { "request.IP": "10.0.0.1" }, "extra": 1 }),
            "extra",
        ),
    ];
    for (conditions, fault) in cases {
        let message = app
            .post(POLICIES, &admin, policy("bad", "bob", conditions.clone()))
            .await
            .expect_error(400, "Client::BadRequest");
        assert!(message.contains(fault), "{conditions}: {message}");
    }
    assert_eq!(app.get(POLICIES, &admin).await.expect(200), json!([]));
}
