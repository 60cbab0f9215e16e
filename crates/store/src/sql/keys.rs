//! The store's signing keys, revocation events and revoked token ids, in the SQL both backends
//! accept: methods of `impl Store`, handed on to the next part (see [`super::impl_store!`]).

macro_rules! key_methods {
    ([$next:ident $(, $rest:ident)*] $store:ident, $shared:literal, { $($methods:tt)* }) => {
        $next! { [$($rest),*] $store, $shared, { $($methods)*

            async fn signing_keys(&self) -> Result<Vec<StoredKey>> {
                sqlx::query_as::<_, KeyRow>(
                    "SELECT kid, state, sealed_private, public_key, created_at, activated_at, \
                     verify_until FROM signing_keys ORDER BY CASE state WHEN 'RETIRED' THEN 0 \
                     WHEN 'PRIMARY' THEN 1 ELSE 2 END, created_at, kid",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?
                .into_iter()
                .map(StoredKey::try_from)
                .collect()
            }

            async fn init_signing_keys(&self, primary: StoredKey, staged: StoredKey) -> Result<bool> {
                let mut tx = self.begin().await?;
                let existing = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM signing_keys")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(internal)?;
                if existing > 0 {
                    return Ok(false);
                }
                for key in [&primary, &staged] {
                    match insert_key(&mut tx, key).await {
                        Ok(()) => {}
                        Err(Error::Conflict(_)) => return Ok(false),
                        Err(e) => return Err(e),
                    }
                }
                match commit(tx).await {
                    Ok(()) => Ok(true),
                    Err(_) if !self.signing_keys().await?.is_empty() => Ok(false),
                    Err(e) => Err(e),
                }
            }

            async fn rotate_signing_keys(
                &self,
                expected_primary: &str,
                verify_until: DateTime<Utc>,
                next_staged: StoredKey,
                now: DateTime<Utc>,
            ) -> Result<bool> {
                let mut tx = self.begin().await?;
                let retired = sqlx::query(
                    "UPDATE signing_keys SET state = $1, verify_until = $2 WHERE kid = $3 AND state = $4",
                )
                .bind(KeyState::Retired.as_str())
                .bind(micros(verify_until))
                .bind(expected_primary)
                .bind(KeyState::Primary.as_str())
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
                if retired.rows_affected() == 0 {
                    return Ok(false);
                }
                let promoted = sqlx::query(
                    "UPDATE signing_keys SET state = $1, activated_at = $2 WHERE state = $3",
                )
                .bind(KeyState::Primary.as_str())
                .bind(micros(now))
                .bind(KeyState::Staged.as_str())
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
                if promoted.rows_affected() != 1 {
                    return Err(Error::internal("no staged signing key to promote"));
                }
                insert_key(&mut tx, &next_staged).await?;
                sqlx::query("DELETE FROM signing_keys WHERE state = $1 AND verify_until <= $2")
                    .bind(KeyState::Retired.as_str())
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                commit(tx).await?;
                Ok(true)
            }

            async fn record_revocation(&self, event: &NewRevocation) -> Result<i64> {
                sqlx::query_scalar::<_, i64>(
                    "INSERT INTO revocation_events (kind, subject, account_id, identity, at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(event.kind.as_str())
                .bind(&event.subject)
                .bind(event.account.map(|a| a.0))
                .bind(&event.identity)
                .bind(micros(event.at))
                .fetch_one(&self.pool)
                .await
                .map_err(internal)
            }

            async fn revocations_since(&self, after: i64, limit: i64) -> Result<Vec<RevocationEvent>> {
                let rows = sqlx::query_as::<_, crate::rows::RevocationRow>(
                    "SELECT id, kind, subject, account_id, identity, at FROM revocation_events \
                     WHERE id > $1 ORDER BY id LIMIT $2",
                )
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?;
                rows.into_iter().map(crate::rows::RevocationRow::into_event).collect()
            }

            async fn account_revocations_since(
                &self,
                account: AccountId,
                after: i64,
                limit: i64,
            ) -> Result<Vec<RevocationEvent>> {
                let rows = sqlx::query_as::<_, crate::rows::RevocationRow>(
                    "SELECT id, kind, subject, account_id, identity, at FROM revocation_events \
                     WHERE (account_id = $1 OR account_id IS NULL) AND id > $2 ORDER BY id LIMIT $3",
                )
                .bind(account.0)
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?;
                rows.into_iter().map(crate::rows::RevocationRow::into_event).collect()
            }

            async fn last_revocation_id(&self) -> Result<i64> {
                sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM revocation_events")
                    .fetch_one(&self.pool)
                    .await
                    .map(|id| id.unwrap_or(0))
                    .map_err(internal)
            }

            async fn prune_revocations(&self, before: DateTime<Utc>) -> Result<()> {
                sqlx::query("DELETE FROM revocation_events WHERE at < $1")
                    .bind(micros(before))
                    .execute(&self.pool)
                    .await
                    .map_err(internal)?;
                Ok(())
            }

            async fn revoke_token(&self, jti: &str, expires_at: DateTime<Utc>) -> Result<()> {
                sqlx::query(
                    "INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) \
                     ON CONFLICT (jti) DO NOTHING",
                )
                .bind(jti)
                .bind(micros(expires_at))
                .execute(&self.pool)
                .await
                .map_err(internal)?;
                Ok(())
            }

            async fn revoked_tokens(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
                sqlx::query("DELETE FROM revoked_tokens WHERE expires_at <= $1")
                    .bind(micros(now))
                    .execute(&self.pool)
                    .await
                    .map_err(internal)?;
                sqlx::query_scalar::<_, String>("SELECT jti FROM revoked_tokens")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(internal)
            }

        } }
    };
}

pub(crate) use key_methods;
