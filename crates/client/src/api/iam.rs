//! `/v2/iam`: policies, permissions groups, resources, authorisation checks, the action reference.

use reqwest::Method;
use serde_json::{Value, json};

use super::{seg, with_query};
use crate::client::Client;
use crate::error::Result;
use crate::model::{
    ActionReference, AuthorizationCheck, PermissionsGroup, PermissionsGroupDraft, Policy,
    PolicyDraft, PolicyFilter, Resource,
};

const NO_BODY: Option<&Value> = None;

impl Client {
    /// `GET /v2/iam/policy`, every page.
    pub async fn list_policies(&self, filter: &PolicyFilter) -> Result<Vec<Policy>> {
        let mut query = Vec::new();
        for (key, values) in [
            ("identity", &filter.identities),
            ("resourceURN", &filter.resources),
            ("action", &filter.actions),
        ] {
            query.extend(values.iter().map(|v| format!("{key}[]={}", seg(v))));
        }
        if let Some(ro) = filter.read_only {
            query.push(format!("readOnly={ro}"));
        }
        self.pages(&with_query("/v2/iam/policy", &query), None)
            .await
    }

    pub async fn get_policy(&self, id: &str) -> Result<Policy> {
        let path = format!("/v2/iam/policy/{}", seg(id));
        self.call(Method::GET, &path, NO_BODY).await
    }

    pub async fn create_policy(&self, draft: &PolicyDraft) -> Result<Policy> {
        self.call(Method::POST, "/v2/iam/policy", Some(draft)).await
    }

    /// Replaces a policy's content.
    pub async fn update_policy(&self, id: &str, draft: &PolicyDraft) -> Result<Policy> {
        let path = format!("/v2/iam/policy/{}", seg(id));
        self.call(Method::PUT, &path, Some(draft)).await
    }

    pub async fn delete_policy(&self, id: &str) -> Result<()> {
        let path = format!("/v2/iam/policy/{}", seg(id));
        self.call_empty(Method::DELETE, &path, NO_BODY).await
    }

    /// `GET /v2/iam/permissionsGroup`, every page: the installation's managed groups, then the
    /// account's.
    pub async fn list_permissions_groups(&self) -> Result<Vec<PermissionsGroup>> {
        self.pages("/v2/iam/permissionsGroup", None).await
    }

    pub async fn get_permissions_group(&self, urn: &str) -> Result<PermissionsGroup> {
        let path = format!("/v2/iam/permissionsGroup/{}", seg(urn));
        self.call(Method::GET, &path, NO_BODY).await
    }

    pub async fn create_permissions_group(
        &self,
        draft: &PermissionsGroupDraft,
    ) -> Result<PermissionsGroup> {
        self.call(Method::POST, "/v2/iam/permissionsGroup", Some(draft))
            .await
    }

    /// Replaces a permissions group's content.
    pub async fn update_permissions_group(
        &self,
        urn: &str,
        draft: &PermissionsGroupDraft,
    ) -> Result<PermissionsGroup> {
        let path = format!("/v2/iam/permissionsGroup/{}", seg(urn));
        self.call(Method::PUT, &path, Some(draft)).await
    }

    pub async fn delete_permissions_group(&self, urn: &str) -> Result<()> {
        let path = format!("/v2/iam/permissionsGroup/{}", seg(urn));
        self.call_empty(Method::DELETE, &path, NO_BODY).await
    }

    /// Which of `actions` the caller may perform on the resource `urn`.
    pub async fn check_authorization(
        &self,
        urn: &str,
        actions: &[&str],
    ) -> Result<AuthorizationCheck> {
        let path = format!("/v2/iam/resource/{}/authorization/check", seg(urn));
        let body = json!({ "actions": actions });
        self.call(Method::POST, &path, Some(&body)).await
    }

    /// Which of `actions` the caller may perform on each of `urns`.
    pub async fn check_authorizations(
        &self,
        urns: &[&str],
        actions: &[&str],
    ) -> Result<Vec<crate::model::ResourceAuthorization>> {
        let body = json!({ "actions": actions, "resourceURNs": urns });
        self.call(Method::POST, "/v2/iam/authorization/check", Some(&body))
            .await
    }

    /// Registers a resource for an account (a product back end's identity of the operator's
    /// account, allowed `latchkey:iam/resource/manage`).
    pub async fn register_resource(
        &self,
        registration: &crate::model::ResourceRegistration,
    ) -> Result<Resource> {
        self.call(Method::POST, "/v2/admin/resource", Some(registration))
            .await
    }

    /// Removes a registered resource.
    pub async fn remove_resource(&self, urn: &str) -> Result<()> {
        let path = format!("/v2/admin/resource/{}", seg(urn));
        self.call_empty(Method::DELETE, &path, NO_BODY).await
    }

    /// Replaces a resource's tags.
    pub async fn set_resource_tags(
        &self,
        urn: &str,
        tags: &std::collections::BTreeMap<String, String>,
    ) -> Result<Resource> {
        let path = format!("/v2/iam/resource/{}", seg(urn));
        self.call(Method::PUT, &path, Some(&json!({ "tags": tags })))
            .await
    }

    pub async fn list_resources(&self) -> Result<Vec<Resource>> {
        self.call(Method::GET, "/v2/iam/resource", NO_BODY).await
    }

    pub async fn get_resource(&self, urn: &str) -> Result<Resource> {
        let path = format!("/v2/iam/resource/{}", seg(urn));
        self.call(Method::GET, &path, NO_BODY).await
    }

    pub async fn list_actions(&self) -> Result<Vec<ActionReference>> {
        self.call(Method::GET, "/v2/iam/reference/action", NO_BODY)
            .await
    }
}
