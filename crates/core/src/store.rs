//! The persistence contract. `latchkey-store` implements it for SQLite and PostgreSQL; both run
//! the same contract tests. Every operation below an account takes that account's id, so no query
//! can reach across accounts. A write that returns `Ok` is durable.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;
use crate::keys::StoredKey;
use crate::keystone::{Actor, Assignment, Endpoint, KsRole, Membership, Project, Region, Service};
use crate::model::{
    Account, AccountId, DomainFields, Flow, Group, GroupId, Pat, PatId, PatRecord, Role,
    ServiceAccount, User, UserId, UserStatus, UserType,
};
use crate::names::{
    CallbackUrl, ClientId, Description, DisplayName, Email, GroupName, Login, Nic, TokenName,
};
use crate::policy::{Policy, PolicyDraft, PolicyId};
use crate::secret::TokenHash;

/// A new account with its default groups and its ROOT user, created in one transaction.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub nic: Nic,
    pub email: Email,
    pub operator: bool,
    /// The account as a Keystone domain.
    pub domain: DomainFields,
    pub root_login: Login,
    pub root_password_hash: String,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewGroup {
    pub name: GroupName,
    pub role: Role,
    pub description: Description,
    pub now: DateTime<Utc>,
}

/// Fields of a group that can change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct GroupChanges {
    /// A new name (Keystone renames groups). The group's Keystone grants follow it.
    pub name: Option<GroupName>,
    pub role: Option<Role>,
    pub description: Option<Description>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub login: Login,
    pub email: Email,
    pub group: GroupName,
    pub description: Description,
    pub password_hash: String,
    pub status: UserStatus,
    pub kind: UserType,
    pub now: DateTime<Utc>,
}

/// Fields of a user that can change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    /// A new login (a rename): `Conflict` when the account has a user of that login.
    pub login: Option<Login>,
    pub email: Option<Email>,
    pub group: Option<GroupName>,
    pub description: Option<Description>,
    pub status: Option<UserStatus>,
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewPat {
    pub name: TokenName,
    pub description: Description,
    pub hash: TokenHash,
    pub expires_at: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

/// Fields of a PAT that can change; `None` leaves a field as it is
/// (`Some(None)` for `expires_at` means "never expires").
#[derive(Debug, Clone, Default)]
pub struct PatChanges {
    pub description: Option<Description>,
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

#[derive(Debug, Clone)]
pub struct NewServiceAccount {
    pub client_id: ClientId,
    pub name: DisplayName,
    pub description: Description,
    pub flow: Flow,
    pub callback_urls: Vec<CallbackUrl>,
    pub secret_hash: TokenHash,
    pub now: DateTime<Utc>,
}

/// Fields of a service account that can change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ServiceAccountChanges {
    pub name: Option<DisplayName>,
    pub description: Option<Description>,
    pub callback_urls: Option<Vec<CallbackUrl>>,
}

/// A new policy: its content, and whether the installation manages it.
#[derive(Debug, Clone)]
pub struct NewPolicy {
    pub id: PolicyId,
    pub draft: PolicyDraft,
    pub read_only: bool,
    pub now: DateTime<Utc>,
}

/// What the Keystone bootstrap writes, all at once.
#[derive(Debug, Clone)]
pub struct KeystoneBootstrap {
    pub roles: Vec<crate::keystone::KsRole>,
    /// (prior role id, implied role id).
    pub implications: Vec<(String, String)>,
    pub region: crate::keystone::Region,
    pub service: crate::keystone::Service,
    pub endpoints: Vec<crate::keystone::Endpoint>,
    /// The operator's project and the grants on it (and on the system), when there is an
    /// operator account.
    pub project: Option<(crate::keystone::Project, Vec<Assignment>)>,
    pub at: DateTime<Utc>,
}

/// What a revocation event invalidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationKind {
    /// A PAT (subject: its keyed hash, hex).
    Pat,
    /// A local user's state or group (subject: the user id).
    User,
    /// A group's role (subject: `{account id}/{group name}`).
    Group,
    /// A service account (subject: its client id).
    Client,
    /// One access token (subject: its `jti`).
    AccessToken,
    /// An account's policies changed (subject: the account id).
    Policies,
    /// Keystone data changed: an account's projects or role assignments (subject: the account
    /// id), or the roles and the catalog (subject: `catalog`).
    Keystone,
}

impl RevocationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationKind::Pat => "pat",
            RevocationKind::User => "user",
            RevocationKind::Group => "group",
            RevocationKind::Client => "client",
            RevocationKind::AccessToken => "token",
            RevocationKind::Policies => "policies",
            RevocationKind::Keystone => "keystone",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pat" => RevocationKind::Pat,
            "user" => RevocationKind::User,
            "group" => RevocationKind::Group,
            "client" => RevocationKind::Client,
            "token" => RevocationKind::AccessToken,
            "policies" => RevocationKind::Policies,
            "keystone" => RevocationKind::Keystone,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewRevocation {
    pub kind: RevocationKind,
    pub subject: String,
    /// The account the event belongs to (`None` for the shared catalog).
    pub account: Option<AccountId>,
    /// The URN of the identity whose credentials the event ends or changes, if one.
    pub identity: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationEvent {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub account: Option<AccountId>,
    pub identity: Option<String>,
    pub at: DateTime<Utc>,
}

/// The store. Lookups of a missing row return `Ok(None)`; changes to a missing row return
/// `Error::NotFound`; unique-constraint violations return `Error::Conflict`.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Whether several nodes may share this store (PostgreSQL), so that what must hold across
    /// nodes (token-creation limits) is kept in it rather than in one node's memory.
    fn shared(&self) -> bool;

    // Accounts.
    async fn create_account(&self, new: NewAccount) -> Result<Account>;
    async fn account(&self, id: AccountId) -> Result<Option<Account>>;
    async fn account_by_nic(&self, nic: &Nic) -> Result<Option<Account>>;
    async fn list_accounts(&self) -> Result<Vec<Account>>;
    /// The bootstrap account, if the store has been bootstrapped.
    async fn operator_account(&self) -> Result<Option<Account>>;
    /// Sets what Keystone shows of the account; `Conflict` when another domain has the name.
    async fn update_domain(&self, id: AccountId, domain: &DomainFields) -> Result<Account>;
    /// Deletes a tenant account and everything in it (never the operator's).
    async fn delete_account(&self, id: AccountId) -> Result<()>;

    // Groups.
    async fn create_group(&self, account: AccountId, new: NewGroup) -> Result<Group>;
    async fn group(&self, account: AccountId, name: &GroupName) -> Result<Option<Group>>;
    async fn list_groups(&self, account: AccountId) -> Result<Vec<GroupName>>;
    async fn update_group(
        &self,
        account: AccountId,
        name: &GroupName,
        changes: GroupChanges,
        now: DateTime<Utc>,
    ) -> Result<Group>;
    /// Refused with `Conflict` while users belong to the group.
    async fn delete_group(&self, account: AccountId, name: &GroupName) -> Result<()>;

    // Users.
    /// `Invalid` if the group does not exist in the account.
    async fn create_user(&self, account: AccountId, new: NewUser) -> Result<User>;
    async fn user(&self, account: AccountId, login: &Login) -> Result<Option<User>>;
    async fn user_by_id(&self, id: UserId) -> Result<Option<User>>;
    /// The user and its password hash, for password authentication.
    async fn user_with_password(
        &self,
        account: AccountId,
        login: &Login,
    ) -> Result<Option<(User, String)>>;
    async fn list_users(&self, account: AccountId) -> Result<Vec<Login>>;
    async fn update_user(
        &self,
        account: AccountId,
        login: &Login,
        changes: UserChanges,
        now: DateTime<Utc>,
    ) -> Result<User>;
    /// Deletes the user and its tokens; returns the hashes of the tokens removed.
    async fn delete_user(&self, account: AccountId, login: &Login) -> Result<Vec<TokenHash>>;

    // Personal access tokens.
    async fn create_pat(&self, user: UserId, new: NewPat) -> Result<Pat>;
    async fn pat(&self, user: UserId, name: &TokenName) -> Result<Option<Pat>>;
    async fn list_pats(&self, user: UserId) -> Result<Vec<TokenName>>;
    async fn update_pat(
        &self,
        user: UserId,
        name: &TokenName,
        changes: PatChanges,
    ) -> Result<PatRecord>;
    /// Deletes the token and returns its hash.
    async fn delete_pat(&self, user: UserId, name: &TokenName) -> Result<TokenHash>;
    async fn pat_by_hash(&self, hash: &TokenHash) -> Result<Option<PatRecord>>;
    /// Records when tokens were last used (kept if an earlier time is given).
    async fn record_pat_usage(&self, uses: &[(PatId, DateTime<Utc>)]) -> Result<()>;

    // Service accounts (OAuth2 clients).
    /// `Conflict` if the client id or the secret hash is taken.
    async fn create_service_account(
        &self,
        account: AccountId,
        new: NewServiceAccount,
    ) -> Result<ServiceAccount>;
    async fn service_account(
        &self,
        account: AccountId,
        client: &ClientId,
    ) -> Result<Option<ServiceAccount>>;
    async fn list_service_accounts(&self, account: AccountId) -> Result<Vec<ClientId>>;
    async fn update_service_account(
        &self,
        account: AccountId,
        client: &ClientId,
        changes: ServiceAccountChanges,
    ) -> Result<ServiceAccount>;
    async fn delete_service_account(&self, account: AccountId, client: &ClientId) -> Result<()>;
    // Signing keys.
    /// Every stored key: retired ones first, then the primary, then the staged one.
    async fn signing_keys(&self) -> Result<Vec<StoredKey>>;
    /// Stores the first keys of an empty key table. `Ok(false)` if keys exist already (another
    /// node was first).
    async fn init_signing_keys(&self, primary: StoredKey, staged: StoredKey) -> Result<bool>;
    /// Promotes the staged key, retires `expected_primary` (verifying until `verify_until`),
    /// stores `next_staged`, and drops retired keys past their deadline, in one transaction.
    /// `Ok(false)` if the primary is no longer `expected_primary` (another node rotated).
    async fn rotate_signing_keys(
        &self,
        expected_primary: &str,
        verify_until: DateTime<Utc>,
        next_staged: StoredKey,
        now: DateTime<Utc>,
    ) -> Result<bool>;

    // Policies.
    /// Refused with `Conflict` when the account already has a policy of that name.
    async fn create_policy(&self, account: AccountId, new: NewPolicy) -> Result<Policy>;
    async fn policy(&self, account: AccountId, id: PolicyId) -> Result<Option<Policy>>;
    /// The account's policies, oldest first.
    async fn list_policies(&self, account: AccountId) -> Result<Vec<Policy>>;
    /// Every policy of every account, to build the indexes at start.
    async fn all_policies(&self) -> Result<Vec<Policy>>;
    /// Replaces the content of a policy; `Conflict` when the new name is another's.
    async fn replace_policy(
        &self,
        account: AccountId,
        id: PolicyId,
        draft: PolicyDraft,
        now: DateTime<Utc>,
    ) -> Result<Policy>;
    async fn delete_policy(&self, account: AccountId, id: PolicyId) -> Result<()>;

    // Revocation events.
    /// Appends an event; returns its id.
    async fn record_revocation(&self, event: &NewRevocation) -> Result<i64>;
    /// Events with an id above `after`, oldest first, at most `limit`.
    async fn revocations_since(&self, after: i64, limit: i64) -> Result<Vec<RevocationEvent>>;
    /// Events after `after` that belong to `account` or to no account (the shared catalog),
    /// oldest first, at most `limit`.
    async fn account_revocations_since(
        &self,
        account: AccountId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<RevocationEvent>>;
    /// The id of the newest event (0 when there is none).
    async fn last_revocation_id(&self) -> Result<i64>;
    /// Forgets events older than `before`.
    async fn prune_revocations(&self, before: DateTime<Utc>) -> Result<()>;

    // Revoked access tokens.
    /// Records a revoked token id until the token would have expired anyway.
    async fn revoke_token(&self, jti: &str, expires_at: DateTime<Utc>) -> Result<()>;
    /// Ids of revoked tokens not yet expired at `now`; forgets the expired ones.
    async fn revoked_tokens(&self, now: DateTime<Utc>) -> Result<Vec<String>>;

    // Keystone: projects (per account), roles and the catalog (global), role assignments.
    /// Writes the bootstrap in one transaction, once per store; `Ok(false)` when it was written
    /// before (by an earlier start, or by another node).
    async fn bootstrap_keystone(&self, bootstrap: &KeystoneBootstrap) -> Result<bool>;
    /// `Conflict` when the account has a project of that name.
    async fn create_project(&self, project: &Project) -> Result<()>;
    /// Replaces a project's name, description and enabled flag; `NotFound`, `Conflict`.
    async fn update_project(&self, project: &Project) -> Result<()>;
    /// Deletes a project and the roles granted on it.
    async fn delete_project(&self, account: AccountId, id: &str) -> Result<()>;
    async fn projects(&self, account: AccountId) -> Result<Vec<Project>>;
    /// `Conflict` when a role of that name exists.
    async fn create_role(&self, role: &KsRole) -> Result<()>;
    async fn update_role(&self, role: &KsRole) -> Result<()>;
    /// Deletes a role, its implications and every grant of it.
    async fn delete_role(&self, id: &str) -> Result<()>;
    async fn roles(&self) -> Result<Vec<KsRole>>;
    /// Records that `prior` implies `implied` (idempotent).
    async fn create_implied_role(&self, prior: &str, implied: &str) -> Result<()>;
    async fn delete_implied_role(&self, prior: &str, implied: &str) -> Result<()>;
    async fn implied_roles(&self) -> Result<Vec<(String, String)>>;
    /// Grants a role (idempotent).
    async fn grant_role(&self, account: AccountId, assignment: &Assignment) -> Result<()>;
    /// `NotFound` when the role was not granted.
    async fn revoke_role(&self, account: AccountId, assignment: &Assignment) -> Result<()>;
    /// Removes every grant held by an actor (deleted user, group or service account): in
    /// `account`, and for a user in every account (its grants may be on other domains).
    async fn revoke_actor_roles(&self, account: AccountId, actor: &Actor) -> Result<()>;
    async fn assignments(&self, account: AccountId) -> Result<Vec<Assignment>>;
    /// The accounts holding a grant to `actor`.
    async fn accounts_granting(&self, actor: &Actor) -> Result<Vec<AccountId>>;
    /// Adds a Keystone group membership beside the user's IAM group (idempotent).
    async fn add_membership(&self, group: GroupId, user: UserId) -> Result<()>;
    /// Whether there was such a membership to remove.
    async fn remove_membership(&self, group: GroupId, user: UserId) -> Result<bool>;
    /// The Keystone memberships in an account's groups.
    async fn memberships_in(&self, account: AccountId) -> Result<Vec<Membership>>;
    /// The groups, of any account, a user is a Keystone member of.
    async fn memberships_of(&self, user: UserId) -> Result<Vec<Group>>;
    async fn create_region(&self, region: &Region) -> Result<()>;
    async fn update_region(&self, region: &Region) -> Result<()>;
    /// `Conflict` while endpoints or child regions use it.
    async fn delete_region(&self, id: &str) -> Result<()>;
    async fn regions(&self) -> Result<Vec<Region>>;
    async fn create_service(&self, service: &Service) -> Result<()>;
    async fn update_service(&self, service: &Service) -> Result<()>;
    /// Deletes a service and its endpoints.
    async fn delete_service(&self, id: &str) -> Result<()>;
    async fn services(&self) -> Result<Vec<Service>>;
    async fn create_endpoint(&self, endpoint: &Endpoint) -> Result<()>;
    async fn update_endpoint(&self, endpoint: &Endpoint) -> Result<()>;
    async fn delete_endpoint(&self, id: &str) -> Result<()>;
    async fn endpoints(&self) -> Result<Vec<Endpoint>>;
    /// Counts one token creation by `identity` in the window starting at `window_start`,
    /// unless `limit` were already counted there: `Ok(true)` when counted, `Ok(false)` when the
    /// limit is reached. One atomic statement, so nodes sharing the store share the limit.
    async fn count_token_issue(
        &self,
        identity: &str,
        window_start: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool>;
    /// Forgets issue windows that started before `before`.
    async fn prune_token_issues(&self, before: DateTime<Utc>) -> Result<()>;
    /// A group by its store key.
    async fn group_by_id(&self, account: AccountId, id: GroupId) -> Result<Option<Group>>;
    /// What Keystone keeps of a user beyond the local user; empty when nothing was set.
    async fn user_attributes(&self, user: UserId) -> Result<crate::keystone::UserAttributes>;
    async fn set_user_attributes(
        &self,
        user: UserId,
        attributes: &crate::keystone::UserAttributes,
    ) -> Result<()>;
    /// Stores a user's application credential with the access rules it adds (in one
    /// transaction). `Conflict` when the user has one of that name.
    async fn create_app_credential(
        &self,
        credential: &crate::keystone::StoredAppCredential,
        new_rules: &[crate::keystone::AccessRule],
    ) -> Result<()>;
    async fn app_credential(
        &self,
        id: &str,
    ) -> Result<Option<crate::keystone::StoredAppCredential>>;
    /// A user's application credentials, oldest first.
    async fn app_credentials(
        &self,
        user: UserId,
    ) -> Result<Vec<crate::keystone::StoredAppCredential>>;
    /// `NotFound` when the user has no such credential.
    async fn delete_app_credential(&self, user: UserId, id: &str) -> Result<()>;
    async fn access_rules(&self, user: UserId) -> Result<Vec<crate::keystone::AccessRule>>;
    /// `NotFound` when the user has no such rule.
    async fn delete_access_rule(&self, user: UserId, id: &str) -> Result<()>;
    /// Keystone documents (policies, OAuth1 consumers, endpoint groups): JSON text by kind and
    /// id. `Conflict` when the id is taken.
    async fn create_document(
        &self,
        kind: &str,
        id: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// `NotFound` when there is no such document.
    async fn replace_document(&self, kind: &str, id: &str, body: &str) -> Result<()>;
    async fn document(&self, kind: &str, id: &str) -> Result<Option<String>>;
    /// Every document of a kind, oldest first.
    async fn documents(&self, kind: &str) -> Result<Vec<String>>;
    /// `NotFound` when there is no such document.
    async fn delete_document(&self, kind: &str, id: &str) -> Result<()>;
    /// The account a group belongs to (Keystone ids are global).
    async fn group_account(&self, id: GroupId) -> Result<Option<AccountId>>;
    /// The account a project belongs to (Keystone ids are global).
    async fn project_account(&self, id: &str) -> Result<Option<AccountId>>;

    /// A client and its secret hash, looked up by client id across accounts (client ids are
    /// globally unique), for client authentication.
    async fn service_account_credentials(
        &self,
        client: &ClientId,
    ) -> Result<Option<(ServiceAccount, TokenHash)>>;
}
