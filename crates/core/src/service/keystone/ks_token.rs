//! A Keystone token as the model sees it once verified and resolved: its claims, its holder,
//! its scope and effective roles, and what those roles reach ([`KsToken::reach`]).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::authz::{Principal, Subject, Via};
use crate::keystone::access::KsReach;
use crate::keystone::token::{KeystoneClaims, TokenScope};
use crate::keystone::{KsRole, Project, Target};
use crate::model::{Account, UserId};
use crate::secret::Secret;

/// A Keystone token, verified and resolved: who holds it, its scope, its effective roles.
#[derive(Debug, Clone)]
pub struct KsToken {
    pub claims: Arc<KeystoneClaims>,
    /// The holder's account.
    pub account: Arc<Account>,
    /// The account of the scope: the holder's, or another domain it holds a grant on.
    pub scope_account: Arc<Account>,
    pub subject: Subject,
    /// The holder's Keystone groups in its own account (beside its IAM group), for IAM.
    pub groups: Vec<(crate::names::GroupName, crate::model::Role)>,
    pub project: Option<Arc<Project>>,
    /// Effective roles (implied ones included); empty for an unscoped token.
    pub roles: Vec<Arc<KsRole>>,
    /// The `catalog` array (JSON text) for scoped tokens.
    pub catalog: Option<Arc<str>>,
}

impl KsToken {
    pub fn issued_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.claims.iat_us).unwrap_or_default()
    }

    pub fn expires_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.claims.exp, 0).unwrap_or_default()
    }

    /// The identity this token proves, for IAM decisions.
    pub fn principal(&self) -> Principal {
        Principal {
            account: Arc::clone(&self.account),
            subject: self.subject.clone(),
            groups: self.groups.clone(),
            via: Via::KeystoneToken {
                audit_id: self.claims.audit_id().to_owned(),
            },
        }
    }

    /// Whether the token is scoped to the system.
    pub fn is_system_scoped(&self) -> bool {
        matches!(self.claims.scope, TokenScope::Scoped(Target::System))
    }

    /// Whether its roles are the cloud's: scoped in the operator's domain or to the system.
    pub fn in_cloud_scope(&self) -> bool {
        self.scope_account.operator || self.is_system_scoped()
    }

    pub fn has_role(&self, name: &str) -> bool {
        self.roles.iter().any(|r| r.name.as_str() == name)
    }

    /// What its roles let its holder do, by Keystone's rule.
    pub fn reach(&self) -> KsReach {
        KsReach {
            admin: self.has_role("admin"),
            reader: self.has_role("reader"),
            system: self.is_system_scoped(),
            scope_account: self.scope_account.id,
            scope_operator: self.scope_account.operator,
        }
    }

    /// The holder, when it is a local user.
    pub fn own_user(&self) -> Option<UserId> {
        match &self.subject {
            Subject::User(u) => Some(u.id),
            Subject::ServiceAccount(_) => None,
        }
    }

    /// Whether the holder may change what belongs to `owner` alone
    /// ([`KsReach::changes_owned`]).
    pub fn changes_owned_by(&self, owner: UserId) -> bool {
        self.reach().changes_owned(self.own_user(), owner)
    }

    /// Whether the holder may read what belongs to `owner` alone ([`KsReach::reads_owned`]).
    pub fn reads_owned_by(&self, owner: UserId) -> bool {
        self.reach().reads_owned(self.own_user(), owner)
    }

    /// Whether both tokens were issued to the same identity.
    pub fn same_holder(&self, other: &KsToken) -> bool {
        self.claims.who == other.claims.who && self.claims.acct == other.claims.acct
    }
}

/// A token just issued: the value (for `X-Subject-Token`) and what it resolves to.
#[derive(Debug)]
pub struct IssuedKsToken {
    pub value: Secret,
    pub token: KsToken,
}
