//! The edge of the server as a slow or hostile client meets it: headers that never finish, a
//! body that never comes, idle connections, more connections than the cap; and HTTPS (TLS 1.2+,
//! HTTP/2 by ALPN, HSTS, a certificate replaced while the server runs). Behaviour, not
//! timings: each test gives the server short timeouts and bounds its own waits generously.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Backend, TestApp};

fn port(app: &TestApp) -> u16 {
    app.base.rsplit(':').next().unwrap().parse().unwrap()
}

/// Reads until the peer closes the connection or `within` passes; the bytes read, and whether
/// it closed.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (Vec<u8>, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (got, true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return (got, false),
        }
    }
}

/// `GET /healthz` answers 200, on a connection of its own: a pooled keep-alive connection may be
/// closed by the server's header timeout at the very moment it is reused, which is the timeout
/// working, not the server failing to serve.
async fn healthy(app: &TestApp) {
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let res = fresh
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

fn short(app: &mut latchkey_server::config::Config) {
    app.connections.header_timeout = Duration::from_secs(1);
    app.connections.body_timeout = Duration::from_secs(1);
    app.connections.idle_timeout = Duration::from_secs(1);
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected_while_others_are_served() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        short(c);
        c.connections.idle_timeout = Duration::from_secs(30);
    })
    .await;
    let mut slow = TcpStream::connect(("127.0.0.1", port(&app))).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    // Normal requests are served meanwhile.
    healthy(&app).await;
    let (answer, closed) = read_until_closed(&mut slow, Duration::from_secs(10)).await;
    assert!(closed, "the half-sent request's connection stays open");
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        !answer.contains("200 OK"),
        "a request without its headers was answered: {answer}"
    );
    healthy(&app).await;
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_gets_408_in_each_apis_format() {
    let app = TestApp::spawn_with(Backend::Sqlite, short).await;
    for (path, content_type, field) in [
        ("/1.0/me/api/oauth2/client", "application/json", "class"),
        ("/v3/auth/tokens", "application/json", "error"),
        (
            "/auth/oauth2/token",
            "application/x-www-form-urlencoded",
            "error",
        ),
    ] {
        let mut stream = TcpStream::connect(("127.0.0.1", port(&app))).await.unwrap();
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}/admin:{}",
            crate::helpers::NIC,
            crate::helpers::ADMIN_PASSWORD
        ));
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n\
             Authorization: Basic {basic}\r\nContent-Length: 100\r\n\r\n{{\"a\""
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let (answer, _) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(body)
            .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {answer}"));
        assert!(json.get(field).is_some(), "{path}: {json}");
    }
    healthy(&app).await;
}

#[tokio::test]
async fn an_oversize_form_gets_413_in_rfc_6749_format() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let res = app
        .client
        .post(format!("{}/auth/oauth2/token", app.base))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=client_credentials&pad={}",
            "x".repeat(70_000)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
    assert!(body["error_description"].is_string(), "{body}");
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        short(c);
        // Longer than the idle timeout: what closes the connection is the idle watch.
        c.connections.header_timeout = Duration::from_secs(30);
    })
    .await;
    let mut stream = TcpStream::connect(("127.0.0.1", port(&app))).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (answer, closed) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    assert!(closed, "the idle connection stays open");
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"),
        "the request before the idle time was answered"
    );
}

#[tokio::test]
async fn beyond_the_connection_cap_a_request_waits_for_a_free_slot_and_is_served() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        short(c);
        // What frees the slots is the header timeout, not the idle watch.
        c.connections.idle_timeout = Duration::from_secs(30);
        c.connections.max_connections = 4;
    })
    .await;
    // Four connections that never send anything hold every slot until their header timeout.
    let mut holders = Vec::new();
    for _ in 0..4 {
        holders.push(TcpStream::connect(("127.0.0.1", port(&app))).await.unwrap());
    }
    let started = std::time::Instant::now();
    healthy(&app).await;
    // It was not answered on a fifth slot: it waited for a holder to be closed.
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "a fifth connection was served at once: the cap did not hold"
    );
    for mut h in holders {
        let (_, closed) = read_until_closed(&mut h, Duration::from_secs(10)).await;
        assert!(closed);
    }
}

/// A self-signed certificate for 127.0.0.1, and its key, in PEM.
fn certificate(name: &str) -> (String, String) {
    let made =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), name.to_owned()]).unwrap();
    (made.cert.pem(), made.key_pair.serialize_pem())
}

fn https_client(ca_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .build()
        .unwrap()
}

/// The DER of the certificate the server presents, and the ALPN protocol it chose; any of
/// `trusted` (self-signed) may be presented.
async fn handshake(app: &TestApp, trusted: &[&str], alpn: &[&[u8]]) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut roots = rustls::RootCertStore::empty();
    for pem in trusted {
        roots.add(rustls_pem_certs(pem)).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(("127.0.0.1", port(app))).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let tls = connector.connect(name, tcp).await.unwrap();
    let (_, session) = tls.get_ref();
    let presented = session.peer_certificates().unwrap()[0].to_vec();
    (presented, session.alpn_protocol().map(|p| p.to_vec()))
}

fn rustls_pem_certs(pem: &str) -> rustls::pki_types::CertificateDer<'static> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()
}

async fn tls_app() -> (TestApp, tempfile::TempDir, String) {
    let files = tempfile::tempdir().unwrap();
    let (cert, key) = certificate("first.test");
    std::fs::write(files.path().join("cert.pem"), &cert).unwrap();
    std::fs::write(files.path().join("key.pem"), &key).unwrap();
    let dir = files.path().to_owned();
    let app = TestApp::spawn_with(Backend::Sqlite, move |c| {
        c.tls = Some(latchkey_server::config::TlsFiles {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        });
    })
    .await;
    (app, files, cert)
}

#[tokio::test]
async fn https_serves_http2_by_alpn_with_hsts_and_refuses_plain_http() {
    let (app, _files, cert) = tls_app().await;
    assert!(app.base.starts_with("https://"), "{}", app.base);
    let client = https_client(&cert);
    let res = client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.version(), reqwest::Version::HTTP_2);
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    // HTTP/1.1 clients are served too.
    let (_, alpn) = handshake(&app, &[&cert], &[b"http/1.1"]).await;
    assert_eq!(alpn.as_deref(), Some(&b"http/1.1"[..]));
    let res = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.as_bytes()).unwrap())
        .http1_only()
        .build()
        .unwrap()
        .get(format!("{}/1.0/me", app.base))
        .basic_auth(
            format!("{}/admin", crate::helpers::NIC),
            Some(crate::helpers::ADMIN_PASSWORD),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.version(), reqwest::Version::HTTP_11);
    assert_eq!(res.status(), 200);
    // Plain HTTP on the HTTPS port gets no answer.
    let plain = app.base.replace("https://", "http://");
    assert!(
        app.client
            .get(format!("{plain}/healthz"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn tls_1_1_and_below_are_refused_and_1_2_is_served() {
    let (app, _files, cert) = tls_app().await;
    // OpenSSL's client, allowed TLS 1.1 and nothing newer.
    let address = format!("127.0.0.1:{}", port(&app));
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("openssl")
            .args(["s_client", "-connect", &address])
            .args(["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let said =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    // rustls answers a fatal alert (handshake failure) and no certificate.
    assert!(
        said.contains("alert handshake failure") || said.contains("alert protocol version"),
        "{said}"
    );
    assert!(said.contains("no peer certificate available"), "{said}");
    // TLS 1.2 is served.
    let tls12 = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS12])
    .unwrap()
    .with_root_certificates({
        let mut roots = rustls::RootCertStore::empty();
        roots.add(rustls_pem_certs(&cert)).unwrap();
        roots
    })
    .with_no_client_auth();
    let tcp = TcpStream::connect(("127.0.0.1", port(&app))).await.unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(tls12))
        .connect(
            rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap(),
            tcp,
        )
        .await
        .unwrap();
    assert_eq!(
        tls.get_ref().1.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
}

#[tokio::test]
async fn a_replaced_certificate_is_served_without_a_restart_and_a_bad_one_is_refused() {
    let (app, files, first) = tls_app().await;
    let (presented, _) = handshake(&app, &[&first], &[]).await;
    assert_eq!(presented, rustls_pem_certs(&first).to_vec());

    let (second, second_key) = certificate("second.test");
    std::fs::write(files.path().join("key.pem"), &second_key).unwrap();
    std::fs::write(files.path().join("cert.pem"), &second).unwrap();
    let wanted = rustls_pem_certs(&second).to_vec();
    let mut served = Vec::new();
    for _ in 0..100 {
        (served, _) = handshake(&app, &[&first, &second], &[]).await;
        if served == wanted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(served, wanted, "the new certificate is not served");

    // A key that does not match the certificate: the server keeps the second pair.
    let (_, stray_key) = certificate("stray.test");
    std::fs::write(files.path().join("key.pem"), &stray_key).unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (presented, _) = handshake(&app, &[&first, &second], &[]).await;
    assert_eq!(presented, wanted);
    let res = https_client(&second)
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
