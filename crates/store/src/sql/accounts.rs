//! The accounts part of the store contract (see `mod.rs`).

use super::*;

#[async_trait]
impl AccountReads for Backend {
    async fn account(&self, id: AccountId) -> Result<Option<Account>> {
        sqlx::query_as::<_, AccountRow>(AssertSqlSafe(format!("{ACCOUNT_SELECT} AND id = $1")))
            .bind(id.0)
            .fetch_optional(self.db()?)
            .await
            .map_err(internal)?
            .map(Account::try_from)
            .transpose()
    }

    async fn account_by_nic(&self, nic: &Nic) -> Result<Option<Account>> {
        sqlx::query_as::<_, AccountRow>(AssertSqlSafe(format!("{ACCOUNT_SELECT} AND nic = $1")))
            .bind(nic.as_str())
            .fetch_optional(self.db()?)
            .await
            .map_err(internal)?
            .map(Account::try_from)
            .transpose()
    }

    async fn list_accounts(&self) -> Result<Vec<Account>> {
        sqlx::query_as::<_, AccountRow>(AssertSqlSafe(format!("{ACCOUNT_SELECT} ORDER BY id")))
            .fetch_all(self.db()?)
            .await
            .map_err(internal)?
            .into_iter()
            .map(Account::try_from)
            .collect()
    }

    async fn highest_generated_nic(&self) -> Result<u64> {
        // Tombstones keep their nic: a deleted account's is never given again.
        let nics: Vec<String> =
            sqlx::query_scalar("SELECT nic FROM accounts WHERE nic LIKE 'lk%-lk'")
                .fetch_all(self.db()?)
                .await
                .map_err(internal)?;
        Ok(nics
            .iter()
            .filter_map(|n| latchkey_core::names::generated_nic_number(n))
            .max()
            .unwrap_or(0))
    }

    async fn operator_account(&self) -> Result<Option<Account>> {
        sqlx::query_as::<_, AccountRow>(AssertSqlSafe(format!("{ACCOUNT_SELECT} AND operator")))
            .fetch_optional(self.db()?)
            .await
            .map_err(internal)?
            .map(Account::try_from)
            .transpose()
    }
}

#[async_trait]
impl AccountWrites for SqlTransaction {
    async fn create_account(&mut self, new: NewAccount) -> Result<Account> {
        let now = micros(new.now);
        let nic = new.nic.clone();
        let row = sqlx::query_as::<_, AccountRow>(
            "INSERT INTO accounts (nic, email, operator, created_at, domain_name, description) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             RETURNING id, nic, email, operator, created_at, domain_name, description, enabled",
        )
        .bind(new.nic.as_str())
        .bind(new.email.as_str())
        .bind(new.operator)
        .bind(now)
        .bind(new.domain.name.as_ref().map(DisplayName::as_str))
        .bind(new.domain.description.as_str())
        .fetch_one(&mut *self.tx)
        .await
        .map_err(taken(|| {
            if new.operator {
                format!("account {nic} already exists, or the store is already bootstrapped")
            } else if let Some(name) = &new.domain.name {
                format!(
                    "account {nic} or a domain named {} already exists",
                    name.as_str()
                )
            } else {
                format!("account {nic} already exists")
            }
        }))?;
        let mut account = Account::try_from(row)?;
        if !new.domain.enabled {
            sqlx::query("UPDATE accounts SET enabled = FALSE WHERE id = $1")
                .bind(account.id.0)
                .execute(&mut *self.tx)
                .await
                .map_err(internal)?;
            account.domain.enabled = false;
        }
        let mut root_group = None;
        for (name, role, description) in DEFAULT_GROUPS {
            let id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO user_groups \
                 (id, account_id, name, role, description, default_group, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7) RETURNING id",
            )
            .bind(super::random_key())
            .bind(account.id.0)
            .bind(*name)
            .bind(role.as_str())
            .bind(*description)
            .bind(now)
            .bind(now)
            .fetch_one(&mut *self.tx)
            .await
            .map_err(internal)?;
            if *name == ROOT_GROUP {
                root_group = Some(id);
            }
        }
        let root_group = root_group.ok_or_else(|| Error::internal("no default group for ROOT"))?;
        sqlx::query(
            "INSERT INTO users (id, account_id, login, email, group_id, description, \
             password_hash, status, kind, created_at, updated_at, password_updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(super::random_key())
        .bind(account.id.0)
        .bind(new.root_login.as_str())
        .bind(new.email.as_str())
        .bind(root_group)
        .bind("Account owner")
        .bind(&new.root_password_hash)
        .bind(UserStatus::Ok.as_str())
        .bind(UserType::Root.as_str())
        .bind(now)
        .bind(now)
        .bind(now)
        .execute(&mut *self.tx)
        .await
        .map_err(internal)?;
        Ok(account)
    }

    async fn update_domain(&mut self, id: AccountId, domain: &DomainFields) -> Result<Account> {
        let name = domain.name.as_ref().map(DisplayName::as_str);
        let done = sqlx::query(
            "UPDATE accounts SET domain_name = $1, description = $2, enabled = $3 \
             WHERE id = $4 AND NOT deleted",
        )
        .bind(name)
        .bind(domain.description.as_str())
        .bind(domain.enabled)
        .bind(id.0)
        .execute(&mut *self.tx)
        .await
        .map_err(taken(|| {
            format!("a domain named {} already exists", name.unwrap_or_default())
        }))?;
        affected(done.rows_affected(), || {
            format!("account {} does not exist", id.0)
        })?;
        sqlx::query_as::<_, AccountRow>(AssertSqlSafe(format!("{ACCOUNT_SELECT} AND id = $1")))
            .bind(id.0)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(internal)?
            .map(Account::try_from)
            .transpose()?
            .ok_or_else(|| Error::not_found(format!("account {} does not exist", id.0)))
    }

    async fn delete_account(&mut self, id: AccountId) -> Result<()> {
        let done = sqlx::query(
            "UPDATE accounts SET deleted = TRUE, enabled = FALSE, domain_name = NULL \
             WHERE id = $1 AND NOT operator AND NOT deleted",
        )
        .bind(id.0)
        .execute(&mut *self.tx)
        .await
        .map_err(internal)?;
        affected(done.rows_affected(), || {
            format!("account {} does not exist", id.0)
        })?;
        // Its users' grants on other domains go with them (their memberships of other
        // domains' groups cascade).
        sqlx::query(
            "DELETE FROM ks_assignments WHERE actor IN \
             (SELECT 'user:' || CAST(id AS TEXT) FROM users WHERE account_id = $1)",
        )
        .bind(id.0)
        .execute(&mut *self.tx)
        .await
        .map_err(internal)?;
        // Everything in it goes; users before their groups (RESTRICT), tokens with them.
        for table in [
            "ks_assignments",
            "ks_projects",
            "policies",
            "iam_permissions_groups",
            "iam_resource_groups",
            "iam_resources",
            "service_accounts",
            "users",
            "user_groups",
        ] {
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE account_id = $1"
            )))
            .bind(id.0)
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        }
        Ok(())
    }
}
