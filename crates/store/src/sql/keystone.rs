//! The store's the Keystone bootstrap, projects, roles, grants and memberships, in the SQL both
//! backends accept: methods of `impl Store`, handed on to the next part (see
//! [`super::impl_store!`]).

macro_rules! keystone_methods {
    ([$next:ident $(, $rest:ident)*] $store:ident, $shared:literal, { $($methods:tt)* }) => {
        $next! { [$($rest),*] $store, $shared, { $($methods)*

            async fn bootstrap_keystone(&self, b: &KeystoneBootstrap) -> Result<bool> {
                let mut tx = self.begin().await?;
                let first = sqlx::query(
                    "INSERT INTO ks_bootstrap (id, at) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                )
                .bind(micros(b.at))
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
                if first.rows_affected() == 0 {
                    return Ok(false);
                }
                for r in &b.roles {
                    insert_role(&mut *tx, r).await?;
                }
                for (prior, implied) in &b.implications {
                    insert_implied_role(&mut *tx, prior, implied).await?;
                }
                insert_region(&mut *tx, &b.region).await?;
                insert_service(&mut *tx, &b.service).await?;
                for e in &b.endpoints {
                    insert_endpoint(&mut *tx, e).await?;
                }
                if let Some((p, grants)) = &b.project {
                    insert_project(&mut *tx, p).await?;
                    for a in grants {
                        insert_grant(&mut *tx, p.account_id, a).await?;
                    }
                }
                tx.commit().await.map_err(internal)?;
                Ok(true)
            }

            async fn create_project(&self, p: &KsProject) -> Result<()> {
                insert_project(&self.pool, p).await
            }

            async fn update_project(&self, p: &KsProject) -> Result<()> {
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
                .execute(&self.pool)
                .await
                .map_err(taken(|| format!("a project named {} already exists", p.name.as_str())))?;
                affected(done.rows_affected(), || format!("project {} does not exist", p.id))
            }

            async fn delete_project(&self, account: AccountId, id: &str) -> Result<()> {
                let mut tx = self.begin().await?;
                sqlx::query(
                    "DELETE FROM ks_assignments WHERE account_id = $1 AND target IN ($2, $3)",
                )
                    .bind(account.0)
                    .bind(format!("project:{id}"))
                    .bind(format!("inherited:project:{id}"))
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                let done = sqlx::query("DELETE FROM ks_projects WHERE account_id = $1 AND id = $2")
                    .bind(account.0)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                affected(done.rows_affected(), || format!("project {id} does not exist"))?;
                tx.commit().await.map_err(internal)
            }

            async fn projects(&self, account: AccountId) -> Result<Vec<KsProject>> {
                sqlx::query_as::<_, ProjectRow>(
                    "SELECT id, account_id, name, description, enabled, created_at, parent_id, tags \
                     FROM ks_projects WHERE account_id = $1 ORDER BY name",
                )
                .bind(account.0)
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?
                .into_iter()
                .map(KsProject::try_from)
                .collect()
            }

            async fn create_role(&self, r: &KsRole) -> Result<()> {
                insert_role(&self.pool, r).await
            }

            async fn update_role(&self, r: &KsRole) -> Result<()> {
                let done = sqlx::query("UPDATE ks_roles SET name = $1, description = $2 WHERE id = $3")
                    .bind(r.name.as_str())
                    .bind(r.description.as_str())
                    .bind(&r.id)
                    .execute(&self.pool)
                    .await
                    .map_err(taken(|| format!("a role named {} already exists", r.name.as_str())))?;
                affected(done.rows_affected(), || format!("role {} does not exist", r.id))
            }

            async fn delete_role(&self, id: &str) -> Result<()> {
                let done = sqlx::query("DELETE FROM ks_roles WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(internal)?;
                affected(done.rows_affected(), || format!("role {id} does not exist"))
            }

            async fn roles(&self) -> Result<Vec<KsRole>> {
                sqlx::query_as::<_, RoleRow>("SELECT id, name, description, domain_id FROM ks_roles ORDER BY name")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(internal)?
                    .into_iter()
                    .map(KsRole::try_from)
                    .collect()
            }

            async fn create_implied_role(&self, prior: &str, implied: &str) -> Result<()> {
                insert_implied_role(&self.pool, prior, implied).await
            }

            async fn delete_implied_role(&self, prior: &str, implied: &str) -> Result<()> {
                let done = sqlx::query(
                    "DELETE FROM ks_implied_roles WHERE prior_id = $1 AND implied_id = $2",
                )
                .bind(prior)
                .bind(implied)
                .execute(&self.pool)
                .await
                .map_err(internal)?;
                affected(done.rows_affected(), || format!("role {prior} does not imply {implied}"))
            }

            async fn implied_roles(&self) -> Result<Vec<(String, String)>> {
                sqlx::query_as::<_, (String, String)>(
                    "SELECT prior_id, implied_id FROM ks_implied_roles ORDER BY prior_id, implied_id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(internal)
            }

            async fn grant_role(&self, account: AccountId, a: &Assignment) -> Result<()> {
                insert_grant(&self.pool, account, a).await
            }

            async fn revoke_role(&self, account: AccountId, a: &Assignment) -> Result<()> {
                let done = sqlx::query(
                    "DELETE FROM ks_assignments WHERE account_id = $1 AND actor = $2 \
                     AND target = $3 AND role_id = $4",
                )
                .bind(account.0)
                .bind(a.actor.key())
                .bind(a.target.key())
                .bind(&a.role_id)
                .execute(&self.pool)
                .await
                .map_err(internal)?;
                affected(done.rows_affected(), || "the role is not granted there".to_owned())
            }

            async fn revoke_actor_roles(&self, account: AccountId, actor: &KsActor) -> Result<()> {
                // A user's id is the installation's: its grants on other domains go too.
                let everywhere = matches!(actor, KsActor::User(_));
                sqlx::query(
                    "DELETE FROM ks_assignments WHERE actor = $2 AND (account_id = $1 OR $3)",
                )
                .bind(account.0)
                .bind(actor.key())
                .bind(everywhere)
                .execute(&self.pool)
                .await
                .map_err(internal)?;
                Ok(())
            }

            async fn accounts_granting(&self, actor: &KsActor) -> Result<Vec<AccountId>> {
                Ok(sqlx::query_scalar::<_, i64>(
                    "SELECT DISTINCT account_id FROM ks_assignments WHERE actor = $1 \
                     ORDER BY account_id",
                )
                .bind(actor.key())
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?
                .into_iter()
                .map(AccountId)
                .collect())
            }

            async fn add_membership(&self, group: GroupId, user: UserId) -> Result<()> {
                sqlx::query(
                    "INSERT INTO ks_memberships (group_id, user_id) VALUES ($1, $2) \
                     ON CONFLICT (group_id, user_id) DO NOTHING",
                )
                .bind(group.0)
                .bind(user.0)
                .execute(&self.pool)
                .await
                .map_err(missing(|| "the group or the user does not exist".to_owned()))?;
                Ok(())
            }

            async fn remove_membership(&self, group: GroupId, user: UserId) -> Result<bool> {
                let done = sqlx::query(
                    "DELETE FROM ks_memberships WHERE group_id = $1 AND user_id = $2",
                )
                .bind(group.0)
                .bind(user.0)
                .execute(&self.pool)
                .await
                .map_err(internal)?;
                Ok(done.rows_affected() > 0)
            }

            async fn memberships_in(&self, account: AccountId) -> Result<Vec<Membership>> {
                sqlx::query_as::<_, (i64, String, String)>(
                    "SELECT m.user_id, g.name, g.role FROM ks_memberships m \
                     JOIN user_groups g ON g.id = m.group_id WHERE g.account_id = $1 \
                     ORDER BY m.user_id, g.name",
                )
                .bind(account.0)
                .fetch_all(&self.pool)
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
                    .fetch_all(&self.pool)
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
                .fetch_all(&self.pool)
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

        } }
    };
}

pub(crate) use keystone_methods;
