//! The pats part of the store contract (see `mod.rs`).

use super::*;

#[async_trait]
impl PatReads for Backend {
    async fn pat(&self, user: UserId, name: &TokenName) -> Result<Option<Pat>> {
        Ok(pat_record(self.db()?, user, name)
            .await?
            .map(|record| record.pat))
    }

    async fn list_pats(&self, user: UserId) -> Result<Vec<TokenName>> {
        let names = sqlx::query_scalar::<_, String>(
            "SELECT name FROM pats WHERE user_id = $1 ORDER BY name",
        )
        .bind(user.0)
        .fetch_all(self.db()?)
        .await
        .map_err(internal)?;
        names.iter().map(|n| TokenName::parse(n)).collect()
    }

    async fn pats_of(&self, user: UserId) -> Result<Vec<Pat>> {
        let sql = format!("{PAT_SELECT} WHERE p.user_id = $1 ORDER BY p.name");
        sqlx::query_as::<_, PatRow>(AssertSqlSafe(sql))
            .bind(user.0)
            .fetch_all(self.db()?)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|row| PatRecord::try_from(row).map(|record| record.pat))
            .collect()
    }

    async fn pat_by_hash(&self, hash: &TokenHash) -> Result<Option<PatRecord>> {
        let sql = format!("{PAT_SELECT} WHERE p.secret_hash = $1");
        sqlx::query_as::<_, PatRow>(AssertSqlSafe(sql))
            .bind(hash.0.to_vec())
            .fetch_optional(self.db()?)
            .await
            .map_err(internal)?
            .map(PatRecord::try_from)
            .transpose()
    }

    async fn record_pat_usage(&self, uses: &[(PatId, DateTime<Utc>)]) -> Result<()> {
        let mut tx = self.begin_tx().await?;
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
        tx.commit().await.map_err(internal)
    }
}

#[async_trait]
impl PatWrites for SqlTransaction {
    async fn create_pat(&mut self, user: UserId, new: NewPat) -> Result<Pat> {
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
        .fetch_one(&mut *self.tx)
        .await
        .map_err(taken(|| {
            format!("a token named {name} already exists for this user")
        }))?;
        Ok(Pat {
            id: PatId(id),
            user_id: user,
            name: new.name,
            description: new.description,
            created_at: crate::rows::time(micros(new.now))?,
            expires_at: new
                .expires_at
                .map(micros)
                .map(crate::rows::time)
                .transpose()?,
            last_used: None,
        })
    }

    async fn update_pat(
        &mut self,
        user: UserId,
        name: &TokenName,
        changes: PatChanges,
    ) -> Result<PatRecord> {
        let mut record = pat_record(&mut *self.tx, user, name)
            .await?
            .ok_or_else(|| Error::not_found(format!("token {name} does not exist")))?;
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
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        let record = pat_record(&mut *self.tx, user, name)
            .await?
            .ok_or_else(|| Error::internal("updated token not found"))?;
        Ok(record)
    }

    async fn delete_pat(&mut self, user: UserId, name: &TokenName) -> Result<PatRecord> {
        // One statement: what was deleted comes back, with its owner's account.
        sqlx::query_as::<_, PatRow>(
            "DELETE FROM pats WHERE user_id = $1 AND name = $2 RETURNING id, user_id, \
             (SELECT account_id FROM users WHERE users.id = pats.user_id) AS account_id, \
             name, description, secret_hash, created_at, expires_at, last_used",
        )
        .bind(user.0)
        .bind(name.as_str())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(internal)?
        .ok_or_else(|| Error::not_found(format!("token {name} does not exist")))
        .and_then(PatRecord::try_from)
    }
}
