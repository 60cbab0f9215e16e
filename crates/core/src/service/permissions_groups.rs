//! Permissions groups: the account's own (created, replaced, deleted here) and the
//! installation's managed ones (read-only), which policies name by URN. A change rebuilds the
//! account's policy index (here before it is answered, on the other nodes through the `policies`
//! event). A group a policy names cannot be deleted or renamed: its URN would then name nothing,
//! and the policy would silently lose what the group allows and denies.

use serde_json::{Value, json};

use crate::audit::AuditKind;
use crate::authz::Permit;
use crate::model::{Account, AccountId};
use crate::names::Plate;
use crate::policy::index::GroupPermissions;
use crate::policy::permissions_group::{
    self, GroupOwner, GroupRef, PermissionsGroup, PermissionsGroupDraft, PermissionsGroupId,
};
use crate::policy::{Policy, PolicyDraft};
use crate::store::Record;
use crate::{Error, Result};

use super::Directory;

/// The permissions of the managed groups and of `own` (the account's, whose nic is `nic`), by
/// URN, for the policy index.
pub(super) fn group_permissions(
    plate: &Plate,
    nic: Option<&crate::names::Nic>,
    own: Vec<PermissionsGroup>,
) -> GroupPermissions {
    let managed = permissions_group::managed().iter().map(|g| {
        (
            permissions_group::urn(plate, permissions_group::MANAGED_OWNER, &g.name),
            g.permissions.clone(),
        )
    });
    let mut out: GroupPermissions = managed.collect();
    if let Some(nic) = nic {
        out.extend(own.into_iter().map(|g| (g.urn(plate, nic), g.permissions)));
    }
    out
}

fn group_details(g: &PermissionsGroup) -> Value {
    json!({
        "name": g.name.as_str(),
        "description": g.description.as_str(),
        "permissions": permissions_group::permissions_value(&g.permissions),
    })
}

/// The first policy of `policies` naming `urn` among its permissions groups.
fn naming<'a>(policies: &'a [Policy], urn: &str) -> Option<&'a Policy> {
    policies
        .iter()
        .find(|p| p.permissions_groups.iter().any(|g| g == urn))
}

impl Directory {
    /// The managed groups, then the account's own, oldest first.
    pub async fn list_permissions_groups(&self, permit: &Permit) -> Result<Vec<PermissionsGroup>> {
        let mut out = permissions_group::managed().to_vec();
        out.extend(self.store.list_permissions_groups(permit.account()).await?);
        Ok(out)
    }

    /// The group `urn` names: a managed one, or one of the account's (whose nic is
    /// `account.nic`); another account's is not found.
    pub async fn permissions_group(
        &self,
        permit: &Permit,
        account: &Account,
        urn: &str,
    ) -> Result<PermissionsGroup> {
        let not_found = || Error::not_found(format!("permissions group {urn} does not exist"));
        match permissions_group::parse_urn(&self.config.plate, urn)? {
            GroupRef::Managed(name) => permissions_group::managed_named(&name)
                .cloned()
                .ok_or_else(not_found),
            GroupRef::Account { owner, name } if owner == account.nic => self
                .store
                .permissions_group(permit.account(), &name)
                .await?
                .ok_or_else(not_found),
            GroupRef::Account { .. } => Err(not_found()),
        }
    }

    /// The account's own group `urn` names, for a change: a managed one is refused.
    async fn writable_permissions_group(
        &self,
        permit: &Permit,
        account: &Account,
        urn: &str,
    ) -> Result<PermissionsGroup> {
        let group = self.permissions_group(permit, account, urn).await?;
        if group.read_only() {
            return Err(Error::forbidden(permit.action()));
        }
        Ok(group)
    }

    pub async fn create_permissions_group(
        &self,
        permit: &Permit,
        draft: PermissionsGroupDraft,
    ) -> Result<PermissionsGroup> {
        draft.validate()?;
        let now = self.clock.now();
        let group = PermissionsGroup {
            id: PermissionsGroupId::random(),
            owner: GroupOwner::Account(permit.account()),
            name: draft.name,
            description: draft.description,
            permissions: draft.permissions,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.begin().await?;
        let group = tx.create_permissions_group(&group).await?;
        let details = json!({
            "permissionsGroupId": group.id.to_string(),
            "new": group_details(&group),
        });
        let audit = self.audit_by(permit, AuditKind::PermissionsGroupCreated, details);
        // No policy can name a group before it exists: no index to rebuild.
        self.commit(tx, Record::new(audit)).await?;
        Ok(group)
    }

    /// Replaces a group's name, description and permissions; a group a policy names keeps its
    /// name (its URN).
    pub async fn replace_permissions_group(
        &self,
        permit: &Permit,
        account: &Account,
        urn: &str,
        draft: PermissionsGroupDraft,
    ) -> Result<PermissionsGroup> {
        draft.validate()?;
        let old = self
            .writable_permissions_group(permit, account, urn)
            .await?;
        if draft.name != old.name {
            let policies = self.store.list_policies(permit.account()).await?;
            if let Some(p) = naming(&policies, &old.urn(&self.config.plate, &account.nic)) {
                return Err(Error::Conflict(format!(
                    "the permissions group is named by policy {} ({}); a rename would change its \
                     URN: take it out of the policy first",
                    p.name, p.id
                )));
            }
        }
        let mut tx = self.begin().await?;
        let group = tx
            .replace_permissions_group(permit.account(), &old.name, &draft, self.clock.now())
            .await?;
        let details = json!({
            "permissionsGroupId": group.id.to_string(),
            "old": group_details(&old),
            "new": group_details(&group),
        });
        let audit = self.audit_by(permit, AuditKind::PermissionsGroupModified, details);
        let record = Record::new(audit).event(self.policies_event(permit.account()));
        self.commit(tx, record).await?;
        self.reload_policies(permit.account()).await?;
        Ok(group)
    }

    /// Deletes a group no policy names.
    pub async fn delete_permissions_group(
        &self,
        permit: &Permit,
        account: &Account,
        urn: &str,
    ) -> Result<()> {
        let old = self
            .writable_permissions_group(permit, account, urn)
            .await?;
        let policies = self.store.list_policies(permit.account()).await?;
        if let Some(p) = naming(&policies, &old.urn(&self.config.plate, &account.nic)) {
            return Err(Error::Conflict(format!(
                "the permissions group is named by policy {} ({}); take it out of the policy first",
                p.name, p.id
            )));
        }
        let mut tx = self.begin().await?;
        let old = tx
            .delete_permissions_group(permit.account(), &old.name)
            .await?;
        let details = json!({
            "permissionsGroupId": old.id.to_string(),
            "old": group_details(&old),
        });
        let audit = self.audit_by(permit, AuditKind::PermissionsGroupDeleted, details);
        self.commit(tx, Record::new(audit)).await
    }

    /// Refuses a policy draft naming a permissions group that is neither managed nor the
    /// account's, or naming one twice; writes each URN as the group's own (the index finds
    /// groups by it), whatever case the owner was given in.
    pub(super) async fn check_policy_permissions_groups(
        &self,
        permit: &Permit,
        draft: &mut PolicyDraft,
    ) -> Result<()> {
        if draft.permissions_groups.is_empty() {
            return Ok(());
        }
        let account = self
            .cached_account(permit.account())
            .await?
            .ok_or_else(|| Error::not_found("the account does not exist"))?;
        let mut canonical: Vec<String> = Vec::with_capacity(draft.permissions_groups.len());
        for urn in &draft.permissions_groups {
            let group = match self.permissions_group(permit, &account, urn).await {
                Ok(group) => group,
                Err(Error::NotFound(_)) => {
                    return Err(Error::invalid(format!(
                        "permissionsGroups names {urn}, which is not a permissions group of the \
                         account or of the installation"
                    )));
                }
                Err(e) => return Err(e),
            };
            let own = group.urn(&self.config.plate, &account.nic);
            if canonical.contains(&own) {
                return Err(Error::invalid(format!(
                    "permissionsGroups names {own} twice"
                )));
            }
            canonical.push(own);
        }
        draft.permissions_groups = canonical;
        Ok(())
    }

    /// The permissions of every group an account's policies may name, for its index.
    pub(super) async fn account_group_permissions(
        &self,
        account: AccountId,
    ) -> Result<GroupPermissions> {
        let own = self.store.list_permissions_groups(account).await?;
        let nic = if own.is_empty() {
            None
        } else {
            self.cached_account(account).await?.map(|a| a.nic.clone())
        };
        Ok(group_permissions(&self.config.plate, nic.as_ref(), own))
    }
}
