//! What the store keeps for Keystone beside users (attributes, application credentials), its
//! documents, and the lookups by store key, in the SQL both backends accept: methods of `impl
//! Store`, handed on to the next part (see [`super::impl_store!`]).

macro_rules! keystone_user_methods {
    ([$next:ident $(, $rest:ident)*] $store:ident, $shared:literal, { $($methods:tt)* }) => {
        $next! { [$($rest),*] $store, $shared, { $($methods)*

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

        } }
    };
}

pub(crate) use keystone_user_methods;
