//! The Keystone view of the store: projects, roles and their implications, role assignments, and
//! the catalog (regions, services, endpoints), plus the claims of a Keystone token.
//!
//! An account is a Keystone domain: the operator account is the domain `default` (name
//! `Default`), every other account the domain whose id and name are its nic. Local users are the
//! domain's users and its groups are Keystone groups; both are addressed by a 32-hex-digit id
//! derived from their store key. Service accounts authenticate with the `application_credential`
//! method. Everything here is plain data; [`snapshot`] holds the in-memory indexes that token
//! issue and validation read.

pub mod access;
pub mod assignments;
pub mod ids;
pub mod snapshot;
pub mod token;

pub use ids::{KsGroupId, KsUserId};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Account, AccountId, UserId};
use crate::names::{ClientId, Description, DisplayName};
use crate::{Error, Result};

/// The Keystone domain id of the operator account, as `keystone-manage bootstrap` names it.
pub const DEFAULT_DOMAIN_ID: &str = "default";
/// The Keystone domain name of the operator account.
pub const DEFAULT_DOMAIN_NAME: &str = "Default";

/// The roles the bootstrap creates, each implying the next: `admin` ⊃ `manager` ⊃ `member` ⊃
/// `reader`; `service` stands alone.
pub const DEFAULT_ROLES: &[&str] = &["admin", "manager", "member", "reader", "service"];
pub const DEFAULT_IMPLICATIONS: &[(&str, &str)] = &[
    ("admin", "manager"),
    ("manager", "member"),
    ("member", "reader"),
];
/// The project the bootstrap creates in the operator account.
pub const ADMIN_PROJECT: &str = "admin";

/// The Keystone id of an account's domain.
pub fn domain_id(account: &Account) -> String {
    if account.operator {
        DEFAULT_DOMAIN_ID.to_owned()
    } else {
        account.nic.to_string()
    }
}

/// The Keystone name of an account's domain.
pub fn domain_name(account: &Account) -> String {
    match &account.domain.name {
        Some(name) => name.as_str().to_owned(),
        None if account.operator => DEFAULT_DOMAIN_NAME.to_owned(),
        None => account.nic.to_string(),
    }
}

/// Whether `id_or_name` names the account's domain (by id or by name).
pub fn names_domain(account: &Account, id_or_name: &str) -> bool {
    id_or_name == domain_id(account) || id_or_name == domain_name(account)
}

/// A new random Keystone id (32 lowercase hex digits), for projects, roles and the catalog.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Checks a client-chosen id (regions, and ids given at creation): 1 to 255 characters from
/// letters, digits, `-`, `_` and `.`.
pub fn check_id(what: &str, id: &str) -> Result<()> {
    if id.is_empty()
        || id.len() > 255
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(Error::invalid(format!(
            "{what} must be 1 to 255 letters, digits, '-', '_' or '.'"
        )));
    }
    Ok(())
}

/// A project: owned by one account (its domain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: String,
    pub account_id: AccountId,
    pub name: DisplayName,
    pub description: Description,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    /// The project above this one in its domain; `None` directly under the domain.
    pub parent_id: Option<String>,
    /// Keystone's project tags, in the order they were set.
    pub tags: Vec<String>,
}

/// What Keystone keeps of a user beyond the local user: its default project and the
/// attributes Keystone does not define, kept and returned as given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserAttributes {
    pub default_project: Option<String>,
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// An access rule of an application credential: which requests to which service it allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRule {
    pub id: String,
    pub service: String,
    pub path: String,
    pub method: String,
}

/// An application credential as stored: its secret only as a hash, the rest as JSON.
#[derive(Debug, Clone)]
pub struct StoredAppCredential {
    pub id: String,
    pub user_id: UserId,
    pub name: String,
    pub secret_hash: crate::secret::TokenHash,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// A role. Roles are global, as Keystone's default roles are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KsRole {
    pub id: String,
    pub name: DisplayName,
    pub description: Description,
    /// The domain (Keystone domain id) of a domain-specific role; `None` for a global role.
    pub domain_id: Option<String>,
}

/// Who holds a role.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Actor {
    User(UserId),
    /// A group, by name (names are fixed once a group exists).
    Group(crate::names::GroupName),
    /// A service account, by client id.
    Client(ClientId),
}

impl Actor {
    /// The stored form: `user:{id}`, `group:{name}`, `client:{clientId}`.
    pub fn key(&self) -> String {
        match self {
            Actor::User(id) => format!("user:{}", id.0),
            Actor::Group(name) => format!("group:{name}"),
            Actor::Client(id) => format!("client:{id}"),
        }
    }

    pub fn parse(key: &str) -> Result<Self> {
        let bad = || Error::internal(format!("stored role actor {key:?} is invalid"));
        let (kind, rest) = key.split_once(':').ok_or_else(bad)?;
        Ok(match kind {
            "user" => Actor::User(UserId(rest.parse().map_err(|_| bad())?)),
            "group" => Actor::Group(crate::names::GroupName::parse(rest).map_err(|_| bad())?),
            "client" => Actor::Client(ClientId::parse(rest).map_err(|_| bad())?),
            _ => return Err(bad()),
        })
    }
}

/// Where a role is held.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Target {
    #[serde(rename = "p")]
    Project(String),
    /// The account's own domain.
    #[serde(rename = "d")]
    Domain,
    /// The whole installation (only the operator account's identities hold system roles).
    #[serde(rename = "s")]
    System,
    /// Every project of the account's domain, not the domain itself (OS-INHERIT).
    #[serde(rename = "id")]
    DomainProjects,
    /// Every project below this one, not the project itself (OS-INHERIT).
    #[serde(rename = "ip")]
    ProjectsBelow(String),
}

impl Target {
    /// The stored form: `project:{id}`, `domain`, `system`, `inherited:domain`,
    /// `inherited:project:{id}`.
    pub fn key(&self) -> String {
        match self {
            Target::Project(id) => format!("project:{id}"),
            Target::Domain => "domain".to_owned(),
            Target::System => "system".to_owned(),
            Target::DomainProjects => "inherited:domain".to_owned(),
            Target::ProjectsBelow(id) => format!("inherited:project:{id}"),
        }
    }

    /// Whether the grant reaches projects below its target rather than the target (Keystone's
    /// `inherited_to_projects`).
    pub fn inherited(&self) -> bool {
        matches!(self, Target::DomainProjects | Target::ProjectsBelow(_))
    }

    pub fn parse(key: &str) -> Result<Self> {
        if key == "inherited:domain" {
            return Ok(Target::DomainProjects);
        }
        if let Some(id) = key.strip_prefix("inherited:project:") {
            return Ok(Target::ProjectsBelow(id.to_owned()));
        }
        match key.split_once(':') {
            Some(("project", id)) => Ok(Target::Project(id.to_owned())),
            None if key == "domain" => Ok(Target::Domain),
            None if key == "system" => Ok(Target::System),
            _ => Err(Error::internal(format!(
                "stored role target {key:?} is invalid"
            ))),
        }
    }
}

/// One role granted to one actor on one target of an account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Assignment {
    pub actor: Actor,
    pub target: Target,
    pub role_id: String,
}

/// A Keystone membership of a user in a group, beside the user's IAM group: the user holds the
/// group's grants, and in the group's own account its IAM policies and role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub user: crate::model::UserId,
    pub group: crate::names::GroupName,
    pub role: crate::model::Role,
}

/// A catalog region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub id: String,
    pub description: Description,
    pub parent_region_id: Option<String>,
}

/// A catalog service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub id: String,
    /// The service type (`identity`, `object-store`, …).
    pub kind: String,
    pub name: String,
    pub description: Description,
    pub enabled: bool,
}

/// Which network an endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interface {
    Public,
    Internal,
    Admin,
}

impl Interface {
    pub fn as_str(self) -> &'static str {
        match self {
            Interface::Public => "public",
            Interface::Internal => "internal",
            Interface::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "public" => Ok(Interface::Public),
            "internal" => Ok(Interface::Internal),
            "admin" => Ok(Interface::Admin),
            _ => Err(Error::invalid(format!(
                "unknown interface {s:?}; expected public, internal or admin"
            ))),
        }
    }
}

/// A catalog endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: String,
    pub service_id: String,
    pub region_id: Option<String>,
    pub interface: Interface,
    pub url: String,
    pub enabled: bool,
}

/// Checks a service type or name: 1 to 255 printable characters.
pub fn check_label(what: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() || value.chars().count() > 255 || value.chars().any(char::is_control)
    {
        return Err(Error::invalid(format!(
            "{what} must be 1 to 255 printable characters"
        )));
    }
    Ok(())
}

/// Checks an endpoint URL: absolute http(s), at most 1024 characters.
pub fn check_url(url: &str) -> Result<()> {
    if !(url.starts_with("http://") || url.starts_with("https://"))
        || url.len() > 1024
        || url.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(Error::invalid(
            "url must be an absolute http:// or https:// URL of at most 1024 characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_and_targets_round_trip_their_stored_form() {
        for actor in [
            Actor::User(UserId(7)),
            Actor::Group(crate::names::GroupName::parse("ops").unwrap()),
            Actor::Client(ClientId::parse("0f0f0f0f0f0f0f0f").unwrap()),
        ] {
            assert_eq!(Actor::parse(&actor.key()).unwrap(), actor);
        }
        for target in [
            Target::Project("abc".into()),
            Target::Domain,
            Target::System,
        ] {
            assert_eq!(Target::parse(&target.key()).unwrap(), target);
        }
        assert!(Actor::parse("robot:1").is_err());
        assert!(Target::parse("region:x").is_err());
    }
}
