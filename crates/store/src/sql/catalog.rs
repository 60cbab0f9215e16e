//! The store's the Keystone catalog (regions, services, endpoints) and the token-issue windows, in
//! the SQL both backends accept: methods of `impl Store`, handed on to the next part (see
//! [`super::impl_store!`]).

macro_rules! catalog_methods {
    ([$next:ident $(, $rest:ident)*] $store:ident, $shared:literal, { $($methods:tt)* }) => {
        $next! { [$($rest),*] $store, $shared, { $($methods)*

            async fn create_region(&self, r: &Region) -> Result<()> {
                insert_region(&self.pool, r).await
            }

            async fn update_region(&self, r: &Region) -> Result<()> {
                let done = sqlx::query(
                    "UPDATE ks_regions SET description = $1, parent_region_id = $2 WHERE id = $3",
                )
                .bind(r.description.as_str())
                .bind(r.parent_region_id.as_deref())
                .bind(&r.id)
                .execute(&self.pool)
                .await
                .map_err(missing(|| "the parent region does not exist".to_owned()))?;
                affected(done.rows_affected(), || format!("region {} does not exist", r.id))
            }

            async fn delete_region(&self, id: &str) -> Result<()> {
                let done = sqlx::query("DELETE FROM ks_regions WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(in_use(|| format!("region {id} is still used by endpoints or regions")))?;
                affected(done.rows_affected(), || format!("region {id} does not exist"))
            }

            async fn regions(&self) -> Result<Vec<Region>> {
                sqlx::query_as::<_, (String, String, Option<String>)>(
                    "SELECT id, description, parent_region_id FROM ks_regions ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?
                .into_iter()
                .map(|(id, description, parent_region_id)| {
                    Ok(Region {
                        id,
                        description: description_of(&description)?,
                        parent_region_id,
                    })
                })
                .collect()
            }

            async fn create_service(&self, v: &KsService) -> Result<()> {
                insert_service(&self.pool, v).await
            }

            async fn update_service(&self, v: &KsService) -> Result<()> {
                let done = sqlx::query(
                    "UPDATE ks_services SET kind = $1, name = $2, description = $3, enabled = $4 \
                     WHERE id = $5",
                )
                .bind(&v.kind)
                .bind(&v.name)
                .bind(v.description.as_str())
                .bind(v.enabled)
                .bind(&v.id)
                .execute(&self.pool)
                .await
                .map_err(internal)?;
                affected(done.rows_affected(), || format!("service {} does not exist", v.id))
            }

            async fn delete_service(&self, id: &str) -> Result<()> {
                let done = sqlx::query("DELETE FROM ks_services WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(internal)?;
                affected(done.rows_affected(), || format!("service {id} does not exist"))
            }

            async fn services(&self) -> Result<Vec<KsService>> {
                sqlx::query_as::<_, (String, String, String, String, bool)>(
                    "SELECT id, kind, name, description, enabled FROM ks_services ORDER BY kind, name, id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?
                .into_iter()
                .map(|(id, kind, name, description, enabled)| {
                    Ok(KsService {
                        id,
                        kind,
                        name,
                        description: description_of(&description)?,
                        enabled,
                    })
                })
                .collect()
            }

            async fn create_endpoint(&self, e: &Endpoint) -> Result<()> {
                insert_endpoint(&self.pool, e).await
            }

            async fn update_endpoint(&self, e: &Endpoint) -> Result<()> {
                let done = sqlx::query(
                    "UPDATE ks_endpoints SET service_id = $1, region_id = $2, interface = $3, \
                     url = $4, enabled = $5 WHERE id = $6",
                )
                .bind(&e.service_id)
                .bind(e.region_id.as_deref())
                .bind(e.interface.as_str())
                .bind(&e.url)
                .bind(e.enabled)
                .bind(&e.id)
                .execute(&self.pool)
                .await
                .map_err(missing(|| "the endpoint's service or region does not exist".to_owned()))?;
                affected(done.rows_affected(), || format!("endpoint {} does not exist", e.id))
            }

            async fn delete_endpoint(&self, id: &str) -> Result<()> {
                let done = sqlx::query("DELETE FROM ks_endpoints WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(internal)?;
                affected(done.rows_affected(), || format!("endpoint {id} does not exist"))
            }

            async fn endpoints(&self) -> Result<Vec<Endpoint>> {
                sqlx::query_as::<_, (String, String, Option<String>, String, String, bool)>(
                    "SELECT id, service_id, region_id, interface, url, enabled FROM ks_endpoints \
                     ORDER BY service_id, interface, id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?
                .into_iter()
                .map(|(id, service_id, region_id, interface, url, enabled)| {
                    Ok(Endpoint {
                        id,
                        service_id,
                        region_id,
                        interface: Interface::parse(&interface)
                            .map_err(|e| Error::internal(format!("stored interface: {e}")))?,
                        url,
                        enabled,
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
                .fetch_optional(&self.pool)
                .await
                .map_err(internal)?;
                Ok(counted.is_some())
            }

            async fn prune_token_issues(&self, before: DateTime<Utc>) -> Result<()> {
                sqlx::query("DELETE FROM ks_issue_windows WHERE window_start < $1")
                    .bind(micros(before))
                    .execute(&self.pool)
                    .await
                    .map_err(internal)?;
                Ok(())
            }

        } }
    };
}

pub(crate) use catalog_methods;
