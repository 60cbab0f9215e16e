//! OAuth2 (`/auth/oauth2`), the JWKS and the revocation feed.

use reqwest::Method;
use serde_json::Value;

use crate::answer::read_json;
use crate::client::Client;
use crate::error::Result;
use crate::model::{AccessToken, RevocationPage};

impl Client {
    /// RFC 7662 introspection of `token`, on behalf of this client's credential.
    pub async fn introspect(&self, token: &str) -> Result<Value> {
        let body = form(&[("token", token)]);
        let res = self
            .send_with_headers(
                Method::POST,
                "/auth/oauth2/introspect",
                Some(body.as_bytes()),
                &[("Content-Type", "application/x-www-form-urlencoded")],
            )
            .await?;
        read_json(res).await
    }

    /// RFC 7009 revocation of `token` (a PAT is deleted; an access token is refused from now on).
    pub async fn revoke(&self, token: &str) -> Result<()> {
        let body = form(&[("token", token)]);
        let res = self
            .send_with_headers(
                Method::POST,
                "/auth/oauth2/revoke",
                Some(body.as_bytes()),
                &[("Content-Type", "application/x-www-form-urlencoded")],
            )
            .await?;
        crate::answer::check(res).await.map(drop)
    }

    /// The client-credentials grant, outside the token manager (the manager does it by itself).
    pub async fn client_credentials_grant(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> Result<AccessToken> {
        let url = format!("{}/auth/oauth2/token", self.base_url());
        let res = self
            .retrying(|| {
                self.http()
                    .post(&url)
                    .basic_auth(client_id, Some(client_secret))
                    .form(&[("grant_type", "client_credentials")])
            })
            .await?;
        read_json(res).await
    }

    /// `GET /.well-known/jwks.json`: the public keys that verify access and Keystone tokens.
    pub async fn jwks(&self) -> Result<Value> {
        self.anonymous("/.well-known/jwks.json").await
    }

    /// `GET /.well-known/oauth-authorization-server` (RFC 8414).
    pub async fn authorization_server_metadata(&self) -> Result<Value> {
        self.anonymous("/.well-known/oauth-authorization-server")
            .await
    }

    /// `GET /v1/revocations?since=`: events after `since` (without it, the cursor to start from).
    pub async fn revocations(&self, since: Option<i64>) -> Result<RevocationPage> {
        let path = match since {
            Some(since) => format!("/v1/revocations?since={since}"),
            None => "/v1/revocations".to_owned(),
        };
        self.call(Method::GET, &path, None::<&Value>).await
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", super::seg(k), super::seg(v)))
        .collect::<Vec<_>>()
        .join("&")
}
