//! `/v3/credentials` and `/v3/users/{id}/credentials/OS-EC2`: credentials a user keeps for other
//! services ([`latchkey_core::service::keystone::credentials`]). A user manages its own; the
//! operator's cloud administrator manages every one, and system readers read them.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use latchkey_core::keystone::{self, KsUserId};
use latchkey_core::model::UserId;
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::KeystoneKind;
use latchkey_core::service::keystone::credentials::{Credential, ec2_id};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::body::{KsBody, KsJson, Wrapped, required};
use super::views::{Links, links};
use super::{KsCaller, KsError, KsResult, collection, created, one};

/// The body of `POST` and `PATCH /v3/credentials[/{id}]`.
#[derive(Debug, Deserialize)]
pub struct CredentialBody {
    user_id: Option<String>,
    project_id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    blob: Option<String>,
}

impl Wrapped for CredentialBody {
    const KEY: &'static str = "credential";
}

/// The body of `POST /v3/users/{id}/credentials/OS-EC2`.
#[derive(Debug, Deserialize)]
pub struct Ec2Body {
    tenant_id: Option<String>,
}

fn not_found(id: &str) -> KsError {
    KsError::not_found(format!("Could not find credential: {id}."))
}

fn user_key(id: &str) -> KsResult<UserId> {
    keystone::KsUserId::parse(id)
        .map(|id| id.0)
        .ok_or_else(|| KsError::not_found(format!("Could not find user: {id}.")))
}

/// A credential as Keystone shows it to its owner.
#[derive(Debug, Serialize)]
struct CredentialView<'a> {
    id: &'a str,
    user_id: KsUserId,
    project_id: &'a Option<String>,
    #[serde(rename = "type")]
    kind: &'a str,
    blob: &'a str,
    links: Links,
}

fn view<'a>(directory: &Directory, c: &'a Credential) -> CredentialView<'a> {
    CredentialView {
        id: &c.id,
        user_id: KsUserId(c.user_id),
        project_id: &c.project_id,
        kind: &c.kind,
        blob: &c.blob,
        links: links(directory, &format!("credentials/{}", c.id)),
    }
}

pub async fn create(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    KsBody(c): KsBody<CredentialBody>,
) -> KsResult<Response> {
    let user_hex = required(c.user_id, "user_id")?;
    let user = user_key(&user_hex)?;
    if !caller.0.changes_owned_by(user) {
        return Err(KsError::forbidden(
            "A user manages its own credentials; the cloud administrator manages all.",
        ));
    }
    if directory
        .keystone_home(KeystoneKind::User, &user_hex)
        .await?
        .is_none()
    {
        return Err(KsError::not_found(format!(
            "Could not find user: {user_hex}."
        )));
    }
    let credential = directory
        .create_credential(
            &caller.0,
            user,
            c.project_id,
            required(c.kind, "type")?,
            required(c.blob, "blob")?,
        )
        .await?;
    Ok(created("credential", view(&directory, &credential)))
}

pub async fn list(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    RawQuery(query): RawQuery,
) -> KsResult<Response> {
    let query = crate::query::Query::parse(query.as_deref());
    let user = query.last("user_id").map(str::to_owned);
    let kind = query.last("type").map(str::to_owned);
    let items: Vec<Value> = directory
        .credentials()
        .await?
        .iter()
        .filter(|c| caller.0.reads_owned_by(c.user_id))
        .filter(|c| {
            user.as_deref()
                .is_none_or(|u| keystone::KsUserId(c.user_id).is(u))
        })
        .filter(|c| kind.as_deref().is_none_or(|k| c.kind == k))
        .map(|c| json!(view(&directory, c)))
        .collect();
    Ok(collection(
        &directory,
        "credentials",
        "credentials",
        json!(items),
    ))
}

async fn readable(directory: &Directory, caller: &KsCaller, id: &str) -> KsResult<Credential> {
    let credential = directory.credential(id).await?;
    if caller.0.reads_owned_by(credential.user_id) {
        Ok(credential)
    } else {
        Err(not_found(id))
    }
}

pub async fn get(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let credential = readable(&directory, &caller, &id).await?;
    Ok(one("credential", view(&directory, &credential)))
}

pub async fn update(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
    KsBody(c): KsBody<CredentialBody>,
) -> KsResult<Response> {
    let mut credential = readable(&directory, &caller, &id).await?;
    if !caller.0.changes_owned_by(credential.user_id) {
        return Err(KsError::forbidden("Only the owner changes a credential."));
    }
    if let Some(user) = c.user_id
        && !keystone::KsUserId(credential.user_id).is(&user)
    {
        return Err(KsError::bad_request(
            "A credential's user_id cannot change.",
        ));
    }
    if let Some(blob) = c.blob {
        credential.blob = blob;
    }
    if let Some(project) = c.project_id {
        credential.project_id = Some(project);
    }
    if let Some(kind) = c.kind {
        credential.kind = kind;
    }
    let credential = directory.update_credential(&caller.0, credential).await?;
    Ok(one("credential", view(&directory, &credential)))
}

pub async fn delete(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let credential = readable(&directory, &caller, &id).await?;
    if !caller.0.changes_owned_by(credential.user_id) {
        return Err(KsError::forbidden("Only the owner deletes a credential."));
    }
    directory.delete_credential(&caller.0, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// An EC2 credential as `OS-EC2` shows it: access and secret out of the blob.
#[derive(Debug, Serialize)]
struct Ec2View<'a> {
    user_id: KsUserId,
    tenant_id: &'a Option<String>,
    access: Value,
    secret: Value,
    trust_id: Value,
    links: Links,
}

fn ec2_view<'a>(directory: &Directory, c: &'a Credential) -> Ec2View<'a> {
    let mut blob: Value = serde_json::from_str(&c.blob).unwrap_or(Value::Null);
    let mut take = |key: &str| blob.get_mut(key).map(Value::take).unwrap_or(Value::Null);
    let (access, secret, trust_id) = (take("access"), take("secret"), take("trust_id"));
    let user = KsUserId(c.user_id);
    let path = format!(
        "users/{user}/credentials/OS-EC2/{}",
        access.as_str().unwrap_or_default()
    );
    Ec2View {
        user_id: user,
        tenant_id: &c.project_id,
        access,
        secret,
        trust_id,
        links: links(directory, &path),
    }
}

pub async fn ec2_create(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(user): Path<String>,
    KsJson(body): KsJson<Ec2Body>,
) -> KsResult<Response> {
    let project = required(body.tenant_id, "tenant_id")?;
    let owner = user_key(&user)?;
    if !caller.0.changes_owned_by(owner) {
        return Err(KsError::forbidden("A user makes its own EC2 credentials."));
    }
    let random = || latchkey_core::secret::random_base62(32);
    let blob = json!({ "access": random(), "secret": random(), "trust_id": null }).to_string();
    let credential = directory
        .create_credential(&caller.0, owner, Some(project), "ec2".to_owned(), blob)
        .await?;
    Ok(created("credential", ec2_view(&directory, &credential)))
}

pub async fn ec2_list(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(user): Path<String>,
) -> KsResult<Response> {
    let owner = user_key(&user)?;
    if !caller.0.reads_owned_by(owner) {
        return Err(KsError::forbidden("A user reads its own EC2 credentials."));
    }
    let items: Vec<Value> = directory
        .credentials()
        .await?
        .iter()
        .filter(|c| c.user_id == owner && c.kind == "ec2")
        .map(|c| json!(ec2_view(&directory, c)))
        .collect();
    Ok(collection(
        &directory,
        "credentials",
        &format!("users/{user}/credentials/OS-EC2"),
        json!(items),
    ))
}

async fn ec2_of(
    directory: &Directory,
    caller: &KsCaller,
    user: &str,
    access: &str,
) -> KsResult<Credential> {
    let owner = user_key(user)?;
    let credential = directory
        .credential(&ec2_id(access))
        .await
        .map_err(|_| not_found(access))?;
    if credential.user_id != owner || credential.kind != "ec2" || !caller.0.reads_owned_by(owner) {
        return Err(not_found(access));
    }
    Ok(credential)
}

pub async fn ec2_get(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path((user, access)): Path<(String, String)>,
) -> KsResult<Response> {
    let credential = ec2_of(&directory, &caller, &user, &access).await?;
    Ok(one("credential", ec2_view(&directory, &credential)))
}

pub async fn ec2_delete(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path((user, access)): Path<(String, String)>,
) -> KsResult<Response> {
    let credential = ec2_of(&directory, &caller, &user, &access).await?;
    if !caller.0.changes_owned_by(credential.user_id) {
        return Err(KsError::forbidden(
            "A user deletes its own EC2 credentials.",
        ));
    }
    directory
        .delete_credential(&caller.0, &credential.id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
