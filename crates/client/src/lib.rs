//! The Latchkey client SDK.
//!
//! Give it credentials — a PAT, a service account's client id and secret, a Keystone password
//! or application credential — from arguments, `LATCHKEY_*` variables or the `OS_*` variables of
//! an OpenRC file, and call the API: the [`TokenManager`] gets a token on first use, caches it,
//! renews it before it expires (a tenth of its life before, by default), shares one renewal
//! among concurrent callers, and the [`Client`] retries a 429 after `Retry-After` (with jitter)
//! and authenticates again once when the server refuses an expired token. No secret is ever
//! logged: secrets are [`Secret`]s, whose `Debug` prints `***`.
//!
//! ```no_run
//! # async fn demo() -> latchkey_client::Result<()> {
//! use latchkey_client::{Client, Credentials, Secret};
//! let client = Client::new(
//!     "http://127.0.0.1:5080",
//!     Credentials::ClientCredentials {
//!         client_id: "EU.3f2a…".into(),
//!         client_secret: Secret::new("lksec_…"),
//!     },
//! )?;
//! let me = client.me().await?; // a token is fetched here, and renewed as needed later
//! println!("{}", me.identity.urn);
//! # Ok(()) }
//! ```

mod answer;
mod api;
mod client;
pub mod clock;
mod credentials;
mod error;
mod manager;
pub mod model;
mod retry;
mod secret;
pub mod sse;

pub use api::{AuditStream, seg as path_segment};
pub use client::{Client, ClientBuilder};
pub use credentials::{Credentials, Domain, KeystoneScope, KeystoneUser, Settings, parse_openrc};
pub use error::{Error, Result};
pub use manager::{Presentation, Renewal, Token, TokenManager};
pub use retry::Retry;
pub use secret::Secret;
