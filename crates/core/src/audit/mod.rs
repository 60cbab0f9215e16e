//! The audit log: who did what, when, from where. A record is written in the transaction of the
//! change it describes (see [`crate::store::Record`]), never after it, and never holds a secret:
//! its details name things (logins, token names, policy ids), they never carry values.
//!
//! Records take OVHcloud's shape (`audit.Log` of its published `me.json`): a `type`, the author
//! (`authDetails.userDetails`: `ACCOUNT`, `USER` or `PROVIDER`), the address, and one
//! `<type>Details` object. OVHcloud's 21 types are [`AuditKind::ovh`]; Latchkey records more
//! kinds in the same shape.

pub mod details;

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::model::AccountId;

macro_rules! kinds {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, ovh: $ovh:literal;)+) => {
        /// What a record says happened.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditKind {
            $($(#[$doc])* $variant,)+
        }

        impl AuditKind {
            /// Every kind, OVHcloud's first.
            pub const ALL: &'static [AuditKind] = &[$(AuditKind::$variant,)+];

            /// The `type` of the record.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditKind::$variant => $name,)+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($name => Some(AuditKind::$variant),)+
                    _ => None,
                }
            }

            /// Whether OVHcloud's `audit.LogTypeEnum` has this type (`GET /1.0/me/logs/audit`
            /// answers these only).
            pub fn ovh(self) -> bool {
                match self {
                    $(AuditKind::$variant => $ovh,)+
                }
            }
        }
    };
}

kinds! {
    AccountPasswordChanged = "ACCOUNT_PASSWORD_CHANGED", ovh: true;
    GroupCreated = "GROUP_CREATED", ovh: true;
    GroupDeleted = "GROUP_DELETED", ovh: true;
    GroupModified = "GROUP_MODIFIED", ovh: true;
    LoginSuccess = "LOGIN_SUCCESS", ovh: true;
    PolicyCreated = "POLICY_CREATED", ovh: true;
    PolicyDeleted = "POLICY_DELETED", ovh: true;
    PolicyModified = "POLICY_MODIFIED", ovh: true;
    ProviderCreated = "PROVIDER_CREATED", ovh: true;
    ProviderDeleted = "PROVIDER_DELETED", ovh: true;
    ProviderModified = "PROVIDER_MODIFIED", ovh: true;
    ResourceGroupCreated = "RESOURCE_GROUP_CREATED", ovh: true;
    ResourceGroupDeleted = "RESOURCE_GROUP_DELETED", ovh: true;
    ResourceGroupModified = "RESOURCE_GROUP_MODIFIED", ovh: true;
    TokenCreated = "TOKEN_CREATED", ovh: true;
    TokenDeleted = "TOKEN_DELETED", ovh: true;
    TokenModified = "TOKEN_MODIFIED", ovh: true;
    UserCreated = "USER_CREATED", ovh: true;
    UserDeleted = "USER_DELETED", ovh: true;
    UserModified = "USER_MODIFIED", ovh: true;
    UserPasswordChanged = "USER_PASSWORD_CHANGED", ovh: true;
    /// A credential was refused (method, reason, identity when known).
    LoginFailed = "LOGIN_FAILED", ovh: false;
    /// A management call was refused (the action refused).
    AccessDenied = "ACCESS_DENIED", ovh: false;
    AccountCreated = "ACCOUNT_CREATED", ovh: false;
    /// A product back end registered a resource for the account.
    ResourceRegistered = "RESOURCE_REGISTERED", ovh: false;
    /// A resource's tags or display name changed.
    ResourceModified = "RESOURCE_MODIFIED", ovh: false;
    /// A product back end removed a resource of the account.
    ResourceRemoved = "RESOURCE_REMOVED", ovh: false;
    AccountDeleted = "ACCOUNT_DELETED", ovh: false;
    ServiceAccountCreated = "SERVICE_ACCOUNT_CREATED", ovh: false;
    ServiceAccountModified = "SERVICE_ACCOUNT_MODIFIED", ovh: false;
    ServiceAccountDeleted = "SERVICE_ACCOUNT_DELETED", ovh: false;
    /// An access token issued by the client-credentials grant.
    AccessTokenIssued = "ACCESS_TOKEN_ISSUED", ovh: false;
    AccessTokenRevoked = "ACCESS_TOKEN_REVOKED", ovh: false;
    KeystoneTokenIssued = "KEYSTONE_TOKEN_ISSUED", ovh: false;
    KeystoneTokenRevoked = "KEYSTONE_TOKEN_REVOKED", ovh: false;
    SigningKeysRotated = "SIGNING_KEYS_ROTATED", ovh: false;
    DomainModified = "DOMAIN_MODIFIED", ovh: false;
    ProjectCreated = "PROJECT_CREATED", ovh: false;
    ProjectModified = "PROJECT_MODIFIED", ovh: false;
    ProjectDeleted = "PROJECT_DELETED", ovh: false;
    RoleGranted = "ROLE_GRANTED", ovh: false;
    RoleRevoked = "ROLE_REVOKED", ovh: false;
    GroupMemberAdded = "GROUP_MEMBER_ADDED", ovh: false;
    GroupMemberRemoved = "GROUP_MEMBER_REMOVED", ovh: false;
    /// Keystone's roles, implied roles, regions, services and endpoints.
    CatalogModified = "CATALOG_MODIFIED", ovh: false;
    KeystoneBootstrapped = "KEYSTONE_BOOTSTRAPPED", ovh: false;
    /// Keystone credentials, application credentials, access rules and trusts.
    CredentialCreated = "CREDENTIAL_CREATED", ovh: false;
    CredentialModified = "CREDENTIAL_MODIFIED", ovh: false;
    CredentialDeleted = "CREDENTIAL_DELETED", ovh: false;
    /// Keystone's documents: policies, OAuth1 consumers, endpoint groups, domain configuration.
    DocumentCreated = "DOCUMENT_CREATED", ovh: false;
    DocumentModified = "DOCUMENT_MODIFIED", ovh: false;
    DocumentDeleted = "DOCUMENT_DELETED", ovh: false;
    /// An account's permissions groups.
    PermissionsGroupCreated = "PERMISSIONS_GROUP_CREATED", ovh: false;
    PermissionsGroupModified = "PERMISSIONS_GROUP_MODIFIED", ovh: false;
    PermissionsGroupDeleted = "PERMISSIONS_GROUP_DELETED", ovh: false;
    /// A web console session ended by its user (sign-out); it opened with `LOGIN_SUCCESS`.
    SessionClosed = "SESSION_CLOSED", ovh: false;
}

impl AuditKind {
    /// The key of the record's details object: `USER_CREATED` → `userCreatedDetails`.
    pub fn details_key(self) -> String {
        let mut key = String::new();
        for (i, word) in self.as_str().split('_').enumerate() {
            let lower = word.to_ascii_lowercase();
            if i == 0 {
                key.push_str(&lower);
            } else {
                let mut chars = lower.chars();
                if let Some(first) = chars.next() {
                    key.push(first.to_ascii_uppercase());
                    key.extend(chars);
                }
            }
        }
        key.push_str("Details");
        key
    }
}

/// `authDetails.userDetails.type`, OVHcloud's `audit.LogAuthUserTypeEnum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorType {
    /// The account itself: its ROOT user.
    Account,
    /// Any other identity of the account: a local user, a service account.
    User,
    /// A federated identity.
    Provider,
}

impl AuthorType {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorType::Account => "ACCOUNT",
            AuthorType::User => "USER",
            AuthorType::Provider => "PROVIDER",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ACCOUNT" => Some(AuthorType::Account),
            "USER" => Some(AuthorType::User),
            "PROVIDER" => Some(AuthorType::Provider),
            _ => None,
        }
    }
}

/// Who made a change: `None` fields for the installation itself (the bootstrap, housekeeping)
/// and for a refused credential whose identity is unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Author {
    pub kind: Option<AuthorType>,
    /// The user name OVHcloud shows: a local user's login, a service account's client id.
    pub user: Option<String>,
    /// The identity URN.
    pub identity: Option<String>,
    /// The credential used: `pat:{name}`, `password`, `client:{client id}`, `token:{jti}`,
    /// `keystone:{audit id}`. Never a value.
    pub credential: Option<String>,
}

impl Author {
    /// The installation itself.
    pub fn system() -> Self {
        Self::default()
    }

    /// A local user, named `identity`, through `credential`: the ROOT user is the account
    /// itself (`ACCOUNT`, no user name), any other user a `USER` by its login.
    pub fn user(user: &crate::model::User, identity: String, credential: String) -> Self {
        let (kind, name) = if user.kind == crate::model::UserType::Root {
            (AuthorType::Account, None)
        } else {
            (AuthorType::User, Some(user.login.to_string()))
        };
        Self {
            kind: Some(kind),
            user: name,
            identity: Some(identity),
            credential: Some(credential),
        }
    }
}

/// Where a request came from; set for each request by the server (see [`Origin::scope`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The client's address: the peer's, or the one a trusted proxy forwarded.
    pub ip: Option<IpAddr>,
    pub request_id: Option<String>,
    pub user_agent: Option<String>,
}

tokio::task_local! {
    static ORIGIN: Origin;
}

impl Origin {
    /// Runs `f` with `self` as the origin of every record it writes.
    pub async fn scope<F: std::future::Future>(self, f: F) -> F::Output {
        ORIGIN.scope(self, f).await
    }

    /// The origin of the request being served (empty outside a request).
    pub fn current() -> Self {
        ORIGIN.try_with(Clone::clone).unwrap_or_default()
    }

    /// The client's address of the request being served, without copying the rest.
    pub fn current_ip() -> Option<IpAddr> {
        ORIGIN.try_with(|o| o.ip).ok().flatten()
    }

    /// The id of the request being served.
    pub fn current_request_id() -> Option<String> {
        ORIGIN.try_with(|o| o.request_id.clone()).ok().flatten()
    }
}

/// A record to write with a change.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAudit {
    pub kind: AuditKind,
    /// The account it belongs to (`None` for the shared catalog and the installation).
    pub account: Option<AccountId>,
    pub author: Author,
    pub origin: Origin,
    /// The `<type>Details` object, in OVHcloud's field names.
    pub details: Map<String, Value>,
    pub at: DateTime<Utc>,
    /// Set for records that repeat (failed authentications): see [`Coalesce`].
    pub coalesce: Option<Coalesce>,
}

/// A record that repeats adds to the count of the last record of the same key written since
/// `since`, instead of writing a row: a flood of failures makes a bounded number of rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coalesce {
    pub key: String,
    pub since: DateTime<Utc>,
}

/// A stored record.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub id: i64,
    pub kind: String,
    pub account: Option<AccountId>,
    pub author: Author,
    pub origin: Origin,
    pub details: Map<String, Value>,
    pub at: DateTime<Utc>,
    /// How many times it happened (1 unless coalesced), and when it last did.
    pub count: i64,
    pub last_at: DateTime<Utc>,
}

/// Where a node copies the records it commits, once they are durable (the server's
/// `--audit-file`). Called after each commit with that commit's records and the nic of their
/// account; it must not block for long.
pub trait AuditSink: Send + Sync + std::fmt::Debug {
    fn written(&self, records: &[(AuditRecord, Option<crate::names::Nic>)]);
}

/// Which records a listing reads; every condition narrows it.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// `None`: every account's (the operator's reading).
    pub account: Option<AccountId>,
    /// Any of these types (empty: every type).
    pub kinds: Vec<String>,
    pub identity: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Records with a smaller id (the next page of a newest-first listing).
    pub before: Option<i64>,
    /// Records with a greater id (the stream: oldest first).
    pub after: Option<i64>,
    pub limit: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_keys_follow_ovhcloud_names() {
        assert_eq!(AuditKind::UserCreated.details_key(), "userCreatedDetails");
        assert_eq!(
            AuditKind::ResourceGroupModified.details_key(),
            "resourceGroupModifiedDetails"
        );
        assert_eq!(AuditKind::LoginSuccess.details_key(), "loginSuccessDetails");
    }

    #[test]
    fn ovhcloud_has_twenty_one_types_and_every_name_parses_back() {
        assert_eq!(AuditKind::ALL.iter().filter(|k| k.ovh()).count(), 21);
        for kind in AuditKind::ALL {
            assert_eq!(AuditKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(AuditKind::parse("USER_CREATED "), None);
    }

    #[tokio::test]
    async fn the_origin_is_the_scope_s_and_empty_outside_one() {
        assert_eq!(Origin::current(), Origin::default());
        let origin = Origin {
            ip: Some("192.0.2.7".parse().unwrap()),
            request_id: Some("r-1".into()),
            user_agent: None,
        };
        let seen = origin.clone().scope(async { Origin::current() }).await;
        assert_eq!(seen, origin);
    }
}
