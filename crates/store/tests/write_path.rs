//! The one write path, on both backends: a change, its audit records and its events commit
//! together or not at all; the audit log is read by filters and pages; repeated failures
//! share a row; old records are pruned in batches.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::TimeDelta;
use latchkey_core::audit::{AuditKind, AuditQuery, Author, AuthorType, Coalesce, Origin};
use latchkey_core::model::{AccountId, UserStatus, UserType};
use latchkey_core::names::{Description, Email, GroupName, Login, Nic};
use latchkey_core::store::{NewAccount, NewRevocation, NewUser, Record, RevocationKind, Store};

use common::{audit, now};

contract!(
    a_change_commits_with_its_audit_record_and_its_event,
    a_failing_audit_record_leaves_no_change_and_no_event,
    a_failing_event_leaves_no_change_and_no_record,
    a_change_never_committed_leaves_nothing,
    the_audit_log_filters_and_pages,
    repeated_failures_share_one_row_per_window,
    old_records_are_pruned_in_batches,
);

async fn account(store: &dyn Store, nic: &str) -> AccountId {
    let new = NewAccount {
        nic: Nic::parse(nic).unwrap(),
        email: Email::parse("owner@example.com").unwrap(),
        operator: false,
        domain: Default::default(),
        root_login: Login::parse("admin").unwrap(),
        root_password_hash: "$argon2id$fake".into(),
        now: now(),
    };
    change!(store, tx => tx.create_account(new)).unwrap().id
}

fn alice() -> NewUser {
    NewUser {
        login: Login::parse("alice").unwrap(),
        email: Email::parse("alice@example.com").unwrap(),
        group: GroupName::parse("DEFAULT").unwrap(),
        description: Description::parse("").unwrap(),
        password_hash: "$argon2id$fake".into(),
        status: UserStatus::Ok,
        kind: UserType::User,
        now: now(),
    }
}

fn user_event(account: AccountId, subject: &str) -> NewRevocation {
    NewRevocation {
        kind: RevocationKind::User,
        subject: subject.to_owned(),
        account: Some(account),
        identity: Some("urn:v1:eu:identity:user:lk1-lk/alice".into()),
        at: now(),
    }
}

fn by_alice(kind: AuditKind, account: AccountId) -> latchkey_core::audit::NewAudit {
    let mut record = audit(kind, Some(account));
    record.author = Author {
        kind: Some(AuthorType::User),
        user: Some("alice".into()),
        identity: Some("urn:v1:eu:identity:user:lk1-lk/alice".into()),
        credential: Some("pat:ci".into()),
    };
    record.origin = Origin {
        ip: Some("192.0.2.10".parse().unwrap()),
        request_id: Some("req-1".into()),
        user_agent: Some("curl/8".into()),
    };
    record
}

fn records_of(account: AccountId) -> AuditQuery {
    AuditQuery {
        account: Some(account),
        limit: 100,
        ..AuditQuery::default()
    }
}

async fn a_change_commits_with_its_audit_record_and_its_event(store: &dyn Store) {
    let a = account(store, "lk1-lk").await;
    let events_before = store.last_revocation_id().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let user = tx.create_user(a, alice()).await.unwrap();
    let mut created = by_alice(AuditKind::UserCreated, a);
    created
        .details
        .insert("user".into(), serde_json::json!("alice"));
    let record = Record::new(created).event(user_event(a, &user.id.to_string()));
    let committed = tx.commit(record).await.unwrap();

    assert!(store.user(a, &user.login).await.unwrap().is_some());
    let last = committed.last_event().unwrap();
    assert!(last > events_before);
    let events = store.revocations_since(events_before, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].id, last);
    assert_eq!(events[0].subject, user.id.to_string());
    let records = store.audit_records(&records_of(a)).await.unwrap();
    let record = records
        .iter()
        .find(|r| r.kind == "USER_CREATED")
        .expect("the record of the change");
    assert_eq!(record.author.user.as_deref(), Some("alice"));
    assert_eq!(record.author.kind, Some(AuthorType::User));
    assert_eq!(record.author.credential.as_deref(), Some("pat:ci"));
    assert_eq!(record.origin.ip, Some("192.0.2.10".parse().unwrap()));
    assert_eq!(record.origin.request_id.as_deref(), Some("req-1"));
    assert_eq!(record.details["user"], "alice");
    assert_eq!(record.count, 1);
}

async fn a_failing_audit_record_leaves_no_change_and_no_event(store: &dyn Store) {
    let a = account(store, "lk1-lk").await;
    let events_before = store.last_revocation_id().await.unwrap();
    let records_before = store.audit_records(&records_of(a)).await.unwrap().len();
    let mut tx = store.begin().await.unwrap();
    let user = tx.create_user(a, alice()).await.unwrap();
    // The audit table keeps request ids of at most 256 characters: this record cannot be written.
    let mut failing = by_alice(AuditKind::UserCreated, a);
    failing.origin.request_id = Some("r".repeat(300));
    let record = Record::new(failing).event(user_event(a, &user.id.to_string()));
    assert!(tx.commit(record).await.is_err());

    assert!(store.user(a, &user.login).await.unwrap().is_none());
    assert_eq!(store.last_revocation_id().await.unwrap(), events_before);
    assert_eq!(
        store.audit_records(&records_of(a)).await.unwrap().len(),
        records_before
    );
}

async fn a_failing_event_leaves_no_change_and_no_record(store: &dyn Store) {
    let a = account(store, "lk1-lk").await;
    let events_before = store.last_revocation_id().await.unwrap();
    let records_before = store.audit_records(&records_of(a)).await.unwrap().len();
    let mut tx = store.begin().await.unwrap();
    let user = tx.create_user(a, alice()).await.unwrap();
    // Event subjects are at most 1024 characters: this event cannot be written.
    let record =
        Record::new(by_alice(AuditKind::UserCreated, a)).event(user_event(a, &"x".repeat(2000)));
    assert!(tx.commit(record).await.is_err());

    assert!(store.user(a, &user.login).await.unwrap().is_none());
    assert_eq!(store.last_revocation_id().await.unwrap(), events_before);
    assert_eq!(
        store.audit_records(&records_of(a)).await.unwrap().len(),
        records_before
    );
}

async fn a_change_never_committed_leaves_nothing(store: &dyn Store) {
    let a = account(store, "lk1-lk").await;
    {
        let mut tx = store.begin().await.unwrap();
        tx.create_user(a, alice()).await.unwrap();
        // Dropped here, as when the process dies before the commit.
    }
    assert!(
        store
            .user(a, &Login::parse("alice").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    // The store is not left locked: the next change goes through.
    let mut tx = store.begin().await.unwrap();
    tx.create_user(a, alice()).await.unwrap();
    tx.commit(Record::new(by_alice(AuditKind::UserCreated, a)))
        .await
        .unwrap();
    assert!(store.account(a).await.unwrap().is_some());
}

async fn commit_record(store: &dyn Store, record: latchkey_core::audit::NewAudit) {
    let tx = store.begin().await.unwrap();
    tx.commit(Record::new(record)).await.unwrap();
}

async fn the_audit_log_filters_and_pages(store: &dyn Store) {
    let a = account(store, "lk1-lk").await;
    let b = account(store, "lk2-lk").await;
    let start = now();
    for i in 0..5 {
        let mut r = by_alice(AuditKind::TokenCreated, a);
        r.at = start + TimeDelta::seconds(i);
        commit_record(store, r).await;
    }
    let mut other = by_alice(AuditKind::UserDeleted, a);
    other.author.identity = Some("urn:v1:eu:identity:user:lk1-lk/bob".into());
    other.at = start + TimeDelta::seconds(10);
    commit_record(store, other).await;
    commit_record(store, by_alice(AuditKind::TokenCreated, b)).await;

    let only_a = |q: AuditQuery| AuditQuery {
        account: Some(a),
        limit: 100,
        ..q
    };
    // Newest first, the account's own only.
    let all = store
        .audit_records(&only_a(AuditQuery::default()))
        .await
        .unwrap();
    assert!(all.iter().all(|r| r.account == Some(a)));
    assert!(all.windows(2).all(|w| w[0].id > w[1].id));
    let tokens = store
        .audit_records(&only_a(AuditQuery {
            kinds: vec!["TOKEN_CREATED".into()],
            ..AuditQuery::default()
        }))
        .await
        .unwrap();
    assert_eq!(tokens.len(), 5);
    let several = store
        .audit_records(&only_a(AuditQuery {
            kinds: vec!["TOKEN_CREATED".into(), "USER_DELETED".into()],
            ..AuditQuery::default()
        }))
        .await
        .unwrap();
    assert_eq!(several.len(), 6);
    let bob = store
        .audit_records(&only_a(AuditQuery {
            identity: Some("urn:v1:eu:identity:user:lk1-lk/bob".into()),
            ..AuditQuery::default()
        }))
        .await
        .unwrap();
    assert_eq!(bob.len(), 1);
    assert_eq!(bob[0].kind, "USER_DELETED");
    let window = store
        .audit_records(&only_a(AuditQuery {
            kinds: vec!["TOKEN_CREATED".into()],
            from: Some(start + TimeDelta::seconds(1)),
            to: Some(start + TimeDelta::seconds(3)),
            ..AuditQuery::default()
        }))
        .await
        .unwrap();
    assert_eq!(window.len(), 2, "from is inclusive, to exclusive");

    // Pages of two, by cursor, cover the five without a repeat.
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = store
            .audit_records(&AuditQuery {
                account: Some(a),
                kinds: vec!["TOKEN_CREATED".into()],
                before,
                limit: 2,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2);
        before = page.last().map(|r| r.id);
        seen.extend(page.iter().map(|r| r.id));
    }
    assert_eq!(seen, tokens.iter().map(|r| r.id).collect::<Vec<_>>());
    // The stream reads oldest first after a cursor.
    let after = store
        .audit_records(&AuditQuery {
            after: Some(seen[2]),
            limit: 100,
            ..only_a(AuditQuery::default())
        })
        .await
        .unwrap();
    assert!(after.windows(2).all(|w| w[0].id < w[1].id));
    assert!(after.iter().all(|r| r.id > seen[2]));
    // Every account's, for the operator.
    let everyone = store
        .audit_records(&AuditQuery {
            limit: 100,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(everyone.iter().any(|r| r.account == Some(b)));
}

async fn repeated_failures_share_one_row_per_window(store: &dyn Store) {
    let a = account(store, "lk1-lk").await;
    let start = now();
    let failure = |at, since| {
        let mut r = audit(AuditKind::LoginFailed, Some(a));
        r.at = at;
        r.coalesce = Some(Coalesce {
            key: "password:lk1-lk/alice".into(),
            since,
        });
        r
    };
    for i in 0..50 {
        let at = start + TimeDelta::milliseconds(i);
        commit_record(store, failure(at, start - TimeDelta::minutes(15))).await;
    }
    let query = AuditQuery {
        kinds: vec!["LOGIN_FAILED".into()],
        ..records_of(a)
    };
    let rows = store.audit_records(&query).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].count, 50);
    assert_eq!(rows[0].at, start);
    assert_eq!(rows[0].last_at, start + TimeDelta::milliseconds(49));
    // A failure after the window starts a new row.
    let later = start + TimeDelta::hours(1);
    commit_record(store, failure(later, later - TimeDelta::minutes(15))).await;
    let rows = store.audit_records(&query).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].count, 1);
}

async fn old_records_are_pruned_in_batches(store: &dyn Store) {
    let a = account(store, "lk1-lk").await;
    let old = now() - TimeDelta::days(100);
    for i in 0..5 {
        let mut r = audit(AuditKind::TokenDeleted, Some(a));
        r.at = old + TimeDelta::seconds(i);
        commit_record(store, r).await;
    }
    commit_record(store, audit(AuditKind::TokenCreated, Some(a))).await;
    let cutoff = now() - TimeDelta::days(90);
    assert_eq!(store.prune_audit(cutoff, 2).await.unwrap(), 2);
    assert_eq!(store.prune_audit(cutoff, 2).await.unwrap(), 2);
    assert_eq!(store.prune_audit(cutoff, 2).await.unwrap(), 1);
    assert_eq!(store.prune_audit(cutoff, 2).await.unwrap(), 0);
    let left = store.audit_records(&records_of(a)).await.unwrap();
    assert!(left.iter().all(|r| r.at >= cutoff));
    assert!(left.iter().any(|r| r.kind == "TOKEN_CREATED"));
}
