//! `latchkey keys rotate`: rotate the signing keys of access tokens now (operator only), through
//! `POST /v2/admin/keys/rotate`. The server also rotates on its own schedule
//! (`LATCHKEY_KEY_ROTATION_DAYS`).

use clap::Subcommand;

use crate::account::{ServerArgs, call, print_json};

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Promote the staged key, retire the primary one (it verifies until its last token expires)
    /// and stage a new key.
    Rotate {
        #[command(flatten)]
        server: ServerArgs,
    },
}

pub async fn run(cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Rotate { server } => {
            let keys = call(
                &server,
                reqwest::Method::POST,
                "/v2/admin/keys/rotate",
                None,
            )
            .await?;
            if server.json {
                print_json(&keys);
            } else {
                for key in keys["keys"].as_array().into_iter().flatten() {
                    #[allow(clippy::print_stdout)]
                    {
                        println!(
                            "{:<8} {}",
                            key["state"].as_str().unwrap_or_default(),
                            key["kid"].as_str().unwrap_or_default()
                        );
                    }
                }
            }
        }
    }
    Ok(())
}
