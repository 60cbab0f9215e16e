//! The store contract in SQL that both backends accept (`$n` parameters, `RETURNING`, standard
//! types), expanded once per backend by [`impl_store!`]. Write transactions open with a
//! backend-specific statement (`BEGIN IMMEDIATE` on SQLite, so readers-turned-writers never hit a
//! stale snapshot).

pub(crate) const USER_SELECT: &str = "SELECT u.id, u.account_id, u.login, u.email, \
    g.name AS group_name, g.role AS group_role, u.description, u.status, u.kind, u.created_at, \
    u.updated_at, u.password_updated_at, u.password_hash \
    FROM users u JOIN user_groups g ON g.id = u.group_id";

/// Live accounts (not deleted); callers add `AND …` conditions.
pub(crate) const ACCOUNT_SELECT: &str = "SELECT id, nic, email, operator, created_at, \
    domain_name, description, enabled FROM accounts WHERE NOT deleted";

pub(crate) const GROUP_SELECT: &str = "SELECT id, account_id, name, role, description, \
    default_group, created_at, updated_at FROM user_groups";

pub(crate) const SERVICE_ACCOUNT_SELECT: &str = "SELECT id, account_id, client_id, name, \
    description, flow, callback_urls, secret_hash, created_at FROM service_accounts";

pub(crate) const POLICY_SELECT: &str = "SELECT id, account_id, name, description, rules, \
    expired_at, read_only, created_at, updated_at FROM policies";

pub(crate) const PAT_SELECT: &str = "SELECT p.id, p.user_id, u.account_id, p.name, p.description, \
    p.secret_hash, p.created_at, p.expires_at, p.last_used \
    FROM pats p JOIN users u ON u.id = p.user_id";

macro_rules! impl_store {
    ($store:ident, $db:ty, $begin:literal, shared: $shared:literal) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use latchkey_core::model::{
            Account, AccountId, Group, Pat, PatId, PatRecord, ServiceAccount, User, UserId,
            UserStatus, UserType,
        };
        use latchkey_core::names::{ClientId, GroupName, Login, Nic, TokenName};
        use latchkey_core::secret::TokenHash;
        use latchkey_core::store::{
            GroupChanges, NewAccount, NewGroup, NewPat, NewRevocation,
            NewServiceAccount, NewUser, PatChanges, RevocationEvent,
            ServiceAccountChanges, Store, UserChanges, NewPolicy, KeystoneBootstrap,
        };
        use latchkey_core::policy::{Policy, PolicyDraft, PolicyId, RulesDocument};
        use latchkey_core::{Error, Result};
        use sqlx::AssertSqlSafe;
        use latchkey_core::keystone::{
            Actor as KsActor, Assignment, Endpoint, Interface, KsRole, Membership, Project as KsProject,
            Region, Service as KsService, Target as KsTarget,
        };
        use latchkey_core::model::{DEFAULT_GROUPS, DomainFields, GroupId, ROOT_GROUP};
        use latchkey_core::names::DisplayName;
        use crate::rows::{AppCredentialRow, ProjectRow, RoleRow, affected, corrupt, description_of};

        use crate::rows::{
            AccountRow, GroupRow, KeyRow, PatRow, PolicyRow, ServiceAccountRow, UserRow, in_use, internal, missing, taken,
            join_urls, micros,
        };
        use latchkey_core::keys::{KeyState, StoredKey};
        use crate::sql::{ACCOUNT_SELECT, GROUP_SELECT, PAT_SELECT, POLICY_SELECT, SERVICE_ACCOUNT_SELECT, USER_SELECT};

        type Tx = sqlx::Transaction<'static, $db>;

        impl $store {
            async fn begin(&self) -> Result<Tx> {
                self.pool.begin_with($begin).await.map_err(internal)
            }

            async fn group_id_in(
                tx: &mut Tx,
                account: AccountId,
                name: &GroupName,
            ) -> Result<Option<i64>> {
                sqlx::query_scalar::<_, i64>(
                    "SELECT id FROM user_groups WHERE account_id = $1 AND name = $2",
                )
                .bind(account.0)
                .bind(name.as_str())
                .fetch_optional(&mut **tx)
                .await
                .map_err(internal)
            }

        }

        // Keystone inserts, from the pool or inside the bootstrap's transaction.

        fn tags_json(tags: &[String]) -> Result<String> {
            serde_json::to_string(tags).map_err(Error::internal)
        }

        async fn insert_project<'e, E: sqlx::Executor<'e, Database = $db>>(ex: E, p: &KsProject) -> Result<()> {
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
            .map_err(taken(|| format!("a project named {} already exists", p.name.as_str())))?;
            Ok(())
        }

        async fn insert_role<'e, E: sqlx::Executor<'e, Database = $db>>(ex: E, r: &KsRole) -> Result<()> {
            sqlx::query("INSERT INTO ks_roles (id, name, description, domain_id) VALUES ($1, $2, $3, $4)")
                .bind(&r.id)
                .bind(r.name.as_str())
                .bind(r.description.as_str())
                .bind(r.domain_id.as_deref())
                .execute(ex)
                .await
                .map_err(taken(|| format!("a role named {} already exists", r.name.as_str())))?;
            Ok(())
        }

        async fn insert_implied_role<'e, E: sqlx::Executor<'e, Database = $db>>(
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
            .map_err(missing(|| format!("role {prior} or role {implied} does not exist")))?;
            Ok(())
        }

        async fn insert_grant<'e, E: sqlx::Executor<'e, Database = $db>>(
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

        async fn insert_region<'e, E: sqlx::Executor<'e, Database = $db>>(ex: E, r: &Region) -> Result<()> {
            sqlx::query(
                "INSERT INTO ks_regions (id, description, parent_region_id) VALUES ($1, $2, $3)",
            )
            .bind(&r.id)
            .bind(r.description.as_str())
            .bind(r.parent_region_id.as_deref())
            .execute(ex)
            .await
            .map_err(taken(|| format!("region {} already exists", r.id)))?;
            Ok(())
        }

        async fn insert_service<'e, E: sqlx::Executor<'e, Database = $db>>(ex: E, v: &KsService) -> Result<()> {
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

        async fn insert_endpoint<'e, E: sqlx::Executor<'e, Database = $db>>(ex: E, e: &Endpoint) -> Result<()> {
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
            .map_err(missing(|| "the endpoint's service or region does not exist".to_owned()))?;
            Ok(())
        }

        /// One user of an account, from the pool or inside a transaction.
        async fn user_row<'e, E: sqlx::Executor<'e, Database = $db>>(
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
        async fn group_row<'e, E: sqlx::Executor<'e, Database = $db>>(
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
        async fn pat_record<'e, E: sqlx::Executor<'e, Database = $db>>(
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
        async fn service_account_row<'e, E: sqlx::Executor<'e, Database = $db>>(
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

        async fn commit(tx: Tx) -> Result<()> {
            tx.commit().await.map_err(internal)
        }

        #[async_trait]
        impl Store for $store {
            fn shared(&self) -> bool {
                $shared
            }

            async fn create_account(&self, new: NewAccount) -> Result<Account> {
                let mut tx = self.begin().await?;
                let now = micros(new.now);
                let nic = new.nic.clone();
                let row = sqlx::query_as::<_, AccountRow>(
                    "INSERT INTO accounts (nic, email, operator, created_at, domain_name, description) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     RETURNING id, nic, email, operator, created_at, domain_name, description, enabled",
                )
                .bind(new.nic.as_str())
                .bind(new.email.as_str())
                .bind(new.operator)
                .bind(now)
                .bind(new.domain.name.as_ref().map(DisplayName::as_str))
                .bind(new.domain.description.as_str())
                .fetch_one(&mut *tx)
                .await
                .map_err(taken(|| {
                    if new.operator {
                        format!("account {nic} already exists, or the store is already bootstrapped")
                    } else if let Some(name) = &new.domain.name {
                        format!("account {nic} or a domain named {} already exists", name.as_str())
                    } else {
                        format!("account {nic} already exists")
                    }
                }))?;
                let mut account = Account::try_from(row)?;
                if !new.domain.enabled {
                    sqlx::query("UPDATE accounts SET enabled = FALSE WHERE id = $1")
                        .bind(account.id.0)
                        .execute(&mut *tx)
                        .await
                        .map_err(internal)?;
                    account.domain.enabled = false;
                }
                let mut root_group = None;
                for (name, role, description) in DEFAULT_GROUPS {
                    let id = sqlx::query_scalar::<_, i64>(
                        "INSERT INTO user_groups \
                         (account_id, name, role, description, default_group, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, TRUE, $5, $6) RETURNING id",
                    )
                    .bind(account.id.0)
                    .bind(*name)
                    .bind(role.as_str())
                    .bind(*description)
                    .bind(now)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(internal)?;
                    if *name == ROOT_GROUP {
                        root_group = Some(id);
                    }
                }
                let root_group =
                    root_group.ok_or_else(|| Error::internal("no default group for ROOT"))?;
                sqlx::query(
                    "INSERT INTO users (account_id, login, email, group_id, description, \
                     password_hash, status, kind, created_at, updated_at, password_updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(account.id.0)
                .bind(new.root_login.as_str())
                .bind(new.email.as_str())
                .bind(root_group)
                .bind("Account owner")
                .bind(&new.root_password_hash)
                .bind(UserStatus::Ok.as_str())
                .bind(UserType::Root.as_str())
                .bind(now)
                .bind(now)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
                commit(tx).await?;
                Ok(account)
            }

            async fn account(&self, id: AccountId) -> Result<Option<Account>> {
                sqlx::query_as::<_, AccountRow>(AssertSqlSafe(format!("{ACCOUNT_SELECT} AND id = $1")))
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(internal)?
                .map(Account::try_from)
                .transpose()
            }

            async fn account_by_nic(&self, nic: &Nic) -> Result<Option<Account>> {
                sqlx::query_as::<_, AccountRow>(AssertSqlSafe(format!("{ACCOUNT_SELECT} AND nic = $1")))
                .bind(nic.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(internal)?
                .map(Account::try_from)
                .transpose()
            }

            async fn list_accounts(&self) -> Result<Vec<Account>> {
                sqlx::query_as::<_, AccountRow>(AssertSqlSafe(format!("{ACCOUNT_SELECT} ORDER BY id")))
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?
                .into_iter()
                .map(Account::try_from)
                .collect()
            }

            async fn operator_account(&self) -> Result<Option<Account>> {
                sqlx::query_as::<_, AccountRow>(AssertSqlSafe(format!("{ACCOUNT_SELECT} AND operator")))
                .fetch_optional(&self.pool)
                .await
                .map_err(internal)?
                .map(Account::try_from)
                .transpose()
            }

            async fn update_domain(&self, id: AccountId, domain: &DomainFields) -> Result<Account> {
                let name = domain.name.as_ref().map(DisplayName::as_str);
                let done = sqlx::query(
                    "UPDATE accounts SET domain_name = $1, description = $2, enabled = $3 \
                     WHERE id = $4 AND NOT deleted",
                )
                .bind(name)
                .bind(domain.description.as_str())
                .bind(domain.enabled)
                .bind(id.0)
                .execute(&self.pool)
                .await
                .map_err(taken(|| format!("a domain named {} already exists", name.unwrap_or_default())))?;
                affected(done.rows_affected(), || format!("account {} does not exist", id.0))?;
                self.account(id)
                    .await?
                    .ok_or_else(|| Error::not_found(format!("account {} does not exist", id.0)))
            }

            async fn delete_account(&self, id: AccountId) -> Result<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query(
                    "UPDATE accounts SET deleted = TRUE, enabled = FALSE, domain_name = NULL \
                     WHERE id = $1 AND NOT operator AND NOT deleted",
                )
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
                affected(done.rows_affected(), || format!("account {} does not exist", id.0))?;
                // Its users' grants on other domains go with them (their memberships of other
                // domains' groups cascade).
                sqlx::query(
                    "DELETE FROM ks_assignments WHERE actor IN \
                     (SELECT 'user:' || CAST(id AS TEXT) FROM users WHERE account_id = $1)",
                )
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
                // Everything in it goes; users before their groups (RESTRICT), tokens with them.
                for table in [
                    "ks_assignments",
                    "ks_projects",
                    "policies",
                    "service_accounts",
                    "users",
                    "user_groups",
                ] {
                    sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE account_id = $1")))
                        .bind(id.0)
                        .execute(&mut *tx)
                        .await
                        .map_err(internal)?;
                }
                commit(tx).await
            }

            async fn create_group(&self, account: AccountId, new: NewGroup) -> Result<Group> {
                let now = micros(new.now);
                let name = new.name.clone();
                sqlx::query_as::<_, GroupRow>(
                    "INSERT INTO user_groups \
                     (account_id, name, role, description, default_group, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, FALSE, $5, $6) \
                     RETURNING id, account_id, name, role, description, default_group, created_at, updated_at",
                )
                .bind(account.0)
                .bind(new.name.as_str())
                .bind(new.role.as_str())
                .bind(new.description.as_str())
                .bind(now)
                .bind(now)
                .fetch_one(&self.pool)
                .await
                .map_err(taken(|| format!("group {name} already exists")))
                .and_then(Group::try_from)
            }

            async fn group(&self, account: AccountId, name: &GroupName) -> Result<Option<Group>> {
                group_row(&self.pool, account, name).await
            }

            async fn list_groups(&self, account: AccountId) -> Result<Vec<GroupName>> {
                let names = sqlx::query_scalar::<_, String>(
                    "SELECT name FROM user_groups WHERE account_id = $1 ORDER BY name",
                )
                .bind(account.0)
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?;
                names.iter().map(|n| GroupName::parse(n)).collect()
            }

            async fn update_group(
                &self,
                account: AccountId,
                name: &GroupName,
                changes: GroupChanges,
                now: DateTime<Utc>,
            ) -> Result<Group> {
                let mut tx = self.begin().await?;
                let mut group = group_row(&mut *tx, account, name)
                    .await?
                    .ok_or_else(|| Error::not_found(format!("group {name} does not exist")))?;
                if let Some(role) = changes.role {
                    group.role = role;
                }
                if let Some(description) = changes.description {
                    group.description = description;
                }
                let old_name = group.name.clone();
                if let Some(new_name) = changes.name {
                    group.name = new_name;
                }
                group.updated_at = now;
                let renamed = group.name.clone();
                sqlx::query(
                    "UPDATE user_groups SET name = $1, role = $2, description = $3, updated_at = $4 \
                     WHERE id = $5",
                )
                .bind(group.name.as_str())
                .bind(group.role.as_str())
                .bind(group.description.as_str())
                .bind(micros(now))
                .bind(group.id.0)
                .execute(&mut *tx)
                .await
                .map_err(taken(|| format!("group {renamed} already exists")))?;
                if group.name != old_name {
                    // Keystone grants name their group: they follow the rename.
                    sqlx::query(
                        "UPDATE ks_assignments SET actor = $1 WHERE account_id = $2 AND actor = $3",
                    )
                    .bind(KsActor::Group(group.name.clone()).key())
                    .bind(account.0)
                    .bind(KsActor::Group(old_name).key())
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                }
                commit(tx).await?;
                Ok(group)
            }

            async fn delete_group(&self, account: AccountId, name: &GroupName) -> Result<()> {
                let mut tx = self.begin().await?;
                let id = Self::group_id_in(&mut tx, account, name)
                    .await?
                    .ok_or_else(|| Error::not_found(format!("group {name} does not exist")))?;
                let members = sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM users WHERE group_id = $1",
                )
                .bind(id)
                .fetch_one(&mut *tx)
                .await
                .map_err(internal)?;
                if members > 0 {
                    return Err(Error::conflict(format!(
                        "group {name} still has {members} member(s); move them to another group first"
                    )));
                }
                sqlx::query("DELETE FROM user_groups WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(in_use(|| format!("group {name} still has members")))?;
                commit(tx).await
            }

            async fn create_user(&self, account: AccountId, new: NewUser) -> Result<User> {
                let mut tx = self.begin().await?;
                let group = Self::group_id_in(&mut tx, account, &new.group)
                    .await?
                    .ok_or_else(|| Error::invalid(format!("group {} does not exist", new.group)))?;
                let now = micros(new.now);
                let login = new.login.clone();
                sqlx::query(
                    "INSERT INTO users (account_id, login, email, group_id, description, \
                     password_hash, status, kind, created_at, updated_at, password_updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(account.0)
                .bind(new.login.as_str())
                .bind(new.email.as_str())
                .bind(group)
                .bind(new.description.as_str())
                .bind(&new.password_hash)
                .bind(new.status.as_str())
                .bind(new.kind.as_str())
                .bind(now)
                .bind(now)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(taken(|| format!("user {login} already exists")))?;
                let row = user_row(&mut *tx, account, &new.login)
                    .await?
                    .ok_or_else(|| Error::internal("inserted user not found"))?;
                commit(tx).await?;
                Ok(row.into_user()?.0)
            }

            async fn user(&self, account: AccountId, login: &Login) -> Result<Option<User>> {
                Ok(self.user_with_password(account, login).await?.map(|(u, _)| u))
            }

            async fn user_by_id(&self, id: UserId) -> Result<Option<User>> {
                let sql = format!("{USER_SELECT} WHERE u.id = $1");
                sqlx::query_as::<_, UserRow>(AssertSqlSafe(sql))
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(internal)?
                    .map(|r| r.into_user().map(|(u, _)| u))
                    .transpose()
            }

            async fn user_with_password(
                &self,
                account: AccountId,
                login: &Login,
            ) -> Result<Option<(User, String)>> {
                user_row(&self.pool, account, login).await?.map(UserRow::into_user).transpose()
            }

            async fn list_users(&self, account: AccountId) -> Result<Vec<Login>> {
                let logins = sqlx::query_scalar::<_, String>(
                    "SELECT login FROM users WHERE account_id = $1 ORDER BY login",
                )
                .bind(account.0)
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?;
                logins.iter().map(|l| Login::parse(l)).collect()
            }

            async fn update_user(
                &self,
                account: AccountId,
                login: &Login,
                changes: UserChanges,
                now: DateTime<Utc>,
            ) -> Result<User> {
                let mut tx = self.begin().await?;
                let (mut user, mut password_hash) = user_row(&mut *tx, account, login)
                    .await?
                    .ok_or_else(|| Error::not_found(format!("user {login} does not exist")))?
                    .into_user()?;
                let group_id = match &changes.group {
                    Some(name) => Some(Self::group_id_in(&mut tx, account, name).await?.ok_or_else(
                        || Error::invalid(format!("group {name} does not exist")),
                    )?),
                    None => None,
                };
                if let Some(email) = changes.email {
                    user.email = email;
                }
                let new_login = changes.login.clone();
                if let Some(new) = &changes.login {
                    user.login = new.clone();
                }
                if let Some(description) = changes.description {
                    user.description = description;
                }
                if let Some(status) = changes.status {
                    user.status = status;
                }
                if let Some(hash) = changes.password_hash {
                    password_hash = hash;
                    user.password_updated_at = now;
                }
                user.updated_at = now;
                sqlx::query(
                    "UPDATE users SET email = $1, description = $2, status = $3, password_hash = $4, \
                     password_updated_at = $5, updated_at = $6, \
                     group_id = COALESCE($7, group_id), login = $9 WHERE id = $8",
                )
                .bind(user.email.as_str())
                .bind(user.description.as_str())
                .bind(user.status.as_str())
                .bind(&password_hash)
                .bind(micros(user.password_updated_at))
                .bind(micros(now))
                .bind(group_id)
                .bind(user.id.0)
                .bind(user.login.as_str())
                .execute(&mut *tx)
                .await
                .map_err(taken(|| format!("a user named {} already exists", user.login)))?;
                let row = user_row(&mut *tx, account, new_login.as_ref().unwrap_or(login))
                    .await?
                    .ok_or_else(|| Error::internal("updated user not found"))?;
                commit(tx).await?;
                Ok(row.into_user()?.0)
            }

            async fn delete_user(&self, account: AccountId, login: &Login) -> Result<Vec<TokenHash>> {
                let mut tx = self.begin().await?;
                let hashes = sqlx::query_scalar::<_, Vec<u8>>(
                    "SELECT p.secret_hash FROM pats p JOIN users u ON u.id = p.user_id \
                     WHERE u.account_id = $1 AND u.login = $2",
                )
                .bind(account.0)
                .bind(login.as_str())
                .fetch_all(&mut *tx)
                .await
                .map_err(internal)?;
                let done = sqlx::query("DELETE FROM users WHERE account_id = $1 AND login = $2")
                    .bind(account.0)
                    .bind(login.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                if done.rows_affected() == 0 {
                    return Err(Error::not_found(format!("user {login} does not exist")));
                }
                commit(tx).await?;
                hashes.iter().map(|h| TokenHash::from_slice(h)).collect()
            }

            async fn create_pat(&self, user: UserId, new: NewPat) -> Result<Pat> {
                let name = new.name.clone();
                let id = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO pats (user_id, name, description, secret_hash, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(user.0)
                .bind(new.name.as_str())
                .bind(new.description.as_str())
                .bind(new.hash.0.to_vec())
                .bind(micros(new.now))
                .bind(new.expires_at.map(micros))
                .fetch_one(&self.pool)
                .await
                .map_err(taken(|| format!("a token named {name} already exists for this user")))?;
                Ok(Pat {
                    id: PatId(id),
                    user_id: user,
                    name: new.name,
                    description: new.description,
                    created_at: crate::rows::time(micros(new.now))?,
                    expires_at: new.expires_at.map(micros).map(crate::rows::time).transpose()?,
                    last_used: None,
                })
            }

            async fn pat(&self, user: UserId, name: &TokenName) -> Result<Option<Pat>> {
                Ok(pat_record(&self.pool, user, name).await?.map(|record| record.pat))
            }

            async fn list_pats(&self, user: UserId) -> Result<Vec<TokenName>> {
                let names = sqlx::query_scalar::<_, String>(
                    "SELECT name FROM pats WHERE user_id = $1 ORDER BY name",
                )
                .bind(user.0)
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?;
                names.iter().map(|n| TokenName::parse(n)).collect()
            }

            async fn update_pat(
                &self,
                user: UserId,
                name: &TokenName,
                changes: PatChanges,
            ) -> Result<PatRecord> {
                let mut tx = self.begin().await?;
                let mut record = pat_record(&mut *tx, user, name).await?.ok_or_else(|| {
                    Error::not_found(format!("token {name} does not exist"))
                })?;
                if let Some(description) = changes.description {
                    record.pat.description = description;
                }
                if let Some(expires_at) = changes.expires_at {
                    record.pat.expires_at = expires_at;
                }
                sqlx::query("UPDATE pats SET description = $1, expires_at = $2 WHERE id = $3")
                    .bind(record.pat.description.as_str())
                    .bind(record.pat.expires_at.map(micros))
                    .bind(record.pat.id.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                let record = pat_record(&mut *tx, user, name)
                    .await?
                    .ok_or_else(|| Error::internal("updated token not found"))?;
                commit(tx).await?;
                Ok(record)
            }

            async fn delete_pat(&self, user: UserId, name: &TokenName) -> Result<TokenHash> {
                let hash = sqlx::query_scalar::<_, Vec<u8>>(
                    "DELETE FROM pats WHERE user_id = $1 AND name = $2 RETURNING secret_hash",
                )
                .bind(user.0)
                .bind(name.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(internal)?
                .ok_or_else(|| Error::not_found(format!("token {name} does not exist")))?;
                TokenHash::from_slice(&hash)
            }

            async fn pat_by_hash(&self, hash: &TokenHash) -> Result<Option<PatRecord>> {
                let sql = format!("{PAT_SELECT} WHERE p.secret_hash = $1");
                sqlx::query_as::<_, PatRow>(AssertSqlSafe(sql))
                    .bind(hash.0.to_vec())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(internal)?
                    .map(PatRecord::try_from)
                    .transpose()
            }

            async fn record_pat_usage(&self, uses: &[(PatId, DateTime<Utc>)]) -> Result<()> {
                let mut tx = self.begin().await?;
                for (id, at) in uses {
                    sqlx::query(
                        "UPDATE pats SET last_used = $1 \
                         WHERE id = $2 AND (last_used IS NULL OR last_used < $3)",
                    )
                    .bind(micros(*at))
                    .bind(id.0)
                    .bind(micros(*at))
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                }
                commit(tx).await
            }

            async fn create_service_account(
                &self,
                account: AccountId,
                new: NewServiceAccount,
            ) -> Result<ServiceAccount> {
                let client = new.client_id.clone();
                let row = sqlx::query_as::<_, ServiceAccountRow>(
                    "INSERT INTO service_accounts (account_id, client_id, name, description, flow, \
                     callback_urls, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     RETURNING id, account_id, client_id, name, description, flow, callback_urls, \
                     secret_hash, created_at",
                )
                .bind(account.0)
                .bind(new.client_id.as_str())
                .bind(new.name.as_str())
                .bind(new.description.as_str())
                .bind(new.flow.as_str())
                .bind(join_urls(&new.callback_urls))
                .bind(new.secret_hash.0.to_vec())
                .bind(micros(new.now))
                .fetch_one(&self.pool)
                .await
                .map_err(taken(|| format!("client id {client} is already taken")))?;
                Ok(row.into_parts()?.0)
            }

            async fn service_account(
                &self,
                account: AccountId,
                client: &ClientId,
            ) -> Result<Option<ServiceAccount>> {
                service_account_row(&self.pool, account, client).await
            }

            async fn list_service_accounts(&self, account: AccountId) -> Result<Vec<ClientId>> {
                let ids = sqlx::query_scalar::<_, String>(
                    "SELECT client_id FROM service_accounts WHERE account_id = $1 ORDER BY created_at, id",
                )
                .bind(account.0)
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?;
                ids.iter().map(|id| ClientId::parse(id)).collect()
            }

            async fn update_service_account(
                &self,
                account: AccountId,
                client: &ClientId,
                changes: ServiceAccountChanges,
            ) -> Result<ServiceAccount> {
                let mut tx = self.begin().await?;
                let mut sa = service_account_row(&mut *tx, account, client)
                    .await?
                    .ok_or_else(|| Error::not_found(format!("service account {client} does not exist")))?;
                if let Some(name) = changes.name {
                    sa.name = name;
                }
                if let Some(description) = changes.description {
                    sa.description = description;
                }
                if let Some(urls) = changes.callback_urls {
                    sa.callback_urls = urls;
                }
                sqlx::query(
                    "UPDATE service_accounts SET name = $1, description = $2, callback_urls = $3 \
                     WHERE id = $4",
                )
                .bind(sa.name.as_str())
                .bind(sa.description.as_str())
                .bind(join_urls(&sa.callback_urls))
                .bind(sa.id.0)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
                commit(tx).await?;
                Ok(sa)
            }

            async fn delete_service_account(&self, account: AccountId, client: &ClientId) -> Result<()> {
                let done = sqlx::query(
                    "DELETE FROM service_accounts WHERE account_id = $1 AND client_id = $2",
                )
                .bind(account.0)
                .bind(client.as_str())
                .execute(&self.pool)
                .await
                .map_err(internal)?;
                if done.rows_affected() == 0 {
                    return Err(Error::not_found(format!("service account {client} does not exist")));
                }
                Ok(())
            }

            async fn create_policy(&self, account: AccountId, new: NewPolicy) -> Result<Policy> {
                let d = &new.draft;
                let rules = RulesDocument::of(d);
                let row = sqlx::query_as::<_, PolicyRow>(
                    "INSERT INTO policies (id, account_id, name, description, rules, expired_at, \
                     read_only, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     RETURNING id, account_id, name, description, rules, expired_at, read_only, \
                     created_at, updated_at",
                )
                .bind(new.id.to_string())
                .bind(account.0)
                .bind(d.name.as_str())
                .bind(d.description.as_str())
                .bind(rules.to_json())
                .bind(d.expired_at.map(micros))
                .bind(new.read_only)
                .bind(micros(new.now))
                .bind(micros(new.now))
                .fetch_one(&self.pool)
                .await
                .map_err(taken(|| format!("a policy named {} already exists", d.name)))?;
                Policy::try_from(row)
            }

            async fn policy(&self, account: AccountId, id: PolicyId) -> Result<Option<Policy>> {
                let sql = format!("{POLICY_SELECT} WHERE account_id = $1 AND id = $2");
                sqlx::query_as::<_, PolicyRow>(AssertSqlSafe(sql))
                    .bind(account.0)
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(internal)?
                    .map(Policy::try_from)
                    .transpose()
            }

            async fn list_policies(&self, account: AccountId) -> Result<Vec<Policy>> {
                let sql = format!("{POLICY_SELECT} WHERE account_id = $1 ORDER BY created_at, id");
                sqlx::query_as::<_, PolicyRow>(AssertSqlSafe(sql))
                    .bind(account.0)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(internal)?
                    .into_iter()
                    .map(Policy::try_from)
                    .collect()
            }

            async fn all_policies(&self) -> Result<Vec<Policy>> {
                let sql = format!("{POLICY_SELECT} ORDER BY account_id, created_at, id");
                sqlx::query_as::<_, PolicyRow>(AssertSqlSafe(sql))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(internal)?
                    .into_iter()
                    .map(Policy::try_from)
                    .collect()
            }

            async fn replace_policy(
                &self,
                account: AccountId,
                id: PolicyId,
                draft: PolicyDraft,
                now: DateTime<Utc>,
            ) -> Result<Policy> {
                let rules = RulesDocument::of(&draft);
                let row = sqlx::query_as::<_, PolicyRow>(
                    "UPDATE policies SET name = $1, description = $2, rules = $3, expired_at = $4, \
                     updated_at = $5 WHERE account_id = $6 AND id = $7 \
                     RETURNING id, account_id, name, description, rules, expired_at, read_only, \
                     created_at, updated_at",
                )
                .bind(draft.name.as_str())
                .bind(draft.description.as_str())
                .bind(rules.to_json())
                .bind(draft.expired_at.map(micros))
                .bind(micros(now))
                .bind(account.0)
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(taken(|| format!("a policy named {} already exists", draft.name)))?
                .ok_or_else(|| Error::not_found(format!("policy {id} does not exist")))?;
                Policy::try_from(row)
            }

            async fn delete_policy(&self, account: AccountId, id: PolicyId) -> Result<()> {
                let done = sqlx::query("DELETE FROM policies WHERE account_id = $1 AND id = $2")
                    .bind(account.0)
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await
                    .map_err(internal)?;
                if done.rows_affected() == 0 {
                    return Err(Error::not_found(format!("policy {id} does not exist")));
                }
                Ok(())
            }

            async fn signing_keys(&self) -> Result<Vec<StoredKey>> {
                sqlx::query_as::<_, KeyRow>(
                    "SELECT kid, state, sealed_private, public_key, created_at, activated_at, \
                     verify_until FROM signing_keys ORDER BY CASE state WHEN 'RETIRED' THEN 0 \
                     WHEN 'PRIMARY' THEN 1 ELSE 2 END, created_at, kid",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?
                .into_iter()
                .map(StoredKey::try_from)
                .collect()
            }

            async fn init_signing_keys(&self, primary: StoredKey, staged: StoredKey) -> Result<bool> {
                let mut tx = self.begin().await?;
                let existing = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM signing_keys")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(internal)?;
                if existing > 0 {
                    return Ok(false);
                }
                for key in [&primary, &staged] {
                    match insert_key(&mut tx, key).await {
                        Ok(()) => {}
                        Err(Error::Conflict(_)) => return Ok(false),
                        Err(e) => return Err(e),
                    }
                }
                match commit(tx).await {
                    Ok(()) => Ok(true),
                    Err(_) if !self.signing_keys().await?.is_empty() => Ok(false),
                    Err(e) => Err(e),
                }
            }

            async fn rotate_signing_keys(
                &self,
                expected_primary: &str,
                verify_until: DateTime<Utc>,
                next_staged: StoredKey,
                now: DateTime<Utc>,
            ) -> Result<bool> {
                let mut tx = self.begin().await?;
                let retired = sqlx::query(
                    "UPDATE signing_keys SET state = $1, verify_until = $2 WHERE kid = $3 AND state = $4",
                )
                .bind(KeyState::Retired.as_str())
                .bind(micros(verify_until))
                .bind(expected_primary)
                .bind(KeyState::Primary.as_str())
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
                if retired.rows_affected() == 0 {
                    return Ok(false);
                }
                let promoted = sqlx::query(
                    "UPDATE signing_keys SET state = $1, activated_at = $2 WHERE state = $3",
                )
                .bind(KeyState::Primary.as_str())
                .bind(micros(now))
                .bind(KeyState::Staged.as_str())
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
                if promoted.rows_affected() != 1 {
                    return Err(Error::internal("no staged signing key to promote"));
                }
                insert_key(&mut tx, &next_staged).await?;
                sqlx::query("DELETE FROM signing_keys WHERE state = $1 AND verify_until <= $2")
                    .bind(KeyState::Retired.as_str())
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                commit(tx).await?;
                Ok(true)
            }

            async fn record_revocation(&self, event: &NewRevocation) -> Result<i64> {
                sqlx::query_scalar::<_, i64>(
                    "INSERT INTO revocation_events (kind, subject, account_id, identity, at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(event.kind.as_str())
                .bind(&event.subject)
                .bind(event.account.map(|a| a.0))
                .bind(&event.identity)
                .bind(micros(event.at))
                .fetch_one(&self.pool)
                .await
                .map_err(internal)
            }

            async fn revocations_since(&self, after: i64, limit: i64) -> Result<Vec<RevocationEvent>> {
                let rows = sqlx::query_as::<_, crate::rows::RevocationRow>(
                    "SELECT id, kind, subject, account_id, identity, at FROM revocation_events \
                     WHERE id > $1 ORDER BY id LIMIT $2",
                )
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?;
                rows.into_iter().map(crate::rows::RevocationRow::into_event).collect()
            }

            async fn account_revocations_since(
                &self,
                account: AccountId,
                after: i64,
                limit: i64,
            ) -> Result<Vec<RevocationEvent>> {
                let rows = sqlx::query_as::<_, crate::rows::RevocationRow>(
                    "SELECT id, kind, subject, account_id, identity, at FROM revocation_events \
                     WHERE (account_id = $1 OR account_id IS NULL) AND id > $2 ORDER BY id LIMIT $3",
                )
                .bind(account.0)
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?;
                rows.into_iter().map(crate::rows::RevocationRow::into_event).collect()
            }

            async fn last_revocation_id(&self) -> Result<i64> {
                sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM revocation_events")
                    .fetch_one(&self.pool)
                    .await
                    .map(|id| id.unwrap_or(0))
                    .map_err(internal)
            }

            async fn prune_revocations(&self, before: DateTime<Utc>) -> Result<()> {
                sqlx::query("DELETE FROM revocation_events WHERE at < $1")
                    .bind(micros(before))
                    .execute(&self.pool)
                    .await
                    .map_err(internal)?;
                Ok(())
            }

            async fn revoke_token(&self, jti: &str, expires_at: DateTime<Utc>) -> Result<()> {
                sqlx::query(
                    "INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) \
                     ON CONFLICT (jti) DO NOTHING",
                )
                .bind(jti)
                .bind(micros(expires_at))
                .execute(&self.pool)
                .await
                .map_err(internal)?;
                Ok(())
            }

            async fn revoked_tokens(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
                sqlx::query("DELETE FROM revoked_tokens WHERE expires_at <= $1")
                    .bind(micros(now))
                    .execute(&self.pool)
                    .await
                    .map_err(internal)?;
                sqlx::query_scalar::<_, String>("SELECT jti FROM revoked_tokens")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(internal)
            }

            async fn bootstrap_keystone(&self, b: &KeystoneBootstrap) -> Result<bool> {
                let mut tx = self.begin().await?;
                let first = sqlx::query(
                    "INSERT INTO ks_bootstrap (id, at) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                )
                .bind(micros(b.at))
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
                if first.rows_affected() == 0 {
                    return Ok(false);
                }
                for r in &b.roles {
                    insert_role(&mut *tx, r).await?;
                }
                for (prior, implied) in &b.implications {
                    insert_implied_role(&mut *tx, prior, implied).await?;
                }
                insert_region(&mut *tx, &b.region).await?;
                insert_service(&mut *tx, &b.service).await?;
                for e in &b.endpoints {
                    insert_endpoint(&mut *tx, e).await?;
                }
                if let Some((p, grants)) = &b.project {
                    insert_project(&mut *tx, p).await?;
                    for a in grants {
                        insert_grant(&mut *tx, p.account_id, a).await?;
                    }
                }
                tx.commit().await.map_err(internal)?;
                Ok(true)
            }

            async fn create_project(&self, p: &KsProject) -> Result<()> {
                insert_project(&self.pool, p).await
            }

            async fn update_project(&self, p: &KsProject) -> Result<()> {
                let done = sqlx::query(
                    "UPDATE ks_projects SET name = $1, description = $2, enabled = $3, tags = $6 \
                     WHERE account_id = $4 AND id = $5",
                )
                .bind(p.name.as_str())
                .bind(p.description.as_str())
                .bind(p.enabled)
                .bind(p.account_id.0)
                .bind(&p.id)
                .bind(tags_json(&p.tags)?)
                .execute(&self.pool)
                .await
                .map_err(taken(|| format!("a project named {} already exists", p.name.as_str())))?;
                affected(done.rows_affected(), || format!("project {} does not exist", p.id))
            }

            async fn delete_project(&self, account: AccountId, id: &str) -> Result<()> {
                let mut tx = self.begin().await?;
                sqlx::query(
                    "DELETE FROM ks_assignments WHERE account_id = $1 AND target IN ($2, $3)",
                )
                    .bind(account.0)
                    .bind(format!("project:{id}"))
                    .bind(format!("inherited:project:{id}"))
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                let done = sqlx::query("DELETE FROM ks_projects WHERE account_id = $1 AND id = $2")
                    .bind(account.0)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                affected(done.rows_affected(), || format!("project {id} does not exist"))?;
                tx.commit().await.map_err(internal)
            }

            async fn projects(&self, account: AccountId) -> Result<Vec<KsProject>> {
                sqlx::query_as::<_, ProjectRow>(
                    "SELECT id, account_id, name, description, enabled, created_at, parent_id, tags \
                     FROM ks_projects WHERE account_id = $1 ORDER BY name",
                )
                .bind(account.0)
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?
                .into_iter()
                .map(KsProject::try_from)
                .collect()
            }

            async fn create_role(&self, r: &KsRole) -> Result<()> {
                insert_role(&self.pool, r).await
            }

            async fn update_role(&self, r: &KsRole) -> Result<()> {
                let done = sqlx::query("UPDATE ks_roles SET name = $1, description = $2 WHERE id = $3")
                    .bind(r.name.as_str())
                    .bind(r.description.as_str())
                    .bind(&r.id)
                    .execute(&self.pool)
                    .await
                    .map_err(taken(|| format!("a role named {} already exists", r.name.as_str())))?;
                affected(done.rows_affected(), || format!("role {} does not exist", r.id))
            }

            async fn delete_role(&self, id: &str) -> Result<()> {
                let done = sqlx::query("DELETE FROM ks_roles WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(internal)?;
                affected(done.rows_affected(), || format!("role {id} does not exist"))
            }

            async fn roles(&self) -> Result<Vec<KsRole>> {
                sqlx::query_as::<_, RoleRow>("SELECT id, name, description, domain_id FROM ks_roles ORDER BY name")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(internal)?
                    .into_iter()
                    .map(KsRole::try_from)
                    .collect()
            }

            async fn create_implied_role(&self, prior: &str, implied: &str) -> Result<()> {
                insert_implied_role(&self.pool, prior, implied).await
            }

            async fn delete_implied_role(&self, prior: &str, implied: &str) -> Result<()> {
                let done = sqlx::query(
                    "DELETE FROM ks_implied_roles WHERE prior_id = $1 AND implied_id = $2",
                )
                .bind(prior)
                .bind(implied)
                .execute(&self.pool)
                .await
                .map_err(internal)?;
                affected(done.rows_affected(), || format!("role {prior} does not imply {implied}"))
            }

            async fn implied_roles(&self) -> Result<Vec<(String, String)>> {
                sqlx::query_as::<_, (String, String)>(
                    "SELECT prior_id, implied_id FROM ks_implied_roles ORDER BY prior_id, implied_id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(internal)
            }

            async fn grant_role(&self, account: AccountId, a: &Assignment) -> Result<()> {
                insert_grant(&self.pool, account, a).await
            }

            async fn revoke_role(&self, account: AccountId, a: &Assignment) -> Result<()> {
                let done = sqlx::query(
                    "DELETE FROM ks_assignments WHERE account_id = $1 AND actor = $2 \
                     AND target = $3 AND role_id = $4",
                )
                .bind(account.0)
                .bind(a.actor.key())
                .bind(a.target.key())
                .bind(&a.role_id)
                .execute(&self.pool)
                .await
                .map_err(internal)?;
                affected(done.rows_affected(), || "the role is not granted there".to_owned())
            }

            async fn revoke_actor_roles(&self, account: AccountId, actor: &KsActor) -> Result<()> {
                // A user's id is the installation's: its grants on other domains go too.
                let everywhere = matches!(actor, KsActor::User(_));
                sqlx::query(
                    "DELETE FROM ks_assignments WHERE actor = $2 AND (account_id = $1 OR $3)",
                )
                .bind(account.0)
                .bind(actor.key())
                .bind(everywhere)
                .execute(&self.pool)
                .await
                .map_err(internal)?;
                Ok(())
            }

            async fn accounts_granting(&self, actor: &KsActor) -> Result<Vec<AccountId>> {
                Ok(sqlx::query_scalar::<_, i64>(
                    "SELECT DISTINCT account_id FROM ks_assignments WHERE actor = $1 \
                     ORDER BY account_id",
                )
                .bind(actor.key())
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?
                .into_iter()
                .map(AccountId)
                .collect())
            }

            async fn add_membership(&self, group: GroupId, user: UserId) -> Result<()> {
                sqlx::query(
                    "INSERT INTO ks_memberships (group_id, user_id) VALUES ($1, $2) \
                     ON CONFLICT (group_id, user_id) DO NOTHING",
                )
                .bind(group.0)
                .bind(user.0)
                .execute(&self.pool)
                .await
                .map_err(missing(|| "the group or the user does not exist".to_owned()))?;
                Ok(())
            }

            async fn remove_membership(&self, group: GroupId, user: UserId) -> Result<bool> {
                let done = sqlx::query(
                    "DELETE FROM ks_memberships WHERE group_id = $1 AND user_id = $2",
                )
                .bind(group.0)
                .bind(user.0)
                .execute(&self.pool)
                .await
                .map_err(internal)?;
                Ok(done.rows_affected() > 0)
            }

            async fn memberships_in(&self, account: AccountId) -> Result<Vec<Membership>> {
                sqlx::query_as::<_, (i64, String, String)>(
                    "SELECT m.user_id, g.name, g.role FROM ks_memberships m \
                     JOIN user_groups g ON g.id = m.group_id WHERE g.account_id = $1 \
                     ORDER BY m.user_id, g.name",
                )
                .bind(account.0)
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?
                .into_iter()
                .map(|(user, group, role)| {
                    Ok(Membership {
                        user: UserId(user),
                        group: GroupName::parse(&group).map_err(|e| corrupt("group name", e))?,
                        role: role.parse().map_err(|e| corrupt("role", e))?,
                    })
                })
                .collect()
            }

            async fn memberships_of(&self, user: UserId) -> Result<Vec<Group>> {
                let sql = format!(
                    "{GROUP_SELECT} WHERE id IN (SELECT group_id FROM ks_memberships \
                     WHERE user_id = $1) ORDER BY account_id, name"
                );
                sqlx::query_as::<_, GroupRow>(AssertSqlSafe(sql))
                    .bind(user.0)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(internal)?
                    .into_iter()
                    .map(Group::try_from)
                    .collect()
            }

            async fn assignments(&self, account: AccountId) -> Result<Vec<Assignment>> {
                sqlx::query_as::<_, (String, String, String)>(
                    "SELECT actor, target, role_id FROM ks_assignments WHERE account_id = $1 \
                     ORDER BY actor, target, role_id",
                )
                .bind(account.0)
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?
                .into_iter()
                .map(|(actor, target, role_id)| {
                    Ok(Assignment {
                        actor: KsActor::parse(&actor)?,
                        target: KsTarget::parse(&target)?,
                        role_id,
                    })
                })
                .collect()
            }

            async fn create_region(&self, r: &Region) -> Result<()> {
                insert_region(&self.pool, r).await
            }

            async fn update_region(&self, r: &Region) -> Result<()> {
                let done = sqlx::query(
                    "UPDATE ks_regions SET description = $1, parent_region_id = $2 WHERE id = $3",
                )
                .bind(r.description.as_str())
                .bind(r.parent_region_id.as_deref())
                .bind(&r.id)
                .execute(&self.pool)
                .await
                .map_err(missing(|| "the parent region does not exist".to_owned()))?;
                affected(done.rows_affected(), || format!("region {} does not exist", r.id))
            }

            async fn delete_region(&self, id: &str) -> Result<()> {
                let done = sqlx::query("DELETE FROM ks_regions WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(in_use(|| format!("region {id} is still used by endpoints or regions")))?;
                affected(done.rows_affected(), || format!("region {id} does not exist"))
            }

            async fn regions(&self) -> Result<Vec<Region>> {
                sqlx::query_as::<_, (String, String, Option<String>)>(
                    "SELECT id, description, parent_region_id FROM ks_regions ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?
                .into_iter()
                .map(|(id, description, parent_region_id)| {
                    Ok(Region {
                        id,
                        description: description_of(&description)?,
                        parent_region_id,
                    })
                })
                .collect()
            }

            async fn create_service(&self, v: &KsService) -> Result<()> {
                insert_service(&self.pool, v).await
            }

            async fn update_service(&self, v: &KsService) -> Result<()> {
                let done = sqlx::query(
                    "UPDATE ks_services SET kind = $1, name = $2, description = $3, enabled = $4 \
                     WHERE id = $5",
                )
                .bind(&v.kind)
                .bind(&v.name)
                .bind(v.description.as_str())
                .bind(v.enabled)
                .bind(&v.id)
                .execute(&self.pool)
                .await
                .map_err(internal)?;
                affected(done.rows_affected(), || format!("service {} does not exist", v.id))
            }

            async fn delete_service(&self, id: &str) -> Result<()> {
                let done = sqlx::query("DELETE FROM ks_services WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(internal)?;
                affected(done.rows_affected(), || format!("service {id} does not exist"))
            }

            async fn services(&self) -> Result<Vec<KsService>> {
                sqlx::query_as::<_, (String, String, String, String, bool)>(
                    "SELECT id, kind, name, description, enabled FROM ks_services ORDER BY kind, name, id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?
                .into_iter()
                .map(|(id, kind, name, description, enabled)| {
                    Ok(KsService {
                        id,
                        kind,
                        name,
                        description: description_of(&description)?,
                        enabled,
                    })
                })
                .collect()
            }

            async fn create_endpoint(&self, e: &Endpoint) -> Result<()> {
                insert_endpoint(&self.pool, e).await
            }

            async fn update_endpoint(&self, e: &Endpoint) -> Result<()> {
                let done = sqlx::query(
                    "UPDATE ks_endpoints SET service_id = $1, region_id = $2, interface = $3, \
                     url = $4, enabled = $5 WHERE id = $6",
                )
                .bind(&e.service_id)
                .bind(e.region_id.as_deref())
                .bind(e.interface.as_str())
                .bind(&e.url)
                .bind(e.enabled)
                .bind(&e.id)
                .execute(&self.pool)
                .await
                .map_err(missing(|| "the endpoint's service or region does not exist".to_owned()))?;
                affected(done.rows_affected(), || format!("endpoint {} does not exist", e.id))
            }

            async fn delete_endpoint(&self, id: &str) -> Result<()> {
                let done = sqlx::query("DELETE FROM ks_endpoints WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(internal)?;
                affected(done.rows_affected(), || format!("endpoint {id} does not exist"))
            }

            async fn endpoints(&self) -> Result<Vec<Endpoint>> {
                sqlx::query_as::<_, (String, String, Option<String>, String, String, bool)>(
                    "SELECT id, service_id, region_id, interface, url, enabled FROM ks_endpoints \
                     ORDER BY service_id, interface, id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?
                .into_iter()
                .map(|(id, service_id, region_id, interface, url, enabled)| {
                    Ok(Endpoint {
                        id,
                        service_id,
                        region_id,
                        interface: Interface::parse(&interface)
                            .map_err(|e| Error::internal(format!("stored interface: {e}")))?,
                        url,
                        enabled,
                    })
                })
                .collect()
            }

            async fn count_token_issue(
                &self,
                identity: &str,
                window_start: DateTime<Utc>,
                limit: u32,
            ) -> Result<bool> {
                let counted = sqlx::query_scalar::<_, i32>(
                    "INSERT INTO ks_issue_windows (identity, window_start, count) VALUES ($1, $2, 1) \
                     ON CONFLICT (identity, window_start) DO UPDATE \
                     SET count = ks_issue_windows.count + 1 WHERE ks_issue_windows.count < $3 \
                     RETURNING count",
                )
                .bind(identity)
                .bind(micros(window_start))
                .bind(i32::try_from(limit).unwrap_or(i32::MAX))
                .fetch_optional(&self.pool)
                .await
                .map_err(internal)?;
                Ok(counted.is_some())
            }

            async fn prune_token_issues(&self, before: DateTime<Utc>) -> Result<()> {
                sqlx::query("DELETE FROM ks_issue_windows WHERE window_start < $1")
                    .bind(micros(before))
                    .execute(&self.pool)
                    .await
                    .map_err(internal)?;
                Ok(())
            }

            async fn user_attributes(
                &self,
                user: UserId,
            ) -> Result<latchkey_core::keystone::UserAttributes> {
                let row = sqlx::query_as::<_, (Option<String>, String)>(
                    "SELECT default_project_id, extra FROM ks_user_attributes WHERE user_id = $1",
                )
                .bind(user.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(internal)?;
                let Some((default_project, extra)) = row else {
                    return Ok(latchkey_core::keystone::UserAttributes::default());
                };
                match serde_json::from_str(&extra) {
                    Ok(serde_json::Value::Object(extra)) => {
                        Ok(latchkey_core::keystone::UserAttributes {
                            default_project,
                            extra,
                        })
                    }
                    _ => Err(Error::internal("stored user attributes are not an object")),
                }
            }

            async fn set_user_attributes(
                &self,
                user: UserId,
                attributes: &latchkey_core::keystone::UserAttributes,
            ) -> Result<()> {
                let extra = serde_json::Value::Object(attributes.extra.clone()).to_string();
                sqlx::query(
                    "INSERT INTO ks_user_attributes (user_id, default_project_id, extra) \
                     VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE \
                     SET default_project_id = $2, extra = $3",
                )
                .bind(user.0)
                .bind(attributes.default_project.as_deref())
                .bind(extra)
                .execute(&self.pool)
                .await
                .map_err(missing(|| format!("user {} does not exist", user.0)))?;
                Ok(())
            }

            async fn create_app_credential(
                &self,
                c: &latchkey_core::keystone::StoredAppCredential,
                new_rules: &[latchkey_core::keystone::AccessRule],
            ) -> Result<()> {
                let mut tx = self.begin().await?;
                for r in new_rules {
                    sqlx::query(
                        "INSERT INTO ks_access_rules (id, user_id, service, path, method) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&r.id)
                    .bind(c.user_id.0)
                    .bind(&r.service)
                    .bind(&r.path)
                    .bind(&r.method)
                    .execute(&mut *tx)
                    .await
                    .map_err(taken(|| "the access rule already exists".to_owned()))?;
                }
                sqlx::query(
                    "INSERT INTO ks_app_credentials (id, user_id, name, secret_hash, body, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&c.id)
                .bind(c.user_id.0)
                .bind(&c.name)
                .bind(c.secret_hash.0.to_vec())
                .bind(&c.body)
                .bind(micros(c.created_at))
                .execute(&mut *tx)
                .await
                .map_err(taken(|| format!("an application credential named {} already exists", c.name)))?;
                commit(tx).await
            }

            async fn app_credential(&self, id: &str) -> Result<Option<latchkey_core::keystone::StoredAppCredential>> {
                sqlx::query_as::<_, AppCredentialRow>(
                    "SELECT id, user_id, name, secret_hash, body, created_at FROM ks_app_credentials \
                     WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(internal)?
                .map(TryInto::try_into)
                .transpose()
            }

            async fn app_credentials(&self, user: UserId) -> Result<Vec<latchkey_core::keystone::StoredAppCredential>> {
                sqlx::query_as::<_, AppCredentialRow>(
                    "SELECT id, user_id, name, secret_hash, body, created_at FROM ks_app_credentials \
                     WHERE user_id = $1 ORDER BY created_at, id",
                )
                .bind(user.0)
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?
                .into_iter()
                .map(TryInto::try_into)
                .collect()
            }

            async fn delete_app_credential(&self, user: UserId, id: &str) -> Result<()> {
                let done = sqlx::query("DELETE FROM ks_app_credentials WHERE user_id = $1 AND id = $2")
                    .bind(user.0)
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(internal)?;
                affected(done.rows_affected(), || format!("application credential {id} does not exist"))
            }

            async fn access_rules(&self, user: UserId) -> Result<Vec<latchkey_core::keystone::AccessRule>> {
                let rows = sqlx::query_as::<_, (String, String, String, String)>(
                    "SELECT id, service, path, method FROM ks_access_rules WHERE user_id = $1 ORDER BY id",
                )
                .bind(user.0)
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?;
                Ok(rows
                    .into_iter()
                    .map(|(id, service, path, method)| latchkey_core::keystone::AccessRule {
                        id,
                        service,
                        path,
                        method,
                    })
                    .collect())
            }

            async fn delete_access_rule(&self, user: UserId, id: &str) -> Result<()> {
                let done = sqlx::query("DELETE FROM ks_access_rules WHERE user_id = $1 AND id = $2")
                    .bind(user.0)
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(internal)?;
                affected(done.rows_affected(), || format!("access rule {id} does not exist"))
            }

            async fn create_document(
                &self,
                kind: &str,
                id: &str,
                body: &str,
                now: DateTime<Utc>,
            ) -> Result<()> {
                sqlx::query("INSERT INTO ks_documents (kind, id, body, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(kind)
                    .bind(id)
                    .bind(body)
                    .bind(micros(now))
                    .execute(&self.pool)
                    .await
                    .map_err(taken(|| format!("a {kind} with id {id} already exists")))?;
                Ok(())
            }

            async fn replace_document(&self, kind: &str, id: &str, body: &str) -> Result<()> {
                let done = sqlx::query("UPDATE ks_documents SET body = $1 WHERE kind = $2 AND id = $3")
                    .bind(body)
                    .bind(kind)
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(internal)?;
                affected(done.rows_affected(), || format!("{kind} {id} does not exist"))
            }

            async fn document(&self, kind: &str, id: &str) -> Result<Option<String>> {
                sqlx::query_scalar::<_, String>("SELECT body FROM ks_documents WHERE kind = $1 AND id = $2")
                    .bind(kind)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(internal)
            }

            async fn documents(&self, kind: &str) -> Result<Vec<String>> {
                sqlx::query_scalar::<_, String>(
                    "SELECT body FROM ks_documents WHERE kind = $1 ORDER BY created_at, id",
                )
                .bind(kind)
                .fetch_all(&self.pool)
                .await
                .map_err(internal)
            }

            async fn delete_document(&self, kind: &str, id: &str) -> Result<()> {
                let done = sqlx::query("DELETE FROM ks_documents WHERE kind = $1 AND id = $2")
                    .bind(kind)
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(internal)?;
                affected(done.rows_affected(), || format!("{kind} {id} does not exist"))
            }

            async fn group_account(&self, id: GroupId) -> Result<Option<AccountId>> {
                sqlx::query_scalar::<_, i64>("SELECT account_id FROM user_groups WHERE id = $1")
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await
                    .map(|a| a.map(AccountId))
                    .map_err(internal)
            }

            async fn project_account(&self, id: &str) -> Result<Option<AccountId>> {
                sqlx::query_scalar::<_, i64>("SELECT account_id FROM ks_projects WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map(|a| a.map(AccountId))
                    .map_err(internal)
            }

            async fn group_by_id(&self, account: AccountId, id: GroupId) -> Result<Option<Group>> {
                let sql = format!("{GROUP_SELECT} WHERE account_id = $1 AND id = $2");
                sqlx::query_as::<_, GroupRow>(AssertSqlSafe(sql))
                    .bind(account.0)
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(internal)?
                    .map(Group::try_from)
                    .transpose()
            }

            async fn service_account_credentials(
                &self,
                client: &ClientId,
            ) -> Result<Option<(ServiceAccount, TokenHash)>> {
                let sql = format!("{SERVICE_ACCOUNT_SELECT} WHERE client_id = $1");
                sqlx::query_as::<_, ServiceAccountRow>(AssertSqlSafe(sql))
                    .bind(client.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(internal)?
                    .map(ServiceAccountRow::into_parts)
                    .transpose()
            }
        }
    };
}

pub(crate) use impl_store;
