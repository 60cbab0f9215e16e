//! Credentials as presented: garbage is refused with a 401 in the API's format before any
//! lookup; failed passwords are throttled; every response carries X-Request-Id.

use chrono::TimeDelta;
use reqwest::Method;

use crate::helpers::{Auth, NIC, TestApp};

crate::on_both_backends!(
    garbage_authorization_headers_are_refused_with_401,
    a_token_with_a_wrong_checksum_or_prefix_is_refused,
    repeated_wrong_passwords_are_throttled_per_user,
    repeated_failures_from_one_address_are_throttled_across_users,
    wrong_passwords_from_one_address_do_not_lock_the_user_out_from_another,
    a_user_attacked_from_many_addresses_is_slowed_down_not_locked_out,
    keystone_and_the_api_share_the_password_counters,
    every_response_carries_a_request_id,
    unknown_routes_and_methods_answer_in_the_api_format,
);

async fn garbage_authorization_headers_are_refused_with_401(app: TestApp) {
    let cases: Vec<Auth> = vec![
        Auth::None,
        Auth::Header(b"Bearer".to_vec()),
        Auth::Header(b"Bearer ".to_vec()),
        Auth::Header(b"Bearer not-a-token".to_vec()),
        Auth::Header(b"Basic !!!not base64!!!".to_vec()),
        Auth::Header(b"Basic bm9jb2xvbg==".to_vec()), // "nocolon"
        Auth::Header(b"Basic //79/w==".to_vec()),     // not UTF-8 once decoded
        Auth::Header(b"Digest username=\"x\"".to_vec()),
        Auth::Header(b"Bearer \xff\xfe".to_vec()),
        Auth::Header(
            "Bearer "
                .bytes()
                .chain(std::iter::repeat_n(b'a', 8000))
                .collect(),
        ),
        Auth::Basic("admin".into(), "no nic in the user".into()),
        Auth::Basic("not a nic/admin".into(), "whatever".into()),
    ];
    for auth in cases {
        let reply = app.get("/1.0/me", &auth).await;
        reply.expect_error(401, "Client::Unauthorized");
        assert!(
            reply.headers["www-authenticate"]
                .to_str()
                .unwrap()
                .contains("Bearer"),
            "{auth:?}"
        );
    }
}

async fn a_token_with_a_wrong_checksum_or_prefix_is_refused(app: TestApp) {
    let admin = app.admin_pat().await;
    let token = app.create_pat(&admin, "admin", "real").await;
    app.get("/1.0/me", &Auth::Bearer(token.clone()))
        .await
        .expect(200);
    let mut tampered = token.clone().into_bytes();
    let i = 10;
    tampered[i] = if tampered[i] == b'x' { b'y' } else { b'x' };
    let tampered = String::from_utf8(tampered).unwrap();
    let msg = app
        .get("/1.0/me", &Auth::Bearer(tampered))
        .await
        .expect_error(401, "Client::Unauthorized");
    assert!(msg.contains("checksum"), "{msg}");
    let renamed = token.replacen("lkpat_", "lksec_", 1);
    let msg = app
        .get("/1.0/me", &Auth::Bearer(renamed))
        .await
        .expect_error(401, "Client::Unauthorized");
    assert!(msg.contains("prefix"), "{msg}");
    let truncated = &token[..token.len() - 1];
    app.get("/1.0/me", &Auth::Bearer(truncated.to_owned()))
        .await
        .expect_error(401, "Client::Unauthorized");
}

async fn repeated_wrong_passwords_are_throttled_per_user(app: TestApp) {
    let wrong = Auth::password(NIC, "admin", "not the password");
    for _ in 0..10 {
        app.get("/1.0/me", &wrong)
            .await
            .expect_error(401, "Client::Unauthorized");
    }
    let locked = app.get("/1.0/me", &app.admin).await;
    locked.expect_error(429, "Client::TooManyRequests");
    let retry: u64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    app.advance(TimeDelta::minutes(15));
    app.get("/1.0/me", &app.admin).await.expect(200);
}

async fn repeated_failures_from_one_address_are_throttled_across_users(app: TestApp) {
    // Each attempt names another (malformed) user: only the per-address limit can stop them.
    for i in 0..100 {
        let attempt = Auth::Basic(format!("nobody-{i}/x"), "guess".into());
        app.get("/1.0/me", &attempt)
            .await
            .expect_error(401, "Client::Unauthorized");
    }
    let locked = app.get("/1.0/me", &app.admin).await;
    locked.expect_error(429, "Client::TooManyRequests");
    assert!(locked.headers.contains_key("retry-after"));
    // Tokens are not passwords: a PAT still works from the same address.
    app.advance(TimeDelta::minutes(15));
    let admin = app.admin_pat().await;
    app.get("/1.0/me", &admin).await.expect(200);
}

/// The same server behind a trusted proxy (loopback), so that each request can name its client
/// address in `X-Forwarded-For`.
async fn behind_a_proxy(app: &TestApp) -> TestApp {
    let backend = if app.config.database_url.starts_with("sqlite") {
        crate::helpers::Backend::Sqlite
    } else {
        crate::helpers::Backend::Postgres
    };
    TestApp::spawn_with(backend, |c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await
}

/// `GET /1.0/me` with a password, from `address`.
async fn me_from(app: &TestApp, address: &str, password: &str) -> reqwest::StatusCode {
    app.client
        .get(format!("{}/1.0/me", app.base))
        .header("X-Forwarded-For", address)
        .basic_auth(format!("{NIC}/admin"), Some(password))
        .send()
        .await
        .unwrap()
        .status()
}

async fn wrong_passwords_from_one_address_do_not_lock_the_user_out_from_another(app: TestApp) {
    let app = behind_a_proxy(&app).await;
    let right = crate::helpers::ADMIN_PASSWORD;
    for _ in 0..10 {
        assert_eq!(me_from(&app, "203.0.113.9", "not the password").await, 401);
    }
    // The attacker's address is locked out of the ROOT admin, even with the right password...
    assert_eq!(me_from(&app, "203.0.113.9", right).await, 429);
    // ...and the admin, from its own address, is not.
    assert_eq!(me_from(&app, "198.51.100.1", right).await, 200);
    assert_eq!(me_from(&app, "198.51.100.1", right).await, 200);
    // The lock ends with its window.
    app.advance(TimeDelta::minutes(15));
    assert_eq!(me_from(&app, "203.0.113.9", right).await, 200);
}

async fn a_user_attacked_from_many_addresses_is_slowed_down_not_locked_out(app: TestApp) {
    let app = behind_a_proxy(&app).await;
    // 60 failures from 10 addresses: under each address's own limit, over the user's ceiling.
    for a in 0..10 {
        for _ in 0..6 {
            let address = format!("203.0.113.{a}");
            assert_eq!(me_from(&app, &address, "not the password").await, 401);
        }
    }
    let started = std::time::Instant::now();
    assert_eq!(
        me_from(&app, "198.51.100.1", crate::helpers::ADMIN_PASSWORD).await,
        200,
        "the user is locked out"
    );
    // The attempt waited its slowdown (10 failures beyond the ceiling of 50: 250 ms or more).
    assert!(
        started.elapsed() >= latchkey_core::service::slowdown(11),
        "not slowed: {:?}",
        started.elapsed()
    );
}

async fn keystone_and_the_api_share_the_password_counters(app: TestApp) {
    let app = behind_a_proxy(&app).await;
    for _ in 0..10 {
        let res = app
            .client
            .post(format!("{}/v3/auth/tokens", app.base))
            .header("X-Forwarded-For", "203.0.113.50")
            .json(
                &serde_json::json!({ "auth": { "identity": { "methods": ["password"],
                "password": { "user": { "name": "admin", "domain": { "name": NIC },
                "password": "not the password" } } } } }),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    assert_eq!(
        me_from(&app, "203.0.113.50", crate::helpers::ADMIN_PASSWORD).await,
        429
    );
}

async fn every_response_carries_a_request_id(app: TestApp) {
    let admin = app.admin_pat().await;
    for reply in [
        app.get("/1.0/me", &admin).await,
        app.get("/1.0/me", &Auth::None).await,
        app.get("/no/such/route", &admin).await,
        app.get("/healthz", &Auth::None).await,
    ] {
        let id = reply
            .headers
            .get("x-request-id")
            .expect("x-request-id")
            .to_str()
            .unwrap();
        assert!(!id.is_empty());
    }
    let echoed = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-42");
}

async fn unknown_routes_and_methods_answer_in_the_api_format(app: TestApp) {
    let admin = app.admin_pat().await;
    app.get("/1.0/nothing/here", &admin)
        .await
        .expect_error(404, "Client::NotFound");
    app.call(Method::PATCH, "/1.0/me", &admin, None)
        .await
        .expect_error(405, "Client::MethodNotAllowed");
}
