//! The store's local users and their personal access tokens, in the SQL both backends accept:
//! methods of `impl Store`, handed on to the next part (see [`super::impl_store!`]).

macro_rules! user_methods {
    ([$next:ident $(, $rest:ident)*] $store:ident, $shared:literal, { $($methods:tt)* }) => {
        $next! { [$($rest),*] $store, $shared, { $($methods)*

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

        } }
    };
}

pub(crate) use user_methods;
