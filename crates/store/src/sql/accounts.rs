//! The store's accounts and their groups, in the SQL both backends accept: methods of `impl Store`,
//! handed on to the next part (see [`super::impl_store!`]).

macro_rules! account_methods {
    ([$next:ident $(, $rest:ident)*] $store:ident, $shared:literal, { $($methods:tt)* }) => {
        $next! { [$($rest),*] $store, $shared, { $($methods)*

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

        } }
    };
}

pub(crate) use account_methods;
