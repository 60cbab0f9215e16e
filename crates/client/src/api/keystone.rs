//! Keystone `/v3`: tokens, the catalog, projects, users, groups, roles and grants, regions,
//! services and endpoints. Calls carry the client's own Keystone token in `X-Auth-Token`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::seg;
use crate::answer::{check, read_json};
use crate::client::Client;
use crate::credentials::KeystoneScope;
use crate::error::{Error, Result};
use crate::manager::scope_json;
use crate::model::KeystoneToken;
use crate::secret::Secret;

impl Client {
    /// `POST /v3/auth/tokens` with the `token` method: a new token for this client's identity,
    /// with `scope` (the token manager's own token is not touched).
    pub async fn issue_keystone_token(&self, scope: &KeystoneScope) -> Result<KeystoneToken> {
        let own = self.keystone_token_value().await?;
        let mut auth =
            json!({ "identity": { "methods": ["token"], "token": { "id": own.expose() } } });
        if let Some(scope) = scope_json(scope) {
            auth["scope"] = scope;
        }
        let url = format!("{}/v3/auth/tokens", self.base_url());
        let body = json!({ "auth": auth });
        let res = self.retrying(|| self.http().post(&url).json(&body)).await?;
        token_of(res).await
    }

    /// The client's own Keystone token (fetched or renewed if needed).
    pub async fn keystone_token_value(&self) -> Result<Secret> {
        Ok(self.keystone_manager()?.token().await?.value.clone())
    }

    /// `GET /v3/auth/tokens`: the body of `subject`, or `None` when it is invalid or revoked.
    pub async fn validate_keystone_token(&self, subject: &str) -> Result<Option<Value>> {
        let res = self
            .keystone_send(
                Method::GET,
                "/v3/auth/tokens",
                None,
                &[("X-Subject-Token", subject)],
            )
            .await?;
        if res.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let body: Value = read_json(res).await?;
        Ok(Some(body["token"].clone()))
    }

    /// `DELETE /v3/auth/tokens`: revokes `subject` and every token rescoped from it.
    pub async fn revoke_keystone_token(&self, subject: &str) -> Result<()> {
        let res = self
            .keystone_send(
                Method::DELETE,
                "/v3/auth/tokens",
                None,
                &[("X-Subject-Token", subject)],
            )
            .await?;
        check(res).await.map(drop)
    }

    /// `GET /v3/auth/catalog`.
    pub async fn keystone_catalog(&self) -> Result<Vec<Value>> {
        let body: Value = self
            .keystone_call(Method::GET, "/v3/auth/catalog", None)
            .await?;
        list_of(body, "catalog")
    }

    /// `GET /v3/auth/projects`: the projects this identity may scope to.
    pub async fn keystone_my_projects(&self) -> Result<Vec<Value>> {
        let body: Value = self
            .keystone_call(Method::GET, "/v3/auth/projects", None)
            .await?;
        list_of(body, "projects")
    }

    /// `GET /v3/{collection}` (`projects`, `users`, `groups`, `roles`, `domains`, `regions`,
    /// `services`, `endpoints`, `role_assignments`, …): the listed objects.
    pub async fn keystone_list(&self, collection: &str) -> Result<Vec<Value>> {
        let path = format!("/v3/{collection}");
        let body: Value = self.keystone_call(Method::GET, &path, None).await?;
        let key = collection.split('?').next().unwrap_or(collection);
        list_of(body, key)
    }

    /// `GET /v3/{collection}/{id}`: one object.
    pub async fn keystone_get(&self, collection: &str, id: &str) -> Result<Value> {
        let path = format!("/v3/{collection}/{}", seg(id));
        let body: Value = self.keystone_call(Method::GET, &path, None).await?;
        one_of(body, collection)
    }

    /// `POST /v3/{collection}` with `{singular: object}`: the created object.
    pub async fn keystone_create(&self, collection: &str, object: Value) -> Result<Value> {
        let key = singular(collection);
        let body = json!({ key: object });
        let path = format!("/v3/{collection}");
        let created: Value = self.keystone_call(Method::POST, &path, Some(&body)).await?;
        one_of(created, collection)
    }

    /// `PATCH /v3/{collection}/{id}` with `{singular: changes}`.
    pub async fn keystone_update(
        &self,
        collection: &str,
        id: &str,
        changes: Value,
    ) -> Result<Value> {
        let body = json!({ singular(collection): changes });
        let path = format!("/v3/{collection}/{}", seg(id));
        let updated: Value = self
            .keystone_call(Method::PATCH, &path, Some(&body))
            .await?;
        one_of(updated, collection)
    }

    /// `DELETE /v3/{collection}/{id}`.
    pub async fn keystone_delete(&self, collection: &str, id: &str) -> Result<()> {
        let path = format!("/v3/{collection}/{}", seg(id));
        self.keystone_call_empty(Method::DELETE, &path, None).await
    }

    /// `PUT /v3/projects/{project}/users/{user}/roles/{role}` (ids).
    pub async fn grant_project_role(&self, project: &str, user: &str, role: &str) -> Result<()> {
        let path = format!(
            "/v3/projects/{}/users/{}/roles/{}",
            seg(project),
            seg(user),
            seg(role)
        );
        self.keystone_call_empty(Method::PUT, &path, None).await
    }

    /// `DELETE /v3/projects/{project}/users/{user}/roles/{role}` (ids).
    pub async fn revoke_project_role(&self, project: &str, user: &str, role: &str) -> Result<()> {
        let path = format!(
            "/v3/projects/{}/users/{}/roles/{}",
            seg(project),
            seg(user),
            seg(role)
        );
        self.keystone_call_empty(Method::DELETE, &path, None).await
    }
}

fn singular(collection: &str) -> String {
    match collection {
        "policies" => "policy".to_owned(),
        c => c.strip_suffix('s').unwrap_or(c).to_owned(),
    }
}

fn list_of(mut body: Value, key: &str) -> Result<Vec<Value>> {
    match body[key].take() {
        Value::Array(items) => Ok(items),
        _ => Err(Error::Protocol(format!("the answer has no {key:?} list"))),
    }
}

fn one_of(mut body: Value, collection: &str) -> Result<Value> {
    let key = singular(collection);
    match body[&key].take() {
        Value::Null => Err(Error::Protocol(format!("the answer has no {key:?}"))),
        v => Ok(v),
    }
}

async fn token_of(res: reqwest::Response) -> Result<KeystoneToken> {
    let res = check(res).await?;
    let value = res
        .headers()
        .get(latchkey_wire::headers::X_SUBJECT_TOKEN)
        .and_then(|v| v.to_str().ok())
        .map(Secret::new)
        .ok_or_else(|| Error::Protocol("no X-Subject-Token".into()))?;
    let mut body: Value = res
        .json()
        .await
        .map_err(|e| Error::Protocol(e.to_string()))?;
    Ok(KeystoneToken {
        value,
        body: body["token"].take(),
    })
}
