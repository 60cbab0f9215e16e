//! `latchkey account …`: the operator's account management over the HTTP API.
//!
//! The server is `LATCHKEY_URL` (default http://127.0.0.1:5080); the credential is a PAT in
//! `LATCHKEY_TOKEN`, or the operator's `LATCHKEY_USER` (`{nic}/admin`) and `LATCHKEY_PASSWORD`.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account with its ROOT user `admin`.
    Create {
        /// E-mail of the account.
        #[arg(long)]
        email: String,
        /// Nic of the new account (default: the next free lkNNNN-lk).
        #[arg(long)]
        nichandle: Option<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// List the installation's accounts.
    List {
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Base URL of the server.
    #[arg(
        long = "url",
        env = "LATCHKEY_URL",
        default_value = "http://127.0.0.1:5080"
    )]
    pub url: String,
    /// Print the server's JSON instead of a summary.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cmd: AccountCommand) -> anyhow::Result<()> {
    match cmd {
        AccountCommand::Create {
            email,
            nichandle,
            server,
        } => {
            let mut body = json!({ "email": email });
            if let Some(nic) = nichandle {
                body["nichandle"] = json!(nic);
            }
            let created = call(
                &server,
                reqwest::Method::POST,
                "/v2/admin/account",
                Some(body),
            )
            .await?;
            if server.json {
                print_json(&created);
            } else {
                let nic = created["nichandle"].as_str().unwrap_or_default();
                let login = created["adminLogin"].as_str().unwrap_or_default();
                eprintln!("created account {nic}; its ROOT user is {nic}/{login}");
                if let Some(pw) = created["adminPassword"].as_str() {
                    eprintln!("password (shown once, store it now):");
                    #[allow(clippy::print_stdout)]
                    {
                        println!("{pw}");
                    }
                }
            }
        }
        AccountCommand::List { server } => {
            let list = call(&server, reqwest::Method::GET, "/v2/admin/account", None).await?;
            if server.json {
                print_json(&list);
            } else {
                for nic in list.as_array().into_iter().flatten() {
                    #[allow(clippy::print_stdout)]
                    {
                        println!("{}", nic.as_str().unwrap_or_default());
                    }
                }
            }
        }
    }
    Ok(())
}

pub fn print_json(v: &Value) {
    #[allow(clippy::print_stdout)]
    {
        println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
    }
}

pub async fn call(
    server: &ServerArgs,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    let url = format!("{}{path}", server.url.trim_end_matches('/'));
    let mut req = reqwest::Client::new().request(method, &url);
    if let Ok(token) = std::env::var("LATCHKEY_TOKEN") {
        req = req.bearer_auth(token);
    } else if let (Ok(user), Ok(password)) = (
        std::env::var("LATCHKEY_USER"),
        std::env::var("LATCHKEY_PASSWORD"),
    ) {
        req = req.basic_auth(user, Some(password));
    } else {
        bail!("set LATCHKEY_TOKEN (a PAT), or LATCHKEY_USER ({{nic}}/admin) and LATCHKEY_PASSWORD");
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = res.status();
    let value: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        let class = value["class"].as_str().unwrap_or("error");
        let message = value["message"].as_str().unwrap_or("");
        bail!("{status}: {class}: {message}");
    }
    Ok(value)
}
