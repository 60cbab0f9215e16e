//! The catalog part of the store contract (see `mod.rs`).

use super::*;

#[async_trait]
impl CatalogReads for Backend {
    async fn roles(&self) -> Result<Vec<KsRole>> {
        sqlx::query_as::<_, RoleRow>(
            "SELECT id, name, description, domain_id FROM ks_roles ORDER BY name",
        )
        .fetch_all(self.db()?)
        .await
        .map_err(internal)?
        .into_iter()
        .map(KsRole::try_from)
        .collect()
    }

    async fn implied_roles(&self) -> Result<Vec<(String, String)>> {
        sqlx::query_as::<_, (String, String)>(
            "SELECT prior_id, implied_id FROM ks_implied_roles ORDER BY prior_id, implied_id",
        )
        .fetch_all(self.db()?)
        .await
        .map_err(internal)
    }

    async fn regions(&self) -> Result<Vec<Region>> {
        sqlx::query_as::<_, (String, String, Option<String>)>(
            "SELECT id, description, parent_region_id FROM ks_regions ORDER BY id",
        )
        .fetch_all(self.db()?)
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

    async fn services(&self) -> Result<Vec<KsService>> {
        sqlx::query_as::<_, (String, String, String, String, bool)>(
            "SELECT id, kind, name, description, enabled FROM ks_services ORDER BY kind, name, id",
        )
        .fetch_all(self.db()?)
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

    async fn endpoints(&self) -> Result<Vec<Endpoint>> {
        sqlx::query_as::<_, (String, String, Option<String>, String, String, bool)>(
            "SELECT id, service_id, region_id, interface, url, enabled FROM ks_endpoints \
             ORDER BY service_id, interface, id",
        )
        .fetch_all(self.db()?)
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
}

#[async_trait]
impl CatalogWrites for SqlTransaction {
    async fn bootstrap_keystone(&mut self, b: &KeystoneBootstrap) -> Result<bool> {
        let first = sqlx::query(
            "INSERT INTO ks_bootstrap (id, at) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        )
        .bind(micros(b.at))
        .execute(&mut *self.tx)
        .await
        .map_err(internal)?;
        if first.rows_affected() == 0 {
            return Ok(false);
        }
        for r in &b.roles {
            insert_role(&mut *self.tx, r).await?;
        }
        for (prior, implied) in &b.implications {
            insert_implied_role(&mut *self.tx, prior, implied).await?;
        }
        insert_region(&mut *self.tx, &b.region).await?;
        insert_service(&mut *self.tx, &b.service).await?;
        for e in &b.endpoints {
            insert_endpoint(&mut *self.tx, e).await?;
        }
        if let Some((p, grants)) = &b.project {
            insert_project(&mut *self.tx, p).await?;
            for a in grants {
                insert_grant(&mut *self.tx, p.account_id, a).await?;
            }
        }
        Ok(true)
    }

    async fn create_role(&mut self, r: &KsRole) -> Result<()> {
        insert_role(&mut *self.tx, r).await
    }

    async fn update_role(&mut self, r: &KsRole) -> Result<()> {
        let done = sqlx::query("UPDATE ks_roles SET name = $1, description = $2 WHERE id = $3")
            .bind(r.name.as_str())
            .bind(r.description.as_str())
            .bind(&r.id)
            .execute(&mut *self.tx)
            .await
            .map_err(taken(|| {
                format!("a role named {} already exists", r.name.as_str())
            }))?;
        affected(done.rows_affected(), || {
            format!("role {} does not exist", r.id)
        })
    }

    async fn delete_role(&mut self, id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM ks_roles WHERE id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        affected(done.rows_affected(), || format!("role {id} does not exist"))
    }

    async fn create_implied_role(&mut self, prior: &str, implied: &str) -> Result<()> {
        insert_implied_role(&mut *self.tx, prior, implied).await
    }

    async fn delete_implied_role(&mut self, prior: &str, implied: &str) -> Result<()> {
        let done =
            sqlx::query("DELETE FROM ks_implied_roles WHERE prior_id = $1 AND implied_id = $2")
                .bind(prior)
                .bind(implied)
                .execute(&mut *self.tx)
                .await
                .map_err(internal)?;
        affected(done.rows_affected(), || {
            format!("role {prior} does not imply {implied}")
        })
    }

    async fn create_region(&mut self, r: &Region) -> Result<()> {
        insert_region(&mut *self.tx, r).await
    }

    async fn update_region(&mut self, r: &Region) -> Result<()> {
        let done = sqlx::query(
            "UPDATE ks_regions SET description = $1, parent_region_id = $2 WHERE id = $3",
        )
        .bind(r.description.as_str())
        .bind(r.parent_region_id.as_deref())
        .bind(&r.id)
        .execute(&mut *self.tx)
        .await
        .map_err(missing(|| "the parent region does not exist".to_owned()))?;
        affected(done.rows_affected(), || {
            format!("region {} does not exist", r.id)
        })
    }

    async fn delete_region(&mut self, id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM ks_regions WHERE id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(in_use(|| {
                format!("region {id} is still used by endpoints or regions")
            }))?;
        affected(done.rows_affected(), || {
            format!("region {id} does not exist")
        })
    }

    async fn create_service(&mut self, v: &KsService) -> Result<()> {
        insert_service(&mut *self.tx, v).await
    }

    async fn update_service(&mut self, v: &KsService) -> Result<()> {
        let done = sqlx::query(
            "UPDATE ks_services SET kind = $1, name = $2, description = $3, enabled = $4 \
             WHERE id = $5",
        )
        .bind(&v.kind)
        .bind(&v.name)
        .bind(v.description.as_str())
        .bind(v.enabled)
        .bind(&v.id)
        .execute(&mut *self.tx)
        .await
        .map_err(internal)?;
        affected(done.rows_affected(), || {
            format!("service {} does not exist", v.id)
        })
    }

    async fn delete_service(&mut self, id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM ks_services WHERE id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        affected(done.rows_affected(), || {
            format!("service {id} does not exist")
        })
    }

    async fn create_endpoint(&mut self, e: &Endpoint) -> Result<()> {
        insert_endpoint(&mut *self.tx, e).await
    }

    async fn update_endpoint(&mut self, e: &Endpoint) -> Result<()> {
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
        .execute(&mut *self.tx)
        .await
        .map_err(missing(|| {
            "the endpoint's service or region does not exist".to_owned()
        }))?;
        affected(done.rows_affected(), || {
            format!("endpoint {} does not exist", e.id)
        })
    }

    async fn delete_endpoint(&mut self, id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM ks_endpoints WHERE id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        affected(done.rows_affected(), || {
            format!("endpoint {id} does not exist")
        })
    }
}
