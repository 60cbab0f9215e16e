//! Properties of policy evaluation over random policy sets drawn from a small vocabulary of
//! identities, resources and actions (with wildcards), so that overlaps are frequent.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, TimeDelta, Utc};
use latchkey_core::model::AccountId;
use latchkey_core::names::{Description, PolicyName};
use latchkey_core::policy::index::Decision;
use latchkey_core::policy::{ActionPattern, Permissions, Policy, PolicyId, PolicySet, UrnPattern};
use proptest::prelude::*;
use proptest::sample::select;

const IDENTITIES: &[&str] = &[
    "urn:v1:eu:identity:user:lk0001-lk/john",
    "urn:v1:eu:identity:group:lk0001-lk/ops",
    "urn:v1:eu:identity:user:lk0001-lk/jane",
    "urn:v1:eu:identity:user:lk0001-lk/*",
    "*/john",
    "*",
];
const RESOURCES: &[&str] = &[
    "urn:v1:eu:resource:account:lk0001-lk",
    "urn:v1:eu:resource:vps:vps-1",
    "urn:v1:eu:resource:*",
    "*:lk0001-lk",
    "*",
];
const ACTIONS: &[&str] = &[
    "account:apiovh:me/identity/user/get",
    "account:apiovh:me/identity/user/create",
    "account:apiovh:me/identity/user/*",
    "*/create",
    "account:*:me/get",
    "vps:apiovh:get",
    "*",
];
const CALLERS: &[&[&str]] = &[
    &[
        "urn:v1:eu:identity:user:lk0001-lk/john",
        "urn:v1:eu:identity:group:lk0001-lk/ops",
    ],
    &["urn:v1:eu:identity:user:lk0001-lk/jane"],
    &["urn:v1:eu:identity:credential:lk0001-lk/oauth2-0f0f0f0f0f0f0f0f"],
];
const QUERY_ACTIONS: &[&str] = &[
    "account:apiovh:me/identity/user/get",
    "account:apiovh:me/identity/user/create",
    "account:apiovh:me/get",
    "vps:apiovh:get",
];
const QUERY_RESOURCES: &[&str] = &[
    "urn:v1:eu:resource:account:lk0001-lk",
    "urn:v1:eu:resource:vps:vps-1",
];

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

fn some_of(pool: &'static [&'static str], min: usize) -> impl Strategy<Value = Vec<&'static str>> {
    proptest::collection::vec(select(pool), min..=3)
}

prop_compose! {
    fn a_policy()(
        identities in some_of(IDENTITIES, 1),
        resources in some_of(RESOURCES, 1),
        allow in some_of(ACTIONS, 0),
        except in some_of(ACTIONS, 0),
        deny in some_of(ACTIONS, 0),
        expiry in proptest::option::of(-2i64..2),
    ) -> Policy {
        let actions = |l: &[&str]| l.iter().map(|a| ActionPattern::parse(a).unwrap()).collect();
        Policy {
            id: PolicyId::random(),
            account_id: AccountId(1),
            name: PolicyName::parse("p").unwrap(),
            description: Description::default(),
            identities: identities.iter().map(|i| UrnPattern::identity(i).unwrap()).collect(),
            resources: resources.iter().map(|r| UrnPattern::resource(r).unwrap()).collect(),
            permissions: Permissions {
                allow: actions(&allow),
                except: actions(&except),
                deny: actions(&deny),
            },
            expired_at: expiry.map(|s| now() + TimeDelta::seconds(s)),
            read_only: false,
            created_at: now(),
            updated_at: now(),
        }
    }
}

/// The rules as DESIGN.md states them, evaluated naively over every policy.
fn reference(policies: &[Policy], who: &[&str], action: &str, resource: &str) -> Decision {
    let applicable = policies.iter().filter(|p| {
        !p.is_expired(now())
            && p.identities
                .iter()
                .any(|i| who.iter().any(|w| i.matches(w)))
            && p.resources.iter().any(|r| r.matches(resource))
    });
    let mut allowed = false;
    for p in applicable {
        if p.permissions.deny.iter().any(|d| d.matches(action)) {
            return Decision::Denied;
        }
        if p.permissions.allow.iter().any(|a| a.matches(action))
            && !p.permissions.except.iter().any(|e| e.matches(action))
        {
            allowed = true;
        }
    }
    if allowed {
        Decision::Allowed
    } else {
        Decision::NoMatch
    }
}

/// Every (caller, action, resource) the vocabulary can ask.
fn queries() -> impl Iterator<Item = (&'static [&'static str], &'static str, &'static str)> {
    CALLERS.iter().flat_map(|who| {
        QUERY_ACTIONS
            .iter()
            .flat_map(move |a| QUERY_RESOURCES.iter().map(move |r| (*who, *a, *r)))
    })
}

fn allowed(set: &PolicySet, who: &[&str], action: &str, resource: &str) -> bool {
    set.decide(who, action, resource, now()).is_allowed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_index_decides_as_the_rules_read(policies in proptest::collection::vec(a_policy(), 0..12)) {
        let set = PolicySet::build(&policies);
        for (who, action, resource) in queries() {
            prop_assert_eq!(
                set.decide(who, action, resource, now()),
                reference(&policies, who, action, resource),
                "{:?} {} {}", who, action, resource
            );
        }
    }

    #[test]
    fn adding_a_deny_never_grants(
        policies in proptest::collection::vec(a_policy(), 0..12),
        mut extra in a_policy(),
    ) {
        extra.permissions.allow.clear();
        extra.permissions.except.clear();
        let before = PolicySet::build(&policies);
        let mut more = policies.clone();
        more.push(extra);
        let after = PolicySet::build(&more);
        for (who, action, resource) in queries() {
            prop_assert!(!allowed(&after, who, action, resource) || allowed(&before, who, action, resource));
        }
    }

    #[test]
    fn removing_a_policy_without_deny_never_grants(
        policies in proptest::collection::vec(a_policy(), 1..12),
        pick in any::<proptest::sample::Index>(),
    ) {
        let mut policies = policies;
        let i = pick.index(policies.len());
        policies[i].permissions.deny.clear();
        let before = PolicySet::build(&policies);
        policies.remove(i);
        let after = PolicySet::build(&policies);
        for (who, action, resource) in queries() {
            prop_assert!(!allowed(&after, who, action, resource) || allowed(&before, who, action, resource));
        }
    }

    #[test]
    fn a_matching_deny_refuses_whatever_else_allows(
        policies in proptest::collection::vec(a_policy(), 0..12),
        mut deny in a_policy(),
    ) {
        let mut all = policies;
        deny.identities = vec![UrnPattern::identity("*").unwrap()];
        deny.resources = vec![UrnPattern::resource("*").unwrap()];
        deny.permissions = Permissions {
            deny: vec![ActionPattern::parse("*").unwrap()],
            ..Permissions::default()
        };
        deny.expired_at = None;
        all.push(deny);
        let set = PolicySet::build(&all);
        for (who, action, resource) in queries() {
            prop_assert_eq!(set.decide(who, action, resource, now()), Decision::Denied);
        }
    }
}
