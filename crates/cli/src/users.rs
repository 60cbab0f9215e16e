//! `latchkey user …`: the account's local users.

use clap::Subcommand;
use latchkey_client::Secret;
use latchkey_client::model::{NewUser, User, UserChanges};

use crate::connect::{Connection, Failure, Outcome, fields, note, out, table};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a local user. The password is read from standard input (one line), so it stays
    /// out of the shell history and the process list:
    /// `printf '%s\n' "$PW" | latchkey user create alice --email alice@example.com`.
    Create {
        login: String,
        #[arg(long)]
        email: String,
        /// Its group (default: the account's default group).
        #[arg(long)]
        group: Option<String>,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List the logins (with --long, every user's details).
    List {
        #[arg(long)]
        long: bool,
    },
    /// Show one user.
    Get { login: String },
    /// Change a user's e-mail, group or description; `--password-stdin` reads a new password.
    Edit {
        login: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        group: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Let a disabled user (and its tokens) in again.
    Enable { login: String },
    /// Refuse the user and every token it holds, from the next request on.
    Disable { login: String },
    /// Delete the user and its tokens.
    Delete { login: String },
}

fn read_password() -> Result<Secret, Failure> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err(Failure::usage(
            "give the password on standard input (one line)",
        ));
    }
    Ok(Secret::new(password))
}

fn show(user: &User) {
    fields(&[
        ("login", user.login.clone()),
        ("email", user.email.clone()),
        ("group", user.group.clone()),
        ("status", user.status.clone()),
        ("type", user.kind.clone()),
        ("description", user.description.clone()),
        ("created", crate::connect::when(Some(user.creation))),
        ("updated", crate::connect::when(Some(user.last_update))),
        ("urn", user.urn.clone()),
    ]);
}

pub async fn run(conn: &Connection, cmd: UserCommand) -> Outcome {
    let client = conn.client()?;
    match cmd {
        UserCommand::Create {
            login,
            email,
            group,
            description,
        } => {
            let password = read_password()?;
            let user = client
                .create_user(&NewUser {
                    login,
                    email,
                    group,
                    description,
                    password,
                })
                .await?;
            conn.print(&user, show);
        }
        UserCommand::List { long } => {
            let logins = client.list_users().await?;
            if !long {
                conn.print(&logins, |logins| logins.iter().for_each(|l| out(l)));
                return Ok(());
            }
            let mut users = Vec::new();
            for login in &logins {
                users.push(client.get_user(login).await?);
            }
            conn.print(&users, |users| {
                let rows: Vec<Vec<String>> = users
                    .iter()
                    .map(|u| {
                        vec![
                            u.login.clone(),
                            u.group.clone(),
                            u.status.clone(),
                            u.kind.clone(),
                            u.email.clone(),
                        ]
                    })
                    .collect();
                table(&["LOGIN", "GROUP", "STATUS", "TYPE", "EMAIL"], &rows);
            });
        }
        UserCommand::Get { login } => {
            let user = client.get_user(&login).await?;
            conn.print(&user, show);
        }
        UserCommand::Edit {
            login,
            email,
            group,
            description,
            password_stdin,
        } => {
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let changes = UserChanges {
                email,
                group,
                description,
                password,
            };
            let user = client.update_user(&login, &changes).await?;
            conn.print(&user, show);
        }
        UserCommand::Enable { login } => {
            client.enable_user(&login).await?;
            note(&format!("enabled {login}"));
        }
        UserCommand::Disable { login } => {
            client.disable_user(&login).await?;
            note(&format!(
                "disabled {login}; its tokens are refused from now on"
            ));
        }
        UserCommand::Delete { login } => {
            client.delete_user(&login).await?;
            note(&format!("deleted {login} and its tokens"));
        }
    }
    Ok(())
}
