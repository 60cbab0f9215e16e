//! The OAuth2 authorisation server: the client-credentials grant with both client
//! authentication methods, access tokens on the API, RFC 6749 errors, expiry, key rotation.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::TimeDelta;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Auth, NIC, TestApp};

crate::on_both_backends!(
    client_credentials_grant_with_basic_or_body_authentication,
    access_token_authenticates_the_service_account_on_the_api,
    deleting_the_service_account_refuses_its_token_on_the_next_call,
    token_endpoint_errors_follow_rfc_6749,
    expired_access_token_is_refused,
    forged_tokens_are_refused,
    rotation_keeps_earlier_tokens_valid_and_publishes_keys_ahead,
    metadata_describes_the_token_endpoint,
    introspection_answers_only_for_the_callers_account,
    revocation_refuses_the_token_from_the_next_call_and_survives_restart,
    token_requests_beyond_the_per_client_limit_get_429,
);

/// POSTs a form to an OAuth2 endpoint as the given caller.
async fn form_post(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
    caller: &Auth,
) -> (u16, String) {
    let mut req = app.client.post(format!("{}{path}", app.base)).form(form);
    req = match caller {
        Auth::Bearer(t) => req.bearer_auth(t),
        Auth::Basic(u, p) => req.basic_auth(u, Some(p)),
        _ => req,
    };
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn introspect(app: &TestApp, token: &str, caller: &Auth) -> Value {
    let (status, body) =
        form_post(app, "/auth/oauth2/introspect", &[("token", token)], caller).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn introspection_answers_only_for_the_callers_account(app: TestApp) {
    let admin = app.admin_pat().await;
    let client = service_account(&app, &admin).await;
    let as_client = Auth::Basic(client.id.clone(), client.secret.clone());
    let token = access_token(&app, &client).await;
    let seen = introspect(&app, &token, &as_client).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["client_id"], client.id);
    assert_eq!(
        seen["sub"],
        format!("urn:v1:eu:identity:credential:{NIC}/oauth2-{}", client.id)
    );
    assert_eq!(seen["scope"], "all");
    assert!(seen["exp"].is_i64());
    // A PAT, introspected by a bearer credential of the same account.
    let Auth::Bearer(pat) = &admin else {
        unreachable!()
    };
    let seen = introspect(&app, pat, &admin).await;
    assert_eq!(
        (seen["active"].as_bool(), seen["username"].as_str()),
        (Some(true), Some("admin"))
    );
    // Another account's client sees nothing of ours.
    app.post("/v2/admin/account", &admin, json!({ "nichandle": "lk0042-lk", "email": "b@example.com", "adminPassword": "account b password" }))
        .await
        .expect(200);
    let b_admin = Auth::password("lk0042-lk", "admin", "account b password");
    let b_client = service_account(&app, &b_admin).await;
    let as_b = Auth::Basic(b_client.id.clone(), b_client.secret.clone());
    assert_eq!(
        introspect(&app, &token, &as_b).await,
        json!({ "active": false })
    );
    assert_eq!(
        introspect(&app, pat, &as_b).await,
        json!({ "active": false })
    );
    // The operator's account runs the product back ends: a caller of it allowed
    // `oauth2/introspect/any` (a guard's credential) sees every account's tokens.
    let b_pat = app.create_pat(&b_admin, "admin", "b-token").await;
    assert_eq!(
        introspect(&app, &b_pat, &as_client).await,
        json!({ "active": false }),
        "not without the action"
    );
    let sa_urn = format!("urn:v1:eu:identity:credential:{NIC}/oauth2-{}", client.id);
    app.post(
        "/v2/iam/policy",
        &admin,
        json!({
            "name": "guard", "identities": [sa_urn],
            "resources": [{ "urn": format!("urn:v1:eu:resource:account:{NIC}") }],
            "permissions": { "allow": [{ "action": "account:apiovh:oauth2/introspect/any" }] },
        }),
    )
    .await
    .expect(200);
    let seen = introspect(&app, &b_pat, &as_client).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["sub"], "urn:v1:eu:identity:user:lk0042-lk/admin");
    assert_eq!(seen["jti"].as_str().map(str::len), Some(64));
    let b_token = access_token(&app, &b_client).await;
    assert_eq!(introspect(&app, &b_token, &as_client).await["active"], true);
    assert_eq!(
        introspect(&app, &b_token, &as_b).await["client_id"],
        b_client.id
    );
    // The same action is worth nothing outside the operator's account.
    let b_sa_urn = format!(
        "urn:v1:eu:identity:credential:lk0042-lk/oauth2-{}",
        b_client.id
    );
    app.post(
        "/v2/iam/policy",
        &b_admin,
        json!({
            "name": "guard", "identities": [b_sa_urn],
            "resources": [{ "urn": "urn:v1:eu:resource:account:lk0042-lk" }],
            "permissions": { "allow": [{ "action": "account:apiovh:oauth2/introspect/any" }] },
        }),
    )
    .await
    .expect(200);
    assert_eq!(
        introspect(&app, &token, &as_b).await,
        json!({ "active": false })
    );
    // Keystone tokens are introspected too, with their project and roles.
    let ks = app.ks_admin().await;
    let seen = introspect(&app, &ks, &as_client).await;
    assert_eq!(seen["token_type"], "keystone");
    assert_eq!(seen["sub"], format!("urn:v1:eu:identity:user:{NIC}/admin"));
    assert!(seen["roles"].as_array().unwrap().contains(&json!("admin")));
    assert!(seen["project_id"].is_string());
    assert_eq!(seen["jti"], seen["audit_ids"][0]);
    assert_eq!(
        introspect(&app, &ks, &as_b).await,
        json!({ "active": false })
    );
    assert_eq!(
        introspect(&app, "garbage", &as_client).await,
        json!({ "active": false })
    );
    // The caller must authenticate, and name a token.
    let (status, body) = form_post(
        &app,
        "/auth/oauth2/introspect",
        &[("token", &token)],
        &Auth::None,
    )
    .await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = form_post(&app, "/auth/oauth2/introspect", &[], &as_client).await;
    assert!(
        status == 400 && body.contains("invalid_request"),
        "{status} {body}"
    );
}

async fn revocation_refuses_the_token_from_the_next_call_and_survives_restart(mut app: TestApp) {
    let admin = app.admin_pat().await;
    let client = service_account(&app, &admin).await;
    let as_client = Auth::Basic(client.id.clone(), client.secret.clone());
    let token = access_token(&app, &client).await;
    let other = access_token(&app, &client).await;
    app.get("/1.0/me", &Auth::Bearer(token.clone()))
        .await
        .expect_error(403, "Client::Forbidden");
    let (status, _) = form_post(
        &app,
        "/auth/oauth2/revoke",
        &[("token", &token)],
        &as_client,
    )
    .await;
    assert_eq!(status, 200);
    let msg = app
        .get("/1.0/me", &Auth::Bearer(token.clone()))
        .await
        .expect_error(401, "Client::Unauthorized");
    assert!(msg.contains("revoked"), "{msg}");
    assert_eq!(introspect(&app, &token, &as_client).await["active"], false);
    app.get("/1.0/me", &Auth::Bearer(other.clone()))
        .await
        .expect_error(403, "Client::Forbidden");
    // Unknown tokens are answered alike.
    let (status, _) = form_post(
        &app,
        "/auth/oauth2/revoke",
        &[("token", "garbage")],
        &as_client,
    )
    .await;
    assert_eq!(status, 200);
    // Revoking a PAT deletes it.
    let pat = app.create_pat(&admin, "admin", "short-lived").await;
    let (status, _) = form_post(&app, "/auth/oauth2/revoke", &[("token", &pat)], &admin).await;
    assert_eq!(status, 200);
    app.get("/1.0/me", &Auth::Bearer(pat))
        .await
        .expect_error(401, "Client::Unauthorized");
    app.restart().await;
    app.get("/1.0/me", &Auth::Bearer(token))
        .await
        .expect_error(401, "Client::Unauthorized");
    app.get("/1.0/me", &Auth::Bearer(other))
        .await
        .expect_error(403, "Client::Forbidden");
}

async fn token_requests_beyond_the_per_client_limit_get_429(app: TestApp) {
    let admin = app.admin_pat().await;
    let client = service_account(&app, &admin).await;
    let other = service_account(&app, &admin).await;
    let grant = [("grant_type", "client_credentials")];
    for _ in 0..30 {
        access_token(&app, &client).await;
    }
    let (status, headers, body) =
        token_request(&app, &grant, Some((&client.id, &client.secret))).await;
    assert_eq!(status, 429, "{body}");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    access_token(&app, &other).await;
    app.advance(TimeDelta::seconds(60));
    access_token(&app, &client).await;
}

pub struct Client {
    pub id: String,
    pub secret: String,
}

pub async fn service_account(app: &TestApp, admin: &Auth) -> Client {
    let body = json!({ "callbackUrls": [], "flow": "CLIENT_CREDENTIALS", "name": "robot", "description": "" });
    let created = app
        .post("/1.0/me/api/oauth2/client", admin, body)
        .await
        .expect(200);
    Client {
        id: created["clientId"].as_str().unwrap().to_owned(),
        secret: created["clientSecret"].as_str().unwrap().to_owned(),
    }
}

/// `POST /auth/oauth2/token` with a form body and optional Basic credentials.
pub async fn token_request(
    app: &TestApp,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut req = app
        .client
        .post(format!("{}/auth/oauth2/token", app.base))
        .form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.json().await.unwrap())
}

pub async fn access_token(app: &TestApp, client: &Client) -> String {
    let (status, _, body) = token_request(
        app,
        &[("grant_type", "client_credentials")],
        Some((&client.id, &client.secret)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

async fn client_credentials_grant_with_basic_or_body_authentication(app: TestApp) {
    let admin = app.admin_pat().await;
    let client = service_account(&app, &admin).await;
    let (status, headers, basic) = token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some((&client.id, &client.secret)),
    )
    .await;
    assert_eq!(status, 200, "{basic}");
    assert_eq!(basic["token_type"], "Bearer");
    assert_eq!(basic["expires_in"], 3600);
    assert_eq!(basic["scope"], "all");
    assert_eq!(headers["cache-control"], "no-store");
    let (status, _, body) = token_request(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client.id),
            ("client_secret", &client.secret),
            ("scope", "all"),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert!(header["kid"].is_string());
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        claims["sub"],
        format!("urn:v1:eu:identity:credential:{NIC}/oauth2-{}", client.id)
    );
    assert_eq!(claims["client_id"], client.id);
    assert!(claims["jti"].is_string() && claims["exp"].is_i64());
    assert_ne!(
        basic["access_token"], body["access_token"],
        "each grant is a new token"
    );
}

async fn access_token_authenticates_the_service_account_on_the_api(app: TestApp) {
    let admin = app.admin_pat().await;
    let client = service_account(&app, &admin).await;
    let token = access_token(&app, &client).await;
    // Authenticated as the service account, which no rule grants anything yet: 403, not 401.
    for auth in [Auth::Bearer(token.clone()), Auth::pat_basic(&token)] {
        for path in [
            "/1.0/me",
            "/v1/me/identity/user",
            "/1.0/me/api/oauth2/client",
        ] {
            let reply = app.get(path, &auth).await;
            reply.expect_error(403, "Client::Forbidden");
        }
    }
    // A PAT and an access token are told apart; garbage that looks like a JWT is a 401.
    app.get(
        "/1.0/me",
        &Auth::Bearer("eyJhbGciOiJFZERTQSJ9.e30.c2ln".into()),
    )
    .await
    .expect_error(401, "Client::Unauthorized");
}

async fn deleting_the_service_account_refuses_its_token_on_the_next_call(app: TestApp) {
    let admin = app.admin_pat().await;
    let client = service_account(&app, &admin).await;
    let token = Auth::Bearer(access_token(&app, &client).await);
    app.get("/1.0/me", &token)
        .await
        .expect_error(403, "Client::Forbidden");
    app.delete(&format!("/1.0/me/api/oauth2/client/{}", client.id), &admin)
        .await
        .expect(200);
    app.get("/1.0/me", &token)
        .await
        .expect_error(401, "Client::Unauthorized");
    let (status, _, body) = token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some((&client.id, &client.secret)),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

async fn token_endpoint_errors_follow_rfc_6749(app: TestApp) {
    let admin = app.admin_pat().await;
    let client = service_account(&app, &admin).await;
    let other = service_account(&app, &admin).await;
    let grant = [("grant_type", "client_credentials")];
    type Case<'a> = (
        Vec<(&'a str, &'a str)>,
        Option<(&'a str, &'a str)>,
        u16,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            grant.to_vec(),
            Some((&client.id, &other.secret)),
            401,
            "invalid_client",
        ),
        (
            grant.to_vec(),
            Some(("0f0f0f0f0f0f0f0f", &client.secret)),
            401,
            "invalid_client",
        ),
        (
            grant.to_vec(),
            Some(("not-hex", "lksec_x")),
            401,
            "invalid_client",
        ),
        (
            grant.to_vec(),
            Some((&client.id, "lksec_badchecksum000000000000000000000000")),
            401,
            "invalid_client",
        ),
        (grant.to_vec(), None, 401, "invalid_client"),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &client.id),
            ],
            None,
            401,
            "invalid_client",
        ),
        (
            vec![("grant_type", "password")],
            Some((&client.id, &client.secret)),
            400,
            "unsupported_grant_type",
        ),
        (
            vec![],
            Some((&client.id, &client.secret)),
            400,
            "invalid_request",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("grant_type", "client_credentials"),
            ],
            Some((&client.id, &client.secret)),
            400,
            "invalid_request",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &client.id),
                ("client_secret", &client.secret),
            ],
            Some((&client.id, &client.secret)),
            400,
            "invalid_request",
        ),
        (
            vec![("grant_type", "client_credentials"), ("scope", "admin")],
            Some((&client.id, &client.secret)),
            400,
            "invalid_scope",
        ),
    ];
    for (form, basic, status, error) in cases {
        let (got, headers, body) = token_request(&app, &form, basic).await;
        assert_eq!(
            (got.as_u16(), body["error"].as_str()),
            (status, Some(error)),
            "{form:?} {basic:?}: {body}"
        );
        assert!(body["error_description"].is_string());
        if status == 401 {
            assert!(
                headers["www-authenticate"]
                    .to_str()
                    .unwrap()
                    .starts_with("Basic")
            );
        }
    }
    // Malformed Basic header and a non-form body.
    let res = app
        .client
        .post(format!("{}/auth/oauth2/token", app.base))
        .header("authorization", "Basic %%%")
        .form(&grant)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    let res = app
        .client
        .post(format!("{}/auth/oauth2/token", app.base))
        .body(vec![0xff, 0xfe])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // An AUTHORIZATION_CODE client may not use client_credentials.
    let web = app
        .post(
            "/1.0/me/api/oauth2/client",
            &admin,
            json!({ "callbackUrls": ["https://app.example.com/cb"], "flow": "AUTHORIZATION_CODE", "name": "web" }),
        )
        .await
        .expect(200);
    let basic = (
        web["clientId"].as_str().unwrap(),
        web["clientSecret"].as_str().unwrap(),
    );
    let (got, _, body) = token_request(&app, &grant, Some(basic)).await;
    assert_eq!(
        (got.as_u16(), body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
}

async fn expired_access_token_is_refused(app: TestApp) {
    let admin = app.admin_pat().await;
    let client = service_account(&app, &admin).await;
    let token = Auth::Bearer(access_token(&app, &client).await);
    app.advance(TimeDelta::seconds(3599));
    app.get("/1.0/me", &token)
        .await
        .expect_error(403, "Client::Forbidden");
    app.advance(TimeDelta::seconds(2));
    let msg = app
        .get("/1.0/me", &token)
        .await
        .expect_error(401, "Client::Unauthorized");
    assert!(msg.contains("expired"), "{msg}");
}

async fn forged_tokens_are_refused(app: TestApp) {
    let admin = app.admin_pat().await;
    let client = service_account(&app, &admin).await;
    let token = access_token(&app, &client).await;
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = json!(format!("urn:v1:eu:identity:user:{NIC}/admin"));
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({ "alg": "none", "kid": header["kid"] }).to_string()),
        parts[1]
    );
    let hs256 = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(json!({ "alg": "HS256", "kid": header["kid"] }).to_string()),
        parts[1],
        parts[2]
    );
    let unknown_kid = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(json!({ "alg": "EdDSA", "kid": "nope" }).to_string()),
        parts[1],
        parts[2]
    );
    for forged in [tampered, none, hs256, unknown_kid] {
        app.get("/1.0/me", &Auth::Bearer(forged.clone()))
            .await
            .expect_error(401, "Client::Unauthorized");
        app.get("/1.0/me", &Auth::pat_basic(&forged))
            .await
            .expect_error(401, "Client::Unauthorized");
    }
    let _ = STANDARD; // both alphabets are exercised by the client libraries elsewhere
}

async fn rotation_keeps_earlier_tokens_valid_and_publishes_keys_ahead(app: TestApp) {
    let admin = app.admin_pat().await;
    let client = service_account(&app, &admin).await;
    let kids = |jwks: &Value| -> Vec<String> {
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    let before = app
        .get("/.well-known/jwks.json", &Auth::None)
        .await
        .expect(200);
    assert_eq!(
        kids(&before).len(),
        2,
        "primary and staged are published: {before}"
    );
    let old = access_token(&app, &client).await;
    let rotated = app
        .post("/v2/admin/keys/rotate", &admin, json!({}))
        .await
        .expect(200);
    let states: Vec<_> = rotated["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["state"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(states, ["RETIRED", "PRIMARY", "STAGED"], "{rotated}");
    let after = app
        .get("/.well-known/jwks.json", &Auth::None)
        .await
        .expect(200);
    assert_eq!(kids(&after).len(), 3);
    assert_eq!(
        kids(&after)[1],
        kids(&before)[1],
        "the staged key became primary"
    );
    let new = access_token(&app, &client).await;
    let kid = |t: &str| -> Value {
        serde_json::from_slice::<Value>(
            &URL_SAFE_NO_PAD
                .decode(t.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap()["kid"]
            .clone()
    };
    assert_eq!(kid(&new), json!(kids(&before)[1]));
    for token in [&old, &new] {
        app.get("/1.0/me", &Auth::Bearer(token.clone()))
            .await
            .expect_error(403, "Client::Forbidden");
    }
    // Only the operator rotates.
    let sa_token = Auth::Bearer(new.clone());
    app.post("/v2/admin/keys/rotate", &sa_token, json!({}))
        .await
        .expect_error(403, "Client::Forbidden");
    // The old key also signed Keystone tokens (24 h, readable with allow_expired for 48 h
    // more): once the last of those has expired, a second rotation drops it.
    app.advance(TimeDelta::hours(72) - TimeDelta::seconds(1));
    app.post("/v2/admin/keys/rotate", &admin, json!({}))
        .await
        .expect(200);
    let still = app
        .get("/.well-known/jwks.json", &Auth::None)
        .await
        .expect(200);
    assert!(kids(&still).contains(&kids(&before)[0]), "{still}");
    app.advance(TimeDelta::seconds(2));
    app.post("/v2/admin/keys/rotate", &admin, json!({}))
        .await
        .expect(200);
    let later = app
        .get("/.well-known/jwks.json", &Auth::None)
        .await
        .expect(200);
    assert!(!kids(&later).contains(&kids(&before)[0]), "{later}");
}

async fn metadata_describes_the_token_endpoint(app: TestApp) {
    let meta = app
        .get("/.well-known/oauth-authorization-server", &Auth::None)
        .await
        .expect(200);
    let issuer = meta["issuer"].as_str().unwrap();
    assert_eq!(
        meta["token_endpoint"],
        format!("{issuer}/auth/oauth2/token")
    );
    assert_eq!(meta["jwks_uri"], format!("{issuer}/.well-known/jwks.json"));
    assert_eq!(meta["grant_types_supported"], json!(["client_credentials"]));
    let alias = app
        .get(
            "/auth/oauth2/.well-known/oauth-authorization-server",
            &Auth::None,
        )
        .await
        .expect(200);
    assert_eq!(alias, meta);
}
