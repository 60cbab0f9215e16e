//! The store contract, one body per behaviour, run against SQLite and PostgreSQL alike.

#![allow(clippy::unwrap_used)]

use chrono::TimeDelta;
use latchkey_core::Error;
use latchkey_core::model::{DomainFields, Flow, Role, UserStatus, UserType};
use latchkey_core::names::{
    CallbackUrl, ClientId, Description, DisplayName, Email, GroupName, Login, Nic, TokenName,
};
use latchkey_core::secret::{HashKey, TokenHash};
use latchkey_core::store::{
    AccountReads, ConsoleSession, GroupChanges, NewAccount, NewGroup, NewPat, NewServiceAccount,
    NewUser, Page, PatChanges, ServiceAccountChanges, Store, UserChanges,
};
use latchkey_store::SqliteStore;

mod common;

use common::{now, postgres, record_event, sqlite};

contract!(
    account_is_created_with_default_groups_and_a_root_user,
    a_second_operator_or_duplicate_nic_is_a_conflict,
    users_are_unique_per_account_and_invisible_to_others,
    user_changes_are_applied_and_unknown_group_is_invalid,
    deleting_a_user_removes_its_tokens_and_returns_their_hashes,
    group_with_members_cannot_be_deleted,
    tokens_are_unique_per_user_and_found_by_hash,
    token_changes_and_usage_are_recorded,
    data_survives_reopening_the_sqlite_file,
    service_accounts_are_per_account_and_found_by_client_id,
    policies_are_per_account_with_unique_names_and_round_trip,
    keystone_projects_grants_roles_and_catalog_keep_their_invariants,
    token_issues_are_counted_up_to_the_limit_per_window,
    the_keystone_bootstrap_is_written_once_and_whole,
    revocation_events_are_read_in_order_and_per_account,
    domains_are_renamed_uniquely_and_deleted_with_their_content,
    keystone_documents_are_kept_by_kind_and_id,
    a_missing_reference_is_not_found_and_a_taken_name_a_conflict,
    application_credentials_belong_to_their_user,
    a_renamed_group_keeps_its_members_and_keystone_grants,
    keystone_memberships_cross_accounts_and_go_with_their_group_or_user,
    console_sessions_are_found_by_hash_touched_pruned_and_go_with_their_user,
    users_and_tokens_are_listed_whole_a_page_at_a_time,
    resources_are_unique_by_urn_tagged_and_removed_and_actions_declared,
    permissions_groups_are_per_account_with_unique_names_and_round_trip,
);

fn nic(s: &str) -> Nic {
    Nic::parse(s).unwrap()
}

fn login(s: &str) -> Login {
    Login::parse(s).unwrap()
}

fn new_account(n: &str, operator: bool) -> NewAccount {
    NewAccount {
        nic: nic(n),
        email: Email::parse("owner@example.com").unwrap(),
        operator,
        domain: DomainFields::default(),
        root_login: login("admin"),
        root_password_hash: "$argon2id$fake".into(),
        now: now(),
    }
}

fn new_user(l: &str, group: &str) -> NewUser {
    NewUser {
        login: login(l),
        email: Email::parse("u@example.com").unwrap(),
        group: GroupName::parse(group).unwrap(),
        description: Description::parse("a user").unwrap(),
        password_hash: "$argon2id$hash".into(),
        status: UserStatus::Ok,
        kind: UserType::User,
        now: now(),
    }
}

fn new_pat(name: &str, hash: TokenHash) -> NewPat {
    NewPat {
        name: TokenName::parse(name).unwrap(),
        description: Description::parse("for a script").unwrap(),
        hash,
        expires_at: None,
        now: now(),
    }
}

async fn account_is_created_with_default_groups_and_a_root_user(store: &dyn Store) {
    assert!(store.operator_account().await.unwrap().is_none());
    let account = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    assert!(account.operator);
    assert_eq!(store.operator_account().await.unwrap().unwrap(), account);
    assert_eq!(
        store
            .account_by_nic(&nic("lk0001-lk"))
            .await
            .unwrap()
            .unwrap(),
        account
    );
    assert_eq!(store.account(account.id).await.unwrap().unwrap(), account);
    let groups: Vec<_> = store
        .list_groups(account.id)
        .await
        .unwrap()
        .iter()
        .map(|g| g.to_string())
        .collect();
    assert_eq!(groups, ["ADMIN", "DEFAULT", "UNPRIVILEGED"]);
    let (root, hash) = store
        .user_with_password(account.id, &login("admin"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(root.kind, UserType::Root);
    assert_eq!(root.group.as_str(), "ADMIN");
    assert_eq!(root.group_role, Role::Admin);
    assert_eq!(hash, "$argon2id$fake");
}

async fn a_second_operator_or_duplicate_nic_is_a_conflict(store: &dyn Store) {
    change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    assert!(matches!(
        change!(store, tx => tx.create_account(new_account("lk0002-lk", true))),
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        change!(store, tx => tx.create_account(new_account("lk0001-lk", false))),
        Err(Error::Conflict(_))
    ));
    change!(store, tx => tx.create_account(new_account("lk0002-lk", false))).unwrap();
    assert_eq!(store.list_accounts().await.unwrap().len(), 2);
}

async fn users_are_unique_per_account_and_invisible_to_others(store: &dyn Store) {
    let a = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    let b = change!(store, tx => tx.create_account(new_account("lk0002-lk", false))).unwrap();
    let user = change!(store, tx => tx.create_user(a.id, new_user("john", "DEFAULT"))).unwrap();
    assert_eq!(user.group_role, Role::Regular);
    assert!(matches!(
        change!(store, tx => tx.create_user(a.id, new_user("john", "DEFAULT"))),
        Err(Error::Conflict(_))
    ));
    // The same login in another account is another user.
    change!(store, tx => tx.create_user(b.id, new_user("john", "DEFAULT"))).unwrap();
    assert!(store.user(b.id, &login("jane")).await.unwrap().is_none());
    let logins: Vec<_> = store
        .list_users(a.id)
        .await
        .unwrap()
        .iter()
        .map(|l| l.to_string())
        .collect();
    assert_eq!(logins, ["admin", "john"]);
    assert_eq!(store.user_by_id(user.id).await.unwrap().unwrap(), user);
}

async fn user_changes_are_applied_and_unknown_group_is_invalid(store: &dyn Store) {
    let a = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    let user = change!(store, tx => tx.create_user(a.id, new_user("john", "DEFAULT"))).unwrap();
    let later = user.updated_at + TimeDelta::seconds(5);
    let changed = change!(store, tx => tx.update_user(
        a.id,
        &login("john"),
        UserChanges {
            group: Some(GroupName::parse("ADMIN").unwrap()),
            status: Some(UserStatus::Disabled),
            password_hash: Some("$argon2id$new".into()),
            ..UserChanges::default()
        },
        later,
    ))
    .unwrap();
    assert_eq!(changed.group_role, Role::Admin);
    assert_eq!(changed.status, UserStatus::Disabled);
    assert_eq!(changed.password_updated_at, later);
    assert_eq!(changed.email, user.email);
    let (_, hash) = store
        .user_with_password(a.id, &login("john"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hash, "$argon2id$new");
    let bad = UserChanges {
        group: Some(GroupName::parse("nope").unwrap()),
        ..UserChanges::default()
    };
    assert!(matches!(
        change!(store, tx => tx.update_user(a.id, &login("john"), bad, later)),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        change!(store, tx => tx.create_user(a.id, new_user("jane", "nope"))),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        change!(store, tx => tx.update_user(a.id, &login("ghost"), UserChanges::default(), later)),
        Err(Error::NotFound(_))
    ));
}

async fn deleting_a_user_removes_its_tokens_and_returns_their_hashes(store: &dyn Store) {
    let a = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    let user = change!(store, tx => tx.create_user(a.id, new_user("john", "DEFAULT"))).unwrap();
    let key = HashKey::generate();
    let hash = key.hash("t1");
    change!(store, tx => tx.create_pat(user.id, new_pat("t1", hash))).unwrap();
    assert_eq!(
        change!(store, tx => tx.delete_user(a.id, &login("john"))).unwrap(),
        vec![hash]
    );
    assert!(store.pat_by_hash(&hash).await.unwrap().is_none());
    assert!(matches!(
        change!(store, tx => tx.delete_user(a.id, &login("john"))),
        Err(Error::NotFound(_))
    ));
}

async fn group_with_members_cannot_be_deleted(store: &dyn Store) {
    let a = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    let ops = GroupName::parse("ops").unwrap();
    let group = change!(store, tx => tx.create_group(
        a.id,
        NewGroup {
            name: ops.clone(),
            role: Role::Regular,
            description: Description::default(),
            now: now(),
        },
    ))
    .unwrap();
    assert!(!group.default_group);
    let dup = NewGroup {
        name: ops.clone(),
        role: Role::Admin,
        description: Description::default(),
        now: now(),
    };
    assert!(matches!(
        change!(store, tx => tx.create_group(a.id, dup)),
        Err(Error::Conflict(_))
    ));
    change!(store, tx => tx.create_user(a.id, new_user("john", "ops"))).unwrap();
    let changed = change!(store, tx => tx.update_group(
        a.id,
        &ops,
        GroupChanges {
            role: Some(Role::Admin),
            ..GroupChanges::default()
        },
        now(),
    ))
    .unwrap();
    assert_eq!(changed.role, Role::Admin);
    assert_eq!(
        store
            .user(a.id, &login("john"))
            .await
            .unwrap()
            .unwrap()
            .group_role,
        Role::Admin
    );
    let r = change!(store, tx => tx.delete_group(a.id, &ops));
    assert!(matches!(r, Err(Error::Conflict(_))), "{r:?}");
    change!(store, tx => tx.delete_user(a.id, &login("john"))).unwrap();
    change!(store, tx => tx.delete_group(a.id, &ops)).unwrap();
    assert!(store.group(a.id, &ops).await.unwrap().is_none());
    assert!(matches!(
        change!(store, tx => tx.delete_group(a.id, &ops)),
        Err(Error::NotFound(_))
    ));
}

async fn tokens_are_unique_per_user_and_found_by_hash(store: &dyn Store) {
    let a = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    let john = change!(store, tx => tx.create_user(a.id, new_user("john", "DEFAULT"))).unwrap();
    let jane = change!(store, tx => tx.create_user(a.id, new_user("jane", "DEFAULT"))).unwrap();
    let key = HashKey::generate();
    let pat = change!(store, tx => tx.create_pat(john.id, new_pat("ci", key.hash("1")))).unwrap();
    assert!(matches!(
        change!(store, tx => tx.create_pat(john.id, new_pat("ci", key.hash("2")))),
        Err(Error::Conflict(_))
    ));
    // Same name for another user is fine; the same hash never is.
    change!(store, tx => tx.create_pat(jane.id, new_pat("ci", key.hash("3")))).unwrap();
    assert!(matches!(
        change!(store, tx => tx.create_pat(jane.id, new_pat("other", key.hash("1")))),
        Err(Error::Conflict(_))
    ));
    let found = store.pat_by_hash(&key.hash("1")).await.unwrap().unwrap();
    assert_eq!(found.pat, pat);
    assert_eq!(found.account_id, a.id);
    assert!(
        store
            .pat_by_hash(&key.hash("nope"))
            .await
            .unwrap()
            .is_none()
    );
    let names: Vec<_> = store
        .list_pats(john.id)
        .await
        .unwrap()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(names, ["ci"]);
    let ci = TokenName::parse("ci").unwrap();
    assert_eq!(
        change!(store, tx => tx.delete_pat(john.id, &ci))
            .unwrap()
            .hash,
        key.hash("1")
    );
    assert!(matches!(
        change!(store, tx => tx.delete_pat(john.id, &ci)),
        Err(Error::NotFound(_))
    ));
    assert!(store.pat(jane.id, &ci).await.unwrap().is_some());
}

async fn token_changes_and_usage_are_recorded(store: &dyn Store) {
    let a = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    let john = change!(store, tx => tx.create_user(a.id, new_user("john", "DEFAULT"))).unwrap();
    let key = HashKey::generate();
    let pat = change!(store, tx => tx.create_pat(john.id, new_pat("ci", key.hash("1")))).unwrap();
    let at = now() + TimeDelta::days(30);
    let changes = PatChanges {
        description: None,
        expires_at: Some(Some(at)),
    };
    let record = change!(store, tx => tx.update_pat(john.id, &pat.name, changes)).unwrap();
    assert_eq!(record.pat.expires_at, Some(at));
    assert_eq!(record.pat.description, pat.description);
    assert_eq!(record.hash, key.hash("1"));
    let used = now();
    store.record_pat_usage(&[(pat.id, used)]).await.unwrap();
    // An older time never moves lastUsed back.
    store
        .record_pat_usage(&[(pat.id, used - TimeDelta::hours(1))])
        .await
        .unwrap();
    assert_eq!(
        store
            .pat(john.id, &pat.name)
            .await
            .unwrap()
            .unwrap()
            .last_used,
        Some(used)
    );
    let never = PatChanges {
        description: None,
        expires_at: Some(None),
    };
    assert_eq!(
        change!(store, tx => tx.update_pat(john.id, &pat.name, never))
            .unwrap()
            .pat
            .expires_at,
        None
    );
}

async fn data_survives_reopening_the_sqlite_file(_: &dyn Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    {
        let store = SqliteStore::open_file(&path).await.unwrap();
        change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    }
    let store = SqliteStore::open_file(&path).await.unwrap();
    assert!(store.operator_account().await.unwrap().is_some());
}

async fn service_accounts_are_per_account_and_found_by_client_id(store: &dyn Store) {
    let a = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    let b = change!(store, tx => tx.create_account(new_account("lk0002-lk", false))).unwrap();
    let key = HashKey::generate();
    let new = |id: &str, secret: &str, flow: Flow, urls: Vec<CallbackUrl>| NewServiceAccount {
        client_id: ClientId::parse(id).unwrap(),
        name: DisplayName::parse("deployer").unwrap(),
        description: Description::parse("CI").unwrap(),
        flow,
        callback_urls: urls,
        secret_hash: key.hash(secret),
        now: now(),
    };
    let cb = vec![
        CallbackUrl::parse("https://app.example.com/cb").unwrap(),
        CallbackUrl::parse("http://localhost:8080/cb").unwrap(),
    ];
    let sa = change!(store, tx => tx.create_service_account(
        a.id,
        new(
            "0f0f0f0f0f0f0f0f",
            "s1",
            Flow::AuthorizationCode,
            cb.clone(),
        ),
    ))
    .unwrap();
    assert_eq!(sa.callback_urls, cb);
    let taken = new("0f0f0f0f0f0f0f0f", "s2", Flow::ClientCredentials, vec![]);
    assert!(matches!(
        change!(store, tx => tx.create_service_account(b.id, taken)),
        Err(Error::Conflict(_))
    ));
    let id = ClientId::parse("0f0f0f0f0f0f0f0f").unwrap();
    assert_eq!(store.service_account(a.id, &id).await.unwrap().unwrap(), sa);
    assert!(store.service_account(b.id, &id).await.unwrap().is_none());
    assert!(store.list_service_accounts(b.id).await.unwrap().is_empty());
    let (found, hash) = store
        .service_account_credentials(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found, hash), (sa.clone(), key.hash("s1")));
    let changes = ServiceAccountChanges {
        name: Some(DisplayName::parse("renamed").unwrap()),
        callback_urls: Some(vec![]),
        ..ServiceAccountChanges::default()
    };
    let changed = change!(store, tx => tx.update_service_account(a.id, &id, changes)).unwrap();
    assert_eq!(changed.name.as_str(), "renamed");
    assert!(changed.callback_urls.is_empty());
    assert_eq!(changed.description, sa.description);
    assert!(matches!(
        change!(store, tx => tx.delete_service_account(b.id, &id)),
        Err(Error::NotFound(_))
    ));
    change!(store, tx => tx.delete_service_account(a.id, &id)).unwrap();
    assert!(
        store
            .service_account_credentials(&id)
            .await
            .unwrap()
            .is_none()
    );
}

fn draft(name: &str, identity: &str) -> latchkey_core::policy::PolicyDraft {
    use latchkey_core::policy::{ActionPattern, Permissions, PolicyDraft, UrnPattern};
    PolicyDraft {
        name: latchkey_core::names::PolicyName::parse(name).unwrap(),
        description: Description::parse("ops").unwrap(),
        identities: vec![UrnPattern::identity(identity).unwrap()],
        resources: vec![
            UrnPattern::resource("urn:v1:eu:resource:account:lk0001-lk").unwrap(),
            UrnPattern::resource("urn:v1:eu:resource:vps:*").unwrap(),
        ],
        permissions: Permissions {
            allow: vec![ActionPattern::parse("account:apiovh:me/identity/*").unwrap()],
            except: vec![ActionPattern::parse("account:apiovh:me/identity/user/delete").unwrap()],
            deny: vec![ActionPattern::parse("*:delete").unwrap()],
        },
        conditions: Some(
            latchkey_core::policy::Condition::parse(
                serde_json::from_value(serde_json::json!({"operator": "OR", "conditions": [
                    {"operator": "MATCH", "values": {"request.IP.IN_RANGE": "10.0.0.0/8"}},
                    {"operator": "MATCH", "values": {"resource.Tag(env)": "prod"}}
                ]}))
                .unwrap(),
            )
            .unwrap(),
        ),
        permissions_groups: vec!["urn:v1:eu:permissionsGroup:latchkey:accountReader".to_owned()],
        expired_at: Some(now() + TimeDelta::days(3)),
    }
}

async fn policies_are_per_account_with_unique_names_and_round_trip(store: &dyn Store) {
    use latchkey_core::policy::PolicyId;
    use latchkey_core::store::NewPolicy;
    let a = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    let b = change!(store, tx => tx.create_account(new_account("lk0002-lk", false))).unwrap();
    let new = |d| NewPolicy {
        id: PolicyId::random(),
        draft: d,
        read_only: false,
        now: now(),
    };
    let first = draft("ops", "urn:v1:eu:identity:group:lk0001-lk/ops");
    let created = change!(store, tx => tx.create_policy(a.id, new(first.clone()))).unwrap();
    assert_eq!(created.name, first.name);
    assert_eq!(created.identities, first.identities);
    assert_eq!(created.resources, first.resources);
    assert_eq!(created.permissions, first.permissions);
    assert_eq!(created.expired_at, first.expired_at);
    assert_eq!(created.account_id, a.id);
    assert_eq!(
        store.policy(a.id, created.id).await.unwrap(),
        Some(created.clone())
    );
    // Names are unique per account, not across accounts.
    assert!(matches!(
        change!(store, tx => tx.create_policy(a.id, new(first.clone()))),
        Err(Error::Conflict(_))
    ));
    let in_b = change!(store, tx => tx.create_policy(b.id, new(first.clone()))).unwrap();
    assert_eq!(store.policy(b.id, created.id).await.unwrap(), None);
    assert!(matches!(
        change!(store, tx => tx.delete_policy(b.id, created.id)),
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        change!(store, tx => tx.replace_policy(b.id, created.id, first.clone(), now())),
        Err(Error::NotFound(_))
    ));

    let second = change!(store, tx => tx.create_policy(
        a.id,
        new(draft("dev", "urn:v1:eu:identity:user:lk0001-lk/*")),
    ))
    .unwrap();
    let listed: Vec<_> = store
        .list_policies(a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(listed, vec![created.id, second.id]);
    assert_eq!(store.all_policies().await.unwrap().len(), 3);

    let mut changed = draft("ops-v2", "urn:v1:eu:identity:user:lk0001-lk/john");
    changed.expired_at = None;
    let later = now() + TimeDelta::minutes(1);
    let replaced =
        change!(store, tx => tx.replace_policy(a.id, created.id, changed.clone(), later)).unwrap();
    assert_eq!(
        (replaced.name.clone(), replaced.expired_at),
        (changed.name.clone(), None)
    );
    assert_eq!(
        (replaced.created_at, replaced.updated_at),
        (created.created_at, later)
    );
    assert!(matches!(
        change!(store, tx => tx.replace_policy(a.id, second.id, changed, now())),
        Err(Error::Conflict(_))
    ));
    change!(store, tx => tx.delete_policy(a.id, created.id)).unwrap();
    assert_eq!(store.policy(a.id, created.id).await.unwrap(), None);
    assert_eq!(store.list_policies(b.id).await.unwrap(), vec![in_b]);
}

async fn keystone_projects_grants_roles_and_catalog_keep_their_invariants(store: &dyn Store) {
    use latchkey_core::keystone::{
        Actor, Assignment, Endpoint, Interface, KsRole, Project, Region, Service, Target,
    };
    let a = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    let b = change!(store, tx => tx.create_account(new_account("lk0002-lk", false))).unwrap();
    let empty = Description::parse("").unwrap();
    let project = |id: &str, account, name: &str| Project {
        id: id.into(),
        account_id: account,
        name: DisplayName::parse(name).unwrap(),
        description: empty.clone(),
        enabled: true,
        created_at: now(),
        parent_id: None,
        tags: Vec::new(),
    };
    // Project names are unique per account, not across accounts.
    let web = project("p1", a.id, "web");
    change!(store, tx => tx.create_project(&web)).unwrap();
    change!(store, tx => tx.create_project(&project("p2", b.id, "web"))).unwrap();
    assert!(matches!(
        change!(store, tx => tx.create_project(&project("p3", a.id, "web"))),
        Err(Error::Conflict(_))
    ));
    let mut renamed = web.clone();
    renamed.name = DisplayName::parse("www").unwrap();
    renamed.enabled = false;
    change!(store, tx => tx.update_project(&renamed)).unwrap();
    assert_eq!(store.projects(a.id).await.unwrap(), vec![renamed.clone()]);
    assert!(matches!(
        change!(store, tx => tx.update_project(&project("p2", a.id, "x"))),
        Err(Error::NotFound(_))
    ));
    // Roles: unique names; implications and grants are idempotent.
    let role = |id: &str, name: &str| KsRole {
        id: id.into(),
        name: DisplayName::parse(name).unwrap(),
        description: empty.clone(),
        domain_id: None,
    };
    change!(store, tx => tx.create_role(&role("r1", "admin"))).unwrap();
    change!(store, tx => tx.create_role(&role("r2", "reader"))).unwrap();
    assert!(matches!(
        change!(store, tx => tx.create_role(&role("r3", "admin"))),
        Err(Error::Conflict(_))
    ));
    change!(store, tx => tx.create_implied_role("r1", "r2")).unwrap();
    change!(store, tx => tx.create_implied_role("r1", "r2")).unwrap();
    assert_eq!(
        store.implied_roles().await.unwrap(),
        vec![("r1".to_owned(), "r2".to_owned())]
    );
    let root = store.user(a.id, &login("admin")).await.unwrap().unwrap();
    let grant = |target: Target, role: &str| Assignment {
        actor: Actor::User(root.id),
        target,
        role_id: role.into(),
    };
    change!(store, tx => tx.grant_role(a.id, &grant(Target::Project("p1".into()), "r1"))).unwrap();
    change!(store, tx => tx.grant_role(a.id, &grant(Target::Project("p1".into()), "r1"))).unwrap();
    change!(store, tx => tx.grant_role(a.id, &grant(Target::Domain, "r2"))).unwrap();
    change!(store, tx => tx.grant_role(a.id, &grant(Target::System, "r1"))).unwrap();
    assert_eq!(store.assignments(a.id).await.unwrap().len(), 3);
    assert!(store.assignments(b.id).await.unwrap().is_empty());
    assert!(matches!(
        change!(store, tx => tx.grant_role(a.id, &grant(Target::Domain, "nope"))),
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        change!(store, tx => tx.revoke_role(b.id, &grant(Target::Domain, "r2"))),
        Err(Error::NotFound(_))
    ));
    // Deleting a project removes the grants on it; deleting a role, its grants and implications.
    change!(store, tx => tx.delete_project(a.id, "p1")).unwrap();
    assert!(matches!(
        change!(store, tx => tx.delete_project(a.id, "p1")),
        Err(Error::NotFound(_))
    ));
    assert_eq!(store.assignments(a.id).await.unwrap().len(), 2);
    change!(store, tx => tx.delete_role("r2")).unwrap();
    assert!(store.implied_roles().await.unwrap().is_empty());
    assert_eq!(
        store.assignments(a.id).await.unwrap(),
        vec![grant(Target::System, "r1")]
    );
    change!(store, tx => tx.revoke_actor_roles(a.id, &Actor::User(root.id))).unwrap();
    assert!(store.assignments(a.id).await.unwrap().is_empty());
    // The catalog: a region in use cannot go; a service takes its endpoints with it.
    change!(store, tx => tx.create_region(&Region {
        id: "GRA".into(),
        description: empty.clone(),
        parent_region_id: None,
    }))
    .unwrap();
    let service = Service {
        id: "s1".into(),
        kind: "identity".into(),
        name: "keystone".into(),
        description: empty.clone(),
        enabled: true,
    };
    change!(store, tx => tx.create_service(&service)).unwrap();
    let endpoint = Endpoint {
        id: "e1".into(),
        service_id: "s1".into(),
        region_id: Some("GRA".into()),
        interface: Interface::Public,
        url: "https://id.example.net/v3/".into(),
        enabled: true,
    };
    change!(store, tx => tx.create_endpoint(&endpoint)).unwrap();
    assert_eq!(store.endpoints().await.unwrap(), vec![endpoint]);
    assert!(matches!(
        change!(store, tx => tx.delete_region("GRA")),
        Err(Error::Conflict(_))
    ));
    change!(store, tx => tx.delete_service("s1")).unwrap();
    assert!(store.endpoints().await.unwrap().is_empty());
    change!(store, tx => tx.delete_region("GRA")).unwrap();
    assert!(store.regions().await.unwrap().is_empty());
}

async fn token_issues_are_counted_up_to_the_limit_per_window(store: &dyn Store) {
    let w1 = now();
    let w2 = w1 + TimeDelta::seconds(60);
    for _ in 0..3 {
        assert!(store.count_token_issue("u:1", w1, 3).await.unwrap());
    }
    assert!(!store.count_token_issue("u:1", w1, 3).await.unwrap());
    assert!(store.count_token_issue("u:2", w1, 3).await.unwrap());
    assert!(store.count_token_issue("u:1", w2, 3).await.unwrap());
    store.prune_token_issues(w2).await.unwrap();
    // The pruned window starts afresh; the current one keeps its count.
    assert!(store.count_token_issue("u:1", w1, 1).await.unwrap());
    assert!(!store.count_token_issue("u:1", w2, 1).await.unwrap());
}

async fn the_keystone_bootstrap_is_written_once_and_whole(store: &dyn Store) {
    use latchkey_core::keystone::{
        Actor, Assignment, Endpoint, Interface, KsRole, Project, Region, Service, Target,
    };
    use latchkey_core::store::KeystoneBootstrap;
    let a = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    let root = store.user(a.id, &login("admin")).await.unwrap().unwrap();
    let empty = Description::parse("").unwrap();
    let role = |id: &str| KsRole {
        id: id.into(),
        name: DisplayName::parse(id).unwrap(),
        description: empty.clone(),
        domain_id: None,
    };
    let bootstrap = |tag: &str| KeystoneBootstrap {
        roles: vec![role(&format!("admin{tag}")), role(&format!("reader{tag}"))],
        implications: vec![(format!("admin{tag}"), format!("reader{tag}"))],
        region: Region {
            id: "RegionOne".into(),
            description: empty.clone(),
            parent_region_id: None,
        },
        service: Service {
            id: format!("s{tag}"),
            kind: "identity".into(),
            name: "keystone".into(),
            description: empty.clone(),
            enabled: true,
        },
        endpoints: vec![Endpoint {
            id: format!("e{tag}"),
            service_id: format!("s{tag}"),
            region_id: Some("RegionOne".into()),
            interface: Interface::Public,
            url: "http://127.0.0.1/v3/".into(),
            enabled: true,
        }],
        project: Some((
            Project {
                id: format!("p{tag}"),
                account_id: a.id,
                name: DisplayName::parse("admin").unwrap(),
                description: empty.clone(),
                enabled: true,
                created_at: now(),
                parent_id: None,
                tags: Vec::new(),
            },
            vec![Assignment {
                actor: Actor::User(root.id),
                target: Target::Project(format!("p{tag}")),
                role_id: format!("admin{tag}"),
            }],
        )),
        at: now(),
    };
    assert!(change!(store, tx => tx.bootstrap_keystone(&bootstrap(""))).unwrap());
    assert_eq!(store.roles().await.unwrap().len(), 2);
    assert_eq!(store.implied_roles().await.unwrap().len(), 1);
    assert_eq!(store.endpoints().await.unwrap().len(), 1);
    assert_eq!(store.projects(a.id).await.unwrap().len(), 1);
    assert_eq!(store.assignments(a.id).await.unwrap().len(), 1);
    // A second bootstrap (a restart, another node) writes nothing.
    assert!(!change!(store, tx => tx.bootstrap_keystone(&bootstrap("2"))).unwrap());
    assert_eq!(store.roles().await.unwrap().len(), 2);
    assert_eq!(store.services().await.unwrap().len(), 1);
    // Nor after every role has been deleted: the bootstrap is recorded, not guessed from rows.
    for role in store.roles().await.unwrap() {
        change!(store, tx => tx.delete_role(&role.id)).unwrap();
    }
    assert!(!change!(store, tx => tx.bootstrap_keystone(&bootstrap("3"))).unwrap());
    assert!(store.roles().await.unwrap().is_empty());
    assert_eq!(store.services().await.unwrap().len(), 1);
}

async fn revocation_events_are_read_in_order_and_per_account(store: &dyn Store) {
    use latchkey_core::model::AccountId;
    use latchkey_core::store::{NewRevocation, RevocationKind};
    let a = change!(store, tx => tx.create_account(new_account("lk1-lk", false))).unwrap();
    let b = change!(store, tx => tx.create_account(new_account("lk2-lk", false))).unwrap();
    let event =
        |kind, subject: &str, account: Option<AccountId>, identity: Option<&str>| NewRevocation {
            kind,
            subject: subject.to_owned(),
            account,
            identity: identity.map(str::to_owned),
            at: now(),
        };
    let first = record_event(
        store,
        &event(
            RevocationKind::Pat,
            "aa",
            Some(a.id),
            Some("urn:v1:eu:identity:user:lk1-lk/alice"),
        ),
    )
    .await
    .unwrap();
    let second = record_event(
        store,
        &event(RevocationKind::Keystone, "catalog", None, None),
    )
    .await
    .unwrap();
    let third = record_event(
        store,
        &event(RevocationKind::AccessToken, "jti-1", Some(b.id), None),
    )
    .await
    .unwrap();
    let fourth = record_event(
        store,
        &event(RevocationKind::Policies, "x", Some(a.id), None),
    )
    .await
    .unwrap();
    assert_eq!(store.last_revocation_id().await.unwrap(), fourth);

    let all = store.revocations_since(0, 100).await.unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(all[0].id, first);
    assert_eq!(all[0].kind, "pat");
    assert_eq!(all[0].account, Some(a.id));
    assert_eq!(
        all[0].identity.as_deref(),
        Some("urn:v1:eu:identity:user:lk1-lk/alice")
    );
    assert_eq!(all[1].account, None);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(store.revocations_since(first, 2).await.unwrap().len(), 2);

    // An account reads its own events and those of no account (the shared catalog).
    let of_a = store.account_revocations_since(a.id, 0, 100).await.unwrap();
    assert_eq!(
        of_a.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![first, second, fourth]
    );
    let of_b = store.account_revocations_since(b.id, 0, 100).await.unwrap();
    assert_eq!(
        of_b.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![second, third]
    );
    assert_eq!(of_b[1].subject, "jti-1");
    assert!(
        store
            .account_revocations_since(b.id, third, 100)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn domains_are_renamed_uniquely_and_deleted_with_their_content(store: &dyn Store) {
    let operator = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    let a = change!(store, tx => tx.create_account(new_account("lk0002-lk", false))).unwrap();
    let b = change!(store, tx => tx.create_account(new_account("lk0003-lk", false))).unwrap();
    assert!(a.domain.enabled && a.domain.name.is_none());
    let named = |name: &str, enabled: bool| DomainFields {
        name: Some(DisplayName::parse(name).unwrap()),
        description: Description::parse("d").unwrap(),
        enabled,
    };
    let renamed = change!(store, tx => tx.update_domain(a.id, &named("Acme", true))).unwrap();
    assert_eq!(renamed.domain, named("Acme", true));
    assert_eq!(store.account(a.id).await.unwrap().unwrap(), renamed);
    let taken = change!(store, tx => tx.update_domain(b.id, &named("Acme", true)));
    assert!(matches!(taken, Err(Error::Conflict(_))), "{taken:?}");
    // A project and a group of the account are found from their global ids, until the account
    // goes with them.
    let project = latchkey_core::keystone::Project {
        id: "p1".into(),
        account_id: a.id,
        name: DisplayName::parse("web").unwrap(),
        description: Description::parse("").unwrap(),
        enabled: true,
        created_at: now(),
        parent_id: None,
        tags: vec!["t1".into(), "t2".into()],
    };
    change!(store, tx => tx.create_project(&project)).unwrap();
    let child = latchkey_core::keystone::Project {
        id: "p2".into(),
        name: DisplayName::parse("api").unwrap(),
        parent_id: Some("p1".into()),
        tags: Vec::new(),
        ..project.clone()
    };
    change!(store, tx => tx.create_project(&child)).unwrap();
    let stored = store.projects(a.id).await.unwrap();
    assert!(
        stored.contains(&project) && stored.contains(&child),
        "{stored:?}"
    );
    assert_eq!(store.project_account("p2").await.unwrap(), Some(a.id));
    let group = store
        .group(a.id, &GroupName::parse("DEFAULT").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.group_account(group.id).await.unwrap(), Some(a.id));
    change!(store, tx => tx.update_domain(a.id, &named("Acme", false))).unwrap();
    change!(store, tx => tx.delete_account(a.id)).unwrap();
    assert!(store.account(a.id).await.unwrap().is_none());
    assert_eq!(store.project_account("p1").await.unwrap(), None);
    assert_eq!(store.group_account(group.id).await.unwrap(), None);
    assert!(store.user(a.id, &login("admin")).await.unwrap().is_none());
    // A deleted account's nic is never given again; its domain name is free.
    let again = change!(store, tx => tx.create_account(new_account("lk0002-lk", false)));
    assert!(matches!(again, Err(Error::Conflict(_))), "{again:?}");
    change!(store, tx => tx.update_domain(b.id, &named("Acme", true))).unwrap();
    assert!(change!(store, tx => tx.delete_account(a.id)).is_err());
    // The operator's account is never deleted; another account is untouched.
    assert!(change!(store, tx => tx.delete_account(operator.id)).is_err());
    assert!(store.account(b.id).await.unwrap().is_some());
}

async fn keystone_documents_are_kept_by_kind_and_id(store: &dyn Store) {
    change!(store, tx => tx.create_document("policy", "a", r#"{"id":"a"}"#, now())).unwrap();
    change!(store, tx => tx.create_document("consumer", "a", r#"{"id":"a","k":1}"#, now()))
        .unwrap();
    let taken = change!(store, tx => tx.create_document("policy", "a", "{}", now()));
    assert!(matches!(taken, Err(Error::Conflict(_))), "{taken:?}");
    change!(store, tx => tx.create_document("policy", "b", r#"{"id":"b"}"#, now())).unwrap();
    assert_eq!(
        store.documents("policy").await.unwrap(),
        vec![r#"{"id":"a"}"#.to_owned(), r#"{"id":"b"}"#.to_owned()]
    );
    change!(store, tx => tx.replace_document("policy", "a", r#"{"id":"a","x":2}"#)).unwrap();
    assert_eq!(
        store.document("policy", "a").await.unwrap().as_deref(),
        Some(r#"{"id":"a","x":2}"#)
    );
    assert_eq!(
        store.document("consumer", "a").await.unwrap().as_deref(),
        Some(r#"{"id":"a","k":1}"#)
    );
    change!(store, tx => tx.delete_document("policy", "a")).unwrap();
    assert!(store.document("policy", "a").await.unwrap().is_none());
    assert!(matches!(
        change!(store, tx => tx.delete_document("policy", "a")),
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        change!(store, tx => tx.replace_document("policy", "zz", "{}")),
        Err(Error::NotFound(_))
    ));
}

async fn application_credentials_belong_to_their_user(store: &dyn Store) {
    use latchkey_core::keystone::{AccessRule, StoredAppCredential};
    let account = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    let user =
        change!(store, tx => tx.create_user(account.id, new_user("carol", "DEFAULT"))).unwrap();
    let credential = |id: &str, name: &str| StoredAppCredential {
        id: id.into(),
        user_id: user.id,
        name: name.into(),
        secret_hash: TokenHash([7; 32]),
        body: "{}".into(),
        created_at: now(),
    };
    let rule = AccessRule {
        id: "r1".into(),
        service: "compute".into(),
        path: "/servers".into(),
        method: "GET".into(),
    };
    change!(store, tx => tx.create_app_credential(&credential("c1", "one"), std::slice::from_ref(&rule)))
        .unwrap();
    // A name is unique per user; the failed attempt adds no rule.
    let again = AccessRule {
        id: "r2".into(),
        ..rule.clone()
    };
    let taken = change!(store, tx => tx.create_app_credential(&credential("c2", "one"), &[again]));
    assert!(matches!(taken, Err(Error::Conflict(_))), "{taken:?}");
    assert_eq!(store.access_rules(user.id).await.unwrap(), vec![rule]);
    let found = store.app_credential("c1").await.unwrap().unwrap();
    assert_eq!((found.user_id, found.name.as_str()), (user.id, "one"));
    assert_eq!(found.secret_hash, TokenHash([7; 32]));
    assert_eq!(store.app_credentials(user.id).await.unwrap().len(), 1);
    change!(store, tx => tx.delete_app_credential(user.id, "c1")).unwrap();
    assert!(store.app_credential("c1").await.unwrap().is_none());
    // The rule outlives the credential until deleted; all go with the user.
    assert_eq!(store.access_rules(user.id).await.unwrap().len(), 1);
    change!(store, tx => tx.delete_access_rule(user.id, "r1")).unwrap();
    assert!(matches!(
        change!(store, tx => tx.delete_access_rule(user.id, "r1")),
        Err(Error::NotFound(_))
    ));
}

async fn a_renamed_group_keeps_its_members_and_keystone_grants(store: &dyn Store) {
    use latchkey_core::keystone::{Actor, Assignment, KsRole, Target};
    let a = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    let b = change!(store, tx => tx.create_account(new_account("lk0002-lk", false))).unwrap();
    let ops = GroupName::parse("ops").unwrap();
    let sre = GroupName::parse("sre").unwrap();
    for account in [a.id, b.id] {
        let new = NewGroup {
            name: ops.clone(),
            role: Role::Regular,
            description: Description::default(),
            now: now(),
        };
        change!(store, tx => tx.create_group(account, new)).unwrap();
    }
    change!(store, tx => tx.create_user(a.id, new_user("john", "ops"))).unwrap();
    change!(store, tx => tx.create_role(&KsRole {
        id: "r1".into(),
        name: DisplayName::parse("member").unwrap(),
        description: Description::default(),
        domain_id: None,
    }))
    .unwrap();
    let grant = |name: &GroupName| Assignment {
        actor: Actor::Group(name.clone()),
        target: Target::Domain,
        role_id: "r1".into(),
    };
    for account in [a.id, b.id] {
        change!(store, tx => tx.grant_role(account, &grant(&ops))).unwrap();
    }
    let rename = |name: &GroupName| GroupChanges {
        name: Some(name.clone()),
        ..GroupChanges::default()
    };
    let renamed = change!(store, tx => tx.update_group(a.id, &ops, rename(&sre), now())).unwrap();
    assert_eq!(renamed.name, sre);
    assert!(store.group(a.id, &ops).await.unwrap().is_none());
    let john = store.user(a.id, &login("john")).await.unwrap().unwrap();
    assert_eq!(john.group, sre);
    // The grant follows the group in its own account only.
    assert_eq!(store.assignments(a.id).await.unwrap(), vec![grant(&sre)]);
    assert_eq!(store.assignments(b.id).await.unwrap(), vec![grant(&ops)]);
    // A name another group of the account holds is a conflict, and nothing changes.
    let r = change!(store, tx => tx.update_group(
        a.id,
        &sre,
        rename(&GroupName::parse("DEFAULT").unwrap()),
        now(),
    ));
    assert!(matches!(r, Err(Error::Conflict(_))), "{r:?}");
    assert_eq!(store.assignments(a.id).await.unwrap(), vec![grant(&sre)]);
}

async fn keystone_memberships_cross_accounts_and_go_with_their_group_or_user(store: &dyn Store) {
    use latchkey_core::keystone::{Actor, Assignment, KsRole, Membership, Target};
    let a = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    let b = change!(store, tx => tx.create_account(new_account("lk0002-lk", false))).unwrap();
    let group = |name: &str| NewGroup {
        name: GroupName::parse(name).unwrap(),
        role: Role::Regular,
        description: Description::default(),
        now: now(),
    };
    let ops = change!(store, tx => tx.create_group(b.id, group("ops"))).unwrap();
    let sre = change!(store, tx => tx.create_group(b.id, group("sre"))).unwrap();
    let john = change!(store, tx => tx.create_user(a.id, new_user("john", "DEFAULT"))).unwrap();
    // Idempotent, listed from the group's account and from the user.
    change!(store, tx => tx.add_membership(ops.id, john.id)).unwrap();
    change!(store, tx => tx.add_membership(ops.id, john.id)).unwrap();
    change!(store, tx => tx.add_membership(sre.id, john.id)).unwrap();
    let membership = |g: &str| Membership {
        user: john.id,
        group: GroupName::parse(g).unwrap(),
        role: Role::Regular,
    };
    assert_eq!(
        store.memberships_in(b.id).await.unwrap(),
        vec![membership("ops"), membership("sre")]
    );
    assert!(store.memberships_in(a.id).await.unwrap().is_empty());
    let of: Vec<_> = store
        .memberships_of(john.id)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(of, vec![ops.id, sre.id]);
    // An unknown group is refused, not recorded.
    assert!(
        change!(store, tx => tx.add_membership(latchkey_core::model::GroupId(9999), john.id))
            .is_err()
    );
    assert!(change!(store, tx => tx.remove_membership(sre.id, john.id)).unwrap());
    assert!(!change!(store, tx => tx.remove_membership(sre.id, john.id)).unwrap());
    // The membership goes with its group.
    change!(store, tx => tx.delete_group(b.id, &sre.name)).unwrap();
    change!(store, tx => tx.add_membership(ops.id, john.id)).unwrap();
    change!(store, tx => tx.delete_group(b.id, &ops.name)).unwrap();
    assert!(store.memberships_of(john.id).await.unwrap().is_empty());
    // A user's grants in another account are found, and revoked with the user's.
    change!(store, tx => tx.create_role(&KsRole {
        id: "r1".into(),
        name: DisplayName::parse("member").unwrap(),
        description: Description::default(),
        domain_id: None,
    }))
    .unwrap();
    let grant = Assignment {
        actor: Actor::User(john.id),
        target: Target::Domain,
        role_id: "r1".into(),
    };
    change!(store, tx => tx.grant_role(b.id, &grant)).unwrap();
    change!(store, tx => tx.grant_role(a.id, &grant)).unwrap();
    assert_eq!(
        store
            .accounts_granting(&Actor::User(john.id))
            .await
            .unwrap(),
        vec![a.id, b.id]
    );
    change!(store, tx => tx.revoke_actor_roles(a.id, &Actor::User(john.id))).unwrap();
    assert!(store.assignments(b.id).await.unwrap().is_empty());
    // And with the user, its memberships.
    let qa = change!(store, tx => tx.create_group(b.id, group("qa"))).unwrap();
    change!(store, tx => tx.add_membership(qa.id, john.id)).unwrap();
    change!(store, tx => tx.delete_user(a.id, &login("john"))).unwrap();
    assert!(store.memberships_in(b.id).await.unwrap().is_empty());
    // A deleted account's users lose their grants and memberships in other accounts.
    let c = change!(store, tx => tx.create_account(new_account("lk0003-lk", false))).unwrap();
    let jane = change!(store, tx => tx.create_user(c.id, new_user("jane", "DEFAULT"))).unwrap();
    let jane_grant = Assignment {
        actor: Actor::User(jane.id),
        ..grant
    };
    change!(store, tx => tx.grant_role(b.id, &jane_grant)).unwrap();
    change!(store, tx => tx.add_membership(qa.id, jane.id)).unwrap();
    change!(store, tx => tx.delete_account(c.id)).unwrap();
    assert!(store.assignments(b.id).await.unwrap().is_empty());
    assert!(store.memberships_in(b.id).await.unwrap().is_empty());
}

async fn a_missing_reference_is_not_found_and_a_taken_name_a_conflict(store: &dyn Store) {
    use latchkey_core::keystone::{Actor, Assignment, KsRole, Target};
    let a = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    let root = store.user(a.id, &login("admin")).await.unwrap().unwrap();
    let not_found = |r: latchkey_core::Result<()>, named: &str| match r {
        Err(Error::NotFound(m)) => assert!(m.contains(named), "{m:?} names {named}"),
        other => panic!("expected NotFound naming {named}, got {other:?}"),
    };
    // Granting a role that does not exist.
    let grant = Assignment {
        actor: Actor::User(root.id),
        target: Target::Domain,
        role_id: "no-such-role".into(),
    };
    not_found(
        change!(store, tx => tx.grant_role(a.id, &grant)),
        "no-such-role",
    );
    // An implication naming a missing role.
    let role = KsRole {
        id: "r1".into(),
        name: DisplayName::parse("member").unwrap(),
        description: Description::default(),
        domain_id: None,
    };
    change!(store, tx => tx.create_role(&role)).unwrap();
    not_found(
        change!(store, tx => tx.create_implied_role("r1", "r404")),
        "r404",
    );
    // A member of a missing group.
    not_found(
        change!(store, tx => tx.add_membership(latchkey_core::model::GroupId(9999), root.id)),
        "group",
    );
    // A taken name is a conflict that says what is taken.
    match change!(store, tx => tx.create_role(&KsRole {
        id: "r2".into(),
        ..role
    })) {
        Err(Error::Conflict(m)) => assert!(m.contains("member"), "{m:?}"),
        other => panic!("expected Conflict, got {other:?}"),
    }
    // Nothing was recorded by the refused writes.
    assert!(store.implied_roles().await.unwrap().is_empty());
    assert!(store.memberships_of(root.id).await.unwrap().is_empty());
}

/// Only PostgreSQL is shared between nodes: limits that must hold across nodes live in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_is_shared_between_nodes_and_sqlite_is_not() {
    assert!(!sqlite().await.store.shared());
    assert!(postgres().await.store.shared());
    assert!(latchkey_store::is_local_file("sqlite:/tmp/x.db"));
    assert!(!latchkey_store::is_local_file("postgres://127.0.0.1/test"));
}

async fn console_sessions_are_found_by_hash_touched_pruned_and_go_with_their_user(
    store: &dyn Store,
) {
    let a = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    let john = change!(store, tx => tx.create_user(a.id, new_user("john", "DEFAULT"))).unwrap();
    let jane = change!(store, tx => tx.create_user(a.id, new_user("jane", "DEFAULT"))).unwrap();
    let key = HashKey::generate();
    let session = |value: &str, user: &latchkey_core::model::User, hours: i64| ConsoleSession {
        hash: key.hash(value),
        account_id: a.id,
        user_id: user.id,
        created_at: now(),
        expires_at: now() + TimeDelta::hours(hours),
        last_seen: now(),
    };
    let one = session("one", &john, 12);
    let two = session("two", &john, 12);
    let three = session("three", &jane, 1);
    for s in [&one, &two, &three] {
        change!(store, tx => tx.create_session(s)).unwrap();
    }
    assert_eq!(
        store.session_by_hash(&one.hash).await.unwrap(),
        Some(one.clone())
    );
    assert_eq!(
        store.session_by_hash(&key.hash("nope")).await.unwrap(),
        None
    );
    // Activity moves forward only.
    let seen = now() + TimeDelta::minutes(5);
    store
        .record_session_activity(&[(one.hash, seen)])
        .await
        .unwrap();
    store
        .record_session_activity(&[(one.hash, now())])
        .await
        .unwrap();
    let read = store.session_by_hash(&one.hash).await.unwrap().unwrap();
    assert_eq!(read.last_seen, seen);
    // Deleting one, then all of a user's.
    assert!(change!(store, tx => tx.delete_session(&two.hash)).unwrap());
    assert!(!change!(store, tx => tx.delete_session(&two.hash)).unwrap());
    change!(store, tx => tx.create_session(&two)).unwrap();
    let mut gone = change!(store, tx => tx.delete_user_sessions(john.id)).unwrap();
    gone.sort_by_key(|h| h.0);
    let mut expected = vec![one.hash, two.hash];
    expected.sort_by_key(|h| h.0);
    assert_eq!(gone, expected);
    assert_eq!(
        store.session_by_hash(&three.hash).await.unwrap(),
        Some(three.clone())
    );
    // Pruning takes what ended by lifetime or by idleness, and nothing else.
    let four = session("four", &jane, 12);
    change!(store, tx => tx.create_session(&four)).unwrap();
    let pruned = store
        .prune_sessions(now() + TimeDelta::hours(2), now() - TimeDelta::minutes(1))
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    assert_eq!(store.session_by_hash(&three.hash).await.unwrap(), None);
    assert!(store.session_by_hash(&four.hash).await.unwrap().is_some());
    let idle = store
        .prune_sessions(now(), now() + TimeDelta::minutes(1))
        .await
        .unwrap();
    assert_eq!(idle, 1, "idle since before the cut");
    // A user's sessions go with it.
    let five = session("five", &jane, 12);
    change!(store, tx => tx.create_session(&five)).unwrap();
    change!(store, tx => tx.delete_user(a.id, &jane.login)).unwrap();
    assert_eq!(store.session_by_hash(&five.hash).await.unwrap(), None);
}

async fn users_and_tokens_are_listed_whole_a_page_at_a_time(store: &dyn Store) {
    let a = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    let b = change!(store, tx => tx.create_account(new_account("lk0002-lk", false))).unwrap();
    for l in ["ann", "bob", "bo_b", "carl", "dana"] {
        change!(store, tx => tx.create_user(a.id, new_user(l, "DEFAULT"))).unwrap();
    }
    change!(store, tx => tx.create_user(b.id, new_user("bobby", "DEFAULT"))).unwrap();
    let page = |filter: &str, offset: u64, limit: u32| Page {
        filter: filter.to_owned(),
        offset,
        limit,
    };
    let logins = |users: &[latchkey_core::model::User]| {
        users
            .iter()
            .map(|u| u.login.to_string())
            .collect::<Vec<_>>()
    };
    let (first, total) = store.users_page(a.id, &page("", 0, 3)).await.unwrap();
    assert_eq!(total, 6, "five users and the ROOT user");
    assert_eq!(logins(&first), ["admin", "ann", "bo_b"]);
    let (rest, _) = store.users_page(a.id, &page("", 3, 3)).await.unwrap();
    assert_eq!(logins(&rest), ["bob", "carl", "dana"]);
    // The filter is a substring in any case; `_` and `%` in it are themselves.
    let (bs, total) = store.users_page(a.id, &page("BO", 0, 10)).await.unwrap();
    assert_eq!(
        (logins(&bs), total),
        (vec!["bo_b".to_owned(), "bob".to_owned()], 2)
    );
    let (underscore, _) = store.users_page(a.id, &page("o_", 0, 10)).await.unwrap();
    assert_eq!(logins(&underscore), ["bo_b"]);
    let (none, total) = store.users_page(a.id, &page("%", 0, 10)).await.unwrap();
    assert_eq!((none.len(), total), (0, 0));
    // Tokens of a user, whole, in one read.
    let ann = store.user(a.id, &login("ann")).await.unwrap().unwrap();
    let key = HashKey::generate();
    for name in ["zeta", "alpha"] {
        change!(store, tx => tx.create_pat(ann.id, new_pat(name, key.hash(name)))).unwrap();
    }
    let pats = store.pats_of(ann.id).await.unwrap();
    let names: Vec<_> = pats.iter().map(|p| p.name.to_string()).collect();
    assert_eq!(names, ["alpha", "zeta"]);
    assert_eq!(pats[0].description.as_str(), "for a script");
}

async fn resources_are_unique_by_urn_tagged_and_removed_and_actions_declared(store: &dyn Store) {
    use latchkey_core::resource::{
        Category, DeclaredAction, Resource, ResourceId, ResourceName, ResourceType, Tags,
    };
    use latchkey_core::urn::Urn;
    let a = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    let b = change!(store, tx => tx.create_account(new_account("lk0002-lk", false))).unwrap();
    let resource =
        |account: latchkey_core::model::AccountId, name: &str, tags: &[(&str, &str)]| Resource {
            id: ResourceId::random(),
            account_id: account,
            urn: Urn::resource(&format!("urn:v1:eu:resource:objectStorage:{name}")).unwrap(),
            name: ResourceName::parse(name).unwrap(),
            display_name: format!("Container {name}"),
            kind: ResourceType::parse("objectStorage").unwrap(),
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            created_at: now(),
            updated_at: now(),
        };
    let photos = resource(a.id, "photos", &[("env", "prod")]);
    let made = change!(store, tx => tx.create_resource(&photos)).unwrap();
    assert_eq!(made, photos);
    assert_eq!(
        store.resource_by_urn(photos.urn.as_str()).await.unwrap(),
        Some(photos.clone())
    );
    // The URN names one resource in the installation.
    assert!(matches!(
        change!(store, tx => tx.create_resource(&resource(b.id, "photos", &[]))),
        Err(Error::Conflict(_))
    ));
    let theirs = resource(b.id, "theirs", &[]);
    change!(store, tx => tx.create_resource(&theirs)).unwrap();
    let listed = store.list_resources(a.id).await.unwrap();
    assert_eq!(listed, vec![photos.clone()]);
    assert_eq!(store.all_resources().await.unwrap().len(), 2);
    assert_eq!(
        store.resource_types().await.unwrap(),
        vec!["objectStorage".to_owned()]
    );

    // Tags are replaced within the owner's account only.
    let tags: Tags = [
        ("env".to_owned(), "dev".to_owned()),
        ("team".to_owned(), "web".to_owned()),
    ]
    .into();
    let later = now() + TimeDelta::minutes(1);
    let tagged =
        change!(store, tx => tx.set_resource_tags(a.id, photos.urn.as_str(), &tags, later))
            .unwrap();
    assert_eq!(
        (tagged.tags.clone(), tagged.updated_at),
        (tags.clone(), later)
    );
    assert!(matches!(
        change!(store, tx => tx.set_resource_tags(b.id, photos.urn.as_str(), &tags, later)),
        Err(Error::NotFound(_))
    ));
    let renamed =
        change!(store, tx => tx.rename_resource(photos.urn.as_str(), "Photos", later)).unwrap();
    assert_eq!(
        (renamed.display_name.as_str(), renamed.tags),
        ("Photos", tags)
    );

    let removed = change!(store, tx => tx.delete_resource(photos.urn.as_str())).unwrap();
    assert_eq!(removed.id, photos.id);
    assert_eq!(
        store.resource_by_urn(photos.urn.as_str()).await.unwrap(),
        None
    );
    assert!(matches!(
        change!(store, tx => tx.delete_resource(photos.urn.as_str())),
        Err(Error::NotFound(_))
    ));

    // Declarations replace what an earlier one said of the same action.
    let kind = ResourceType::parse("objectStorage").unwrap();
    let declared = |description: &str| DeclaredAction {
        action: "objectStorage:apiovh:object/get".to_owned(),
        resource_type: kind.clone(),
        description: description.to_owned(),
        categories: vec![Category::Read],
    };
    change!(store, tx => tx.declare_actions(&[declared("Read")], now())).unwrap();
    change!(store, tx => tx.declare_actions(&[declared("Read an object")], now())).unwrap();
    assert_eq!(
        store.declared_actions().await.unwrap(),
        vec![declared("Read an object")]
    );
    // Groups keep their members in order; a removed resource leaves them.
    use latchkey_core::resource::{ResourceGroup, ResourceGroupId};
    let one = change!(store, tx => tx.create_resource(&resource(a.id, "one", &[]))).unwrap();
    let two = change!(store, tx => tx.create_resource(&resource(a.id, "two", &[]))).unwrap();
    let group = ResourceGroup {
        id: ResourceGroupId::random(),
        account_id: a.id,
        name: "prod".to_owned(),
        read_only: false,
        members: vec![two.id, one.id],
        created_at: now(),
        updated_at: now(),
    };
    assert_eq!(
        change!(store, tx => tx.create_resource_group(&group)).unwrap(),
        group
    );
    assert!(matches!(
        change!(store, tx => tx.create_resource_group(&ResourceGroup { id: ResourceGroupId::random(), ..group.clone() })),
        Err(Error::Conflict(_))
    ));
    assert_eq!(store.resource_group(b.id, group.id).await.unwrap(), None);
    let replaced =
        change!(store, tx => tx.replace_resource_group(a.id, group.id, "all", &[one.id], later))
            .unwrap();
    assert_eq!(
        (replaced.name.as_str(), replaced.members.clone()),
        ("all", vec![one.id])
    );
    assert!(matches!(
        change!(store, tx => tx.replace_resource_group(b.id, group.id, "x", &[], later)),
        Err(Error::NotFound(_))
    ));
    change!(store, tx => tx.delete_resource(one.urn.as_str())).unwrap();
    assert_eq!(
        store.list_resource_groups(a.id).await.unwrap()[0].members,
        vec![]
    );
    assert_eq!(store.all_resource_groups().await.unwrap().len(), 1);
    change!(store, tx => tx.delete_resource_group(a.id, group.id)).unwrap();
    assert!(store.list_resource_groups(a.id).await.unwrap().is_empty());

    // An account's resources go with it.
    change!(store, tx => tx.delete_account(b.id)).unwrap();
    assert_eq!(
        store.resource_by_urn(theirs.urn.as_str()).await.unwrap(),
        None
    );
}

async fn permissions_groups_are_per_account_with_unique_names_and_round_trip(store: &dyn Store) {
    use latchkey_core::policy::permissions_group::{
        GroupOwner, PermissionsGroup, PermissionsGroupDraft, PermissionsGroupId,
        PermissionsGroupName,
    };
    use latchkey_core::policy::{ActionPattern, Permissions};
    let a = change!(store, tx => tx.create_account(new_account("lk0001-lk", true))).unwrap();
    let b = change!(store, tx => tx.create_account(new_account("lk0002-lk", false))).unwrap();
    let name = |s: &str| PermissionsGroupName::parse(s).unwrap();
    let actions = |l: &[&str]| -> Vec<ActionPattern> {
        l.iter().map(|x| ActionPattern::parse(x).unwrap()).collect()
    };
    let group = PermissionsGroup {
        id: PermissionsGroupId::random(),
        owner: GroupOwner::Account(a.id),
        name: name("readers"),
        description: Description::parse("Read users").unwrap(),
        permissions: Permissions {
            allow: actions(&["account:apiovh:me/identity/user/*"]),
            except: actions(&["account:apiovh:me/identity/user/create"]),
            deny: actions(&["vps:apiovh:*"]),
        },
        created_at: now(),
        updated_at: now(),
    };
    assert_eq!(
        change!(store, tx => tx.create_permissions_group(&group)).unwrap(),
        group
    );
    // The name is the account's: another account may use it, the same account may not.
    assert!(matches!(
        change!(store, tx => tx.create_permissions_group(&PermissionsGroup { id: PermissionsGroupId::random(), ..group.clone() })),
        Err(Error::Conflict(_))
    ));
    let theirs = PermissionsGroup {
        id: PermissionsGroupId::random(),
        owner: GroupOwner::Account(b.id),
        ..group.clone()
    };
    change!(store, tx => tx.create_permissions_group(&theirs)).unwrap();
    assert_eq!(
        store
            .permissions_group(a.id, &name("readers"))
            .await
            .unwrap(),
        Some(group.clone())
    );
    assert_eq!(
        store.permissions_group(a.id, &name("nope")).await.unwrap(),
        None
    );
    // Managed groups are the installation's: never stored.
    assert!(
        change!(store, tx => tx.create_permissions_group(&PermissionsGroup { owner: GroupOwner::Installation, ..group.clone() }))
            .is_err()
    );
    let later = now() + TimeDelta::seconds(5);
    let draft = PermissionsGroupDraft {
        name: name("all"),
        description: Description::default(),
        permissions: Permissions {
            allow: actions(&["*"]),
            ..Permissions::default()
        },
    };
    let replaced =
        change!(store, tx => tx.replace_permissions_group(a.id, &name("readers"), &draft, later))
            .unwrap();
    assert_eq!(
        (
            &replaced.name,
            &replaced.permissions,
            replaced.updated_at,
            replaced.created_at,
            replaced.id
        ),
        (
            &draft.name,
            &draft.permissions,
            later,
            group.created_at,
            group.id
        )
    );
    assert!(matches!(
        change!(store, tx => tx.replace_permissions_group(a.id, &name("readers"), &draft, later)),
        Err(Error::NotFound(_))
    ));
    // Created later: listings are oldest first.
    let second = PermissionsGroup {
        id: PermissionsGroupId::random(),
        name: name("second"),
        created_at: later,
        updated_at: later,
        ..group.clone()
    };
    change!(store, tx => tx.create_permissions_group(&second)).unwrap();
    assert!(matches!(
        change!(store, tx => tx.replace_permissions_group(a.id, &name("second"), &draft, later)),
        Err(Error::Conflict(_))
    ));
    let listed: Vec<String> = store
        .list_permissions_groups(a.id)
        .await
        .unwrap()
        .iter()
        .map(|g| g.name.to_string())
        .collect();
    assert_eq!(listed, ["all", "second"]);
    assert_eq!(store.all_permissions_groups().await.unwrap().len(), 3);
    let gone = change!(store, tx => tx.delete_permissions_group(a.id, &name("second"))).unwrap();
    assert_eq!(gone.id, second.id);
    assert!(matches!(
        change!(store, tx => tx.delete_permissions_group(a.id, &name("second"))),
        Err(Error::NotFound(_))
    ));
    // An account's groups go with it.
    change!(store, tx => tx.delete_account(b.id)).unwrap();
    assert_eq!(store.all_permissions_groups().await.unwrap().len(), 1);
}
