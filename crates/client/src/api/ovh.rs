//! `/1.0`: the account, local users, groups, personal access tokens, service accounts, OpenRC.

use reqwest::Method;
use serde_json::{Value, json};

use super::seg;
use crate::client::Client;
use crate::error::Result;
use crate::model::{
    CreatedPat, CreatedServiceAccount, Expiry, Group, Me, NewUser, Pat, ServiceAccount,
    ServiceAccountChanges, User, UserChanges,
};

const NO_BODY: Option<&Value> = None;

fn expiry_fields(body: &mut Value, expiry: Expiry) {
    match expiry {
        Expiry::Never => body["expiresAt"] = Value::Null,
        Expiry::In(secs) => body["expiresIn"] = json!(secs),
        Expiry::At(at) => body["expiresAt"] = json!(at),
    }
}

impl Client {
    /// `GET /1.0/me`: the account and the calling identity.
    pub async fn me(&self) -> Result<Me> {
        self.call(Method::GET, "/1.0/me", NO_BODY).await
    }

    /// `GET /1.0/me/identity/user`: the logins.
    pub async fn list_users(&self) -> Result<Vec<String>> {
        self.call(Method::GET, "/1.0/me/identity/user", NO_BODY)
            .await
    }

    pub async fn get_user(&self, login: &str) -> Result<User> {
        let path = format!("/1.0/me/identity/user/{}", seg(login));
        self.call(Method::GET, &path, NO_BODY).await
    }

    pub async fn create_user(&self, user: &NewUser) -> Result<User> {
        self.call(Method::POST, "/1.0/me/identity/user", Some(user))
            .await
    }

    pub async fn update_user(&self, login: &str, changes: &UserChanges) -> Result<User> {
        let path = format!("/1.0/me/identity/user/{}", seg(login));
        self.call(Method::PUT, &path, Some(changes)).await
    }

    pub async fn enable_user(&self, login: &str) -> Result<()> {
        let path = format!("/1.0/me/identity/user/{}/enable", seg(login));
        self.call_empty(Method::POST, &path, NO_BODY).await
    }

    pub async fn disable_user(&self, login: &str) -> Result<()> {
        let path = format!("/1.0/me/identity/user/{}/disable", seg(login));
        self.call_empty(Method::POST, &path, NO_BODY).await
    }

    pub async fn delete_user(&self, login: &str) -> Result<()> {
        let path = format!("/1.0/me/identity/user/{}", seg(login));
        self.call_empty(Method::DELETE, &path, NO_BODY).await
    }

    /// `GET /1.0/me/identity/group`: the group names.
    pub async fn list_groups(&self) -> Result<Vec<String>> {
        self.call(Method::GET, "/1.0/me/identity/group", NO_BODY)
            .await
    }

    pub async fn get_group(&self, name: &str) -> Result<Group> {
        let path = format!("/1.0/me/identity/group/{}", seg(name));
        self.call(Method::GET, &path, NO_BODY).await
    }

    pub async fn create_group(&self, name: &str, role: &str, description: &str) -> Result<Group> {
        let body = json!({ "name": name, "role": role, "description": description });
        self.call(Method::POST, "/1.0/me/identity/group", Some(&body))
            .await
    }

    /// Changes a group's role and/or description.
    pub async fn update_group(
        &self,
        name: &str,
        role: Option<&str>,
        description: Option<&str>,
    ) -> Result<Group> {
        let mut body = json!({});
        if let Some(role) = role {
            body["role"] = json!(role);
        }
        if let Some(d) = description {
            body["description"] = json!(d);
        }
        let path = format!("/1.0/me/identity/group/{}", seg(name));
        self.call(Method::PUT, &path, Some(&body)).await
    }

    pub async fn delete_group(&self, name: &str) -> Result<()> {
        let path = format!("/1.0/me/identity/group/{}", seg(name));
        self.call_empty(Method::DELETE, &path, NO_BODY).await
    }

    /// `GET /1.0/me/identity/user/{user}/token`: the token names.
    pub async fn list_pats(&self, login: &str) -> Result<Vec<String>> {
        let path = format!("/1.0/me/identity/user/{}/token", seg(login));
        self.call(Method::GET, &path, NO_BODY).await
    }

    pub async fn get_pat(&self, login: &str, name: &str) -> Result<Pat> {
        let path = format!("/1.0/me/identity/user/{}/token/{}", seg(login), seg(name));
        self.call(Method::GET, &path, NO_BODY).await
    }

    /// Creates a PAT; its value is in the answer, this once.
    pub async fn create_pat(
        &self,
        login: &str,
        name: &str,
        description: &str,
        expiry: Expiry,
    ) -> Result<CreatedPat> {
        let mut body = json!({ "name": name, "description": description });
        if expiry != Expiry::Never {
            expiry_fields(&mut body, expiry);
        }
        let path = format!("/1.0/me/identity/user/{}/token", seg(login));
        self.call(Method::POST, &path, Some(&body)).await
    }

    /// Changes a PAT's description and/or expiry.
    pub async fn update_pat(
        &self,
        login: &str,
        name: &str,
        description: Option<&str>,
        expiry: Option<Expiry>,
    ) -> Result<Pat> {
        let mut body = json!({});
        if let Some(d) = description {
            body["description"] = json!(d);
        }
        if let Some(expiry) = expiry {
            expiry_fields(&mut body, expiry);
        }
        let path = format!("/1.0/me/identity/user/{}/token/{}", seg(login), seg(name));
        self.call(Method::PUT, &path, Some(&body)).await
    }

    pub async fn delete_pat(&self, login: &str, name: &str) -> Result<()> {
        let path = format!("/1.0/me/identity/user/{}/token/{}", seg(login), seg(name));
        self.call_empty(Method::DELETE, &path, NO_BODY).await
    }

    /// `GET /1.0/me/api/oauth2/client`: the client ids.
    pub async fn list_service_accounts(&self) -> Result<Vec<String>> {
        self.call(Method::GET, "/1.0/me/api/oauth2/client", NO_BODY)
            .await
    }

    pub async fn get_service_account(&self, client_id: &str) -> Result<ServiceAccount> {
        let path = format!("/1.0/me/api/oauth2/client/{}", seg(client_id));
        self.call(Method::GET, &path, NO_BODY).await
    }

    /// Creates a `CLIENT_CREDENTIALS` service account; its secret is in the answer, this once.
    pub async fn create_service_account(
        &self,
        name: &str,
        description: &str,
    ) -> Result<CreatedServiceAccount> {
        let body = json!({
            "name": name, "description": description,
            "flow": "CLIENT_CREDENTIALS", "callbackUrls": [],
        });
        self.call(Method::POST, "/1.0/me/api/oauth2/client", Some(&body))
            .await
    }

    pub async fn update_service_account(
        &self,
        client_id: &str,
        changes: &ServiceAccountChanges,
    ) -> Result<ServiceAccount> {
        let path = format!("/1.0/me/api/oauth2/client/{}", seg(client_id));
        self.call(Method::PUT, &path, Some(changes)).await
    }

    pub async fn delete_service_account(&self, client_id: &str) -> Result<()> {
        let path = format!("/1.0/me/api/oauth2/client/{}", seg(client_id));
        self.call_empty(Method::DELETE, &path, NO_BODY).await
    }

    /// `GET /1.0/me/identity/user/{user}/openrc`: an OpenRC shell file for `login`.
    pub async fn openrc(
        &self,
        login: &str,
        project: Option<&str>,
        region: Option<&str>,
    ) -> Result<String> {
        let mut path = format!("/1.0/me/identity/user/{}/openrc", seg(login));
        let mut sep = '?';
        for (k, v) in [("project", project), ("region", region)] {
            if let Some(v) = v {
                path.push_str(&format!("{sep}{k}={}", seg(v)));
                sep = '&';
            }
        }
        let res = self.send(Method::GET, &path, None).await?;
        let res = crate::answer::check(res).await?;
        Ok(res.text().await?)
    }
}
