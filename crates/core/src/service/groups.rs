//! Groups of local users. The default groups made with the account cannot change.

use crate::authz::Permit;
use crate::model::{Group, Role};
use crate::names::{Description, GroupName};
use crate::service::Ends;
use crate::store::{GroupChanges, NewGroup, RevocationKind};
use crate::urn::Urn;
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
        if group.name != *name
            && let Some(account) = self.cached_account(permit.account()).await?
        {
            let plate = &self.config.plate;
            self.policies_follow(
                permit.account(),
                &Urn::group(plate, &account.nic, name),
                &Urn::group(plate, &account.nic, &group.name),
            )
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

    /// After a rename: the account's IAM policies that name the old URN exactly name the new
    /// one, so the renamed identity keeps what it was allowed and stays denied what it was
    /// denied. Patterns with wildcards are left as their author wrote them.
    pub(super) async fn policies_follow(
        &self,
        account: crate::model::AccountId,
        old: &Urn,
        new: &Urn,
    ) -> Result<()> {
        let new_pattern = crate::policy::UrnPattern::identity(new.as_str())?;
        let mut changed = false;
        for policy in self.store.list_policies(account).await? {
            if !policy.identities.iter().any(|p| p.as_str() == old.as_str()) {
                continue;
            }
            let identities = policy
                .identities
                .iter()
                .map(|p| {
                    if p.as_str() == old.as_str() {
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
