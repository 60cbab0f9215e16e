//! The store contract in SQL that both backends accept (`$n` parameters, `RETURNING`, standard
//! types). This module is compiled once per backend: `sqlite.rs` and `postgres.rs` each include
//! it with `#[path]`, after naming `Backend` (the store type), `Db` (the sqlx database), `BEGIN`
//! (how a write transaction opens) and `SHARED`. One file per aggregate holds its reads (on
//! `Backend`) and its writes (on [`SqlTransaction`], the open transaction of a change); `commit`
//! writes the change's record in the same transaction ([`journal`]).

mod accounts;
mod audit;
mod catalog;
mod clients;
mod documents;
mod events;
mod journal;
mod keys;
mod keystone;
mod pats;
mod permissions_groups;
mod policies;
mod resources;
mod sessions;
mod users;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use latchkey_core::keys::{KeyState, StoredKey};
use latchkey_core::keystone::ids::FIRST_RANDOM_KEY;
use latchkey_core::keystone::{
    Actor as KsActor, Assignment, Endpoint, Interface, KsRole, Membership, Project as KsProject,
    Region, Service as KsService, Target as KsTarget,
};
use latchkey_core::model::{
    Account, AccountId, DEFAULT_GROUPS, DomainFields, Group, GroupId, Pat, PatId, PatRecord,
    ROOT_GROUP, ServiceAccount, User, UserId, UserStatus, UserType,
};
use latchkey_core::names::{ClientId, DisplayName, GroupName, Login, Nic, TokenName};
use latchkey_core::policy::{Policy, PolicyDraft, PolicyId, RulesDocument};
use latchkey_core::secret::TokenHash;
use latchkey_core::store::*;
use latchkey_core::{Error, Result};
use sqlx::AssertSqlSafe;

use super::{AUDIT_AND_NOTIFY, BEGIN, Backend, Db, NOTIFY, SHARED};
use crate::rows::{
    AccountRow, AppCredentialRow, GroupRow, KeyRow, PatRow, PolicyRow, ProjectRow, RoleRow,
    ServiceAccountRow, UserRow, affected, corrupt, description_of, in_use, internal, join_urls,
    micros, missing, taken,
};
use crate::select::{
    ACCOUNT_SELECT, GROUP_SELECT, PAT_SELECT, POLICY_SELECT, SERVICE_ACCOUNT_SELECT, USER_SELECT,
};

/// The key of a new user or group: random, from [`FIRST_RANDOM_KEY`] up. Their Keystone ids are
/// spelled from the key ([`latchkey_core::keystone::ids`]), so these cannot be guessed from one
/// another or counted; rows made before keep their counted keys, and their ids keep working.
fn random_key() -> i64 {
    let key = i64::try_from(rand::random::<u64>() >> 1).unwrap_or(i64::MAX);
    key.max(FIRST_RANDOM_KEY)
}

/// The open transaction of a change: its writes, then [`Transaction::commit`] with its record.
/// Dropped without a commit, it rolls back.
pub struct SqlTransaction {
    tx: Tx,
}

#[async_trait]
impl Store for Backend {
    fn shared(&self) -> bool {
        SHARED
    }

    fn ready(&self) -> bool {
        self.health.is_up()
    }

    fn pool(&self) -> (u32, u32) {
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
        (self.pool.size(), idle)
    }

    async fn begin(&self) -> Result<Box<dyn Transaction>> {
        Ok(Box::new(SqlTransaction {
            tx: self.begin_tx().await?,
        }))
    }
}

#[async_trait]
impl Transaction for SqlTransaction {
    async fn commit(mut self: Box<Self>, record: Record) -> Result<Committed> {
        let committed = journal::write(&mut self.tx, &record).await?;
        self.tx.commit().await.map_err(internal)?;
        Ok(committed)
    }
}

type Tx = sqlx::Transaction<'static, Db>;

impl Backend {
    /// The pool, unless the database is known to be unreachable (then at once
    /// [`Error::Unavailable`]).
    fn db(&self) -> Result<&sqlx::Pool<Db>> {
        self.health.check()?;
        Ok(&self.pool)
    }

    /// A write transaction (`BEGIN IMMEDIATE` on SQLite).
    async fn begin_tx(&self) -> Result<Tx> {
        self.db()?.begin_with(BEGIN).await.map_err(internal)
    }
}

async fn group_id_in(tx: &mut Tx, account: AccountId, name: &GroupName) -> Result<Option<i64>> {
    sqlx::query_scalar::<_, i64>("SELECT id FROM user_groups WHERE account_id = $1 AND name = $2")
        .bind(account.0)
        .bind(name.as_str())
        .fetch_optional(&mut **tx)
        .await
        .map_err(internal)
}

// Keystone inserts, from the pool or inside the bootstrap's transaction.

fn tags_json(tags: &[String]) -> Result<String> {
    serde_json::to_string(tags).map_err(Error::internal)
}

async fn insert_project<'e, E: sqlx::Executor<'e, Database = Db>>(
    ex: E,
    p: &KsProject,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ks_projects (id, account_id, name, description, enabled, created_at, \
         parent_id, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&p.id)
    .bind(p.account_id.0)
    .bind(p.name.as_str())
    .bind(p.description.as_str())
    .bind(p.enabled)
    .bind(micros(p.created_at))
    .bind(p.parent_id.as_deref())
    .bind(tags_json(&p.tags)?)
    .execute(ex)
    .await
    .map_err(taken(|| {
        format!("a project named {} already exists", p.name.as_str())
    }))?;
    Ok(())
}

async fn insert_role<'e, E: sqlx::Executor<'e, Database = Db>>(ex: E, r: &KsRole) -> Result<()> {
    sqlx::query("INSERT INTO ks_roles (id, name, description, domain_id) VALUES ($1, $2, $3, $4)")
        .bind(&r.id)
        .bind(r.name.as_str())
        .bind(r.description.as_str())
        .bind(r.domain_id.as_deref())
        .execute(ex)
        .await
        .map_err(taken(|| {
            format!("a role named {} already exists", r.name.as_str())
        }))?;
    Ok(())
}

async fn insert_implied_role<'e, E: sqlx::Executor<'e, Database = Db>>(
    ex: E,
    prior: &str,
    implied: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ks_implied_roles (prior_id, implied_id) VALUES ($1, $2) \
         ON CONFLICT (prior_id, implied_id) DO NOTHING",
    )
    .bind(prior)
    .bind(implied)
    .execute(ex)
    .await
    .map_err(missing(|| {
        format!("role {prior} or role {implied} does not exist")
    }))?;
    Ok(())
}

async fn insert_grant<'e, E: sqlx::Executor<'e, Database = Db>>(
    ex: E,
    account: AccountId,
    a: &Assignment,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ks_assignments (account_id, actor, target, role_id) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, actor, target, role_id) DO NOTHING",
    )
    .bind(account.0)
    .bind(a.actor.key())
    .bind(a.target.key())
    .bind(&a.role_id)
    .execute(ex)
    .await
    .map_err(missing(|| format!("role {} does not exist", a.role_id)))?;
    Ok(())
}

async fn insert_region<'e, E: sqlx::Executor<'e, Database = Db>>(ex: E, r: &Region) -> Result<()> {
    sqlx::query("INSERT INTO ks_regions (id, description, parent_region_id) VALUES ($1, $2, $3)")
        .bind(&r.id)
        .bind(r.description.as_str())
        .bind(r.parent_region_id.as_deref())
        .execute(ex)
        .await
        .map_err(taken(|| format!("region {} already exists", r.id)))?;
    Ok(())
}

async fn insert_service<'e, E: sqlx::Executor<'e, Database = Db>>(
    ex: E,
    v: &KsService,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ks_services (id, kind, name, description, enabled) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&v.id)
    .bind(&v.kind)
    .bind(&v.name)
    .bind(v.description.as_str())
    .bind(v.enabled)
    .execute(ex)
    .await
    .map_err(taken(|| format!("service {} already exists", v.id)))?;
    Ok(())
}

async fn insert_endpoint<'e, E: sqlx::Executor<'e, Database = Db>>(
    ex: E,
    e: &Endpoint,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ks_endpoints (id, service_id, region_id, interface, url, enabled) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&e.id)
    .bind(&e.service_id)
    .bind(e.region_id.as_deref())
    .bind(e.interface.as_str())
    .bind(&e.url)
    .bind(e.enabled)
    .execute(ex)
    .await
    .map_err(missing(|| {
        "the endpoint's service or region does not exist".to_owned()
    }))?;
    Ok(())
}

/// One user of an account, from the pool or inside a transaction.
async fn user_row<'e, E: sqlx::Executor<'e, Database = Db>>(
    ex: E,
    account: AccountId,
    login: &Login,
) -> Result<Option<UserRow>> {
    let sql = format!("{USER_SELECT} WHERE u.account_id = $1 AND u.login = $2");
    sqlx::query_as::<_, UserRow>(AssertSqlSafe(sql))
        .bind(account.0)
        .bind(login.as_str())
        .fetch_optional(ex)
        .await
        .map_err(internal)
}

/// One group of an account, from the pool or inside a transaction.
async fn group_row<'e, E: sqlx::Executor<'e, Database = Db>>(
    ex: E,
    account: AccountId,
    name: &GroupName,
) -> Result<Option<Group>> {
    let sql = format!("{GROUP_SELECT} WHERE account_id = $1 AND name = $2");
    sqlx::query_as::<_, GroupRow>(AssertSqlSafe(sql))
        .bind(account.0)
        .bind(name.as_str())
        .fetch_optional(ex)
        .await
        .map_err(internal)?
        .map(Group::try_from)
        .transpose()
}

/// One token of a user, from the pool or inside a transaction.
async fn pat_record<'e, E: sqlx::Executor<'e, Database = Db>>(
    ex: E,
    user: UserId,
    name: &TokenName,
) -> Result<Option<PatRecord>> {
    let sql = format!("{PAT_SELECT} WHERE p.user_id = $1 AND p.name = $2");
    sqlx::query_as::<_, PatRow>(AssertSqlSafe(sql))
        .bind(user.0)
        .bind(name.as_str())
        .fetch_optional(ex)
        .await
        .map_err(internal)?
        .map(PatRecord::try_from)
        .transpose()
}

/// One service account of an account, from the pool or inside a transaction.
async fn service_account_row<'e, E: sqlx::Executor<'e, Database = Db>>(
    ex: E,
    account: AccountId,
    client: &ClientId,
) -> Result<Option<ServiceAccount>> {
    let sql = format!("{SERVICE_ACCOUNT_SELECT} WHERE account_id = $1 AND client_id = $2");
    sqlx::query_as::<_, ServiceAccountRow>(AssertSqlSafe(sql))
        .bind(account.0)
        .bind(client.as_str())
        .fetch_optional(ex)
        .await
        .map_err(internal)?
        .map(|row| row.into_parts().map(|(sa, _)| sa))
        .transpose()
}

async fn insert_key(tx: &mut Tx, key: &StoredKey) -> Result<()> {
    sqlx::query(
        "INSERT INTO signing_keys (kid, state, sealed_private, public_key, created_at, \
         activated_at, verify_until) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&key.kid)
    .bind(key.state.as_str())
    .bind(&key.sealed_private)
    .bind(&key.public)
    .bind(micros(key.created_at))
    .bind(key.activated_at.map(micros))
    .bind(key.verify_until.map(micros))
    .execute(&mut **tx)
    .await
    .map_err(taken(|| "signing keys changed concurrently".to_owned()))?;
    Ok(())
}
