//! IAM access policies: what they hold, how they are checked, and how they are decided.
//!
//! - [`pattern`]: identity and resource URN patterns (`*` at either end) and action globs.
//! - [`Policy`] and [`PolicyDraft`]: a stored policy and the validated content of a create or
//!   replace request.
//! - [`index`]: [`PolicySet`], one account's policies compiled into an index, so that a decision
//!   is a few hash lookups and never a query.
//! - [`condition`]: the conditions a policy may hold, checked per decision against [`Facts`].
//! - [`permissions_group`]: named sets of permissions a policy adds to its own by URN.
//!
//! Evaluation for (identities, action, resource): the policies whose identities name one of the
//! caller's URNs and whose resources name the resource take part; a matching `deny` refuses
//! whatever else says; a matching `allow` grants unless the same policy's `except` names the
//! action (a permissions group the policy names is one more set of permissions, its `except`
//! narrowing only its own `allow`); an expired policy, or one whose conditions do not hold, takes no part; nothing
//! matching refuses.

pub mod condition;
pub mod index;
pub mod pattern;
pub mod permissions_group;

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::AccountId;
use crate::names::{Description, PolicyName};
use crate::{Error, Result};

pub use crate::urn::{UrnKind, UrnPattern};
pub use condition::{Condition, ConditionDocument, Facts, ResourceFacts};
pub use index::PolicySet;
pub use pattern::ActionPattern;

uuid_id!(
    /// A policy's identifier, a random UUID.
    PolicyId,
    "policy id"
);

/// The actions a policy allows, carves out of its allow list, and denies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions {
    pub allow: Vec<ActionPattern>,
    pub except: Vec<ActionPattern>,
    pub deny: Vec<ActionPattern>,
}

/// The content of a policy as a create or replace request gives it, checked as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDraft {
    pub name: PolicyName,
    pub description: Description,
    pub identities: Vec<UrnPattern>,
    pub resources: Vec<UrnPattern>,
    pub permissions: Permissions,
    pub conditions: Option<Condition>,
    /// The URNs of the permissions groups whose permissions the policy adds to its own.
    pub permissions_groups: Vec<String>,
    pub expired_at: Option<DateTime<Utc>>,
}

/// Prefixes of the names kept for policies the installation manages.
pub const RESERVED_NAME_PREFIXES: &[&str] = &["ovh-", "latchkey-"];

impl PolicyDraft {
    pub const MAX_IDENTITIES: usize = 100;
    pub const MAX_RESOURCES: usize = 100;
    pub const MAX_ACTIONS: usize = 500;
    pub const MAX_PERMISSIONS_GROUPS: usize = 50;

    /// Checks the rules that span fields: sizes, reserved names, and that the policy says
    /// something.
    pub fn validate(&self) -> Result<()> {
        let lower = self.name.as_str().to_ascii_lowercase();
        if let Some(prefix) = RESERVED_NAME_PREFIXES
            .iter()
            .find(|p| lower.starts_with(**p))
        {
            return Err(Error::invalid(format!(
                "policy names starting with {prefix:?} are reserved for managed policies"
            )));
        }
        bounded("identities", self.identities.len(), Self::MAX_IDENTITIES)?;
        bounded("resources", self.resources.len(), Self::MAX_RESOURCES)?;
        let p = &self.permissions;
        let actions = p.allow.len() + p.except.len() + p.deny.len();
        if actions > Self::MAX_ACTIONS {
            return Err(Error::invalid(format!(
                "a policy names at most {} actions in allow, except and deny together; this one \
                 names {actions}",
                Self::MAX_ACTIONS
            )));
        }
        if self.permissions_groups.len() > Self::MAX_PERMISSIONS_GROUPS {
            return Err(Error::invalid(format!(
                "a policy names at most {} permissions groups",
                Self::MAX_PERMISSIONS_GROUPS
            )));
        }
        if p.allow.is_empty() && p.deny.is_empty() && self.permissions_groups.is_empty() {
            return Err(Error::invalid(
                "permissions must allow or deny at least one action, or permissionsGroups \
                 name a group",
            ));
        }
        if p.allow.is_empty() && !p.except.is_empty() {
            return Err(Error::invalid(
                "permissions.except only narrows permissions.allow, which is empty",
            ));
        }
        Ok(())
    }
}

fn bounded(field: &str, len: usize, max: usize) -> Result<()> {
    if len == 0 {
        return Err(Error::invalid(format!(
            "{field} must name at least one URN"
        )));
    }
    if len > max {
        return Err(Error::invalid(format!(
            "{field} names {len} URNs; at most {max} are allowed"
        )));
    }
    Ok(())
}

/// A stored policy of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub id: PolicyId,
    pub account_id: AccountId,
    pub name: PolicyName,
    pub description: Description,
    pub identities: Vec<UrnPattern>,
    pub resources: Vec<UrnPattern>,
    pub permissions: Permissions,
    pub conditions: Option<Condition>,
    /// The URNs of the permissions groups whose permissions the policy adds to its own.
    pub permissions_groups: Vec<String>,
    pub expired_at: Option<DateTime<Utc>>,
    /// Managed by the installation: it cannot be changed or deleted through the API.
    pub read_only: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Policy {
    /// The policy's content, as a replace would give it again.
    pub fn draft(&self) -> PolicyDraft {
        PolicyDraft {
            name: self.name.clone(),
            description: self.description.clone(),
            identities: self.identities.clone(),
            resources: self.resources.clone(),
            permissions: self.permissions.clone(),
            conditions: self.conditions.clone(),
            permissions_groups: self.permissions_groups.clone(),
            expired_at: self.expired_at,
        }
    }

    /// Whether the policy has stopped taking part in decisions.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expired_at.is_some_and(|at| at <= now)
    }
}

/// The patterns of a policy as one JSON document, the form the store keeps them in.
#[derive(Debug, Serialize, Deserialize)]
pub struct RulesDocument {
    identities: Vec<String>,
    resources: Vec<String>,
    allow: Vec<String>,
    except: Vec<String>,
    deny: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    conditions: Option<ConditionDocument>,
    #[serde(
        default,
        rename = "permissionsGroups",
        skip_serializing_if = "Vec::is_empty"
    )]
    permissions_groups: Vec<String>,
}

/// A policy's rules as the store gives them back.
#[derive(Debug)]
pub struct Rules {
    pub identities: Vec<UrnPattern>,
    pub resources: Vec<UrnPattern>,
    pub permissions: Permissions,
    pub conditions: Option<Condition>,
    pub permissions_groups: Vec<String>,
}

fn strings<T: fmt::Display>(items: &[T]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

impl RulesDocument {
    /// The patterns of a draft, as the store keeps them.
    pub fn of(draft: &PolicyDraft) -> Self {
        let p = &draft.permissions;
        Self {
            identities: strings(&draft.identities),
            resources: strings(&draft.resources),
            allow: strings(&p.allow),
            except: strings(&p.except),
            deny: strings(&p.deny),
            conditions: draft.conditions.as_ref().map(|c| c.document().clone()),
            permissions_groups: draft.permissions_groups.clone(),
        }
    }

    pub fn to_json(&self) -> String {
        // Strings in vectors always serialise.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses a stored document back into patterns.
    pub fn parse(json: &str) -> Result<Rules> {
        let doc: RulesDocument = serde_json::from_str(json)
            .map_err(|e| Error::invalid(format!("stored policy rules are unreadable: {e}")))?;
        let actions = |list: &[String]| -> Result<Vec<ActionPattern>> {
            list.iter().map(|a| ActionPattern::parse(a)).collect()
        };
        Ok(Rules {
            identities: doc
                .identities
                .iter()
                .map(|s| UrnPattern::identity(s))
                .collect::<Result<_>>()?,
            resources: doc
                .resources
                .iter()
                .map(|s| UrnPattern::resource(s))
                .collect::<Result<_>>()?,
            permissions: Permissions {
                allow: actions(&doc.allow)?,
                except: actions(&doc.except)?,
                deny: actions(&doc.deny)?,
            },
            conditions: doc.conditions.map(Condition::parse).transpose()?,
            permissions_groups: doc.permissions_groups,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> PolicyDraft {
        PolicyDraft {
            name: PolicyName::parse("ops").unwrap(),
            description: Description::default(),
            identities: vec![
                UrnPattern::identity("urn:v1:eu:identity:group:lk0001-lk/ops").unwrap(),
            ],
            resources: vec![UrnPattern::resource("urn:v1:eu:resource:account:lk0001-lk").unwrap()],
            permissions: Permissions {
                allow: vec![ActionPattern::parse("account:apiovh:me/get").unwrap()],
                ..Permissions::default()
            },
            conditions: None,
            permissions_groups: Vec::new(),
            expired_at: None,
        }
    }

    #[test]
    fn a_complete_draft_is_valid() {
        draft().validate().unwrap();
    }

    #[test]
    fn reserved_names_are_refused_whatever_their_case() {
        for name in ["ovh-Admin", "OVH-admin", "latchkey-default"] {
            let mut d = draft();
            d.name = PolicyName::parse(name).unwrap();
            assert!(matches!(d.validate(), Err(Error::Invalid(_))), "{name}");
        }
    }

    #[test]
    fn empty_or_oversized_lists_are_refused() {
        let mut d = draft();
        d.identities.clear();
        assert!(d.validate().is_err());
        let mut d = draft();
        d.resources = vec![d.resources[0].clone(); PolicyDraft::MAX_RESOURCES + 1];
        assert!(d.validate().is_err());
        let mut d = draft();
        d.permissions.allow = vec![d.permissions.allow[0].clone(); PolicyDraft::MAX_ACTIONS + 1];
        assert!(d.validate().is_err());
        let mut d = draft();
        d.permissions.except = std::mem::take(&mut d.permissions.allow);
        assert!(d.validate().is_err());
    }

    #[test]
    fn the_rules_document_round_trips() {
        let mut d = draft();
        let json = RulesDocument::of(&d).to_json();
        assert!(!json.contains("conditions"), "{json}");
        let rules = RulesDocument::parse(&json).unwrap();
        assert_eq!(rules.identities, d.identities);
        assert_eq!(rules.resources, d.resources);
        assert_eq!(rules.permissions, d.permissions);
        assert_eq!(rules.conditions, None);
        let doc: ConditionDocument = serde_json::from_value(serde_json::json!(
            {"operator": "MATCH", "values": {"request.IP.IN_RANGE": "10.0.0.0/8"}}
        ))
        .unwrap();
        d.conditions = Some(Condition::parse(doc).unwrap());
        let rules = RulesDocument::parse(&RulesDocument::of(&d).to_json()).unwrap();
        assert_eq!(rules.conditions, d.conditions);
        d.permissions_groups = vec!["urn:v1:eu:permissionsGroup:latchkey:accountReader".into()];
        let rules = RulesDocument::parse(&RulesDocument::of(&d).to_json()).unwrap();
        assert_eq!(rules.permissions_groups, d.permissions_groups);
    }

    #[test]
    fn a_policy_may_hold_only_permissions_groups() {
        let mut d = draft();
        d.permissions = Permissions::default();
        assert!(d.validate().is_err());
        d.permissions_groups = vec!["urn:v1:eu:permissionsGroup:latchkey:accountReader".into()];
        d.validate().unwrap();
        d.permissions_groups = vec![String::new(); PolicyDraft::MAX_PERMISSIONS_GROUPS + 1];
        assert!(d.validate().is_err());
    }
}
