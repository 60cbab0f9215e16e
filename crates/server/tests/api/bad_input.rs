//! Bad input gets a clear 4xx in the OVH error format, and nothing is stored half-way.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

crate::on_both_backends!(
    malformed_token_requests_are_refused_and_store_nothing,
    path_names_that_are_not_valid_are_bad_requests,
    huge_body_is_refused_with_413,
    malformed_user_and_group_requests_are_refused,
);

const TOKENS: &str = "/1.0/me/identity/user/admin/token";

async fn malformed_token_requests_are_refused_and_store_nothing(app: TestApp) {
    let admin = app.admin_pat().await;
    let before = app.get(TOKENS, &admin).await.expect(200);
    let raw_cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "malformed JSON",
            b"{\"name\": ".to_vec(),
            "invalid request body",
        ),
        ("not an object", b"[1, 2]".to_vec(), "invalid request body"),
        ("empty body", Vec::new(), "invalid request body"),
        (
            "non-UTF-8 name",
            b"{\"name\": \"\xff\xfe\", \"description\": \"\"}".to_vec(),
            "invalid request body",
        ),
    ];
    for (what, body, expected) in raw_cases {
        let msg = app
            .raw(Method::POST, TOKENS, &admin, body)
            .await
            .expect_error(400, "Client::BadRequest");
        assert!(msg.contains(expected), "{what}: {msg}");
    }
    let long = "n".repeat(129);
    let json_cases = [
        (json!({ "description": "no name" }), "name"),
        (json!({ "name": "no-description" }), "description"),
        (
            json!({ "name": "x", "description": "", "extra": true }),
            "extra",
        ),
        (json!({ "name": "", "description": "" }), "empty"),
        (
            json!({ "name": long, "description": "" }),
            "longer than 128",
        ),
        (
            json!({ "name": "has space", "description": "" }),
            "only letters",
        ),
        (json!({ "name": 42, "description": "" }), "invalid type"),
        (
            json!({ "name": "x", "description": "x".repeat(1025) }),
            "description",
        ),
        (
            json!({ "name": "x", "description": "", "expiresIn": "soon" }),
            "expiresIn",
        ),
    ];
    for (body, expected) in json_cases {
        let msg = app
            .post(TOKENS, &admin, body.clone())
            .await
            .expect_error(400, "Client::BadRequest");
        assert!(msg.contains(expected), "{body}: {msg}");
    }
    assert_eq!(
        app.get(TOKENS, &admin).await.expect(200),
        before,
        "nothing stored"
    );
}

async fn path_names_that_are_not_valid_are_bad_requests(app: TestApp) {
    let admin = app.admin_pat().await;
    app.get("/1.0/me/identity/user/%FF%FE", &admin)
        .await
        .expect_error(400, "Client::BadRequest");
    app.get(
        &format!("/1.0/me/identity/user/{}", "a".repeat(256)),
        &admin,
    )
    .await
    .expect_error(400, "Client::BadRequest");
    app.get("/1.0/me/identity/user/admin/token/bad%20name", &admin)
        .await
        .expect_error(400, "Client::BadRequest");
    app.get("/1.0/me/identity/group/%00", &admin)
        .await
        .expect_error(400, "Client::BadRequest");
}

async fn huge_body_is_refused_with_413(app: TestApp) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let admin = app.admin_pat().await;
    let crate::helpers::Auth::Bearer(token) = &admin else {
        unreachable!()
    };
    // Announce a 200 kB body and send none of it: the server must refuse on the announced
    // length alone, before reading (a client sending it all could see its connection reset
    // by the early answer, which would make this test flaky).
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "POST {TOKENS} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 200000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0; 4096];
    let n = stream.read(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("Client::PayloadTooLarge"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("x-request-id"),
        "{answer}"
    );
    assert!(!app.get(TOKENS, &admin).await.text.contains("big"));
}

async fn malformed_user_and_group_requests_are_refused(app: TestApp) {
    let admin = app.admin_pat().await;
    let cases = [
        json!({ "login": "john", "password": "a long password" }),
        json!({ "login": "john", "email": "not-an-email", "password": "a long password" }),
        json!({ "login": "john", "email": "j@example.com", "password": "short" }),
        json!({ "login": "", "email": "j@example.com", "password": "a long password" }),
        json!({ "login": "john", "email": "j@example.com", "password": "a long password", "type": "GOD" }),
        json!({ "login": "john", "email": "j@example.com", "password": "a long password", "admin": true }),
    ];
    for body in cases {
        app.post("/1.0/me/identity/user", &admin, body.clone())
            .await
            .expect_error(400, "Client::BadRequest");
    }
    assert_eq!(
        app.get("/1.0/me/identity/user", &admin).await.expect(200),
        json!(["admin"])
    );
    app.post("/1.0/me/identity/group", &admin, json!({ "name": "ops" }))
        .await
        .expect_error(400, "Client::BadRequest");
    app.put("/1.0/me/identity/user/admin", &admin, json!({ "email": 7 }))
        .await
        .expect_error(400, "Client::BadRequest");
}
