//! The CLI's client subcommands: the real binary against a real server, checking what they
//! print, where (results on stdout, notes on stderr) and their exit codes.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::process::Stdio;

use latchkey_server::testing::{ADMIN_PASSWORD, NIC, TestServer};
use serde_json::Value;
use support::latchkey as latchkey_command;

/// What one run of the binary produced.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "stderr: {}\nstdout: {}",
            self.stderr, self.stdout
        );
        self
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

/// Runs `latchkey ARGS` with only the given LATCHKEY_*/OS_* variables, feeding `stdin`.
async fn latchkey(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let stdin = stdin.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut child = latchkey_command()
            .args(&args)
            .envs(env)
            .env("LATCHKEY_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    })
    .await
    .unwrap()
}

/// The operator's ROOT user's PAT, made with the CLI itself (password credential).
async fn admin_token(server: &TestServer) -> String {
    let user = format!("{NIC}/admin");
    let run = latchkey(
        &["token", "create", "admin", "cli-admin"],
        &[
            ("LATCHKEY_URL", &server.base),
            ("LATCHKEY_USER", &user),
            ("LATCHKEY_PASSWORD", ADMIN_PASSWORD),
        ],
        "",
    )
    .await
    .ok();
    assert!(run.stderr.contains("shown this once"), "{}", run.stderr);
    let token = run.stdout.trim().to_owned();
    assert!(token.starts_with("lkpat_"), "{token}");
    token
}

latchkey_server::on_both_backends!(
    latchkey_server::testing::TestServer::spawn;
    users_and_tokens,
    service_accounts,
    policies_and_checks,
    openstack_with_an_openrc_file,
    errors_have_messages_and_exit_codes,
    audit_list_and_tail,
);

async fn users_and_tokens(server: TestServer) {
    let token = admin_token(&server).await;
    let env = [
        ("LATCHKEY_URL", server.base.as_str()),
        ("LATCHKEY_TOKEN", &token),
    ];

    let created = latchkey(
        &[
            "user",
            "create",
            "alice",
            "--email",
            "alice@example.com",
            "--description",
            "dev",
            "--json",
        ],
        &env,
        "alice password 1\n",
    )
    .await
    .ok();
    assert_eq!(created.json()["login"], "alice");
    assert!(!created.stdout.contains("alice password"));
    let list = latchkey(&["user", "list"], &env, "").await.ok();
    assert_eq!(list.stdout, "admin\nalice\n");
    let long = latchkey(&["user", "list", "--long"], &env, "").await.ok();
    let lines: Vec<&str> = long.stdout.lines().collect();
    assert!(
        lines[0].starts_with("LOGIN") && lines[0].contains("STATUS"),
        "{}",
        long.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("alice") && l.contains("OK"))
    );
    latchkey(&["user", "edit", "alice", "--description", "ops"], &env, "")
        .await
        .ok();
    let got = latchkey(&["user", "get", "alice", "--json"], &env, "")
        .await
        .ok();
    assert_eq!(got.json()["description"], "ops");
    latchkey(&["user", "disable", "alice"], &env, "").await.ok();
    let got = latchkey(&["user", "get", "alice"], &env, "").await.ok();
    assert!(
        got.stdout
            .lines()
            .any(|l| l.starts_with("status") && l.ends_with("DISABLED"))
    );
    latchkey(&["user", "enable", "alice"], &env, "").await.ok();

    // A PAT for alice, with an expiry; its value on stdout only.
    let pat = latchkey(
        &[
            "token",
            "create",
            "alice",
            "ci",
            "--expires-in",
            "90d",
            "--description",
            "pipeline",
        ],
        &env,
        "",
    )
    .await
    .ok();
    let alice_token = pat.stdout.trim().to_owned();
    assert!(alice_token.starts_with("lkpat_") && !pat.stdout.contains(' '));
    assert!(pat.stderr.contains("store it now"));
    let tokens = latchkey(&["token", "list", "alice"], &env, "").await.ok();
    assert!(
        tokens.stdout.lines().nth(1).unwrap().starts_with("ci "),
        "{}",
        tokens.stdout
    );
    assert!(
        !tokens.stdout.contains(&alice_token),
        "values are never listed"
    );
    let got = latchkey(&["token", "get", "alice", "ci", "--json"], &env, "")
        .await
        .ok();
    assert!(got.json()["expiresAt"].is_string());
    let edited = latchkey(
        &["token", "edit", "alice", "ci", "--no-expiry", "--json"],
        &env,
        "",
    )
    .await
    .ok();
    assert!(edited.json()["expiresAt"].is_null());
    latchkey(
        &[
            "token",
            "create",
            "alice",
            "dated",
            "--expires-at",
            "2099-01-31",
        ],
        &env,
        "",
    )
    .await
    .ok();
    let dated = latchkey(&["token", "get", "alice", "dated", "--json"], &env, "")
        .await
        .ok();
    assert_eq!(dated.json()["expiresAt"], "2099-01-31T00:00:00Z");

    // Alice's PAT carries alice's rights: her default group may not list users.
    let as_alice = [
        ("LATCHKEY_URL", server.base.as_str()),
        ("LATCHKEY_TOKEN", &alice_token),
    ];
    let refused = latchkey(&["user", "list"], &as_alice, "").await;
    assert_eq!(refused.code, 4, "{}", refused.stderr);
    assert!(refused.stderr.contains("403"), "{}", refused.stderr);
    latchkey(&["token", "delete", "alice", "ci"], &env, "")
        .await
        .ok();
    let gone = latchkey(&["user", "list"], &as_alice, "").await;
    assert_eq!(gone.code, 3, "{}", gone.stderr);
    latchkey(&["user", "delete", "alice"], &env, "").await.ok();
    assert_eq!(latchkey(&["user", "get", "alice"], &env, "").await.code, 5);
}

async fn service_accounts(server: TestServer) {
    let token = admin_token(&server).await;
    let env = [
        ("LATCHKEY_URL", server.base.as_str()),
        ("LATCHKEY_TOKEN", &token),
    ];
    let created = latchkey(
        &[
            "service-account",
            "create",
            "--name",
            "deployer",
            "--description",
            "CI",
        ],
        &env,
        "",
    )
    .await
    .ok();
    let secret = created.stdout.trim().to_owned();
    assert!(secret.starts_with("lksec_"), "{}", created.stdout);
    let client_id = created
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("client id: "))
        .unwrap()
        .to_owned();
    let list = latchkey(&["service-account", "list"], &env, "").await.ok();
    assert!(list.stdout.contains(&client_id) && list.stdout.contains("deployer"));
    assert!(!list.stdout.contains(&secret));
    let edited = latchkey(
        &[
            "service-account",
            "edit",
            &client_id,
            "--name",
            "releaser",
            "--json",
        ],
        &env,
        "",
    )
    .await
    .ok();
    assert_eq!(edited.json()["name"], "releaser");
    // The service account itself, by the client-credentials grant: authenticated, no rights.
    let as_sa = [
        ("LATCHKEY_URL", server.base.as_str()),
        ("LATCHKEY_CLIENT_ID", client_id.as_str()),
        ("LATCHKEY_CLIENT_SECRET", secret.as_str()),
    ];
    let refused = latchkey(&["service-account", "list"], &as_sa, "").await;
    assert_eq!(refused.code, 4, "{}", refused.stderr);
    latchkey(&["service-account", "delete", &client_id], &env, "")
        .await
        .ok();
    assert_eq!(
        latchkey(&["service-account", "get", &client_id], &env, "")
            .await
            .code,
        5
    );
    let gone = latchkey(&["service-account", "list"], &as_sa, "").await;
    assert_eq!(gone.code, 3, "{}", gone.stderr);
}

async fn policies_and_checks(server: TestServer) {
    let token = admin_token(&server).await;
    let env = [
        ("LATCHKEY_URL", server.base.as_str()),
        ("LATCHKEY_TOKEN", &token),
    ];
    latchkey(
        &[
            "user",
            "create",
            "bob",
            "--email",
            "bob@example.com",
            "--group",
            "UNPRIVILEGED",
        ],
        &env,
        "bob password 1\n",
    )
    .await
    .ok();
    let bob = format!("urn:v1:eu:identity:user:{NIC}/bob");
    let account = format!("urn:v1:eu:resource:account:{NIC}");
    let created = latchkey(
        &[
            "policy",
            "create",
            "--name",
            "bob-reads",
            "--identity",
            &bob,
            "--resource",
            &account,
            "--allow",
            "account:apiovh:me/identity/user/get",
            "--allow",
            "account:apiovh:iam/resource/authorization/check",
            "--json",
        ],
        &env,
        "",
    )
    .await
    .ok();
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let list = latchkey(&["policy", "list", "--identity", &bob], &env, "")
        .await
        .ok();
    assert!(list.stdout.contains(&id) && list.stdout.contains("bob-reads"));

    let bob_token = latchkey(&["token", "create", "bob", "t"], &env, "")
        .await
        .ok();
    let as_bob = [
        ("LATCHKEY_URL", server.base.as_str()),
        ("LATCHKEY_TOKEN", bob_token.stdout.trim()),
    ];
    let check = latchkey(
        &[
            "policy",
            "check",
            &account,
            "account:apiovh:me/identity/user/get",
        ],
        &as_bob,
        "",
    )
    .await
    .ok();
    assert_eq!(
        check.stdout,
        "allowed  account:apiovh:me/identity/user/get\n"
    );
    let partial = latchkey(
        &[
            "policy",
            "check",
            &account,
            "account:apiovh:me/identity/user/get",
            "account:apiovh:me/identity/user/delete",
        ],
        &as_bob,
        "",
    )
    .await;
    assert_eq!(partial.code, 4);
    assert!(
        partial
            .stdout
            .contains("denied   account:apiovh:me/identity/user/delete")
    );

    // Edit with flags keeps the rest; a file replaces the whole.
    let edited = latchkey(
        &[
            "policy",
            "edit",
            &id,
            "--description",
            "read only",
            "--json",
        ],
        &env,
        "",
    )
    .await
    .ok();
    assert_eq!(edited.json()["description"], "read only");
    assert_eq!(edited.json()["identities"][0], bob.as_str());
    let file = serde_json::json!({
        "name": "bob-reads", "identities": [bob], "resources": [{ "urn": account }],
        "permissions": { "allow": [{ "action": "account:apiovh:iam/resource/authorization/check" }] },
    });
    latchkey(
        &["policy", "edit", &id, "--file", "-"],
        &env,
        &file.to_string(),
    )
    .await
    .ok();
    let now_denied = latchkey(
        &[
            "policy",
            "check",
            &account,
            "account:apiovh:me/identity/user/get",
        ],
        &as_bob,
        "",
    )
    .await;
    assert_eq!(now_denied.code, 4);
    // A managed permissions group added with a flag gives its actions back; edits keep it.
    let reader = "urn:v1:eu:permissionsGroup:latchkey:accountReader";
    let grouped = latchkey(
        &[
            "policy",
            "edit",
            &id,
            "--permissions-group",
            reader,
            "--json",
        ],
        &env,
        "",
    )
    .await
    .ok();
    assert_eq!(grouped.json()["permissionsGroups"][0]["urn"], reader);
    let kept = latchkey(
        &[
            "policy",
            "edit",
            &id,
            "--description",
            "via a group",
            "--json",
        ],
        &env,
        "",
    )
    .await
    .ok();
    assert_eq!(kept.json()["permissionsGroups"][0]["urn"], reader);
    latchkey(
        &[
            "policy",
            "check",
            &account,
            "account:apiovh:me/identity/user/get",
        ],
        &as_bob,
        "",
    )
    .await
    .ok();
    let bad = latchkey(&["policy", "create", "--file", "-"], &env, "{\"name\": 3}").await;
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    latchkey(&["policy", "delete", &id], &env, "").await.ok();
    assert_eq!(latchkey(&["policy", "get", &id], &env, "").await.code, 5);
}

async fn openstack_with_an_openrc_file(server: TestServer) {
    let token = admin_token(&server).await;
    let env = [
        ("LATCHKEY_URL", server.base.as_str()),
        ("LATCHKEY_TOKEN", &token),
    ];
    let rc = latchkey(&["openstack", "openrc", "admin"], &env, "")
        .await
        .ok();
    assert!(rc.stdout.starts_with("#!"), "{}", rc.stdout);
    let mut vars = latchkey_client::parse_openrc(&rc.stdout);
    // The file names the server's public URL; this one listens elsewhere.
    vars.insert("OS_AUTH_URL".into(), format!("{}/v3/", server.base));
    vars.insert("OS_PASSWORD".into(), ADMIN_PASSWORD.into());
    let os: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();

    let issued = latchkey(&["openstack", "token", "issue"], &os, "")
        .await
        .ok();
    let id = issued
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("id"))
        .unwrap()
        .trim()
        .to_owned();
    assert!(
        issued.stdout.contains(&vars["OS_PROJECT_ID"]),
        "{}",
        issued.stdout
    );
    let catalog = latchkey(&["openstack", "catalog", "list"], &os, "")
        .await
        .ok();
    assert!(
        catalog.stdout.lines().any(|l| l.contains("identity")),
        "{}",
        catalog.stdout
    );
    let json = latchkey(
        &["openstack", "token", "issue", "--unscoped", "--json"],
        &os,
        "",
    )
    .await
    .ok();
    assert!(json.json()["project"].is_null());
    latchkey(&["openstack", "token", "revoke", &id], &os, "")
        .await
        .ok();
    let check = reqwest::Client::new()
        .get(format!("{}/v3/auth/tokens", server.base))
        .header("X-Auth-Token", json.json()["id"].as_str().unwrap())
        .header("X-Subject-Token", &id)
        .send()
        .await
        .unwrap();
    assert_eq!(check.status(), 404, "the revoked token no longer validates");
}

async fn errors_have_messages_and_exit_codes(server: TestServer) {
    let none = latchkey(&["user", "list", "--url", &server.base], &[], "").await;
    assert_eq!(none.code, 2);
    assert!(none.stderr.contains("LATCHKEY_TOKEN"), "{}", none.stderr);
    let closed = latchkey(
        &["user", "list"],
        &[
            ("LATCHKEY_URL", "http://127.0.0.1:9"),
            ("LATCHKEY_TOKEN", "lkpat_x"),
        ],
        "",
    )
    .await;
    assert_eq!(closed.code, 7, "{}", closed.stderr);
    let token = admin_token(&server).await;
    let env = [
        ("LATCHKEY_URL", server.base.as_str()),
        ("LATCHKEY_TOKEN", &token),
    ];
    let bad = latchkey(
        &["token", "create", "admin", "x", "--expires-in", "soon"],
        &env,
        "",
    )
    .await;
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("duration"), "{}", bad.stderr);
    let twice = latchkey(&["token", "create", "admin", "cli-admin"], &env, "").await;
    assert_eq!(twice.code, 6, "{}", twice.stderr);
    let no_password = latchkey(
        &["user", "create", "carl", "--email", "c@example.com"],
        &env,
        "",
    )
    .await;
    assert_eq!(no_password.code, 2, "{}", no_password.stderr);
    let invalid = latchkey(
        &["user", "create", "bad login!", "--email", "c@example.com"],
        &env,
        "pw pw pw pw\n",
    )
    .await;
    assert_eq!(invalid.code, 8, "{}", invalid.stderr);
    assert!(invalid.stderr.contains("login"), "{}", invalid.stderr);
    let nothing = latchkey(&["token", "edit", "admin", "cli-admin"], &env, "").await;
    assert_eq!(nothing.code, 2);
    let completions = latchkey(&["completions", "bash"], &[], "").await.ok();
    assert!(
        completions.stdout.contains("latchkey") && completions.stdout.contains("service-account")
    );
    let help = latchkey(&["--help"], &[], "").await.ok();
    assert!(help.stdout.contains("Exit codes"));
}

/// `latchkey ARGS` left running, its standard output read line by line.
struct Running {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Running {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = latchkey_command()
            .args(args)
            .envs(env.iter().copied())
            .env("LATCHKEY_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    /// The next line it prints, within `limit`.
    async fn line(&mut self, limit: std::time::Duration) -> Option<String> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            match self.lines.try_recv() {
                Ok(line) => return Some(line),
                Err(std::sync::mpsc::TryRecvError::Disconnected) => return None,
                Err(std::sync::mpsc::TryRecvError::Empty)
                    if std::time::Instant::now() > deadline =>
                {
                    return None;
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        }
    }

    /// Its exit code, waiting at most `limit` (then it is killed and `None` returned).
    async fn exit(&mut self, limit: std::time::Duration) -> Option<i32> {
        let deadline = std::time::Instant::now() + limit;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let _ = self.child.kill();
        None
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn audit_list_and_tail(server: TestServer) {
    let token = admin_token(&server).await;
    let env = [
        ("LATCHKEY_URL", server.base.as_str()),
        ("LATCHKEY_TOKEN", &token),
    ];
    latchkey(
        &[
            "user",
            "create",
            "dora",
            "--email",
            "d@example.com",
            "--group",
            "ADMIN",
        ],
        &env,
        "dora password 1\n",
    )
    .await
    .ok();
    let wrong = format!("{NIC}/dora");
    let refused = latchkey(
        &["token", "list", "dora"],
        &[
            ("LATCHKEY_URL", &server.base),
            ("LATCHKEY_USER", &wrong),
            ("LATCHKEY_PASSWORD", "not her password"),
        ],
        "",
    )
    .await;
    assert_eq!(refused.code, 3, "{}", refused.stderr);

    // Every type, newest first, filtered by type and time.
    let all = latchkey(&["audit", "list", "--json"], &env, "").await.ok();
    let records = all.json();
    let kinds: Vec<&str> = records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    let created = kinds.iter().position(|k| *k == "USER_CREATED").unwrap();
    let failed = kinds.iter().position(|k| *k == "LOGIN_FAILED").unwrap();
    assert!(failed < created, "newest first: {kinds:?}");
    let only = latchkey(
        &[
            "audit",
            "list",
            "--json",
            "--type",
            "USER_CREATED",
            "--since",
            "1h",
        ],
        &env,
        "",
    )
    .await
    .ok();
    let only = only.json();
    assert_eq!(only.as_array().unwrap().len(), 1, "{only}");
    assert_eq!(only[0]["userCreatedDetails"]["user"], "dora");
    assert_eq!(only[0]["authDetails"]["userDetails"]["type"], "ACCOUNT");
    assert_eq!(
        only[0]["identity"],
        format!("urn:v1:eu:identity:user:{NIC}/admin")
    );
    let later = latchkey(
        &["audit", "list", "--json", "--since", "2999-01-01"],
        &env,
        "",
    )
    .await
    .ok();
    assert_eq!(later.json(), serde_json::json!([]));
    let one = latchkey(&["audit", "list", "--json", "--limit", "1"], &env, "")
        .await
        .ok();
    assert_eq!(one.json().as_array().unwrap().len(), 1);
    let table = latchkey(&["audit", "list", "--type", "LOGIN_FAILED"], &env, "")
        .await
        .ok();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("TYPE"),
        "{}",
        table.stdout
    );
    assert!(lines[1].contains("LOGIN_FAILED"), "{}", table.stdout);
    assert!(lines[1].contains("reason="), "{}", table.stdout);
    assert!(!table.stdout.contains("not her password"));
    let bad = latchkey(&["audit", "list", "--type", "NO_SUCH_TYPE"], &env, "").await;
    assert_eq!(bad.code, 8, "{}", bad.stderr);
    assert!(bad.stderr.contains("NO_SUCH_TYPE"), "{}", bad.stderr);
    let bad_time = latchkey(&["audit", "list", "--since", "yesterday"], &env, "").await;
    assert_eq!(bad_time.code, 2, "{}", bad_time.stderr);

    // dora follows the log; what the admin does shows up as it is committed.
    let dora = latchkey(&["token", "create", "dora", "tail"], &env, "")
        .await
        .ok()
        .stdout
        .trim()
        .to_owned();
    let dora_env = [
        ("LATCHKEY_URL", server.base.as_str()),
        ("LATCHKEY_TOKEN", dora.as_str()),
    ];
    let mut tail = Running::start(&["audit", "tail", "--json"], &dora_env);
    // The stream is open once its start is known; give it a moment to connect.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    latchkey(
        &["user", "create", "erin", "--email", "e@example.com"],
        &env,
        "erin password 1\n",
    )
    .await
    .ok();
    let line = tail.line(std::time::Duration::from_secs(10)).await.unwrap();
    let record: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(record["type"], "USER_CREATED");
    assert_eq!(record["userCreatedDetails"]["user"], "erin");
    assert!(record["id"].as_i64().is_some());

    // Out of the ADMIN group, dora may no longer read the log: the tail ends, refused (4).
    latchkey(&["user", "edit", "dora", "--group", "DEFAULT"], &env, "")
        .await
        .ok();
    assert_eq!(tail.exit(std::time::Duration::from_secs(20)).await, Some(4));
}
