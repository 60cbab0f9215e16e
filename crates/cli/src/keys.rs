//! `latchkey keys rotate`: rotate the signing keys of short-lived tokens now (operator only),
//! through `POST /v2/admin/keys/rotate`. The server also rotates on its own schedule
//! (`LATCHKEY_KEY_ROTATION_DAYS`).

use clap::Subcommand;

use crate::connect::{Connection, Outcome, table};

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Promote the staged key, retire the primary one (it verifies until its last token expires)
    /// and stage a new key.
    Rotate,
}

pub async fn run(conn: &Connection, cmd: KeysCommand) -> Outcome {
    let client = conn.client()?;
    match cmd {
        KeysCommand::Rotate => {
            let keys = client.rotate_keys().await?;
            conn.print(&keys, |keys| {
                let rows: Vec<Vec<String>> = keys["keys"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|k| {
                        let text = |f: &str| k[f].as_str().unwrap_or("-").to_owned();
                        vec![text("state"), text("kid"), text("verifyUntil")]
                    })
                    .collect();
                table(&["STATE", "KID", "VERIFY UNTIL"], &rows);
            });
        }
    }
    Ok(())
}
