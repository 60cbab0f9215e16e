//! Keystone's JSON shapes: the token body, and each admin resource with its `links`.

use chrono::{DateTime, Utc};
use latchkey_core::authz::Subject;
use latchkey_core::keystone::token::TokenScope;
use latchkey_core::keystone::{
    self, Endpoint, KsGroupId, KsRole, KsUserId, Project, Region, Service, Target, domain_id,
    domain_name,
};
use latchkey_core::model::{Account, Group, User, UserStatus};
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::ks_token::KsToken;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// Keystone's time format: `2020-01-17T14:53:32.000000Z`.
pub fn time(at: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    // Spelled out rather than `format("%Y-%m-%dT%H:%M:%S%.6fZ")`: every validation renders two
    // times, and parsing the pattern each time showed in profiles.
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.nanosecond() / 1000 % 1_000_000
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_have_six_decimals_and_a_z() {
        let at = chrono::DateTime::parse_from_rfc3339("2020-01-17T14:53:32.012345678Z")
            .unwrap()
            .to_utc();
        assert_eq!(super::time(at), "2020-01-17T14:53:32.012345Z");
        assert_eq!(
            super::time(
                at.with_timezone(&chrono::Utc) - chrono::TimeDelta::nanoseconds(12_345_678)
            ),
            "2020-01-17T14:53:32.000000Z"
        );
    }
}

#[derive(Serialize)]
struct DomainRefView {
    id: String,
    name: String,
}

fn domain_ref(account: &Account) -> DomainRefView {
    DomainRefView {
        id: domain_id(account),
        name: domain_name(account),
    }
}

#[derive(Serialize)]
struct UserRefView<'a> {
    domain: DomainRefView,
    id: String,
    name: &'a str,
    password_expires_at: Option<String>,
}

#[derive(Serialize)]
struct ProjectRefView<'a> {
    domain: DomainRefView,
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct RoleRefView<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct AppCredView<'a> {
    id: &'a str,
    name: &'a str,
    restricted: bool,
}

#[derive(Serialize)]
struct TokenView<'a> {
    methods: &'a [String],
    user: UserRefView<'a>,
    audit_ids: Vec<&'a str>,
    expires_at: String,
    issued_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    project: Option<ProjectRefView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_domain: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_admin_project: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<DomainRefView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    roles: Option<Vec<RoleRefView<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    catalog: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    application_credential: Option<AppCredView<'a>>,
    #[serde(rename = "OS-TRUST:trust", skip_serializing_if = "Option::is_none")]
    trust: Option<Value>,
}

#[derive(Serialize)]
struct TokenBody<'a> {
    token: TokenView<'a>,
}

/// The body of an issued or validated token, as Keystone renders it.
pub fn token_body(token: &KsToken, with_catalog: bool) -> String {
    let claims = &token.claims;
    let (user_id, user_name) = match &token.subject {
        Subject::User(user) => (keystone::KsUserId(user.id).to_string(), user.login.as_str()),
        Subject::ServiceAccount(sa) => (sa.client_id.to_string(), sa.name.as_str()),
    };
    let catalog_text = token.catalog.as_deref().filter(|_| with_catalog);
    let catalog = catalog_text.and_then(|text| serde_json::from_str::<&RawValue>(text).ok());
    let scoped = matches!(claims.scope, TokenScope::Scoped(_));
    let view = TokenView {
        methods: &claims.methods,
        user: UserRefView {
            domain: domain_ref(&token.account),
            id: user_id,
            name: user_name,
            password_expires_at: None,
        },
        audit_ids: claims.keystone_audit_ids(),
        expires_at: time(token.expires_at()),
        issued_at: time(token.issued_at()),
        project: token.project.as_deref().map(|p| ProjectRefView {
            domain: domain_ref(&token.scope_account),
            id: &p.id,
            name: p.name.as_str(),
        }),
        is_domain: token.project.as_ref().map(|_| false),
        is_admin_project: token
            .project
            .as_ref()
            .map(|p| token.scope_account.operator && p.name.as_str() == keystone::ADMIN_PROJECT),
        domain: matches!(claims.scope, TokenScope::Scoped(Target::Domain))
            .then(|| domain_ref(&token.scope_account)),
        system: matches!(claims.scope, TokenScope::Scoped(Target::System))
            .then(|| json!({ "all": true })),
        roles: scoped.then(|| {
            token
                .roles
                .iter()
                .map(|r| RoleRefView {
                    id: &r.id,
                    name: r.name.as_str(),
                })
                .collect()
        }),
        catalog: if scoped && with_catalog {
            catalog
        } else {
            None
        },
        application_credential: match &token.subject {
            Subject::ServiceAccount(sa) => Some(AppCredView {
                id: sa.client_id.as_str(),
                name: sa.name.as_str(),
                restricted: true,
            }),
            Subject::User(_) => claims.app.as_ref().map(|a| AppCredView {
                id: &a.id,
                name: &a.name,
                restricted: !a.unrestricted,
            }),
        },
        trust: claims.trust.as_ref().map(|t| {
            json!({
                "id": t.id,
                "impersonation": t.impersonation,
                "trustor_user": { "id": keystone::KsUserId(latchkey_core::model::UserId(t.trustor)).to_string() },
                "trustee_user": { "id": keystone::KsUserId(latchkey_core::model::UserId(t.trustee)).to_string() },
            })
        }),
    };
    serde_json::to_string(&TokenBody { token: view }).unwrap_or_default()
}

/// The `links` of a resource: where it is.
#[derive(Debug, Serialize)]
pub struct Links {
    #[serde(rename = "self")]
    pub(crate) href: String,
}

pub(crate) fn links(directory: &Directory, path: &str) -> Links {
    Links {
        href: format!("{}/v3/{path}", directory.issuer()),
    }
}

/// Keystone's `options` (none are set here): `{}`.
#[derive(Debug, Serialize)]
pub struct Options {}

#[derive(Debug, Serialize)]
pub struct DomainView<'a> {
    id: String,
    name: String,
    description: &'a str,
    enabled: bool,
    tags: [&'static str; 0],
    options: Options,
    links: Links,
}

pub fn domain<'a>(directory: &Directory, account: &'a Account) -> DomainView<'a> {
    let id = domain_id(account);
    DomainView {
        links: links(directory, &format!("domains/{id}")),
        id,
        name: domain_name(account),
        description: match account.domain.description.as_str() {
            "" if account.operator => "The default domain",
            d => d,
        },
        enabled: account.domain.enabled,
        tags: [],
        options: Options {},
    }
}

/// A project, or a domain as the project that acts as it (`is_domain`).
#[derive(Debug, Serialize)]
pub struct ProjectView<'a> {
    id: String,
    name: String,
    description: &'a str,
    enabled: bool,
    domain_id: Option<String>,
    parent_id: Option<String>,
    is_domain: bool,
    tags: &'a [String],
    options: Options,
    links: Links,
}

pub fn project<'a>(directory: &Directory, account: &Account, p: &'a Project) -> ProjectView<'a> {
    ProjectView {
        id: p.id.clone(),
        name: p.name.as_str().to_owned(),
        description: p.description.as_str(),
        enabled: p.enabled,
        domain_id: Some(domain_id(account)),
        parent_id: Some(p.parent_id.clone().unwrap_or_else(|| domain_id(account))),
        is_domain: false,
        tags: &p.tags,
        options: Options {},
        links: links(directory, &format!("projects/{}", p.id)),
    }
}

/// A domain as the project that acts as it (`is_domain`), as Keystone shows domains among
/// projects.
pub fn domain_project<'a>(directory: &Directory, account: &'a Account) -> ProjectView<'a> {
    let id = domain_id(account);
    ProjectView {
        links: links(directory, &format!("projects/{id}")),
        id,
        name: domain_name(account),
        description: account.domain.description.as_str(),
        enabled: account.domain.enabled,
        domain_id: None,
        parent_id: None,
        is_domain: true,
        tags: &[],
        options: Options {},
    }
}

#[derive(Debug, Serialize)]
pub struct UserView<'a> {
    id: KsUserId,
    name: &'a str,
    domain_id: String,
    enabled: bool,
    email: &'a str,
    description: &'a str,
    password_expires_at: Option<String>,
    options: Options,
    links: Links,
    /// The project a token is scoped to when none is asked for, when the user has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_project_id: Option<String>,
    /// The attributes Keystone does not define, as they were given.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

impl UserView<'_> {
    /// The fields every user has: an attribute of the same name is not shown.
    pub const FIELDS: &'static [&'static str] = &[
        "id",
        "name",
        "domain_id",
        "enabled",
        "email",
        "description",
        "password_expires_at",
        "options",
        "links",
        "default_project_id",
    ];
}

pub fn user<'a>(directory: &Directory, account: &Account, u: &'a User) -> UserView<'a> {
    let id = KsUserId(u.id);
    UserView {
        id,
        name: u.login.as_str(),
        domain_id: domain_id(account),
        enabled: u.status != UserStatus::Disabled,
        email: u.email.as_str(),
        description: u.description.as_str(),
        password_expires_at: None,
        options: Options {},
        links: links(directory, &format!("users/{id}")),
        default_project_id: None,
        extra: serde_json::Map::new(),
    }
}

#[derive(Debug, Serialize)]
pub struct GroupView<'a> {
    id: KsGroupId,
    name: &'a str,
    domain_id: String,
    description: &'a str,
    links: Links,
}

pub fn group<'a>(directory: &Directory, account: &Account, g: &'a Group) -> GroupView<'a> {
    let id = KsGroupId(g.id);
    GroupView {
        id,
        name: g.name.as_str(),
        domain_id: domain_id(account),
        description: g.description.as_str(),
        links: links(directory, &format!("groups/{id}")),
    }
}

#[derive(Debug, Serialize)]
pub struct RoleView<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    domain_id: &'a Option<String>,
    options: Options,
    links: Links,
}

pub fn role<'a>(directory: &Directory, r: &'a KsRole) -> RoleView<'a> {
    RoleView {
        id: &r.id,
        name: r.name.as_str(),
        description: r.description.as_str(),
        domain_id: &r.domain_id,
        options: Options {},
        links: links(directory, &format!("roles/{}", r.id)),
    }
}

/// A role as the prior or implied side of an inference.
#[derive(Debug, Serialize)]
pub struct RoleLinkView<'a> {
    id: &'a str,
    name: &'a str,
    links: Links,
}

pub fn role_ref<'a>(directory: &Directory, r: &'a KsRole) -> RoleLinkView<'a> {
    RoleLinkView {
        id: &r.id,
        name: r.name.as_str(),
        links: links(directory, &format!("roles/{}", r.id)),
    }
}

#[derive(Debug, Serialize)]
pub struct RegionView<'a> {
    id: &'a str,
    description: &'a str,
    parent_region_id: &'a Option<String>,
    links: Links,
}

pub fn region<'a>(directory: &Directory, r: &'a Region) -> RegionView<'a> {
    RegionView {
        id: &r.id,
        description: r.description.as_str(),
        parent_region_id: &r.parent_region_id,
        links: links(directory, &format!("regions/{}", r.id)),
    }
}

#[derive(Debug, Serialize)]
pub struct ServiceView<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    name: &'a str,
    description: &'a str,
    enabled: bool,
    links: Links,
}

pub fn service<'a>(directory: &Directory, s: &'a Service) -> ServiceView<'a> {
    ServiceView {
        id: &s.id,
        kind: &s.kind,
        name: &s.name,
        description: s.description.as_str(),
        enabled: s.enabled,
        links: links(directory, &format!("services/{}", s.id)),
    }
}

#[derive(Debug, Serialize)]
pub struct EndpointView<'a> {
    id: &'a str,
    service_id: &'a str,
    region_id: &'a Option<String>,
    /// The older name of `region_id`, which clients still read.
    region: &'a Option<String>,
    interface: &'a str,
    url: &'a str,
    enabled: bool,
    links: Links,
}

pub fn endpoint<'a>(directory: &Directory, e: &'a Endpoint) -> EndpointView<'a> {
    EndpointView {
        id: &e.id,
        service_id: &e.service_id,
        region_id: &e.region_id,
        region: &e.region_id,
        interface: e.interface.as_str(),
        url: &e.url,
        enabled: e.enabled,
        links: links(directory, &format!("endpoints/{}", e.id)),
    }
}
