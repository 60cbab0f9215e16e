//! The policies part of the store contract (see `mod.rs`).

use super::*;

#[async_trait]
impl PolicyReads for Backend {
    async fn policy(&self, account: AccountId, id: PolicyId) -> Result<Option<Policy>> {
        let sql = format!("{POLICY_SELECT} WHERE account_id = $1 AND id = $2");
        sqlx::query_as::<_, PolicyRow>(AssertSqlSafe(sql))
            .bind(account.0)
            .bind(id.to_string())
            .fetch_optional(self.db()?)
            .await
            .map_err(internal)?
            .map(Policy::try_from)
            .transpose()
    }

    async fn list_policies(&self, account: AccountId) -> Result<Vec<Policy>> {
        let sql = format!("{POLICY_SELECT} WHERE account_id = $1 ORDER BY created_at, id");
        sqlx::query_as::<_, PolicyRow>(AssertSqlSafe(sql))
            .bind(account.0)
            .fetch_all(self.db()?)
            .await
            .map_err(internal)?
            .into_iter()
            .map(Policy::try_from)
            .collect()
    }

    async fn all_policies(&self) -> Result<Vec<Policy>> {
        let sql = format!("{POLICY_SELECT} ORDER BY account_id, created_at, id");
        sqlx::query_as::<_, PolicyRow>(AssertSqlSafe(sql))
            .fetch_all(self.db()?)
            .await
            .map_err(internal)?
            .into_iter()
            .map(Policy::try_from)
            .collect()
    }
}

#[async_trait]
impl PolicyWrites for SqlTransaction {
    async fn create_policy(&mut self, account: AccountId, new: NewPolicy) -> Result<Policy> {
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
        .fetch_one(&mut *self.tx)
        .await
        .map_err(taken(|| {
            format!("a policy named {} already exists", d.name)
        }))?;
        Policy::try_from(row)
    }

    async fn replace_policy(
        &mut self,
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
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(taken(|| {
            format!("a policy named {} already exists", draft.name)
        }))?
        .ok_or_else(|| Error::not_found(format!("policy {id} does not exist")))?;
        Policy::try_from(row)
    }

    async fn delete_policy(&mut self, account: AccountId, id: PolicyId) -> Result<Policy> {
        let sql = "DELETE FROM policies WHERE account_id = $1 AND id = $2 \
            RETURNING id, account_id, name, description, rules, expired_at, read_only, \
            created_at, updated_at";
        sqlx::query_as::<_, PolicyRow>(sql)
            .bind(account.0)
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(internal)?
            .ok_or_else(|| Error::not_found(format!("policy {id} does not exist")))
            .and_then(Policy::try_from)
    }
}
