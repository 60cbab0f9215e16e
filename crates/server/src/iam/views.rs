//! JSON shapes of `/v2/iam`, as OVHcloud's IAM API spells them.

use chrono::{DateTime, Utc};
use latchkey_core::authz::Action;
use latchkey_core::names::{Description, Nic, PolicyName};
use latchkey_core::policy::permissions_group::{PermissionsGroup, PermissionsGroupId};
use latchkey_core::policy::{
    ActionPattern, ConditionDocument, Permissions, Policy, PolicyId, UrnPattern,
};
use latchkey_core::resource::{
    Category, DeclaredAction, Resource, ResourceGroup, ResourceGroupId, ResourceId, Tags,
};
use latchkey_core::urn::Urn;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct ResourceRefView {
    pub urn: UrnPattern,
    /// With `details=true`: the resource the URN names, when it is one of the account's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<SingleResourceView>,
    /// With `details=true`: the resource group the URN names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupRefView>,
}

/// OVHcloud's `iam.policy.SingleResource`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SingleResourceView {
    pub id: ResourceId,
    pub name: String,
    pub display_name: String,
    pub owner: Nic,
    pub tags: Tags,
    #[serde(rename = "type")]
    pub kind: String,
}

/// OVHcloud's `iam.policy.Group`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRefView {
    pub id: ResourceGroupId,
    pub name: String,
    pub read_only: bool,
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

impl PermissionsView {
    pub fn new(p: Permissions) -> Self {
        Self {
            allow: refs(p.allow),
            except: refs(p.except),
            deny: refs(p.deny),
        }
    }
}

/// A permissions group a policy names (OVHcloud's `iam.policy.PermissionsGroup`): its URN, and
/// with `details=true` its name, owner and permissions.
#[derive(Debug, Serialize)]
pub struct PermissionsGroupRefView {
    pub urn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<PermissionsView>,
}

/// A permissions group (OVHcloud's `iam.PermissionsGroup`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionsGroupView {
    pub id: PermissionsGroupId,
    pub urn: String,
    pub name: String,
    pub description: Description,
    /// The account's nic, or `latchkey` for the installation's managed groups.
    pub owner: String,
    pub permissions: PermissionsView,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PermissionsGroupView {
    /// `nic` is the caller's account's.
    pub fn new(g: PermissionsGroup, nic: &Nic, plate: &latchkey_core::names::Plate) -> Self {
        Self {
            urn: g.urn(plate, nic),
            owner: g.owner_name(nic).to_owned(),
            id: g.id,
            name: g.name.as_str().to_owned(),
            description: g.description,
            permissions: PermissionsView::new(g.permissions),
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
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
    pub permissions_groups: Vec<PermissionsGroupRefView>,
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
                .map(|urn| ResourceRefView {
                    urn,
                    resource: None,
                    group: None,
                })
                .collect(),
            permissions: PermissionsView::new(p.permissions),
            permissions_groups: p
                .permissions_groups
                .into_iter()
                .map(|urn| PermissionsGroupRefView {
                    urn,
                    name: None,
                    owner: None,
                    permissions: None,
                })
                .collect(),
            conditions: p.conditions.map(|c| c.document().clone()),
            expired_at: p.expired_at,
            read_only: p.read_only,
            owner: owner.clone(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

impl PolicyView {
    /// `details=true`: each resource URN with the account's resource or group it names, each
    /// permissions group with its name, owner and permissions.
    pub fn with_details(
        mut self,
        resources: &[Resource],
        groups: &[ResourceGroup],
        permissions_groups: &[PermissionsGroup],
        plate: &latchkey_core::names::Plate,
    ) -> Self {
        for g in &mut self.permissions_groups {
            if let Some(found) = permissions_groups
                .iter()
                .find(|x| x.urn(plate, &self.owner) == g.urn)
            {
                g.name = Some(found.name.as_str().to_owned());
                g.owner = Some(found.owner_name(&self.owner).to_owned());
                g.permissions = Some(PermissionsView::new(found.permissions.clone()));
            }
        }
        for r in &mut self.resources {
            let urn = r.urn.as_str();
            r.resource =
                resources
                    .iter()
                    .find(|x| x.urn.as_str() == urn)
                    .map(|x| SingleResourceView {
                        id: x.id,
                        name: x.name.as_str().to_owned(),
                        display_name: x.display_name.clone(),
                        owner: self.owner.clone(),
                        tags: x.tags.clone(),
                        kind: x.kind.as_str().to_owned(),
                    });
            r.group = groups
                .iter()
                .find(|g| g.id.urn(plate).as_str() == urn)
                .map(|g| GroupRefView {
                    id: g.id,
                    name: g.name.clone(),
                    read_only: g.read_only,
                });
        }
        self
    }
}

/// A resource as `/v2/iam/resource` shows it (OVHcloud's `iam.resource.Resource`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceView {
    pub id: ResourceId,
    pub urn: Urn,
    pub name: String,
    pub display_name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub owner: Nic,
    pub tags: Tags,
}

impl ResourceView {
    /// `owner` is the nic of the resource's account.
    pub fn new(r: Resource, owner: &Nic) -> Self {
        Self {
            id: r.id,
            urn: r.urn,
            name: r.name.as_str().to_owned(),
            display_name: r.display_name,
            kind: r.kind.as_str().to_owned(),
            owner: owner.clone(),
            tags: r.tags,
        }
    }
}

/// An entry of `/v2/iam/reference/action` (OVHcloud's `iam.reference.Action`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionView {
    pub action: String,
    pub description: String,
    pub resource_type: String,
    /// `READ`, `CREATE`, `EDIT`, `DELETE` or `OPERATE`.
    pub categories: Vec<Category>,
    /// Always `false`: no action takes parameters.
    pub has_query_parameters: bool,
}

impl ActionView {
    /// One of the server's own actions; its category is its operation's last word.
    pub fn new(a: &'static Action) -> Self {
        Self {
            action: a.name.to_owned(),
            description: a.description.to_owned(),
            resource_type: a.resource_type.to_owned(),
            categories: vec![Category::of_action(a.name)],
            has_query_parameters: false,
        }
    }

    /// An action a product back end declared.
    pub fn declared(a: DeclaredAction) -> Self {
        let categories = if a.categories.is_empty() {
            vec![Category::of_action(&a.action)]
        } else {
            a.categories
        };
        Self {
            action: a.action,
            description: a.description,
            resource_type: a.resource_type.as_str().to_owned(),
            categories,
            has_query_parameters: false,
        }
    }
}

/// A resource of a group: its id alone, or (with `details=true`) the whole resource.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum GroupResourceView {
    Id { id: ResourceId },
    Details(ResourceView),
}

/// A resource group (OVHcloud's `iam.group.Response`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroupView {
    pub id: ResourceGroupId,
    pub urn: Urn,
    pub name: String,
    pub owner: Nic,
    pub read_only: bool,
    pub resources: Vec<GroupResourceView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ResourceGroupView {
    /// `details` holds the group's resources when they are shown whole.
    pub fn new(
        g: ResourceGroup,
        owner: &Nic,
        plate: &latchkey_core::names::Plate,
        details: Option<&[Resource]>,
    ) -> Self {
        let resources = g
            .members
            .iter()
            .map(
                |id| match details.and_then(|all| all.iter().find(|r| r.id == *id)) {
                    Some(r) => GroupResourceView::Details(ResourceView::new(r.clone(), owner)),
                    None => GroupResourceView::Id { id: *id },
                },
            )
            .collect();
        Self {
            urn: g.id.urn(plate),
            id: g.id,
            name: g.name,
            owner: owner.clone(),
            read_only: g.read_only,
            resources,
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
}
