//! Keystone's shared data: roles and their implications, regions, services, endpoints, and
//! the bootstrap that writes the first of them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;
use crate::keystone::{Assignment, Endpoint, KsRole, Project, Region, Service};

/// What the Keystone bootstrap writes, all at once.
#[derive(Debug, Clone)]
pub struct KeystoneBootstrap {
    pub roles: Vec<KsRole>,
    /// (prior role id, implied role id).
    pub implications: Vec<(String, String)>,
    pub region: Region,
    pub service: Service,
    pub endpoints: Vec<Endpoint>,
    /// The operator's project and the grants on it (and on the system), when there is an
    /// operator account.
    pub project: Option<(Project, Vec<Assignment>)>,
    pub at: DateTime<Utc>,
}

#[async_trait]
pub trait CatalogReads: Send + Sync {
    async fn roles(&self) -> Result<Vec<KsRole>>;
    async fn implied_roles(&self) -> Result<Vec<(String, String)>>;
    async fn regions(&self) -> Result<Vec<Region>>;
    async fn services(&self) -> Result<Vec<Service>>;
    async fn endpoints(&self) -> Result<Vec<Endpoint>>;
}

#[async_trait]
pub trait CatalogWrites: Send {
    /// Writes the bootstrap, once per store; `Ok(false)` when it was written before (by an
    /// earlier start, or by another node).
    async fn bootstrap_keystone(&mut self, bootstrap: &KeystoneBootstrap) -> Result<bool>;
    /// `Conflict` when a role of that name exists.
    async fn create_role(&mut self, role: &KsRole) -> Result<()>;
    async fn update_role(&mut self, role: &KsRole) -> Result<()>;
    /// Deletes a role, its implications and every grant of it.
    async fn delete_role(&mut self, id: &str) -> Result<()>;
    /// Records that `prior` implies `implied` (idempotent).
    async fn create_implied_role(&mut self, prior: &str, implied: &str) -> Result<()>;
    async fn delete_implied_role(&mut self, prior: &str, implied: &str) -> Result<()>;
    async fn create_region(&mut self, region: &Region) -> Result<()>;
    async fn update_region(&mut self, region: &Region) -> Result<()>;
    /// `Conflict` while endpoints or child regions use it.
    async fn delete_region(&mut self, id: &str) -> Result<()>;
    async fn create_service(&mut self, service: &Service) -> Result<()>;
    async fn update_service(&mut self, service: &Service) -> Result<()>;
    /// Deletes a service and its endpoints.
    async fn delete_service(&mut self, id: &str) -> Result<()>;
    async fn create_endpoint(&mut self, endpoint: &Endpoint) -> Result<()>;
    async fn update_endpoint(&mut self, endpoint: &Endpoint) -> Result<()>;
    async fn delete_endpoint(&mut self, id: &str) -> Result<()>;
}
