//! Accounts, groups, local users and personal access tokens, as the store keeps them.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::names::{
    CallbackUrl, ClientId, Description, DisplayName, Email, GroupName, Login, Nic, Plate, TokenName,
};
use crate::secret::TokenHash;
use crate::urn::Urn;
use crate::{Error, Result};

/// The groups every account starts with, and the one new users join when none is named.
pub const DEFAULT_GROUPS: &[(&str, Role, &str)] = &[
    (
        "ADMIN",
        Role::Admin,
        "Administrators: every right in the account",
    ),
    (
        "DEFAULT",
        Role::Regular,
        "Regular users: rights come from policies",
    ),
    (
        "UNPRIVILEGED",
        Role::Unprivileged,
        "Users with no rights beyond their policies",
    ),
];
/// The group a new user joins when none is named; to Keystone, "no group".
pub const DEFAULT_USER_GROUP: &str = "DEFAULT";
/// The group of every account's ROOT user.
pub const ROOT_GROUP: &str = "ADMIN";

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// Store key of an account.
    AccountId
);
id_type!(
    /// Store key of a local user.
    UserId
);
id_type!(
    /// Store key of a group.
    GroupId
);
id_type!(
    /// Store key of a personal access token.
    PatId
);
id_type!(
    /// Store key of a service account.
    ServiceAccountId
);

/// Declares a string enum with its wire spelling, parsing and display in one place.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(Error::invalid(format!(
                        concat!("unknown ", $what, " {:?}; expected one of {}"),
                        s,
                        [$($wire),+].join(", ")
                    ))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// A group's coarse grant: `ADMIN` members may do everything in their account.
    Role, "role" {
        Admin => "ADMIN",
        Regular => "REGULAR",
        Unprivileged => "UNPRIVILEGED",
        None => "NONE",
    }
);

wire_enum!(
    /// Whether a local user may authenticate.
    UserStatus, "status" {
        Ok => "OK",
        Disabled => "DISABLED",
        PasswordChangeRequired => "PASSWORD_CHANGE_REQUIRED",
    }
);

wire_enum!(
    /// What kind of local user: each account has exactly one `ROOT`.
    UserType, "user type" {
        Root => "ROOT",
        User => "USER",
        Service => "SERVICE",
    }
);

wire_enum!(
    /// The OAuth2 grant a client is made for.
    Flow, "flow" {
        ClientCredentials => "CLIENT_CREDENTIALS",
        AuthorizationCode => "AUTHORIZATION_CODE",
    }
);

/// A tenant. Everything else belongs to exactly one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub nic: Nic,
    pub email: Email,
    /// The bootstrap account, whose ROOT user operates the installation.
    pub operator: bool,
    pub created_at: DateTime<Utc>,
    /// The account as a Keystone domain.
    pub domain: DomainFields,
}

/// What Keystone shows of an account as a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainFields {
    /// The domain's name; the nic when `None`.
    pub name: Option<DisplayName>,
    pub description: Description,
    /// A disabled domain's identities cannot authenticate; it can then be deleted.
    pub enabled: bool,
}

impl Default for DomainFields {
    fn default() -> Self {
        Self {
            name: None,
            description: Description::default(),
            enabled: true,
        }
    }
}

impl Account {
    pub fn urn(&self, plate: &Plate) -> Urn {
        Urn::account_identity(plate, &self.nic)
    }

    pub fn resource_urn(&self, plate: &Plate) -> Urn {
        Urn::account_resource(plate, &self.nic)
    }
}

/// A group of local users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: GroupId,
    pub account_id: AccountId,
    pub name: GroupName,
    pub role: Role,
    pub description: Description,
    /// Created with the account; cannot be edited or deleted.
    pub default_group: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A local user, with the name and role of its group resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub account_id: AccountId,
    pub login: Login,
    pub email: Email,
    pub group: GroupName,
    pub group_role: Role,
    pub description: Description,
    pub status: UserStatus,
    pub kind: UserType,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub password_updated_at: DateTime<Utc>,
}

impl User {
    /// The user's IAM group as Keystone sees it: none for `DEFAULT`, where users without a
    /// chosen group are.
    pub fn keystone_group(&self) -> Option<&GroupName> {
        (self.group.as_str() != DEFAULT_USER_GROUP).then_some(&self.group)
    }
}

/// A personal access token's metadata. The value itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pat {
    pub id: PatId,
    pub user_id: UserId,
    pub name: TokenName,
    pub description: Description,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used: Option<DateTime<Utc>>,
}

impl Pat {
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// A service account: an OAuth2 client owned by the account, not by a person. Its secret is
/// kept only as a keyed hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccount {
    pub id: ServiceAccountId,
    pub account_id: AccountId,
    pub client_id: ClientId,
    pub name: DisplayName,
    pub description: Description,
    pub flow: Flow,
    pub callback_urls: Vec<CallbackUrl>,
    pub created_at: DateTime<Utc>,
}

impl ServiceAccount {
    /// `urn:v1:{plate}:identity:credential:{nic}/oauth2-{clientId}`.
    pub fn urn(&self, plate: &Plate, nic: &Nic) -> Urn {
        Urn::credential(plate, nic, &self.client_id)
    }
}

/// What the store returns when a PAT is looked up by its hash: enough to authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatRecord {
    pub pat: Pat,
    pub account_id: AccountId,
    pub hash: TokenHash,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_enums_round_trip_and_refuse_unknown_values() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), *role);
        }
        assert_eq!(
            "PASSWORD_CHANGE_REQUIRED".parse::<UserStatus>().unwrap(),
            UserStatus::PasswordChangeRequired
        );
        let err = "admin".parse::<Role>().unwrap_err().to_string();
        assert!(err.contains("ADMIN, REGULAR, UNPRIVILEGED, NONE"), "{err}");
    }
}
