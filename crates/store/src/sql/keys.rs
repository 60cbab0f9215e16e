//! The keys part of the store contract (see `mod.rs`).

use super::*;

#[async_trait]
impl KeyReads for Backend {
    async fn signing_keys(&self) -> Result<Vec<StoredKey>> {
        sqlx::query_as::<_, KeyRow>(
            "SELECT kid, state, sealed_private, public_key, created_at, activated_at, \
             verify_until FROM signing_keys ORDER BY CASE state WHEN 'RETIRED' THEN 0 \
             WHEN 'PRIMARY' THEN 1 ELSE 2 END, created_at, kid",
        )
        .fetch_all(self.db()?)
        .await
        .map_err(internal)?
        .into_iter()
        .map(StoredKey::try_from)
        .collect()
    }
}

#[async_trait]
impl KeyWrites for SqlTransaction {
    async fn init_signing_keys(&mut self, primary: StoredKey, staged: StoredKey) -> Result<bool> {
        let existing = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM signing_keys")
            .fetch_one(&mut *self.tx)
            .await
            .map_err(internal)?;
        if existing > 0 {
            return Ok(false);
        }
        for key in [&primary, &staged] {
            match insert_key(&mut self.tx, key).await {
                Ok(()) => {}
                Err(Error::Conflict(_)) => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    async fn rotate_signing_keys(
        &mut self,
        expected_primary: &str,
        verify_until: DateTime<Utc>,
        next_staged: StoredKey,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let retired = sqlx::query(
            "UPDATE signing_keys SET state = $1, verify_until = $2 WHERE kid = $3 AND state = $4",
        )
        .bind(KeyState::Retired.as_str())
        .bind(micros(verify_until))
        .bind(expected_primary)
        .bind(KeyState::Primary.as_str())
        .execute(&mut *self.tx)
        .await
        .map_err(internal)?;
        if retired.rows_affected() == 0 {
            return Ok(false);
        }
        let promoted =
            sqlx::query("UPDATE signing_keys SET state = $1, activated_at = $2 WHERE state = $3")
                .bind(KeyState::Primary.as_str())
                .bind(micros(now))
                .bind(KeyState::Staged.as_str())
                .execute(&mut *self.tx)
                .await
                .map_err(internal)?;
        if promoted.rows_affected() != 1 {
            return Err(Error::internal("no staged signing key to promote"));
        }
        insert_key(&mut self.tx, &next_staged).await?;
        sqlx::query("DELETE FROM signing_keys WHERE state = $1 AND verify_until <= $2")
            .bind(KeyState::Retired.as_str())
            .bind(micros(now))
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        Ok(true)
    }
}
