//! The keystone part of the store contract (see `mod.rs`).

use super::*;

#[async_trait]
impl KeystoneReads for Backend {
    async fn projects(&self, account: AccountId) -> Result<Vec<KsProject>> {
        sqlx::query_as::<_, ProjectRow>(
            "SELECT id, account_id, name, description, enabled, created_at, parent_id, tags \
             FROM ks_projects WHERE account_id = $1 ORDER BY name",
        )
        .bind(account.0)
        .fetch_all(self.db()?)
        .await
        .map_err(internal)?
        .into_iter()
        .map(KsProject::try_from)
        .collect()
    }

    async fn accounts_granting(&self, actor: &KsActor) -> Result<Vec<AccountId>> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT DISTINCT account_id FROM ks_assignments WHERE actor = $1 \
             ORDER BY account_id",
        )
        .bind(actor.key())
        .fetch_all(self.db()?)
        .await
        .map_err(internal)?
        .into_iter()
        .map(AccountId)
        .collect())
    }

    async fn memberships_in(&self, account: AccountId) -> Result<Vec<Membership>> {
        sqlx::query_as::<_, (i64, String, String)>(
            "SELECT m.user_id, g.name, g.role FROM ks_memberships m \
             JOIN user_groups g ON g.id = m.group_id WHERE g.account_id = $1 \
             ORDER BY m.user_id, g.name",
        )
        .bind(account.0)
        .fetch_all(self.db()?)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|(user, group, role)| {
            Ok(Membership {
                user: UserId(user),
                group: GroupName::parse(&group).map_err(|e| corrupt("group name", e))?,
                role: role.parse().map_err(|e| corrupt("role", e))?,
            })
        })
        .collect()
    }

    async fn memberships_of(&self, user: UserId) -> Result<Vec<Group>> {
        let sql = format!(
            "{GROUP_SELECT} WHERE id IN (SELECT group_id FROM ks_memberships \
             WHERE user_id = $1) ORDER BY account_id, name"
        );
        sqlx::query_as::<_, GroupRow>(AssertSqlSafe(sql))
            .bind(user.0)
            .fetch_all(self.db()?)
            .await
            .map_err(internal)?
            .into_iter()
            .map(Group::try_from)
            .collect()
    }

    async fn assignments(&self, account: AccountId) -> Result<Vec<Assignment>> {
        sqlx::query_as::<_, (String, String, String)>(
            "SELECT actor, target, role_id FROM ks_assignments WHERE account_id = $1 \
             ORDER BY actor, target, role_id",
        )
        .bind(account.0)
        .fetch_all(self.db()?)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|(actor, target, role_id)| {
            Ok(Assignment {
                actor: KsActor::parse(&actor)?,
                target: KsTarget::parse(&target)?,
                role_id,
            })
        })
        .collect()
    }

    async fn count_token_issue(
        &self,
        identity: &str,
        window_start: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool> {
        let counted = sqlx::query_scalar::<_, i32>(
            "INSERT INTO ks_issue_windows (identity, window_start, count) VALUES ($1, $2, 1) \
             ON CONFLICT (identity, window_start) DO UPDATE \
             SET count = ks_issue_windows.count + 1 WHERE ks_issue_windows.count < $3 \
             RETURNING count",
        )
        .bind(identity)
        .bind(micros(window_start))
        .bind(i32::try_from(limit).unwrap_or(i32::MAX))
        .fetch_optional(self.db()?)
        .await
        .map_err(internal)?;
        Ok(counted.is_some())
    }

    async fn prune_token_issues(&self, before: DateTime<Utc>) -> Result<()> {
        sqlx::query("DELETE FROM ks_issue_windows WHERE window_start < $1")
            .bind(micros(before))
            .execute(self.db()?)
            .await
            .map_err(internal)?;
        Ok(())
    }

    async fn user_attributes(
        &self,
        user: UserId,
    ) -> Result<latchkey_core::keystone::UserAttributes> {
        let row = sqlx::query_as::<_, (Option<String>, String)>(
            "SELECT default_project_id, extra FROM ks_user_attributes WHERE user_id = $1",
        )
        .bind(user.0)
        .fetch_optional(self.db()?)
        .await
        .map_err(internal)?;
        let Some((default_project, extra)) = row else {
            return Ok(latchkey_core::keystone::UserAttributes::default());
        };
        match serde_json::from_str(&extra) {
            Ok(serde_json::Value::Object(extra)) => Ok(latchkey_core::keystone::UserAttributes {
                default_project,
                extra,
            }),
            _ => Err(Error::internal("stored user attributes are not an object")),
        }
    }

    async fn app_credential(
        &self,
        id: &str,
    ) -> Result<Option<latchkey_core::keystone::StoredAppCredential>> {
        sqlx::query_as::<_, AppCredentialRow>(
            "SELECT id, user_id, name, secret_hash, body, created_at FROM ks_app_credentials \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.db()?)
        .await
        .map_err(internal)?
        .map(TryInto::try_into)
        .transpose()
    }

    async fn app_credentials(
        &self,
        user: UserId,
    ) -> Result<Vec<latchkey_core::keystone::StoredAppCredential>> {
        sqlx::query_as::<_, AppCredentialRow>(
            "SELECT id, user_id, name, secret_hash, body, created_at FROM ks_app_credentials \
             WHERE user_id = $1 ORDER BY created_at, id",
        )
        .bind(user.0)
        .fetch_all(self.db()?)
        .await
        .map_err(internal)?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
    }

    async fn access_rules(&self, user: UserId) -> Result<Vec<latchkey_core::keystone::AccessRule>> {
        let rows = sqlx::query_as::<_, (String, String, String, String)>(
            "SELECT id, service, path, method FROM ks_access_rules WHERE user_id = $1 ORDER BY id",
        )
        .bind(user.0)
        .fetch_all(self.db()?)
        .await
        .map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, service, path, method)| latchkey_core::keystone::AccessRule {
                    id,
                    service,
                    path,
                    method,
                },
            )
            .collect())
    }

    async fn project_account(&self, id: &str) -> Result<Option<AccountId>> {
        sqlx::query_scalar::<_, i64>("SELECT account_id FROM ks_projects WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db()?)
            .await
            .map(|a| a.map(AccountId))
            .map_err(internal)
    }
}

#[async_trait]
impl KeystoneWrites for SqlTransaction {
    async fn create_project(&mut self, p: &KsProject) -> Result<()> {
        insert_project(&mut *self.tx, p).await
    }

    async fn update_project(&mut self, p: &KsProject) -> Result<()> {
        let done = sqlx::query(
            "UPDATE ks_projects SET name = $1, description = $2, enabled = $3, tags = $6 \
             WHERE account_id = $4 AND id = $5",
        )
        .bind(p.name.as_str())
        .bind(p.description.as_str())
        .bind(p.enabled)
        .bind(p.account_id.0)
        .bind(&p.id)
        .bind(tags_json(&p.tags)?)
        .execute(&mut *self.tx)
        .await
        .map_err(taken(|| {
            format!("a project named {} already exists", p.name.as_str())
        }))?;
        affected(done.rows_affected(), || {
            format!("project {} does not exist", p.id)
        })
    }

    async fn delete_project(&mut self, account: AccountId, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM ks_assignments WHERE account_id = $1 AND target IN ($2, $3)")
            .bind(account.0)
            .bind(format!("project:{id}"))
            .bind(format!("inherited:project:{id}"))
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        let done = sqlx::query("DELETE FROM ks_projects WHERE account_id = $1 AND id = $2")
            .bind(account.0)
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        affected(done.rows_affected(), || {
            format!("project {id} does not exist")
        })?;
        Ok(())
    }

    async fn grant_role(&mut self, account: AccountId, a: &Assignment) -> Result<()> {
        insert_grant(&mut *self.tx, account, a).await
    }

    async fn revoke_role(&mut self, account: AccountId, a: &Assignment) -> Result<()> {
        let done = sqlx::query(
            "DELETE FROM ks_assignments WHERE account_id = $1 AND actor = $2 \
             AND target = $3 AND role_id = $4",
        )
        .bind(account.0)
        .bind(a.actor.key())
        .bind(a.target.key())
        .bind(&a.role_id)
        .execute(&mut *self.tx)
        .await
        .map_err(internal)?;
        affected(done.rows_affected(), || {
            "the role is not granted there".to_owned()
        })
    }

    async fn revoke_actor_roles(&mut self, account: AccountId, actor: &KsActor) -> Result<()> {
        // A user's id is the installation's: its grants on other domains go too.
        let everywhere = matches!(actor, KsActor::User(_));
        sqlx::query("DELETE FROM ks_assignments WHERE actor = $2 AND (account_id = $1 OR $3)")
            .bind(account.0)
            .bind(actor.key())
            .bind(everywhere)
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        Ok(())
    }

    async fn add_membership(&mut self, group: GroupId, user: UserId) -> Result<()> {
        sqlx::query(
            "INSERT INTO ks_memberships (group_id, user_id) VALUES ($1, $2) \
             ON CONFLICT (group_id, user_id) DO NOTHING",
        )
        .bind(group.0)
        .bind(user.0)
        .execute(&mut *self.tx)
        .await
        .map_err(missing(|| {
            "the group or the user does not exist".to_owned()
        }))?;
        Ok(())
    }

    async fn remove_membership(&mut self, group: GroupId, user: UserId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM ks_memberships WHERE group_id = $1 AND user_id = $2")
            .bind(group.0)
            .bind(user.0)
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        Ok(done.rows_affected() > 0)
    }

    async fn set_user_attributes(
        &mut self,
        user: UserId,
        attributes: &latchkey_core::keystone::UserAttributes,
    ) -> Result<()> {
        let extra = serde_json::Value::Object(attributes.extra.clone()).to_string();
        sqlx::query(
            "INSERT INTO ks_user_attributes (user_id, default_project_id, extra) \
             VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE \
             SET default_project_id = $2, extra = $3",
        )
        .bind(user.0)
        .bind(attributes.default_project.as_deref())
        .bind(extra)
        .execute(&mut *self.tx)
        .await
        .map_err(missing(|| format!("user {} does not exist", user.0)))?;
        Ok(())
    }

    async fn create_app_credential(
        &mut self,
        c: &latchkey_core::keystone::StoredAppCredential,
        new_rules: &[latchkey_core::keystone::AccessRule],
    ) -> Result<()> {
        for r in new_rules {
            sqlx::query(
                "INSERT INTO ks_access_rules (id, user_id, service, path, method) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&r.id)
            .bind(c.user_id.0)
            .bind(&r.service)
            .bind(&r.path)
            .bind(&r.method)
            .execute(&mut *self.tx)
            .await
            .map_err(taken(|| "the access rule already exists".to_owned()))?;
        }
        sqlx::query(
            "INSERT INTO ks_app_credentials (id, user_id, name, secret_hash, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&c.id)
        .bind(c.user_id.0)
        .bind(&c.name)
        .bind(c.secret_hash.0.to_vec())
        .bind(&c.body)
        .bind(micros(c.created_at))
        .execute(&mut *self.tx)
        .await
        .map_err(taken(|| {
            format!("an application credential named {} already exists", c.name)
        }))?;
        Ok(())
    }

    async fn delete_app_credential(&mut self, user: UserId, id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM ks_app_credentials WHERE user_id = $1 AND id = $2")
            .bind(user.0)
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        affected(done.rows_affected(), || {
            format!("application credential {id} does not exist")
        })
    }

    async fn delete_access_rule(&mut self, user: UserId, id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM ks_access_rules WHERE user_id = $1 AND id = $2")
            .bind(user.0)
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        affected(done.rows_affected(), || {
            format!("access rule {id} does not exist")
        })
    }
}
