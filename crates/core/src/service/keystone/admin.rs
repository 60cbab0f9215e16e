//! Keystone's admin resources. Projects and role assignments belong to the permit's account;
//! roles and the catalog are global and need the operator's permits (their actions are
//! operator-only). Every change reloads the snapshot it touched before it returns.

use std::sync::Arc;

use crate::audit::AuditKind;
use crate::authz::{OperatorPermit, Permit};
use crate::keystone::{
    self, Actor, Assignment, Endpoint, Interface, KsRole, Project, Region, Service, Target,
};
use crate::names::{Description, DisplayName};
use crate::store::Record;
use crate::store::Transaction;
use crate::{Error, Result};
use serde_json::{Value, json};

use super::super::Directory;

/// Fields of a project to set; `None` leaves one as it is.
#[derive(Debug, Default)]
pub struct ProjectChanges {
    pub name: Option<DisplayName>,
    pub description: Option<Description>,
    pub enabled: Option<bool>,
    pub tags: Option<Vec<String>>,
}

/// A project to create.
#[derive(Debug)]
pub struct NewProject {
    pub name: DisplayName,
    pub description: Description,
    pub enabled: bool,
    /// A project of the same account; `None` directly under the domain.
    pub parent_id: Option<String>,
    pub tags: Vec<String>,
}

/// Fields of an endpoint to set; `None` leaves one as it is.
#[derive(Debug, Default)]
pub struct EndpointChanges {
    pub service_id: Option<String>,
    pub region_id: Option<Option<String>>,
    pub interface: Option<Interface>,
    pub url: Option<String>,
    pub enabled: Option<bool>,
}

/// A grant's record details: who holds which role where.
fn assignment_details(a: &Assignment) -> Value {
    json!({
        "actor": a.actor.key(),
        "target": a.target.key(),
        "role": a.role_id,
    })
}

impl Directory {
    /// Commits a change to the permit's account's projects or grants with its record, then
    /// reloads the account's snapshot here (the event reloads it on the other nodes).
    async fn commit_tenancy(
        &self,
        tx: Box<dyn Transaction>,
        permit: &Permit,
        kind: AuditKind,
        details: Value,
    ) -> Result<()> {
        let audit = self.audit_by(permit, kind, details);
        let record = Record::new(audit).event(self.keystone_event(permit.account()));
        self.commit(tx, record).await?;
        self.keystone_account_changed(permit.account()).await
    }

    /// Commits a change to the roles or the catalog with its record, then reloads them here.
    async fn commit_catalog(
        &self,
        tx: Box<dyn Transaction>,
        operator: &OperatorPermit,
        details: Value,
    ) -> Result<()> {
        let audit = self.audit(operator, AuditKind::CatalogModified, None, details);
        self.commit(tx, Record::new(audit).event(self.catalog_event()))
            .await?;
        self.keystone_catalog_changed().await
    }

    pub async fn create_project(&self, permit: &Permit, new: NewProject) -> Result<Arc<Project>> {
        check_tags(&new.tags)?;
        if let Some(parent) = &new.parent_id {
            self.project(permit, parent).await?;
        }
        let project = Project {
            id: keystone::new_id(),
            account_id: permit.account(),
            name: new.name,
            description: new.description,
            enabled: new.enabled,
            created_at: self.clock.now(),
            parent_id: new.parent_id,
            tags: new.tags,
        };
        let mut tx = self.begin().await?;
        tx.create_project(&project).await?;
        self.commit_tenancy(
            tx,
            permit,
            AuditKind::ProjectCreated,
            json!({"project": project.id, "name": project.name.as_str()}),
        )
        .await?;
        Ok(Arc::new(project))
    }

    /// A project of the permit's account.
    pub async fn project(&self, permit: &Permit, id: &str) -> Result<Arc<Project>> {
        self.tenancy(permit.account())
            .await?
            .project(id)
            .cloned()
            .ok_or_else(|| Error::not_found(format!("Could not find project: {id}.")))
    }

    pub async fn projects(&self, permit: &Permit) -> Result<Vec<Arc<Project>>> {
        Ok(self.tenancy(permit.account()).await?.projects.clone())
    }

    pub async fn update_project(
        &self,
        permit: &Permit,
        id: &str,
        changes: ProjectChanges,
    ) -> Result<Arc<Project>> {
        let mut project = (*self.project(permit, id).await?).clone();
        if let Some(name) = changes.name {
            project.name = name;
        }
        if let Some(description) = changes.description {
            project.description = description;
        }
        if let Some(enabled) = changes.enabled {
            project.enabled = enabled;
        }
        if let Some(tags) = changes.tags {
            check_tags(&tags)?;
            project.tags = tags;
        }
        let mut tx = self.begin().await?;
        tx.update_project(&project).await?;
        self.commit_tenancy(tx, permit, AuditKind::ProjectModified, json!({"project": project.id, "name": project.name.as_str(), "enabled": project.enabled}))
            .await?;
        Ok(Arc::new(project))
    }

    pub async fn delete_project(&self, permit: &Permit, id: &str) -> Result<()> {
        let tenancy = self.tenancy(permit.account()).await?;
        if tenancy
            .projects
            .iter()
            .any(|p| p.parent_id.as_deref() == Some(id))
        {
            return Err(Error::forbidden(permit.action()));
        }
        let mut tx = self.begin().await?;
        tx.delete_project(permit.account(), id).await?;
        self.commit_tenancy(
            tx,
            permit,
            AuditKind::ProjectDeleted,
            json!({"project": id}),
        )
        .await
    }

    /// Grants a role on a project or the domain of the permit's account, or on the system (kept
    /// in the holder's account). A user may be of another account, a group may not; the caller
    /// checks that, and that it may see the actor.
    pub async fn grant_role(&self, permit: &Permit, assignment: Assignment) -> Result<()> {
        self.check_assignment(permit, &assignment).await?;
        let mut tx = self.begin().await?;
        tx.grant_role(permit.account(), &assignment).await?;
        self.commit_tenancy(
            tx,
            permit,
            AuditKind::RoleGranted,
            assignment_details(&assignment),
        )
        .await
    }

    pub async fn revoke_role(&self, permit: &Permit, assignment: Assignment) -> Result<()> {
        self.check_assignment(permit, &assignment).await?;
        let mut tx = self.begin().await?;
        tx.revoke_role(permit.account(), &assignment).await?;
        self.commit_tenancy(
            tx,
            permit,
            AuditKind::RoleRevoked,
            assignment_details(&assignment),
        )
        .await
    }

    async fn check_assignment(&self, permit: &Permit, a: &Assignment) -> Result<()> {
        let Some(role) = self.keystone_catalog().role(&a.role_id).cloned() else {
            return Err(Error::not_found(format!(
                "could not find role {}",
                a.role_id
            )));
        };
        if let Some(domain) = &role.domain_id {
            let account = self
                .cached_account(permit.account())
                .await?
                .ok_or_else(|| Error::not_found("the account no longer exists"))?;
            if *domain != keystone::domain_id(&account) {
                return Err(Error::forbidden(permit.action()));
            }
        }
        match &a.target {
            Target::Project(id) | Target::ProjectsBelow(id) => {
                self.project(permit, id).await?;
            }
            // A grant on the system lives in its holder's own domain.
            Target::Domain | Target::DomainProjects | Target::System => {}
        }
        Ok(())
    }

    /// The role ids granted directly to `actor` on `target` (not through a group or an
    /// implication), from the account's snapshot.
    pub async fn roles_granted(
        &self,
        permit: &Permit,
        actor: &Actor,
        target: &Target,
    ) -> Result<Vec<String>> {
        let tenancy = self.tenancy(permit.account()).await?;
        let granted = tenancy.granted(std::slice::from_ref(actor), target);
        Ok(granted.into_iter().map(str::to_owned).collect())
    }

    /// The roles granted directly on the account's projects (the console's table), from the
    /// account's snapshot.
    pub async fn project_grants(&self, permit: &Permit) -> Result<Vec<Assignment>> {
        let tenancy = self.tenancy(permit.account()).await?;
        Ok(tenancy
            .assignments
            .iter()
            .filter(|a| matches!(a.target, Target::Project(_)))
            .cloned()
            .collect())
    }

    /// A global role by id or by name.
    pub fn keystone_role(&self, id: &str) -> Result<Arc<KsRole>> {
        self.keystone_catalog()
            .role(id)
            .cloned()
            .ok_or_else(|| Error::not_found(format!("could not find role {id}")))
    }

    pub async fn create_keystone_role(
        &self,
        operator: &OperatorPermit,
        name: DisplayName,
        description: Description,
        domain_id: Option<String>,
    ) -> Result<Arc<KsRole>> {
        let role = KsRole {
            id: keystone::new_id(),
            name,
            description,
            domain_id,
        };
        let mut tx = self.begin().await?;
        tx.create_role(&role).await?;
        self.commit_catalog(
            tx,
            operator,
            json!({"role": role.id, "name": role.name.as_str(), "change": "created"}),
        )
        .await?;
        Ok(Arc::new(role))
    }

    pub async fn update_keystone_role(
        &self,
        operator: &OperatorPermit,
        id: &str,
        name: Option<DisplayName>,
        description: Option<Description>,
    ) -> Result<Arc<KsRole>> {
        let mut role = (*self.keystone_role(id)?).clone();
        if let Some(name) = name {
            role.name = name;
        }
        if let Some(description) = description {
            role.description = description;
        }
        let mut tx = self.begin().await?;
        tx.update_role(&role).await?;
        self.commit_catalog(
            tx,
            operator,
            json!({"role": role.id, "name": role.name.as_str(), "change": "modified"}),
        )
        .await?;
        Ok(Arc::new(role))
    }

    pub async fn delete_keystone_role(&self, operator: &OperatorPermit, id: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.delete_role(id).await?;
        self.commit_catalog(tx, operator, json!({"role": id, "change": "deleted"}))
            .await
    }

    pub async fn create_implied_role(
        &self,
        operator: &OperatorPermit,
        prior: &str,
        implied: &str,
    ) -> Result<()> {
        let prior_role = self.keystone_role(prior)?;
        let implied_role = self.keystone_role(implied)?;
        if prior == implied {
            return Err(Error::invalid("a role cannot imply itself"));
        }
        // As in Keystone: a global role never implies a domain-specific one.
        if prior_role.domain_id.is_none() && implied_role.domain_id.is_some() {
            return Err(Error::forbidden("identity:create_implied_role"));
        }
        let mut tx = self.begin().await?;
        tx.create_implied_role(prior, implied).await?;
        self.commit_catalog(
            tx,
            operator,
            json!({"prior_role": prior, "implied_role": implied, "change": "created"}),
        )
        .await
    }

    pub async fn delete_implied_role(
        &self,
        operator: &OperatorPermit,
        prior: &str,
        implied: &str,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.delete_implied_role(prior, implied).await?;
        self.commit_catalog(
            tx,
            operator,
            json!({"prior_role": prior, "implied_role": implied, "change": "deleted"}),
        )
        .await
    }

    pub async fn create_region(&self, operator: &OperatorPermit, region: Region) -> Result<Region> {
        keystone::check_id("region id", &region.id)?;
        if let Some(parent) = &region.parent_region_id {
            self.region(parent)?;
        }
        let mut tx = self.begin().await?;
        tx.create_region(&region).await?;
        self.commit_catalog(
            tx,
            operator,
            json!({"region": region.id, "change": "created"}),
        )
        .await?;
        Ok(region)
    }

    pub fn region(&self, id: &str) -> Result<Region> {
        self.keystone_catalog()
            .regions
            .iter()
            .find(|r| r.id == id)
            .cloned()
            .ok_or_else(|| Error::not_found(format!("could not find region {id}")))
    }

    pub async fn update_region(
        &self,
        operator: &OperatorPermit,
        id: &str,
        description: Option<Description>,
        parent_region_id: Option<Option<String>>,
    ) -> Result<Region> {
        let mut region = self.region(id)?;
        if let Some(d) = description {
            region.description = d;
        }
        if let Some(parent) = parent_region_id {
            if let Some(p) = &parent {
                self.region(p)?;
                if p == id {
                    return Err(Error::invalid("a region cannot be its own parent"));
                }
            }
            region.parent_region_id = parent;
        }
        let mut tx = self.begin().await?;
        tx.update_region(&region).await?;
        self.commit_catalog(
            tx,
            operator,
            json!({"region": region.id, "change": "modified"}),
        )
        .await?;
        Ok(region)
    }

    pub async fn delete_region(&self, operator: &OperatorPermit, id: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.delete_region(id).await?;
        self.commit_catalog(tx, operator, json!({"region": id, "change": "deleted"}))
            .await
    }

    pub fn service(&self, id: &str) -> Result<Service> {
        self.keystone_catalog()
            .services
            .iter()
            .find(|s| s.id == id)
            .cloned()
            .ok_or_else(|| Error::not_found(format!("could not find service {id}")))
    }

    pub async fn create_service(
        &self,
        operator: &OperatorPermit,
        kind: String,
        name: String,
        description: Description,
        enabled: bool,
    ) -> Result<Service> {
        keystone::check_label("type", &kind)?;
        if !name.is_empty() {
            keystone::check_label("name", &name)?;
        }
        let service = Service {
            id: keystone::new_id(),
            kind,
            name,
            description,
            enabled,
        };
        let mut tx = self.begin().await?;
        tx.create_service(&service).await?;
        self.commit_catalog(
            tx,
            operator,
            json!({"service": service.id, "type": service.kind, "change": "created"}),
        )
        .await?;
        Ok(service)
    }

    pub async fn update_service(
        &self,
        operator: &OperatorPermit,
        service: Service,
    ) -> Result<Service> {
        keystone::check_label("type", &service.kind)?;
        let mut tx = self.begin().await?;
        tx.update_service(&service).await?;
        self.commit_catalog(
            tx,
            operator,
            json!({"service": service.id, "type": service.kind, "change": "modified"}),
        )
        .await?;
        Ok(service)
    }

    pub async fn delete_service(&self, operator: &OperatorPermit, id: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.delete_service(id).await?;
        self.commit_catalog(tx, operator, json!({"service": id, "change": "deleted"}))
            .await
    }

    pub fn endpoint(&self, id: &str) -> Result<Endpoint> {
        self.keystone_catalog()
            .endpoints
            .iter()
            .find(|e| e.id == id)
            .cloned()
            .ok_or_else(|| Error::not_found(format!("could not find endpoint {id}")))
    }

    pub async fn create_endpoint(
        &self,
        operator: &OperatorPermit,
        service_id: String,
        region_id: Option<String>,
        interface: Interface,
        url: String,
        enabled: bool,
    ) -> Result<Endpoint> {
        let endpoint = Endpoint {
            id: keystone::new_id(),
            service_id,
            region_id,
            interface,
            url,
            enabled,
        };
        self.check_endpoint(operator, &endpoint).await?;
        let mut tx = self.begin().await?;
        tx.create_endpoint(&endpoint).await?;
        self.commit_catalog(
            tx,
            operator,
            json!({"endpoint": endpoint.id, "service": endpoint.service_id, "change": "created"}),
        )
        .await?;
        Ok(endpoint)
    }

    pub async fn update_endpoint(
        &self,
        operator: &OperatorPermit,
        id: &str,
        changes: EndpointChanges,
    ) -> Result<Endpoint> {
        let mut endpoint = self.endpoint(id)?;
        if let Some(v) = changes.service_id {
            endpoint.service_id = v;
        }
        if let Some(v) = changes.region_id {
            endpoint.region_id = v;
        }
        if let Some(v) = changes.interface {
            endpoint.interface = v;
        }
        if let Some(v) = changes.url {
            endpoint.url = v;
        }
        if let Some(v) = changes.enabled {
            endpoint.enabled = v;
        }
        self.check_endpoint(operator, &endpoint).await?;
        let mut tx = self.begin().await?;
        tx.update_endpoint(&endpoint).await?;
        self.commit_catalog(
            tx,
            operator,
            json!({"endpoint": endpoint.id, "service": endpoint.service_id, "change": "modified"}),
        )
        .await?;
        Ok(endpoint)
    }

    /// Checks the URL and the service. A region the endpoint names that does not exist yet is
    /// created, as Keystone does.
    async fn check_endpoint(&self, operator: &OperatorPermit, endpoint: &Endpoint) -> Result<()> {
        keystone::check_url(&endpoint.url)?;
        self.service(&endpoint.service_id).map_err(|_| {
            Error::invalid(format!("service {} does not exist", endpoint.service_id))
        })?;
        if let Some(region) = &endpoint.region_id
            && self.region(region).is_err()
        {
            let new = Region {
                id: region.clone(),
                description: Description::default(),
                parent_region_id: None,
            };
            match self.create_region(operator, new).await {
                Ok(_) | Err(Error::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    pub async fn delete_endpoint(&self, operator: &OperatorPermit, id: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.delete_endpoint(id).await?;
        self.commit_catalog(tx, operator, json!({"endpoint": id, "change": "deleted"}))
            .await
    }
}

/// What an OpenRC file sets: everything the `openstack` client needs but the password.
#[derive(Debug, Clone)]
pub struct OpenRc {
    pub auth_url: String,
    pub username: String,
    pub user_domain: String,
    pub project_id: String,
    pub project_name: String,
    pub project_domain: String,
    pub region: String,
}

impl Directory {
    /// The OpenRC settings of a user of the permit's account for one of its projects (by id or
    /// name; by default the first it holds a role on) and a region (by default the first).
    pub async fn openrc(
        &self,
        permit: &Permit,
        login: &crate::names::Login,
        project: Option<&str>,
        region: Option<&str>,
    ) -> Result<OpenRc> {
        let user = self.user(permit, login).await?;
        let account = self.credential_account(permit.account()).await?;
        let tenancy = self.tenancy(permit.account()).await?;
        let actors = Directory::user_actors(&user, permit.account(), &tenancy);
        let projects = tenancy.projects_of(&actors);
        let project = match project {
            None => projects.first().cloned().ok_or_else(|| {
                Error::invalid(format!("user {login} holds no role on any project"))
            })?,
            Some(wanted) => projects
                .iter()
                .find(|p| p.id == wanted || p.name.as_str() == wanted)
                .cloned()
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "user {login} holds no role on a project {wanted:?}"
                    ))
                })?,
        };
        let catalog = self.keystone_catalog();
        let region = match region {
            Some(wanted) => catalog
                .regions
                .iter()
                .find(|r| r.id == wanted)
                .ok_or_else(|| Error::invalid(format!("region {wanted:?} does not exist")))?,
            None => catalog
                .regions
                .first()
                .ok_or_else(|| Error::invalid("the catalog has no region"))?,
        };
        let domain = keystone::domain_name(&account);
        Ok(OpenRc {
            auth_url: format!("{}/v3/", self.config.issuer),
            username: user.login.to_string(),
            user_domain: domain.clone(),
            project_id: project.id.clone(),
            project_name: project.name.as_str().to_owned(),
            project_domain: domain,
            region: region.id.clone(),
        })
    }
}

/// Keystone's tag rules: at most 80 tags of 1 to 255 characters, no `/` nor `,`, no repeats.
pub fn check_tags(tags: &[String]) -> Result<()> {
    if tags.len() > 80 {
        return Err(Error::invalid("a project has at most 80 tags"));
    }
    for (i, tag) in tags.iter().enumerate() {
        let n = tag.chars().count();
        if n == 0 || n > 255 || tag.contains('/') || tag.contains(',') {
            return Err(Error::invalid(format!(
                "invalid tag {tag:?}: 1 to 255 characters, without '/' or ','"
            )));
        }
        if tags[..i].contains(tag) {
            return Err(Error::invalid(format!("tag {tag:?} is repeated")));
        }
    }
    Ok(())
}
