//! `latchkey service-account …`: OAuth2 clients (client-credentials flow).

use clap::Subcommand;
use latchkey_client::model::{ServiceAccount, ServiceAccountChanges};

use crate::connect::{Connection, Failure, Outcome, fields, note, out, secret_once, table, when};

#[derive(Debug, Subcommand)]
pub enum ServiceAccountCommand {
    /// Create a service account. Its client id goes to standard error, its secret (shown once)
    /// to standard output.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List the service accounts.
    List,
    /// Show one service account.
    Get { client_id: String },
    /// Rename or describe a service account.
    Edit {
        client_id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete a service account: its secret and its tokens stop working at once.
    Delete { client_id: String },
}

fn show(sa: &ServiceAccount) {
    fields(&[
        ("client id", sa.client_id.clone()),
        ("name", sa.name.clone()),
        ("description", sa.description.clone()),
        ("flow", sa.flow.clone()),
        ("created", when(Some(sa.created_at))),
        ("identity", sa.identity.clone()),
    ]);
}

pub async fn run(conn: &Connection, cmd: ServiceAccountCommand) -> Outcome {
    let client = conn.client()?;
    match cmd {
        ServiceAccountCommand::Create { name, description } => {
            let created = client.create_service_account(&name, &description).await?;
            if conn.json {
                note(
                    "The client secret is shown this once and cannot be read again: store it now.",
                );
                let value = serde_json::json!({
                    "clientId": created.client_id,
                    "clientSecret": created.client_secret.expose(),
                });
                out(&serde_json::to_string_pretty(&value).unwrap_or_default());
            } else {
                note(&format!("created service account {}", created.client_id));
                note(&format!("client id: {}", created.client_id));
                secret_once("The client secret", created.client_secret.expose());
            }
        }
        ServiceAccountCommand::List => {
            let ids = client.list_service_accounts().await?;
            let mut all = Vec::new();
            for id in &ids {
                all.push(client.get_service_account(id).await?);
            }
            conn.print(&all, |all| {
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .map(|sa| {
                        vec![
                            sa.client_id.clone(),
                            sa.name.clone(),
                            when(Some(sa.created_at)),
                            sa.description.clone(),
                        ]
                    })
                    .collect();
                table(&["CLIENT ID", "NAME", "CREATED", "DESCRIPTION"], &rows);
            });
        }
        ServiceAccountCommand::Get { client_id } => {
            let sa = client.get_service_account(&client_id).await?;
            conn.print(&sa, show);
        }
        ServiceAccountCommand::Edit {
            client_id,
            name,
            description,
        } => {
            if name.is_none() && description.is_none() {
                return Err(Failure::usage(
                    "nothing to change: give --name or --description",
                ));
            }
            let changes = ServiceAccountChanges {
                name,
                description,
                callback_urls: None,
            };
            let sa = client.update_service_account(&client_id, &changes).await?;
            conn.print(&sa, show);
        }
        ServiceAccountCommand::Delete { client_id } => {
            client.delete_service_account(&client_id).await?;
            note(&format!("deleted service account {client_id}"));
        }
    }
    Ok(())
}
