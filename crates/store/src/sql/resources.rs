//! The IAM resources part of the store contract (see `mod.rs`).

use latchkey_core::resource::{
    Category, DeclaredAction, Resource, ResourceGroup, ResourceGroupId, ResourceId, ResourceName,
    ResourceType, Tags,
};
use latchkey_core::urn::Urn;

use super::*;

/// A resource row's columns, in [`ResourceRow`]'s order.
const RESOURCE_COLUMNS: &str =
    "id, account_id, urn, name, display_name, type, tags, created_at, updated_at";

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

type GroupRow = (String, i64, String, bool, i64, i64);

const GROUP_SELECT: &str =
    "SELECT id, account_id, name, read_only, created_at, updated_at FROM iam_resource_groups";

fn group_of(row: GroupRow, members: Vec<ResourceId>) -> Result<ResourceGroup> {
    let (id, account, name, read_only, created, updated) = row;
    Ok(ResourceGroup {
        id: id
            .parse::<ResourceGroupId>()
            .map_err(|e| corrupt("resource group id", e))?,
        account_id: AccountId(account),
        name,
        read_only,
        members,
        created_at: crate::rows::time(created)?,
        updated_at: crate::rows::time(updated)?,
    })
}

/// The members of the groups `rows` names, in their order, read in one query.
async fn groups_with_members<'e, E>(rows: Vec<GroupRow>, db: E) -> Result<Vec<ResourceGroup>>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT group_id, resource_id FROM iam_resource_group_members \
         WHERE group_id IN ({}) ORDER BY group_id, position",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, (String, String)>(AssertSqlSafe(sql));
    for id in &ids {
        query = query.bind(id);
    }
    let pairs = query.fetch_all(db).await.map_err(internal)?;
    let mut members: std::collections::HashMap<String, Vec<ResourceId>> =
        std::collections::HashMap::new();
    for (group, resource) in pairs {
        let id = resource
            .parse::<ResourceId>()
            .map_err(|e| corrupt("resource group member", e))?;
        members.entry(group).or_default().push(id);
    }
    rows.into_iter()
        .map(|row| {
            let m = members.remove(&row.0).unwrap_or_default();
            group_of(row, m)
        })
        .collect()
}

#[async_trait]
impl ResourceReads for Backend {
    async fn resource_group(
        &self,
        account: AccountId,
        id: ResourceGroupId,
    ) -> Result<Option<ResourceGroup>> {
        let sql = format!("{GROUP_SELECT} WHERE account_id = $1 AND id = $2");
        let row = sqlx::query_as::<_, GroupRow>(AssertSqlSafe(sql))
            .bind(account.0)
            .bind(id.to_string())
            .fetch_optional(self.db()?)
            .await
            .map_err(internal)?;
        Ok(groups_with_members(row.into_iter().collect(), self.db()?)
            .await?
            .pop())
    }

    async fn list_resource_groups(&self, account: AccountId) -> Result<Vec<ResourceGroup>> {
        let sql = format!("{GROUP_SELECT} WHERE account_id = $1 ORDER BY created_at, id");
        let rows = sqlx::query_as::<_, GroupRow>(AssertSqlSafe(sql))
            .bind(account.0)
            .fetch_all(self.db()?)
            .await
            .map_err(internal)?;
        groups_with_members(rows, self.db()?).await
    }

    async fn all_resource_groups(&self) -> Result<Vec<ResourceGroup>> {
        let sql = format!("{GROUP_SELECT} ORDER BY account_id, created_at, id");
        let rows = sqlx::query_as::<_, GroupRow>(AssertSqlSafe(sql))
            .fetch_all(self.db()?)
            .await
            .map_err(internal)?;
        let mut out = Vec::with_capacity(rows.len());
        // Bounded IN lists: a few hundred groups per query.
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<GroupRow> = rows.by_ref().take(500).collect();
            out.extend(groups_with_members(chunk, self.db()?).await?);
        }
        Ok(out)
    }

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
        let sql = format!(
            "INSERT INTO iam_resources ({RESOURCE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {RESOURCE_COLUMNS}"
        );
        sqlx::query_as::<_, ResourceRow>(AssertSqlSafe(sql))
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
        let sql = format!(
            "UPDATE iam_resources SET display_name = $1, updated_at = $2 WHERE urn = $3 \
             RETURNING {RESOURCE_COLUMNS}"
        );
        sqlx::query_as::<_, ResourceRow>(AssertSqlSafe(sql))
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
        let sql = format!(
            "UPDATE iam_resources SET tags = $1, updated_at = $2 \
             WHERE account_id = $3 AND urn = $4 RETURNING {RESOURCE_COLUMNS}"
        );
        sqlx::query_as::<_, ResourceRow>(AssertSqlSafe(sql))
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
        let sql = format!("DELETE FROM iam_resources WHERE urn = $1 RETURNING {RESOURCE_COLUMNS}");
        sqlx::query_as::<_, ResourceRow>(AssertSqlSafe(sql))
            .bind(urn)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(internal)?
            .ok_or_else(|| Error::not_found(format!("resource {urn} is not registered")))
            .and_then(resource_of)
    }

    async fn create_resource_group(&mut self, g: &ResourceGroup) -> Result<ResourceGroup> {
        sqlx::query(
            "INSERT INTO iam_resource_groups (id, account_id, name, read_only, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(g.id.to_string())
        .bind(g.account_id.0)
        .bind(&g.name)
        .bind(g.read_only)
        .bind(micros(g.created_at))
        .bind(micros(g.updated_at))
        .execute(&mut *self.tx)
        .await
        .map_err(taken(|| {
            format!("a resource group named {} already exists", g.name)
        }))?;
        self.set_members(g.id, &g.members).await?;
        self.read_group(g.account_id, g.id).await
    }

    async fn replace_resource_group(
        &mut self,
        account: AccountId,
        id: ResourceGroupId,
        name: &str,
        members: &[ResourceId],
        now: DateTime<Utc>,
    ) -> Result<ResourceGroup> {
        let done = sqlx::query(
            "UPDATE iam_resource_groups SET name = $1, updated_at = $2 \
             WHERE account_id = $3 AND id = $4",
        )
        .bind(name)
        .bind(micros(now))
        .bind(account.0)
        .bind(id.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(taken(|| {
            format!("a resource group named {name} already exists")
        }))?;
        affected(done.rows_affected(), || {
            format!("resource group {id} does not exist")
        })?;
        sqlx::query("DELETE FROM iam_resource_group_members WHERE group_id = $1")
            .bind(id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        self.set_members(id, members).await?;
        self.read_group(account, id).await
    }

    async fn delete_resource_group(
        &mut self,
        account: AccountId,
        id: ResourceGroupId,
    ) -> Result<ResourceGroup> {
        let old = self.read_group(account, id).await?;
        sqlx::query("DELETE FROM iam_resource_groups WHERE account_id = $1 AND id = $2")
            .bind(account.0)
            .bind(id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        Ok(old)
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

impl SqlTransaction {
    async fn set_members(&mut self, group: ResourceGroupId, members: &[ResourceId]) -> Result<()> {
        for (position, resource) in members.iter().enumerate() {
            sqlx::query(
                "INSERT INTO iam_resource_group_members (group_id, resource_id, position) \
                 VALUES ($1, $2, $3)",
            )
            .bind(group.to_string())
            .bind(resource.to_string())
            .bind(i32::try_from(position).unwrap_or(i32::MAX))
            .execute(&mut *self.tx)
            .await
            .map_err(missing(|| format!("resource {resource} is not registered")))?;
        }
        Ok(())
    }

    /// A group as this transaction sees it; `NotFound` when the account has none of that id.
    async fn read_group(
        &mut self,
        account: AccountId,
        id: ResourceGroupId,
    ) -> Result<ResourceGroup> {
        let sql = format!("{GROUP_SELECT} WHERE account_id = $1 AND id = $2");
        let row = sqlx::query_as::<_, GroupRow>(AssertSqlSafe(sql))
            .bind(account.0)
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(internal)?
            .ok_or_else(|| Error::not_found(format!("resource group {id} does not exist")))?;
        let members: Vec<String> = sqlx::query_scalar(
            "SELECT resource_id FROM iam_resource_group_members WHERE group_id = $1 \
             ORDER BY position",
        )
        .bind(id.to_string())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(internal)?;
        let members = members
            .iter()
            .map(|m| m.parse::<ResourceId>())
            .collect::<Result<Vec<_>>>()
            .map_err(|e| corrupt("resource group member", e))?;
        group_of(row, members)
    }
}
