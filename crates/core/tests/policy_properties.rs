//! Properties of policy evaluation over random policy sets drawn from a small vocabulary of
//! identities, resources, actions (with wildcards) and conditions, so that overlaps are frequent;
//! every query is asked under each of a few request facts (addresses, tags).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{DateTime, TimeDelta, Utc};
use latchkey_core::model::AccountId;
use latchkey_core::names::{Description, PolicyName};
use latchkey_core::policy::index::{Decision, Groups};
use latchkey_core::policy::{
    ActionPattern, Condition, ConditionDocument, Facts, Permissions, Policy, PolicyId, PolicySet,
    ResourceFacts, UrnPattern,
};
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
/// A resource group holding the VPS.
const GROUP: &str = "urn:v1:eu:resourceGroup:9167fb26-382b-11ee-895a-0050568ce122";
const RESOURCES: &[&str] = &[
    GROUP,
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

/// Permissions groups: (URN, allow, except, deny). The last is not in the index (a group
/// deleted under the policy): it adds nothing.
type GroupDef = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);
const PERMISSIONS_GROUPS: &[GroupDef] = &[
    (
        "urn:v1:eu:permissionsGroup:lk0001-lk:users",
        &["account:apiovh:me/identity/user/*"],
        &["account:apiovh:me/identity/user/create"],
        &[],
    ),
    (
        "urn:v1:eu:permissionsGroup:lk0001-lk:creators",
        &["*/create"],
        &[],
        &[],
    ),
    (
        "urn:v1:eu:permissionsGroup:latchkey:noVps",
        &[],
        &[],
        &["vps:apiovh:*"],
    ),
    (
        "urn:v1:eu:permissionsGroup:lk0001-lk:allButMe",
        &["*"],
        &["account:*:me/get"],
        &[],
    ),
    (
        "urn:v1:eu:permissionsGroup:lk0001-lk:gone",
        &["*"],
        &[],
        &[],
    ),
];
const GROUP_URNS: &[&str] = &[
    "urn:v1:eu:permissionsGroup:lk0001-lk:users",
    "urn:v1:eu:permissionsGroup:lk0001-lk:creators",
    "urn:v1:eu:permissionsGroup:latchkey:noVps",
    "urn:v1:eu:permissionsGroup:lk0001-lk:allButMe",
    "urn:v1:eu:permissionsGroup:lk0001-lk:gone",
];

fn patterns(l: &[&str]) -> Vec<ActionPattern> {
    l.iter().map(|a| ActionPattern::parse(a).unwrap()).collect()
}

/// The permissions of a group the index knows.
fn group_permissions(urn: &str) -> Option<Permissions> {
    PERMISSIONS_GROUPS
        .iter()
        .filter(|(u, ..)| !u.ends_with(":gone"))
        .find(|(u, ..)| *u == urn)
        .map(|(_, allow, except, deny)| Permissions {
            allow: patterns(allow),
            except: patterns(except),
            deny: patterns(deny),
        })
}

fn groups() -> Groups {
    Groups {
        resources: [(
            GROUP.to_owned(),
            vec!["urn:v1:eu:resource:vps:vps-1".to_owned()],
        )]
        .into(),
        permissions: GROUP_URNS
            .iter()
            .filter_map(|u| group_permissions(u).map(|p| ((*u).to_owned(), p)))
            .collect(),
    }
}

/// The index of `policies`, with the groups expanded.
fn build(policies: &[Policy]) -> PolicySet {
    PolicySet::build_with(policies, &groups())
}

/// Conditions a policy may hold (or none).
fn conditions() -> Vec<Option<Condition>> {
    let range = serde_json::json!(
        {"operator": "MATCH", "values": {"request.IP.IN_RANGE": "10.0.0.0/8"}});
    let tag = serde_json::json!({"operator": "MATCH", "values": {"resource.Tag(env)": "prod"}});
    let docs = [
        range.clone(),
        tag.clone(),
        serde_json::json!({"operator": "NOT", "conditions": [range.clone()]}),
        serde_json::json!({"operator": "OR", "conditions": [range.clone(), tag.clone()]}),
        serde_json::json!({"operator": "AND", "conditions": [range, tag]}),
    ];
    let mut out = vec![None];
    out.extend(docs.into_iter().map(|d| {
        let doc: ConditionDocument = serde_json::from_value(d).unwrap();
        Some(Condition::parse(doc).unwrap())
    }));
    out
}

static CONDITIONS: LazyLock<Vec<Option<Condition>>> = LazyLock::new(conditions);
static PROD: LazyLock<BTreeMap<String, String>> =
    LazyLock::new(|| BTreeMap::from([("env".to_owned(), "prod".to_owned())]));

/// The request facts each query is asked under: inside or outside 10/8, tagged or not.
fn all_facts() -> Vec<Facts<'static>> {
    let mut out = Vec::new();
    for ip in ["10.1.1.1", "192.0.2.1"] {
        for tags in [Some(&*PROD), None] {
            out.push(Facts {
                now: now(),
                ip: Some(ip.parse().unwrap()),
                resource: ResourceFacts {
                    name: "x",
                    kind: "vps",
                    tags,
                },
            });
        }
    }
    out
}

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
        condition in 0..CONDITIONS.len() * 2,
        permissions_groups in proptest::collection::vec(select(GROUP_URNS), 0..=2),
    ) -> Policy {
        let actions = patterns;
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
            // Half the policies hold no condition.
            conditions: CONDITIONS.get(condition).cloned().flatten(),
            permissions_groups: permissions_groups.iter().map(|u| (*u).to_owned()).collect(),
            expired_at: expiry.map(|s| now() + TimeDelta::seconds(s)),
            read_only: false,
            created_at: now(),
            updated_at: now(),
        }
    }
}

/// The rules as DESIGN.md states them, evaluated naively over every policy.
fn reference(
    policies: &[Policy],
    who: &[&str],
    action: &str,
    resource: &str,
    facts: &Facts<'_>,
) -> Decision {
    let applicable = policies.iter().filter(|p| {
        !p.is_expired(now())
            && p.conditions.as_ref().is_none_or(|c| c.holds(facts))
            && p.identities
                .iter()
                .any(|i| who.iter().any(|w| i.matches(w)))
            && p.resources.iter().any(|r| {
                r.matches(resource)
                    || groups()
                        .resources
                        .get(r.as_str())
                        .is_some_and(|members| members.iter().any(|m| m == resource))
            })
    });
    let mut allowed = false;
    for p in applicable {
        // The policy's own permissions, then each group's, each with its own except.
        let sets = std::iter::once(p.permissions.clone()).chain(
            p.permissions_groups
                .iter()
                .filter_map(|u| group_permissions(u)),
        );
        for set in sets {
            if set.deny.iter().any(|d| d.matches(action)) {
                return Decision::Denied;
            }
            if set.allow.iter().any(|a| a.matches(action))
                && !set.except.iter().any(|e| e.matches(action))
            {
                allowed = true;
            }
        }
    }
    if allowed {
        Decision::Allowed
    } else {
        Decision::NoMatch
    }
}

type Query = (
    &'static [&'static str],
    &'static str,
    &'static str,
    Facts<'static>,
);

/// Every (caller, action, resource, facts) the vocabulary can ask.
fn queries() -> impl Iterator<Item = Query> {
    let facts = all_facts();
    CALLERS.iter().flat_map(move |who| {
        let facts = facts.clone();
        QUERY_ACTIONS.iter().flat_map(move |a| {
            let facts = facts.clone();
            QUERY_RESOURCES
                .iter()
                .flat_map(move |r| facts.clone().into_iter().map(move |f| (*who, *a, *r, f)))
        })
    })
}

fn allowed(set: &PolicySet, who: &[&str], action: &str, resource: &str, f: &Facts<'_>) -> bool {
    set.decide(who, action, resource, f).is_allowed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_index_decides_as_the_rules_read(policies in proptest::collection::vec(a_policy(), 0..12)) {
        let set = build(&policies);
        for (who, action, resource, f) in queries() {
            prop_assert_eq!(
                set.decide(who, action, resource, &f),
                reference(&policies, who, action, resource, &f),
                "{:?} {} {} {:?}", who, action, resource, f
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
        extra.permissions_groups.retain(|u| group_permissions(u).is_some_and(|p| p.allow.is_empty()));
        let before = build(&policies);
        let mut more = policies.clone();
        more.push(extra);
        let after = build(&more);
        for (who, action, resource, f) in queries() {
            prop_assert!(
                !allowed(&after, who, action, resource, &f)
                    || allowed(&before, who, action, resource, &f)
            );
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
        policies[i].permissions_groups.retain(|u| group_permissions(u).is_none_or(|p| p.deny.is_empty()));
        let before = build(&policies);
        policies.remove(i);
        let after = build(&policies);
        for (who, action, resource, f) in queries() {
            prop_assert!(
                !allowed(&after, who, action, resource, &f)
                    || allowed(&before, who, action, resource, &f)
            );
        }
    }

    #[test]
    fn removing_an_allow_never_grants(
        policies in proptest::collection::vec(a_policy(), 1..12),
        pick in any::<proptest::sample::Index>(),
        which in any::<proptest::sample::Index>(),
    ) {
        let mut policies = policies;
        let i = pick.index(policies.len());
        let before = build(&policies);
        let allow = &mut policies[i].permissions.allow;
        if !allow.is_empty() {
            allow.remove(which.index(allow.len()));
        }
        let after = build(&policies);
        for (who, action, resource, f) in queries() {
            prop_assert!(
                !allowed(&after, who, action, resource, &f)
                    || allowed(&before, who, action, resource, &f)
            );
        }
    }

    #[test]
    fn removing_a_permissions_group_grants_only_what_its_own_deny_refused(
        policies in proptest::collection::vec(a_policy(), 1..12),
        pick in any::<proptest::sample::Index>(),
        which in any::<proptest::sample::Index>(),
    ) {
        let mut policies = policies;
        let i = pick.index(policies.len());
        let before = build(&policies);
        let named = &mut policies[i].permissions_groups;
        if named.is_empty() {
            return Ok(());
        }
        let removed = named.remove(which.index(named.len()));
        let denied = group_permissions(&removed).map(|p| p.deny).unwrap_or_default();
        let after = build(&policies);
        for (who, action, resource, f) in queries() {
            let granted = allowed(&after, who, action, resource, &f)
                && !allowed(&before, who, action, resource, &f);
            // Only lifting the group's own deny can grant; a group that denies nothing never.
            prop_assert!(
                !granted || denied.iter().any(|d| d.matches(action)),
                "{} granted {} on {} after removing {}", who.join(","), action, resource, removed
            );
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
        all.push(deny.clone());
        let set = build(&all);
        for (who, action, resource, f) in queries() {
            let holds = deny.conditions.as_ref().is_none_or(|c| c.holds(&f));
            // A deny whose conditions hold refuses; one whose conditions do not takes no part.
            if holds {
                prop_assert_eq!(set.decide(who, action, resource, &f), Decision::Denied);
            } else {
                prop_assert_eq!(
                    set.decide(who, action, resource, &f),
                    build(&all[..all.len() - 1]).decide(who, action, resource, &f)
                );
            }
        }
    }
}
