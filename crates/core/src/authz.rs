//! Authorisation: the IAM actions every route names, the decision ([`allows`]: built-in grants,
//! then the account's policies), and the [`Permit`] that account-scoped operations require.
//!
//! A [`Permit`] can only be made by a decision ([`authorize`], or Keystone's rule in
//! [`crate::keystone::access`]), so a service operation that takes one cannot be reached without
//! the decision having been made. Operator-only operations take an [`OperatorPermit`] instead,
//! which only the operator's check ([`authorize_operator`], or Keystone's cloud administrator)
//! makes for an [`OperatorAction`]: no permit for an account action can stand in for one.

use std::sync::Arc;

use crate::model::{Account, AccountId, Role, ServiceAccount, User, UserType};
use crate::names::{GroupName, Plate};
use crate::policy::{Facts, PolicySet};
use crate::urn::Urn;
use crate::{Error, Result};

/// An IAM action: `{resourceType}:{api}:{operation}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Action {
    pub name: &'static str,
    pub description: &'static str,
    pub resource_type: &'static str,
    /// Whether it only reads or also changes something, declared with the action.
    pub access: Access,
    /// Only the operator (the bootstrap account's ROOT user) may perform it: such an action is
    /// an [`OperatorAction`].
    pub operator_only: bool,
}

/// Whether an action only reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    Read,
    Write,
}

impl Action {
    /// Whether the action only reads (Keystone's system reader may perform it).
    pub fn reads(&self) -> bool {
        self.access == Access::Read
    }
}

macro_rules! actions {
    ($($konst:ident = $access:ident $name:literal, $desc:literal;)+) => {
        $(pub const $konst: Action = Action {
            name: $name,
            description: $desc,
            resource_type: "account",
            access: Access::$access,
            operator_only: false,
        };)+
        /// Every account-scoped action the server enforces.
        pub const ACCOUNT_ACTIONS: &[Action] = &[$($konst),+];
    };
}

actions! {
    ME_GET = Read "account:apiovh:me/get", "Read the account and the calling identity";
    USER_GET = Read "account:apiovh:me/identity/user/get", "List and read local users";
    USER_CREATE = Write "account:apiovh:me/identity/user/create", "Create a local user";
    USER_EDIT = Write "account:apiovh:me/identity/user/edit", "Edit a local user, including its password";
    USER_DELETE = Write "account:apiovh:me/identity/user/delete", "Delete a local user and its tokens";
    USER_ENABLE = Write "account:apiovh:me/identity/user/enable", "Enable a local user";
    USER_DISABLE = Write "account:apiovh:me/identity/user/disable", "Disable a local user";
    GROUP_GET = Read "account:apiovh:me/identity/group/get", "List and read groups";
    GROUP_CREATE = Write "account:apiovh:me/identity/group/create", "Create a group";
    GROUP_EDIT = Write "account:apiovh:me/identity/group/edit", "Edit a group";
    GROUP_DELETE = Write "account:apiovh:me/identity/group/delete", "Delete a group";
    TOKEN_GET = Read "account:apiovh:me/identity/user/token/get", "List and read a user's personal access tokens";
    TOKEN_CREATE = Write "account:apiovh:me/identity/user/token/create", "Create a personal access token";
    TOKEN_EDIT = Write "account:apiovh:me/identity/user/token/edit", "Edit a personal access token";
    TOKEN_DELETE = Write "account:apiovh:me/identity/user/token/delete", "Delete a personal access token";
    CLIENT_GET = Read "account:apiovh:me/api/oauth2/client/get", "List and read service accounts (OAuth2 clients)";
    CLIENT_CREATE = Write "account:apiovh:me/api/oauth2/client/create", "Create a service account";
    CLIENT_EDIT = Write "account:apiovh:me/api/oauth2/client/edit", "Edit a service account's name, description and callback URLs";
    CLIENT_DELETE = Write "account:apiovh:me/api/oauth2/client/delete", "Delete a service account";
    POLICY_GET = Read "account:apiovh:iam/policy/get", "List and read IAM policies";
    POLICY_CREATE = Write "account:apiovh:iam/policy/create", "Create an IAM policy";
    POLICY_EDIT = Write "account:apiovh:iam/policy/edit", "Replace the content of an IAM policy";
    POLICY_DELETE = Write "account:apiovh:iam/policy/delete", "Delete an IAM policy";
    RESOURCE_GET = Read "account:apiovh:iam/resource/get", "List and read the account's IAM resources";
    RESOURCE_EDIT = Write "account:apiovh:iam/resource/edit", "Replace the tags of a resource of the account";
    RESOURCE_TAG_ADD = Write "account:apiovh:iam/resource/tag/add", "Add a tag to a resource of the account";
    RESOURCE_TAG_REMOVE = Write "account:apiovh:iam/resource/tag/remove", "Remove a tag from a resource of the account";
    RESOURCE_GROUP_GET = Read "account:apiovh:iam/resourceGroup/get", "List and read resource groups";
    RESOURCE_GROUP_CREATE = Write "account:apiovh:iam/resourceGroup/create", "Create a resource group";
    RESOURCE_GROUP_EDIT = Write "account:apiovh:iam/resourceGroup/edit", "Rename a resource group and set its resources";
    RESOURCE_GROUP_DELETE = Write "account:apiovh:iam/resourceGroup/delete", "Delete a resource group no policy names";
    PERMISSIONS_GROUP_GET = Read "account:apiovh:iam/permissionsGroup/get", "List and read permissions groups (the account's and the installation's managed ones)";
    PERMISSIONS_GROUP_CREATE = Write "account:apiovh:iam/permissionsGroup/create", "Create a permissions group";
    PERMISSIONS_GROUP_EDIT = Write "account:apiovh:iam/permissionsGroup/edit", "Replace the content of a permissions group";
    PERMISSIONS_GROUP_DELETE = Write "account:apiovh:iam/permissionsGroup/delete", "Delete a permissions group no policy names";
    RELAY_CALLER = Write "latchkey:iam/authorization/relay", "Pass a caller's address in the authorisation checks made on its behalf (effective in the operator's account only; for the guards of product back ends)";
    RESOURCE_MANAGE = Write "latchkey:iam/resource/manage", "Register and remove the resources of every account, and declare their actions (effective in the operator's account only; for product back ends)";
    RESOURCE_CHECK = Read "account:apiovh:iam/resource/authorization/check", "Check which actions the caller may perform on a resource";
    ACTION_REFERENCE_GET = Read "account:apiovh:iam/reference/action/get", "List the actions the server enforces and those product back ends declare";
    RESOURCE_TYPE_REFERENCE_GET = Read "account:apiovh:iam/reference/resource/type/get", "List the resource types";
    KS_PROJECT_GET = Read "account:keystone:project/get", "List and read the account's Keystone projects";
    KS_PROJECT_CREATE = Write "account:keystone:project/create", "Create a Keystone project";
    KS_PROJECT_EDIT = Write "account:keystone:project/edit", "Rename, describe, enable or disable a Keystone project";
    KS_PROJECT_DELETE = Write "account:keystone:project/delete", "Delete a Keystone project and the roles granted on it";
    KS_GRANT_GET = Read "account:keystone:grant/get", "List the Keystone role assignments of the account";
    KS_GRANT_CREATE = Write "account:keystone:grant/create", "Grant a Keystone role on a project, the domain or the system";
    KS_GRANT_DELETE = Write "account:keystone:grant/delete", "Revoke a Keystone role grant";
    KS_TOKEN_VALIDATE = Write "account:keystone:token/validate", "Validate or revoke Keystone tokens of other identities of the account";
    REVOCATION_GET = Read "account:apiovh:revocation/get", "Read the revocation feed (the operator's account reads every account's events)";
    AUDIT_LOG_GET = Read "account:apiovh:me/logs/audit/get", "Read the account's audit log, in OVHcloud's shape and types";
    AUDIT_RECORD_GET = Read "account:apiovh:audit/log/get", "Read every audit record of the account (the operator's account reads every account's)";
    INTROSPECT_ANY = Read "account:apiovh:oauth2/introspect/any", "Introspect the tokens of every account (effective in the operator's account only; for the guards of product back ends)";
}

/// An action only the operator may perform: the installation's accounts, signing keys, and
/// Keystone's shared roles and catalog. Only [`authorize_operator`] (or Keystone's cloud
/// administrator rule) turns one into an [`OperatorPermit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OperatorAction(Action);

impl OperatorAction {
    const fn new(name: &'static str, description: &'static str) -> Self {
        Self(Action {
            name,
            description,
            resource_type: "account",
            access: Access::Write,
            operator_only: true,
        })
    }

    pub fn action(&self) -> &Action {
        &self.0
    }

    pub fn name(&self) -> &'static str {
        self.0.name
    }
}

/// Create, edit and delete Keystone roles and their implications (global).
pub const KS_ROLE_MANAGE: OperatorAction = OperatorAction::new(
    "account:keystone:admin/role/manage",
    "Create, edit and delete Keystone roles and implied roles (operator only)",
);

/// Create, edit and delete regions, services, endpoints and Keystone's shared documents and
/// domain configurations (global).
pub const KS_CATALOG_MANAGE: OperatorAction = OperatorAction::new(
    "account:keystone:admin/catalog/manage",
    "Create, edit and delete Keystone regions, services and endpoints (operator only)",
);

/// Create and read accounts of the installation.
pub const ADMIN_ACCOUNT_MANAGE: OperatorAction = OperatorAction::new(
    "account:apiovh:admin/account/manage",
    "Create and read the installation's accounts (operator only)",
);

/// Rotate the signing keys of access tokens now.
pub const ADMIN_KEYS_ROTATE: OperatorAction = OperatorAction::new(
    "account:apiovh:admin/keys/rotate",
    "Rotate the signing keys of short-lived tokens (operator only)",
);

/// Every operator-only action.
pub const OPERATOR_ACTIONS: &[OperatorAction] = &[
    ADMIN_ACCOUNT_MANAGE,
    ADMIN_KEYS_ROTATE,
    KS_ROLE_MANAGE,
    KS_CATALOG_MANAGE,
];

/// Every action the server enforces.
pub fn all_actions() -> impl Iterator<Item = &'static Action> {
    ACCOUNT_ACTIONS
        .iter()
        .chain(OPERATOR_ACTIONS.iter().map(OperatorAction::action))
}

/// How the caller proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A personal access token, by name.
    Pat(crate::names::TokenName),
    /// The user's password.
    Password,
    /// A web console session (opened with the user's password).
    ConsoleSession,
    /// An OAuth2 access token, by token id.
    AccessToken { jti: String },
    /// A Keystone token, by audit id.
    KeystoneToken { audit_id: String },
    /// A service account's client secret (OAuth2 client authentication).
    ClientSecret,
}

/// The identity a credential resolved to.
#[derive(Debug, Clone)]
pub enum Subject {
    /// A local user (through its password or one of its PATs).
    User(Arc<User>),
    /// A service account (through an OAuth2 access token).
    ServiceAccount(Arc<ServiceAccount>),
}

impl Subject {
    /// The identity URN that policies name, in the account `nic`.
    pub fn urn(&self, plate: &Plate, nic: &crate::names::Nic) -> Urn {
        match self {
            Subject::User(user) => Urn::user(plate, nic, &user.login),
            Subject::ServiceAccount(sa) => sa.urn(plate, nic),
        }
    }
}

/// An authenticated caller: one identity of one account.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account: Arc<Account>,
    pub subject: Subject,
    /// A user's Keystone groups in its own account, beside its IAM group: their URNs and roles
    /// count as its group's do.
    pub groups: Vec<(GroupName, Role)>,
    pub via: Via,
}

impl Principal {
    /// The principal as the author of a change, for the audit log.
    pub fn author(&self, plate: &Plate) -> crate::audit::Author {
        let identity = self.urn(plate).to_string();
        let credential = match &self.via {
            Via::Pat(name) => format!("pat:{name}"),
            Via::Password => "password".to_owned(),
            Via::ConsoleSession => "console".to_owned(),
            Via::AccessToken { jti } => format!("token:{jti}"),
            Via::KeystoneToken { audit_id } => format!("keystone:{audit_id}"),
            Via::ClientSecret => match &self.subject {
                Subject::ServiceAccount(sa) => format!("client:{}", sa.client_id),
                Subject::User(_) => "client".to_owned(),
            },
        };
        match &self.subject {
            Subject::User(user) => crate::audit::Author::user(user, identity, credential),
            Subject::ServiceAccount(sa) => crate::audit::Author {
                kind: Some(crate::audit::AuthorType::User),
                user: Some(sa.client_id.to_string()),
                identity: Some(identity),
                credential: Some(credential),
            },
        }
    }

    /// The identity URN that policies name.
    pub fn urn(&self, plate: &Plate) -> Urn {
        self.subject.urn(plate, &self.account.nic)
    }

    /// The local user, when the caller is one.
    pub fn user(&self) -> Option<&User> {
        match &self.subject {
            Subject::User(user) => Some(user),
            Subject::ServiceAccount(_) => None,
        }
    }
}

impl Principal {
    /// The URNs policies may name the caller by: a user's own URN and its group's URN; a service
    /// account's credential URN.
    pub fn identities(&self, plate: &Plate) -> Vec<Urn> {
        match &self.subject {
            Subject::User(user) => {
                let mut out = vec![
                    Urn::user(plate, &self.account.nic, &user.login),
                    Urn::group(plate, &self.account.nic, &user.group),
                ];
                for (group, _) in &self.groups {
                    out.push(Urn::group(plate, &self.account.nic, group));
                }
                out
            }
            Subject::ServiceAccount(sa) => vec![sa.urn(plate, &self.account.nic)],
        }
    }

    /// Whether the caller is the installation's operator: the operator account's ROOT user.
    pub fn is_operator(&self) -> bool {
        self.account.operator && self.user().is_some_and(|u| u.kind == UserType::Root)
    }

    /// Whether the caller is a member of an `ADMIN`-role group of its account.
    fn in_admin_group(&self) -> bool {
        self.user().is_some_and(|u| u.group_role == Role::Admin)
            || self.groups.iter().any(|(_, role)| *role == Role::Admin)
    }
}

/// Whose the resource of a decision is, from the caller's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    /// The caller's account itself, or a resource registered to it: the built-in grants reach it.
    Own,
    /// Another account, or a resource registered to another account: refused whatever the
    /// policies say.
    Foreign,
    /// A URN nothing registered: policies alone decide.
    Unregistered,
}

impl Ownership {
    /// What the URN alone says: the caller's account resource is its own, another account's is
    /// not; any other URN is unregistered unless the resource index says otherwise.
    pub fn of_urn(plate: &Plate, who: &Principal, resource: &Urn) -> Self {
        if resource.is_account_resource(plate, &who.account.nic) {
            Ownership::Own
        } else if resource.names_an_account() {
            Ownership::Foreign
        } else {
            Ownership::Unregistered
        }
    }
}

/// Decides whether `who` may perform the action named `action` on `resource`, given its
/// account's policies (`None` when the account has none) and the request's `facts` (the time,
/// the caller's address, the resource's attributes) that expiry and conditions read, and whose
/// the resource is (`owner`).
///
/// Built-in grants come first: an operator-only action needs the operator account's ROOT user
/// and no policy can grant it; another account's resource is out of reach; the ROOT user and
/// members of an `ADMIN`-role group may do everything on their own account and its registered
/// resources. Everyone else — other users, whatever their group's role, and every service
/// account — has exactly what the account's policies grant.
#[allow(clippy::too_many_arguments)]
pub fn allows(
    policies: Option<&PolicySet>,
    plate: &Plate,
    who: &Principal,
    action: &str,
    operator_only: bool,
    resource: &Urn,
    owner: Ownership,
    facts: &Facts<'_>,
) -> bool {
    let user = who.user();
    if operator_only {
        return who.is_operator();
    }
    // The URN alone can tell another account's resource, whatever the index said.
    if owner == Ownership::Foreign || Ownership::of_urn(plate, who, resource) == Ownership::Foreign
    {
        return false;
    }
    if owner == Ownership::Own
        && (user.is_some_and(|u| u.kind == UserType::Root) || who.in_admin_group())
    {
        return true;
    }
    let Some(policies) = policies else {
        return false;
    };
    let identities = who.identities(plate);
    let identities: Vec<&str> = identities.iter().map(Urn::as_str).collect();
    policies
        .decide(&identities, action, resource.as_str(), facts)
        .is_allowed()
}

/// Proof that an action was allowed in an account. Only a decision makes one: [`authorize`], or
/// Keystone's rule ([`crate::keystone::access::KsReach::permit`]).
#[derive(Debug)]
pub struct Permit {
    account: AccountId,
    action: &'static str,
    /// Who it was granted to: the author of the changes made with it.
    by: Option<Principal>,
}

impl Permit {
    /// For the deciding modules of this crate only.
    pub(crate) fn granted(account: AccountId, action: &Action) -> Self {
        Self {
            account,
            action: action.name,
            by: None,
        }
    }

    /// Names who the permit was granted to (the deciding modules of this crate only).
    pub(crate) fn by(mut self, who: &Principal) -> Self {
        self.by = Some(who.clone());
        self
    }

    /// Who it was granted to, for the audit log.
    pub fn author(&self, plate: &Plate) -> crate::audit::Author {
        author_of(self.by.as_ref(), plate)
    }

    /// The account the operation is confined to.
    pub fn account(&self) -> AccountId {
        self.account
    }

    pub fn action(&self) -> &'static str {
        self.action
    }
}

/// The author a permit names: its holder, or the installation when no decision named one.
fn author_of(by: Option<&Principal>, plate: &Plate) -> crate::audit::Author {
    by.map_or_else(crate::audit::Author::system, |who| who.author(plate))
}

/// Proof that the caller is the installation's operator, for one operator-only action. Only
/// [`authorize_operator`] and Keystone's cloud administrator rule
/// ([`crate::keystone::access::KsReach::operator`]) make one.
#[derive(Debug)]
pub struct OperatorPermit {
    action: &'static str,
    by: Option<Principal>,
}

impl OperatorPermit {
    pub(crate) fn granted(action: &OperatorAction) -> Self {
        Self {
            action: action.name(),
            by: None,
        }
    }

    /// Names who the permit was granted to (the deciding modules of this crate only).
    pub(crate) fn by(mut self, who: &Principal) -> Self {
        self.by = Some(who.clone());
        self
    }

    /// Who it was granted to, for the audit log.
    pub fn author(&self, plate: &Plate) -> crate::audit::Author {
        author_of(self.by.as_ref(), plate)
    }

    /// The operator-only action it was made for.
    pub fn action(&self) -> &'static str {
        self.action
    }
}

/// Decides an operator-only action: the operator account's ROOT user only, whatever the
/// policies say.
pub fn authorize_operator(who: &Principal, action: &OperatorAction) -> Result<OperatorPermit> {
    if who.is_operator() {
        Ok(OperatorPermit::granted(action).by(who))
    } else {
        Err(Error::forbidden(action.name()))
    }
}

/// Decides as [`allows`] does for a resource whose owner the URN tells (the account resource)
/// and, if it allows, returns the permit for the caller's own account.
pub fn authorize(
    policies: Option<&PolicySet>,
    plate: &Plate,
    who: &Principal,
    action: &Action,
    resource: &Urn,
    facts: &Facts<'_>,
) -> Result<Permit> {
    let owner = Ownership::of_urn(plate, who, resource);
    if allows(
        policies,
        plate,
        who,
        action.name,
        action.operator_only,
        resource,
        owner,
        facts,
    ) {
        Ok(Permit::granted(who.account.id, action).by(who))
    } else {
        Err(Error::forbidden(action.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{UserId, UserStatus};
    use crate::names::{Description, Email, GroupName, Login, Nic};
    use chrono::Utc;

    fn principal(operator: bool, kind: UserType, role: Role) -> Principal {
        let now = Utc::now();
        Principal {
            account: Arc::new(Account {
                id: AccountId(1),
                nic: Nic::parse("lk0001-lk").unwrap(),
                email: Email::parse("a@b.c").unwrap(),
                operator,
                created_at: now,
                domain: crate::model::DomainFields::default(),
            }),
            subject: Subject::User(Arc::new(User {
                id: UserId(1),
                account_id: AccountId(1),
                login: Login::parse("u").unwrap(),
                email: Email::parse("a@b.c").unwrap(),
                group: GroupName::parse("g").unwrap(),
                group_role: role,
                description: Description::default(),
                status: UserStatus::Ok,
                kind,
                created_at: now,
                updated_at: now,
                password_updated_at: now,
            })),
            groups: Vec::new(),
            via: Via::Password,
        }
    }

    fn now() -> Facts<'static> {
        Facts {
            now: Utc::now(),
            ..Facts::default()
        }
    }

    fn eu() -> Plate {
        Plate::parse("eu").unwrap()
    }

    fn own(p: &Principal) -> Urn {
        p.account.resource_urn(&eu())
    }

    fn decide(
        policies: Option<&PolicySet>,
        p: &Principal,
        action: &Action,
        on: &Urn,
    ) -> Result<Permit> {
        authorize(policies, &eu(), p, action, on, &now())
    }

    fn policy_for(identity: &str, action: &str) -> PolicySet {
        policy_on(identity, "urn:v1:eu:resource:account:lk0001-lk", action)
    }

    fn policy_on(identity: &str, resource: &str, action: &str) -> PolicySet {
        use crate::policy::{ActionPattern, Permissions, Policy, PolicyId, UrnPattern};
        let now = Utc::now();
        PolicySet::build(&[Policy {
            id: PolicyId::random(),
            account_id: AccountId(1),
            name: crate::names::PolicyName::parse("p").unwrap(),
            description: Description::default(),
            identities: vec![UrnPattern::identity(identity).unwrap()],
            resources: vec![UrnPattern::resource(resource).unwrap()],
            permissions: Permissions {
                allow: vec![ActionPattern::parse(action).unwrap()],
                ..Permissions::default()
            },
            conditions: None,
            permissions_groups: Vec::new(),
            expired_at: None,
            read_only: false,
            created_at: now,
            updated_at: now,
        }])
    }

    #[test]
    fn root_and_admin_group_may_act_in_their_own_account_without_policies() {
        for p in [
            principal(false, UserType::Root, Role::Regular),
            principal(false, UserType::User, Role::Admin),
        ] {
            let permit = decide(None, &p, &USER_CREATE, &own(&p)).unwrap();
            assert_eq!(permit.account(), AccountId(1));
        }
    }

    #[test]
    fn other_roles_are_refused_with_the_action_named() {
        for role in [Role::Regular, Role::Unprivileged, Role::None] {
            let p = principal(false, UserType::User, role);
            match decide(None, &p, &TOKEN_CREATE, &own(&p)) {
                Err(Error::Forbidden { actions }) => assert_eq!(actions, vec![TOKEN_CREATE.name]),
                other => panic!("expected Forbidden, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_policy_grants_a_regular_user_its_action_through_its_group() {
        let p = principal(false, UserType::User, Role::Regular);
        let set = policy_for("urn:v1:eu:identity:group:lk0001-lk/g", TOKEN_CREATE.name);
        assert!(decide(Some(&set), &p, &TOKEN_CREATE, &own(&p)).is_ok());
        assert!(decide(Some(&set), &p, &TOKEN_DELETE, &own(&p)).is_err());
    }

    #[test]
    fn keystone_groups_count_as_the_iam_group_does() {
        let mut p = principal(false, UserType::User, Role::Regular);
        let set = policy_for("urn:v1:eu:identity:group:lk0001-lk/ops", TOKEN_CREATE.name);
        assert!(decide(Some(&set), &p, &TOKEN_CREATE, &own(&p)).is_err());
        p.groups = vec![(GroupName::parse("ops").unwrap(), Role::Regular)];
        assert!(decide(Some(&set), &p, &TOKEN_CREATE, &own(&p)).is_ok());
        // A Keystone group with the ADMIN role makes its member an administrator of the account.
        assert!(decide(None, &p, &USER_CREATE, &own(&p)).is_err());
        p.groups = vec![(GroupName::parse("admins").unwrap(), Role::Admin)];
        assert!(decide(None, &p, &USER_CREATE, &own(&p)).is_ok());
    }

    #[test]
    fn nobody_acts_on_another_accounts_resource_whatever_the_policies() {
        let p = principal(false, UserType::Root, Role::Admin);
        let other = Urn::account_resource(&eu(), &Nic::parse("lk0002-lk").unwrap());
        assert!(decide(None, &p, &USER_GET, &other).is_err());
        let everything = policy_for("*", "*");
        let regular = principal(false, UserType::User, Role::Regular);
        let other_everything = policy_on("*", "*", "*");
        assert!(decide(Some(&everything), &regular, &USER_GET, &own(&regular)).is_ok());
        assert!(decide(Some(&other_everything), &regular, &USER_GET, &other).is_err());
    }

    #[test]
    fn built_in_grants_follow_ownership_of_registered_resources() {
        let vps = Urn::resource("urn:v1:eu:resource:vps:vps-1.lk").unwrap();
        let decide = |policies: Option<&PolicySet>, p: &Principal, owner: Ownership| {
            allows(
                policies,
                &eu(),
                p,
                "vps:apiovh:reboot",
                false,
                &vps,
                owner,
                &now(),
            )
        };
        let root = principal(false, UserType::Root, Role::Regular);
        let admin = principal(false, UserType::User, Role::Admin);
        for p in [&root, &admin] {
            assert!(decide(None, p, Ownership::Own));
            // Not registered, or registered to another account: not theirs.
            assert!(!decide(None, p, Ownership::Unregistered));
            assert!(!decide(None, p, Ownership::Foreign));
        }
        let regular = principal(false, UserType::User, Role::Regular);
        assert!(!decide(None, &regular, Ownership::Own));
        let everything = policy_on("*", "*", "*");
        assert!(decide(Some(&everything), &regular, Ownership::Own));
        assert!(decide(Some(&everything), &regular, Ownership::Unregistered));
        // Another account's resource is refused whatever a policy says.
        assert!(!decide(Some(&everything), &regular, Ownership::Foreign));
        assert!(!decide(Some(&everything), &root, Ownership::Foreign));
    }

    #[test]
    fn operator_actions_need_the_operator_root_and_no_policy_grants_them() {
        let res = Urn::account_resource(&eu(), &Nic::parse("lk0001-lk").unwrap());
        let operator = |p: &Principal| authorize_operator(p, &ADMIN_ACCOUNT_MANAGE);
        let permit = operator(&principal(true, UserType::Root, Role::Admin)).unwrap();
        assert_eq!(permit.action(), ADMIN_ACCOUNT_MANAGE.name());
        assert!(operator(&principal(true, UserType::User, Role::Admin)).is_err());
        assert!(operator(&principal(false, UserType::Root, Role::Admin)).is_err());
        // The same answers from the decision a check of the action's name reads.
        let allowed = |policies: Option<&PolicySet>, p: &Principal| {
            let name = ADMIN_ACCOUNT_MANAGE.name();
            allows(policies, &eu(), p, name, true, &res, Ownership::Own, &now())
        };
        assert!(allowed(None, &principal(true, UserType::Root, Role::Admin)));
        assert!(!allowed(
            None,
            &principal(true, UserType::User, Role::Admin)
        ));
        assert!(!allowed(
            None,
            &principal(false, UserType::Root, Role::Admin)
        ));
        let everything = policy_for("*", "*");
        let regular = principal(true, UserType::User, Role::Regular);
        assert!(!allowed(Some(&everything), &regular));
        assert!(operator(&regular).is_err());
    }

    #[test]
    fn reading_is_declared_with_each_action() {
        for action in all_actions() {
            let named_as_read = action.name.ends_with("/get")
                || action.name.ends_with("/check")
                || action.name.ends_with("/introspect/any");
            assert_eq!(action.reads(), named_as_read, "{}", action.name);
        }
        assert!(OPERATOR_ACTIONS.iter().all(|a| a.action().operator_only));
        assert!(ACCOUNT_ACTIONS.iter().all(|a| !a.operator_only));
    }

    #[test]
    fn every_action_name_is_unique_and_well_formed() {
        let names: Vec<_> = all_actions().map(|a| a.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        // `{resourceType}:{api}:{operation}`, or Latchkey's own `latchkey:{operation}`.
        assert!(names.iter().all(|n| n.split(':').count() == 3
            || (n.starts_with("latchkey:") && n.split(':').count() == 2)));
        assert!(
            names
                .iter()
                .all(|n| crate::policy::ActionPattern::parse(n).is_ok())
        );
    }
}
