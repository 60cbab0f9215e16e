//! The permissions groups part of the store contract (see `mod.rs`).

use latchkey_core::names::Description;
use latchkey_core::policy::permissions_group::{
    GroupOwner, PermissionsGroup, PermissionsGroupDraft, PermissionsGroupName,
    parse_permissions_json, permissions_json,
};

use super::*;

const COLUMNS: &str = "id, account_id, name, description, permissions, created_at, updated_at";

type Row = (String, i64, String, String, String, i64, i64);

fn group_of(row: Row) -> Result<PermissionsGroup> {
    let (id, account, name, description, permissions, created, updated) = row;
    Ok(PermissionsGroup {
        id: id.parse().map_err(|e| corrupt("permissions group id", e))?,
        owner: GroupOwner::Account(AccountId(account)),
        name: PermissionsGroupName::parse(&name)
            .map_err(|e| corrupt("permissions group name", e))?,
        description: Description::parse(&description).map_err(|e| corrupt("description", e))?,
        permissions: parse_permissions_json(&permissions)
            .map_err(|e| corrupt("permissions group permissions", e))?,
        created_at: crate::rows::time(created)?,
        updated_at: crate::rows::time(updated)?,
    })
}

fn taken_name(name: &PermissionsGroupName) -> impl FnOnce() -> String + '_ {
    move || format!("a permissions group named {name} already exists")
}

#[async_trait]
impl PermissionsGroupReads for Backend {
    async fn permissions_group(
        &self,
        account: AccountId,
        name: &PermissionsGroupName,
    ) -> Result<Option<PermissionsGroup>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM iam_permissions_groups WHERE account_id = $1 AND name = $2"
        );
        sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .bind(account.0)
            .bind(name.as_str())
            .fetch_optional(self.db()?)
            .await
            .map_err(internal)?
            .map(group_of)
            .transpose()
    }

    async fn list_permissions_groups(&self, account: AccountId) -> Result<Vec<PermissionsGroup>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM iam_permissions_groups WHERE account_id = $1 \
             ORDER BY created_at, id"
        );
        sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .bind(account.0)
            .fetch_all(self.db()?)
            .await
            .map_err(internal)?
            .into_iter()
            .map(group_of)
            .collect()
    }

    async fn all_permissions_groups(&self) -> Result<Vec<PermissionsGroup>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM iam_permissions_groups ORDER BY account_id, created_at, id"
        );
        sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .fetch_all(self.db()?)
            .await
            .map_err(internal)?
            .into_iter()
            .map(group_of)
            .collect()
    }
}

#[async_trait]
impl PermissionsGroupWrites for SqlTransaction {
    async fn create_permissions_group(&mut self, g: &PermissionsGroup) -> Result<PermissionsGroup> {
        let GroupOwner::Account(account) = g.owner else {
            return Err(Error::invalid("managed permissions groups are not stored"));
        };
        let sql = format!(
            "INSERT INTO iam_permissions_groups ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             RETURNING {COLUMNS}"
        );
        sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .bind(g.id.to_string())
            .bind(account.0)
            .bind(g.name.as_str())
            .bind(g.description.as_str())
            .bind(permissions_json(&g.permissions))
            .bind(micros(g.created_at))
            .bind(micros(g.updated_at))
            .fetch_one(&mut *self.tx)
            .await
            .map_err(taken(taken_name(&g.name)))
            .and_then(group_of)
    }

    async fn replace_permissions_group(
        &mut self,
        account: AccountId,
        name: &PermissionsGroupName,
        draft: &PermissionsGroupDraft,
        now: DateTime<Utc>,
    ) -> Result<PermissionsGroup> {
        let sql = format!(
            "UPDATE iam_permissions_groups SET name = $1, description = $2, permissions = $3, \
             updated_at = $4 WHERE account_id = $5 AND name = $6 RETURNING {COLUMNS}"
        );
        sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .bind(draft.name.as_str())
            .bind(draft.description.as_str())
            .bind(permissions_json(&draft.permissions))
            .bind(micros(now))
            .bind(account.0)
            .bind(name.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(taken(taken_name(&draft.name)))?
            .ok_or_else(|| Error::not_found(format!("permissions group {name} does not exist")))
            .and_then(group_of)
    }

    async fn delete_permissions_group(
        &mut self,
        account: AccountId,
        name: &PermissionsGroupName,
    ) -> Result<PermissionsGroup> {
        let sql = format!(
            "DELETE FROM iam_permissions_groups WHERE account_id = $1 AND name = $2 \
             RETURNING {COLUMNS}"
        );
        sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .bind(account.0)
            .bind(name.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(internal)?
            .ok_or_else(|| Error::not_found(format!("permissions group {name} does not exist")))
            .and_then(group_of)
    }
}
