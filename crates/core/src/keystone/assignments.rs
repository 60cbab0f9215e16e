//! Keystone's role assignments of one account, as `GET /v3/role_assignments` lists them:
//! direct grants, or with `effective` what tokens hold — inherited grants (OS-INHERIT) expanded
//! to the projects below their target, group grants to the groups' members, and the roles the
//! granted ones imply. Filters select by actor, role and scope.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::snapshot::{Catalog, Tenancy};
use super::{Actor, Target};
use crate::model::{AccountId, User};
use crate::names::GroupName;

/// What a listing selects in one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignmentFilter {
    /// A user's Keystone id (or a service account's client id).
    pub user: Option<String>,
    /// One of the account's groups.
    pub group: Option<GroupName>,
    pub role: Option<String>,
    /// Grants on this project (or inherited below it) only.
    pub project: Option<String>,
    /// Grants on a domain only: `Some(true)` when the filter names this account's domain,
    /// `Some(false)` when it names another (nothing here then).
    pub domain: Option<bool>,
    /// Grants on the system only.
    pub system: bool,
    /// Only grants inherited to projects.
    pub inherited: bool,
    /// What tokens hold: inherited grants on each project below, group grants to each member,
    /// implied roles; never a domain-specific role.
    pub effective: bool,
}

/// One listed assignment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AssignmentRow {
    pub actor: Actor,
    pub target: Target,
    pub role_id: String,
    /// The granted role this one is implied by (effective listings).
    pub prior: Option<String>,
    /// The group the actor holds it through (effective listings).
    pub via: Option<GroupName>,
}

impl Tenancy {
    /// The assignments of the account `account` that `filter` selects, in a stable order.
    /// `users` are the users who may hold roles here through a group: the account's own (by
    /// their IAM group) and those of any account with a Keystone membership in its groups.
    pub fn assignments(
        &self,
        catalog: &Catalog,
        account: AccountId,
        users: &[Arc<User>],
        filter: &AssignmentFilter,
    ) -> Vec<AssignmentRow> {
        // Effective assignments are what tokens hold: no domain-specific role.
        let global = |id: &str| catalog.role(id).is_some_and(|r| r.domain_id.is_none());
        let mut rows = BTreeSet::new();
        for a in &self.assignments {
            if filter.inherited && !a.target.inherited() {
                continue;
            }
            for target in self.expanded_targets(&a.target, filter.effective) {
                for (actor, via) in self.holders(&a.actor, account, users, filter.effective) {
                    if !filter.effective || global(&a.role_id) {
                        rows.insert(AssignmentRow {
                            actor: actor.clone(),
                            target: target.clone(),
                            role_id: a.role_id.clone(),
                            prior: None,
                            via: via.clone(),
                        });
                    }
                    if !filter.effective {
                        continue;
                    }
                    for implied in catalog.expand([a.role_id.as_str()]) {
                        if implied.id != a.role_id && implied.domain_id.is_none() {
                            rows.insert(AssignmentRow {
                                actor: actor.clone(),
                                target: target.clone(),
                                role_id: implied.id.clone(),
                                prior: Some(a.role_id.clone()),
                                via: via.clone(),
                            });
                        }
                    }
                }
            }
        }
        rows.into_iter().filter(|r| filter.selects(r)).collect()
    }

    /// The targets a grant counts on: an inherited grant, in an effective listing, on each
    /// project below its target.
    fn expanded_targets(&self, target: &Target, effective: bool) -> Vec<Target> {
        let below = |top: Option<&str>| {
            self.projects
                .iter()
                .filter(|p| top.is_none_or(|top| self.ancestors(&p.id).contains(&top)))
                .map(|p| Target::Project(p.id.clone()))
                .collect()
        };
        match target {
            Target::DomainProjects if effective => below(None),
            Target::ProjectsBelow(top) if effective => below(Some(top)),
            other => vec![other.clone()],
        }
    }

    /// Who holds a grant made to `actor`: itself, or in an effective listing a group's
    /// members (IAM members of the account's group, and Keystone members of any account).
    fn holders(
        &self,
        actor: &Actor,
        account: AccountId,
        users: &[Arc<User>],
        effective: bool,
    ) -> Vec<(Actor, Option<GroupName>)> {
        let (Actor::Group(name), true) = (actor, effective) else {
            return vec![(actor.clone(), None)];
        };
        let keystone_members = self.members_of(name);
        users
            .iter()
            .filter(|u| {
                (u.account_id == account && u.keystone_group() == Some(name))
                    || keystone_members.contains(&u.id)
            })
            .map(|u| (Actor::User(u.id), Some(name.clone())))
            .collect()
    }
}

impl AssignmentFilter {
    /// Whether a row passes the actor, role and scope filters.
    fn selects(&self, row: &AssignmentRow) -> bool {
        let user_id = match &row.actor {
            Actor::User(id) => Some(super::KsUserId(*id).to_string()),
            Actor::Client(id) => Some(id.to_string()),
            Actor::Group(_) => None,
        };
        if self
            .user
            .as_ref()
            .is_some_and(|u| user_id.as_ref() != Some(u))
            || self
                .group
                .as_ref()
                .is_some_and(|g| row.actor != Actor::Group(g.clone()))
            || self.role.as_ref().is_some_and(|r| *r != row.role_id)
        {
            return false;
        }
        match &row.target {
            Target::Project(id) | Target::ProjectsBelow(id) => {
                self.domain.is_none()
                    && !self.system
                    && self.project.as_ref().is_none_or(|p| p == id)
            }
            Target::Domain | Target::DomainProjects => {
                self.project.is_none() && !self.system && self.domain != Some(false)
            }
            Target::System => self.project.is_none() && self.domain.is_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystone::{Assignment, KsRole, Membership, Project};
    use crate::model::{Role, UserId, UserStatus, UserType};
    use crate::names::{Description, DisplayName, Email, Login};

    const HERE: AccountId = AccountId(1);

    fn role(id: &str, domain: Option<&str>) -> KsRole {
        KsRole {
            id: id.into(),
            name: DisplayName::parse(id).unwrap(),
            description: Description::default(),
            domain_id: domain.map(str::to_owned),
        }
    }

    /// `admin` ⊃ `member` ⊃ `reader`, and a domain-specific `ops`.
    fn catalog() -> Catalog {
        let roles = vec![
            role("admin", None),
            role("member", None),
            role("reader", None),
            role("ops", Some("lk0001-lk")),
        ];
        let implications = vec![
            ("admin".to_owned(), "member".to_owned()),
            ("member".to_owned(), "reader".to_owned()),
        ];
        Catalog::new(roles, implications, vec![], vec![], vec![])
    }

    fn project(id: &str, parent: Option<&str>) -> Project {
        Project {
            id: id.into(),
            account_id: HERE,
            name: DisplayName::parse(id).unwrap(),
            description: Description::default(),
            enabled: true,
            created_at: chrono::Utc::now(),
            parent_id: parent.map(str::to_owned),
            tags: vec![],
        }
    }

    fn user(id: i64, account: AccountId, group: &str) -> Arc<User> {
        let now = chrono::Utc::now();
        Arc::new(User {
            id: UserId(id),
            account_id: account,
            login: Login::parse(&format!("u{id}")).unwrap(),
            email: Email::parse("u@example.com").unwrap(),
            group: GroupName::parse(group).unwrap(),
            group_role: Role::Regular,
            description: Description::default(),
            status: UserStatus::Ok,
            kind: UserType::User,
            created_at: now,
            updated_at: now,
            password_updated_at: now,
        })
    }

    fn group(name: &str) -> GroupName {
        GroupName::parse(name).unwrap()
    }

    fn grant(actor: Actor, target: Target, role: &str) -> Assignment {
        Assignment {
            actor,
            target,
            role_id: role.into(),
        }
    }

    /// Projects `top` ⊃ `mid` ⊃ `leaf` and `other`; user 1 holds `member` on `top` directly and
    /// `reader` inherited below `top`; group `ops` (IAM member: user 2; Keystone member: user
    /// 9 of another account) holds `admin` on the domain and the domain role `ops` there;
    /// user 3 holds `reader` on the system.
    fn tenancy() -> (Tenancy, Vec<Arc<User>>) {
        let projects = vec![
            project("top", None),
            project("mid", Some("top")),
            project("leaf", Some("mid")),
            project("other", None),
        ];
        let ops = Actor::Group(group("ops"));
        let assignments = vec![
            grant(
                Actor::User(UserId(1)),
                Target::Project("top".into()),
                "member",
            ),
            grant(
                Actor::User(UserId(1)),
                Target::ProjectsBelow("top".into()),
                "reader",
            ),
            grant(ops.clone(), Target::Domain, "admin"),
            grant(ops, Target::Domain, "ops"),
            grant(Actor::User(UserId(3)), Target::System, "reader"),
        ];
        let tenancy = Tenancy::new(projects, assignments).with_memberships(vec![Membership {
            user: UserId(9),
            group: group("ops"),
            role: Role::Regular,
        }]);
        let users = vec![
            user(1, HERE, "DEFAULT"),
            user(2, HERE, "ops"),
            user(3, HERE, "DEFAULT"),
            user(9, AccountId(2), "DEFAULT"),
        ];
        (tenancy, users)
    }

    fn list(filter: AssignmentFilter) -> Vec<(Actor, Target, String, Option<String>)> {
        let (tenancy, users) = tenancy();
        tenancy
            .assignments(&catalog(), HERE, &users, &filter)
            .into_iter()
            .map(|r| (r.actor, r.target, r.role_id, r.prior))
            .collect()
    }

    fn row(
        actor: Actor,
        target: Target,
        role: &str,
        prior: Option<&str>,
    ) -> (Actor, Target, String, Option<String>) {
        (actor, target, role.into(), prior.map(str::to_owned))
    }

    #[test]
    fn direct_assignments_are_the_grants_as_made() {
        let ops = Actor::Group(group("ops"));
        let u1 = Actor::User(UserId(1));
        assert_eq!(
            list(AssignmentFilter::default()),
            vec![
                row(u1.clone(), Target::Project("top".into()), "member", None),
                row(u1, Target::ProjectsBelow("top".into()), "reader", None),
                row(Actor::User(UserId(3)), Target::System, "reader", None),
                row(ops.clone(), Target::Domain, "admin", None),
                row(ops, Target::Domain, "ops", None),
            ]
        );
    }

    #[test]
    fn effective_assignments_expand_inheritance_groups_and_implied_roles() {
        let effective = |f: AssignmentFilter| {
            list(AssignmentFilter {
                effective: true,
                ..f
            })
        };
        let u = |id| Actor::User(UserId(id));
        let p = |id: &str| Target::Project(id.into());
        // User 1: `member` on top implies `reader`; `reader` inherited on mid and leaf only.
        let user1 = effective(AssignmentFilter {
            user: Some(crate::keystone::KsUserId(UserId(1)).to_string()),
            ..AssignmentFilter::default()
        });
        assert_eq!(
            user1,
            vec![
                row(u(1), p("leaf"), "reader", None),
                row(u(1), p("mid"), "reader", None),
                row(u(1), p("top"), "member", None),
                row(u(1), p("top"), "reader", Some("member")),
            ]
        );
        // The group's `admin` reaches its IAM member and its Keystone member of another
        // account, with the roles it implies; the domain role `ops` is not what tokens hold.
        let domain = effective(AssignmentFilter {
            domain: Some(true),
            ..AssignmentFilter::default()
        });
        for holder in [2, 9] {
            for (role, prior) in [
                ("admin", None),
                ("member", Some("admin")),
                ("reader", Some("admin")),
            ] {
                assert!(
                    domain.contains(&row(u(holder), Target::Domain, role, prior)),
                    "{holder} {role}"
                );
            }
        }
        assert!(
            domain
                .iter()
                .all(|r| r.2 != "ops" && !matches!(r.0, Actor::Group(_)))
        );
        assert_eq!(domain.len(), 6);
    }

    #[test]
    fn filters_select_by_scope_role_and_inheritance() {
        let count = |f: AssignmentFilter| list(f).len();
        let base = AssignmentFilter::default;
        // (filter, rows)
        let table = [
            (
                AssignmentFilter {
                    project: Some("top".into()),
                    ..base()
                },
                2,
            ),
            (
                AssignmentFilter {
                    project: Some("other".into()),
                    ..base()
                },
                0,
            ),
            (
                AssignmentFilter {
                    domain: Some(true),
                    ..base()
                },
                2,
            ),
            (
                AssignmentFilter {
                    domain: Some(false),
                    ..base()
                },
                0,
            ),
            (
                AssignmentFilter {
                    system: true,
                    ..base()
                },
                1,
            ),
            (
                AssignmentFilter {
                    inherited: true,
                    ..base()
                },
                1,
            ),
            (
                AssignmentFilter {
                    role: Some("reader".into()),
                    ..base()
                },
                2,
            ),
            (
                AssignmentFilter {
                    group: Some(group("ops")),
                    ..base()
                },
                2,
            ),
            (
                AssignmentFilter {
                    group: Some(group("nobody")),
                    ..base()
                },
                0,
            ),
            (
                AssignmentFilter {
                    project: Some("top".into()),
                    domain: Some(true),
                    ..base()
                },
                0,
            ),
        ];
        for (filter, rows) in table {
            assert_eq!(count(filter.clone()), rows, "{filter:?}");
        }
    }
}
