//! JSON shapes of `/v2/iam`, as OVHcloud's IAM API spells them.

use chrono::{DateTime, Utc};
use latchkey_core::authz::Action;
use latchkey_core::model::Account;
use latchkey_core::names::{Description, Nic, Plate, PolicyName};
use latchkey_core::policy::{ActionPattern, ConditionDocument, Policy, PolicyId, UrnPattern};
use latchkey_core::urn::Urn;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct ResourceRefView {
    pub urn: UrnPattern,
}

#[derive(Debug, Serialize)]
pub struct ActionRefView {
    pub action: ActionPattern,
}

#[derive(Debug, Serialize)]
pub struct PermissionsView {
    pub allow: Vec<ActionRefView>,
    pub except: Vec<ActionRefView>,
    pub deny: Vec<ActionRefView>,
}

fn refs(actions: Vec<ActionPattern>) -> Vec<ActionRefView> {
    actions
        .into_iter()
        .map(|action| ActionRefView { action })
        .collect()
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyView {
    pub id: PolicyId,
    pub name: PolicyName,
    pub description: Description,
    pub identities: Vec<UrnPattern>,
    pub resources: Vec<ResourceRefView>,
    pub permissions: PermissionsView,
    /// Permission groups are not supported; always empty.
    pub permissions_groups: Vec<ResourceRefView>,
    /// OVHcloud's condition tree, as it was given; `null` for none.
    pub conditions: Option<ConditionDocument>,
    pub expired_at: Option<DateTime<Utc>>,
    pub read_only: bool,
    /// The account's nic.
    pub owner: Nic,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PolicyView {
    pub fn new(p: Policy, owner: &Nic) -> Self {
        Self {
            id: p.id,
            name: p.name,
            description: p.description,
            identities: p.identities,
            resources: p
                .resources
                .into_iter()
                .map(|urn| ResourceRefView { urn })
                .collect(),
            permissions: PermissionsView {
                allow: refs(p.permissions.allow),
                except: refs(p.permissions.except),
                deny: refs(p.permissions.deny),
            },
            permissions_groups: Vec::new(),
            conditions: p.conditions.map(|c| c.document().clone()),
            expired_at: p.expired_at,
            read_only: p.read_only,
            owner: owner.clone(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A resource of the account as `/v2/iam/resource` lists it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceView {
    pub id: Nic,
    pub urn: Urn,
    pub name: Nic,
    pub display_name: Nic,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub owner: Nic,
    pub tags: serde_json::Map<String, serde_json::Value>,
}

impl ResourceView {
    /// The account itself: the resource every `/1.0` and `/v2` action acts on.
    pub fn account(account: &Account, plate: &Plate) -> Self {
        Self {
            id: account.nic.clone(),
            urn: account.resource_urn(plate),
            name: account.nic.clone(),
            display_name: account.nic.clone(),
            kind: "account",
            owner: account.nic.clone(),
            tags: serde_json::Map::new(),
        }
    }
}

/// An entry of `/v2/iam/reference/action`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionView {
    pub action: &'static str,
    pub description: &'static str,
    pub resource_type: &'static str,
    /// `READ`, `CREATE`, `EDIT`, `DELETE` or `OPERATE`, from the operation's last word.
    pub categories: [&'static str; 1],
}

impl ActionView {
    pub fn new(a: &'static Action) -> Self {
        let category = match a.name.rsplit('/').next() {
            Some("get") => "READ",
            Some("create") => "CREATE",
            Some("edit") => "EDIT",
            Some("delete") => "DELETE",
            _ => "OPERATE",
        };
        Self {
            action: a.name,
            description: a.description,
            resource_type: a.resource_type,
            categories: [category],
        }
    }
}
