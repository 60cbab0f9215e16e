//! Trusts (OS-TRUST): a trustor delegates some of its roles on one project to a trustee, who
//! may then get a token scoped to the trust. The token names the trustee (or, with
//! impersonation, the trustor), carries the trust's roles that the trustor still holds, expires
//! with the trust, and ends when the trust is deleted. Trusts are kept as Keystone documents.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::audit::{AuditKind, Author};
use crate::authz::Subject;
use crate::keystone::{self, Target};
use crate::model::UserId;
use crate::store::{Record, RevocationKind};
use crate::{Error, Result};

use super::super::{Directory, Ends};
use super::ks_token::KsToken;

const KIND: &str = "trust";

/// A trust, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trust {
    pub id: String,
    /// The trustor's store key.
    pub trustor: i64,
    /// The trustee's store key (a user of the trustor's account).
    pub trustee: i64,
    pub project_id: String,
    /// Role ids delegated.
    pub roles: Vec<String>,
    pub impersonation: bool,
    pub expires_at: Option<DateTime<Utc>>,
    /// How many tokens may still be made from it; `None`: unlimited.
    pub remaining_uses: Option<u32>,
    pub created_at: DateTime<Utc>,
}

/// What a trustor asks for.
#[derive(Debug)]
pub struct NewTrust {
    pub trustor: String,
    pub trustee: String,
    pub project_id: String,
    /// Role ids or names; at least one.
    pub roles: Vec<String>,
    pub impersonation: bool,
    pub expires_at: Option<DateTime<Utc>>,
    pub remaining_uses: Option<u32>,
}

fn not_found(id: &str) -> Error {
    Error::not_found(format!("Could not find trust: {id}."))
}

impl Trust {
    /// Whether the token's holder may read the trust: its trustor or trustee, or whoever reads
    /// every domain.
    pub fn readable_by(&self, token: &KsToken) -> bool {
        token.reads_owned_by(UserId(self.trustor)) || token.reads_owned_by(UserId(self.trustee))
    }

    /// Whether the token's holder may delete the trust: its trustor, or a cloud administrator.
    pub fn deletable_by(&self, token: &KsToken) -> bool {
        token.changes_owned_by(UserId(self.trustor))
    }
}

impl Directory {
    /// The trustor makes a trust with a token of its own scoped to the trust's project, for roles
    /// it holds there.
    pub async fn create_trust(&self, token: &KsToken, new: NewTrust) -> Result<Trust> {
        let forbidden = || Error::forbidden("identity:create_trust");
        let Subject::User(trustor) = &token.subject else {
            return Err(forbidden());
        };
        if !keystone::KsUserId(trustor.id).is(&new.trustor) || token.claims.trust.is_some() {
            return Err(forbidden());
        }
        if token.claims.app.as_ref().is_some_and(|a| !a.unrestricted) {
            return Err(forbidden());
        }
        let trustee = keystone::KsUserId::parse(&new.trustee)
            .map(|id| id.0)
            .ok_or_else(|| Error::not_found(format!("Could not find user: {}.", new.trustee)))?;
        let trustee = self
            .cached_user(trustee)
            .await?
            .ok_or_else(|| Error::not_found(format!("Could not find user: {}.", new.trustee)))?;
        if trustee.account_id != trustor.account_id {
            return Err(Error::invalid(
                "the trustee must be a user of the trustor's domain",
            ));
        }
        if new.expires_at.is_some_and(|t| t <= self.clock.now()) {
            return Err(Error::invalid("expires_at is in the past"));
        }
        if new.roles.is_empty() {
            return Err(Error::invalid("a trust delegates at least one role"));
        }
        if new.remaining_uses == Some(0) {
            return Err(Error::invalid("remaining_uses must be positive or null"));
        }
        // The roles the trustor holds on the project, implied ones included.
        let tenancy = self.tenancy(trustor.account_id).await?;
        let project = tenancy.project(&new.project_id).ok_or_else(|| {
            Error::not_found(format!("Could not find project: {}.", new.project_id))
        })?;
        let catalog = self.keystone_catalog();
        let held = catalog.expand(tenancy.effective(
            &Directory::user_actors(trustor, trustor.account_id, &tenancy),
            &Target::Project(project.id.clone()),
        ));
        let mut roles = Vec::new();
        for wanted in &new.roles {
            let role = held
                .iter()
                .find(|r| r.id == *wanted || r.name.as_str() == wanted)
                .ok_or_else(forbidden)?;
            if !roles.contains(&role.id) {
                roles.push(role.id.clone());
            }
        }
        let trust = Trust {
            id: keystone::new_id(),
            trustor: trustor.id.0,
            trustee: trustee.id.0,
            project_id: project.id.clone(),
            roles,
            impersonation: new.impersonation,
            expires_at: new.expires_at,
            remaining_uses: new.remaining_uses,
            created_at: self.clock.now(),
        };
        let text = serde_json::to_string(&trust).map_err(Error::internal)?;
        let mut tx = self.begin().await?;
        tx.create_document(KIND, &trust.id, &text, trust.created_at)
            .await?;
        let audit = self.audit(
            token,
            AuditKind::CredentialCreated,
            Some(trustor.account_id),
            trust_details(&trust),
        );
        self.commit(tx, Record::new(audit)).await?;
        Ok(trust)
    }

    /// A trust that has not expired; the caller checks who may see it.
    pub async fn trust(&self, id: &str) -> Result<Trust> {
        let text = self
            .store
            .document(KIND, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        let trust: Trust = serde_json::from_str(&text).map_err(Error::internal)?;
        if trust.expires_at.is_some_and(|t| t <= self.clock.now()) {
            return Err(not_found(id));
        }
        Ok(trust)
    }

    /// Every trust that has not expired.
    pub async fn trusts(&self) -> Result<Vec<Trust>> {
        let now = self.clock.now();
        let mut out = Vec::new();
        for text in self.store.documents(KIND).await? {
            let trust: Trust = serde_json::from_str(&text).map_err(Error::internal)?;
            if trust.expires_at.is_none_or(|t| t > now) {
                out.push(trust);
            }
        }
        Ok(out)
    }

    /// Deletes a trust; the tokens made from it end on every node.
    pub async fn delete_trust(&self, by: &KsToken, trust: &Trust) -> Result<()> {
        let account = self
            .cached_user(UserId(trust.trustor))
            .await?
            .map(|u| u.account_id);
        let mut tx = self.begin().await?;
        tx.delete_document(KIND, &trust.id).await?;
        let audit = self.audit(
            by,
            AuditKind::CredentialDeleted,
            account,
            trust_details(trust),
        );
        let event = self
            .event(
                RevocationKind::AccessToken,
                trust.id.clone(),
                account,
                Ends::Nobody,
            )
            .await;
        self.commit(tx, Record::new(audit).event(event)).await?;
        self.revoked.insert(trust.id.clone());
        Ok(())
    }

    /// Spends one use of a trust for a new token (a trust with uses left only).
    pub(super) async fn use_trust(&self, trust: &Trust) -> Result<()> {
        let Some(left) = trust.remaining_uses else {
            return Ok(());
        };
        if left == 0 {
            return Err(Error::unauthenticated("the trust has no uses left"));
        }
        let mut spent = trust.clone();
        spent.remaining_uses = Some(left - 1);
        let text = serde_json::to_string(&spent).map_err(Error::internal)?;
        let account = self
            .cached_user(UserId(trust.trustor))
            .await?
            .map(|u| u.account_id);
        let mut tx = self.begin().await?;
        tx.replace_document(KIND, &trust.id, &text).await?;
        let mut details = trust_details(&spent);
        details["remainingUses"] = serde_json::json!(spent.remaining_uses);
        let audit = self.audit(
            &Author::system(),
            AuditKind::CredentialModified,
            account,
            details,
        );
        self.commit(tx, Record::new(audit)).await
    }
}

/// A trust's record details: who trusts whom, on which project.
fn trust_details(trust: &Trust) -> Value {
    serde_json::json!({
        "credential": "trust",
        "id": trust.id,
        "trustorUserId": keystone::KsUserId(UserId(trust.trustor)).to_string(),
        "trusteeUserId": keystone::KsUserId(UserId(trust.trustee)).to_string(),
        "projectId": trust.project_id,
    })
}

/// A trust as Keystone shows it, without its roles (`summary`) or with them.
pub fn trust_fields(trust: &Trust) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    map.insert("id".into(), Value::String(trust.id.clone()));
    map.insert(
        "trustor_user_id".into(),
        Value::String(keystone::KsUserId(UserId(trust.trustor)).to_string()),
    );
    map.insert(
        "trustee_user_id".into(),
        Value::String(keystone::KsUserId(UserId(trust.trustee)).to_string()),
    );
    map.insert("project_id".into(), Value::String(trust.project_id.clone()));
    map.insert("impersonation".into(), Value::Bool(trust.impersonation));
    map.insert(
        "expires_at".into(),
        trust.expires_at.map_or(Value::Null, |t| {
            Value::String(t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
        }),
    );
    map.insert(
        "remaining_uses".into(),
        trust.remaining_uses.map_or(Value::Null, Value::from),
    );
    map.insert("allow_redelegation".into(), Value::Bool(false));
    map
}
