//! Keystone's domain configuration (`/v3/domains/{id}/config`): per-domain settings of the
//! `identity` and `ldap` groups, with Keystone's list of options a domain may set. Latchkey's
//! identity backend is its own store (Keystone's `sql` driver); it does not speak LDAP, so a
//! domain whose `identity.driver` names another backend refuses its users' passwords rather
//! than check them against the local store the configuration said not to use (ADR 0007). The
//! `ldap` options are kept for the tools that manage them; the sensitive `ldap.password` is
//! sealed and never shown.

use serde_json::{Map, Value, json};

use crate::audit::AuditKind;
use crate::authz::OperatorPermit;
use crate::model::Account;
use crate::store::Record;
use crate::store::Transaction;
use crate::{Error, Result, keystone};

use super::super::Directory;

const KIND: &str = "domain_config";

/// The identity driver Latchkey is: users and passwords in its own store.
pub const OWN_DRIVER: &str = "sql";

/// Options a domain may set, with the value that applies when it does not (Keystone's).
fn defaults() -> Map<String, Value> {
    let identity = json!({ "driver": OWN_DRIVER, "list_limit": null });
    // Three parts: one `json!` of them all is deeper than the macro recurses.
    let parts = [
        json!({
            "url": "ldap://localhost", "user": null, "suffix": "cn=example,cn=com",
            "query_scope": "one", "page_size": 0, "alias_dereferencing": "default",
            "debug_level": null, "chase_referrals": null, "user_tree_dn": null,
            "user_filter": null, "user_objectclass": "inetOrgPerson",
            "user_id_attribute": "cn", "user_name_attribute": "sn",
            "user_mail_attribute": "mail", "user_description_attribute": "description",
            "user_pass_attribute": "userPassword",
        }),
        json!({
            "user_enabled_attribute": "enabled", "user_enabled_invert": false,
            "user_enabled_mask": 0, "user_enabled_default": "True",
            "user_attribute_ignore": ["default_project_id"],
            "user_default_project_id_attribute": null, "user_enabled_emulation": false,
            "user_enabled_emulation_dn": null, "user_enabled_emulation_use_group_config": false,
            "user_additional_attribute_mapping": [], "group_tree_dn": null,
            "group_filter": null, "group_objectclass": "groupOfNames",
            "group_id_attribute": "cn", "group_name_attribute": "ou",
        }),
        json!({
            "group_members_are_ids": false, "group_member_attribute": "member",
            "group_desc_attribute": "description", "group_attribute_ignore": [],
            "group_additional_attribute_mapping": [], "tls_cacertfile": null,
            "tls_cacertdir": null, "use_tls": false, "tls_req_cert": "demand",
            "use_pool": true, "pool_size": 10, "pool_retry_max": 3, "pool_retry_delay": 0.1,
            "pool_connection_timeout": -1, "pool_connection_lifetime": 600,
            "use_auth_pool": true, "auth_pool_size": 100, "auth_pool_connection_lifetime": 60,
        }),
    ];
    let mut ldap = Map::new();
    for part in parts {
        if let Value::Object(options) = part {
            ldap.extend(options);
        }
    }
    let mut all = Map::new();
    all.insert("identity".into(), identity);
    all.insert("ldap".into(), Value::Object(ldap));
    all
}

/// Options kept but never shown: (group, option).
const SENSITIVE: &[(&str, &str)] = &[("ldap", "password")];

fn sensitive(group: &str, option: &str) -> bool {
    SENSITIVE.contains(&(group, option))
}

/// The defaults: of every group, of one group, or of one option (`{option: value}`).
pub fn default_config(group: Option<&str>, option: Option<&str>) -> Result<Map<String, Value>> {
    let all = defaults();
    let Some(group) = group else {
        return Ok(all);
    };
    let options = all
        .get(group)
        .and_then(Value::as_object)
        .ok_or_else(|| invalid_group(group))?;
    Ok(match option {
        None => Map::from_iter([(group.to_owned(), Value::Object(options.clone()))]),
        Some(option) => {
            let value = options
                .get(option)
                .ok_or_else(|| invalid_option(group, option))?;
            Map::from_iter([(option.to_owned(), value.clone())])
        }
    })
}

fn invalid_group(group: &str) -> Error {
    Error::invalid(format!(
        "Invalid domain specific configuration: group {group} is not one a domain may set \
         (identity, ldap)."
    ))
}

fn invalid_option(group: &str, option: &str) -> Error {
    Error::invalid(format!(
        "Invalid domain specific configuration: option {option} in group {group} is not one a \
         domain may set."
    ))
}

fn not_found(domain: &str, what: Option<(&str, Option<&str>)>) -> Error {
    Error::not_found(match what {
        None => format!("Could not find domain config for domain {domain}."),
        Some((group, None)) => {
            format!("Could not find group {group} in the domain config of domain {domain}.")
        }
        Some((group, Some(option))) => format!(
            "Could not find option {option} in group {group} in the domain config of domain \
             {domain}."
        ),
    })
}

/// Checks a configuration (`{group: {option: value}}`): groups and options a domain may set,
/// and no nested objects as values.
fn check(config: &Map<String, Value>) -> Result<()> {
    let known = defaults();
    for (group, options) in config {
        let allowed = known
            .get(group)
            .and_then(Value::as_object)
            .ok_or_else(|| invalid_group(group))?;
        let Value::Object(options) = options else {
            return Err(Error::invalid(format!(
                "Invalid domain specific configuration: group {group} must be an object."
            )));
        };
        for (option, value) in options {
            if !allowed.contains_key(option) && !sensitive(group, option) {
                return Err(invalid_option(group, option));
            }
            if value.is_object() {
                return Err(Error::invalid(format!(
                    "Invalid domain specific configuration: option {option} in group {group} \
                     cannot be an object."
                )));
            }
        }
    }
    Ok(())
}

/// A domain's stored configuration: what is shown, and the sealed sensitive options.
struct Stored {
    shown: Map<String, Value>,
    sealed: Map<String, Value>,
}

impl Directory {
    async fn stored_domain_config(&self, domain: &str) -> Result<Option<Stored>> {
        let Some(text) = self.store.document(KIND, domain).await? else {
            return Ok(None);
        };
        let mut doc: Map<String, Value> = serde_json::from_str(&text).map_err(Error::internal)?;
        let take = |doc: &mut Map<String, Value>, key: &str| match doc.remove(key) {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        };
        Ok(Some(Stored {
            shown: take(&mut doc, "config"),
            sealed: take(&mut doc, "sealed"),
        }))
    }

    /// The domain's stored configuration; 404 when it has none.
    async fn existing_domain_config(&self, domain: &str) -> Result<Stored> {
        self.stored_domain_config(domain)
            .await?
            .ok_or_else(|| not_found(domain, None))
    }

    /// Writes `config` (sensitive options sealed), or removes the configuration once it holds
    /// nothing.
    async fn write_domain_config(
        &self,
        tx: &mut dyn Transaction,
        domain: &str,
        config: Map<String, Value>,
        mut sealed: Map<String, Value>,
        exists: bool,
    ) -> Result<Map<String, Value>> {
        let mut shown = Map::new();
        for (group, options) in config {
            let Value::Object(options) = options else {
                continue;
            };
            let mut kept = Map::new();
            for (option, value) in options {
                if sensitive(&group, &option) {
                    let clear = value.to_string();
                    let key = format!("{group}.{option}");
                    let label = format!("domain config {domain} {key}");
                    sealed.insert(key, Value::String(self.seal(&label, &clear)?));
                } else {
                    kept.insert(option, value);
                }
            }
            if !kept.is_empty() {
                shown.insert(group, Value::Object(kept));
            }
        }
        if shown.is_empty() && sealed.is_empty() {
            if exists {
                tx.delete_document(KIND, domain).await?;
            }
            return Ok(shown);
        }
        let text = json!({ "config": shown, "sealed": sealed }).to_string();
        if exists {
            tx.replace_document(KIND, domain, &text).await?;
        } else {
            tx.create_document(KIND, domain, &text, self.clock.now())
                .await?;
        }
        Ok(shown)
    }

    /// Commits a change to a domain's configuration with its record (which names the options
    /// changed, never their values).
    async fn commit_domain_config(
        &self,
        tx: Box<dyn Transaction>,
        operator: &OperatorPermit,
        account: &Account,
        kind: AuditKind,
        at: (Option<&str>, Option<&str>),
    ) -> Result<()> {
        let details = json!({
            "document": KIND,
            "id": keystone::domain_id(account),
            "group": at.0,
            "option": at.1,
        });
        let audit = self.audit(operator, kind, Some(account.id), details);
        self.commit(tx, Record::new(audit)).await
    }

    /// A domain's configuration, or one group of it (`{group: {…}}`), or one option
    /// (`{option: value}`); sensitive options are never shown.
    pub async fn domain_config(
        &self,
        _operator: &OperatorPermit,
        account: &Account,
        group: Option<&str>,
        option: Option<&str>,
    ) -> Result<Map<String, Value>> {
        let domain = keystone::domain_id(account);
        let stored = self.existing_domain_config(&domain).await?;
        if stored.shown.is_empty() {
            return Err(not_found(&domain, None));
        }
        let Some(group) = group else {
            return Ok(stored.shown);
        };
        if let Some(option) = option
            && sensitive(group, option)
        {
            return Err(Error::invalid(format!(
                "Option {option} in group {group} is sensitive: it is kept, never shown."
            )));
        }
        default_config(Some(group), option)?;
        let options = stored
            .shown
            .get(group)
            .and_then(Value::as_object)
            .ok_or_else(|| not_found(&domain, Some((group, None))))?;
        Ok(match option {
            None => Map::from_iter([(group.to_owned(), Value::Object(options.clone()))]),
            Some(option) => {
                let value = options
                    .get(option)
                    .ok_or_else(|| not_found(&domain, Some((group, Some(option)))))?;
                Map::from_iter([(option.to_owned(), value.clone())])
            }
        })
    }

    /// `PUT /v3/domains/{id}/config`: the whole configuration, replaced. Answers it and whether
    /// the domain had none before.
    pub async fn set_domain_config(
        &self,
        operator: &OperatorPermit,
        account: &Account,
        config: Map<String, Value>,
    ) -> Result<(Map<String, Value>, bool)> {
        check(&config)?;
        if config.is_empty() {
            return Err(Error::invalid(
                "Invalid domain specific configuration: it is empty.",
            ));
        }
        let domain = keystone::domain_id(account);
        let exists = self.stored_domain_config(&domain).await?.is_some();
        let mut tx = self.begin().await?;
        let shown = self
            .write_domain_config(&mut *tx, &domain, config, Map::new(), exists)
            .await?;
        let kind = if exists {
            AuditKind::DocumentModified
        } else {
            AuditKind::DocumentCreated
        };
        self.commit_domain_config(tx, operator, account, kind, (None, None))
            .await?;
        Ok((shown, !exists))
    }

    /// `PATCH`: merges options into the configuration, into one group (`{group: {…}}`) or into
    /// one option (`{option: value}`). What it changes must already be set (404 otherwise).
    pub async fn update_domain_config(
        &self,
        operator: &OperatorPermit,
        account: &Account,
        at: (Option<&str>, Option<&str>),
        change: Map<String, Value>,
    ) -> Result<Map<String, Value>> {
        let domain = keystone::domain_id(account);
        let stored = self.existing_domain_config(&domain).await?;
        let change = match at {
            (None, _) => change,
            (Some(group), None) => {
                if change.len() != 1 || !change.contains_key(group) {
                    return Err(Error::invalid(format!(
                        "Invalid domain specific configuration: the request changes group \
                         {group} only, so its body names that group alone."
                    )));
                }
                change
            }
            (Some(group), Some(option)) => {
                if change.len() != 1 || !change.contains_key(option) {
                    return Err(Error::invalid(format!(
                        "Invalid domain specific configuration: the request changes option \
                         {option} only, so its body names that option alone."
                    )));
                }
                Map::from_iter([(group.to_owned(), Value::Object(change))])
            }
        };
        check(&change)?;
        let mut config = stored.shown.clone();
        for (group, options) in change {
            // A group is set when it shows an option or keeps a sealed one.
            let prefix = format!("{group}.");
            let sealed_here = stored.sealed.keys().any(|k| k.starts_with(&prefix));
            if at.0.is_some() && !config.contains_key(&group) && !sealed_here {
                return Err(not_found(&domain, Some((&group, None))));
            }
            if let Some(option) = at.1
                && config.get(&group).is_none_or(|g| g.get(option).is_none())
                && !stored.sealed.contains_key(&format!("{prefix}{option}"))
            {
                return Err(not_found(&domain, Some((&group, Some(option)))));
            }
            let current = config
                .entry(group)
                .or_insert_with(|| Value::Object(Map::new()));
            if let (Value::Object(current), Value::Object(options)) = (current, options) {
                current.extend(options);
            }
        }
        let mut tx = self.begin().await?;
        let shown = self
            .write_domain_config(&mut *tx, &domain, config, stored.sealed, true)
            .await?;
        self.commit_domain_config(tx, operator, account, AuditKind::DocumentModified, at)
            .await?;
        Ok(shown)
    }

    /// `DELETE`: the whole configuration, one group, or one option.
    pub async fn delete_domain_config(
        &self,
        operator: &OperatorPermit,
        account: &Account,
        group: Option<&str>,
        option: Option<&str>,
    ) -> Result<()> {
        let domain = keystone::domain_id(account);
        let stored = self.existing_domain_config(&domain).await?;
        let mut tx = self.begin().await?;
        let Some(group) = group else {
            tx.delete_document(KIND, &domain).await?;
            return self
                .commit_domain_config(
                    tx,
                    operator,
                    account,
                    AuditKind::DocumentDeleted,
                    (None, None),
                )
                .await;
        };
        if !option.is_some_and(|o| sensitive(group, o)) {
            default_config(Some(group), option)?;
        }
        let mut config = stored.shown;
        let mut sealed = stored.sealed;
        match option {
            None => {
                let had = config.remove(group).is_some();
                let prefix = format!("{group}.");
                let before = sealed.len();
                sealed.retain(|key, _| !key.starts_with(&prefix));
                if !had && sealed.len() == before {
                    return Err(not_found(&domain, Some((group, None))));
                }
            }
            Some(option) => {
                let removed = config
                    .get_mut(group)
                    .and_then(Value::as_object_mut)
                    .and_then(|options| options.remove(option))
                    .or_else(|| sealed.remove(&format!("{group}.{option}")));
                if removed.is_none() {
                    return Err(not_found(&domain, Some((group, Some(option)))));
                }
            }
        }
        self.write_domain_config(&mut *tx, &domain, config, sealed, true)
            .await?;
        let at = (Some(group), option);
        self.commit_domain_config(tx, operator, account, AuditKind::DocumentModified, at)
            .await
    }

    /// Removes a deleted domain's configuration, in the transaction that deletes the domain.
    pub(crate) async fn forget_domain_config(
        &self,
        tx: &mut dyn Transaction,
        account: &Account,
    ) -> Result<()> {
        match tx
            .delete_document(KIND, &keystone::domain_id(account))
            .await
        {
            Ok(()) | Err(Error::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The identity driver a domain is configured for, when it is not Latchkey's own: its
    /// users' passwords are then refused.
    pub(crate) async fn foreign_identity_driver(
        &self,
        account: &Account,
    ) -> Result<Option<String>> {
        let domain = keystone::domain_id(account);
        let Some(stored) = self.stored_domain_config(&domain).await? else {
            return Ok(None);
        };
        let driver = stored
            .shown
            .get("identity")
            .and_then(|g| g.get("driver"))
            .and_then(Value::as_str);
        Ok(driver.filter(|d| *d != OWN_DRIVER).map(str::to_owned))
    }
}
