//! An example product back end: object storage in the style of OpenStack Swift, in memory,
//! behind the Latchkey guard. `GET`/`HEAD` of `/v1/AUTH_{project}/{container}/{object}` answer
//! the object's metadata headers (and its bytes for `GET`); `PUT` stores an object.
//!
//! Who may do what:
//! - a **Keystone token** scoped to the project may read and write it (the server issued the
//!   scope only to a holder of a role on the project; the guard re-confirms it whenever grants
//!   change). Such a token also teaches the store which account owns the project;
//! - a **PAT or an OAuth2 access token** may act on a container of a project its account owns
//!   when IAM allows `objectStorage:apiovh:object/get` (or `…/object/create`) on the container,
//!   `urn:v1:{plate}:resource:objectStorage:{project}/{container}`.
//!
//! A project's owner is known from configuration (`--project ID=NIC`) or from a Keystone token
//! scoped to it; a project of unknown owner does not exist for IAM callers. Each container is
//! registered with Latchkey as a resource of its project's owner when it is made (through the
//! guard, [`Store::create_container`]), so that policies, resource groups and tag conditions
//! name real resources; the back end declares its two actions with it.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use dashmap::DashMap;
use latchkey_guard::{Caller, Guard, GuardLayer, TokenKind};
use sha2::{Digest, Sha256};

/// The object the seed's example fetches.
pub const SEED_OBJECT: &str = "photos/fullsize/ovh-summit-2014-backstage-DS.jpg";
/// Its size in the seed's answer.
pub const SEED_SIZE: usize = 190_046;

pub const ACTION_GET: &str = "objectStorage:apiovh:object/get";
pub const ACTION_CREATE: &str = "objectStorage:apiovh:object/create";

/// One stored object.
#[derive(Debug, Clone)]
pub struct Object {
    pub bytes: Bytes,
    pub content_type: String,
    pub modified: DateTime<Utc>,
    pub etag: String,
}

impl Object {
    pub fn new(bytes: Bytes, content_type: &str, modified: DateTime<Utc>) -> Self {
        let digest = Sha256::digest(&bytes);
        let etag = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            bytes,
            content_type: content_type.to_owned(),
            modified,
            etag,
        }
    }
}

/// The store: objects by project and path, each project's owner account, and the containers
/// registered with Latchkey.
#[derive(Debug)]
pub struct Store {
    plate: String,
    objects: DashMap<(String, String), Object>,
    owners: DashMap<String, String>,
    containers: DashMap<(String, String), ()>,
    /// The guard containers are registered through.
    registrar: std::sync::OnceLock<Guard>,
}

impl Store {
    pub fn new(plate: &str) -> Arc<Self> {
        Arc::new(Self {
            plate: plate.to_owned(),
            objects: DashMap::new(),
            owners: DashMap::new(),
            containers: DashMap::new(),
            registrar: std::sync::OnceLock::new(),
        })
    }

    /// Registers new containers with Latchkey through `guard` (its identity needs
    /// `latchkey:iam/resource/manage` in the operator's account).
    pub fn register_through(&self, guard: Guard) {
        let _ = self.registrar.set(guard);
    }

    /// Makes `container` in `project` known, registering it with Latchkey for the project's
    /// owner (once; again is harmless, its tags are kept).
    pub async fn create_container(
        &self,
        project: &str,
        container: &str,
    ) -> Result<(), latchkey_guard::GuardError> {
        let key = (project.to_owned(), container.to_owned());
        if self.containers.contains_key(&key) {
            return Ok(());
        }
        let owner = self.owners.get(project).map(|o| o.clone());
        if let (Some(guard), Some(owner)) = (self.registrar.get(), owner) {
            let declare =
                |action: &str, description: &str| latchkey_client::model::ActionDeclaration {
                    action: action.to_owned(),
                    description: description.to_owned(),
                    categories: Vec::new(),
                };
            guard
                .register_resource(&latchkey_client::model::ResourceRegistration {
                    owner,
                    kind: "objectStorage".into(),
                    name: format!("{project}/{container}"),
                    display_name: Some(container.to_owned()),
                    tags: Default::default(),
                    actions: vec![
                        declare(ACTION_GET, "Read an object of the container"),
                        declare(ACTION_CREATE, "Write an object into the container"),
                    ],
                })
                .await?;
        }
        self.containers.insert(key, ());
        Ok(())
    }

    /// Records that `project` belongs to the account `nic`.
    pub fn register_project(&self, project: &str, nic: &str) {
        self.owners.insert(project.to_owned(), nic.to_owned());
    }

    pub fn put(&self, project: &str, path: &str, object: Object) {
        self.objects
            .insert((project.to_owned(), path.to_owned()), object);
    }

    /// Puts the seed's photo (its size, JPEG bytes) in `project`.
    pub fn seed(&self, project: &str) {
        let mut bytes = vec![0u8; SEED_SIZE];
        bytes[..4].copy_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
        let modified = DateTime::from_timestamp(1_443_104_411, 0).unwrap_or_default();
        self.put(
            project,
            SEED_OBJECT,
            Object::new(Bytes::from(bytes), "image/jpeg", modified),
        );
    }

    /// The URN of a container: what policies name.
    pub fn resource(&self, project: &str, container: &str) -> String {
        format!(
            "urn:v1:{}:resource:objectStorage:{project}/{container}",
            self.plate
        )
    }
}

/// The routes, behind the guard when one is given (the benchmark runs them without too).
pub fn router(store: Arc<Store>, guard: Option<Guard>) -> Router {
    let routes = Router::new().route(
        "/v1/{account}/{container}/{*object}",
        get(object).head(object).put(put_object),
    );
    match guard {
        Some(guard) => routes.layer(GuardLayer::new(guard)).with_state(store),
        None => routes.with_state(store),
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, format!("{message}\n")).into_response()
}

/// The project of `AUTH_{project}`.
fn project_of(account: &str) -> Option<&str> {
    account.strip_prefix("AUTH_").filter(|p| !p.is_empty())
}

/// Whether `caller` may perform `action` on `container` of `project`, or the refusal.
async fn authorize(
    store: &Store,
    caller: Option<&Caller>,
    project: &str,
    container: &str,
    action: &str,
) -> Result<(), Response> {
    let Some(caller) = caller else {
        // Without the guard (benchmark baseline) everything is open.
        return Ok(());
    };
    let id = &caller.identity;
    if id.kind == TokenKind::Keystone {
        return if id.project_id.as_deref() == Some(project) {
            store.register_project(project, &id.account);
            Ok(())
        } else {
            Err(error(
                StatusCode::FORBIDDEN,
                "the token is not scoped to this project",
            ))
        };
    }
    let owned = store
        .owners
        .get(project)
        .is_some_and(|owner| *owner == id.account);
    if !owned {
        return Err(error(StatusCode::NOT_FOUND, "no such account"));
    }
    match caller
        .allowed(action, &store.resource(project, container))
        .await
    {
        Ok(true) => Ok(()),
        Ok(false) => Err(error(StatusCode::FORBIDDEN, "not allowed by IAM")),
        Err(e) => Err(latchkey_guard::GuardError::into_response(e)),
    }
}

/// `GET`/`HEAD /v1/AUTH_{project}/{container}/{object}`: the object's headers (and bytes).
async fn object(
    State(store): State<Arc<Store>>,
    method: Method,
    caller: Option<Caller>,
    Path((account, container, object)): Path<(String, String, String)>,
) -> Response {
    let Some(project) = project_of(&account) else {
        return error(StatusCode::NOT_FOUND, "no such account");
    };
    if let Err(refusal) = authorize(&store, caller.as_ref(), project, &container, ACTION_GET).await
    {
        return refusal;
    }
    let path = format!("{container}/{object}");
    let Some(found) = store
        .objects
        .get(&(project.to_owned(), path))
        .map(|o| o.clone())
    else {
        return error(StatusCode::NOT_FOUND, "no such object");
    };
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    set("content-type", found.content_type.clone());
    set("accept-ranges", "bytes".into());
    set(
        "last-modified",
        found
            .modified
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string(),
    );
    set("etag", found.etag.clone());
    let stamp = format!(
        "{}.{:05}",
        found.modified.timestamp(),
        found.modified.timestamp_subsec_micros() / 10
    );
    set("x-timestamp", stamp.clone());
    set("x-object-meta-mtime", format!("{stamp}0"));
    set("x-trans-id", format!("tx{}", uuid::Uuid::new_v4().simple()));
    let length = found.bytes.len();
    if method == Method::HEAD {
        // axum strips the body of HEAD; the length is the object's.
        let mut res = (StatusCode::OK, headers).into_response();
        res.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        return res;
    }
    (StatusCode::OK, headers, found.bytes).into_response()
}

/// `PUT /v1/AUTH_{project}/{container}/{object}`: stores the body (201).
async fn put_object(
    State(store): State<Arc<Store>>,
    caller: Option<Caller>,
    Path((account, container, object)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(project) = project_of(&account) else {
        return error(StatusCode::NOT_FOUND, "no such account");
    };
    if let Err(refusal) =
        authorize(&store, caller.as_ref(), project, &container, ACTION_CREATE).await
    {
        return refusal;
    }
    if let Err(e) = store.create_container(project, &container).await {
        return latchkey_guard::GuardError::into_response(e);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let stored = Object::new(body, &content_type, Utc::now());
    let etag = stored.etag.clone();
    store.put(project, &format!("{container}/{object}"), stored);
    (StatusCode::CREATED, [(header::ETAG, etag)]).into_response()
}
