//! The server's certificate for HTTPS: read from the PEM files of
//! [`TlsFiles`], served to every handshake, and read again when the
//! files change or the process gets SIGHUP. A new pair that does not load (unreadable, no
//! certificate, a key that does not match) is refused with an error in the log, and the
//! previous certificate stays in service.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use parking_lot::RwLock;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::TlsFiles;

/// How often the files are looked at for a change.
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// The certificate in service, and where it comes from.
#[derive(Debug)]
pub struct Certificates {
    files: TlsFiles,
    current: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.current.read()))
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads and checks a certificate chain and its key.
fn load(files: &TlsFiles) -> Result<CertifiedKey, String> {
    let chain = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", files.cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: holds no certificate", files.cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| format!("{}: {e}", files.key.display()))?;
    CertifiedKey::from_der(chain, key, &provider())
        .map_err(|e| format!("{} and {}: {e}", files.cert.display(), files.key.display()))
}

/// When a file last changed, to notice a new one (a rename over it included).
fn stamp(files: &TlsFiles) -> Option<(SystemTime, SystemTime, u64, u64)> {
    let cert = std::fs::metadata(&files.cert).ok()?;
    let key = std::fs::metadata(&files.key).ok()?;
    Some((
        cert.modified().ok()?,
        key.modified().ok()?,
        cert.len(),
        key.len(),
    ))
}

impl Certificates {
    /// Loads the pair; an error names the file at fault.
    pub fn load(files: &TlsFiles) -> Result<Arc<Self>, String> {
        let key = load(files)?;
        Ok(Arc::new(Self {
            files: files.clone(),
            current: RwLock::new(Arc::new(key)),
        }))
    }

    /// Reads the files again; on success the next handshakes get the new certificate.
    pub fn reload(&self) -> Result<(), String> {
        let key = load(&self.files)?;
        *self.current.write() = Arc::new(key);
        Ok(())
    }

    /// The TLS configuration of the listener: TLS 1.2 and 1.3, HTTP/2 then HTTP/1.1 by ALPN.
    pub fn server_config(self: &Arc<Self>) -> Result<Arc<rustls::ServerConfig>, String> {
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_cert_resolver(Arc::clone(self) as Arc<dyn ResolvesServerCert>);
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// Reloads whenever the files change or SIGHUP arrives, until the task is aborted.
    pub fn watch(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            #[cfg(unix)]
            let mut hangup =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
            let mut seen = stamp(&self.files);
            let mut tick = tokio::time::interval(WATCH_EVERY);
            loop {
                #[cfg(unix)]
                let signalled = async {
                    match hangup.as_mut() {
                        Some(h) => h.recv().await,
                        None => std::future::pending().await,
                    }
                };
                #[cfg(not(unix))]
                let signalled = std::future::pending::<Option<()>>();
                let why = tokio::select! {
                    _ = tick.tick() => {
                        let now = stamp(&self.files);
                        if now == seen || now.is_none() {
                            continue;
                        }
                        seen = now;
                        "the files changed"
                    }
                    _ = signalled => "SIGHUP",
                };
                match self.reload() {
                    Ok(()) => tracing::info!(reason = why, "reloaded the TLS certificate"),
                    Err(e) => tracing::error!(
                        reason = why,
                        error = %e,
                        "cannot reload the TLS certificate; the previous one stays in service"
                    ),
                }
            }
        })
    }
}
