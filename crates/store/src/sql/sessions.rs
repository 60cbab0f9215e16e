//! The console sessions part of the store contract (see `mod.rs`).

use super::*;

type SessionRow = (Vec<u8>, i64, i64, i64, i64, i64);

fn session_of(row: SessionRow) -> Result<ConsoleSession> {
    let (hash, account, user, created, expires, seen) = row;
    Ok(ConsoleSession {
        hash: TokenHash::from_slice(&hash)?,
        account_id: AccountId(account),
        user_id: UserId(user),
        created_at: crate::rows::time(created)?,
        expires_at: crate::rows::time(expires)?,
        last_seen: crate::rows::time(seen)?,
    })
}

#[async_trait]
impl SessionReads for Backend {
    async fn session_by_hash(&self, hash: &TokenHash) -> Result<Option<ConsoleSession>> {
        sqlx::query_as::<_, SessionRow>(
            "SELECT secret_hash, account_id, user_id, created_at, expires_at, last_seen \
             FROM console_sessions WHERE secret_hash = $1",
        )
        .bind(hash.0.to_vec())
        .fetch_optional(self.db()?)
        .await
        .map_err(internal)?
        .map(session_of)
        .transpose()
    }

    async fn record_session_activity(&self, seen: &[(TokenHash, DateTime<Utc>)]) -> Result<()> {
        let mut tx = self.begin_tx().await?;
        for (hash, at) in seen {
            sqlx::query(
                "UPDATE console_sessions SET last_seen = $1 \
                 WHERE secret_hash = $2 AND last_seen < $3",
            )
            .bind(micros(*at))
            .bind(hash.0.to_vec())
            .bind(micros(*at))
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        }
        tx.commit().await.map_err(internal)
    }

    async fn prune_sessions(
        &self,
        before: DateTime<Utc>,
        idle_before: DateTime<Utc>,
    ) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM console_sessions WHERE expires_at <= $1 OR last_seen <= $2")
                .bind(micros(before))
                .bind(micros(idle_before))
                .execute(self.db()?)
                .await
                .map_err(internal)?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl SessionWrites for SqlTransaction {
    async fn create_session(&mut self, session: &ConsoleSession) -> Result<()> {
        sqlx::query(
            "INSERT INTO console_sessions \
             (secret_hash, account_id, user_id, created_at, expires_at, last_seen) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(session.hash.0.to_vec())
        .bind(session.account_id.0)
        .bind(session.user_id.0)
        .bind(micros(session.created_at))
        .bind(micros(session.expires_at))
        .bind(micros(session.last_seen))
        .execute(&mut *self.tx)
        .await
        .map_err(missing(|| "the session's user no longer exists".to_owned()))?;
        Ok(())
    }

    async fn delete_session(&mut self, hash: &TokenHash) -> Result<bool> {
        let done = sqlx::query("DELETE FROM console_sessions WHERE secret_hash = $1")
            .bind(hash.0.to_vec())
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_user_sessions(&mut self, user: UserId) -> Result<Vec<TokenHash>> {
        let hashes = sqlx::query_scalar::<_, Vec<u8>>(
            "DELETE FROM console_sessions WHERE user_id = $1 RETURNING secret_hash",
        )
        .bind(user.0)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(internal)?;
        hashes.iter().map(|h| TokenHash::from_slice(h)).collect()
    }
}
