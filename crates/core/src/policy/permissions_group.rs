//! Permissions groups: named, re-usable sets of permissions (`allow`, `except`, `deny`) that a
//! policy adds to its own by URN, `urn:v1:{plate}:permissionsGroup:{owner}:{name}`.
//!
//! Each group a policy names is evaluated on its own, with the policy's identities, resources,
//! expiry and conditions: a group's `except` narrows only that group's `allow`, as a policy's own
//! `except` narrows only its own. An account makes its groups (`owner` its nic); the installation
//! ships [`managed`] ones (`owner` [`MANAGED_OWNER`]), read-only, for the usual roles.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};

use super::{ActionPattern, Permissions};
use crate::authz;
use crate::model::AccountId;
use crate::names::{Description, Nic, Plate};
use crate::{Error, Result};

uuid_id!(
    /// A permissions group's identifier: random for an account's, derived from the name for a
    /// managed one (the same on every installation).
    PermissionsGroupId,
    "permissions group id"
);

/// The `owner` of the installation's managed groups, in their URN and their views.
pub const MANAGED_OWNER: &str = "latchkey";

/// The namespace of managed group ids: `Uuid::new_v5(MANAGED_NAMESPACE, name)`.
const MANAGED_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6c6b_7065_726d_6772_6f75_7000_0000_0001);

/// A permissions group's name, part of its URN: 1 to 64 letters, digits, `_`, `.`, `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PermissionsGroupName(Box<str>);

impl PermissionsGroupName {
    pub const MAX_LEN: usize = 64;

    pub fn parse(s: &str) -> Result<Self> {
        let ok = (1..=Self::MAX_LEN).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !ok {
            return Err(Error::invalid(format!(
                "{s:?} is not a permissions group name: 1 to {} of letters, digits, _ . -",
                Self::MAX_LEN
            )));
        }
        Ok(Self(s.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PermissionsGroupName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who a group belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupOwner {
    /// The installation: a managed, read-only group every account may name.
    Installation,
    Account(AccountId),
}

/// The content of a create or replace request, checked as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionsGroupDraft {
    pub name: PermissionsGroupName,
    pub description: Description,
    pub permissions: Permissions,
}

impl PermissionsGroupDraft {
    /// Most actions one group names in allow, except and deny together.
    pub const MAX_ACTIONS: usize = 500;

    pub fn validate(&self) -> Result<()> {
        let p = &self.permissions;
        let actions = p.allow.len() + p.except.len() + p.deny.len();
        if actions > Self::MAX_ACTIONS {
            return Err(Error::invalid(format!(
                "a permissions group names at most {} actions in allow, except and deny \
                 together; this one names {actions}",
                Self::MAX_ACTIONS
            )));
        }
        if p.allow.is_empty() && p.deny.is_empty() {
            return Err(Error::invalid(
                "permissions must allow or deny at least one action",
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

/// A permissions group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionsGroup {
    pub id: PermissionsGroupId,
    pub owner: GroupOwner,
    pub name: PermissionsGroupName,
    pub description: Description,
    pub permissions: Permissions,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PermissionsGroup {
    /// Managed by the installation: it cannot be changed or deleted.
    pub fn read_only(&self) -> bool {
        self.owner == GroupOwner::Installation
    }

    /// Its URN, `nic` being its account's (unused for a managed group).
    pub fn urn(&self, plate: &Plate, nic: &Nic) -> String {
        urn(plate, self.owner_name(nic), &self.name)
    }

    /// Its `owner` as OVHcloud shows it: the account's nic, or [`MANAGED_OWNER`].
    pub fn owner_name<'a>(&self, nic: &'a Nic) -> &'a str {
        match self.owner {
            GroupOwner::Installation => MANAGED_OWNER,
            GroupOwner::Account(_) => nic.as_str(),
        }
    }
}

/// A group's permissions as the store keeps them, one JSON document.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct PermissionsDocument {
    allow: Vec<String>,
    except: Vec<String>,
    deny: Vec<String>,
}

impl PermissionsDocument {
    fn of(p: &Permissions) -> Self {
        let list = |l: &[ActionPattern]| l.iter().map(|a| a.as_str().to_owned()).collect();
        Self {
            allow: list(&p.allow),
            except: list(&p.except),
            deny: list(&p.deny),
        }
    }
}

/// The permissions as one JSON document.
pub fn permissions_json(p: &Permissions) -> String {
    // Strings in vectors always serialise.
    serde_json::to_string(&PermissionsDocument::of(p)).unwrap_or_default()
}

/// The same document as a JSON value (`{"allow": […], "except": […], "deny": […]}`), as audit
/// records show it.
pub fn permissions_value(p: &Permissions) -> serde_json::Value {
    serde_json::to_value(PermissionsDocument::of(p)).unwrap_or_default()
}

/// Reads [`permissions_json`]'s document back.
pub fn parse_permissions_json(json: &str) -> Result<Permissions> {
    let doc: PermissionsDocument = serde_json::from_str(json)
        .map_err(|e| Error::invalid(format!("stored permissions are unreadable: {e}")))?;
    let list = |l: &[String]| -> Result<Vec<ActionPattern>> {
        l.iter().map(|a| ActionPattern::parse(a)).collect()
    };
    Ok(Permissions {
        allow: list(&doc.allow)?,
        except: list(&doc.except)?,
        deny: list(&doc.deny)?,
    })
}

/// `urn:v1:{plate}:permissionsGroup:{owner}:{name}`.
pub fn urn(plate: &Plate, owner: &str, name: &PermissionsGroupName) -> String {
    format!("urn:v1:{plate}:permissionsGroup:{owner}:{name}")
}

/// What a permissions group URN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupRef {
    Managed(PermissionsGroupName),
    /// A group of the account whose nic is `owner`.
    Account {
        owner: Nic,
        name: PermissionsGroupName,
    },
}

/// Reads `urn:v1:{plate}:permissionsGroup:{owner}:{name}` of this installation's `plate`.
pub fn parse_urn(plate: &Plate, s: &str) -> Result<GroupRef> {
    let invalid = || {
        Error::invalid(format!(
            "{s:?} is not a permissions group URN: urn:v1:{plate}:permissionsGroup:{{owner}}:{{name}}"
        ))
    };
    let rest = s
        .strip_prefix("urn:v1:")
        .and_then(|r| r.strip_prefix(plate.as_str()))
        .and_then(|r| r.strip_prefix(":permissionsGroup:"))
        .ok_or_else(invalid)?;
    let (owner, name) = rest.split_once(':').ok_or_else(invalid)?;
    let name = PermissionsGroupName::parse(name).map_err(|_| invalid())?;
    if owner == MANAGED_OWNER {
        return Ok(GroupRef::Managed(name));
    }
    let owner = Nic::parse(owner).map_err(|_| invalid())?;
    Ok(GroupRef::Account { owner, name })
}

/// When the managed groups took their present content.
fn managed_since() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default()
}

fn managed_group(name: &str, description: &str, allow: Vec<String>) -> PermissionsGroup {
    let name = PermissionsGroupName(name.into());
    PermissionsGroup {
        id: PermissionsGroupId(uuid::Uuid::new_v5(
            &MANAGED_NAMESPACE,
            name.as_str().as_bytes(),
        )),
        owner: GroupOwner::Installation,
        name,
        description: Description::parse(description).unwrap_or_default(),
        permissions: Permissions {
            allow: allow
                .iter()
                .filter_map(|a| ActionPattern::parse(a).ok())
                .collect(),
            except: Vec::new(),
            deny: Vec::new(),
        },
        created_at: managed_since(),
        updated_at: managed_since(),
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

static MANAGED: LazyLock<Vec<PermissionsGroup>> = LazyLock::new(|| {
    let me = authz::ME_GET.name;
    // Every read of the account, save what only the operator's account makes effective.
    let reads: Vec<String> = authz::ACCOUNT_ACTIONS
        .iter()
        .filter(|a| a.reads() && *a != &authz::INTROSPECT_ANY)
        .map(|a| a.name.to_owned())
        .collect();
    let ks_reads = [authz::KS_PROJECT_GET.name, authz::KS_GRANT_GET.name];
    vec![
        managed_group(
            "accountReader",
            "Read everything in the account: users, groups, tokens, service accounts, \
             policies, resources, Keystone projects and grants, the audit log",
            reads,
        ),
        managed_group(
            "identityAdministrator",
            "Manage the account's users, groups, personal access tokens and service accounts",
            names(&[
                me,
                "account:apiovh:me/identity/*",
                "account:apiovh:me/api/oauth2/client/*",
            ]),
        ),
        managed_group(
            "policyAdministrator",
            "Manage IAM policies, resource groups, permissions groups and resource tags, and \
             read the users and groups that policies name",
            names(&[
                me,
                "account:apiovh:iam/*",
                authz::USER_GET.name,
                authz::GROUP_GET.name,
            ]),
        ),
        managed_group(
            "tokenSelfService",
            "Create, read, edit and delete personal access tokens (the token routes act on the \
             account resource: a policy naming it reaches the tokens of the account's users)",
            names(&[me, "account:apiovh:me/identity/user/token/*"]),
        ),
        managed_group(
            "keystoneProjectMember",
            "Read the account's Keystone projects and role assignments, and validate the \
             Keystone tokens presented to a project's services",
            names(&[me, ks_reads[0], ks_reads[1], authz::KS_TOKEN_VALIDATE.name]),
        ),
        managed_group(
            "keystoneProjectReader",
            "Read the account's Keystone projects and role assignments",
            names(&[me, ks_reads[0], ks_reads[1]]),
        ),
    ]
});

/// The installation's managed groups, by name.
pub fn managed() -> &'static [PermissionsGroup] {
    &MANAGED
}

/// The managed group of that name.
pub fn managed_named(name: &PermissionsGroupName) -> Option<&'static PermissionsGroup> {
    MANAGED.iter().find(|g| g.name == *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plate() -> Plate {
        Plate::parse("eu").unwrap()
    }

    #[test]
    fn urns_name_the_owner_and_the_name() {
        let nic = Nic::parse("lk0001-lk").unwrap();
        let name = PermissionsGroupName::parse("ops.read-1").unwrap();
        let urn = urn(&plate(), nic.as_str(), &name);
        assert_eq!(urn, "urn:v1:eu:permissionsGroup:lk0001-lk:ops.read-1");
        assert_eq!(
            parse_urn(&plate(), &urn).unwrap(),
            GroupRef::Account {
                owner: nic,
                name: name.clone()
            }
        );
        assert_eq!(
            parse_urn(
                &plate(),
                "urn:v1:eu:permissionsGroup:latchkey:accountReader"
            )
            .unwrap(),
            GroupRef::Managed(PermissionsGroupName::parse("accountReader").unwrap())
        );
        for bad in [
            "urn:v1:ca:permissionsGroup:lk0001-lk:ops",
            "urn:v1:eu:resourceGroup:lk0001-lk:ops",
            "urn:v1:eu:permissionsGroup:lk0001-lk",
            "urn:v1:eu:permissionsGroup:nobody:ops",
            "urn:v1:eu:permissionsGroup:lk0001-lk:a b",
        ] {
            assert!(parse_urn(&plate(), bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn permissions_round_trip_through_their_document() {
        let p = Permissions {
            allow: vec![ActionPattern::parse("account:apiovh:*").unwrap()],
            except: vec![ActionPattern::parse("*/delete").unwrap()],
            deny: vec![ActionPattern::parse("vps:apiovh:reboot").unwrap()],
        };
        assert_eq!(parse_permissions_json(&permissions_json(&p)).unwrap(), p);
        assert!(parse_permissions_json("{").is_err());
    }

    #[test]
    fn names_are_checked() {
        assert!(PermissionsGroupName::parse("vrackManagement").is_ok());
        for bad in ["", "a:b", "a b", "é", &"a".repeat(65)] {
            assert!(PermissionsGroupName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn managed_groups_are_read_only_with_stable_ids_and_valid_actions() {
        let groups = managed();
        assert_eq!(groups.len(), 6);
        for g in groups {
            assert!(g.read_only());
            assert!(!g.permissions.allow.is_empty(), "{}", g.name);
            let again = managed_group(g.name.as_str(), "", Vec::new());
            assert_eq!(again.id, g.id);
        }
        let reader = managed_named(&PermissionsGroupName::parse("accountReader").unwrap()).unwrap();
        let reads = |a: &str| reader.permissions.allow.iter().any(|p| p.matches(a));
        assert!(reads(authz::USER_GET.name));
        assert!(reads(authz::POLICY_GET.name));
        assert!(!reads(authz::USER_CREATE.name));
        assert!(!reads(authz::INTROSPECT_ANY.name));
    }

    #[test]
    fn a_draft_says_something_and_stays_bounded() {
        let action = ActionPattern::parse("account:apiovh:me/get").unwrap();
        let mut d = PermissionsGroupDraft {
            name: PermissionsGroupName::parse("g").unwrap(),
            description: Description::default(),
            permissions: Permissions::default(),
        };
        assert!(d.validate().is_err());
        d.permissions.except = vec![action.clone()];
        assert!(d.validate().is_err());
        d.permissions.allow = vec![action.clone()];
        assert!(d.validate().is_ok());
        d.permissions.deny = vec![action; PermissionsGroupDraft::MAX_ACTIONS];
        assert!(d.validate().is_err());
    }
}
