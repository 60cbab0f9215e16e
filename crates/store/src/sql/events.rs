//! The events part of the store contract (see `mod.rs`).

use super::*;

#[async_trait]
impl EventReads for Backend {
    async fn watch_commits(&self) -> Result<Option<tokio::sync::watch::Receiver<i64>>> {
        super::super::watch_commits(self.db()?).await
    }

    async fn revocations_since(&self, after: i64, limit: i64) -> Result<Vec<RevocationEvent>> {
        let rows = sqlx::query_as::<_, crate::rows::RevocationRow>(
            "SELECT id, kind, subject, account_id, identity, at FROM revocation_events \
             WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(self.db()?)
        .await
        .map_err(internal)?;
        rows.into_iter()
            .map(crate::rows::RevocationRow::into_event)
            .collect()
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
        .fetch_all(self.db()?)
        .await
        .map_err(internal)?;
        rows.into_iter()
            .map(crate::rows::RevocationRow::into_event)
            .collect()
    }

    async fn last_revocation_id(&self) -> Result<i64> {
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM revocation_events")
            .fetch_one(self.db()?)
            .await
            .map(|id| id.unwrap_or(0))
            .map_err(internal)
    }

    async fn prune_revocations(&self, before: DateTime<Utc>) -> Result<()> {
        sqlx::query("DELETE FROM revocation_events WHERE at < $1")
            .bind(micros(before))
            .execute(self.db()?)
            .await
            .map_err(internal)?;
        Ok(())
    }

    async fn revoked_tokens(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        sqlx::query("DELETE FROM revoked_tokens WHERE expires_at <= $1")
            .bind(micros(now))
            .execute(self.db()?)
            .await
            .map_err(internal)?;
        sqlx::query_scalar::<_, String>("SELECT jti FROM revoked_tokens")
            .fetch_all(self.db()?)
            .await
            .map_err(internal)
    }
}

#[async_trait]
impl EventWrites for SqlTransaction {
    async fn revoke_token(&mut self, jti: &str, expires_at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) \
             ON CONFLICT (jti) DO NOTHING",
        )
        .bind(jti)
        .bind(micros(expires_at))
        .execute(&mut *self.tx)
        .await
        .map_err(internal)?;
        Ok(())
    }
}
