//! Groups of local users. The default groups made with the account cannot change.

use crate::authz::Permit;
use crate::model::{Group, Role};
use crate::names::{Description, GroupName};
use crate::service::Ends;
use crate::store::{GroupChanges, NewGroup, RevocationKind};
use crate::{Error, Result};

use super::Directory;

impl Directory {
    pub async fn create_group(
        &self,
        permit: &Permit,
        name: GroupName,
        role: Role,
        description: Description,
    ) -> Result<Group> {
        let new = NewGroup {
            name,
            role,
            description,
            now: self.clock.now(),
        };
        self.store.create_group(permit.account(), new).await
    }

    pub async fn list_groups(&self, permit: &Permit) -> Result<Vec<GroupName>> {
        self.store.list_groups(permit.account()).await
    }

    pub async fn group(&self, permit: &Permit, name: &GroupName) -> Result<Group> {
        self.store
            .group(permit.account(), name)
            .await?
            .ok_or_else(|| Error::not_found(format!("group {name} does not exist")))
    }

    pub async fn update_group(
        &self,
        permit: &Permit,
        name: &GroupName,
        changes: GroupChanges,
    ) -> Result<Group> {
        let current = self.group(permit, name).await?;
        if current.default_group {
            return Err(Error::invalid(format!(
                "{name} is a default group and cannot be edited"
            )));
        }
        let group = self
            .store
            .update_group(permit.account(), name, changes, self.clock.now())
            .await?;
        if group.name != *name {
            self.policies_follow_group(permit.account(), name, &group.name)
                .await?;
        }
        // The account's snapshot holds its groups' names and roles for their Keystone members.
        self.keystone_account_changed(permit.account()).await?;
        self.cache.forget_group(permit.account(), name);
        self.announce(
            RevocationKind::Group,
            format!("{}/{name}", permit.account()),
            Some(permit.account()),
            Ends::Group(name),
        )
        .await;
        Ok(group)
    }

    /// Refused while users belong to the group.
    pub async fn delete_group(&self, permit: &Permit, name: &GroupName) -> Result<()> {
        let current = self.group(permit, name).await?;
        if current.default_group {
            return Err(Error::invalid(format!(
                "{name} is a default group and cannot be deleted"
            )));
        }
        self.store.delete_group(permit.account(), name).await?;
        self.cache.forget_group(permit.account(), name);
        self.announce(
            RevocationKind::Group,
            format!("{}/{name}", permit.account()),
            Some(permit.account()),
            Ends::Group(name),
        )
        .await;
        self.forget_actor(
            permit.account(),
            crate::keystone::Actor::Group(name.clone()),
        )
        .await
    }

    /// After a rename: the account's IAM policies that name the group by its URN name it by its
    /// new one, so its members keep what they were allowed and stay denied what they were
    /// denied. Patterns with wildcards are left as their author wrote them.
    async fn policies_follow_group(
        &self,
        account: crate::model::AccountId,
        old: &GroupName,
        new: &GroupName,
    ) -> Result<()> {
        let Some(nic) = self.cached_account(account).await?.map(|a| a.nic.clone()) else {
            return Ok(());
        };
        let plate = &self.config.plate;
        let old_urn = crate::urn::Urn::group(plate, &nic, old);
        let new_urn = crate::urn::Urn::group(plate, &nic, new);
        let new_pattern = crate::policy::UrnPattern::identity(new_urn.as_str())?;
        let mut changed = false;
        for policy in self.store.list_policies(account).await? {
            if !policy
                .identities
                .iter()
                .any(|p| p.as_str() == old_urn.as_str())
            {
                continue;
            }
            let identities = policy
                .identities
                .iter()
                .map(|p| {
                    if p.as_str() == old_urn.as_str() {
                        new_pattern.clone()
                    } else {
                        p.clone()
                    }
                })
                .collect();
            let draft = crate::policy::PolicyDraft {
                name: policy.name,
                description: policy.description,
                identities,
                resources: policy.resources,
                permissions: policy.permissions,
                expired_at: policy.expired_at,
            };
            self.store
                .replace_policy(account, policy.id, draft, self.clock.now())
                .await?;
            changed = true;
        }
        if changed {
            self.policies_changed(account).await?;
        }
        Ok(())
    }
}
