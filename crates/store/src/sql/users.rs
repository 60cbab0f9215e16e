//! The users part of the store contract (see `mod.rs`).

use super::*;

#[async_trait]
impl UserReads for Backend {
    async fn group(&self, account: AccountId, name: &GroupName) -> Result<Option<Group>> {
        group_row(self.db()?, account, name).await
    }

    async fn list_groups(&self, account: AccountId) -> Result<Vec<GroupName>> {
        let names = sqlx::query_scalar::<_, String>(
            "SELECT name FROM user_groups WHERE account_id = $1 ORDER BY name",
        )
        .bind(account.0)
        .fetch_all(self.db()?)
        .await
        .map_err(internal)?;
        names.iter().map(|n| GroupName::parse(n)).collect()
    }

    async fn groups_of(&self, account: AccountId) -> Result<Vec<Group>> {
        let sql = format!("{GROUP_SELECT} WHERE account_id = $1 ORDER BY name");
        sqlx::query_as::<_, GroupRow>(AssertSqlSafe(sql))
            .bind(account.0)
            .fetch_all(self.db()?)
            .await
            .map_err(internal)?
            .into_iter()
            .map(Group::try_from)
            .collect()
    }

    async fn user(&self, account: AccountId, login: &Login) -> Result<Option<User>> {
        Ok(self
            .user_with_password(account, login)
            .await?
            .map(|(u, _)| u))
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>> {
        let sql = format!("{USER_SELECT} WHERE u.id = $1");
        sqlx::query_as::<_, UserRow>(AssertSqlSafe(sql))
            .bind(id.0)
            .fetch_optional(self.db()?)
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
        user_row(self.db()?, account, login)
            .await?
            .map(UserRow::into_user)
            .transpose()
    }

    async fn list_users(&self, account: AccountId) -> Result<Vec<Login>> {
        let logins = sqlx::query_scalar::<_, String>(
            "SELECT login FROM users WHERE account_id = $1 ORDER BY login",
        )
        .bind(account.0)
        .fetch_all(self.db()?)
        .await
        .map_err(internal)?;
        logins.iter().map(|l| Login::parse(l)).collect()
    }

    async fn users_page(&self, account: AccountId, page: &Page) -> Result<(Vec<User>, u64)> {
        // Without a filter, both reads walk the (account_id, login) index: the first page of an
        // account of 10,000 users reads 50 rows, not 10,000.
        let filtered = !page.filter.is_empty();
        let matching = if filtered {
            "AND LOWER(u.login) LIKE $2 ESCAPE '\\'"
        } else {
            "AND $2 = ''"
        };
        let pattern = if filtered {
            page.like_pattern()
        } else {
            String::new()
        };
        let db = self.db()?;
        let count = format!("SELECT COUNT(*) FROM users u WHERE u.account_id = $1 {matching}");
        let total = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count))
            .bind(account.0)
            .bind(&pattern)
            .fetch_one(db)
            .await
            .map_err(internal)?;
        let sql = format!(
            "{USER_SELECT} WHERE u.account_id = $1 {matching} ORDER BY u.login LIMIT $3 OFFSET $4"
        );
        let users = sqlx::query_as::<_, UserRow>(AssertSqlSafe(sql))
            .bind(account.0)
            .bind(&pattern)
            .bind(i64::from(page.limit))
            .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .fetch_all(db)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|r| r.into_user().map(|(u, _)| u))
            .collect::<Result<Vec<_>>>()?;
        Ok((users, u64::try_from(total).unwrap_or_default()))
    }

    async fn group_account(&self, id: GroupId) -> Result<Option<AccountId>> {
        sqlx::query_scalar::<_, i64>("SELECT account_id FROM user_groups WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.db()?)
            .await
            .map(|a| a.map(AccountId))
            .map_err(internal)
    }

    async fn group_by_id(&self, account: AccountId, id: GroupId) -> Result<Option<Group>> {
        let sql = format!("{GROUP_SELECT} WHERE account_id = $1 AND id = $2");
        sqlx::query_as::<_, GroupRow>(AssertSqlSafe(sql))
            .bind(account.0)
            .bind(id.0)
            .fetch_optional(self.db()?)
            .await
            .map_err(internal)?
            .map(Group::try_from)
            .transpose()
    }
}

#[async_trait]
impl UserWrites for SqlTransaction {
    async fn create_group(&mut self, account: AccountId, new: NewGroup) -> Result<Group> {
        let now = micros(new.now);
        let name = new.name.clone();
        sqlx::query_as::<_, GroupRow>(
            "INSERT INTO user_groups \
             (id, account_id, name, role, description, default_group, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, FALSE, $6, $7) \
             RETURNING id, account_id, name, role, description, default_group, created_at, updated_at",
        )
        .bind(super::random_key())
        .bind(account.0)
        .bind(new.name.as_str())
        .bind(new.role.as_str())
        .bind(new.description.as_str())
        .bind(now)
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(taken(|| format!("group {name} already exists")))
        .and_then(Group::try_from)
    }

    async fn update_group(
        &mut self,
        account: AccountId,
        name: &GroupName,
        changes: GroupChanges,
        now: DateTime<Utc>,
    ) -> Result<Group> {
        let mut group = group_row(&mut *self.tx, account, name)
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
        .execute(&mut *self.tx)
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
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        }
        Ok(group)
    }

    async fn delete_group(&mut self, account: AccountId, name: &GroupName) -> Result<()> {
        let id = group_id_in(&mut self.tx, account, name)
            .await?
            .ok_or_else(|| Error::not_found(format!("group {name} does not exist")))?;
        let members =
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users WHERE group_id = $1")
                .bind(id)
                .fetch_one(&mut *self.tx)
                .await
                .map_err(internal)?;
        if members > 0 {
            return Err(Error::conflict(format!(
                "group {name} still has {members} member(s); move them to another group first"
            )));
        }
        sqlx::query("DELETE FROM user_groups WHERE id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(in_use(|| format!("group {name} still has members")))?;
        Ok(())
    }

    async fn create_user(&mut self, account: AccountId, new: NewUser) -> Result<User> {
        let group = group_id_in(&mut self.tx, account, &new.group)
            .await?
            .ok_or_else(|| Error::invalid(format!("group {} does not exist", new.group)))?;
        let now = micros(new.now);
        let login = new.login.clone();
        sqlx::query(
            "INSERT INTO users (id, account_id, login, email, group_id, description, \
             password_hash, status, kind, created_at, updated_at, password_updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(super::random_key())
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
        .execute(&mut *self.tx)
        .await
        .map_err(taken(|| format!("user {login} already exists")))?;
        let row = user_row(&mut *self.tx, account, &new.login)
            .await?
            .ok_or_else(|| Error::internal("inserted user not found"))?;
        Ok(row.into_user()?.0)
    }

    async fn update_user(
        &mut self,
        account: AccountId,
        login: &Login,
        changes: UserChanges,
        now: DateTime<Utc>,
    ) -> Result<User> {
        let (mut user, mut password_hash) = user_row(&mut *self.tx, account, login)
            .await?
            .ok_or_else(|| Error::not_found(format!("user {login} does not exist")))?
            .into_user()?;
        let group_id = match &changes.group {
            Some(name) => Some(
                group_id_in(&mut self.tx, account, name)
                    .await?
                    .ok_or_else(|| Error::invalid(format!("group {name} does not exist")))?,
            ),
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
        .execute(&mut *self.tx)
        .await
        .map_err(taken(|| {
            format!("a user named {} already exists", user.login)
        }))?;
        let row = user_row(&mut *self.tx, account, new_login.as_ref().unwrap_or(login))
            .await?
            .ok_or_else(|| Error::internal("updated user not found"))?;
        Ok(row.into_user()?.0)
    }

    async fn delete_user(&mut self, account: AccountId, login: &Login) -> Result<Vec<TokenHash>> {
        let hashes = sqlx::query_scalar::<_, Vec<u8>>(
            "SELECT p.secret_hash FROM pats p JOIN users u ON u.id = p.user_id \
             WHERE u.account_id = $1 AND u.login = $2",
        )
        .bind(account.0)
        .bind(login.as_str())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(internal)?;
        let done = sqlx::query("DELETE FROM users WHERE account_id = $1 AND login = $2")
            .bind(account.0)
            .bind(login.as_str())
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        if done.rows_affected() == 0 {
            return Err(Error::not_found(format!("user {login} does not exist")));
        }
        hashes.iter().map(|h| TokenHash::from_slice(h)).collect()
    }
}
