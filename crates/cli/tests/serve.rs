//! The `latchkey` binary end to end: it boots on its embedded default (SQLite in the data
//! directory), prints a generated password once, keeps secrets out of its logs and its database,
//! stops gracefully on SIGTERM, and `check-config` names a bad setting.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{free_port, latchkey};

struct Server {
    child: Child,
    base: String,
    /// Readers draining stdout and stderr as the server writes, so that a full pipe never
    /// blocks it (its debug log can outgrow a pipe's buffer).
    output: [std::thread::JoinHandle<String>; 2],
}

fn drain(mut from: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        from.read_to_string(&mut text).unwrap();
        text
    })
}

impl Server {
    fn start(data: &std::path::Path) -> Self {
        Self::start_with(data, &[])
    }

    fn start_with(data: &std::path::Path, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut child = latchkey()
            .arg("serve")
            .env("LATCHKEY_DATA_DIR", data)
            .env("LATCHKEY_LISTEN", format!("127.0.0.1:{port}"))
            .env("LATCHKEY_LOG", "debug")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read its output from the start: a start-up that logs more than a pipe holds (every
        // migration at debug) would otherwise block before it listens.
        let output = [
            drain(child.stdout.take().unwrap()),
            drain(child.stderr.take().unwrap()),
        ];
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server {
            child,
            base,
            output,
        }
    }

    /// Sends SIGTERM, waits for a clean exit, returns (stdout, stderr).
    fn terminate(mut self) -> (String, String) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        let exit = loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                break exit;
            }
            assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(exit.success(), "exit status {exit:?}");
        let [out, err] = self.output;
        (out.join().unwrap(), err.join().unwrap())
    }
}

#[tokio::test]
async fn serve_boots_on_sqlite_keeps_secrets_out_of_logs_and_stops_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    let client = reqwest::Client::new();
    // Give the banner a moment to be written, then read the password from stdout once stopped.
    let health: Value = client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let (out, _) = server.terminate();
    let password = out
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 24 && l.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or_else(|| panic!("no generated password in: {out}"))
        .to_owned();

    // Second start: no new bootstrap, the printed password works, secrets stay out of the logs.
    let server = Server::start(data.path());
    let created: Value = client
        .post(format!("{}/1.0/me/identity/user/admin/token", server.base))
        .basic_auth("lk0001-lk/admin", Some(&password))
        .json(&json!({ "name": "ci", "description": "logged?" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    let sa: Value = client
        .post(format!("{}/1.0/me/api/oauth2/client", server.base))
        .bearer_auth(&token)
        .json(&json!({ "callbackUrls": [], "flow": "CLIENT_CREDENTIALS", "name": "logged?" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_secret = sa["clientSecret"].as_str().unwrap().to_owned();
    let granted: Value = client
        .post(format!("{}/auth/oauth2/token", server.base))
        .basic_auth(sa["clientId"].as_str().unwrap(), Some(&client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access_token = granted["access_token"].as_str().unwrap().to_owned();
    let used = client
        .get(format!("{}/1.0/me", server.base))
        .bearer_auth(&access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), 403, "authenticated as the service account");
    let me = client
        .get(format!("{}/1.0/me", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let wrong = client
        .get(format!("{}/1.0/me", server.base))
        .bearer_auth(format!("{token}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let (out, err) = server.terminate();
    assert!(!out.contains("shown once"), "bootstrapped twice: {out}");
    let logs = format!("{out}{err}");
    assert!(logs.contains("token created"), "logs: {logs}");
    assert!(!logs.contains(&token), "token value in the logs");
    assert!(
        !logs.contains(&token[6..30]),
        "part of the token value in the logs"
    );
    assert!(!logs.contains(&password), "password in the logs");
    assert!(
        !logs.contains(&client_secret[6..]),
        "client secret in the logs"
    );
    assert!(!logs.contains(&access_token), "access token in the logs");

    // The database keeps neither the token nor the password.
    for entry in std::fs::read_dir(data.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&token[6..]), "token value at rest");
        assert!(!text.contains(&password), "password at rest");
        assert!(!text.contains(&client_secret[6..]), "client secret at rest");
        assert!(!text.contains(&access_token), "access token at rest");
    }
}

#[tokio::test]
async fn account_create_and_keys_rotate_work_through_the_api() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        data.path(),
        &[("LATCHKEY_ADMIN_PASSWORD", "operator password")],
    );
    let url = server.base.clone();
    let run = |args: &[&str], password: &str| {
        latchkey()
            .args(args)
            .env("LATCHKEY_URL", &url)
            .env("LATCHKEY_USER", "lk0001-lk/admin")
            .env("LATCHKEY_PASSWORD", password)
            .output()
            .unwrap()
    };
    let created = run(
        &["account", "create", "--email", "team@example.com", "--json"],
        "operator password",
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let body: Value = serde_json::from_slice(&created.stdout).unwrap();
    assert_eq!(body["nichandle"], "lk0002-lk");
    let tenant_password = body["adminPassword"].as_str().unwrap();
    let me: Value = reqwest::Client::new()
        .get(format!("{url}/1.0/me"))
        .basic_auth("lk0002-lk/admin", Some(tenant_password))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["nichandle"], "lk0002-lk");
    let listed = run(&["account", "list"], "operator password");
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout),
        "lk0001-lk\nlk0002-lk\n"
    );
    let rotated = run(&["keys", "rotate"], "operator password");
    let states = String::from_utf8_lossy(&rotated.stdout);
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    assert!(
        states.contains("RETIRED") && states.contains("PRIMARY") && states.contains("STAGED"),
        "{states}"
    );
    let refused = run(&["account", "list"], "wrong password");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("401"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    server.terminate();
}

#[test]
fn check_config_accepts_defaults_and_names_a_bad_setting() {
    let ok = latchkey().arg("check-config").output().unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("configuration is valid"));
    let bad = latchkey()
        .arg("check-config")
        .env("LATCHKEY_PLATE", "Europe")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("LATCHKEY_PLATE"));
    let secret = latchkey()
        .args([
            "check-config",
            "--database-url",
            "postgres://u:hunter22@127.0.0.1/db",
        ])
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&secret.stdout);
    assert!(
        printed.contains("postgres://u:***@127.0.0.1/db") && !printed.contains("hunter22"),
        "{printed}"
    );
}

/// The permission bits of a path.
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn the_data_directory_and_its_files_are_the_servers_users_only() {
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("fresh");
    let server = Server::start_with(&data, &[("LATCHKEY_ADMIN_PASSWORD", "modes password 1")]);
    // A write, so that the journal files exist.
    let res = reqwest::Client::new()
        .post(format!("{}/1.0/me/identity/user/admin/token", server.base))
        .basic_auth("lk0001-lk/admin", Some("modes password 1"))
        .json(&json!({ "name": "modes", "description": "" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(mode(&data), 0o700);
    for file in [
        "latchkey.db",
        "latchkey.db-wal",
        "latchkey.db-shm",
        "hash.key",
    ] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    let (_, err) = server.terminate();
    assert!(!err.contains("readable by other local users"), "{err}");

    // An existing directory opened to others is warned about at start (and left as it is).
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let server = Server::start_with(&data, &[]);
    let health = reqwest::get(format!("{}/healthz", server.base))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let (_, err) = server.terminate();
    assert!(
        err.contains("readable by other local users") && err.contains("755"),
        "{err}"
    );
}
