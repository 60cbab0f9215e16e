//! `/v3/domains`: the accounts, as Keystone's domains. A domain is made and changed by the
//! operator; the project acting as a domain (`POST /v3/projects` with `is_domain`) is the same
//! domain answered under `project`.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use latchkey_core::authz::ADMIN_ACCOUNT_MANAGE;
use latchkey_core::keystone;
use latchkey_core::model::{Account, DomainFields};
use latchkey_core::names::{Description, DisplayName, Nic};
use latchkey_core::service::Directory;
use latchkey_core::service::accounts::AccountRequest;
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::{KsBody, Wrapped, required};
use super::filters::Filters;
use super::{KsCaller, KsError, KsResult, collection, one, views};

/// The body of `POST` and `PATCH /v3/domains[/{id}]`.
#[derive(Debug, Default, Deserialize)]
pub struct DomainBody {
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

impl Wrapped for DomainBody {
    const KEY: &'static str = "domain";
}

pub async fn list_domains(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    RawQuery(query): RawQuery,
) -> KsResult<Response> {
    let filters = Filters::parse(query.as_deref());
    let accounts = directory.keystone_visible_domains(&caller.0).await?;
    let list: Vec<_> = accounts
        .iter()
        .filter(|a| {
            filters
                .name
                .as_deref()
                .is_none_or(|n| keystone::domain_name(a) == n)
        })
        .filter(|a| filters.enabled.is_none_or(|e| a.domain.enabled == e))
        .map(|a| views::domain(&directory, a))
        .collect();
    Ok(collection(&directory, "domains", "domains", json!(list)))
}

pub async fn get_domain(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    // Another domain: for the operator, cloud administrators and system readers.
    if !keystone::names_domain(&caller.0.account, &id) {
        directory.keystone_operator_reads(&caller.0, &ADMIN_ACCOUNT_MANAGE)?;
    }
    let account = caller.domain(&directory, &id).await?;
    Ok(one("domain", views::domain(&directory, &account)))
}

/// A domain's name: 1 to 64 characters, as Keystone's schema has it.
fn domain_name_field(name: &str) -> KsResult<DisplayName> {
    if name.trim().is_empty() || name.chars().count() > 64 {
        return Err(KsError::bad_request(
            "Invalid input for field 'name': a domain name has 1 to 64 characters.",
        ));
    }
    Ok(DisplayName::parse(name)?)
}

/// `POST /v3/domains`: a new account (the operator's right). Its ROOT user `admin` gets a
/// generated password that is never shown: the domain is managed through Keystone (or the
/// operator sets the password).
pub async fn create_domain(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    KsBody(d): KsBody<DomainBody>,
) -> KsResult<Response> {
    create_domain_from(&directory, &caller, d, "domain").await
}

/// A domain as Keystone shows it under `key`: `domain`, or `project` for the project acting as
/// the domain.
fn domain_as(directory: &Directory, account: &Account, key: &str) -> Value {
    let view = if key == "project" {
        json!(views::domain_project(directory, account))
    } else {
        json!(views::domain(directory, account))
    };
    json!({ key: view })
}

fn duplicate_domain(name: &DisplayName) -> KsError {
    KsError::new(
        StatusCode::CONFLICT,
        format!(
            "Conflict occurred attempting to store domain - Duplicate entry found with name {}.",
            name.as_str()
        ),
    )
}

/// Creates a domain (of `POST /v3/domains`, or of `POST /v3/projects` with `is_domain`),
/// answered under `key`.
pub(crate) async fn create_domain_from(
    directory: &Directory,
    caller: &KsCaller,
    d: DomainBody,
    key: &str,
) -> KsResult<Response> {
    let permit = caller.operator(directory, &ADMIN_ACCOUNT_MANAGE)?;
    let name = domain_name_field(&required(d.name, "name")?)?;
    // A name must not pass for another domain's id or for the default domain.
    if name.as_str() == keystone::DEFAULT_DOMAIN_NAME || Nic::parse(name.as_str()).is_ok() {
        return Err(duplicate_domain(&name));
    }
    let domain = DomainFields {
        name: Some(name.clone()),
        description: Description::parse(d.description.as_deref().unwrap_or_default())?,
        enabled: d.enabled.unwrap_or(true),
    };
    // The operator's address is the new account's contact until someone sets another.
    let request = AccountRequest {
        nic: None,
        email: caller.0.account.email.clone(),
        admin_password: None,
        domain,
    };
    let created = match directory.create_account(&permit, request).await {
        Err(latchkey_core::Error::Conflict(_)) => return Err(duplicate_domain(&name)),
        other => other?,
    };
    let body = domain_as(directory, &created.account, key);
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

pub async fn update_domain(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    KsBody(d): KsBody<DomainBody>,
) -> KsResult<Response> {
    update_domain_from(&directory, &caller, &id, d, "domain").await
}

pub(crate) async fn update_domain_from(
    directory: &Directory,
    caller: &KsCaller,
    id: &str,
    d: DomainBody,
    key: &str,
) -> KsResult<Response> {
    let permit = caller.operator(directory, &ADMIN_ACCOUNT_MANAGE)?;
    let account = caller.domain(directory, id).await?;
    let mut domain = account.domain.clone();
    if let Some(name) = d.name {
        domain.name = Some(domain_name_field(&name)?);
    }
    if let Some(description) = d.description {
        domain.description = Description::parse(&description)?;
    }
    if let Some(enabled) = d.enabled {
        domain.enabled = enabled;
    }
    let account = match directory.update_domain(&permit, account.id, domain).await {
        Err(latchkey_core::Error::Conflict(m)) => {
            return Err(KsError::new(StatusCode::CONFLICT, m));
        }
        other => other?,
    };
    Ok(axum::Json(domain_as(directory, &account, key)).into_response())
}

pub async fn delete_domain(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<StatusCode> {
    delete_domain_by_id(&directory, &caller, &id).await
}

pub(crate) async fn delete_domain_by_id(
    directory: &Directory,
    caller: &KsCaller,
    id: &str,
) -> KsResult<StatusCode> {
    let permit = caller.operator(directory, &ADMIN_ACCOUNT_MANAGE)?;
    let account = caller.domain(directory, id).await?;
    if account.operator {
        return Err(KsError::forbidden("The default domain cannot be deleted."));
    }
    if account.domain.enabled {
        return Err(KsError::forbidden(
            "Cannot delete a domain that is enabled, please disable it first.",
        ));
    }
    directory.delete_domain(&permit, account.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
