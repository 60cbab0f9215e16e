//! The store's service accounts and IAM policies, in the SQL both backends accept: methods of `impl
//! Store`, handed on to the next part (see [`super::impl_store!`]).

macro_rules! client_methods {
    ([$next:ident $(, $rest:ident)*] $store:ident, $shared:literal, { $($methods:tt)* }) => {
        $next! { [$($rest),*] $store, $shared, { $($methods)*

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

        } }
    };
}

pub(crate) use client_methods;
