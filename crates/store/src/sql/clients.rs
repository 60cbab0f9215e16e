//! The clients part of the store contract (see `mod.rs`).

use super::*;

#[async_trait]
impl ClientReads for Backend {
    async fn service_account(
        &self,
        account: AccountId,
        client: &ClientId,
    ) -> Result<Option<ServiceAccount>> {
        service_account_row(self.db()?, account, client).await
    }

    async fn list_service_accounts(&self, account: AccountId) -> Result<Vec<ClientId>> {
        let ids = sqlx::query_scalar::<_, String>(
            "SELECT client_id FROM service_accounts WHERE account_id = $1 ORDER BY created_at, id",
        )
        .bind(account.0)
        .fetch_all(self.db()?)
        .await
        .map_err(internal)?;
        ids.iter().map(|id| ClientId::parse(id)).collect()
    }

    async fn service_accounts_of(&self, account: AccountId) -> Result<Vec<ServiceAccount>> {
        let sql = format!("{SERVICE_ACCOUNT_SELECT} WHERE account_id = $1 ORDER BY created_at, id");
        sqlx::query_as::<_, ServiceAccountRow>(AssertSqlSafe(sql))
            .bind(account.0)
            .fetch_all(self.db()?)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|row| row.into_parts().map(|(sa, _)| sa))
            .collect()
    }

    async fn service_account_credentials(
        &self,
        client: &ClientId,
    ) -> Result<Option<(ServiceAccount, TokenHash)>> {
        let sql = format!("{SERVICE_ACCOUNT_SELECT} WHERE client_id = $1");
        sqlx::query_as::<_, ServiceAccountRow>(AssertSqlSafe(sql))
            .bind(client.as_str())
            .fetch_optional(self.db()?)
            .await
            .map_err(internal)?
            .map(ServiceAccountRow::into_parts)
            .transpose()
    }
}

#[async_trait]
impl ClientWrites for SqlTransaction {
    async fn create_service_account(
        &mut self,
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
        .fetch_one(&mut *self.tx)
        .await
        .map_err(taken(|| format!("client id {client} is already taken")))?;
        Ok(row.into_parts()?.0)
    }

    async fn update_service_account(
        &mut self,
        account: AccountId,
        client: &ClientId,
        changes: ServiceAccountChanges,
    ) -> Result<ServiceAccount> {
        let mut sa = service_account_row(&mut *self.tx, account, client)
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
        .execute(&mut *self.tx)
        .await
        .map_err(internal)?;
        Ok(sa)
    }

    async fn delete_service_account(
        &mut self,
        account: AccountId,
        client: &ClientId,
    ) -> Result<()> {
        let done =
            sqlx::query("DELETE FROM service_accounts WHERE account_id = $1 AND client_id = $2")
                .bind(account.0)
                .bind(client.as_str())
                .execute(&mut *self.tx)
                .await
                .map_err(internal)?;
        if done.rows_affected() == 0 {
            return Err(Error::not_found(format!(
                "service account {client} does not exist"
            )));
        }
        Ok(())
    }
}
