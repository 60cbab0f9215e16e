//! One policy decision in an account holding 10,000 policies (DESIGN.md §7: ≤ 1 µs median).
//!
//! The account is shaped like a large real one: 2,000 users in 50 groups; each policy names one
//! to three users or groups, one or two resources (the account, or one of 500 product resources)
//! and one to five actions (the server's own and product actions, some of them globs); 20
//! policies name identities by wildcard. The second account is the same with a tenth of its
//! policies holding conditions (an address range and a tag, or a weekday in a time zone) and a
//! twentieth naming one of five resource groups of 100 products instead of their resources, and
//! a twentieth adding one of the installation's managed permissions groups to their own.
//! `cargo bench -p latchkey-core --bench policy_decision`.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use criterion::{Criterion, criterion_group, criterion_main};
use latchkey_core::authz::ACCOUNT_ACTIONS;
use latchkey_core::model::AccountId;
use latchkey_core::names::{Description, PolicyName};
use latchkey_core::policy::{
    ActionPattern, Condition, ConditionDocument, Facts, Permissions, Policy, PolicyId, PolicySet,
    ResourceFacts, UrnPattern,
};

const POLICIES: usize = 10_000;
const USERS: usize = 2_000;
const GROUPS: usize = 50;
const PRODUCTS: usize = 500;
const ACCOUNT: &str = "urn:v1:eu:resource:account:lk0001-lk";

/// A small deterministic generator, so every run builds the same account.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

fn user(i: usize) -> String {
    format!("urn:v1:eu:identity:user:lk0001-lk/user{i}")
}

fn group(i: usize) -> String {
    format!("urn:v1:eu:identity:group:lk0001-lk/group{i}")
}

fn product(i: usize) -> String {
    format!("urn:v1:eu:resource:vps:vps-{i}.lk")
}

fn action_pool() -> Vec<String> {
    let mut pool: Vec<String> = ACCOUNT_ACTIONS.iter().map(|a| a.name.to_owned()).collect();
    for op in [
        "get",
        "create",
        "edit",
        "delete",
        "reboot",
        "snapshot/create",
    ] {
        pool.push(format!("vps:apiovh:{op}"));
    }
    pool.extend(
        ["account:apiovh:me/identity/*", "vps:apiovh:*", "*/get"]
            .iter()
            .map(|s| (*s).to_owned()),
    );
    pool
}

const GROUPS_OF_PRODUCTS: usize = 5;

fn group_urn(i: usize) -> String {
    format!("urn:v1:eu:resourceGroup:00000000-0000-4000-8000-{i:012}")
}

/// Five groups of 100 products each.
/// The resource groups, and the managed permissions groups by URN.
fn groups() -> latchkey_core::policy::index::Groups {
    use latchkey_core::policy::permissions_group as pg;
    let plate = latchkey_core::names::Plate::parse("eu").unwrap();
    latchkey_core::policy::index::Groups {
        resources: (0..GROUPS_OF_PRODUCTS)
            .map(|g| {
                (
                    group_urn(g),
                    (0..100).map(|i| product(g * 100 + i)).collect(),
                )
            })
            .collect(),
        permissions: pg::managed()
            .iter()
            .map(|g| {
                (
                    pg::urn(&plate, pg::MANAGED_OWNER, &g.name),
                    g.permissions.clone(),
                )
            })
            .collect(),
    }
}

/// The URN of the `n`th managed permissions group.
fn permissions_group_urn(n: usize) -> String {
    use latchkey_core::policy::permissions_group as pg;
    let plate = latchkey_core::names::Plate::parse("eu").unwrap();
    let managed = pg::managed();
    pg::urn(&plate, pg::MANAGED_OWNER, &managed[n % managed.len()].name)
}

fn condition(json: serde_json::Value) -> Condition {
    Condition::parse(serde_json::from_value::<ConditionDocument>(json).unwrap()).unwrap()
}

fn account(now: DateTime<Utc>, with_conditions: bool) -> Vec<Policy> {
    let mut rng = Lcg(7);
    let tagged = condition(serde_json::json!({"operator": "AND", "conditions": [
        {"operator": "MATCH", "values": {"resource.Tag(env)": "prod"}},
        {"operator": "MATCH", "values": {"request.IP.IN_RANGE": "10.0.0.0/8, 127.0.0.0/8"}}
    ]}));
    let workdays = condition(serde_json::json!({"operator": "MATCH", "values": {
        "date(Europe/Paris).WeekDay.IN": "monday,tuesday,wednesday,thursday,friday",
        "date(Europe/Paris).Hour.GE": "8"
    }}));
    let actions = action_pool();
    (0..POLICIES)
        .map(|n| {
            let identities = if n < 20 {
                vec![format!("urn:v1:eu:identity:user:lk0001-lk/user{}*", n % 10)]
            } else {
                (0..=rng.below(3))
                    .map(|_| {
                        if rng.below(4) == 0 {
                            group(rng.below(GROUPS))
                        } else {
                            user(rng.below(USERS))
                        }
                    })
                    .collect()
            };
            let mut resources: Vec<String> = (0..=rng.below(2))
                .map(|_| {
                    if rng.below(3) == 0 {
                        ACCOUNT.to_owned()
                    } else {
                        product(rng.below(PRODUCTS))
                    }
                })
                .collect();
            if with_conditions && n % 20 == 5 {
                resources = vec![group_urn(n / 20 % GROUPS_OF_PRODUCTS)];
            }
            let picks: Vec<ActionPattern> = (0..=rng.below(5))
                .map(|_| ActionPattern::parse(&actions[rng.below(actions.len())]).unwrap())
                .collect();
            let (allow, deny) = if rng.below(10) == 0 {
                (vec![], picks)
            } else {
                (picks, vec![])
            };
            Policy {
                id: PolicyId::random(),
                account_id: AccountId(1),
                name: PolicyName::parse(&format!("policy-{n}")).unwrap(),
                description: Description::default(),
                identities: identities
                    .iter()
                    .map(|i| UrnPattern::identity(i).unwrap())
                    .collect(),
                resources: resources
                    .iter()
                    .map(|r| UrnPattern::resource(r).unwrap())
                    .collect(),
                permissions: Permissions {
                    allow,
                    except: vec![],
                    deny,
                },
                conditions: match (with_conditions, n % 20) {
                    (true, 0) => Some(tagged.clone()),
                    (true, 10) => Some(workdays.clone()),
                    _ => None,
                },
                permissions_groups: if with_conditions && n % 20 == 15 {
                    vec![permissions_group_urn(n / 20)]
                } else {
                    vec![]
                },
                expired_at: (rng.below(20) == 0).then(|| now + TimeDelta::days(30)),
                read_only: false,
                created_at: now,
                updated_at: now,
            }
        })
        .collect()
}

fn decisions(c: &mut Criterion) {
    let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    let policies = account(now, false);
    let set = PolicySet::build(&policies);
    let conditional = PolicySet::build_with(&account(now, true), &groups());
    let tags = BTreeMap::from([("env".to_owned(), "prod".to_owned())]);
    let ip = Some("10.1.2.3".parse().unwrap());
    fn facts_of<'a>(
        resource: &'a str,
        tags: &'a BTreeMap<String, String>,
        now: DateTime<Utc>,
        ip: Option<std::net::IpAddr>,
    ) -> Facts<'a> {
        let mut resource = ResourceFacts::of_urn(resource);
        resource.tags = Some(tags);
        Facts { now, ip, resource }
    }
    // Callers as the server presents them: the user's own URN and its group's URN.
    let callers: Vec<[String; 2]> = (0..64)
        .map(|i| [user(i * 31 % USERS), group(i % GROUPS)])
        .collect();
    let queries: Vec<(&str, String)> = [
        ("account:apiovh:me/identity/user/get", ACCOUNT.to_owned()),
        (
            "account:apiovh:me/api/oauth2/client/create",
            ACCOUNT.to_owned(),
        ),
        ("vps:apiovh:reboot", product(17)),
        ("vps:apiovh:get", product(230)),
    ]
    .into_iter()
    .collect();

    let allowed = callers
        .iter()
        .flat_map(|c| queries.iter().map(move |(a, r)| (c, a, r)))
        .filter(|(c, a, r)| {
            set.decide(&[&c[0], &c[1]], a, r, &facts_of(r, &tags, now, ip))
                .is_allowed()
        })
        .count();
    eprintln!(
        "{} policies; {allowed} of {} sampled decisions allow",
        set.len(),
        callers.len() * queries.len()
    );

    let mut i = 0usize;
    c.bench_function("decision, 10k policies in the account", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            let who = &callers[i % callers.len()];
            let (action, resource) = &queries[i % queries.len()];
            black_box(set.decide(
                &[&who[0], &who[1]],
                action,
                resource,
                &facts_of(resource, &tags, now, ip),
            ))
        })
    });

    c.bench_function(
        "decision, 10k policies in the account, a tenth with conditions, groups of 100",
        |b| {
            b.iter(|| {
                i = i.wrapping_add(1);
                let who = &callers[i % callers.len()];
                let (action, resource) = &queries[i % queries.len()];
                let facts = facts_of(resource, &tags, now, ip);
                black_box(conditional.decide(&[&who[0], &who[1]], action, resource, &facts))
            })
        },
    );

    c.bench_function("index build, 10k policies", |b| {
        b.iter(|| black_box(PolicySet::build(&policies)))
    });
}

criterion_group!(benches, decisions);
criterion_main!(benches);
