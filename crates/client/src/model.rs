//! The API's JSON shapes, as the server sends and accepts them (camelCase). Unknown fields in
//! answers are ignored, so a newer server does not break an older client.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::secret::Secret;

/// `GET /1.0/me`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub nichandle: String,
    pub email: String,
    pub urn: String,
    pub creation: DateTime<Utc>,
    pub identity: Identity,
}

/// The calling identity, as `GET /1.0/me` describes it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub urn: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub login: Option<String>,
    pub group: Option<String>,
    pub client_id: Option<String>,
    pub authentication: String,
    pub token: Option<String>,
}

/// A local user.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub login: String,
    pub email: String,
    pub group: String,
    pub description: String,
    pub status: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub creation: DateTime<Utc>,
    pub last_update: DateTime<Utc>,
    pub password_last_update: DateTime<Utc>,
    pub urn: String,
}

/// `POST /1.0/me/identity/user`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewUser {
    pub login: String,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub description: String,
    #[serde(serialize_with = "expose")]
    pub password: Secret,
}

/// `PUT /1.0/me/identity/user/{user}`: the fields to change.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "expose_opt")]
    pub password: Option<Secret>,
}

/// A group.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub name: String,
    pub role: String,
    pub description: String,
    pub default_group: bool,
    pub creation: DateTime<Utc>,
    pub last_update: DateTime<Utc>,
    pub urn: String,
}

/// A personal access token's metadata (never its value).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pat {
    pub name: String,
    pub description: String,
    pub creation: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used: Option<DateTime<Utc>>,
}

/// A PAT just created: its metadata and its value, shown this once.
#[derive(Debug, Clone, Deserialize)]
pub struct CreatedPat {
    #[serde(flatten)]
    pub meta: Pat,
    pub token: Secret,
}

/// When a PAT expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Never,
    /// This many seconds after creation (or the edit).
    In(i64),
    At(DateTime<Utc>),
}

/// A service account (OAuth2 client).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccount {
    pub client_id: String,
    pub name: String,
    pub description: String,
    pub flow: String,
    pub callback_urls: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub identity: String,
}

/// A service account just created: its secret is shown this once.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedServiceAccount {
    pub client_id: String,
    pub client_secret: Secret,
}

/// `PUT /1.0/me/api/oauth2/client/{clientId}`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccountChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_urls: Option<Vec<String>>,
}

/// An IAM policy.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    pub id: String,
    pub name: String,
    pub description: String,
    pub identities: Vec<String>,
    pub resources: Vec<ResourceRef>,
    pub permissions: Permissions,
    /// OVHcloud's condition tree (`{operator, conditions, values}`), when the policy has one.
    #[serde(default)]
    pub conditions: Option<serde_json::Value>,
    /// The permissions groups whose permissions the policy adds to its own.
    #[serde(default)]
    pub permissions_groups: Vec<PermissionsGroupRef>,
    pub expired_at: Option<DateTime<Utc>>,
    pub read_only: bool,
    pub owner: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What `POST /v2/iam/policy` and `PUT /v2/iam/policy/{id}` take.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyDraft {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub identities: Vec<String>,
    pub resources: Vec<ResourceRef>,
    pub permissions: Permissions,
    /// OVHcloud's condition tree: `{"operator": "MATCH", "values": {"request.IP.IN_RANGE":
    /// "10.0.0.0/8"}}`, or `AND` / `OR` / `NOT` over `conditions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<serde_json::Value>,
    /// Permissions groups (`urn:v1:{plate}:permissionsGroup:{owner}:{name}`) whose permissions
    /// the policy adds to its own, each with its own `except`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions_groups: Vec<PermissionsGroupRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct ResourceRef {
    pub urn: String,
}

/// A permissions group a policy names; a detailed reading also gives its name, owner and
/// permissions, which a draft leaves out.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct PermissionsGroupRef {
    pub urn: String,
}

/// A permissions group: the account's own, or one the installation manages (`owner`
/// `latchkey`, read-only).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PermissionsGroup {
    pub id: String,
    pub urn: String,
    pub name: String,
    pub description: String,
    pub owner: String,
    pub permissions: Permissions,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// What `POST /v2/iam/permissionsGroup` and `PUT /v2/iam/permissionsGroup/{urn}` take.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct PermissionsGroupDraft {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub permissions: Permissions,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct ActionRef {
    pub action: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Permissions {
    #[serde(default)]
    pub allow: Vec<ActionRef>,
    #[serde(default)]
    pub except: Vec<ActionRef>,
    #[serde(default)]
    pub deny: Vec<ActionRef>,
}

/// Filters of `GET /v2/iam/policy`.
#[derive(Debug, Clone, Default)]
pub struct PolicyFilter {
    pub identities: Vec<String>,
    pub resources: Vec<String>,
    pub actions: Vec<String>,
    pub read_only: Option<bool>,
}

/// `POST /v2/iam/resource/{urn}/authorization/check`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationCheck {
    pub authorized_actions: Vec<String>,
    pub unauthorized_actions: Vec<String>,
}

/// An IAM resource.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    pub id: String,
    pub urn: String,
    pub name: String,
    pub display_name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub owner: String,
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
}

/// What a product back end registers (`POST /v2/admin/resource`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRegistration {
    /// The nic of the account the resource belongs to.
    pub owner: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The tags a new resource starts with.
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
    /// The actions the back end enforces on resources of this type.
    #[serde(default)]
    pub actions: Vec<ActionDeclaration>,
}

/// An action a product back end declares.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ActionDeclaration {
    pub action: String,
    #[serde(default)]
    pub description: String,
    /// `READ`, `CREATE`, `EDIT`, `DELETE` or `OPERATE`.
    #[serde(default)]
    pub categories: Vec<String>,
}

/// One resource's answer of `POST /v2/iam/authorization/check`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceAuthorization {
    #[serde(rename = "resourceURN")]
    pub resource_urn: String,
    pub authorized_actions: Vec<String>,
    pub unauthorized_actions: Vec<String>,
}

/// An action of `GET /v2/iam/reference/action`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionReference {
    pub action: String,
    pub description: String,
    pub resource_type: String,
}

/// An account of the installation (operator calls).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub nichandle: String,
    pub email: String,
    pub urn: String,
    pub operator: bool,
    pub creation: DateTime<Utc>,
}

/// An account just created, with its ROOT user's password when the server generated it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedAccount {
    #[serde(flatten)]
    pub account: Account,
    pub admin_login: String,
    pub admin_password: Option<Secret>,
}

/// An OAuth2 access token (`POST /auth/oauth2/token`).
#[derive(Debug, Clone, Deserialize)]
pub struct AccessToken {
    pub access_token: Secret,
    pub token_type: String,
    pub expires_in: i64,
    pub scope: String,
}

/// One revocation-feed event.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct RevocationEvent {
    pub id: i64,
    /// `pat`, `token`, `user`, `client`, `group`, `policies` or `keystone`.
    pub kind: String,
    /// A PAT's id, an access token's `jti` or a Keystone audit id.
    pub token: Option<String>,
    /// The identity whose credentials the event ends or changes.
    pub identity: Option<String>,
    pub at: DateTime<Utc>,
}

/// A page of the revocation feed.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RevocationPage {
    pub events: Vec<RevocationEvent>,
    pub cursor: i64,
}

/// A Keystone token just issued: its value (`X-Subject-Token`) and body.
#[derive(Debug, Clone)]
pub struct KeystoneToken {
    pub value: Secret,
    /// The `token` object Keystone renders (methods, user, project, roles, catalog, …).
    pub body: Value,
}

impl KeystoneToken {
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.body["expires_at"]
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc))
    }
}

fn expose<S: serde::Serializer>(secret: &Secret, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose())
}

fn expose_opt<S: serde::Serializer>(secret: &Option<Secret>, s: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => s.serialize_str(secret.expose()),
        None => s.serialize_none(),
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

/// One audit-log record, as `GET /v2/audit/log` (every field), `GET /1.0/me/logs/audit` and its
/// stream (OVHcloud's `audit.Log`, with the id, request id and credential) show it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// Its id: the cursor of the stream (absent from `/1.0/me/logs/audit`).
    #[serde(default)]
    pub id: Option<i64>,
    /// `TOKEN_CREATED`, `LOGIN_FAILED` …
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub ip: Option<String>,
    /// Who did it, when known.
    pub auth_details: Option<AuditAuthDetails>,
    pub request_id: Option<String>,
    /// The credential used: PAT name, client id, Keystone audit id.
    pub credential: Option<String>,
    /// The account's nic (`/v2/audit/log`).
    #[serde(default)]
    pub account: Option<String>,
    /// The author's identity URN (`/v2/audit/log`).
    #[serde(default)]
    pub identity: Option<String>,
    #[serde(default)]
    pub user_agent: Option<String>,
    /// How many repeats this record stands for (coalesced failed authentications).
    #[serde(default)]
    pub count: Option<i64>,
    /// When the last repeat happened.
    #[serde(default)]
    pub last_at: Option<DateTime<Utc>>,
    /// The rest: the `<type>Details` object (`tokenDetails`, `loginFailedDetails` …) by its
    /// key, and any field a newer server adds.
    #[serde(flatten)]
    pub details: serde_json::Map<String, Value>,
}

impl AuditRecord {
    /// The `<type>Details` object, if the record has one.
    pub fn type_details(&self) -> Option<&serde_json::Map<String, Value>> {
        self.details
            .iter()
            .find(|(k, _)| k.ends_with("Details"))
            .and_then(|(_, v)| v.as_object())
    }

    /// Who did it: the user's login; for the account itself (`ACCOUNT`, its ROOT user), the
    /// account's nic when the record names it.
    pub fn author(&self) -> Option<&str> {
        let user = &self.auth_details.as_ref()?.user_details;
        match (&user.user, user.kind.as_str()) {
            (Some(login), _) => Some(login),
            (None, "ACCOUNT") => self.account.as_deref(),
            (None, _) => None,
        }
    }
}

/// `authDetails` of an audit record.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditAuthDetails {
    pub user_details: AuditUserDetails,
}

/// `authDetails.userDetails`: OVHcloud's `ACCOUNT`, `USER` or `PROVIDER`, and the user.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct AuditUserDetails {
    #[serde(rename = "type")]
    pub kind: String,
    pub user: Option<String>,
}

/// Filters of `GET /v2/audit/log`.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Record types (any of them).
    pub types: Vec<String>,
    /// The author's identity URN.
    pub identity: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// One account's records (the operator's account only).
    pub account: Option<String>,
}
