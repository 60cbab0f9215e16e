//! IAM resources: what product back ends register for accounts (through the operator's
//! `latchkey:iam/resource/manage`), their tags, and the in-memory index every decision reads
//! them from.
//!
//! The index holds every registered resource by URN, so a decision learns in one lookup whose a
//! resource is and what its tags say, never with a query. A change made on this node updates its
//! index before it is answered; other nodes reload the account's resources when they apply the
//! `resources` event (within a second).

use std::sync::Arc;

use dashmap::DashMap;
use serde_json::json;

use crate::audit::AuditKind;
use crate::authz::{self, Ownership, Permit, Principal};
use crate::model::{Account, AccountId};
use crate::names::Nic;
use crate::resource::{DeclaredAction, Registration, Resource, ResourceId, Tags, check_tag};
use crate::store::{NewRevocation, Record, RevocationKind};
use crate::urn::Urn;
use crate::{Error, Result};

use super::Directory;

/// Every registered resource, by URN, with the URNs of each account beside.
#[derive(Debug, Default)]
pub(crate) struct ResourceIndex {
    by_urn: DashMap<Box<str>, Arc<Resource>>,
    by_account: DashMap<AccountId, Vec<Box<str>>>,
    reload: tokio::sync::Mutex<()>,
}

impl ResourceIndex {
    fn replace_account(&self, account: AccountId, resources: Vec<Resource>) {
        if let Some((_, old)) = self.by_account.remove(&account) {
            for urn in old {
                self.by_urn.remove(&urn);
            }
        }
        let urns: Vec<Box<str>> = resources.iter().map(|r| r.urn.as_str().into()).collect();
        for r in resources {
            self.by_urn.insert(r.urn.as_str().into(), Arc::new(r));
        }
        if !urns.is_empty() {
            self.by_account.insert(account, urns);
        }
    }
}

/// How a tag filter compares (OVHcloud's `iam.resource.TagFilter.OperatorEnum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagOperator {
    Eq,
    Neq,
    /// SQL's `LIKE`: `%` any run of characters, `_` any one.
    Like,
    /// `LIKE` without regard to ASCII case.
    Ilike,
    Exists,
    Nexists,
}

impl TagOperator {
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "EQ" => TagOperator::Eq,
            "NEQ" => TagOperator::Neq,
            "LIKE" => TagOperator::Like,
            "ILIKE" => TagOperator::Ilike,
            "EXISTS" => TagOperator::Exists,
            "NEXISTS" => TagOperator::Nexists,
            other => {
                return Err(Error::invalid(format!(
                    "{other:?} is not a tag operator: EQ, NEQ, LIKE, ILIKE, EXISTS or NEXISTS"
                )));
            }
        })
    }
}

/// One tag filter: the key, how, and the value compared with (none for `EXISTS`/`NEXISTS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFilter {
    pub key: String,
    pub operator: TagOperator,
    pub value: String,
}

impl TagFilter {
    fn keeps(&self, tags: &Tags) -> bool {
        let v = tags.get(&self.key);
        match self.operator {
            TagOperator::Exists => v.is_some(),
            TagOperator::Nexists => v.is_none(),
            TagOperator::Eq => v.is_some_and(|v| *v == self.value),
            TagOperator::Neq => v.is_none_or(|v| *v != self.value),
            TagOperator::Like => v.is_some_and(|v| like(self.value.as_bytes(), v.as_bytes())),
            TagOperator::Ilike => v.is_some_and(|v| {
                like(
                    self.value.to_ascii_lowercase().as_bytes(),
                    v.to_ascii_lowercase().as_bytes(),
                )
            }),
        }
    }
}

/// SQL `LIKE`: `%` matches any run, `_` any one byte (tags are ASCII).
fn like(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'_' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'%' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == b'%')
}

/// Which resources a listing keeps: each list keeps what it names (none named: all), and every
/// tag filter must hold.
#[derive(Debug, Clone, Default)]
pub struct ResourceFilter {
    pub names: Vec<String>,
    pub types: Vec<String>,
    pub urns: Vec<String>,
    pub tags: Vec<TagFilter>,
}

impl ResourceFilter {
    pub fn keeps(&self, r: &Resource) -> bool {
        let named =
            |list: &[String], value: &str| list.is_empty() || list.iter().any(|v| v == value);
        named(&self.names, r.name.as_str())
            && named(&self.types, r.kind.as_str())
            && named(&self.urns, r.urn.as_str())
            && self.tags.iter().all(|f| f.keeps(&r.tags))
    }
}

/// What a tag change does.
enum TagChange {
    Replace(Tags),
    Add(String, String),
    Remove(String),
}

impl Directory {
    /// Loads every registered resource; called once at start.
    pub async fn init_resources(&self) -> Result<()> {
        let _serial = self.resources.reload.lock().await;
        let mut by_account: std::collections::HashMap<AccountId, Vec<Resource>> =
            std::collections::HashMap::new();
        for r in self.store.all_resources().await? {
            by_account.entry(r.account_id).or_default().push(r);
        }
        for (account, resources) in by_account {
            self.resources.replace_account(account, resources);
        }
        Ok(())
    }

    /// Reads one account's resources again from the store.
    pub(super) async fn reload_resources(&self, account: AccountId) -> Result<()> {
        let _serial = self.resources.reload.lock().await;
        let resources = self.store.list_resources(account).await?;
        self.resources.replace_account(account, resources);
        Ok(())
    }

    pub(super) fn resources_event(&self, account: AccountId) -> NewRevocation {
        NewRevocation {
            kind: RevocationKind::Resources,
            subject: account.0.to_string(),
            account: Some(account),
            identity: None,
            at: self.clock.now(),
        }
    }

    /// Whose `urn` is, seen from `who`, and the registered resource it names (memory only).
    pub(crate) fn ownership(
        &self,
        who: &Principal,
        urn: &Urn,
    ) -> (Ownership, Option<Arc<Resource>>) {
        let by_urn = Ownership::of_urn(&self.config.plate, who, urn);
        if by_urn != Ownership::Unregistered {
            return (by_urn, None);
        }
        match self.resources.by_urn.get(urn.as_str()) {
            Some(r) if r.account_id == who.account.id => {
                (Ownership::Own, Some(Arc::clone(r.value())))
            }
            Some(_) => (Ownership::Foreign, None),
            None => (Ownership::Unregistered, None),
        }
    }

    /// Registers a resource for the account `owner` — or, when it is registered already to the
    /// same account, updates its display name and keeps its tags — and records the actions the
    /// back end declares. Only an identity of the operator's account allowed
    /// `latchkey:iam/resource/manage` may.
    pub async fn register_resource(
        &self,
        who: &Principal,
        owner: &Nic,
        registration: Registration,
    ) -> Result<Resource> {
        let permit = self.resource_manager(who)?;
        registration.validate()?;
        let account = self
            .store
            .account_by_nic(owner)
            .await?
            .ok_or_else(|| Error::not_found(format!("account {owner} does not exist")))?;
        let urn = registration.urn(&self.config.plate);
        let now = self.clock.now();
        let display_name = registration
            .display_name
            .clone()
            .unwrap_or_else(|| registration.name.as_str().to_owned());
        let mut tx = self.begin().await?;
        let existing = self.store.resource_by_urn(urn.as_str()).await?;
        let (resource, kind) = match existing {
            Some(r) if r.account_id != account.id => {
                return Err(Error::Conflict(format!(
                    "the resource {urn} is registered to another account"
                )));
            }
            Some(r) if r.display_name == display_name => (r, None),
            Some(_) => (
                tx.rename_resource(urn.as_str(), &display_name, now).await?,
                Some(AuditKind::ResourceModified),
            ),
            None => {
                let new = Resource {
                    id: ResourceId::random(),
                    account_id: account.id,
                    urn: urn.clone(),
                    name: registration.name.clone(),
                    display_name,
                    kind: registration.kind.clone(),
                    tags: registration.tags.clone(),
                    created_at: now,
                    updated_at: now,
                };
                (
                    tx.create_resource(&new).await?,
                    Some(AuditKind::ResourceRegistered),
                )
            }
        };
        if !registration.actions.is_empty() {
            tx.declare_actions(&registration.actions, now).await?;
        }
        match kind {
            Some(kind) => {
                let audit = self.audit(&permit, kind, Some(account.id), details(&resource));
                let record = Record::new(audit).event(self.resources_event(account.id));
                self.commit(tx, record).await?;
                self.reload_resources(account.id).await?;
            }
            // Nothing changed but, perhaps, the declared actions: no record.
            None if registration.actions.is_empty() => drop(tx),
            None => {
                let audit = self.audit(
                    &permit,
                    AuditKind::ResourceModified,
                    Some(account.id),
                    details(&resource),
                );
                self.commit(tx, Record::new(audit)).await?;
            }
        }
        Ok(resource)
    }

    /// Removes a registered resource (the operator's `latchkey:iam/resource/manage`).
    pub async fn remove_resource(&self, who: &Principal, urn: &Urn) -> Result<Resource> {
        let permit = self.resource_manager(who)?;
        let mut tx = self.begin().await?;
        let old = tx.delete_resource(urn.as_str()).await?;
        let audit = self.audit(
            &permit,
            AuditKind::ResourceRemoved,
            Some(old.account_id),
            details(&old),
        );
        // Its groups lose it: the policy index is built again too.
        let record = Record::new(audit)
            .event(self.resources_event(old.account_id))
            .event(self.policies_event(old.account_id));
        self.commit(tx, record).await?;
        self.reload_resources(old.account_id).await?;
        self.reload_policies(old.account_id).await?;
        Ok(old)
    }

    /// Whether `who` may pass its callers' addresses in the checks it makes for them: an
    /// identity of the operator's account allowed `latchkey:iam/authorization/relay`.
    pub fn relay_permit(&self, who: &Principal) -> Result<Permit> {
        if !who.account.operator {
            return Err(Error::forbidden(authz::RELAY_CALLER.name));
        }
        self.authorize(who, &authz::RELAY_CALLER)
    }

    /// The permit of a product back end's identity: in the operator's account, allowed
    /// `latchkey:iam/resource/manage`.
    fn resource_manager(&self, who: &Principal) -> Result<Permit> {
        if !who.account.operator {
            return Err(Error::forbidden(authz::RESOURCE_MANAGE.name));
        }
        self.authorize(who, &authz::RESOURCE_MANAGE)
    }

    /// The account's resources that `filter` keeps: the account itself, then those registered,
    /// oldest first.
    pub async fn list_resources(
        &self,
        permit: &Permit,
        account: &Account,
        filter: &ResourceFilter,
    ) -> Result<Vec<Resource>> {
        let mut out = vec![Resource::account(account, &self.config.plate)];
        out.extend(self.store.list_resources(permit.account()).await?);
        out.retain(|r| filter.keeps(r));
        Ok(out)
    }

    /// One resource of the account.
    pub async fn resource(
        &self,
        permit: &Permit,
        account: &Account,
        urn: &Urn,
    ) -> Result<Resource> {
        if urn.is_account_resource(&self.config.plate, &account.nic) {
            return Ok(Resource::account(account, &self.config.plate));
        }
        match self.store.resource_by_urn(urn.as_str()).await? {
            Some(r) if r.account_id == permit.account() => Ok(r),
            _ => Err(Error::not_found(format!("resource {urn} does not exist"))),
        }
    }

    /// Replaces a resource's tags.
    pub async fn set_resource_tags(
        &self,
        permit: &Permit,
        account: &Account,
        urn: &Urn,
        tags: Tags,
    ) -> Result<Resource> {
        crate::resource::check_tags(&tags)?;
        self.change_tags(permit, account, urn, TagChange::Replace(tags))
            .await
    }

    /// Adds a tag, or gives an existing key a new value.
    pub async fn add_resource_tag(
        &self,
        permit: &Permit,
        account: &Account,
        urn: &Urn,
        key: String,
        value: String,
    ) -> Result<Resource> {
        check_tag(&key, &value)?;
        self.change_tags(permit, account, urn, TagChange::Add(key, value))
            .await
    }

    /// Removes a tag; `NotFound` when the resource has no such key.
    pub async fn remove_resource_tag(
        &self,
        permit: &Permit,
        account: &Account,
        urn: &Urn,
        key: String,
    ) -> Result<Resource> {
        self.change_tags(permit, account, urn, TagChange::Remove(key))
            .await
    }

    async fn change_tags(
        &self,
        permit: &Permit,
        account: &Account,
        urn: &Urn,
        change: TagChange,
    ) -> Result<Resource> {
        if urn.is_account_resource(&self.config.plate, &account.nic) {
            return Err(Error::invalid(
                "the account resource carries no tags; tag the resources of its products",
            ));
        }
        let mut tx = self.begin().await?;
        let old = match self.store.resource_by_urn(urn.as_str()).await? {
            Some(r) if r.account_id == permit.account() => r,
            _ => return Err(Error::not_found(format!("resource {urn} does not exist"))),
        };
        let mut tags = old.tags.clone();
        match change {
            TagChange::Replace(new) => tags = new,
            TagChange::Add(k, v) => {
                tags.insert(k, v);
            }
            TagChange::Remove(k) => {
                if tags.remove(&k).is_none() {
                    return Err(Error::not_found(format!("resource {urn} has no tag {k:?}")));
                }
            }
        }
        crate::resource::check_tags(&tags)?;
        let now = self.clock.now();
        let new = tx
            .set_resource_tags(permit.account(), urn.as_str(), &tags, now)
            .await?;
        let mut d = details(&new);
        d["oldTags"] = json!(old.tags);
        let audit = self.audit_by(permit, AuditKind::ResourceModified, d);
        let record = Record::new(audit).event(self.resources_event(permit.account()));
        self.commit(tx, record).await?;
        self.reload_resources(permit.account()).await?;
        Ok(new)
    }

    /// The actions product back ends declared.
    pub async fn declared_actions(&self) -> Result<Vec<DeclaredAction>> {
        self.store.declared_actions().await
    }

    /// The resource types known: the account, those registered, and those actions are declared
    /// for.
    pub async fn resource_types(&self) -> Result<Vec<String>> {
        let mut types = vec!["account".to_owned()];
        types.extend(self.store.resource_types().await?);
        types.extend(
            self.store
                .declared_actions()
                .await?
                .into_iter()
                .map(|a| a.resource_type.as_str().to_owned()),
        );
        types.sort();
        types.dedup();
        Ok(types)
    }
}

/// The details of a resource's audit records.
fn details(r: &Resource) -> serde_json::Value {
    json!({
        "resourceId": r.id.to_string(),
        "resourceURN": r.urn.as_str(),
        "resourceType": r.kind.as_str(),
        "tags": r.tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_matches_as_sql_does() {
        for (pattern, text, expected) in [
            ("prod", "prod", true),
            ("prod", "production", false),
            ("prod%", "production", true),
            ("%duct%", "production", true),
            ("p_od", "prod", true),
            ("p_od", "pod", false),
            ("%", "", true),
            ("a%b%c", "aXXbYYc", true),
            ("a%b%c", "aXXbYY", false),
        ] {
            assert_eq!(
                like(pattern.as_bytes(), text.as_bytes()),
                expected,
                "{pattern} {text}"
            );
        }
    }

    #[test]
    fn tag_filters_compare_as_named() {
        let tags: Tags = [("env".to_owned(), "Prod-EU".to_owned())].into();
        let f = |key: &str, op: TagOperator, value: &str| TagFilter {
            key: key.to_owned(),
            operator: op,
            value: value.to_owned(),
        };
        assert!(f("env", TagOperator::Eq, "Prod-EU").keeps(&tags));
        assert!(!f("env", TagOperator::Neq, "Prod-EU").keeps(&tags));
        assert!(f("team", TagOperator::Neq, "x").keeps(&tags));
        assert!(f("env", TagOperator::Like, "Prod%").keeps(&tags));
        assert!(!f("env", TagOperator::Like, "prod%").keeps(&tags));
        assert!(f("env", TagOperator::Ilike, "prod%").keeps(&tags));
        assert!(f("env", TagOperator::Exists, "").keeps(&tags));
        assert!(!f("env", TagOperator::Nexists, "").keeps(&tags));
        assert!(f("team", TagOperator::Nexists, "").keeps(&tags));
        assert!(TagOperator::parse("GT").is_err());
    }
}
