//! `/v2/admin`: the installation's accounts and signing keys (operator only).

use reqwest::Method;
use serde_json::{Value, json};

use crate::client::Client;
use crate::error::Result;
use crate::model::{Account, CreatedAccount};

impl Client {
    /// The nics of the installation's accounts.
    pub async fn list_accounts(&self) -> Result<Vec<String>> {
        self.call(Method::GET, "/v2/admin/account", None::<&Value>)
            .await
    }

    pub async fn get_account(&self, nic: &str) -> Result<Account> {
        let path = format!("/v2/admin/account/{}", super::seg(nic));
        self.call(Method::GET, &path, None::<&Value>).await
    }

    /// Creates an account (with its ROOT user `admin`); the nic defaults to the next free one.
    pub async fn create_account(
        &self,
        email: &str,
        nichandle: Option<&str>,
    ) -> Result<CreatedAccount> {
        let mut body = json!({ "email": email });
        if let Some(nic) = nichandle {
            body["nichandle"] = json!(nic);
        }
        self.call(Method::POST, "/v2/admin/account", Some(&body))
            .await
    }

    /// Rotates the signing keys: stages a new key, promotes the staged one, retires the old.
    pub async fn rotate_keys(&self) -> Result<Value> {
        self.call(Method::POST, "/v2/admin/keys/rotate", None::<&Value>)
            .await
    }
}
