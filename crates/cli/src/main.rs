//! `latchkey`: `serve` runs the server; `check-config` validates its settings; the other
//! subcommands talk to a running server through the client SDK.

mod account;
mod audit;
mod connect;
mod keys;
mod openstack;
mod policies;
mod service_accounts;
mod tokens;
mod users;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use connect::Connection;
use latchkey_server::{Application, Settings};

#[derive(Debug, Parser)]
#[command(
    name = "latchkey",
    version,
    about = "Self-hostable identity and token service",
    long_about = "Self-hostable identity and token service.\n\n\
        `latchkey serve` runs the server (SQLite in ./latchkey-data unless told otherwise). The \
        other subcommands are its command line: they find the server in LATCHKEY_URL (or --url) \
        and authenticate with LATCHKEY_TOKEN (a PAT), or LATCHKEY_CLIENT_ID and \
        LATCHKEY_CLIENT_SECRET (a service account), or LATCHKEY_USER ({nic}/{login}) and \
        LATCHKEY_PASSWORD; `openstack` also reads the OS_* variables of an OpenRC file.\n\n\
        Results go to standard output (tables, or JSON with --json); notes and warnings to \
        standard error. Exit codes: 0 done, 1 error, 2 usage, 3 not authenticated, \
        4 forbidden, 5 not found, 6 conflict, 7 server unavailable, 8 input refused.",
    after_help = "Examples:\n  \
        latchkey serve\n  \
        export LATCHKEY_URL=http://127.0.0.1:5080 LATCHKEY_TOKEN=lkpat_…\n  \
        latchkey user list --long\n  \
        TOKEN=$(latchkey token create alice ci --expires-in 90d)\n  \
        latchkey policy check urn:v1:eu:resource:account:lk0001-lk account:apiovh:me/get\n  \
        latchkey audit list --type LOGIN_FAILED --since 24h\n  \
        source alice-openrc.sh && latchkey openstack token issue"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (SQLite in ./latchkey-data unless told otherwise).
    Serve(#[command(flatten)] Settings),
    /// Validate the settings `serve` would use, print them (secrets hidden) and exit.
    CheckConfig(#[command(flatten)] Settings),
    /// Manage the installation's accounts (operator only).
    Account {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        cmd: account::AccountCommand,
    },
    /// Manage the account's local users.
    User {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        cmd: users::UserCommand,
    },
    /// Manage personal access tokens (PATs).
    Token {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        cmd: tokens::TokenCommand,
    },
    /// Manage service accounts (OAuth2 clients).
    ServiceAccount {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        cmd: service_accounts::ServiceAccountCommand,
    },
    /// Manage IAM policies and check rights.
    Policy {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        cmd: policies::PolicyCommand,
    },
    /// Keystone tokens, the catalog and OpenRC files.
    Openstack {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        cmd: openstack::OpenstackCommand,
    },
    /// Read the audit log, or follow it as it is written.
    Audit {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        cmd: audit::AuditCommand,
    },
    /// Manage the signing keys of short-lived tokens (operator only).
    Keys {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        cmd: keys::KeysCommand,
    },
    /// Print a shell completion script: `latchkey completions bash > /etc/bash_completion.d/latchkey`.
    Completions { shell: clap_complete::Shell },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("latchkey: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result: connect::Outcome = runtime.block_on(async {
        let server = |r: anyhow::Result<()>| {
            r.map_err(|e| connect::Failure {
                code: 1,
                message: format!("{e:#}"),
            })
        };
        match cli.command {
            Command::Serve(settings) => server(serve(settings).await),
            Command::CheckConfig(settings) => server(check_config(&settings)),
            Command::Account { conn, cmd } => account::run(&conn, cmd).await,
            Command::User { conn, cmd } => users::run(&conn, cmd).await,
            Command::Token { conn, cmd } => tokens::run(&conn, cmd).await,
            Command::ServiceAccount { conn, cmd } => service_accounts::run(&conn, cmd).await,
            Command::Policy { conn, cmd } => policies::run(&conn, cmd).await,
            Command::Openstack { conn, cmd } => openstack::run(&conn, cmd).await,
            Command::Keys { conn, cmd } => keys::run(&conn, cmd).await,
            Command::Audit { conn, cmd } => audit::run(&conn, cmd).await,
            Command::Completions { shell } => {
                let mut stdout = std::io::stdout();
                clap_complete::generate(shell, &mut Cli::command(), "latchkey", &mut stdout);
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("latchkey: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("LATCHKEY_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("LATCHKEY_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let config = settings.validate()?;
    match latchkey_server::listener::raise_open_files_limit() {
        Ok(limit) => tracing::info!(limit, "open-files limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-files limit"),
    }
    if config.tls.is_none() && !config.listen.ip().is_loopback() {
        tracing::warn!(
            listen = %config.listen,
            "serving plain HTTP on a non-loopback address: passwords and secrets cross the \
             network in clear; set LATCHKEY_TLS_CERT_FILE and LATCHKEY_TLS_KEY_FILE"
        );
    }
    let app = Application::build(config.clone()).await?;
    if let Some(boot) = app.bootstrapped() {
        tracing::info!(account = %boot.nic, login = %boot.login, "bootstrapped the operator account");
        if let Some(password) = &boot.generated_password {
            #[allow(clippy::print_stdout)]
            {
                println!(
                    "\nLatchkey bootstrapped account {nic}. Its ROOT user is {nic}/{login}, password:\n\n    {pw}\n\n\
                     This password is shown once. Store it now, or set LATCHKEY_ADMIN_PASSWORD on an empty store.\n",
                    nic = boot.nic,
                    login = boot.login,
                    pw = password.expose()
                );
            }
        }
    }
    tracing::info!(listen = %app.local_addr()?, public_url = %config.public_url, "latchkey serving");
    app.run_until_stopped(shutdown_signal()).await?;
    tracing::info!("latchkey stopped");
    Ok(())
}

fn check_config(settings: &Settings) -> anyhow::Result<()> {
    let config = settings.validate()?;
    #[allow(clippy::print_stdout)]
    {
        println!("listen        {}", config.listen);
        println!("data dir      {}", config.data_dir.display());
        println!("database      {}", redact_url(&config.database_url));
        println!("account       {}", config.account);
        println!("admin email   {}", config.admin_email.as_str());
        println!(
            "admin password {}",
            if config.admin_password.is_some() {
                "set"
            } else {
                "generated at first start"
            }
        );
        println!("public url    {}", config.public_url);
        println!("plate         {}", config.plate);
        println!("hash key file {}", config.hash_key_file.display());
        match &config.tls {
            Some(tls) => println!(
                "tls           {} / {}",
                tls.cert.display(),
                tls.key.display()
            ),
            None => println!("tls           off (plain HTTP)"),
        }
        let c = &config.connections;
        println!(
            "connections   at most {}; headers {} s, body {} s, idle {} s",
            c.max_connections,
            c.header_timeout.as_secs(),
            c.body_timeout.as_secs(),
            c.idle_timeout.as_secs()
        );
        println!(
            "console       at {}/console/; sessions idle {} s, at most {} s",
            config.public_url,
            config.console.idle_timeout.as_secs(),
            config.console.lifetime.as_secs()
        );
        println!("configuration is valid");
    }
    Ok(())
}

/// Hides a password in a database URL.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn database_url_password_is_hidden() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://./x.db"), "sqlite://./x.db");
    }
}
