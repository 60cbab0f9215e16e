//! `role_assignments` listings: which accounts a query covers, the caller's permit in each,
//! and each account's rows ([`Tenancy::assignments`]) with the users and groups that name them.

use std::sync::Arc;

use crate::Result;
use crate::authz::{KS_GRANT_GET, Permit};
use crate::keystone::assignments::{AssignmentFilter, AssignmentRow};
use crate::keystone::snapshot::Tenancy;
use crate::keystone::{self, Actor};
use crate::model::{Account, Group, User, UserId};

use super::super::Directory;
use super::access::AssignmentTargets;
use super::ks_token::KsToken;

/// A `role_assignments` query, by Keystone id.
#[derive(Debug, Clone, Default)]
pub struct AssignmentQuery {
    pub user: Option<String>,
    pub group: Option<String>,
    pub project: Option<String>,
    pub domain: Option<String>,
    pub system: bool,
    pub role: Option<String>,
    /// Group grants expanded to their members, inherited grants to each project, implied roles
    /// added.
    pub effective: bool,
    /// Only grants inherited to projects.
    pub inherited: bool,
}

impl AssignmentQuery {
    fn targets(&self) -> AssignmentTargets<'_> {
        AssignmentTargets {
            project: self.project.as_deref(),
            domain: self.domain.as_deref(),
            group: self.group.as_deref(),
            user: self.user.as_deref(),
            system: self.system,
        }
    }
}

/// The assignments a query selects in one account, with what names them: the users who may
/// hold roles there (its own and other domains' members of its groups) and its groups.
#[derive(Debug)]
pub struct AccountAssignments {
    pub account: Arc<Account>,
    pub tenancy: Arc<Tenancy>,
    pub rows: Vec<AssignmentRow>,
    pub users: Vec<Arc<User>>,
    pub groups: Vec<Group>,
}

impl AccountAssignments {
    pub fn user(&self, id: UserId) -> Option<&Arc<User>> {
        self.users.iter().find(|u| u.id == id)
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name.as_str() == name)
    }
}

impl Directory {
    /// The assignments `query` selects in every account it covers
    /// ([`Self::keystone_assignment_accounts`]) that the caller may read; an account the query
    /// names explicitly and the caller may not read refuses the whole listing.
    pub async fn keystone_assignments(
        &self,
        token: &KsToken,
        query: &AssignmentQuery,
    ) -> Result<Vec<AccountAssignments>> {
        let mut out = Vec::new();
        for (account, required) in self
            .keystone_assignment_accounts(token, &query.targets())
            .await?
        {
            match self.keystone_permit(token, &KS_GRANT_GET, &account) {
                Ok(permit) => out.push(self.assignments_in(&permit, account, query).await?),
                Err(e) if required => return Err(e),
                // Another domain holding grants to the user, which the caller may not read.
                Err(_) => {}
            }
        }
        Ok(out)
    }

    async fn assignments_in(
        &self,
        permit: &Permit,
        account: Arc<Account>,
        query: &AssignmentQuery,
    ) -> Result<AccountAssignments> {
        let tenancy = self.tenancy(account.id).await?;
        let mut users = self.users_of(permit).await?;
        let mut groups = Vec::new();
        for name in self.list_groups(permit).await? {
            groups.push(self.group(permit, &name).await?);
        }
        // Users of other domains holding grants or memberships here, for names and expansion.
        let mut foreign: Vec<UserId> = tenancy
            .assignments
            .iter()
            .filter_map(|a| match a.actor {
                Actor::User(id) => Some(id),
                _ => None,
            })
            .chain(groups.iter().flat_map(|g| tenancy.members_of(&g.name)))
            .filter(|id| !users.iter().any(|u| u.id == *id))
            .collect();
        foreign.sort();
        foreign.dedup();
        for id in foreign {
            if let Some(user) = self.cached_user(id).await? {
                users.push(user);
            }
        }
        // The group filter as one of this domain's groups; an id none of them has selects
        // nothing here.
        let group = match query.group.as_deref() {
            None => Some(None),
            Some(id) => groups
                .iter()
                .find(|g| keystone::KsGroupId(g.id).is(id))
                .map(|g| Some(g.name.clone())),
        };
        let rows = match group {
            None => Vec::new(),
            Some(group) => {
                let filter = AssignmentFilter {
                    user: query.user.clone(),
                    group,
                    role: query.role.clone(),
                    project: query.project.clone(),
                    domain: query
                        .domain
                        .as_deref()
                        .map(|d| keystone::names_domain(&account, d)),
                    system: query.system,
                    inherited: query.inherited,
                    effective: query.effective,
                };
                tenancy.assignments(&self.keystone_catalog(), account.id, &users, &filter)
            }
        };
        Ok(AccountAssignments {
            account,
            tenancy,
            rows,
            users,
            groups,
        })
    }
}
