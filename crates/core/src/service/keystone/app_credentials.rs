//! Application credentials a user makes for itself (Keystone's, beside the service accounts that
//! also authenticate as application credentials): a secret shown once and kept as a hash, bound
//! to the project of the token that made it and to some of that token's roles, optionally
//! expiring, with access rules for the services that check them. A token made from one holds
//! the credential's roles only (those the user still holds), and ends when the credential is
//! deleted.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::audit::AuditKind;
use crate::keystone::{self, AccessRule, StoredAppCredential};
use crate::model::{User, UserId};
use crate::secret::Secret;
use crate::store::{Record, RevocationKind};
use crate::{Error, Result};

use super::super::{Directory, Ends};
use super::ks_token::KsToken;

/// What is stored of a credential beside its id, owner, name and secret hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Body {
    description: String,
    project_id: String,
    roles: Vec<String>,
    expires_at: Option<DateTime<Utc>>,
    unrestricted: bool,
    access_rules: Vec<String>,
}

/// An application credential, as Keystone shows it.
#[derive(Debug, Clone)]
pub struct AppCredential {
    pub id: String,
    pub user_id: UserId,
    pub name: String,
    pub description: String,
    pub project_id: String,
    /// Role ids.
    pub roles: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub unrestricted: bool,
    pub access_rules: Vec<AccessRule>,
}

/// An access rule asked for: an existing one of the user's by id, or a new one.
#[derive(Debug, Clone)]
pub enum RuleRequest {
    Id(String),
    New {
        service: String,
        path: String,
        method: String,
    },
}

/// What a user asks for.
#[derive(Debug)]
pub struct NewAppCredential {
    pub name: String,
    pub description: String,
    /// Generated when absent.
    pub secret: Option<Secret>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Role ids or names; all of the token's roles when empty.
    pub roles: Vec<String>,
    pub unrestricted: bool,
    pub access_rules: Vec<RuleRequest>,
}

impl Directory {
    fn app_credential_of(
        &self,
        stored: StoredAppCredential,
        rules: &[AccessRule],
    ) -> Result<AppCredential> {
        let body: Body = serde_json::from_str(&stored.body).map_err(Error::internal)?;
        Ok(AppCredential {
            id: stored.id,
            user_id: stored.user_id,
            name: stored.name,
            description: body.description,
            project_id: body.project_id,
            roles: body.roles,
            expires_at: body.expires_at,
            unrestricted: body.unrestricted,
            access_rules: rules
                .iter()
                .filter(|r| body.access_rules.contains(&r.id))
                .cloned()
                .collect(),
        })
    }

    /// The user a token names, when the token is that user's own and may make credentials: a
    /// credential cannot make another unless it was made unrestricted.
    fn own_user<'a>(&self, token: &'a KsToken, user: UserId) -> Result<&'a User> {
        let forbidden = || Error::forbidden("identity:create_application_credential");
        match &token.subject {
            crate::authz::Subject::User(u) if u.id == user => {
                if token.claims.app.as_ref().is_some_and(|a| !a.unrestricted) {
                    return Err(forbidden());
                }
                Ok(u)
            }
            _ => Err(forbidden()),
        }
    }

    /// A user makes a credential for itself with a project-scoped token of its own. Returns it
    /// with its secret, shown this once.
    pub async fn create_app_credential(
        &self,
        token: &KsToken,
        user: UserId,
        new: NewAppCredential,
    ) -> Result<(AppCredential, Secret)> {
        let owner = self.own_user(token, user)?;
        let project = token.project.as_ref().ok_or_else(|| {
            Error::invalid("an application credential is made with a project-scoped token")
        })?;
        if new.name.trim().is_empty() || new.name.chars().count() > 255 {
            return Err(Error::invalid("a name has 1 to 255 characters"));
        }
        if new.expires_at.is_some_and(|t| t <= self.clock.now()) {
            return Err(Error::invalid("expires_at is in the past"));
        }
        let held: Vec<String> = token.roles.iter().map(|r| r.id.clone()).collect();
        let mut roles = Vec::new();
        for wanted in &new.roles {
            let role = token
                .roles
                .iter()
                .find(|r| r.id == *wanted || r.name.as_str() == wanted)
                .ok_or_else(|| {
                    Error::invalid(format!("role {wanted} is not held on the token's project"))
                })?;
            if !roles.contains(&role.id) {
                roles.push(role.id.clone());
            }
        }
        if roles.is_empty() {
            roles = held;
        }
        let existing = self.store.access_rules(owner.id).await?;
        let mut rule_ids = Vec::new();
        let mut added: Vec<AccessRule> = Vec::new();
        for wanted in new.access_rules {
            let id = match wanted {
                RuleRequest::Id(id) => {
                    existing
                        .iter()
                        .find(|r| r.id == id)
                        .map(|r| r.id.clone())
                        .ok_or_else(|| Error::invalid(format!("access rule {id} does not exist")))?
                }
                RuleRequest::New {
                    service,
                    path,
                    method,
                } => {
                    let same = |r: &&AccessRule| {
                        r.service == service && r.path == path && r.method == method
                    };
                    match existing
                        .iter()
                        .find(same)
                        .or_else(|| added.iter().find(same))
                    {
                        Some(r) => r.id.clone(),
                        None => {
                            let rule = AccessRule {
                                id: keystone::new_id(),
                                service,
                                path,
                                method,
                            };
                            let id = rule.id.clone();
                            added.push(rule);
                            id
                        }
                    }
                }
            };
            if !rule_ids.contains(&id) {
                rule_ids.push(id);
            }
        }
        let secret = new
            .secret
            .unwrap_or_else(|| Secret::new(crate::secret::random_base62(64)));
        let body = Body {
            description: new.description,
            project_id: project.id.clone(),
            roles,
            expires_at: new.expires_at,
            unrestricted: new.unrestricted,
            access_rules: rule_ids,
        };
        let stored = StoredAppCredential {
            id: keystone::new_id(),
            user_id: owner.id,
            name: new.name,
            secret_hash: self.config.hash_key.hash(secret.expose()),
            body: serde_json::to_string(&body).map_err(Error::internal)?,
            created_at: self.clock.now(),
        };
        let mut tx = self.begin().await?;
        tx.create_app_credential(&stored, &added).await?;
        let details = serde_json::json!({
            "credential": "application_credential",
            "id": stored.id,
            "name": stored.name,
            "user": owner.login.as_str(),
            "accessRules": added.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        });
        let audit = self.audit(
            token,
            AuditKind::CredentialCreated,
            Some(owner.account_id),
            details,
        );
        self.commit(tx, Record::new(audit)).await?;
        let rules: Vec<AccessRule> = existing.into_iter().chain(added).collect();
        Ok((self.app_credential_of(stored, &rules)?, secret))
    }

    /// A user's credentials (no secrets); the caller has checked it may read them.
    pub async fn app_credentials(&self, user: UserId) -> Result<Vec<AppCredential>> {
        let rules = self.store.access_rules(user).await?;
        self.store
            .app_credentials(user)
            .await?
            .into_iter()
            .map(|c| self.app_credential_of(c, &rules))
            .collect()
    }

    /// One credential of a user; the caller has checked it may read it.
    pub async fn app_credential(&self, user: UserId, id: &str) -> Result<AppCredential> {
        let stored = self
            .store
            .app_credential(id)
            .await?
            .filter(|c| c.user_id == user)
            .ok_or_else(|| {
                Error::not_found(format!("Could not find application credential: {id}."))
            })?;
        let rules = self.store.access_rules(user).await?;
        self.app_credential_of(stored, &rules)
    }

    /// Deletes a credential; the tokens made from it end on every node.
    pub async fn delete_app_credential(&self, by: &KsToken, user: &User, id: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.delete_app_credential(user.id, id)
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => {
                    Error::not_found(format!("Could not find application credential: {id}."))
                }
                e => e,
            })?;
        let details = serde_json::json!({
            "credential": "application_credential",
            "id": id,
            "user": user.login.as_str(),
        });
        let audit = self.audit(
            by,
            AuditKind::CredentialDeleted,
            Some(user.account_id),
            details,
        );
        let event = self
            .event(
                RevocationKind::AccessToken,
                id.to_owned(),
                Some(user.account_id),
                Ends::Nobody,
            )
            .await;
        self.commit(tx, Record::new(audit).event(event)).await?;
        self.revoked.insert(id.to_owned());
        Ok(())
    }

    pub async fn access_rules(&self, user: UserId) -> Result<Vec<AccessRule>> {
        self.store.access_rules(user).await
    }

    /// Deletes an access rule no credential uses (403 while one does).
    pub async fn delete_access_rule(&self, by: &KsToken, user: &User, id: &str) -> Result<()> {
        let in_use = self
            .app_credentials(user.id)
            .await?
            .iter()
            .any(|c| c.access_rules.iter().any(|r| r.id == id));
        if in_use {
            return Err(Error::forbidden("identity:delete_access_rule"));
        }
        let mut tx = self.begin().await?;
        tx.delete_access_rule(user.id, id)
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => {
                    Error::not_found(format!("Could not find access rule: {id}."))
                }
                e => e,
            })?;
        let details = serde_json::json!({
            "credential": "access_rule",
            "id": id,
            "user": user.login.as_str(),
        });
        let audit = self.audit(
            by,
            AuditKind::CredentialDeleted,
            Some(user.account_id),
            details,
        );
        self.commit(tx, Record::new(audit)).await
    }

    /// Authenticates a user's credential by id and secret: `None` when no user credential has
    /// that id (it may be a service account's), `Unauthenticated` for a wrong secret, an
    /// expired credential, or a disabled owner.
    pub(super) async fn authenticate_app_credential(
        &self,
        id: &str,
        secret: &Secret,
    ) -> Result<Option<(Arc<User>, AppCredential)>> {
        let Some(stored) = self.store.app_credential(id).await? else {
            return Ok(None);
        };
        let invalid = || Error::unauthenticated("invalid application credential");
        let presented = self.config.hash_key.hash(secret.expose());
        if !bool::from(presented.0.ct_eq(&stored.secret_hash.0)) {
            return Err(invalid());
        }
        let user = self
            .cached_user(stored.user_id)
            .await?
            .ok_or_else(invalid)?;
        super::super::auth::refuse_disabled(&user)?;
        let rules = self.store.access_rules(stored.user_id).await?;
        let credential = self.app_credential_of(stored, &rules)?;
        if credential.expires_at.is_some_and(|t| t <= self.clock.now()) {
            return Err(invalid());
        }
        Ok(Some((user, credential)))
    }
}
