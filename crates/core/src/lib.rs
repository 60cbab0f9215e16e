//! Latchkey's model, free of HTTP and SQL.
//!
//! - [`names`] and [`urn`]: the newtypes every other layer passes around (`Nic`, `Login`,
//!   `GroupName`, `TokenName`, `Urn`); each constructor is the one place that validates.
//! - [`model`]: accounts, groups, local users and personal access tokens as stored.
//! - [`secret`] and [`password`]: the opaque token format (`lkpat_…`), the keyed hash kept at rest,
//!   and Argon2id password hashing.
//! - [`store`]: the persistence contract that `latchkey-store` implements for SQLite and PostgreSQL.
//! - [`authz`]: IAM actions, the decision ([`authz::allows`]: built-in grants, then policies) and
//!   the [`authz::Permit`] that every account-scoped operation of [`service`] requires.
//! - [`policy`]: IAM policies — URN and action patterns, conditions, and the per-account index
//!   decisions read.
//! - [`resource`]: the resources product back ends register (with their tags) and the actions
//!   they declare.
//! - [`keystone`]: the Keystone view of the store (projects, roles, assignments, catalog) and
//!   the claims of Keystone tokens.
//! - [`service`]: the operations the APIs expose (accounts, users, groups, PATs, authentication),
//!   with the in-memory credential cache and the failed-login throttle.
//! - [`clock`]: injected time, so expiry and throttling are testable without sleeping.

/// A random-UUID identifier newtype: `random()`, `FromStr` (the error names `$what`), `Display`
/// (hyphenated) and `Serialize` as a string.
macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            pub fn random() -> Self {
                Self(uuid::Uuid::new_v4())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::Error;
            fn from_str(s: &str) -> $crate::Result<Self> {
                uuid::Uuid::parse_str(s).map(Self).map_err(|_| {
                    $crate::Error::invalid(format!(concat!("{:?} is not a ", $what, " (a UUID)"), s))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    };
}

pub mod audit;
pub mod authz;
pub mod clock;
pub mod error;
pub mod keys;
pub mod keystone;
pub mod model;
pub mod names;
pub mod password;
pub mod policy;
pub mod resource;
pub mod secret;
pub mod service;
pub mod store;
pub mod throttle;
pub mod urn;

pub use error::{Error, Result};
