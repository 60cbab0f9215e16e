//! The IAM resources part of the store contract (see `mod.rs`).

use latchkey_core::resource::{
    Category, DeclaredAction, Resource, ResourceId, ResourceName, ResourceType, Tags,
};
use latchkey_core::urn::Urn;

use super::*;

const RESOURCE_SELECT: &str = "SELECT id, account_id, urn, name, display_name, type, tags, \
     created_at, updated_at FROM iam_resources";

type ResourceRow = (
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
);

fn resource_of(row: ResourceRow) -> Result<Resource> {
    let (id, account, urn, name, display_name, kind, tags, created, updated) = row;
    let tags: Tags = serde_json::from_str(&tags)
        .map_err(|e| corrupt("resource tags", Error::invalid(e.to_string())))?;
    Ok(Resource {
        id: id
            .parse::<ResourceId>()
            .map_err(|e| corrupt("resource id", e))?,
        account_id: AccountId(account),
        urn: Urn::resource(&urn).map_err(|e| corrupt("resource urn", e))?,
        name: ResourceName::parse(&name).map_err(|e| corrupt("resource name", e))?,
        display_name,
        kind: ResourceType::parse(&kind).map_err(|e| corrupt("resource type", e))?,
        tags,
        created_at: crate::rows::time(created)?,
        updated_at: crate::rows::time(updated)?,
    })
}

fn tags_json(tags: &Tags) -> String {
    // A map of strings always serialises.
    serde_json::to_string(tags).unwrap_or_else(|_| "{}".to_owned())
}

type ActionRow = (String, String, String, String);

fn action_of(row: ActionRow) -> Result<DeclaredAction> {
    let (action, kind, description, categories) = row;
    let categories: Vec<String> = serde_json::from_str(&categories)
        .map_err(|e| corrupt("action categories", Error::invalid(e.to_string())))?;
    Ok(DeclaredAction {
        action,
        resource_type: ResourceType::parse(&kind).map_err(|e| corrupt("action type", e))?,
        description,
        categories: categories
            .iter()
            .map(|c| Category::parse(c))
            .collect::<Result<_>>()
            .map_err(|e| corrupt("action categories", e))?,
    })
}

#[async_trait]
impl ResourceReads for Backend {
    async fn resource_by_urn(&self, urn: &str) -> Result<Option<Resource>> {
        let sql = format!("{RESOURCE_SELECT} WHERE urn = $1");
        sqlx::query_as::<_, ResourceRow>(AssertSqlSafe(sql))
            .bind(urn)
            .fetch_optional(self.db()?)
            .await
            .map_err(internal)?
            .map(resource_of)
            .transpose()
    }

    async fn list_resources(&self, account: AccountId) -> Result<Vec<Resource>> {
        let sql = format!("{RESOURCE_SELECT} WHERE account_id = $1 ORDER BY created_at, id");
        sqlx::query_as::<_, ResourceRow>(AssertSqlSafe(sql))
            .bind(account.0)
            .fetch_all(self.db()?)
            .await
            .map_err(internal)?
            .into_iter()
            .map(resource_of)
            .collect()
    }

    async fn all_resources(&self) -> Result<Vec<Resource>> {
        let sql = format!("{RESOURCE_SELECT} ORDER BY account_id, created_at, id");
        sqlx::query_as::<_, ResourceRow>(AssertSqlSafe(sql))
            .fetch_all(self.db()?)
            .await
            .map_err(internal)?
            .into_iter()
            .map(resource_of)
            .collect()
    }

    async fn declared_actions(&self) -> Result<Vec<DeclaredAction>> {
        sqlx::query_as::<_, ActionRow>(
            "SELECT action, resource_type, description, categories FROM iam_declared_actions \
             ORDER BY action",
        )
        .fetch_all(self.db()?)
        .await
        .map_err(internal)?
        .into_iter()
        .map(action_of)
        .collect()
    }

    async fn resource_types(&self) -> Result<Vec<String>> {
        sqlx::query_scalar::<_, String>("SELECT DISTINCT type FROM iam_resources ORDER BY type")
            .fetch_all(self.db()?)
            .await
            .map_err(internal)
    }
}

#[async_trait]
impl ResourceWrites for SqlTransaction {
    async fn create_resource(&mut self, r: &Resource) -> Result<Resource> {
        let sql = "INSERT INTO iam_resources (id, account_id, urn, name, display_name, type, \
                   tags, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                   RETURNING id, account_id, urn, name, display_name, type, tags, created_at, \
                   updated_at";
        sqlx::query_as::<_, ResourceRow>(sql)
            .bind(r.id.to_string())
            .bind(r.account_id.0)
            .bind(r.urn.as_str())
            .bind(r.name.as_str())
            .bind(&r.display_name)
            .bind(r.kind.as_str())
            .bind(tags_json(&r.tags))
            .bind(micros(r.created_at))
            .bind(micros(r.updated_at))
            .fetch_one(&mut *self.tx)
            .await
            .map_err(taken(|| {
                format!("the resource {} is already registered", r.urn)
            }))
            .and_then(resource_of)
    }

    async fn rename_resource(
        &mut self,
        urn: &str,
        display_name: &str,
        now: DateTime<Utc>,
    ) -> Result<Resource> {
        sqlx::query_as::<_, ResourceRow>(
            "UPDATE iam_resources SET display_name = $1, updated_at = $2 WHERE urn = $3 \
             RETURNING id, account_id, urn, name, display_name, type, tags, created_at, \
             updated_at",
        )
        .bind(display_name)
        .bind(micros(now))
        .bind(urn)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(internal)?
        .ok_or_else(|| Error::not_found(format!("resource {urn} does not exist")))
        .and_then(resource_of)
    }

    async fn set_resource_tags(
        &mut self,
        account: AccountId,
        urn: &str,
        tags: &Tags,
        now: DateTime<Utc>,
    ) -> Result<Resource> {
        sqlx::query_as::<_, ResourceRow>(
            "UPDATE iam_resources SET tags = $1, updated_at = $2 \
             WHERE account_id = $3 AND urn = $4 \
             RETURNING id, account_id, urn, name, display_name, type, tags, created_at, \
             updated_at",
        )
        .bind(tags_json(tags))
        .bind(micros(now))
        .bind(account.0)
        .bind(urn)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(internal)?
        .ok_or_else(|| Error::not_found(format!("resource {urn} does not exist")))
        .and_then(resource_of)
    }

    async fn delete_resource(&mut self, urn: &str) -> Result<Resource> {
        sqlx::query_as::<_, ResourceRow>(
            "DELETE FROM iam_resources WHERE urn = $1 \
             RETURNING id, account_id, urn, name, display_name, type, tags, created_at, \
             updated_at",
        )
        .bind(urn)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(internal)?
        .ok_or_else(|| Error::not_found(format!("resource {urn} is not registered")))
        .and_then(resource_of)
    }

    async fn declare_actions(
        &mut self,
        actions: &[DeclaredAction],
        now: DateTime<Utc>,
    ) -> Result<()> {
        for a in actions {
            let categories: Vec<&str> = a.categories.iter().map(|c| c.as_str()).collect();
            let categories = serde_json::to_string(&categories).unwrap_or_else(|_| "[]".into());
            sqlx::query(
                "INSERT INTO iam_declared_actions \
                 (action, resource_type, description, categories, declared_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (action) DO UPDATE SET resource_type = excluded.resource_type, \
                 description = excluded.description, categories = excluded.categories, \
                 declared_at = excluded.declared_at",
            )
            .bind(&a.action)
            .bind(a.resource_type.as_str())
            .bind(&a.description)
            .bind(categories)
            .bind(micros(now))
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        }
        Ok(())
    }
}
