//! Resource groups: sets of an account's registered resources that a policy names by one URN,
//! meaning every resource in the group now and later. A change rebuilds the account's policy
//! index (here before it is answered, on the other nodes through the `policies` event).

use std::collections::HashSet;

use serde_json::json;

use crate::audit::AuditKind;
use crate::authz::Permit;
use crate::resource::{Resource, ResourceGroup, ResourceGroupId, ResourceId, check_group_name};
use crate::store::Record;
use crate::urn::Urn;
use crate::{Error, Result};

use super::Directory;

/// A resource as a group request names it: by id (OVHcloud's way) or by URN.
#[derive(Debug, Clone)]
pub enum MemberRef {
    Id(ResourceId),
    Urn(Urn),
}

impl Directory {
    /// The account's resource groups, oldest first.
    pub async fn list_resource_groups(&self, permit: &Permit) -> Result<Vec<ResourceGroup>> {
        self.store.list_resource_groups(permit.account()).await
    }

    pub async fn resource_group(
        &self,
        permit: &Permit,
        id: ResourceGroupId,
    ) -> Result<ResourceGroup> {
        self.store
            .resource_group(permit.account(), id)
            .await?
            .ok_or_else(|| Error::not_found(format!("resource group {id} does not exist")))
    }

    /// The registered resources of the account a group request names, each once, in order.
    fn group_members_of(registered: &[Resource], refs: &[MemberRef]) -> Result<Vec<ResourceId>> {
        if refs.len() > ResourceGroup::MAX_MEMBERS {
            return Err(Error::invalid(format!(
                "a resource group holds at most {} resources",
                ResourceGroup::MAX_MEMBERS
            )));
        }
        let account_resource = |urn: &Urn| urn.names_an_account();
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(refs.len());
        for r in refs {
            let found = match r {
                MemberRef::Id(id) => registered.iter().find(|x| x.id == *id),
                MemberRef::Urn(urn) if account_resource(urn) => {
                    return Err(Error::invalid(
                        "the account resource is not grouped; name it in the policy itself",
                    ));
                }
                MemberRef::Urn(urn) => registered.iter().find(|x| x.urn == *urn),
            };
            let Some(found) = found else {
                let named = match r {
                    MemberRef::Id(id) => id.to_string(),
                    MemberRef::Urn(urn) => urn.to_string(),
                };
                return Err(Error::invalid(format!(
                    "resource {named} is not a registered resource of the account"
                )));
            };
            if seen.insert(found.id) {
                out.push(found.id);
            }
        }
        Ok(out)
    }

    /// The URNs of `ids`, for the audit record.
    fn urns_of(registered: &[Resource], ids: &[ResourceId]) -> Vec<String> {
        ids.iter()
            .filter_map(|id| registered.iter().find(|r| r.id == *id))
            .map(|r| r.urn.as_str().to_owned())
            .collect()
    }

    pub async fn create_resource_group(
        &self,
        permit: &Permit,
        name: String,
        refs: &[MemberRef],
    ) -> Result<ResourceGroup> {
        check_group_name(&name)?;
        let registered = self.store.list_resources(permit.account()).await?;
        let members = Self::group_members_of(&registered, refs)?;
        let now = self.clock.now();
        let group = ResourceGroup {
            id: ResourceGroupId::random(),
            account_id: permit.account(),
            name,
            read_only: false,
            members,
            created_at: now,
            updated_at: now,
        };
        let added = Self::urns_of(&registered, &group.members);
        let mut tx = self.begin().await?;
        let group = tx.create_resource_group(&group).await?;
        let details = json!({
            "resourceGroupId": group.id.to_string(),
            "resourceGroupName": group.name,
            "added": { "resources": added },
            "new": { "name": group.name },
        });
        let audit = self.audit_by(permit, AuditKind::ResourceGroupCreated, details);
        let record = Record::new(audit).event(self.policies_event(permit.account()));
        self.commit(tx, record).await?;
        self.reload_policies(permit.account()).await?;
        Ok(group)
    }

    pub async fn replace_resource_group(
        &self,
        permit: &Permit,
        id: ResourceGroupId,
        name: String,
        refs: &[MemberRef],
    ) -> Result<ResourceGroup> {
        check_group_name(&name)?;
        let old = self.resource_group(permit, id).await?;
        if old.read_only {
            return Err(Error::forbidden(permit.action()));
        }
        let registered = self.store.list_resources(permit.account()).await?;
        let members = Self::group_members_of(&registered, refs)?;
        let before = Self::urns_of(&registered, &old.members);
        let after = Self::urns_of(&registered, &members);
        let mut tx = self.begin().await?;
        let group = tx
            .replace_resource_group(permit.account(), id, &name, &members, self.clock.now())
            .await?;
        let details = json!({
            "resourceGroupId": group.id.to_string(),
            "resourceGroupName": group.name,
            "added": { "resources": after.iter().filter(|u| !before.contains(u)).collect::<Vec<_>>() },
            "removed": { "resources": before.iter().filter(|u| !after.contains(u)).collect::<Vec<_>>() },
            "old": { "name": old.name },
            "new": { "name": group.name },
        });
        let audit = self.audit_by(permit, AuditKind::ResourceGroupModified, details);
        let record = Record::new(audit).event(self.policies_event(permit.account()));
        self.commit(tx, record).await?;
        self.reload_policies(permit.account()).await?;
        Ok(group)
    }

    /// Deletes a group no policy names (a policy naming it would silently lose its resources).
    pub async fn delete_resource_group(&self, permit: &Permit, id: ResourceGroupId) -> Result<()> {
        let old = self.resource_group(permit, id).await?;
        if old.read_only {
            return Err(Error::forbidden(permit.action()));
        }
        let urn = id.urn(&self.config.plate);
        let policies = self.store.list_policies(permit.account()).await?;
        if let Some(p) = policies
            .iter()
            .find(|p| p.resources.iter().any(|r| r.as_str() == urn.as_str()))
        {
            return Err(Error::Conflict(format!(
                "the resource group is named by policy {} ({}); take it out of the policy first",
                p.name, p.id
            )));
        }
        let registered = self.store.list_resources(permit.account()).await?;
        let removed = Self::urns_of(&registered, &old.members);
        let mut tx = self.begin().await?;
        let old = tx.delete_resource_group(permit.account(), id).await?;
        let details = json!({
            "resourceGroupId": old.id.to_string(),
            "resourceGroupName": old.name,
            "removed": { "resources": removed },
            "old": { "name": old.name },
        });
        let audit = self.audit_by(permit, AuditKind::ResourceGroupDeleted, details);
        let record = Record::new(audit).event(self.policies_event(permit.account()));
        self.commit(tx, record).await?;
        self.reload_policies(permit.account()).await
    }

    /// Refuses a policy draft naming a resource group the account does not have.
    pub(super) async fn check_policy_groups(
        &self,
        permit: &Permit,
        draft: &crate::policy::PolicyDraft,
    ) -> Result<()> {
        for r in &draft.resources {
            if !crate::urn::is_resource_group_urn(r.as_str()) {
                continue;
            }
            let known = r
                .as_str()
                .rsplit(':')
                .next()
                .and_then(|id| id.parse::<ResourceGroupId>().ok())
                .filter(|id| id.urn(&self.config.plate).as_str() == r.as_str());
            let exists = match known {
                Some(id) => self
                    .store
                    .resource_group(permit.account(), id)
                    .await?
                    .is_some(),
                None => false,
            };
            if !exists {
                return Err(Error::invalid(format!(
                    "resources names {r}, which is not a resource group of the account"
                )));
            }
        }
        Ok(())
    }
}
