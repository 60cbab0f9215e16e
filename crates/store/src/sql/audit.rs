//! Reading and pruning the audit log.

use latchkey_core::audit::{AuditQuery, AuditRecord, Author, AuthorType, Origin};

use super::*;

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    kind: String,
    account_id: Option<i64>,
    author_type: Option<String>,
    author_user: Option<String>,
    identity: Option<String>,
    credential: Option<String>,
    ip: Option<String>,
    request_id: Option<String>,
    user_agent: Option<String>,
    details: String,
    created_at: i64,
    last_at: i64,
    count: i64,
}

impl AuditRow {
    fn into_record(self) -> Result<AuditRecord> {
        let details = match serde_json::from_str(&self.details) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => return Err(Error::internal("stored audit details are not an object")),
        };
        Ok(AuditRecord {
            id: self.id,
            kind: self.kind,
            account: self.account_id.map(AccountId),
            author: Author {
                kind: self.author_type.as_deref().and_then(AuthorType::parse),
                user: self.author_user,
                identity: self.identity,
                credential: self.credential,
            },
            origin: Origin {
                ip: self.ip.and_then(|ip| ip.parse().ok()),
                request_id: self.request_id,
                user_agent: self.user_agent,
            },
            details,
            at: crate::rows::time(self.created_at)?,
            count: self.count,
            last_at: crate::rows::time(self.last_at)?,
        })
    }
}

/// A condition and the values it binds, in order.
enum Bound {
    Int(i64),
    Text(String),
}

#[async_trait]
impl AuditReads for Backend {
    async fn audit_records(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>> {
        let mut conditions = Vec::new();
        let mut binds = Vec::new();
        let bind = |condition: &str, value: Bound, c: &mut Vec<String>, b: &mut Vec<Bound>| {
            b.push(value);
            c.push(condition.replace('?', &format!("${}", b.len())));
        };
        if let Some(account) = query.account {
            bind(
                "account_id = ?",
                Bound::Int(account.0),
                &mut conditions,
                &mut binds,
            );
        }
        if !query.kinds.is_empty() {
            let mut names = Vec::new();
            for kind in &query.kinds {
                binds.push(Bound::Text(kind.clone()));
                names.push(format!("${}", binds.len()));
            }
            conditions.push(format!("kind IN ({})", names.join(", ")));
        }
        if let Some(identity) = &query.identity {
            bind(
                "identity = ?",
                Bound::Text(identity.clone()),
                &mut conditions,
                &mut binds,
            );
        }
        if let Some(from) = query.from {
            bind(
                "last_at >= ?",
                Bound::Int(micros(from)),
                &mut conditions,
                &mut binds,
            );
        }
        if let Some(to) = query.to {
            bind(
                "created_at < ?",
                Bound::Int(micros(to)),
                &mut conditions,
                &mut binds,
            );
        }
        if let Some(before) = query.before {
            bind("id < ?", Bound::Int(before), &mut conditions, &mut binds);
        }
        if let Some(after) = query.after {
            bind("id > ?", Bound::Int(after), &mut conditions, &mut binds);
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let order = if query.after.is_some() { "ASC" } else { "DESC" };
        binds.push(Bound::Int(query.limit.max(0)));
        let sql = format!(
            "SELECT id, kind, account_id, author_type, author_user, identity, credential, ip, \
             request_id, user_agent, details, created_at, last_at, count FROM audit_log \
             {filter} ORDER BY id {order} LIMIT ${}",
            binds.len()
        );
        let mut q = sqlx::query_as::<_, AuditRow>(AssertSqlSafe(sql));
        for value in binds {
            q = match value {
                Bound::Int(v) => q.bind(v),
                Bound::Text(v) => q.bind(v),
            };
        }
        q.fetch_all(self.db()?)
            .await
            .map_err(internal)?
            .into_iter()
            .map(AuditRow::into_record)
            .collect()
    }

    async fn prune_audit(&self, before: DateTime<Utc>, limit: i64) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM audit_log WHERE id IN \
             (SELECT id FROM audit_log WHERE last_at < $1 ORDER BY id LIMIT $2)",
        )
        .bind(micros(before))
        .bind(limit)
        .execute(self.db()?)
        .await
        .map_err(internal)?;
        Ok(done.rows_affected())
    }
}
