//! The binary at its edge, as an operator runs it: under a low open-files limit (`prlimit`)
//! thousands of idle connections do not stop a normal request; the certificate is read again
//! on SIGHUP; plain HTTP on a non-loopback address is warned about at start.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{free_port, latchkey};

/// A running `latchkey serve`, its stderr read as it writes.
struct Running {
    child: Child,
    port: u16,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Running {
    /// Starts `prefix… latchkey serve` on `listen_host` with `env`, and waits for its port.
    fn start(prefix: &[&str], listen_host: &str, env: &[(&str, &str)]) -> Self {
        let data = tempfile::tempdir().unwrap().keep();
        let port = free_port();
        let binary = latchkey();
        let mut cmd = if prefix.is_empty() {
            binary
        } else {
            let mut cmd = Command::new(prefix[0]);
            cmd.args(&prefix[1..]).arg(binary.get_program());
            for (k, v) in binary.get_envs() {
                match v {
                    Some(v) => cmd.env(k, v),
                    None => cmd.env_remove(k),
                };
            }
            cmd
        };
        let mut child = cmd
            .arg("serve")
            .env("LATCHKEY_DATA_DIR", &data)
            .env("LATCHKEY_LISTEN", format!("{listen_host}:{port}"))
            .env("LATCHKEY_ADMIN_PASSWORD", "edge test password 1")
            .env("LATCHKEY_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = std::sync::Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Running {
            child,
            port,
            stderr,
        }
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn two_thousand_idle_connections_under_a_1024_file_limit_do_not_stop_a_normal_request() {
    rlimit::increase_nofile_limit(u64::MAX).unwrap();
    let server = Running::start(
        &["prlimit", "--nofile=1024:1024", "--"],
        "127.0.0.1",
        &[("LATCHKEY_HEADER_TIMEOUT", "2")],
    );
    assert!(
        server
            .log()
            .contains("the open-files limit caps the connections")
            || wait_for_log(&server, "the open-files limit caps the connections"),
        "{}",
        server.log()
    );
    let addr: SocketAddr = ([127, 0, 0, 1], server.port).into();
    // All at once, as a flood would: the ones beyond the backlog time out.
    let mut connecting = tokio::task::JoinSet::new();
    for _ in 0..2000 {
        connecting.spawn(async move {
            tokio::time::timeout(Duration::from_secs(1), tokio::net::TcpStream::connect(addr))
                .await
                .ok()
                .and_then(Result::ok)
        });
    }
    let held: Vec<_> = connecting.join_all().await.into_iter().flatten().collect();
    assert!(held.len() >= 1024, "only {} connections opened", held.len());
    let res = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
        .get(format!("http://127.0.0.1:{}/healthz", server.port))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    drop(held);
    let log = server.log();
    assert!(
        !log.contains("Too many open files"),
        "the server ran out of descriptors: {log}"
    );
}

fn wait_for_log(server: &Running, text: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if server.log().contains(text) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[tokio::test]
async fn plain_http_on_a_non_loopback_address_is_warned_about_at_start() {
    let server = Running::start(&[], "0.0.0.0", &[]);
    assert!(
        wait_for_log(&server, "serving plain HTTP on a non-loopback address"),
        "{}",
        server.log()
    );
    let quiet = Running::start(&[], "127.0.0.1", &[]);
    assert!(wait_for_log(&quiet, "latchkey serving"), "{}", quiet.log());
    assert!(!quiet.log().contains("plain HTTP on a non-loopback"));
}

/// A self-signed certificate for 127.0.0.1 on `key`, in PEM.
fn certificate(key: &rcgen::KeyPair, serial: u64) -> String {
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    params.serial_number = Some(rcgen::SerialNumber::from(serial));
    params.self_signed(key).unwrap().pem()
}

/// The certificate the server presents, as PEM text from OpenSSL's client.
fn presented(port: u16) -> String {
    let out = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let start = text.find("-----BEGIN CERTIFICATE-----").unwrap_or(0);
    let end = text
        .find("-----END CERTIFICATE-----")
        .map(|e| e + "-----END CERTIFICATE-----".len())
        .unwrap_or(0);
    text[start..end].to_owned()
}

#[tokio::test]
async fn sighup_reads_the_certificate_again() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let first = certificate(&key, 1);
    std::fs::write(&cert_path, &first).unwrap();
    let server = Running::start(
        &[],
        "127.0.0.1",
        &[
            ("LATCHKEY_TLS_CERT_FILE", cert_path.to_str().unwrap()),
            ("LATCHKEY_TLS_KEY_FILE", key_path.to_str().unwrap()),
        ],
    );
    assert_eq!(presented(server.port).trim(), first.trim());
    // A second certificate of the same length, written with the first one's modification time:
    // the change is invisible to the file watch, so only SIGHUP can bring it in.
    let before = std::fs::metadata(&cert_path).unwrap().modified().unwrap();
    let second = (2..200)
        .map(|serial| certificate(&key, serial))
        .find(|c| c.len() == first.len() && *c != first)
        .unwrap();
    std::fs::write(&cert_path, &second).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&cert_path)
        .unwrap()
        .set_modified(before)
        .unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        presented(server.port).trim(),
        first.trim(),
        "reloaded without a signal"
    );
    server.signal("HUP");
    assert!(
        wait_for_log(&server, "reloaded the TLS certificate"),
        "{}",
        server.log()
    );
    assert_eq!(presented(server.port).trim(), second.trim());
}
