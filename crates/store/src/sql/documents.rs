//! The documents part of the store contract (see `mod.rs`).

use super::*;

#[async_trait]
impl DocumentReads for Backend {
    async fn document(&self, kind: &str, id: &str) -> Result<Option<String>> {
        sqlx::query_scalar::<_, String>("SELECT body FROM ks_documents WHERE kind = $1 AND id = $2")
            .bind(kind)
            .bind(id)
            .fetch_optional(self.db()?)
            .await
            .map_err(internal)
    }

    async fn documents(&self, kind: &str) -> Result<Vec<String>> {
        sqlx::query_scalar::<_, String>(
            "SELECT body FROM ks_documents WHERE kind = $1 ORDER BY created_at, id",
        )
        .bind(kind)
        .fetch_all(self.db()?)
        .await
        .map_err(internal)
    }
}

#[async_trait]
impl DocumentWrites for SqlTransaction {
    async fn create_document(
        &mut self,
        kind: &str,
        id: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO ks_documents (kind, id, body, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(kind)
        .bind(id)
        .bind(body)
        .bind(micros(now))
        .execute(&mut *self.tx)
        .await
        .map_err(taken(|| format!("a {kind} with id {id} already exists")))?;
        Ok(())
    }

    async fn replace_document(&mut self, kind: &str, id: &str, body: &str) -> Result<()> {
        let done = sqlx::query("UPDATE ks_documents SET body = $1 WHERE kind = $2 AND id = $3")
            .bind(body)
            .bind(kind)
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        affected(done.rows_affected(), || {
            format!("{kind} {id} does not exist")
        })
    }

    async fn delete_document(&mut self, kind: &str, id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM ks_documents WHERE kind = $1 AND id = $2")
            .bind(kind)
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        affected(done.rows_affected(), || {
            format!("{kind} {id} does not exist")
        })
    }
}
