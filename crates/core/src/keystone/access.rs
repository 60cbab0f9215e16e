//! Keystone's own access rule, beside IAM ([`crate::authz`]): what the roles of a Keystone token
//! let its holder do, as Keystone's `admin_required` and system-reader defaults decide it.
//!
//! - A token carrying `admin` administers the domain of its scope (its own, or another domain
//!   where the holder was granted the role).
//! - Scoped in the operator's domain or to the system, `admin` makes Keystone's *cloud
//!   administrator*: every domain, and the shared roles and catalog (operator-only actions).
//! - A system-scoped `reader` (or a role implying it) is Keystone's *system reader*: it may
//!   perform, in every domain, the actions that only read.
//!
//! The roles are those of the token's scope, so an operator's user scoped to a tenant's domain
//! administers that domain only. Granting `admin` takes those rights already (and only a cloud
//! administrator grants a role on the system), so the rule adds no way in. The
//! [`Directory`](crate::service::Directory) asks IAM first in the caller's own account and this
//! rule after (`service/keystone/access.rs`).

use crate::authz::{Action, OperatorAction, OperatorPermit, Permit};
use crate::model::{Account, AccountId, UserId};
use crate::{Error, Result};

/// How far a Keystone token's roles reach: the roles that matter to access, whether the token is
/// scoped to the system, and the account of its domain or project (the holder's, or another
/// domain where it holds a grant) with whether that is the operator's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KsReach {
    /// The token carries `admin`.
    pub admin: bool,
    /// The token carries `reader` (every default role implies it).
    pub reader: bool,
    /// The token is scoped to the system.
    pub system: bool,
    pub scope_account: AccountId,
    pub scope_operator: bool,
}

impl KsReach {
    /// Whether the holder is Keystone's cloud administrator: `admin` scoped in the operator's
    /// domain or to the system.
    pub fn cloud_admin(&self) -> bool {
        self.admin && (self.scope_operator || self.system)
    }

    /// Whether the holder is Keystone's system reader: `reader` scoped to the system.
    pub fn system_reader(&self) -> bool {
        self.system && self.reader
    }

    /// Whether the holder reads every domain: cloud administrators and system readers.
    pub fn reads_every_domain(&self) -> bool {
        self.cloud_admin() || self.system_reader()
    }

    /// A permit for `action` in `account` by Keystone's rule: `admin` in the domain of the
    /// scope, or in every domain from the cloud scope; a system reader for an action that reads.
    pub fn permit(&self, action: &Action, account: &Account) -> Result<Permit> {
        let holds = self.admin || (action.reads() && self.system_reader());
        let reaches = self.scope_operator
            || self.system
            || (!action.operator_only && account.id == self.scope_account);
        if holds && reaches {
            Ok(Permit::granted(account.id, action))
        } else {
            Err(Error::forbidden(action.name))
        }
    }

    /// Whether the holder may grant or revoke a role on the system for an identity of
    /// `account`. A role on the system makes a cloud administrator or reader of whoever holds
    /// it, so outside the operator's domain only a cloud administrator changes one, never the
    /// domain's own administrators.
    pub fn changes_system_grants_of(&self, account: &Account) -> bool {
        account.operator || self.cloud_admin()
    }

    /// Whether the holder (`holder`, when it is a local user) may change what belongs to
    /// `owner` alone (its credentials): the owner itself, or a cloud administrator.
    pub fn changes_owned(&self, holder: Option<UserId>, owner: UserId) -> bool {
        holder == Some(owner) || self.cloud_admin()
    }

    /// Whether the holder may read what belongs to `owner` alone (its credentials, the trusts
    /// it is party to): the owner itself, or whoever reads every domain.
    pub fn reads_owned(&self, holder: Option<UserId>, owner: UserId) -> bool {
        holder == Some(owner) || self.reads_every_domain()
    }

    /// An operator permit for `action`: the cloud administrator's only.
    pub fn operator(&self, action: &OperatorAction) -> Result<OperatorPermit> {
        if self.cloud_admin() {
            Ok(OperatorPermit::granted(action))
        } else {
            Err(Error::forbidden(action.name()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::{KS_CATALOG_MANAGE, KS_GRANT_GET, KS_ROLE_MANAGE, USER_CREATE, USER_GET};
    use crate::names::{Email, Nic};

    fn account(id: i64, operator: bool) -> Account {
        Account {
            id: AccountId(id),
            nic: Nic::parse(&format!("lk{id:04}-lk")).unwrap(),
            email: Email::parse("a@b.c").unwrap(),
            operator,
            created_at: chrono::Utc::now(),
            domain: crate::model::DomainFields::default(),
        }
    }

    /// The operator's domain, a tenant's, and another tenant's.
    fn domains() -> (Account, Account, Account) {
        (account(1, true), account(2, false), account(3, false))
    }

    /// A token with `roles` ("admin", "reader" or both, as a role implying it would give)
    /// scoped to `scope` (the system when `None`).
    fn token(roles: &[&str], scope: Option<&Account>) -> KsReach {
        KsReach {
            admin: roles.contains(&"admin"),
            reader: roles.contains(&"reader") || roles.contains(&"admin"),
            system: scope.is_none(),
            scope_account: scope.map_or(AccountId(2), |a| a.id),
            scope_operator: scope.is_some_and(|a| a.operator),
        }
    }

    #[test]
    fn who_is_a_cloud_administrator_or_a_system_reader() {
        let (operator, tenant, _) = domains();
        // (token, cloud administrator, system reader, reads every domain)
        let table = [
            (token(&["admin"], Some(&operator)), true, false, true),
            (token(&["admin"], None), true, true, true),
            (token(&["admin"], Some(&tenant)), false, false, false),
            (token(&["reader"], None), false, true, true),
            (token(&["reader"], Some(&operator)), false, false, false),
            (token(&["member"], None), false, false, false),
        ];
        for (reach, cloud, reader, every) in table {
            assert_eq!(reach.cloud_admin(), cloud, "{reach:?}");
            assert_eq!(reach.system_reader(), reader, "{reach:?}");
            assert_eq!(reach.reads_every_domain(), every, "{reach:?}");
        }
    }

    #[test]
    fn permits_follow_the_scope_of_the_admin_role() {
        let (operator, tenant, other) = domains();
        // (token, action, target account, allowed)
        let table = [
            // A domain administrator: its own domain only.
            (
                token(&["admin"], Some(&tenant)),
                &USER_CREATE,
                &tenant,
                true,
            ),
            (
                token(&["admin"], Some(&tenant)),
                &USER_CREATE,
                &other,
                false,
            ),
            (
                token(&["admin"], Some(&tenant)),
                &USER_CREATE,
                &operator,
                false,
            ),
            // Scoped to another domain where it holds `admin`: that domain, not its own.
            (token(&["admin"], Some(&other)), &USER_CREATE, &other, true),
            (
                token(&["admin"], Some(&other)),
                &USER_CREATE,
                &tenant,
                false,
            ),
            // The cloud administrator: every domain, from the operator's domain or the system.
            (
                token(&["admin"], Some(&operator)),
                &USER_CREATE,
                &other,
                true,
            ),
            (token(&["admin"], None), &USER_CREATE, &other, true),
            (token(&["admin"], None), &USER_CREATE, &operator, true),
            // The system reader reads every domain and changes nothing.
            (token(&["reader"], None), &USER_GET, &other, true),
            (token(&["reader"], None), &KS_GRANT_GET, &operator, true),
            (token(&["reader"], None), &USER_CREATE, &other, false),
            // A reader scoped to a domain gets nothing from this rule (IAM decides there).
            (token(&["reader"], Some(&tenant)), &USER_GET, &tenant, false),
            // Without a role, nothing.
            (token(&[], Some(&tenant)), &USER_CREATE, &tenant, false),
            (token(&[], Some(&operator)), &USER_GET, &operator, false),
            (token(&[], Some(&operator)), &USER_CREATE, &other, false),
            (token(&[], None), &USER_CREATE, &other, false),
        ];
        for (reach, action, target, allowed) in table {
            let got = reach.permit(action, target);
            assert_eq!(
                got.is_ok(),
                allowed,
                "{reach:?} {} in {}",
                action.name,
                target.id.0
            );
            if let Ok(permit) = got {
                assert_eq!(permit.account(), target.id);
                assert_eq!(permit.action(), action.name);
            } else if let Err(Error::Forbidden { actions }) = got {
                assert_eq!(actions, vec![action.name]);
            }
        }
    }

    #[test]
    fn only_the_cloud_administrator_gets_an_operator_permit() {
        let (operator, tenant, other) = domains();
        let table = [
            (token(&["admin"], Some(&operator)), true),
            (token(&["admin"], None), true),
            (token(&["admin"], Some(&tenant)), false),
            (token(&["admin"], Some(&other)), false),
            (token(&["reader"], None), false),
            (token(&["member"], Some(&operator)), false),
        ];
        for (reach, allowed) in table {
            for action in [&KS_ROLE_MANAGE, &KS_CATALOG_MANAGE] {
                let got = reach.operator(action);
                assert_eq!(got.is_ok(), allowed, "{reach:?} {}", action.name());
                if let Ok(permit) = got {
                    assert_eq!(permit.action(), action.name());
                }
            }
        }
    }

    #[test]
    fn only_a_cloud_administrator_changes_system_grants_outside_the_operators_domain() {
        let (operator, tenant, other) = domains();
        // (token, identity's domain, may change its system grants)
        let table = [
            (token(&["admin"], Some(&operator)), &tenant, true),
            (token(&["admin"], None), &other, true),
            (token(&["admin"], Some(&tenant)), &tenant, false),
            (token(&["admin"], Some(&tenant)), &operator, true),
            (token(&["reader"], None), &tenant, false),
            (token(&["member"], Some(&operator)), &operator, true),
        ];
        for (reach, domain, allowed) in table {
            assert_eq!(
                reach.changes_system_grants_of(domain),
                allowed,
                "{reach:?} in {}",
                domain.id.0
            );
        }
    }

    #[test]
    fn what_a_user_owns_is_its_own_and_the_cloud_administrators() {
        let (operator, tenant, _) = domains();
        let (owner, other) = (UserId(7), UserId(8));
        // (token, holder, changes the owner's, reads the owner's)
        let table = [
            (token(&["member"], Some(&tenant)), Some(owner), true, true),
            (token(&["admin"], Some(&tenant)), Some(other), false, false),
            (token(&["admin"], Some(&operator)), Some(other), true, true),
            (token(&["reader"], None), Some(other), false, true),
            (token(&["member"], Some(&operator)), None, false, false),
        ];
        for (reach, holder, changes, reads) in table {
            assert_eq!(
                reach.changes_owned(holder, owner),
                changes,
                "{reach:?} {holder:?}"
            );
            assert_eq!(
                reach.reads_owned(holder, owner),
                reads,
                "{reach:?} {holder:?}"
            );
        }
    }

    #[test]
    fn an_operator_only_action_passed_as_an_account_action_reaches_no_tenant_scope() {
        let (_, tenant, _) = domains();
        let role_manage = KS_ROLE_MANAGE.action();
        assert!(
            token(&["admin"], Some(&tenant))
                .permit(role_manage, &tenant)
                .is_err()
        );
        assert!(token(&["admin"], None).permit(role_manage, &tenant).is_ok());
    }
}
