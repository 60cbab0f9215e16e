//! `latchkey token …`: personal access tokens.

use chrono::{DateTime, NaiveDate, Utc};
use clap::Subcommand;
use latchkey_client::model::{CreatedPat, Expiry, Pat};

use crate::connect::{Connection, Failure, Outcome, fields, note, out, secret_once, table, when};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a PAT for a user. The value is printed once, on standard output:
    /// `TOKEN=$(latchkey token create alice ci --expires-in 90d)`.
    Create {
        /// The user who owns the token (it carries exactly this user's rights).
        user: String,
        /// The token's name, unique for the user.
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        /// Lifetime: seconds, or a number with s, m, h, d or w (`90d`). Default: no expiry.
        #[arg(long, conflicts_with = "expires_at", value_parser = parse_duration)]
        expires_in: Option<i64>,
        /// Expiry date: `2027-01-31` or an RFC 3339 time.
        #[arg(long, value_parser = parse_date)]
        expires_at: Option<DateTime<Utc>>,
    },
    /// List a user's tokens.
    List { user: String },
    /// Show one token (never its value).
    Get { user: String, name: String },
    /// Change a token's description or expiry.
    Edit {
        user: String,
        name: String,
        #[arg(long)]
        description: Option<String>,
        #[arg(long, conflicts_with_all = ["expires_at", "no_expiry"], value_parser = parse_duration)]
        expires_in: Option<i64>,
        #[arg(long, conflicts_with = "no_expiry", value_parser = parse_date)]
        expires_at: Option<DateTime<Utc>>,
        /// Make the token never expire.
        #[arg(long)]
        no_expiry: bool,
    },
    /// Delete a token: the very next request presenting it is refused.
    Delete { user: String, name: String },
}

/// `3600`, `90s`, `15m`, `12h`, `90d`, `2w` → seconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, "s"),
    };
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 3600, 12h or 90d"))?;
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(format!("{s:?}: the unit is one of s, m, h, d, w")),
    };
    n.checked_mul(factor)
        .filter(|secs| *secs > 0)
        .ok_or_else(|| format!("{s:?} is not a positive duration"))
}

/// `2027-01-31` (midnight UTC) or an RFC 3339 time.
pub fn parse_date(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(s) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("{s:?} is not a date (2027-01-31) or an RFC 3339 time"))
}

fn show(pat: &Pat) {
    fields(&[
        ("name", pat.name.clone()),
        ("description", pat.description.clone()),
        ("created", when(Some(pat.creation))),
        ("expires", when(pat.expires_at)),
        (
            "last used",
            pat.last_used.map_or("never".into(), |t| when(Some(t))),
        ),
    ]);
}

pub async fn run(conn: &Connection, cmd: TokenCommand) -> Outcome {
    let client = conn.client()?;
    match cmd {
        TokenCommand::Create {
            user,
            name,
            description,
            expires_in,
            expires_at,
        } => {
            let expiry = match (expires_in, expires_at) {
                (Some(secs), _) => Expiry::In(secs),
                (None, Some(at)) => Expiry::At(at),
                (None, None) => Expiry::Never,
            };
            let created: CreatedPat = client
                .create_pat(&user, &name, &description, expiry)
                .await?;
            if conn.json {
                let mut value = serde_json::to_value(&created.meta).unwrap_or_default();
                value["token"] = created.token.expose().into();
                note("The token is shown this once and cannot be read again: store it now.");
                out(&serde_json::to_string_pretty(&value).unwrap_or_default());
            } else {
                note(&format!(
                    "created token {name} for {user}, expires {}",
                    when(created.meta.expires_at)
                ));
                secret_once("The token", created.token.expose());
            }
        }
        TokenCommand::List { user } => {
            let names = client.list_pats(&user).await?;
            let mut pats = Vec::new();
            for name in &names {
                pats.push(client.get_pat(&user, name).await?);
            }
            conn.print(&pats, |pats| {
                let rows: Vec<Vec<String>> = pats
                    .iter()
                    .map(|p| {
                        vec![
                            p.name.clone(),
                            when(p.expires_at),
                            p.last_used.map_or("never".into(), |t| when(Some(t))),
                            p.description.clone(),
                        ]
                    })
                    .collect();
                table(&["NAME", "EXPIRES", "LAST USED", "DESCRIPTION"], &rows);
            });
        }
        TokenCommand::Get { user, name } => {
            let pat = client.get_pat(&user, &name).await?;
            conn.print(&pat, show);
        }
        TokenCommand::Edit {
            user,
            name,
            description,
            expires_in,
            expires_at,
            no_expiry,
        } => {
            let expiry = match (expires_in, expires_at, no_expiry) {
                (Some(secs), _, _) => Some(Expiry::In(secs)),
                (None, Some(at), _) => Some(Expiry::At(at)),
                (None, None, true) => Some(Expiry::Never),
                (None, None, false) => None,
            };
            if description.is_none() && expiry.is_none() {
                return Err(Failure::usage(
                    "nothing to change: give --description, --expires-in, --expires-at or --no-expiry",
                ));
            }
            let pat = client
                .update_pat(&user, &name, description.as_deref(), expiry)
                .await?;
            conn.print(&pat, show);
        }
        TokenCommand::Delete { user, name } => {
            client.delete_pat(&user, &name).await?;
            note(&format!(
                "deleted token {name} of {user}; it is refused from the next request on"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_dates_parse_or_say_why() {
        assert_eq!(parse_duration("3600"), Ok(3600));
        assert_eq!(parse_duration("90d"), Ok(90 * 86_400));
        assert_eq!(parse_duration("2w"), Ok(14 * 86_400));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("5y").unwrap_err().contains("unit"));
        assert!(parse_duration("soon").is_err());
        assert_eq!(
            parse_date("2027-01-31").map(|d| d.to_rfc3339()),
            Ok("2027-01-31T00:00:00+00:00".to_owned())
        );
        assert!(parse_date("31/01/2027").is_err());
    }
}
