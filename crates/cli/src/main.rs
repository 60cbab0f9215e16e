//! `latchkey`: `serve` runs the server; `check-config` validates its settings; `account` talks
//! to a running server as its operator.

mod account;
mod keys;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use latchkey_server::{Application, Settings};

#[derive(Debug, Parser)]
#[command(
    name = "latchkey",
    version,
    about = "Self-hostable identity and token service"
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
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// Manage the signing keys of access tokens (operator only).
    #[command(subcommand)]
    Keys(keys::KeysCommand),
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
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(settings) => serve(settings).await,
            Command::CheckConfig(settings) => check_config(&settings),
            Command::Account(cmd) => account::run(cmd).await,
            Command::Keys(cmd) => keys::run(cmd).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("latchkey: {e:#}");
            ExitCode::FAILURE
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
