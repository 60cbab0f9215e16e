//! One account's policies compiled for decisions.
//!
//! Rules are filed by identity: under the exact URN a policy names, or under the wildcard pattern
//! (a handful per account, tried in turn). Within an identity they are filed by exact action
//! name, with the distinct action globs beside them. Each filed entry carries what most
//! decisions need inline — the policy's single resource (interned to a number) and its expiry —
//! so checking a candidate is a comparison in a contiguous array, not a walk through the policy.
//! A decision looks up the caller's URNs, then the action, and its cost does not grow with the
//! number of policies in the account.
//!
//! A policy naming permissions groups is filed once per set of permissions (its own, then each
//! group's): an entry says which set it came from, so that an allow is narrowed by that set's
//! `except` only.

use foldhash::HashMap;

use super::{ActionPattern, Condition, Facts, Permissions, Policy, UrnPattern};

/// `Entry::resource` when the policy's resources must be checked in full (several resources,
/// or a pattern).
const SEE_POLICY: u32 = u32::MAX;
/// The resource id of a URN no policy names exactly.
const UNNAMED: u32 = u32::MAX - 1;

/// One policy filed under an (identity, action) key.
#[derive(Debug, Clone, Copy)]
struct Entry {
    policy: u32,
    /// The one resource the policy names exactly, or [`SEE_POLICY`].
    resource: u32,
    /// `expiredAt` in microseconds, `i64::MAX` for never.
    expires: i64,
    /// The policy holds conditions, checked against the request's facts.
    conditional: bool,
    /// Which of the policy's sets of permissions filed it: 0 its own, then its groups'.
    set: u16,
}

/// The entries under one (identity, action) key, denies apart from allows so that a decision
/// can look at every deny, then stop at the first allow that applies.
#[derive(Debug, Default)]
struct Bucket {
    deny: Vec<Entry>,
    allow: Vec<Entry>,
}

/// The rules of one identity (or identity pattern), filed by action: by exact name, and by
/// distinct glob (an identity has few distinct globs however many policies use them).
#[derive(Debug, Default)]
struct Rules {
    exact: HashMap<Box<str>, Bucket>,
    globs: Vec<(ActionPattern, Bucket)>,
    /// The distinct policies filed here, in order.
    policies: Vec<u32>,
}

impl Rules {
    fn add(&mut self, entry: Entry, deny: bool, action: &ActionPattern) {
        let bucket = if action.is_exact() {
            self.exact.entry(action.as_str().into()).or_default()
        } else if let Some(i) = self.globs.iter().position(|(p, _)| p == action) {
            &mut self.globs[i].1
        } else {
            self.globs.push((action.clone(), Bucket::default()));
            let last = self.globs.len() - 1;
            &mut self.globs[last].1
        };
        if deny {
            bucket.deny.push(entry);
        } else {
            bucket.allow.push(entry);
        }
        if self.policies.last() != Some(&entry.policy) {
            self.policies.push(entry.policy);
        }
    }
}

/// What a decision may need of a policy beyond its entries.
#[derive(Debug)]
struct Compiled {
    /// Interned exact resources, sorted.
    resources: Vec<u32>,
    resource_patterns: Vec<UrnPattern>,
    /// The `except` of each set of permissions, by [`Entry::set`].
    except: Vec<Vec<ActionPattern>>,
    conditions: Option<Condition>,
}

/// One account's policies, indexed. Build it again when a policy changes.
#[derive(Debug, Default)]
pub struct PolicySet {
    policies: Vec<Compiled>,
    resource_ids: HashMap<Box<str>, u32>,
    by_identity: HashMap<Box<str>, Rules>,
    by_pattern: Vec<(UrnPattern, Rules)>,
}

/// The outcome of a decision, with the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// An allow matched and no deny did.
    Allowed,
    /// A deny matched.
    Denied,
    /// Nothing matched: refused by default.
    NoMatch,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allowed
    }
}

/// The resources of an account's resource groups, by group URN: a policy naming a group names
/// each of them.
pub type GroupMembers = std::collections::HashMap<String, Vec<String>>;

/// The permissions of the permissions groups policies may name, by group URN.
pub type GroupPermissions = std::collections::HashMap<String, Permissions>;

/// What the URNs of groups that policies name stand for.
#[derive(Debug, Default)]
pub struct Groups {
    pub resources: GroupMembers,
    pub permissions: GroupPermissions,
}

impl PolicySet {
    pub fn build<'a>(policies: impl IntoIterator<Item = &'a Policy>) -> Self {
        Self::build_with(policies, &Groups::default())
    }

    /// Builds the index with the account's resource groups and permissions groups expanded:
    /// build it again when a group changes. A permissions group `groups` does not hold adds
    /// nothing.
    pub fn build_with<'a>(policies: impl IntoIterator<Item = &'a Policy>, groups: &Groups) -> Self {
        let mut set = PolicySet::default();
        for policy in policies {
            let index = u32::try_from(set.policies.len()).unwrap_or(UNNAMED);
            let mut resources = Vec::new();
            let mut resource_patterns = Vec::new();
            for r in &policy.resources {
                if r.is_exact() {
                    let members = groups
                        .resources
                        .get(r.as_str())
                        .map(Vec::as_slice)
                        .unwrap_or_default();
                    for urn in std::iter::once(r.as_str()).chain(members.iter().map(String::as_str))
                    {
                        let next = u32::try_from(set.resource_ids.len()).unwrap_or(UNNAMED);
                        resources.push(*set.resource_ids.entry(urn.into()).or_insert(next));
                    }
                } else {
                    resource_patterns.push(r.clone());
                }
            }
            resources.sort_unstable();
            resources.dedup();
            let entry = Entry {
                policy: index,
                resource: match (resources.as_slice(), resource_patterns.is_empty()) {
                    ([only], true) => *only,
                    _ => SEE_POLICY,
                },
                expires: policy
                    .expired_at
                    .map_or(i64::MAX, |at| at.timestamp_micros()),
                conditional: policy.conditions.is_some(),
                set: 0,
            };
            let sets: Vec<&Permissions> = std::iter::once(&policy.permissions)
                .chain(
                    policy
                        .permissions_groups
                        .iter()
                        .filter_map(|urn| groups.permissions.get(urn)),
                )
                .collect();
            set.policies.push(Compiled {
                resources,
                resource_patterns,
                except: sets.iter().map(|p| p.except.clone()).collect(),
                conditions: policy.conditions.clone(),
            });
            for identity in &policy.identities {
                let rules = set.rules_for(identity);
                for (i, permissions) in sets.iter().enumerate() {
                    let entry = Entry {
                        set: u16::try_from(i).unwrap_or(u16::MAX),
                        ..entry
                    };
                    for action in &permissions.allow {
                        rules.add(entry, false, action);
                    }
                    for action in &permissions.deny {
                        rules.add(entry, true, action);
                    }
                }
            }
        }
        set
    }

    fn rules_for(&mut self, identity: &UrnPattern) -> &mut Rules {
        if identity.is_exact() {
            return self
                .by_identity
                .entry(identity.as_str().into())
                .or_default();
        }
        let at = match self.by_pattern.iter().position(|(p, _)| p == identity) {
            Some(at) => at,
            None => {
                self.by_pattern.push((identity.clone(), Rules::default()));
                self.by_pattern.len() - 1
            }
        };
        &mut self.by_pattern[at].1
    }

    /// The number of policies compiled.
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// How many policies name `identity` exactly (the "associated policies" of an identity).
    pub fn attached_to(&self, identity: &str) -> usize {
        self.by_identity
            .get(identity)
            .map_or(0, |rules| rules.policies.len())
    }

    /// Decides whether a caller known by `identities` (its own URN, its group's URN) may perform
    /// `action` on `resource`, with the request's `facts` (the time, for expiry and conditions).
    pub fn decide(
        &self,
        identities: &[&str],
        action: &str,
        resource: &str,
        facts: &Facts<'_>,
    ) -> Decision {
        let now = facts.now.timestamp_micros();
        let rid = self.resource_ids.get(resource).copied().unwrap_or(UNNAMED);
        let applies = |e: &Entry| {
            e.expires > now
                && (e.resource == rid
                    || (e.resource == SEE_POLICY
                        && self.policies[e.policy as usize].names(rid, resource)))
                && (!e.conditional || self.policies[e.policy as usize].holds(facts))
        };
        // One pass: any deny ends the decision; allows are looked at until one applies.
        let mut allowed = false;
        for bucket in self.buckets(identities, action) {
            if bucket.deny.iter().any(applies) {
                return Decision::Denied;
            }
            allowed = allowed
                || bucket.allow.iter().any(|e| {
                    applies(e)
                        && !self.policies[e.policy as usize]
                            .except
                            .get(usize::from(e.set))
                            .is_some_and(|except| except.iter().any(|x| x.matches(action)))
                });
        }
        if allowed {
            Decision::Allowed
        } else {
            Decision::NoMatch
        }
    }

    /// The buckets filed under one of `identities` (exactly or by pattern) and `action` (exactly
    /// or by glob).
    fn buckets<'a>(
        &'a self,
        identities: &'a [&'a str],
        action: &'a str,
    ) -> impl Iterator<Item = &'a Bucket> + 'a {
        let exact = identities.iter().filter_map(|i| self.by_identity.get(*i));
        let patterns = self
            .by_pattern
            .iter()
            .filter(|(p, _)| identities.iter().any(|i| p.matches(i)))
            .map(|(_, rules)| rules);
        exact.chain(patterns).flat_map(move |rules| {
            let globbed = rules
                .globs
                .iter()
                .filter(|(p, _)| p.matches(action))
                .map(|(_, bucket)| bucket);
            rules.exact.get(action).into_iter().chain(globbed)
        })
    }
}

impl Compiled {
    /// Whether the policy's conditions hold for `facts` (a policy without any always applies).
    fn holds(&self, facts: &Facts<'_>) -> bool {
        self.conditions.as_ref().is_none_or(|c| c.holds(facts))
    }

    /// Whether one of the policy's resources names `resource` (interned as `rid`).
    fn names(&self, rid: u32, resource: &str) -> bool {
        (rid != UNNAMED && self.resources.binary_search(&rid).is_ok())
            || self.resource_patterns.iter().any(|p| p.matches(resource))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AccountId;
    use crate::names::{Description, PolicyName};
    use crate::policy::{Permissions, PolicyId};
    use chrono::{DateTime, Utc};

    const ME: &str = "urn:v1:eu:identity:user:lk0001-lk/john";
    const GROUP: &str = "urn:v1:eu:identity:group:lk0001-lk/ops";
    const OTHER: &str = "urn:v1:eu:identity:user:lk0001-lk/jane";
    const ACCOUNT: &str = "urn:v1:eu:resource:account:lk0001-lk";
    const VPS: &str = "urn:v1:eu:resource:vps:vps-1.lk";
    const USER_GET: &str = "account:apiovh:me/identity/user/get";
    const USER_CREATE: &str = "account:apiovh:me/identity/user/create";

    /// A policy from terse lists; `expired` sets `expiredAt` one second before `now()`.
    fn policy(
        identities: &[&str],
        resources: &[&str],
        allow: &[&str],
        except: &[&str],
        deny: &[&str],
    ) -> Policy {
        let actions = |l: &[&str]| l.iter().map(|a| ActionPattern::parse(a).unwrap()).collect();
        Policy {
            id: PolicyId::random(),
            account_id: AccountId(1),
            name: PolicyName::parse("p").unwrap(),
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
                allow: actions(allow),
                except: actions(except),
                deny: actions(deny),
            },
            conditions: None,
            permissions_groups: Vec::new(),
            expired_at: None,
            read_only: false,
            created_at: now(),
            updated_at: now(),
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn decide(policies: &[Policy], who: &[&str], action: &str, resource: &str) -> Decision {
        let facts = Facts {
            now: now(),
            ..Facts::default()
        };
        PolicySet::build(policies).decide(who, action, resource, &facts)
    }

    #[test]
    fn nothing_matching_is_refused() {
        assert_eq!(decide(&[], &[ME], USER_GET, ACCOUNT), Decision::NoMatch);
        let p = policy(&[OTHER], &[ACCOUNT], &[USER_GET], &[], &[]);
        assert_eq!(decide(&[p], &[ME], USER_GET, ACCOUNT), Decision::NoMatch);
    }

    #[test]
    fn an_allow_grants_exactly_its_action_resource_and_identity() {
        let p = policy(&[ME], &[ACCOUNT], &[USER_GET], &[], &[]);
        let ps = [p];
        assert_eq!(decide(&ps, &[ME], USER_GET, ACCOUNT), Decision::Allowed);
        assert_eq!(decide(&ps, &[ME], USER_CREATE, ACCOUNT), Decision::NoMatch);
        assert_eq!(decide(&ps, &[ME], USER_GET, VPS), Decision::NoMatch);
        assert_eq!(decide(&ps, &[OTHER], USER_GET, ACCOUNT), Decision::NoMatch);
    }

    #[test]
    fn a_deny_beats_any_allow_of_any_policy() {
        let allow = policy(&[ME], &["*"], &["*"], &[], &[]);
        let deny = policy(&[GROUP], &[ACCOUNT], &[], &[], &[USER_CREATE]);
        let ps = [allow, deny];
        assert_eq!(
            decide(&ps, &[ME, GROUP], USER_CREATE, ACCOUNT),
            Decision::Denied
        );
        assert_eq!(
            decide(&ps, &[ME, GROUP], USER_GET, ACCOUNT),
            Decision::Allowed
        );
        // The deny names the group: a caller outside it is not denied.
        assert_eq!(decide(&ps, &[ME], USER_CREATE, ACCOUNT), Decision::Allowed);
    }

    #[test]
    fn except_carves_only_inside_its_own_policy() {
        let narrowed = policy(
            &[ME],
            &[ACCOUNT],
            &["account:apiovh:me/identity/user/*"],
            &[USER_CREATE],
            &[],
        );
        assert_eq!(
            decide(std::slice::from_ref(&narrowed), &[ME], USER_CREATE, ACCOUNT),
            Decision::NoMatch
        );
        assert_eq!(
            decide(std::slice::from_ref(&narrowed), &[ME], USER_GET, ACCOUNT),
            Decision::Allowed
        );
        let other = policy(&[ME], &[ACCOUNT], &[USER_CREATE], &[], &[]);
        assert_eq!(
            decide(&[narrowed, other], &[ME], USER_CREATE, ACCOUNT),
            Decision::Allowed
        );
    }

    #[test]
    fn wildcards_work_at_both_ends_of_identities_and_resources() {
        let cases = [
            (
                "urn:v1:eu:identity:user:lk0001-lk/*",
                "urn:v1:eu:resource:*",
            ),
            ("*/john", "*:lk0001-lk"),
            ("*", "*"),
            ("*:user:*", "*:account:*"),
        ];
        for (identity, resource) in cases {
            let ps = [policy(&[identity], &[resource], &[USER_GET], &[], &[])];
            assert_eq!(
                decide(&ps, &[ME], USER_GET, ACCOUNT),
                Decision::Allowed,
                "{identity} {resource}"
            );
        }
        let ps = [policy(
            &["urn:v1:eu:identity:user:lk0002-lk/*"],
            &["*"],
            &[USER_GET],
            &[],
            &[],
        )];
        assert_eq!(decide(&ps, &[ME], USER_GET, ACCOUNT), Decision::NoMatch);
        let ps = [policy(
            &[ME],
            &["urn:v1:eu:resource:vps:*"],
            &[USER_GET],
            &[],
            &[],
        )];
        assert_eq!(decide(&ps, &[ME], USER_GET, ACCOUNT), Decision::NoMatch);
    }

    #[test]
    fn action_globs_grant_and_deny() {
        let ps = [policy(
            &[ME],
            &[ACCOUNT],
            &["account:apiovh:*"],
            &[],
            &["*/create"],
        )];
        assert_eq!(decide(&ps, &[ME], USER_GET, ACCOUNT), Decision::Allowed);
        assert_eq!(decide(&ps, &[ME], USER_CREATE, ACCOUNT), Decision::Denied);
        assert_eq!(
            decide(&ps, &[ME], "vps:apiovh:get", ACCOUNT),
            Decision::NoMatch
        );
    }

    #[test]
    fn group_membership_grants_through_the_groups_urn() {
        let ps = [policy(&[GROUP], &[ACCOUNT], &[USER_GET], &[], &[])];
        assert_eq!(
            decide(&ps, &[ME, GROUP], USER_GET, ACCOUNT),
            Decision::Allowed
        );
        assert_eq!(decide(&ps, &[ME], USER_GET, ACCOUNT), Decision::NoMatch);
    }

    #[test]
    fn an_expired_policy_takes_no_part() {
        let mut allow = policy(&[ME], &[ACCOUNT], &[USER_GET], &[], &[]);
        allow.expired_at = Some(now());
        assert_eq!(
            decide(&[allow.clone()], &[ME], USER_GET, ACCOUNT),
            Decision::NoMatch
        );
        allow.expired_at = Some(now() + chrono::TimeDelta::seconds(1));
        assert_eq!(
            decide(&[allow.clone()], &[ME], USER_GET, ACCOUNT),
            Decision::Allowed
        );
        let mut deny = policy(&[ME], &[ACCOUNT], &[], &[], &[USER_GET]);
        deny.expired_at = Some(now() - chrono::TimeDelta::seconds(1));
        assert_eq!(
            decide(&[allow, deny], &[ME], USER_GET, ACCOUNT),
            Decision::Allowed
        );
    }

    #[test]
    fn a_policy_takes_part_only_while_its_conditions_hold() {
        use crate::policy::{Condition, ConditionDocument};
        let from_loopback = |json: serde_json::Value| {
            let doc: ConditionDocument = serde_json::from_value(json).unwrap();
            Some(Condition::parse(doc).unwrap())
        };
        let range = serde_json::json!(
            {"operator": "MATCH", "values": {"request.IP.IN_RANGE": "127.0.0.0/8"}});
        let mut allow = policy(&[ME], &[ACCOUNT], &[USER_GET, USER_CREATE], &[], &[]);
        allow.conditions = from_loopback(range.clone());
        let mut deny = policy(&[ME], &[ACCOUNT], &[], &[], &[USER_CREATE]);
        deny.conditions = from_loopback(serde_json::json!(
            {"operator": "NOT", "conditions": [range]}));
        let set = PolicySet::build(&[allow, deny]);
        let at = |ip: &str| Facts {
            now: now(),
            ip: Some(ip.parse().unwrap()),
            ..Facts::default()
        };
        let inside = at("127.0.0.2");
        let outside = at("192.0.2.1");
        assert_eq!(
            set.decide(&[ME], USER_GET, ACCOUNT, &inside),
            Decision::Allowed
        );
        assert_eq!(
            set.decide(&[ME], USER_CREATE, ACCOUNT, &inside),
            Decision::Allowed
        );
        assert_eq!(
            set.decide(&[ME], USER_GET, ACCOUNT, &outside),
            Decision::NoMatch
        );
        // Outside the range the deny's own condition holds: it refuses.
        assert_eq!(
            set.decide(&[ME], USER_CREATE, ACCOUNT, &outside),
            Decision::Denied
        );
        let unknown = Facts {
            now: now(),
            ..Facts::default()
        };
        assert_eq!(
            set.decide(&[ME], USER_GET, ACCOUNT, &unknown),
            Decision::NoMatch
        );
    }

    #[test]
    fn a_resource_group_names_each_of_its_resources() {
        const GROUP: &str = "urn:v1:eu:resourceGroup:9167fb26-382b-11ee-895a-0050568ce122";
        const VPS2: &str = "urn:v1:eu:resource:vps:vps-2.lk";
        let allow = policy(&[ME], &[GROUP], &["vps:apiovh:reboot"], &[], &[]);
        let members = |m: GroupMembers| Groups {
            resources: m,
            ..Groups::default()
        };
        let one: GroupMembers = [(GROUP.to_owned(), vec![VPS.to_owned()])].into();
        let facts = Facts {
            now: now(),
            ..Facts::default()
        };
        let set = PolicySet::build_with([&allow], &members(one));
        assert_eq!(
            set.decide(&[ME], "vps:apiovh:reboot", VPS, &facts),
            Decision::Allowed
        );
        assert_eq!(
            set.decide(&[ME], "vps:apiovh:reboot", VPS2, &facts),
            Decision::NoMatch
        );
        // A resource added to the group later is named once the index is built again.
        let both = members([(GROUP.to_owned(), vec![VPS.to_owned(), VPS2.to_owned()])].into());
        let set = PolicySet::build_with([&allow], &both);
        assert_eq!(
            set.decide(&[ME], "vps:apiovh:reboot", VPS2, &facts),
            Decision::Allowed
        );
        // A deny on the group refuses on each of its resources, whatever allows.
        let deny = policy(&[ME], &[GROUP], &[], &[], &["vps:apiovh:reboot"]);
        let everything = policy(&[ME], &["*"], &["*"], &[], &[]);
        let set = PolicySet::build_with([&everything, &deny], &both);
        assert_eq!(
            set.decide(&[ME], "vps:apiovh:reboot", VPS2, &facts),
            Decision::Denied
        );
        assert_eq!(
            set.decide(&[ME], "vps:apiovh:get", VPS2, &facts),
            Decision::Allowed
        );
    }

    #[test]
    fn a_permissions_groups_except_narrows_only_its_own_allow() {
        const READER: &str = "urn:v1:eu:permissionsGroup:lk0001-lk:reader";
        const DENIER: &str = "urn:v1:eu:permissionsGroup:lk0001-lk:denier";
        const GONE: &str = "urn:v1:eu:permissionsGroup:lk0001-lk:gone";
        let actions = |l: &[&str]| -> Vec<ActionPattern> {
            l.iter().map(|a| ActionPattern::parse(a).unwrap()).collect()
        };
        let groups = Groups {
            resources: GroupMembers::default(),
            permissions: [
                (
                    READER.to_owned(),
                    Permissions {
                        allow: actions(&["account:apiovh:me/identity/user/*"]),
                        except: actions(&[USER_CREATE]),
                        deny: vec![],
                    },
                ),
                (
                    DENIER.to_owned(),
                    Permissions {
                        deny: actions(&["vps:apiovh:reboot"]),
                        ..Permissions::default()
                    },
                ),
            ]
            .into(),
        };
        let facts = Facts {
            now: now(),
            ..Facts::default()
        };
        // The policy's own allow names USER_CREATE: the group's except does not carve it out.
        let mut p = policy(&[ME], &[ACCOUNT], &[USER_CREATE], &[], &[]);
        p.permissions_groups = vec![READER.into()];
        let set = PolicySet::build_with([&p], &groups);
        let decide = |set: &PolicySet, action| set.decide(&[ME], action, ACCOUNT, &facts);
        assert_eq!(decide(&set, USER_CREATE), Decision::Allowed);
        assert_eq!(decide(&set, USER_GET), Decision::Allowed);
        // Without its own allow, the group's except refuses USER_CREATE.
        p.permissions.allow.clear();
        let set = PolicySet::build_with([&p], &groups);
        assert_eq!(decide(&set, USER_CREATE), Decision::NoMatch);
        assert_eq!(decide(&set, USER_GET), Decision::Allowed);
        // The policy's own except does not narrow the group's allow either.
        p.permissions.allow = actions(&["account:apiovh:me/get"]);
        p.permissions.except = actions(&[USER_GET]);
        let set = PolicySet::build_with([&p], &groups);
        assert_eq!(decide(&set, USER_GET), Decision::Allowed);
        // A group's deny refuses with the policy's identities and resources; a group the index
        // does not know adds nothing.
        let everything = policy(&[ME], &["*"], &["*"], &[], &[]);
        let mut d = policy(&[ME], &[VPS], &[], &[], &[]);
        d.permissions_groups = vec![DENIER.into(), GONE.into()];
        let set = PolicySet::build_with([&everything, &d], &groups);
        assert_eq!(
            set.decide(&[ME], "vps:apiovh:reboot", VPS, &facts),
            Decision::Denied
        );
        assert_eq!(
            set.decide(&[ME], "vps:apiovh:reboot", ACCOUNT, &facts),
            Decision::Allowed
        );
    }

    #[test]
    fn attached_counts_policies_naming_the_identity_exactly() {
        let ps = PolicySet::build(&[
            policy(
                &[ME, GROUP],
                &[ACCOUNT],
                &[USER_GET, USER_CREATE],
                &[],
                &["x:y:z"],
            ),
            policy(&[ME], &[ACCOUNT], &[USER_GET], &[], &[]),
            policy(&["*"], &[ACCOUNT], &[USER_GET], &[], &[]),
        ]);
        assert_eq!(ps.attached_to(ME), 2);
        assert_eq!(ps.attached_to(GROUP), 1);
        assert_eq!(ps.attached_to(OTHER), 0);
        assert_eq!(ps.len(), 3);
    }
}
