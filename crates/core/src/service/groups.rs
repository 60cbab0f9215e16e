//! Groups of local users. The default groups made with the account cannot change.

use crate::audit::{AuditKind, details};
use crate::authz::Permit;
use crate::model::{Group, Role};
use crate::names::{Description, GroupName};
use crate::service::Ends;
use crate::store::Transaction;
use crate::store::{GroupChanges, NewGroup, NewRevocation, Record, RevocationKind};
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
        let mut tx = self.begin().await?;
        let group = tx.create_group(permit.account(), new).await?;
        let audit = self.audit_by(
            permit,
            AuditKind::GroupCreated,
            details::group_change(None, Some(&group)),
        );
        self.commit(tx, Record::new(audit)).await?;
        Ok(group)
    }

    /// The event of a change to a group's name or role.
    async fn group_event(&self, permit: &Permit, name: &GroupName) -> NewRevocation {
        self.event(
            RevocationKind::Group,
            format!("{}/{name}", permit.account()),
            Some(permit.account()),
            Ends::Group(name),
        )
        .await
    }

    pub async fn list_groups(&self, permit: &Permit) -> Result<Vec<GroupName>> {
        self.store.list_groups(permit.account()).await
    }

    /// Every group of the account with its fields, in one read (the console's table).
    pub async fn account_groups(&self, permit: &Permit) -> Result<Vec<Group>> {
        self.store.groups_of(permit.account()).await
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
        let mut tx = self.begin().await?;
        let group = tx
            .update_group(permit.account(), name, changes, self.clock.now())
            .await?;
        let audit = self.audit_by(
            permit,
            AuditKind::GroupModified,
            details::group_change(Some(&current), Some(&group)),
        );
        // The account's snapshot holds its groups' names and roles for their Keystone members.
        let mut record = Record::new(audit)
            .event(self.group_event(permit, name).await)
            .event(self.keystone_event(permit.account()));
        let renamed = group.name != *name;
        if renamed && let Some(account) = self.cached_account(permit.account()).await? {
            let plate = &self.config.plate;
            let urns = (
                &Urn::group(plate, &account.nic, name),
                &Urn::group(plate, &account.nic, &group.name),
            );
            record = self.policies_follow(&mut *tx, permit, urns, record).await?;
        }
        self.commit(tx, record).await?;
        self.cache.forget_group(permit.account(), name);
        self.keystone_account_changed(permit.account()).await?;
        if renamed {
            self.reload_policies(permit.account()).await?;
        }
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
        let mut tx = self.begin().await?;
        tx.delete_group(permit.account(), name).await?;
        let actor = crate::keystone::Actor::Group(name.clone());
        let others = self
            .revoke_actor(&mut *tx, permit.account(), &actor)
            .await?;
        let audit = self.audit_by(
            permit,
            AuditKind::GroupDeleted,
            details::group_change(Some(&current), None),
        );
        let record = Record::new(audit)
            .event(self.group_event(permit, name).await)
            .events(self.keystone_events(permit.account(), &others));
        self.commit(tx, record).await?;
        self.cache.forget_group(permit.account(), name);
        self.keystone_accounts_changed(permit.account(), &others)
            .await
    }

    /// After a rename, in its transaction: the account's IAM policies that name the old URN
    /// exactly name the new one, so the renamed identity keeps what it was allowed and stays
    /// denied what it was denied. Patterns with wildcards are left as their author wrote them.
    /// Adds each policy it changes (`POLICY_MODIFIED`) and the event to the rename's `record`;
    /// the caller reloads the account's policies once it has committed.
    pub(super) async fn policies_follow(
        &self,
        tx: &mut dyn Transaction,
        permit: &Permit,
        (old, new): (&Urn, &Urn),
        mut record: Record,
    ) -> Result<Record> {
        let account = permit.account();
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
                identities,
                ..policy.draft()
            };
            let replaced = tx
                .replace_policy(account, policy.id, draft, self.clock.now())
                .await?;
            let details = crate::audit::details::policy_change(Some(&policy), Some(&replaced));
            record = record.and(self.audit_by(permit, AuditKind::PolicyModified, details));
            changed = true;
        }
        Ok(if changed {
            record.event(self.policies_event(account))
        } else {
            record
        })
    }
}
