//! Latchkey's HTTP server.
//!
//! - [`startup`]: building the application from a [`config::Config`] and running it until a
//!   shutdown signal (tests drive it on port 0 with their own clock and shutdown).
//! - [`ovh`]: the /1.0 (and /v1) API — `/me`, users, groups, personal access tokens.
//! - [`oauth2`]: the OAuth2 token endpoint, the JWKS and the authorisation-server metadata.
//! - [`iam`]: the /v2/iam API — policies, resources with authorisation checks, the action
//!   reference.
//! - [`keystone`]: OpenStack Keystone v3 — discovery, tokens, projects, roles, assignments,
//!   the catalog.
//! - [`listener`]: accepting connections, TLS, timeouts and the connection cap.
//! - [`admin`]: `/v2/admin/account` and `/v2/admin/keys/rotate`, the operator's operations.
//! - [`extract`]: the authenticated caller and JSON bodies, with the API's error format.
//! - [`error`]: the one table from domain errors to HTTP responses.
//! - [`middleware`]: what every request goes through (request ids, the body limit, panics, the
//!   Keystone challenge).
//! - [`protocol`]: which API a path belongs to, and an error in that API's format.
//! - [`query`]: query strings with repeated keys and the cursor pagination of listings, shared
//!   by every API family.
//!
//! Handlers hold no SQL: each names its IAM action, obtains a permit from the directory, and
//! calls the directory with it.

pub mod admin;
pub mod audit;
pub mod config;
pub mod console;
pub mod error;
pub mod extract;
pub mod iam;
pub mod keystone;
pub mod listener;
pub mod metrics;
pub mod middleware;
pub mod oauth2;
pub mod ovh;
pub mod protocol;
pub mod query;
pub mod revocations;
pub mod startup;
pub mod state;
#[cfg(feature = "testing")]
pub mod testing;
pub mod views;

pub use config::{Config, Settings};
pub use startup::Application;
