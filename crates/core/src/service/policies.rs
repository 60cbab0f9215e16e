//! IAM policies: their management, the per-account indexes decisions read, and the checks
//! callers may ask for.
//!
//! Every account's policies are compiled into a [`PolicySet`] at start. A change made on this
//! node rebuilds its account's set before the change is answered, so the very next request is
//! decided by it; other nodes rebuild when they apply the `policies` revocation event (within a
//! second). Rebuilds are serialised, and each reads the account's policies as they are when it
//! runs, so the set left in place is never older than the last change.

use std::collections::HashMap;
use std::sync::Arc;

use crate::audit::{AuditKind, details};
use crate::authz::{self, Permit, Principal};
use crate::model::AccountId;
use crate::policy::index::{GroupMembers, Groups};
use crate::policy::{ActionPattern, Policy, PolicyDraft, PolicyId, PolicySet};
use crate::resource::{Resource, ResourceGroup, ResourceId};
use crate::store::Transaction;
use crate::store::{NewPolicy, NewRevocation, Record, RevocationKind};
use crate::urn::Urn;
use crate::{Error, Result};

use super::Directory;

/// Which policies a listing keeps. An empty list keeps everything; values are compared with
/// what policies name, exactly.
#[derive(Debug, Clone, Default)]
pub struct PolicyFilter {
    pub identities: Vec<String>,
    pub resources: Vec<String>,
    pub actions: Vec<String>,
    pub read_only: Option<bool>,
}

impl PolicyFilter {
    fn keeps(&self, p: &Policy) -> bool {
        let perms = &p.permissions;
        let actions = perms.allow.iter().chain(&perms.except).chain(&perms.deny);
        names_any(&self.identities, p.identities.iter().map(|i| i.as_str()))
            && names_any(&self.resources, p.resources.iter().map(|r| r.as_str()))
            && names_any(&self.actions, actions.map(ActionPattern::as_str))
            && self.read_only.is_none_or(|r| r == p.read_only)
    }
}

/// The URNs of each group's resources, by account and group URN.
fn group_members(
    groups: Vec<ResourceGroup>,
    resources: Vec<Resource>,
    plate: &crate::names::Plate,
) -> HashMap<AccountId, GroupMembers> {
    let urns: HashMap<ResourceId, String> = resources
        .into_iter()
        .map(|r| (r.id, r.urn.as_str().to_owned()))
        .collect();
    let mut out: HashMap<AccountId, GroupMembers> = HashMap::new();
    for g in groups {
        let members = g
            .members
            .iter()
            .filter_map(|id| urns.get(id).cloned())
            .collect();
        out.entry(g.account_id)
            .or_default()
            .insert(g.id.urn(plate).as_str().to_owned(), members);
    }
    out
}

/// Whether `named` holds one of `wanted` (or nothing is wanted).
fn names_any<'a>(wanted: &[String], mut named: impl Iterator<Item = &'a str>) -> bool {
    wanted.is_empty() || named.any(|n| wanted.iter().any(|w| w == n))
}

/// The answer to an authorisation check: the asked actions, split.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckOutcome {
    pub authorized: Vec<String>,
    pub unauthorized: Vec<String>,
}

impl Directory {
    /// The account's compiled policies, if it has any.
    pub(super) fn policy_set(&self, account: AccountId) -> Option<Arc<PolicySet>> {
        self.policies
            .get(&account)
            .map(|set| Arc::clone(set.value()))
    }

    /// Compiles every account's policies; called once at start.
    pub async fn init_policies(&self) -> Result<()> {
        let _serial = self.policy_reload.lock().await;
        let mut by_account: HashMap<AccountId, Vec<Policy>> = HashMap::new();
        for policy in self.store.all_policies().await? {
            by_account
                .entry(policy.account_id)
                .or_default()
                .push(policy);
        }
        let mut members = group_members(
            self.store.all_resource_groups().await?,
            self.store.all_resources().await?,
            &self.config.plate,
        );
        let mut own: HashMap<AccountId, Vec<_>> = HashMap::new();
        for g in self.store.all_permissions_groups().await? {
            if let crate::policy::permissions_group::GroupOwner::Account(a) = g.owner {
                own.entry(a).or_default().push(g);
            }
        }
        let nics: HashMap<AccountId, crate::names::Nic> = if own.is_empty() {
            HashMap::new()
        } else {
            let accounts = self.store.list_accounts().await?;
            accounts.into_iter().map(|a| (a.id, a.nic)).collect()
        };
        self.policies.clear();
        for (account, policies) in by_account {
            let groups = Groups {
                resources: members.remove(&account).unwrap_or_default(),
                permissions: super::permissions_groups::group_permissions(
                    &self.config.plate,
                    nics.get(&account),
                    own.remove(&account).unwrap_or_default(),
                ),
            };
            self.policies
                .insert(account, Arc::new(PolicySet::build_with(&policies, &groups)));
        }
        Ok(())
    }

    /// Compiles one account's policies again from the store, with its resource groups.
    pub(super) async fn reload_policies(&self, account: AccountId) -> Result<()> {
        let _serial = self.policy_reload.lock().await;
        let policies = self.store.list_policies(account).await?;
        if policies.is_empty() {
            self.policies.remove(&account);
            return Ok(());
        }
        let groups = self.store.list_resource_groups(account).await?;
        let resources = if groups.is_empty() {
            GroupMembers::default()
        } else {
            let resources = self.store.list_resources(account).await?;
            group_members(groups, resources, &self.config.plate)
                .remove(&account)
                .unwrap_or_default()
        };
        let permissions = if policies.iter().any(|p| !p.permissions_groups.is_empty()) {
            self.account_group_permissions(account).await?
        } else {
            Default::default()
        };
        let groups = Groups {
            resources,
            permissions,
        };
        self.policies
            .insert(account, Arc::new(PolicySet::build_with(&policies, &groups)));
        Ok(())
    }

    /// The event of a change to an account's policies: the other nodes rebuild its index when
    /// they apply it; this node rebuilds once the change has committed, before answering.
    pub(super) fn policies_event(&self, account: AccountId) -> NewRevocation {
        NewRevocation {
            kind: RevocationKind::Policies,
            subject: account.0.to_string(),
            account: Some(account),
            identity: None,
            at: self.clock.now(),
        }
    }

    /// Commits a policy change with its record, then decides with it here.
    async fn commit_policies(
        &self,
        tx: Box<dyn Transaction>,
        permit: &Permit,
        kind: AuditKind,
        old: Option<&Policy>,
        new: Option<&Policy>,
    ) -> Result<()> {
        let audit = self.audit_by(permit, kind, details::policy_change(old, new));
        let record = Record::new(audit).event(self.policies_event(permit.account()));
        self.commit(tx, record).await?;
        self.reload_policies(permit.account()).await
    }

    pub async fn create_policy(&self, permit: &Permit, mut draft: PolicyDraft) -> Result<Policy> {
        draft.validate()?;
        self.check_policy_groups(permit, &draft).await?;
        self.check_policy_permissions_groups(permit, &mut draft)
            .await?;
        let new = NewPolicy {
            id: PolicyId::random(),
            draft,
            read_only: false,
            now: self.clock.now(),
        };
        let mut tx = self.begin().await?;
        let policy = tx.create_policy(permit.account(), new).await?;
        self.commit_policies(tx, permit, AuditKind::PolicyCreated, None, Some(&policy))
            .await?;
        Ok(policy)
    }

    pub async fn policy(&self, permit: &Permit, id: PolicyId) -> Result<Policy> {
        self.store
            .policy(permit.account(), id)
            .await?
            .ok_or_else(|| Error::not_found(format!("policy {id} does not exist")))
    }

    /// The account's policies that `filter` keeps, oldest first.
    pub async fn list_policies(
        &self,
        permit: &Permit,
        filter: &PolicyFilter,
    ) -> Result<Vec<Policy>> {
        let mut policies = self.store.list_policies(permit.account()).await?;
        policies.retain(|p| filter.keeps(p));
        Ok(policies)
    }

    /// Replaces a policy's content. Managed (read-only) policies cannot be changed.
    pub async fn replace_policy(
        &self,
        permit: &Permit,
        id: PolicyId,
        mut draft: PolicyDraft,
    ) -> Result<Policy> {
        draft.validate()?;
        self.check_policy_groups(permit, &draft).await?;
        self.check_policy_permissions_groups(permit, &mut draft)
            .await?;
        let old = self.writable_policy(permit, id).await?;
        let mut tx = self.begin().await?;
        let policy = tx
            .replace_policy(permit.account(), id, draft, self.clock.now())
            .await?;
        self.commit_policies(
            tx,
            permit,
            AuditKind::PolicyModified,
            Some(&old),
            Some(&policy),
        )
        .await?;
        Ok(policy)
    }

    pub async fn delete_policy(&self, permit: &Permit, id: PolicyId) -> Result<()> {
        self.writable_policy(permit, id).await?;
        let mut tx = self.begin().await?;
        let old = tx.delete_policy(permit.account(), id).await?;
        self.commit_policies(tx, permit, AuditKind::PolicyDeleted, Some(&old), None)
            .await
    }

    /// The policy, unless the installation manages it (read-only policies cannot change).
    async fn writable_policy(&self, permit: &Permit, id: PolicyId) -> Result<Policy> {
        let policy = self.policy(permit, id).await?;
        if policy.read_only {
            return Err(Error::forbidden(permit.action()));
        }
        Ok(policy)
    }

    /// How many policies name `identity` exactly.
    pub fn attached_policies(&self, permit: &Permit, identity: &Urn) -> usize {
        self.policy_set(permit.account())
            .map_or(0, |set| set.attached_to(identity.as_str()))
    }

    /// Which of `actions` the caller may perform on `resource`, from the address `ip` (the
    /// caller's own, or the one a guard relays for it). Each action must be a full action name
    /// (no glob).
    pub fn check_actions(
        &self,
        who: &Principal,
        resource: &Urn,
        actions: &[String],
        ip: Option<std::net::IpAddr>,
    ) -> Result<CheckOutcome> {
        for action in actions {
            if !ActionPattern::parse(action)?.is_exact() {
                return Err(Error::invalid(format!(
                    "{action:?} is a pattern; a check names actions in full"
                )));
            }
        }
        let set = self.policy_set(who.account.id);
        let (owner, registered) = self.ownership(who, resource);
        let facts = crate::policy::Facts {
            now: self.clock.now(),
            ip,
            resource: registered.as_deref().map_or_else(
                || crate::policy::ResourceFacts::of_urn(resource.as_str()),
                crate::resource::Resource::facts,
            ),
        };
        let mut outcome = CheckOutcome::default();
        for action in actions {
            let operator_only = authz::all_actions().any(|a| a.name == action && a.operator_only);
            let allowed = authz::allows(
                set.as_deref(),
                &self.config.plate,
                who,
                action,
                operator_only,
                resource,
                owner,
                &facts,
            );
            if allowed {
                outcome.authorized.push(action.clone());
            } else {
                outcome.unauthorized.push(action.clone());
            }
        }
        Ok(outcome)
    }
}
