//! The record of a change, written in the change's transaction: its audit records (a repeated
//! one added to the count of its last occurrence, see [`latchkey_core::audit::Coalesce`]) and
//! its change events.

use latchkey_core::audit::NewAudit;

use super::*;

/// Writes `record` into the open transaction; returns the ids of its rows.
pub(super) async fn write(tx: &mut Tx, record: &Record) -> Result<Committed> {
    if let (Some(both), [audit], [event]) = (AUDIT_AND_NOTIFY, record.audit(), record.changes())
        && audit.coalesce.is_none()
    {
        let (audit_id, event_id) = bind_event(
            bind_audit(sqlx::query_as::<_, (i64, i64)>(both), audit),
            event,
        )
        .fetch_one(&mut **tx)
        .await
        .map_err(internal)?;
        return Ok(Committed {
            event_ids: vec![event_id],
            audit_ids: vec![audit_id],
        });
    }
    let mut audit_ids = Vec::with_capacity(record.audit().len());
    for audit in record.audit() {
        audit_ids.push(write_audit(tx, audit).await?);
    }
    let events = record.changes();
    let mut event_ids = Vec::with_capacity(events.len());
    for (i, event) in events.iter().enumerate() {
        // The last event of the commit announces it to the other nodes (where the backend
        // has them), in the same statement; delivered when, and only if, it commits.
        let insert = match NOTIFY {
            Some(notifying) if i + 1 == events.len() => notifying,
            _ => INSERT_EVENT,
        };
        event_ids.push(write_event(tx, insert, event).await?);
    }
    Ok(Committed {
        event_ids,
        audit_ids,
    })
}

/// Writes one record (or adds to the one it repeats); returns its id.
async fn write_audit(tx: &mut Tx, audit: &NewAudit) -> Result<i64> {
    if let Some(coalesce) = &audit.coalesce {
        let repeated = sqlx::query_scalar::<_, i64>(
            "UPDATE audit_log SET count = count + 1, last_at = $1 WHERE id = \
             (SELECT MAX(id) FROM audit_log WHERE coalesce_key = $2 AND last_at >= $3) \
             RETURNING id",
        )
        .bind(micros(audit.at))
        .bind(&coalesce.key)
        .bind(micros(coalesce.since))
        .fetch_optional(&mut **tx)
        .await
        .map_err(internal)?;
        if let Some(id) = repeated {
            return Ok(id);
        }
    }
    let (id,) = bind_audit(
        sqlx::query_as::<_, (i64,)>(
            "INSERT INTO audit_log (kind, account_id, author_type, author_user, identity, \
             credential, ip, request_id, user_agent, details, created_at, last_at, count, \
             coalesce_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, 1, $12) \
             RETURNING id",
        ),
        audit,
    )
    .fetch_one(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(id)
}

type RowQuery<'q, O> = sqlx::query::QueryAs<'q, Db, O, <Db as sqlx::Database>::Arguments>;

/// `query` with an audit row's 12 values bound, in the order of the `audit_log` inserts above.
fn bind_audit<'q, O>(query: RowQuery<'q, O>, audit: &'q NewAudit) -> RowQuery<'q, O> {
    query
        .bind(audit.kind.as_str())
        .bind(audit.account.map(|a| a.0))
        .bind(audit.author.kind.map(|k| k.as_str()))
        .bind(&audit.author.user)
        .bind(&audit.author.identity)
        .bind(&audit.author.credential)
        .bind(audit.origin.ip.map(|ip| ip.to_string()))
        .bind(&audit.origin.request_id)
        .bind(&audit.origin.user_agent)
        .bind(serde_json::Value::Object(audit.details.clone()).to_string())
        .bind(micros(audit.at))
        .bind(audit.coalesce.as_ref().map(|c| c.key.as_str()))
}

/// An event's row.
pub(super) const INSERT_EVENT: &str = "INSERT INTO revocation_events \
    (kind, subject, account_id, identity, at) VALUES ($1, $2, $3, $4, $5) RETURNING id";

async fn write_event(tx: &mut Tx, insert: &'static str, event: &NewRevocation) -> Result<i64> {
    let (id,) = bind_event(sqlx::query_as::<_, (i64,)>(insert), event)
        .fetch_one(&mut **tx)
        .await
        .map_err(internal)?;
    Ok(id)
}

/// `query` with an event row's 5 values bound, in the order of the event inserts.
fn bind_event<'q, O>(query: RowQuery<'q, O>, event: &'q NewRevocation) -> RowQuery<'q, O> {
    query
        .bind(event.kind.as_str())
        .bind(&event.subject)
        .bind(event.account.map(|a| a.0))
        .bind(&event.identity)
        .bind(micros(event.at))
}
