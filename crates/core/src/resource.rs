//! IAM resources: what product back ends register for an account (`{id, urn, name, displayName,
//! type, owner, tags}` in OVHcloud's words), the account itself among them, and the actions back
//! ends declare for their resource types.
//!
//! A registered resource belongs to one account: its built-in grants (ROOT, `ADMIN` groups) reach
//! it, and no other account's policy ever does. Its URN is `urn:v1:{plate}:resource:{type}:{name}`
//! and names it alone in the installation. The account resource is not stored: its id is derived
//! from its URN ([`account_resource_id`]) so that it is the same on every node and for ever.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::model::{Account, AccountId};
use crate::names::Plate;
use crate::policy::condition::{is_tag_key, is_tag_value};
use crate::urn::Urn;
use crate::{Error, Result};

/// A resource's tags, by key.
pub type Tags = BTreeMap<String, String>;

/// Most tags one resource carries.
pub const MAX_TAGS: usize = 50;

uuid_id!(
    /// A resource's identifier, a UUID (random; derived from the URN for an account's own).
    ResourceId,
    "resource id"
);

/// The namespace of account resource ids: `Uuid::new_v5(ACCOUNT_NAMESPACE, urn)`.
const ACCOUNT_NAMESPACE: Uuid = Uuid::from_u128(0x6c6b_6163_636f_756e_7400_0000_0000_0001);

/// The id of an account's own resource: the same wherever and whenever it is computed.
pub fn account_resource_id(urn: &Urn) -> ResourceId {
    ResourceId(Uuid::new_v5(&ACCOUNT_NAMESPACE, urn.as_str().as_bytes()))
}

/// A resource type: a letter, then letters and digits (`objectStorage`, `vps`), at most 64.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceType(Box<str>);

impl ResourceType {
    pub fn parse(s: &str) -> Result<Self> {
        let ok = (1..=64).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars().all(|c| c.is_ascii_alphanumeric());
        if !ok {
            return Err(Error::invalid(format!(
                "{s:?} is not a resource type: a letter, then letters and digits, at most 64"
            )));
        }
        Ok(Self(s.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A resource's name within its type: printable ASCII without spaces or `*`, at most 256.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceName(Box<str>);

impl ResourceName {
    pub fn parse(s: &str) -> Result<Self> {
        let ok =
            (1..=256).contains(&s.len()) && s.chars().all(|c| c.is_ascii_graphic() && c != '*');
        if !ok {
            return Err(Error::invalid(format!(
                "{s:?} is not a resource name: 1 to 256 printable ASCII characters, no space \
                 or '*'"
            )));
        }
        Ok(Self(s.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a set of tags: OVHcloud's key and value alphabets, at most [`MAX_TAGS`].
pub fn check_tags(tags: &Tags) -> Result<()> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid(format!(
            "a resource carries at most {MAX_TAGS} tags"
        )));
    }
    for (k, v) in tags {
        check_tag(k, v)?;
    }
    Ok(())
}

/// Checks one tag.
pub fn check_tag(key: &str, value: &str) -> Result<()> {
    if !is_tag_key(key) {
        return Err(Error::invalid(format!(
            "tag key {key:?} must be 1 to 128 of a-z A-Z 0-9 _ . : / = + @ -"
        )));
    }
    if !is_tag_value(value) {
        return Err(Error::invalid(format!(
            "tag value {value:?} must be at most 256 of a-z A-Z 0-9 _ . : / = + @ -"
        )));
    }
    Ok(())
}

/// A resource of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub id: ResourceId,
    pub account_id: AccountId,
    pub urn: Urn,
    pub name: ResourceName,
    pub display_name: String,
    pub kind: ResourceType,
    pub tags: Tags,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Resource {
    /// The longest display name.
    pub const MAX_DISPLAY_NAME: usize = 256;

    /// The account itself, as a resource (never stored, never tagged).
    pub fn account(account: &Account, plate: &Plate) -> Self {
        let urn = account.resource_urn(plate);
        Self {
            id: account_resource_id(&urn),
            account_id: account.id,
            urn,
            name: ResourceName(account.nic.as_str().into()),
            display_name: account.nic.as_str().to_owned(),
            kind: ResourceType("account".into()),
            tags: Tags::new(),
            created_at: account.created_at,
            updated_at: account.created_at,
        }
    }

    /// What a condition may read of it.
    pub fn facts(&self) -> crate::policy::ResourceFacts<'_> {
        crate::policy::ResourceFacts {
            name: self.name.as_str(),
            kind: self.kind.as_str(),
            tags: Some(&self.tags),
        }
    }
}

uuid_id!(
    /// A resource group's identifier, a random UUID; its URN is
    /// `urn:v1:{plate}:resourceGroup:{id}`.
    ResourceGroupId,
    "resource group id"
);

impl ResourceGroupId {
    pub fn urn(&self, plate: &Plate) -> Urn {
        Urn::resource_group(plate, &self.0)
    }
}

/// A resource group's name: 1 to 128 letters, digits, `_`, `.`, `-`.
pub fn check_group_name(s: &str) -> Result<()> {
    let ok = (1..=128).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{s:?} is not a resource group name: 1 to 128 of letters, digits, _ . -"
        )))
    }
}

/// A set of an account's registered resources that policies name by one URN: every resource in
/// it, now and later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceGroup {
    pub id: ResourceGroupId,
    pub account_id: AccountId,
    pub name: String,
    /// Managed by the installation: its resources cannot be changed.
    pub read_only: bool,
    /// Its resources, by id, in the order they were given.
    pub members: Vec<ResourceId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ResourceGroup {
    /// Most resources one group holds.
    pub const MAX_MEMBERS: usize = 1000;
}

/// What a product back end registers: the resource's owner is named beside it.
#[derive(Debug, Clone)]
pub struct Registration {
    pub kind: ResourceType,
    pub name: ResourceName,
    pub display_name: Option<String>,
    /// The tags it starts with (a registration again keeps the tags it has).
    pub tags: Tags,
    /// Actions the back end enforces on resources of this type.
    pub actions: Vec<DeclaredAction>,
}

impl Registration {
    /// The resource's URN in `plate`.
    pub fn urn(&self, plate: &Plate) -> Urn {
        Urn::product_resource(plate, self.kind.as_str(), self.name.as_str())
    }

    pub fn validate(&self) -> Result<()> {
        if self.kind.as_str() == "account" {
            return Err(Error::invalid(
                "the type account is the accounts' own; register a product's resources",
            ));
        }
        if let Some(d) = &self.display_name
            && (d.chars().count() > Resource::MAX_DISPLAY_NAME || d.chars().any(char::is_control))
        {
            return Err(Error::invalid(format!(
                "displayName must be at most {} characters, without control characters",
                Resource::MAX_DISPLAY_NAME
            )));
        }
        check_tags(&self.tags)?;
        if self.actions.len() > DeclaredAction::MAX_PER_REGISTRATION {
            return Err(Error::invalid(format!(
                "a registration declares at most {} actions",
                DeclaredAction::MAX_PER_REGISTRATION
            )));
        }
        for a in &self.actions {
            a.validate(&self.kind)?;
        }
        Ok(())
    }
}

/// OVHcloud's action categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Category {
    Create,
    Read,
    Edit,
    Delete,
    Operate,
}

impl Category {
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "CREATE" => Category::Create,
            "READ" => Category::Read,
            "EDIT" => Category::Edit,
            "DELETE" => Category::Delete,
            "OPERATE" => Category::Operate,
            other => {
                return Err(Error::invalid(format!(
                    "{other:?} is not a category: CREATE, READ, EDIT, DELETE or OPERATE"
                )));
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Create => "CREATE",
            Category::Read => "READ",
            Category::Edit => "EDIT",
            Category::Delete => "DELETE",
            Category::Operate => "OPERATE",
        }
    }

    /// The category an action's last word suggests (`…/get` reads, `…/create` creates).
    pub fn of_action(name: &str) -> Self {
        match name.rsplit(['/', ':']).next() {
            Some("get") => Category::Read,
            Some("create") => Category::Create,
            Some("edit") => Category::Edit,
            Some("delete") => Category::Delete,
            _ => Category::Operate,
        }
    }
}

/// An action a product back end enforces, declared so that the reference and the console list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredAction {
    pub action: String,
    pub resource_type: ResourceType,
    pub description: String,
    pub categories: Vec<Category>,
}

impl DeclaredAction {
    pub const MAX_PER_REGISTRATION: usize = 500;
    pub const MAX_DESCRIPTION: usize = 512;

    /// An action of `kind`: `{kind}:{api}:{operation}`, no glob.
    pub fn validate(&self, kind: &ResourceType) -> Result<()> {
        let pattern = crate::policy::ActionPattern::parse(&self.action)?;
        if !pattern.is_exact() {
            return Err(Error::invalid(format!(
                "{:?} is a pattern; declare actions in full",
                self.action
            )));
        }
        if self.action.split(':').next() != Some(kind.as_str()) {
            return Err(Error::invalid(format!(
                "{:?} does not start with its resource type {:?}",
                self.action,
                kind.as_str()
            )));
        }
        if self.description.chars().count() > Self::MAX_DESCRIPTION {
            return Err(Error::invalid(format!(
                "an action's description is at most {} characters",
                Self::MAX_DESCRIPTION
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_resource_id_is_stable_and_its_own() {
        let plate = Plate::parse("eu").unwrap();
        let a = Urn::account_resource(&plate, &crate::names::Nic::parse("lk0001-lk").unwrap());
        let b = Urn::account_resource(&plate, &crate::names::Nic::parse("lk0002-lk").unwrap());
        assert_eq!(account_resource_id(&a), account_resource_id(&a));
        assert_ne!(account_resource_id(&a), account_resource_id(&b));
    }

    #[test]
    fn types_names_and_tags_are_checked() {
        assert!(ResourceType::parse("objectStorage").is_ok());
        for bad in ["", "1vps", "object-storage", &"a".repeat(65)] {
            assert!(ResourceType::parse(bad).is_err(), "{bad:?}");
        }
        assert!(ResourceName::parse("photos.prod-1").is_ok());
        for bad in ["", "has space", "star*", "é"] {
            assert!(ResourceName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(check_tag("env", "prod").is_ok());
        assert!(check_tag("env", "").is_ok());
        assert!(check_tag("", "x").is_err());
        assert!(check_tag("e nv", "x").is_err());
        assert!(check_tag("env", "a b").is_err());
        let many: Tags = (0..=MAX_TAGS)
            .map(|i| (format!("k{i}"), String::new()))
            .collect();
        assert!(check_tags(&many).is_err());
    }

    #[test]
    fn declared_actions_are_full_names_of_their_type() {
        let kind = ResourceType::parse("objectStorage").unwrap();
        let action = |name: &str| DeclaredAction {
            action: name.to_owned(),
            resource_type: kind.clone(),
            description: String::new(),
            categories: vec![],
        };
        assert!(
            action("objectStorage:apiovh:object/get")
                .validate(&kind)
                .is_ok()
        );
        assert!(action("objectStorage:apiovh:*").validate(&kind).is_err());
        assert!(action("vps:apiovh:reboot").validate(&kind).is_err());
        assert_eq!(
            Category::of_action("objectStorage:apiovh:object/get"),
            Category::Read
        );
        assert_eq!(Category::of_action("vps:apiovh:reboot"), Category::Operate);
    }
}
