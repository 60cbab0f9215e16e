//! `latchkey account …`: the installation's accounts (operator only).

use clap::Subcommand;
use latchkey_client::model::Account;

use crate::connect::{Connection, Outcome, fields, note, out, secret_once, when};

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account with its ROOT user `admin`; a generated password is printed once.
    Create {
        /// E-mail of the account.
        #[arg(long)]
        email: String,
        /// Nic of the new account (default: the next free lkNNNN-lk).
        #[arg(long)]
        nichandle: Option<String>,
    },
    /// List the installation's accounts.
    List,
    /// Show one account.
    Get { nichandle: String },
}

fn show(a: &Account) {
    fields(&[
        ("nichandle", a.nichandle.clone()),
        ("email", a.email.clone()),
        ("operator", a.operator.to_string()),
        ("created", when(Some(a.creation))),
        ("urn", a.urn.clone()),
    ]);
}

pub async fn run(conn: &Connection, cmd: AccountCommand) -> Outcome {
    let client = conn.client()?;
    match cmd {
        AccountCommand::Create { email, nichandle } => {
            let created = client.create_account(&email, nichandle.as_deref()).await?;
            let nic = &created.account.nichandle;
            if conn.json {
                let mut value = serde_json::to_value(&created.account).unwrap_or_default();
                value["adminLogin"] = created.admin_login.clone().into();
                if let Some(pw) = &created.admin_password {
                    note("The password is shown this once and cannot be read again: store it now.");
                    value["adminPassword"] = pw.expose().into();
                }
                out(&serde_json::to_string_pretty(&value).unwrap_or_default());
            } else {
                note(&format!(
                    "created account {nic}; its ROOT user is {nic}/{}",
                    created.admin_login
                ));
                if let Some(pw) = &created.admin_password {
                    secret_once("The ROOT user's password", pw.expose());
                }
            }
        }
        AccountCommand::List => {
            let nics = client.list_accounts().await?;
            conn.print(&nics, |nics| nics.iter().for_each(|n| out(n)));
        }
        AccountCommand::Get { nichandle } => {
            let account = client.get_account(&nichandle).await?;
            conn.print(&account, show);
        }
    }
    Ok(())
}
