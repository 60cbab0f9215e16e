//! The web console as a browser uses it, over real HTTP: sign-in through the password checks
//! and throttles of the API, sessions that end (sign-out, disable, password change, idle time,
//! lifetime) on every node, CSRF, security headers, escaping, a refusal naming the IAM action.
//! The walk through the pages in a real browser is `browser/` (Playwright and Chromium).

use std::collections::HashMap;

use chrono::TimeDelta;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{ADMIN_PASSWORD, Auth, NIC, TestApp};

crate::on_both_backends!(
    console_pages_carry_the_security_headers,
    a_browser_asking_for_slash_is_sent_to_the_console_and_keystone_clients_are_not,
    signing_in_opens_a_session_and_a_wrong_password_does_not,
    failed_sign_ins_are_throttled_exactly_as_basic_authentication,
    a_form_without_its_csrf_token_changes_nothing,
    a_token_made_in_the_console_works_and_its_value_is_shown_once,
    a_session_replayed_after_sign_out_is_refused_on_every_node,
    disabling_deleting_or_a_new_password_ends_the_users_sessions,
    sessions_end_after_their_idle_timeout_and_their_lifetime,
    what_a_user_typed_is_shown_as_text,
    a_refused_page_names_the_missing_action_and_is_recorded,
    the_session_id_is_never_stored_or_recorded_in_clear,
    users_are_added_edited_and_deleted_from_the_console,
    groups_are_added_edited_and_deleted_from_the_console,
    a_service_account_form_sent_twice_makes_one_service_account,
    the_audit_logs_page_shows_the_accounts_records,
    the_operator_page_is_the_operators_alone,
    a_list_of_many_users_pages_and_filters_on_the_server,
    the_policy_pickers_offer_the_accounts_identities_and_actions,
);

/// A browser: its cookies, no automatic redirects.
struct Browser {
    base: String,
    http: reqwest::Client,
    cookies: HashMap<String, String>,
}

struct Page {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The value of the first hidden input named `name`.
    fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .text
            .find(&marker)
            .unwrap_or_else(|| panic!("no {name} field in {}", self.text))
            + marker.len();
        self.text[start..].split('"').next().unwrap().to_owned()
    }
}

impl Browser {
    fn new(app: &TestApp) -> Self {
        Browser {
            base: app.base.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let req = if self.cookies.is_empty() {
            req
        } else {
            req.header("cookie", self.cookie_header())
        };
        let res = req.header("accept", "text/html").send().await.unwrap();
        for set in res.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Page {
            status: res.status(),
            headers: res.headers().clone(),
            text: res.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let req = self.http.post(format!("{}{path}", self.base)).form(fields);
        self.send(req).await
    }

    async fn sign_in(&mut self, user: &str, password: &str) -> Page {
        let form = self.get("/console/sign-in").await;
        let binding = form.hidden("binding");
        self.post(
            "/console/sign-in",
            &[
                ("binding", &binding),
                ("next", "/console/"),
                ("user", user),
                ("password", password),
            ],
        )
        .await
    }

    async fn sign_in_as_admin(&mut self) {
        let page = self.sign_in(&format!("{NIC}/admin"), ADMIN_PASSWORD).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    }

    fn session(&self) -> String {
        self.cookies
            .get("latchkey_session")
            .cloned()
            .expect("a session cookie")
    }

    /// The CSRF token of the page at `path`.
    async fn csrf(&mut self, path: &str) -> String {
        self.get(path).await.hidden("csrf")
    }
}

const TOKENS: &str = "/console/identities/users/admin/tokens";

async fn add_user(app: &TestApp, login: &str, group: Option<&str>) {
    let mut body = json!({
        "login": login, "email": format!("{login}@example.com"),
        "password": "Corr3ct-Horse-Battery!", "description": "",
    });
    if let Some(group) = group {
        body["group"] = json!(group);
    }
    app.post("/1.0/me/identity/user", &app.admin, body)
        .await
        .expect(200);
}

async fn console_pages_carry_the_security_headers(app: TestApp) {
    let mut browser = Browser::new(&app);
    let sign_in = browser.get("/console/sign-in").await;
    browser.sign_in_as_admin().await;
    let users = browser.get("/console/identities/users").await;
    let missing = browser.get("/console/no-such-page").await;
    assert_eq!(users.status, StatusCode::OK);
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.text.contains("There is no such page"),
        "{}",
        missing.text
    );
    for page in [&sign_in, &users, &missing] {
        let h = |name: &str| page.headers.get(name).unwrap().to_str().unwrap().to_owned();
        let csp = h("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(h("x-content-type-options"), "nosniff");
        assert_eq!(h("referrer-policy"), "same-origin");
        assert_eq!(h("cache-control"), "no-store");
        assert!(h("content-type").starts_with("text/html"));
        assert!(!page.text.contains("<script>"), "no inline script");
        assert!(!page.text.contains(" style="), "no inline style");
    }
    let cookie = sign_in.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
}

async fn a_browser_asking_for_slash_is_sent_to_the_console_and_keystone_clients_are_not(
    app: TestApp,
) {
    let mut browser = Browser::new(&app);
    let page = browser.get("/").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/console/");
    let versions = app.ks(reqwest::Method::GET, "/", None, None, None).await;
    assert_eq!(versions.status, StatusCode::MULTIPLE_CHOICES);
    assert!(versions.json()["versions"]["values"].is_array());
    // Not signed in: the console's pages send to sign-in, coming back afterwards.
    let users = browser.get("/console/identities/users?name=x").await;
    assert_eq!(users.status, StatusCode::SEE_OTHER);
    assert_eq!(
        users.location(),
        "/console/sign-in?next=%2Fconsole%2Fidentities%2Fusers%3Fname%3Dx"
    );
}

async fn signing_in_opens_a_session_and_a_wrong_password_does_not(app: TestApp) {
    let mut browser = Browser::new(&app);
    let wrong = browser
        .sign_in(&format!("{NIC}/admin"), "not-the-password")
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .text
            .contains("The account, login or password is not right")
    );
    assert!(!browser.cookies.contains_key("latchkey_session"));
    // A sign-in form posted without its own cookie (from another site) is refused.
    let mut other = Browser::new(&app);
    let forged = other
        .post(
            "/console/sign-in",
            &[
                ("binding", "x"),
                ("user", &format!("{NIC}/admin")),
                ("password", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(!other.cookies.contains_key("latchkey_session"));

    let ok = browser
        .sign_in(&format!("{NIC}/admin"), ADMIN_PASSWORD)
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location(), "/console/");
    assert!(browser.session().starts_with("lkses_"));
    let users = browser.get("/console/identities/users").await;
    assert_eq!(users.status, StatusCode::OK);
    assert!(
        users.text.contains("Signed in as <strong>admin</strong>"),
        "{}",
        users.text
    );
    assert!(users.text.contains(NIC));
    // The sign-in is in the audit log as OVHcloud records it.
    let log = app
        .get("/1.0/me/logs/audit?type=LOGIN_SUCCESS", &app.admin)
        .await
        .expect(200);
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|r| r["type"] == "LOGIN_SUCCESS"),
        "{log}"
    );
}

async fn failed_sign_ins_are_throttled_exactly_as_basic_authentication(app: TestApp) {
    add_user(&app, "alice", None).await;
    let mut browser = Browser::new(&app);
    for _ in 0..10 {
        let page = browser
            .sign_in(&format!("{NIC}/admin"), "wrong-password")
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    // The eleventh, right or wrong, is refused for this address and user, as Basic is.
    let locked = browser
        .sign_in(&format!("{NIC}/admin"), ADMIN_PASSWORD)
        .await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.text
    );
    assert!(locked.headers.contains_key("retry-after"));
    app.get("/1.0/me", &app.admin)
        .await
        .expect_error(429, "Client::TooManyRequests");
    // And the other way round: the API's failures count for the console's sign-in.
    for _ in 0..10 {
        app.get("/1.0/me", &Auth::password(NIC, "alice", "wrong-password"))
            .await
            .expect(401);
    }
    let alice = browser
        .sign_in(&format!("{NIC}/alice"), "Corr3ct-Horse-Battery!")
        .await;
    assert_eq!(alice.status, StatusCode::TOO_MANY_REQUESTS);
}

async fn a_form_without_its_csrf_token_changes_nothing(app: TestApp) {
    let mut browser = Browser::new(&app);
    browser.sign_in_as_admin().await;
    let fields = |csrf: &'static str| {
        vec![
            ("csrf", csrf),
            ("name", "from-elsewhere"),
            ("description", ""),
        ]
    };
    let without = browser
        .post(TOKENS, &[("name", "from-elsewhere"), ("description", "")])
        .await;
    assert_eq!(without.status, StatusCode::FORBIDDEN);
    assert!(without.text.contains("CSRF"));
    let wrong = browser.post(TOKENS, &fields("0123456789abcdef")).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    // Another session's token is wrong too.
    let mut other = Browser::new(&app);
    other.sign_in_as_admin().await;
    let theirs = other.csrf(TOKENS).await;
    let crossed = browser
        .post(TOKENS, &[("csrf", &theirs), ("name", "from-elsewhere")])
        .await;
    assert_eq!(crossed.status, StatusCode::FORBIDDEN);
    let disable = browser
        .post("/console/identities/users/admin/disable", &[])
        .await;
    assert_eq!(disable.status, StatusCode::FORBIDDEN);
    let sign_out = browser.post("/console/sign-out", &[]).await;
    assert_eq!(sign_out.status, StatusCode::FORBIDDEN);
    let tokens = app
        .get("/1.0/me/identity/user/admin/token", &app.admin)
        .await
        .expect(200);
    assert_eq!(tokens, json!([]), "nothing was created");
    // The session still works: a refused form did not end it.
    assert_eq!(browser.get(TOKENS).await.status, StatusCode::OK);
    // With its own token, the same form works.
    let csrf = browser.csrf(TOKENS).await;
    let made = browser
        .post(
            TOKENS,
            &[("csrf", &csrf), ("name", "from-here"), ("description", "")],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);
}

async fn a_token_made_in_the_console_works_and_its_value_is_shown_once(app: TestApp) {
    let mut browser = Browser::new(&app);
    browser.sign_in_as_admin().await;
    let csrf = browser.csrf(&format!("{TOKENS}?add=1")).await;
    let made = browser
        .post(
            TOKENS,
            &[
                ("csrf", &csrf),
                ("name", "ci-deploy"),
                ("description", "deploys"),
                ("expires", "on"),
                ("expiry_kind", "duration"),
                ("amount", "1"),
                ("unit", "days"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);
    assert_eq!(made.headers["cache-control"], "no-store");
    assert!(made.text.contains(
        "Copy the token value immediately and store it in a secure location. It will not be displayed again."
    ));
    let start = made.text.find("lkpat_").expect("the value is shown");
    let value: String = made.text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    app.get("/1.0/me", &Auth::Bearer(value.clone()))
        .await
        .expect(200);
    app.get("/1.0/me", &Auth::pat_basic(&value))
        .await
        .expect(200);
    let pat = app
        .get("/1.0/me/identity/user/admin/token/ci-deploy", &app.admin)
        .await
        .expect(200);
    let expires: chrono::DateTime<chrono::Utc> =
        pat["expiresAt"].as_str().unwrap().parse().unwrap();
    let lifetime = expires - app.clock_now();
    assert!(
        (lifetime - TimeDelta::days(1)).num_seconds().abs() < 60,
        "{lifetime}"
    );
    // The list shows the token, never its value.
    let list = browser.get(TOKENS).await;
    assert!(list.text.contains("ci-deploy") && list.text.contains("Active"));
    assert!(!list.text.contains(&value));
    assert!(!list.text.contains("lkpat_"));
    // Sending the same form again does not show a value: the name is taken.
    let again = browser
        .post(
            TOKENS,
            &[("csrf", &csrf), ("name", "ci-deploy"), ("description", "")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(!again.text.contains("lkpat_"));
    assert!(again.text.contains("already exists"), "{}", again.text);
    // Delete, after the confirmation: the next call is refused.
    let confirm = browser.get(&format!("{TOKENS}/ci-deploy/delete")).await;
    assert!(confirm.text.contains("Confirm the deletion"));
    let csrf = confirm.hidden("csrf");
    let deleted = browser
        .post(&format!("{TOKENS}/ci-deploy/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    app.get("/1.0/me", &Auth::Bearer(value)).await.expect(401);
    // A field the API would refuse is named next to it, in the API's words.
    let bad = browser
        .post(
            TOKENS,
            &[
                ("csrf", &csrf),
                ("name", "no spaces allowed"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text.contains("id=\"name-error\""), "{}", bad.text);
}

async fn a_session_replayed_after_sign_out_is_refused_on_every_node(app: TestApp) {
    let other_node = app.another_node().await;
    let mut browser = Browser::new(&app);
    browser.sign_in_as_admin().await;
    let session = browser.session();
    // The same cookie works on another node of the cluster.
    let mut elsewhere = Browser::new(&other_node);
    elsewhere
        .cookies
        .insert("latchkey_session".into(), session.clone());
    assert_eq!(elsewhere.get(TOKENS).await.status, StatusCode::OK);
    let csrf = browser.csrf(TOKENS).await;
    let out = browser.post("/console/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(!browser.cookies.contains_key("latchkey_session"));
    // Replayed, the old cookie gets the sign-in page, here and on the other node.
    let mut replay = Browser::new(&app);
    replay
        .cookies
        .insert("latchkey_session".into(), session.clone());
    let page = replay.get(TOKENS).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location().starts_with("/console/sign-in"));
    other_node.apply_revocation_events().await;
    let page = elsewhere.get(TOKENS).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location().starts_with("/console/sign-in"));
}

async fn disabling_deleting_or_a_new_password_ends_the_users_sessions(app: TestApp) {
    add_user(&app, "bob", Some("ADMIN")).await;
    let mut bob = Browser::new(&app);
    let page = bob
        .sign_in(&format!("{NIC}/bob"), "Corr3ct-Horse-Battery!")
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    assert_eq!(bob.get(TOKENS).await.status, StatusCode::OK);
    app.put(
        "/1.0/me/identity/user/bob",
        &app.admin,
        json!({ "password": "An0ther-Horse-Battery!" }),
    )
    .await
    .expect(200);
    let page = bob.get(TOKENS).await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "a password change ends it"
    );

    let page = bob
        .sign_in(&format!("{NIC}/bob"), "An0ther-Horse-Battery!")
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(bob.get(TOKENS).await.status, StatusCode::OK);
    // Disabled from the admin's console: bob's session ends.
    let mut admin = Browser::new(&app);
    admin.sign_in_as_admin().await;
    let csrf = admin.csrf("/console/identities/users").await;
    let done = admin
        .post("/console/identities/users/bob/disable", &[("csrf", &csrf)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let list = admin.get(done.location()).await;
    assert!(list.text.contains("User bob is disabled"), "{}", list.text);
    assert_eq!(bob.get(TOKENS).await.status, StatusCode::SEE_OTHER);
    // Enabled again, the old session stays ended; a new sign-in works.
    admin
        .post("/console/identities/users/bob/enable", &[("csrf", &csrf)])
        .await;
    assert_eq!(bob.get(TOKENS).await.status, StatusCode::SEE_OTHER);
    let page = bob
        .sign_in(&format!("{NIC}/bob"), "An0ther-Horse-Battery!")
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(bob.get(TOKENS).await.status, StatusCode::OK);
    // Deleted, the user's session ends with it.
    app.delete("/1.0/me/identity/user/bob", &app.admin)
        .await
        .expect(200);
    assert_eq!(bob.get(TOKENS).await.status, StatusCode::SEE_OTHER);
}

async fn sessions_end_after_their_idle_timeout_and_their_lifetime(app: TestApp) {
    let mut browser = Browser::new(&app);
    browser.sign_in_as_admin().await;
    // Active every 20 minutes, the session lives on past the 30-minute idle timeout …
    for _ in 0..3 {
        app.advance(TimeDelta::minutes(20));
        assert_eq!(browser.get(TOKENS).await.status, StatusCode::OK);
    }
    // … and ends after 30 minutes without a request.
    app.advance(TimeDelta::minutes(31));
    assert_eq!(browser.get(TOKENS).await.status, StatusCode::SEE_OTHER);

    // However active, a session ends after its 12-hour lifetime.
    browser.sign_in_as_admin().await;
    for _ in 0..(12 * 3) {
        app.advance(TimeDelta::minutes(20));
        if browser.get(TOKENS).await.status != StatusCode::OK {
            break;
        }
    }
    assert_eq!(browser.get(TOKENS).await.status, StatusCode::SEE_OTHER);
}

async fn what_a_user_typed_is_shown_as_text(app: TestApp) {
    app.post(
        "/1.0/me/identity/user/admin/token",
        &app.admin,
        json!({ "name": "xss", "description": "<script>alert(1)</script>\" onmouseover=\"x" }),
    )
    .await
    .expect(200);
    let mut browser = Browser::new(&app);
    browser.sign_in_as_admin().await;
    let list = browser.get(TOKENS).await;
    assert!(!list.text.contains("<script>alert(1)</script>"));
    assert!(
        list.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        list.text
    );
    assert!(!list.text.contains("\" onmouseover=\"x"));
    // A user name typed into the sign-in form comes back escaped too.
    let mut other = Browser::new(&app);
    let page = other.sign_in("<b>x</b>\"/y", "p").await;
    assert!(!page.text.contains("<b>x</b>"));
    assert!(
        page.text.contains("&lt;b&gt;x&lt;/b&gt;&quot;/y"),
        "{}",
        page.text
    );
}

async fn a_refused_page_names_the_missing_action_and_is_recorded(app: TestApp) {
    // A user of the DEFAULT group (no built-in grant) gets only what policies allow: nothing.
    add_user(&app, "carol", None).await;
    let mut carol = Browser::new(&app);
    let page = carol
        .sign_in(&format!("{NIC}/carol"), "Corr3ct-Horse-Battery!")
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let users = carol.get("/console/identities/users").await;
    assert_eq!(users.status, StatusCode::FORBIDDEN);
    assert!(
        users.text.contains("account:apiovh:me/identity/user/get"),
        "{}",
        users.text
    );
    assert!(!users.text.contains("admin@example.com"));
    let tokens = carol.get(TOKENS).await;
    assert_eq!(tokens.status, StatusCode::FORBIDDEN);
    assert!(
        tokens
            .text
            .contains("account:apiovh:me/identity/user/token/get")
    );
    // A policy that allows reading users opens that page, exactly as for the API.
    app.post(
        "/v2/iam/policy",
        &app.admin,
        json!({
            "name": "carol-reads-users",
            "identities": [format!("urn:v1:eu:identity:user:{NIC}/carol")],
            "resources": [{ "urn": format!("urn:v1:eu:resource:account:{NIC}") }],
            "permissions": { "allow": [{ "action": "account:apiovh:me/identity/user/get" }] },
        }),
    )
    .await
    .expect(200);
    let users = carol.get("/console/identities/users").await;
    assert_eq!(users.status, StatusCode::OK, "{}", users.text);
    assert!(users.text.contains("carol"));
    let log = app
        .get("/v2/audit/log?type=ACCESS_DENIED", &app.admin)
        .await
        .expect(200);
    assert!(
        log.to_string()
            .contains("account:apiovh:me/identity/user/token/get"),
        "{log}"
    );
}

async fn the_session_id_is_never_stored_or_recorded_in_clear(app: TestApp) {
    let mut browser = Browser::new(&app);
    browser.sign_in_as_admin().await;
    let session = browser.session();
    let csrf = browser.csrf(TOKENS).await;
    browser.post("/console/sign-out", &[("csrf", &csrf)]).await;
    let log = app.get("/v2/audit/log", &app.admin).await;
    assert!(log.text.contains("SESSION_CLOSED"), "{}", log.text);
    assert!(!log.text.contains(&session));
    assert!(!log.text.contains(&session["lkses_".len()..]));
    assert!(!log.text.contains(&csrf));
    if let Some(path) = app.sqlite_path() {
        for file in [path.clone(), path.with_extension("db-wal")] {
            if let Ok(bytes) = std::fs::read(&file) {
                let text = String::from_utf8_lossy(&bytes);
                assert!(
                    !text.contains(&session),
                    "{} holds the session id",
                    file.display()
                );
            }
        }
    }
}

async fn users_are_added_edited_and_deleted_from_the_console(app: TestApp) {
    let mut browser = Browser::new(&app);
    browser.sign_in_as_admin().await;
    let csrf = browser.csrf("/console/identities/users/new").await;
    let short = browser
        .post(
            "/console/identities/users",
            &[
                ("csrf", &csrf),
                ("login", "dave"),
                ("email", "dave@example.com"),
                ("group", "DEFAULT"),
                ("kind", "USER"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(
        short.text.contains("id=\"password-error\""),
        "{}",
        short.text
    );
    assert!(
        short.text.contains("at least 8 characters"),
        "{}",
        short.text
    );
    let made = browser
        .post(
            "/console/identities/users",
            &[
                ("csrf", &csrf),
                ("login", "dave"),
                ("email", "dave@example.com"),
                ("group", "DEFAULT"),
                ("description", "ops"),
                ("kind", "USER"),
                ("password", "Corr3ct-Horse-Battery!"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text);
    let dave = app
        .get("/1.0/me/identity/user/dave", &app.admin)
        .await
        .expect(200);
    assert_eq!(dave["description"], "ops");
    // The password works: a DEFAULT user is authenticated, and allowed nothing yet.
    app.get(
        "/1.0/me",
        &Auth::password(NIC, "dave", "Corr3ct-Horse-Battery!"),
    )
    .await
    .expect(403);
    let taken = browser
        .post(
            "/console/identities/users",
            &[
                ("csrf", &csrf),
                ("login", "dave"),
                ("email", "d@example.com"),
                ("group", "DEFAULT"),
                ("kind", "USER"),
                ("password", "Corr3ct-Horse-Battery!"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert!(taken.text.contains("id=\"login-error\""), "{}", taken.text);

    let form = browser.get("/console/identities/users/dave/edit").await;
    assert!(
        form.text.contains("value=\"dave@example.com\""),
        "{}",
        form.text
    );
    let saved = browser
        .post(
            "/console/identities/users/dave/edit",
            &[
                ("csrf", &csrf),
                ("email", "dave@example.org"),
                ("group", "ADMIN"),
                ("description", "on call"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let dave = app
        .get("/1.0/me/identity/user/dave", &app.admin)
        .await
        .expect(200);
    assert_eq!(
        (dave["email"].as_str(), dave["group"].as_str()),
        (Some("dave@example.org"), Some("ADMIN"))
    );
    // An empty password field keeps the password.
    app.get(
        "/1.0/me",
        &Auth::password(NIC, "dave", "Corr3ct-Horse-Battery!"),
    )
    .await
    .expect(200);

    let confirm = browser.get("/console/identities/users/dave/delete").await;
    assert!(confirm.text.contains("Confirm the deletion"));
    let gone = browser
        .post("/console/identities/users/dave/delete", &[("csrf", &csrf)])
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    app.get("/1.0/me/identity/user/dave", &app.admin)
        .await
        .expect(404);
}

async fn groups_are_added_edited_and_deleted_from_the_console(app: TestApp) {
    let mut browser = Browser::new(&app);
    browser.sign_in_as_admin().await;
    let csrf = browser.csrf("/console/identities/groups").await;
    let made = browser
        .post(
            "/console/identities/groups",
            &[
                ("csrf", &csrf),
                ("name", "auditors"),
                ("role", "REGULAR"),
                ("description", "read"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text);
    let list = browser.get(made.location()).await;
    assert!(list.text.contains("Group auditors is created."));
    assert!(
        list.text.contains("Default group"),
        "default groups cannot change"
    );
    let saved = browser
        .post(
            "/console/identities/groups/auditors/edit",
            &[
                ("csrf", &csrf),
                ("role", "ADMIN"),
                ("description", "everything"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let group = app
        .get("/1.0/me/identity/group/auditors", &app.admin)
        .await
        .expect(200);
    assert_eq!(group["role"], "ADMIN");
    let bad = browser
        .post(
            "/console/identities/groups",
            &[("csrf", &csrf), ("name", "x y"), ("role", "BOSS")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text.contains("id=\"role-error\""), "{}", bad.text);
    browser
        .post(
            "/console/identities/groups/auditors/delete",
            &[("csrf", &csrf)],
        )
        .await;
    app.get("/1.0/me/identity/group/auditors", &app.admin)
        .await
        .expect(404);
}

async fn a_service_account_form_sent_twice_makes_one_service_account(app: TestApp) {
    let mut browser = Browser::new(&app);
    browser.sign_in_as_admin().await;
    let form = browser
        .get("/console/identities/service-accounts/new")
        .await;
    let (csrf, once) = (form.hidden("csrf"), form.hidden("once"));
    let fields = [
        ("csrf", csrf.as_str()),
        ("once", once.as_str()),
        ("name", "ci"),
        ("description", ""),
        ("flow", "CLIENT_CREDENTIALS"),
        ("callback_urls", ""),
    ];
    let first = browser
        .post("/console/identities/service-accounts", &fields)
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert!(first.text.contains("lksec_"));
    assert_eq!(first.headers["cache-control"], "no-store");
    let again = browser
        .post("/console/identities/service-accounts", &fields)
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(!again.text.contains("lksec_"));
    let clients = app
        .get("/1.0/me/api/oauth2/client", &app.admin)
        .await
        .expect(200);
    assert_eq!(clients.as_array().unwrap().len(), 1, "{clients}");
}

async fn the_audit_logs_page_shows_the_accounts_records(app: TestApp) {
    let mut browser = Browser::new(&app);
    browser.sign_in_as_admin().await;
    app.post(
        "/1.0/me/identity/user/admin/token",
        &app.admin,
        json!({ "name": "audited", "description": "" }),
    )
    .await
    .expect(200);
    let page = browser.get("/console/audit").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("TOKEN_CREATED") && page.text.contains("LOGIN_SUCCESS"),
        "{}",
        page.text
    );
    let only = browser.get("/console/audit?type=TOKEN_CREATED").await;
    assert!(only.text.contains("audited"));
    assert!(
        !only.text.contains("<code>LOGIN_SUCCESS</code>"),
        "{}",
        only.text
    );
}

async fn the_operator_page_is_the_operators_alone(app: TestApp) {
    let mut browser = Browser::new(&app);
    browser.sign_in_as_admin().await;
    let page = browser.get("/console/operator").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let before = page.text.clone();
    let csrf = page.hidden("csrf");
    let made = browser
        .post(
            "/console/operator/accounts",
            &[("csrf", &csrf), ("email", "t@example.com")],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);
    assert!(made.text.contains("lk0002-lk"), "{}", made.text);
    let start = made.text.find("id=\"root-password\">").unwrap() + "id=\"root-password\">".len();
    let password: String = made.text[start..]
        .chars()
        .take_while(|c| *c != '<')
        .collect();
    app.get("/1.0/me", &Auth::password("lk0002-lk", "admin", &password))
        .await
        .expect(200);
    let rotated = browser
        .post("/console/operator/keys/rotate", &[("csrf", &csrf)])
        .await;
    assert_eq!(rotated.status, StatusCode::SEE_OTHER);
    let after = browser.get("/console/operator").await;
    assert_ne!(
        before.matches("PRIMARY").count() + before.matches("STAGED").count(),
        0
    );
    assert!(after.text.contains("RETIRED"), "{}", after.text);
    // The tenant's ROOT user is no operator: no Operator entry, and a refusal.
    let mut tenant = Browser::new(&app);
    let signed = tenant.sign_in("lk0002-lk/admin", &password).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    let users = tenant.get("/console/identities/users").await;
    assert!(!users.text.contains("/console/operator"));
    let refused = tenant.get("/console/operator").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        !refused.text.contains("lk0001-lk</strong>"),
        "no other account is shown"
    );
}

async fn a_list_of_many_users_pages_and_filters_on_the_server(app: TestApp) {
    for i in 0..120 {
        add_user_fast(&app, &format!("user{i:03}")).await;
    }
    let mut browser = Browser::new(&app);
    browser.sign_in_as_admin().await;
    let first = browser.get("/console/identities/users").await;
    assert!(first.text.contains("Users 1–50 of 121"), "{}", first.text);
    assert!(first.text.contains("Page 1 of 3"));
    assert!(first.text.contains("user048") && !first.text.contains("user050"));
    let third = browser.get("/console/identities/users?page=3").await;
    assert!(third.text.contains("user119") && !third.text.contains("user098"));
    let filtered = browser.get("/console/identities/users?name=USER11").await;
    assert!(filtered.text.contains("of 10"), "{}", filtered.text);
}

async fn add_user_fast(app: &TestApp, login: &str) {
    app.post(
        "/1.0/me/identity/user",
        &app.admin,
        json!({ "login": login, "email": "u@example.com", "password": "Corr3ct-Horse-Battery!", "description": "" }),
    )
    .await
    .expect(200);
}

async fn the_policy_pickers_offer_the_accounts_identities_and_actions(app: TestApp) {
    add_user(&app, "erin", None).await;
    // An action a product back end declared is offered beside the server's own.
    app.post(
        "/v2/admin/resource",
        &app.admin,
        json!({ "owner": NIC, "type": "objectStorage", "name": "photos",
                "actions": [{ "action": "objectStorage:apiovh:object/get", "description": "Read an object" }] }),
    )
    .await
    .expect(200);
    let mut browser = Browser::new(&app);
    browser.sign_in_as_admin().await;
    let form = browser.get("/console/iam/policies/new").await;
    for offered in [
        "User erin",
        "Group DEFAULT",
        "account:apiovh:me/identity/user/get",
        "objectStorage:apiovh:object/get",
        "Read an object",
    ] {
        assert!(form.text.contains(offered), "{offered} is not offered");
    }
    let erin = format!("urn:v1:eu:identity:user:{NIC}/erin");
    let csrf = form.hidden("csrf");
    let made = browser
        .post(
            "/console/iam/policies",
            &[
                ("csrf", &csrf),
                ("name", "erin-reads"),
                ("identity", &erin),
                ("other_identities", "admin"),
                ("account_resource", "on"),
                ("allow", "account:apiovh:me/identity/user/get"),
                ("other_allow", "account:apiovh:me/identity/group/*"),
                ("deny", "account:apiovh:me/identity/user/delete"),
                (
                    "conditions",
                    r#"{"operator": "MATCH", "values": {"request.IP.IN_RANGE": "127.0.0.0/8"}}"#,
                ),
                ("expires", "2099-01-01"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text);
    let policies = app.get("/v2/iam/policy", &app.admin).await.expect(200);
    let policy = policies
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "erin-reads")
        .unwrap();
    assert_eq!(
        policy["identities"],
        json!([erin, format!("urn:v1:eu:identity:user:{NIC}/admin")])
    );
    assert_eq!(
        policy["permissions"]["allow"],
        json!([
            { "action": "account:apiovh:me/identity/user/get" },
            { "action": "account:apiovh:me/identity/group/*" }
        ])
    );
    assert_eq!(
        policy["permissions"]["deny"][0]["action"],
        "account:apiovh:me/identity/user/delete"
    );
    assert_eq!(policy["expiredAt"], "2099-01-01T00:00:00Z");
    assert_eq!(
        policy["conditions"],
        json!({"operator": "MATCH", "values": {"request.IP.IN_RANGE": "127.0.0.0/8"}})
    );
    // Editing shows what the pickers hold as checked, the rest typed.
    let id = policy["id"].as_str().unwrap();
    let edit = browser
        .get(&format!("/console/iam/policies/{id}/edit"))
        .await;
    assert!(
        edit.text.contains(&format!("value=\"{erin}\" checked")),
        "{}",
        edit.text
    );
    assert!(
        edit.text
            .contains("account:apiovh:me/identity/group/*</textarea>"),
        "{}",
        edit.text
    );
    assert!(edit.text.contains("127.0.0.0/8"), "{}", edit.text);
    // A pattern the API refuses is named next to its field.
    let bad = browser
        .post(
            "/console/iam/policies",
            &[
                ("csrf", &csrf),
                ("name", "bad"),
                ("other_identities", "urn:v1:eu:resource:x"),
                ("allow", "account:apiovh:me/get"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.text.contains("id=\"other_identities-error\""),
        "{}",
        bad.text
    );
    // So is a condition the model refuses, with its fault.
    let bad = browser
        .post(
            "/console/iam/policies",
            &[
                ("csrf", &csrf),
                ("name", "bad-condition"),
                ("other_identities", "admin"),
                ("allow", "account:apiovh:me/get"),
                (
                    "conditions",
                    r#"{"operator": "MATCH", "values": {"request.IP.IN_RANGE": "10.0.0.0/40"}}"#,
                ),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text.contains("id=\"conditions-error\""), "{}", bad.text);
    assert!(bad.text.contains("not a CIDR block"), "{}", bad.text);
}

/// A server whose public URL is https (its cookies are then `Secure`, `__Host-`).
mod https {
    use super::*;

    async fn spawn(backend: crate::helpers::Backend) -> TestApp {
        TestApp::spawn_with(backend, |c| c.public_url = "https://id.example.com".into()).await
    }

    latchkey_server::on_both_backends!(super::spawn; over_https_the_session_cookie_is_secure_and_host_only);

    async fn over_https_the_session_cookie_is_secure_and_host_only(app: TestApp) {
        let mut browser = Browser::new(&app);
        let form = browser.get("/console/sign-in").await;
        let binding = form.hidden("binding");
        let signed = browser
            .post(
                "/console/sign-in",
                &[
                    ("binding", &binding),
                    ("user", &format!("{NIC}/admin")),
                    ("password", ADMIN_PASSWORD),
                ],
            )
            .await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.text);
        let cookies: Vec<&str> = signed
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        let session = cookies
            .iter()
            .find(|c| c.starts_with("__Host-latchkey_session=lkses_"))
            .unwrap_or_else(|| panic!("{cookies:?}"));
        for attribute in ["; Secure", "; HttpOnly", "; SameSite=Strict", "; Path=/"] {
            assert!(session.contains(attribute), "{session}");
        }
        assert!(!session.contains("Domain="), "{session}");
        // The plain-http name is not read over https.
        let value = browser.cookies["__Host-latchkey_session"].clone();
        let mut plain = Browser::new(&app);
        plain
            .cookies
            .insert("latchkey_session".into(), value.clone());
        assert_eq!(plain.get(TOKENS).await.status, StatusCode::SEE_OTHER);
        assert_eq!(browser.get(TOKENS).await.status, StatusCode::OK);
    }
}
