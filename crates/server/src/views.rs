//! JSON shapes of the /1.0 and /v2 APIs, field names exactly as clients expect (camelCase).

use chrono::{DateTime, Utc};
use latchkey_core::authz::{Principal, Subject, Via};
use latchkey_core::model::{
    Account, Flow, Group, Pat, Role, ServiceAccount, User, UserStatus, UserType,
};
use latchkey_core::names::{
    CallbackUrl, ClientId, Description, DisplayName, Email, GroupName, Login, Nic, Plate, TokenName,
};
use latchkey_core::urn::Urn;
use serde::Serialize;

/// `GET /me`: the account, and who is calling.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeView {
    pub nichandle: Nic,
    pub email: Email,
    pub urn: Urn,
    pub creation: DateTime<Utc>,
    pub identity: IdentityView,
}

/// The identity a credential resolved to.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityView {
    pub urn: Urn,
    /// `ROOT`, `USER` or `SERVICE` for a local user; `SERVICE_ACCOUNT` for an OAuth2 client.
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<Login>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
    /// `pat`, `password` or `oauth2`.
    pub authentication: &'static str,
    /// The PAT's name when one was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenName>,
}

impl MeView {
    pub fn new(account: &Account, who: &Principal, plate: &Plate) -> Self {
        let (authentication, token) = match &who.via {
            Via::Pat(name) => ("pat", Some(name.clone())),
            Via::Password => ("password", None),
            Via::ConsoleSession => ("console", None),
            Via::AccessToken { .. } => ("oauth2", None),
            Via::KeystoneToken { .. } => ("keystone", None),
            Via::ClientSecret => ("client_secret", None),
        };
        let (kind, login, group, client_id) = match &who.subject {
            Subject::User(user) => (
                user.kind.as_str(),
                Some(user.login.clone()),
                Some(user.group.clone()),
                None,
            ),
            Subject::ServiceAccount(sa) => {
                ("SERVICE_ACCOUNT", None, None, Some(sa.client_id.clone()))
            }
        };
        Self {
            nichandle: account.nic.clone(),
            email: account.email.clone(),
            urn: account.urn(plate),
            creation: account.created_at,
            identity: IdentityView {
                urn: who.urn(plate),
                kind,
                login,
                group,
                client_id,
                authentication,
                token,
            },
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub login: Login,
    pub email: Email,
    pub group: GroupName,
    pub description: Description,
    pub status: UserStatus,
    #[serde(rename = "type")]
    pub kind: UserType,
    pub creation: DateTime<Utc>,
    pub last_update: DateTime<Utc>,
    pub password_last_update: DateTime<Utc>,
    pub urn: Urn,
}

impl UserView {
    pub fn new(user: User, nic: &Nic, plate: &Plate) -> Self {
        Self {
            urn: Urn::user(plate, nic, &user.login),
            login: user.login,
            email: user.email,
            group: user.group,
            description: user.description,
            status: user.status,
            kind: user.kind,
            creation: user.created_at,
            last_update: user.updated_at,
            password_last_update: user.password_updated_at,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    pub name: GroupName,
    pub role: Role,
    pub description: Description,
    pub default_group: bool,
    pub creation: DateTime<Utc>,
    pub last_update: DateTime<Utc>,
    pub urn: Urn,
}

impl GroupView {
    pub fn new(group: Group, nic: &Nic, plate: &Plate) -> Self {
        Self {
            urn: Urn::group(plate, nic, &group.name),
            name: group.name,
            role: group.role,
            description: group.description,
            default_group: group.default_group,
            creation: group.created_at,
            last_update: group.updated_at,
        }
    }
}

/// A personal access token's metadata; the value is never part of it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    pub name: TokenName,
    pub description: Description,
    pub creation: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used: Option<DateTime<Utc>>,
}

impl From<Pat> for TokenView {
    fn from(pat: Pat) -> Self {
        Self {
            name: pat.name,
            description: pat.description,
            creation: pat.created_at,
            expires_at: pat.expires_at,
            last_used: pat.last_used,
        }
    }
}

/// The creation response: the metadata plus the value, shown this once.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedTokenView {
    #[serde(flatten)]
    pub meta: TokenView,
    pub token: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub nichandle: Nic,
    pub email: Email,
    pub urn: Urn,
    pub operator: bool,
    pub creation: DateTime<Utc>,
}

impl AccountView {
    pub fn new(account: Account, plate: &Plate) -> Self {
        Self {
            urn: account.urn(plate),
            nichandle: account.nic,
            email: account.email,
            operator: account.operator,
            creation: account.created_at,
        }
    }
}

/// `POST /v2/admin/account`: the account, its ROOT login and, when generated, its password.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedAccountView {
    #[serde(flatten)]
    pub account: AccountView,
    pub admin_login: Login,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_password: Option<String>,
}

/// A service account as `GET /me/api/oauth2/client/{clientId}` shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccountView {
    pub client_id: ClientId,
    pub name: DisplayName,
    pub description: Description,
    pub flow: Flow,
    pub callback_urls: Vec<CallbackUrl>,
    pub created_at: DateTime<Utc>,
    /// The URN that policies name: `urn:v1:{plate}:identity:credential:{nic}/oauth2-{clientId}`.
    pub identity: Urn,
    /// How many policies name this service account's URN.
    pub associated_policies: usize,
}

impl ServiceAccountView {
    pub fn new(sa: ServiceAccount, nic: &Nic, plate: &Plate, associated_policies: usize) -> Self {
        Self {
            associated_policies,
            identity: sa.urn(plate, nic),
            client_id: sa.client_id,
            name: sa.name,
            description: sa.description,
            flow: sa.flow,
            callback_urls: sa.callback_urls,
            created_at: sa.created_at,
        }
    }
}

/// The creation response: the only time the secret is shown.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedClientView {
    pub client_id: ClientId,
    pub client_secret: String,
}
