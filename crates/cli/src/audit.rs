//! `latchkey audit …`: reading the audit log, and following it as it is written.

use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::Subcommand;
use latchkey_client::model::{AuditFilter, AuditRecord};
use latchkey_client::{Client, Error};

use crate::connect::{Connection, Failure, Outcome, exit, note, out, table};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// The account's audit records, newest first (every type Latchkey records; the operator's
    /// account sees every account's): `latchkey audit list --type LOGIN_FAILED --since 24h`.
    List {
        /// Only records of this type (repeatable): TOKEN_CREATED, LOGIN_FAILED, POLICY_MODIFIED …
        #[arg(long = "type", value_name = "TYPE")]
        types: Vec<String>,
        /// Records from this time on: a duration back from now (30m, 24h, 7d), a date
        /// (2027-01-31) or an RFC 3339 time.
        #[arg(long, value_parser = parse_since)]
        since: Option<DateTime<Utc>>,
        /// Records up to this time (the same forms).
        #[arg(long, value_parser = parse_since)]
        until: Option<DateTime<Utc>>,
        /// Only records whose author is this identity URN.
        #[arg(long)]
        identity: Option<String>,
        /// Only this account's records (callers of the operator's account).
        #[arg(long)]
        account: Option<String>,
        /// At most this many records (0: all of them).
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Follow the account's records (OVHcloud's types) as they are committed, until
    /// interrupted; a dropped connection is resumed after the last record shown. With --json,
    /// one JSON object a line.
    Tail {
        /// Start after this record id (the first column of `audit list`); default: from now.
        #[arg(long)]
        since: Option<i64>,
    },
}

/// A time given as a duration back from now, a date or an RFC 3339 time.
fn parse_since(s: &str) -> Result<DateTime<Utc>, String> {
    if s.starts_with(|c: char| c.is_ascii_digit()) && !s.contains('-') {
        let seconds = crate::tokens::parse_duration(s)?;
        return Ok(Utc::now() - chrono::Duration::seconds(seconds));
    }
    crate::tokens::parse_date(s)
}

/// What a record says, in a few words: its details as `key=value` pairs.
fn summary(r: &AuditRecord) -> String {
    let Some(details) = r.type_details() else {
        return String::new();
    };
    details
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match v.as_str() {
            Some(s) => format!("{k}={s}"),
            None => format!("{k}={v}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn row(r: &AuditRecord) -> Vec<String> {
    let repeats = match r.count {
        Some(n) if n > 1 => format!(" (x{n})"),
        _ => String::new(),
    };
    vec![
        r.id.map(|id| id.to_string()).unwrap_or_default(),
        r.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        format!("{}{repeats}", r.kind),
        r.author().unwrap_or("-").to_owned(),
        r.ip.clone().unwrap_or_else(|| "-".to_owned()),
        summary(r),
    ]
}

const HEADERS: [&str; 6] = ["ID", "TIME (UTC)", "TYPE", "BY", "IP", "DETAILS"];

pub async fn run(conn: &Connection, cmd: AuditCommand) -> Outcome {
    let client = conn.client()?;
    match cmd {
        AuditCommand::List {
            types,
            since,
            until,
            identity,
            account,
            limit,
        } => {
            let filter = AuditFilter {
                types,
                identity,
                from: since,
                to: until,
                account,
            };
            let records = client
                .audit_log(&filter, (limit > 0).then_some(limit))
                .await?;
            conn.print(&records, |records| {
                let rows: Vec<Vec<String>> = records.iter().map(row).collect();
                table(&HEADERS, &rows);
            });
            Ok(())
        }
        AuditCommand::Tail { since } => tail(&client, conn.json, since).await,
    }
}

/// Reconnections in a row without a record before `tail` gives up.
const ATTEMPTS: u32 = 5;

/// Prints records as they come, reconnecting after the last one when the stream drops. Ends
/// with the server's refusal when the caller is no longer allowed, or after [`ATTEMPTS`]
/// failed reconnections.
async fn tail(client: &Client, json: bool, mut since: Option<i64>) -> Outcome {
    let mut failures = 0;
    let mut header = !json;
    loop {
        let ended = match client.audit_stream(since).await {
            Ok(mut stream) => {
                let ended = loop {
                    match stream.next().await {
                        Ok(Some(record)) => {
                            failures = 0;
                            if json {
                                out(&serde_json::to_string(&record).unwrap_or_default());
                            } else {
                                if header {
                                    out(&HEADERS.join("  "));
                                    header = false;
                                }
                                out(&row(&record).join("  "));
                            }
                        }
                        Ok(None) => break "the server ended the stream".to_owned(),
                        Err(e) => break e.to_string(),
                    }
                };
                since = stream.last_id();
                ended
            }
            // Refused (the credential or the right is gone): that is the answer.
            Err(e @ Error::Api { .. }) => return Err(Failure::from(e)),
            Err(e) => e.to_string(),
        };
        failures += 1;
        if failures > ATTEMPTS {
            return Err(Failure {
                code: exit::UNAVAILABLE,
                message: format!("{ended}; gave up after {ATTEMPTS} reconnections"),
            });
        }
        note(&format!("{ended}; reconnecting"));
        tokio::time::sleep(Duration::from_millis(250 * 2u64.pow(failures))).await;
    }
}
