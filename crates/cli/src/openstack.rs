//! `latchkey openstack …`: Keystone tokens and the catalog, with the `OS_*` variables of an
//! OpenRC file (as `openstack` reads them), or the `LATCHKEY_*` credential.

use clap::Subcommand;
use latchkey_client::{Domain, KeystoneScope};

use crate::connect::{Connection, Failure, Outcome, fields, note, out, raw, table};

#[derive(Debug, Subcommand)]
pub enum OpenstackCommand {
    /// Keystone tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The service catalog.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Print an OpenRC file for a user (`latchkey openstack openrc alice > alice-openrc.sh`),
    /// fetched with the LATCHKEY_* credential.
    Openrc {
        user: String,
        /// A project the user holds a role on (default: the first).
        #[arg(long)]
        project: Option<String>,
        /// A region (default: the first).
        #[arg(long)]
        region: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a token (as `openstack token issue`): the OS_* scope, or --project.
    Issue {
        /// Scope to this project id instead of the OpenRC's.
        #[arg(long)]
        project_id: Option<String>,
        /// Scope to this project name (in the OS_PROJECT_DOMAIN_* domain, else `default`).
        #[arg(long, conflicts_with = "project_id")]
        project: Option<String>,
        /// An unscoped token.
        #[arg(long, conflicts_with_all = ["project_id", "project"])]
        unscoped: bool,
    },
    /// Revoke a token (and every token rescoped from it).
    Revoke { token: String },
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// The services and their endpoints.
    List,
}

pub async fn run(conn: &Connection, cmd: OpenstackCommand) -> Outcome {
    match cmd {
        OpenstackCommand::Openrc {
            user,
            project,
            region,
        } => {
            let client = conn.client()?;
            let text = client
                .openrc(&user, project.as_deref(), region.as_deref())
                .await?;
            raw(&text);
        }
        OpenstackCommand::Token(TokenCommand::Issue {
            project_id,
            project,
            unscoped,
        }) => {
            let client = conn.openstack_client()?;
            let scope = match (project_id, project) {
                (Some(id), _) => Some(KeystoneScope::ProjectId(id)),
                (None, Some(name)) => {
                    let domain = std::env::var("OS_PROJECT_DOMAIN_ID")
                        .map(Domain::Id)
                        .or_else(|_| std::env::var("OS_PROJECT_DOMAIN_NAME").map(Domain::Name))
                        .unwrap_or_else(|_| Domain::Id("default".into()));
                    Some(KeystoneScope::ProjectName { name, domain })
                }
                (None, None) if unscoped => Some(KeystoneScope::Unscoped),
                (None, None) => None,
            };
            // Without a new scope, the token is the credential's own (scoped as OS_* say).
            let (value, body) = match scope {
                Some(scope) => {
                    let issued = client.issue_keystone_token(&scope).await?;
                    (issued.value, issued.body)
                }
                None => {
                    let value = client.keystone_token_value().await?;
                    let body = client
                        .validate_keystone_token(value.expose())
                        .await?
                        .ok_or_else(|| Failure::usage("the new token did not validate"))?;
                    (value, body)
                }
            };
            if conn.json {
                let mut shown = body.clone();
                shown["id"] = value.expose().into();
                out(&serde_json::to_string_pretty(&shown).unwrap_or_default());
            } else {
                let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
                fields(&[
                    ("expires", text(&body["expires_at"])),
                    ("id", value.expose().to_owned()),
                    ("project_id", text(&body["project"]["id"])),
                    ("user_id", text(&body["user"]["id"])),
                ]);
            }
        }
        OpenstackCommand::Token(TokenCommand::Revoke { token }) => {
            let client = conn.openstack_client()?;
            client.revoke_keystone_token(&token).await?;
            note("revoked the token and every token rescoped from it");
        }
        OpenstackCommand::Catalog(CatalogCommand::List) => {
            let client = conn.openstack_client()?;
            let catalog = client.keystone_catalog().await?;
            conn.print(&catalog, |catalog| {
                let rows: Vec<Vec<String>> = catalog
                    .iter()
                    .map(|s| {
                        let endpoints: Vec<String> = s["endpoints"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|e| {
                                format!(
                                    "{} {}: {}",
                                    e["region"].as_str().unwrap_or_default(),
                                    e["interface"].as_str().unwrap_or_default(),
                                    e["url"].as_str().unwrap_or_default()
                                )
                            })
                            .collect();
                        vec![
                            s["name"].as_str().unwrap_or_default().to_owned(),
                            s["type"].as_str().unwrap_or_default().to_owned(),
                            endpoints.join("; "),
                        ]
                    })
                    .collect();
                table(&["NAME", "TYPE", "ENDPOINTS"], &rows);
            });
        }
    }
    Ok(())
}
