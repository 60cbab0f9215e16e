//! What every client subcommand shares: where the server is, which credential to use, how to
//! print, and how errors become exit codes.

use clap::Args;
use latchkey_client::{Client, Credentials, Error, Secret, Settings};
use serde::Serialize;

/// Exit codes of client subcommands, for scripts.
pub mod exit {
    /// Bad usage or settings (also clap's own usage errors).
    pub const USAGE: u8 = 2;
    /// The credential was refused (401).
    pub const UNAUTHENTICATED: u8 = 3;
    /// Not allowed (403), or `policy check` found an unauthorised action.
    pub const FORBIDDEN: u8 = 4;
    /// No such object (404).
    pub const NOT_FOUND: u8 = 5;
    /// Conflict (409): the name is taken.
    pub const CONFLICT: u8 = 6;
    /// The server cannot be reached or answered 5xx.
    pub const UNAVAILABLE: u8 = 7;
    /// The server refused the input (400) or asked to slow down (429).
    pub const REJECTED: u8 = 8;
}

/// A failure with its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: exit::USAGE,
            message: message.into(),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match &e {
            Error::Api { status, .. } => match status.as_u16() {
                401 => exit::UNAUTHENTICATED,
                403 => exit::FORBIDDEN,
                404 => exit::NOT_FOUND,
                409 => exit::CONFLICT,
                400 | 413 | 422 | 429 => exit::REJECTED,
                _ => exit::UNAVAILABLE,
            },
            Error::Transport(_) => exit::UNAVAILABLE,
            Error::Protocol(_) => exit::UNAVAILABLE,
            Error::Config(_) => exit::USAGE,
        };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure {
            code: 1,
            message: e.to_string(),
        }
    }
}

pub type Outcome = Result<(), Failure>;

/// The server and the credential. Flags win over the environment; the first credential given
/// is used: a PAT, a service account, then a local user's password.
#[derive(Debug, Clone, Args)]
pub struct Connection {
    /// Base URL of the server.
    #[arg(
        long = "url",
        env = "LATCHKEY_URL",
        default_value = "http://127.0.0.1:5080",
        global = true
    )]
    pub url: String,
    /// A personal access token (lkpat_…).
    #[arg(long, env = "LATCHKEY_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// A service account's client id (with --client-secret).
    #[arg(long, env = "LATCHKEY_CLIENT_ID", global = true)]
    pub client_id: Option<String>,
    /// A service account's client secret (lksec_…).
    #[arg(
        long,
        env = "LATCHKEY_CLIENT_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub client_secret: Option<String>,
    /// Print the server's JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

impl Connection {
    /// A client of the server with the chosen credential.
    pub fn client(&self) -> Result<Client, Failure> {
        let credentials = if let Some(token) = &self.token {
            Credentials::Pat(Secret::new(token.clone()))
        } else {
            match (&self.client_id, &self.client_secret) {
                (Some(id), Some(secret)) => Credentials::ClientCredentials {
                    client_id: id.clone(),
                    client_secret: Secret::new(secret.clone()),
                },
                (Some(_), None) | (None, Some(_)) => {
                    return Err(Failure::usage(
                        "--client-id and --client-secret (LATCHKEY_CLIENT_ID, \
                         LATCHKEY_CLIENT_SECRET) go together",
                    ));
                }
                (None, None) => {
                    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
                    match (var("LATCHKEY_USER"), var("LATCHKEY_PASSWORD")) {
                        (Some(user), Some(password)) => Credentials::Password {
                            user,
                            password: Secret::new(password),
                        },
                        _ => {
                            return Err(Failure::usage(
                                "no credentials: set LATCHKEY_TOKEN (a PAT), or \
                                 LATCHKEY_CLIENT_ID and LATCHKEY_CLIENT_SECRET (a service \
                                 account), or LATCHKEY_USER ({nic}/{login}) and \
                                 LATCHKEY_PASSWORD; or pass --token / --client-id and \
                                 --client-secret",
                            ));
                        }
                    }
                }
            }
        };
        Ok(Client::new(self.url.clone(), credentials)?)
    }

    /// A client from the `OS_*` variables (an OpenRC file), falling back to this connection.
    pub fn openstack_client(&self) -> Result<Client, Failure> {
        let os = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty() && name.starts_with("OS_"))
        };
        if os("OS_AUTH_URL").is_some() {
            let settings = Settings::from_vars(os)?;
            return Ok(Client::new(settings.url, settings.credentials)?);
        }
        self.client()
    }

    /// Prints `value` as JSON when `--json` was given, else runs `human`.
    pub fn print<T: Serialize>(&self, value: &T, human: impl FnOnce(&T)) {
        if self.json {
            out(&serde_json::to_string_pretty(value).unwrap_or_default());
        } else {
            human(value);
        }
    }
}

/// One line on standard output (the only place the CLI writes results).
pub fn out(line: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
}

/// Text on standard output as it is (a file's content).
pub fn raw(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// A note on standard error (warnings, what happened), never mixed into results.
pub fn note(line: &str) {
    eprintln!("{line}");
}

/// Prints rows under headers, columns padded to their widest cell.
pub fn table(headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out(padded.join("  ").trim_end());
    };
    line(headers.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// Field / value lines for one object.
pub fn fields(pairs: &[(&str, String)]) {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in pairs {
        out(&format!("{k:<width$}  {v}"));
    }
}

/// A time for humans, or `never`.
pub fn when(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map_or_else(
        || "never".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// Shows a secret once, on standard output, with the warning on standard error.
pub fn secret_once(label: &str, value: &str) {
    note(&format!(
        "{label} is shown this once and cannot be read again: store it now (a password manager, \
         a secret store)."
    ));
    out(value);
}
