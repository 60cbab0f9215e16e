//! Keystone group memberships beside a user's IAM group (ADR 0007). A user is in exactly one
//! IAM group (the one /1.0 shows, `DEFAULT` unless chosen, which Keystone sees as no group) and
//! in any number of groups through Keystone, of its own domain or another. It holds the grants of all of them; in its own
//! account a Keystone group's URN and role count for IAM as its IAM group's do.

use std::sync::Arc;

use crate::audit::AuditKind;
use crate::authz::Permit;
use crate::model::{Group, User};
use crate::store::Transaction;
use crate::store::{Record, RevocationKind};
use crate::{Error, Result};

use super::super::{Directory, Ends};

impl Directory {
    /// Whether `user` is in `group`: as its IAM group or through Keystone.
    pub async fn is_member(&self, group: &Group, user: &User) -> Result<bool> {
        if self.in_iam_group(group, user) {
            return Ok(true);
        }
        let tenancy = self.tenancy(group.account_id).await?;
        Ok(tenancy
            .groups_of(user.id)
            .iter()
            .any(|(name, _)| *name == group.name))
    }

    /// Whether `group` is the user's IAM group, other than `DEFAULT` (Keystone's "no group").
    pub fn in_iam_group(&self, group: &Group, user: &User) -> bool {
        user.account_id == group.account_id && user.keystone_group() == Some(&group.name)
    }

    /// Adds `user` to `group` through Keystone (nothing when it is already a member). `permit`
    /// is for the group's account; the caller checked that it may see the user.
    pub async fn add_keystone_member(
        &self,
        permit: &Permit,
        group: &Group,
        user: &User,
    ) -> Result<()> {
        in_account(permit, group)?;
        if self.is_member(group, user).await? {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        tx.add_membership(group.id, user.id).await?;
        self.commit_membership(tx, permit, AuditKind::GroupMemberAdded, group, user)
            .await
    }

    /// Removes a Keystone membership; `NotFound` when there is none (the IAM group is left to
    /// the caller, which returns the user to `DEFAULT`).
    pub async fn remove_keystone_member(
        &self,
        permit: &Permit,
        group: &Group,
        user: &User,
    ) -> Result<()> {
        in_account(permit, group)?;
        let mut tx = self.begin().await?;
        if !tx.remove_membership(group.id, user.id).await? {
            return Err(Error::not_found("The user is not a member of the group."));
        }
        self.commit_membership(tx, permit, AuditKind::GroupMemberRemoved, group, user)
            .await
    }

    /// Every member of `group`: its IAM members and its Keystone members (of any account).
    pub async fn members(&self, permit: &Permit, group: &Group) -> Result<Vec<Arc<User>>> {
        in_account(permit, group)?;
        let mut out: Vec<Arc<User>> = self
            .users_of(permit)
            .await?
            .into_iter()
            .filter(|u| u.keystone_group() == Some(&group.name))
            .collect();
        let tenancy = self.tenancy(group.account_id).await?;
        for id in tenancy.members_of(&group.name) {
            if let Some(user) = self.cached_user(id).await? {
                out.push(user);
            }
        }
        Ok(out)
    }

    /// Every group of `user`: its IAM group, then its Keystone groups (of any account).
    pub async fn groups_of(&self, user: &User) -> Result<Vec<Group>> {
        let mut out = Vec::new();
        if let Some(name) = user.keystone_group()
            && let Some(own) = self.store.group(user.account_id, name).await?
        {
            out.push(own);
        }
        out.extend(self.store.memberships_of(user.id).await?);
        Ok(out)
    }

    /// Commits a membership change with its record: the group's account reloads its snapshot
    /// (tokens), and the user's rights in its own account (IAM) change.
    async fn commit_membership(
        &self,
        tx: Box<dyn Transaction>,
        permit: &Permit,
        kind: AuditKind,
        group: &Group,
        user: &User,
    ) -> Result<()> {
        let details = serde_json::json!({
            "group": group.name.as_str(),
            "user": user.login.as_str(),
            "userAccount": user.account_id.0,
        });
        let mut record = Record::new(self.audit_by(permit, kind, details))
            .event(self.keystone_event(group.account_id));
        let own = group.account_id == user.account_id;
        if own {
            let event = self
                .event(
                    RevocationKind::User,
                    user.id.to_string(),
                    Some(user.account_id),
                    Ends::User(&user.login),
                )
                .await;
            record = record.event(event);
        }
        self.commit(tx, record).await?;
        self.keystone_account_changed(group.account_id).await?;
        if own {
            self.cache.forget_user(user.id, &[]);
        }
        Ok(())
    }
}

fn in_account(permit: &Permit, group: &Group) -> Result<()> {
    if permit.account() == group.account_id {
        Ok(())
    } else {
        Err(Error::forbidden(permit.action()))
    }
}
