//! Configuration: flags and `LATCHKEY_*` environment variables ([`Settings`]) validated once into
//! the typed [`Config`] the server runs with. Secrets come from the environment or files, never
//! from flags that `ps` would show.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use latchkey_core::names::{Email, Nic, Plate};
use latchkey_core::password;
use latchkey_core::secret::Secret;

/// Raw settings as given on the command line or in the environment.
#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Address and port to listen on.
    #[arg(long, env = "LATCHKEY_LISTEN", default_value = "127.0.0.1:5080")]
    pub listen: String,
    /// Directory holding the SQLite database and the token hash key.
    #[arg(long, env = "LATCHKEY_DATA_DIR", default_value = "./latchkey-data")]
    pub data_dir: PathBuf,
    /// `sqlite:<path>` or `postgres://…`; overrides the SQLite file in the data directory.
    #[arg(long, env = "LATCHKEY_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Nic of the operator account created at first start.
    #[arg(long, env = "LATCHKEY_ACCOUNT", default_value = "lk0001-lk")]
    pub account: String,
    /// E-mail of the operator account created at first start.
    #[arg(long, env = "LATCHKEY_ADMIN_EMAIL", default_value = "admin@localhost")]
    pub admin_email: String,
    /// File holding the ROOT user's password at first start (or set LATCHKEY_ADMIN_PASSWORD;
    /// if neither is set, a password is generated and printed once).
    #[arg(long, env = "LATCHKEY_ADMIN_PASSWORD_FILE")]
    pub admin_password_file: Option<PathBuf>,
    /// Public base URL of this server, as clients reach it (default: http://LISTEN).
    #[arg(long, env = "LATCHKEY_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Region plate used in URNs.
    #[arg(long, env = "LATCHKEY_PLATE", default_value = "eu")]
    pub plate: String,
    /// File holding the 32-byte key under which token hashes are computed
    /// (default: DATA_DIR/hash.key, created if missing). Nodes sharing a database share it.
    #[arg(long, env = "LATCHKEY_HASH_KEY_FILE")]
    pub hash_key_file: Option<PathBuf>,
    /// Lifetime of OAuth2 access tokens, in seconds.
    #[arg(long, env = "LATCHKEY_ACCESS_TOKEN_TTL", default_value_t = 3600)]
    pub access_token_ttl: u64,
    /// Days a signing key stays primary before it is rotated automatically.
    #[arg(long, env = "LATCHKEY_KEY_ROTATION_DAYS", default_value_t = 30)]
    pub key_rotation_days: u64,
    /// Access tokens one OAuth2 client may obtain per minute (429 with Retry-After beyond).
    #[arg(long, env = "LATCHKEY_OAUTH2_GRANTS_PER_MINUTE", default_value_t = 600)]
    pub grants_per_minute: u32,
    /// Lifetime of Keystone tokens, in seconds.
    #[arg(long, env = "LATCHKEY_KEYSTONE_TOKEN_TTL", default_value_t = 86_400)]
    pub keystone_token_ttl: u64,
    /// Keystone tokens one identity may create per minute (429 with Retry-After beyond).
    #[arg(
        long,
        env = "LATCHKEY_KEYSTONE_TOKENS_PER_MINUTE",
        default_value_t = 60
    )]
    pub keystone_tokens_per_minute: u32,
    /// The region the bootstrap puts in the Keystone catalog.
    #[arg(long, env = "LATCHKEY_REGION", default_value = "RegionOne")]
    pub region: String,
    /// Proxies (addresses or CIDR blocks, comma-separated) whose `X-Forwarded-For` names the
    /// client: the audit log and the address throttle then see the client, not the proxy.
    #[arg(
        long,
        env = "LATCHKEY_TRUSTED_PROXIES",
        default_value = "",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,
    /// Address and port of the Prometheus `/metrics` listener, apart from the public one
    /// (empty: no metrics listener).
    #[arg(long, env = "LATCHKEY_METRICS_LISTEN", default_value = "")]
    pub metrics_listen: String,
    /// File to append every audit record this node commits to, one JSON line each, flushed per
    /// commit (for a SIEM's file shipper).
    #[arg(long, env = "LATCHKEY_AUDIT_FILE")]
    pub audit_file: Option<PathBuf>,
    /// Shape of the audit file's lines: `json` (the records of GET /v2/audit/log) or `cadf`.
    #[arg(long, env = "LATCHKEY_AUDIT_FORMAT", default_value = "json")]
    pub audit_format: String,
    /// Days an audit record is kept before housekeeping prunes it.
    #[arg(long, env = "LATCHKEY_AUDIT_RETENTION_DAYS", default_value_t = 90)]
    pub audit_retention_days: u32,
    /// PEM file of the TLS certificate, its chain after it; with LATCHKEY_TLS_KEY_FILE the
    /// server speaks HTTPS only. Both files are read again when they change and on SIGHUP.
    #[arg(long, env = "LATCHKEY_TLS_CERT_FILE")]
    pub tls_cert_file: Option<PathBuf>,
    /// PEM file of the certificate's private key (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "LATCHKEY_TLS_KEY_FILE")]
    pub tls_key_file: Option<PathBuf>,
    /// Seconds a client has to send a request's headers (counted from when the server starts
    /// waiting for them, so it also closes an HTTP/1.1 connection idle that long).
    #[arg(long, env = "LATCHKEY_HEADER_TIMEOUT", default_value_t = 10)]
    pub header_timeout: u64,
    /// Seconds a request's body has to arrive in, and its answer to be ready (408 beyond).
    #[arg(long, env = "LATCHKEY_BODY_TIMEOUT", default_value_t = 30)]
    pub body_timeout: u64,
    /// Seconds a connection with no request in progress stays open.
    #[arg(long, env = "LATCHKEY_IDLE_TIMEOUT", default_value_t = 60)]
    pub idle_timeout: u64,
    /// Connections served at once; beyond, new ones wait to be accepted. Also bounded by the
    /// open-files limit, which the server raises to its hard limit at start.
    #[arg(long, env = "LATCHKEY_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// Seconds a web console session stays open without a request.
    #[arg(long, env = "LATCHKEY_CONSOLE_IDLE_TIMEOUT", default_value_t = 1800)]
    pub console_idle_timeout: u64,
    /// Seconds a web console session stays open at most, however active.
    #[arg(
        long,
        env = "LATCHKEY_CONSOLE_SESSION_LIFETIME",
        default_value_t = 43_200
    )]
    pub console_session_lifetime: u64,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub account: Nic,
    pub admin_email: Email,
    pub admin_password: Option<Secret>,
    pub public_url: String,
    pub plate: Plate,
    pub hash_key_file: PathBuf,
    pub access_token_ttl: std::time::Duration,
    pub key_rotation: std::time::Duration,
    pub grants_per_minute: u32,
    pub keystone_token_ttl: std::time::Duration,
    pub keystone_tokens_per_minute: u32,
    pub region: String,
    pub audit_retention: std::time::Duration,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub metrics_listen: Option<SocketAddr>,
    pub audit_file: Option<PathBuf>,
    pub audit_format: crate::audit::Format,
    pub connections: ConnectionLimits,
    /// The certificate and key files, when the server speaks HTTPS.
    pub tls: Option<TlsFiles>,
    pub console: ConsoleLimits,
}

/// How long web console sessions last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsoleLimits {
    pub idle_timeout: std::time::Duration,
    pub lifetime: std::time::Duration,
}

impl Default for ConsoleLimits {
    fn default() -> Self {
        Self {
            idle_timeout: std::time::Duration::from_secs(1800),
            lifetime: std::time::Duration::from_secs(43_200),
        }
    }
}

/// What bounds each connection and their number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub header_timeout: std::time::Duration,
    pub body_timeout: std::time::Duration,
    pub idle_timeout: std::time::Duration,
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: std::time::Duration::from_secs(10),
            body_timeout: std::time::Duration::from_secs(30),
            idle_timeout: std::time::Duration::from_secs(60),
            max_connections: 10_000,
        }
    }
}

/// The PEM files of the server's certificate (with its chain) and private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A setting that does not validate; the message names it.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {message}")]
pub struct ConfigError {
    pub setting: &'static str,
    pub message: String,
}

fn bad(setting: &'static str, message: impl ToString) -> ConfigError {
    ConfigError {
        setting,
        message: message.to_string(),
    }
}

impl Settings {
    /// Validates every setting; reads the admin password from the environment or its file.
    pub fn validate(&self) -> Result<Config, ConfigError> {
        let listen: SocketAddr = self.listen.parse().map_err(|e| {
            bad(
                "LATCHKEY_LISTEN",
                format!("{e} (expected host:port, e.g. 127.0.0.1:5080)"),
            )
        })?;
        let database_url = match &self.database_url {
            Some(url)
                if url.starts_with("sqlite:")
                    || url.starts_with("postgres://")
                    || url.starts_with("postgresql://") =>
            {
                url.clone()
            }
            Some(_) => {
                return Err(bad(
                    "LATCHKEY_DATABASE_URL",
                    "must start with sqlite: or postgres://",
                ));
            }
            None => sqlite_url(&self.data_dir.join("latchkey.db")),
        };
        let account = Nic::parse(&self.account).map_err(|e| bad("LATCHKEY_ACCOUNT", e))?;
        let admin_email =
            Email::parse(&self.admin_email).map_err(|e| bad("LATCHKEY_ADMIN_EMAIL", e))?;
        let admin_password = match (
            &self.admin_password_file,
            std::env::var("LATCHKEY_ADMIN_PASSWORD"),
        ) {
            (Some(path), _) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    bad(
                        "LATCHKEY_ADMIN_PASSWORD_FILE",
                        format!("{}: {e}", path.display()),
                    )
                })?;
                Some(Secret::new(text.trim_end_matches(['\r', '\n'])))
            }
            (None, Ok(value)) if !value.is_empty() => Some(Secret::new(value)),
            _ => None,
        };
        if let Some(p) = &admin_password {
            password::check_policy(p).map_err(|e| bad("LATCHKEY_ADMIN_PASSWORD", e))?;
        }
        let tls = match (&self.tls_cert_file, &self.tls_key_file) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(bad(
                    "LATCHKEY_TLS_KEY_FILE",
                    "must be set with LATCHKEY_TLS_CERT_FILE",
                ));
            }
            (None, Some(_)) => {
                return Err(bad(
                    "LATCHKEY_TLS_CERT_FILE",
                    "must be set with LATCHKEY_TLS_KEY_FILE",
                ));
            }
        };
        let seconds = |setting: &'static str, value: u64, range: std::ops::RangeInclusive<u64>| {
            if range.contains(&value) {
                Ok(std::time::Duration::from_secs(value))
            } else {
                Err(bad(
                    setting,
                    format!(
                        "must be between {} and {} seconds",
                        range.start(),
                        range.end()
                    ),
                ))
            }
        };
        let connections = ConnectionLimits {
            header_timeout: seconds("LATCHKEY_HEADER_TIMEOUT", self.header_timeout, 1..=600)?,
            body_timeout: seconds("LATCHKEY_BODY_TIMEOUT", self.body_timeout, 1..=3600)?,
            idle_timeout: seconds("LATCHKEY_IDLE_TIMEOUT", self.idle_timeout, 1..=3600)?,
            max_connections: match self.max_connections {
                n @ 1..=1_000_000 => n,
                _ => {
                    return Err(bad(
                        "LATCHKEY_MAX_CONNECTIONS",
                        "must be between 1 and 1000000",
                    ));
                }
            },
        };
        let console = ConsoleLimits {
            idle_timeout: seconds(
                "LATCHKEY_CONSOLE_IDLE_TIMEOUT",
                self.console_idle_timeout,
                60..=86_400,
            )?,
            lifetime: seconds(
                "LATCHKEY_CONSOLE_SESSION_LIFETIME",
                self.console_session_lifetime,
                60..=30 * 86_400,
            )?,
        };
        let public_url = match &self.public_url {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                url.trim_end_matches('/').to_owned()
            }
            Some(_) => {
                return Err(bad(
                    "LATCHKEY_PUBLIC_URL",
                    "must start with http:// or https://",
                ));
            }
            None if tls.is_some() => format!("https://{listen}"),
            None => format!("http://{listen}"),
        };
        let plate = Plate::parse(&self.plate).map_err(|e| bad("LATCHKEY_PLATE", e))?;
        let hash_key_file = self
            .hash_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("hash.key"));
        if !(60..=86_400).contains(&self.access_token_ttl) {
            return Err(bad(
                "LATCHKEY_ACCESS_TOKEN_TTL",
                "must be between 60 and 86400 seconds",
            ));
        }
        if !(1..=3650).contains(&self.key_rotation_days) {
            return Err(bad(
                "LATCHKEY_KEY_ROTATION_DAYS",
                "must be between 1 and 3650 days",
            ));
        }
        if !(60..=7 * 86_400).contains(&self.keystone_token_ttl) {
            return Err(bad(
                "LATCHKEY_KEYSTONE_TOKEN_TTL",
                "must be between 60 seconds and 7 days",
            ));
        }
        latchkey_core::keystone::check_id("region", &self.region)
            .map_err(|e| bad("LATCHKEY_REGION", e))?;
        let metrics_listen = match self.metrics_listen.trim() {
            "" => None,
            addr => Some(addr.parse::<SocketAddr>().map_err(|e| {
                bad(
                    "LATCHKEY_METRICS_LISTEN",
                    format!("{e} (expected host:port, e.g. 127.0.0.1:9464)"),
                )
            })?),
        };
        if metrics_listen.is_some_and(|m| m == listen) {
            return Err(bad(
                "LATCHKEY_METRICS_LISTEN",
                "must differ from LATCHKEY_LISTEN: metrics never share the public port",
            ));
        }
        let audit_format = match self.audit_format.as_str() {
            "json" => crate::audit::Format::Json,
            "cadf" => crate::audit::Format::Cadf,
            other => {
                return Err(bad(
                    "LATCHKEY_AUDIT_FORMAT",
                    format!("{other:?}: expected json or cadf"),
                ));
            }
        };
        let trusted_proxies = self
            .trusted_proxies
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        bad(
                            "LATCHKEY_TRUSTED_PROXIES",
                            format!("{p:?} is not an address or a CIDR block (10.0.0.0/8)"),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !(1..=36_500).contains(&self.audit_retention_days) {
            return Err(bad(
                "LATCHKEY_AUDIT_RETENTION_DAYS",
                "must be between 1 and 36500 days",
            ));
        }
        Ok(Config {
            listen,
            data_dir: self.data_dir.clone(),
            database_url,
            account,
            admin_email,
            admin_password,
            public_url,
            plate,
            hash_key_file,
            access_token_ttl: std::time::Duration::from_secs(self.access_token_ttl),
            key_rotation: std::time::Duration::from_secs(self.key_rotation_days * 24 * 3600),
            grants_per_minute: self.grants_per_minute.max(1),
            keystone_token_ttl: std::time::Duration::from_secs(self.keystone_token_ttl),
            keystone_tokens_per_minute: self.keystone_tokens_per_minute.max(1),
            region: self.region.clone(),
            audit_retention: std::time::Duration::from_secs(
                u64::from(self.audit_retention_days) * 86_400,
            ),
            trusted_proxies,
            metrics_listen,
            audit_file: self.audit_file.clone(),
            audit_format,
            connections,
            tls,
            console,
        })
    }
}

/// The `sqlite:` URL of a file path.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    fn parse(args: &[&str]) -> Settings {
        Cli::parse_from(std::iter::once("latchkey").chain(args.iter().copied())).settings
    }

    #[test]
    fn defaults_validate_to_the_documented_values() {
        let config = parse(&[]).validate().unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:5080");
        assert_eq!(config.account.as_str(), "lk0001-lk");
        assert_eq!(config.plate.as_str(), "eu");
        assert_eq!(config.public_url, "http://127.0.0.1:5080");
        assert_eq!(config.database_url, "sqlite://./latchkey-data/latchkey.db");
        assert_eq!(config.audit_retention.as_secs(), 90 * 86_400);
        assert_eq!(config.console.idle_timeout.as_secs(), 30 * 60);
        assert_eq!(config.console.lifetime.as_secs(), 12 * 3600);
        assert!(config.trusted_proxies.is_empty());
        let proxies = parse(&["--trusted-proxies", "10.0.0.0/8, 192.0.2.1"])
            .validate()
            .unwrap()
            .trusted_proxies;
        assert_eq!(proxies.len(), 2);
        assert!(proxies[1].contains(&"192.0.2.1".parse::<std::net::IpAddr>().unwrap()));
    }

    #[test]
    fn each_bad_setting_is_named() {
        let cases: &[(&[&str], &str)] = &[
            (&["--listen", "nope"], "LATCHKEY_LISTEN"),
            (&["--database-url", "mysql://x"], "LATCHKEY_DATABASE_URL"),
            (&["--account", "bad"], "LATCHKEY_ACCOUNT"),
            (&["--plate", "EU1"], "LATCHKEY_PLATE"),
            (&["--public-url", "ftp://x"], "LATCHKEY_PUBLIC_URL"),
            (&["--admin-email", "nobody"], "LATCHKEY_ADMIN_EMAIL"),
            (&["--access-token-ttl", "5"], "LATCHKEY_ACCESS_TOKEN_TTL"),
            (&["--key-rotation-days", "0"], "LATCHKEY_KEY_ROTATION_DAYS"),
            (
                &["--keystone-token-ttl", "5"],
                "LATCHKEY_KEYSTONE_TOKEN_TTL",
            ),
            (&["--region", "bad region"], "LATCHKEY_REGION"),
            (
                &["--audit-retention-days", "0"],
                "LATCHKEY_AUDIT_RETENTION_DAYS",
            ),
            (
                &["--trusted-proxies", "10.0.0.0/8,nope"],
                "LATCHKEY_TRUSTED_PROXIES",
            ),
            (&["--metrics-listen", "nowhere"], "LATCHKEY_METRICS_LISTEN"),
            (&["--audit-format", "xml"], "LATCHKEY_AUDIT_FORMAT"),
            (
                &["--console-idle-timeout", "5"],
                "LATCHKEY_CONSOLE_IDLE_TIMEOUT",
            ),
            (
                &["--console-session-lifetime", "99999999"],
                "LATCHKEY_CONSOLE_SESSION_LIFETIME",
            ),
            (
                &["--metrics-listen", "127.0.0.1:5080"],
                "LATCHKEY_METRICS_LISTEN",
            ),
        ];
        for (args, setting) in cases {
            let err = parse(args).validate().unwrap_err();
            assert_eq!(err.setting, *setting, "{args:?}");
        }
    }

    #[test]
    fn admin_password_is_read_from_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "a long password\n").unwrap();
        let config = parse(&["--admin-password-file", path.to_str().unwrap()])
            .validate()
            .unwrap();
        assert_eq!(config.admin_password.unwrap().expose(), "a long password");
        std::fs::write(&path, "short").unwrap();
        let err = parse(&["--admin-password-file", path.to_str().unwrap()])
            .validate()
            .unwrap_err();
        assert_eq!(err.setting, "LATCHKEY_ADMIN_PASSWORD");
    }
}
