//! `latchkey policy …`: IAM policies, and checking what the caller may do.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use latchkey_client::model::{
    ActionRef, Permissions, PermissionsGroupRef, Policy, PolicyDraft, PolicyFilter, ResourceRef,
};

use crate::connect::{Connection, Failure, Outcome, exit, fields, note, out, table, when};

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Create a policy from flags, or from a JSON file (`--file policy.json`, `-` for standard
    /// input) in the body format of `POST /v2/iam/policy`:
    /// `latchkey policy create --name ci --identity urn:v1:eu:identity:user:lk1-lk/ci
    ///  --resource urn:v1:eu:resource:account:lk1-lk --allow 'account:apiovh:me/*'`.
    Create(Content),
    /// List policies (filters as in the API; each may be repeated).
    List {
        #[arg(long)]
        identity: Vec<String>,
        #[arg(long)]
        resource: Vec<String>,
        #[arg(long)]
        action: Vec<String>,
    },
    /// Show one policy.
    Get { id: String },
    /// Replace a policy's content: from a file, or the current content with the flags given
    /// replacing their fields.
    Edit {
        id: String,
        #[command(flatten)]
        content: Content,
    },
    /// Delete a policy.
    Delete { id: String },
    /// Which of the ACTIONs the caller may perform on the resource URN. Exits 0 when all are
    /// allowed, 4 otherwise.
    Check {
        urn: String,
        #[arg(required = true)]
        actions: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct Content {
    /// A JSON file with the whole policy (`-` reads standard input).
    #[arg(long)]
    file: Option<PathBuf>,
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    description: Option<String>,
    /// Identity URN (repeatable; `*` allowed at either end).
    #[arg(long)]
    identity: Vec<String>,
    /// Resource URN (repeatable).
    #[arg(long)]
    resource: Vec<String>,
    /// Allowed action (repeatable; `*` globs).
    #[arg(long)]
    allow: Vec<String>,
    /// Action excepted from the allowed ones (repeatable).
    #[arg(long)]
    except: Vec<String>,
    /// Denied action (repeatable); a deny wins over every allow.
    #[arg(long)]
    deny: Vec<String>,
    /// When the policy stops applying (RFC 3339 or 2027-01-31).
    #[arg(long, value_parser = crate::tokens::parse_date)]
    expires_at: Option<DateTime<Utc>>,
    /// The policy's conditions as JSON in OVHcloud's shape, for example
    /// `'{"operator":"MATCH","values":{"request.IP.IN_RANGE":"10.0.0.0/8"}}'`.
    #[arg(long, value_parser = parse_json)]
    conditions: Option<serde_json::Value>,
    /// A permissions group whose permissions the policy adds to its own, by URN (repeatable),
    /// for example `urn:v1:eu:permissionsGroup:latchkey:accountReader`.
    #[arg(long)]
    permissions_group: Vec<String>,
}

fn parse_json(s: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(s).map_err(|e| format!("not JSON: {e}"))
}

fn actions(list: &[String]) -> Vec<ActionRef> {
    list.iter()
        .map(|a| ActionRef { action: a.clone() })
        .collect()
}

impl Content {
    /// The draft: the file's, or `base` (default empty) with the flags given applied.
    fn draft(self, base: Option<PolicyDraft>) -> Result<PolicyDraft, Failure> {
        if let Some(path) = &self.file {
            let text = if path.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(path)
                    .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?
            };
            return serde_json::from_str(&text)
                .map_err(|e| Failure::usage(format!("the policy file is not a policy: {e}")));
        }
        let mut draft = base.unwrap_or_default();
        if let Some(name) = self.name {
            draft.name = name;
        }
        if let Some(d) = self.description {
            draft.description = d;
        }
        if !self.identity.is_empty() {
            draft.identities = self.identity;
        }
        if !self.resource.is_empty() {
            draft.resources = self
                .resource
                .into_iter()
                .map(|urn| ResourceRef { urn })
                .collect();
        }
        let permissions = Permissions {
            allow: actions(&self.allow),
            except: actions(&self.except),
            deny: actions(&self.deny),
        };
        if !self.allow.is_empty() {
            draft.permissions.allow = permissions.allow;
        }
        if !self.except.is_empty() {
            draft.permissions.except = permissions.except;
        }
        if !self.deny.is_empty() {
            draft.permissions.deny = permissions.deny;
        }
        if self.expires_at.is_some() {
            draft.expired_at = self.expires_at;
        }
        if self.conditions.is_some() {
            draft.conditions = self.conditions;
        }
        if !self.permissions_group.is_empty() {
            draft.permissions_groups = self
                .permissions_group
                .into_iter()
                .map(|urn| PermissionsGroupRef { urn })
                .collect();
        }
        if draft.name.is_empty() {
            return Err(Failure::usage("a policy needs --name (or --file)"));
        }
        Ok(draft)
    }
}

fn list_of(refs: &[ActionRef]) -> String {
    refs.iter()
        .map(|a| a.action.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn show(p: &Policy) {
    fields(&[
        ("id", p.id.clone()),
        ("name", p.name.clone()),
        ("description", p.description.clone()),
        ("identities", p.identities.join(", ")),
        (
            "resources",
            p.resources
                .iter()
                .map(|r| r.urn.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("allow", list_of(&p.permissions.allow)),
        ("except", list_of(&p.permissions.except)),
        ("deny", list_of(&p.permissions.deny)),
        (
            "permissions groups",
            p.permissions_groups
                .iter()
                .map(|g| g.urn.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("expires", when(p.expired_at)),
        (
            "conditions",
            p.conditions
                .as_ref()
                .map_or_else(String::new, ToString::to_string),
        ),
        ("read only", p.read_only.to_string()),
    ]);
}

fn draft_of(p: &Policy) -> PolicyDraft {
    PolicyDraft {
        name: p.name.clone(),
        description: p.description.clone(),
        identities: p.identities.clone(),
        resources: p.resources.clone(),
        permissions: p.permissions.clone(),
        conditions: p.conditions.clone(),
        permissions_groups: p.permissions_groups.clone(),
        expired_at: p.expired_at,
    }
}

pub async fn run(conn: &Connection, cmd: PolicyCommand) -> Outcome {
    let client = conn.client()?;
    match cmd {
        PolicyCommand::Create(content) => {
            let policy = client.create_policy(&content.draft(None)?).await?;
            conn.print(&policy, show);
        }
        PolicyCommand::List {
            identity,
            resource,
            action,
        } => {
            let filter = PolicyFilter {
                identities: identity,
                resources: resource,
                actions: action,
                read_only: None,
            };
            let policies = client.list_policies(&filter).await?;
            conn.print(&policies, |policies| {
                let rows: Vec<Vec<String>> = policies
                    .iter()
                    .map(|p| {
                        vec![
                            p.id.clone(),
                            p.name.clone(),
                            p.identities.len().to_string(),
                            list_of(&p.permissions.allow),
                        ]
                    })
                    .collect();
                table(&["ID", "NAME", "IDENTITIES", "ALLOW"], &rows);
            });
        }
        PolicyCommand::Get { id } => {
            let policy = client.get_policy(&id).await?;
            conn.print(&policy, show);
        }
        PolicyCommand::Edit { id, content } => {
            let base = if content.file.is_some() {
                None
            } else {
                Some(draft_of(&client.get_policy(&id).await?))
            };
            let policy = client.update_policy(&id, &content.draft(base)?).await?;
            conn.print(&policy, show);
        }
        PolicyCommand::Delete { id } => {
            client.delete_policy(&id).await?;
            note(&format!("deleted policy {id}"));
        }
        PolicyCommand::Check { urn, actions } => {
            let refs: Vec<&str> = actions.iter().map(String::as_str).collect();
            let check = client.check_authorization(&urn, &refs).await?;
            let all = check.unauthorized_actions.is_empty();
            conn.print(&check, |check| {
                for a in &check.authorized_actions {
                    out(&format!("allowed  {a}"));
                }
                for a in &check.unauthorized_actions {
                    out(&format!("denied   {a}"));
                }
            });
            if !all {
                return Err(Failure {
                    code: exit::FORBIDDEN,
                    message: format!(
                        "{} of {} actions are not allowed",
                        check.unauthorized_actions.len(),
                        actions.len()
                    ),
                });
            }
        }
    }
    Ok(())
}
