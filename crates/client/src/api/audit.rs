//! The audit log: `GET /v2/audit/log` and the stream `GET /1.0/me/logs/audit/stream`.

use std::time::Duration;

use super::{seg, with_query};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::model::{AuditFilter, AuditRecord};
use crate::sse::Events;

/// The server sends a keep-alive comment every 5 s; three missed ones mean a dead connection.
const SILENCE: Duration = Duration::from_secs(15);

impl Client {
    /// `GET /v2/audit/log`: the records `filter` selects, newest first, up to `limit` of them
    /// (every one without a limit), as many pages as it takes.
    pub async fn audit_log(
        &self,
        filter: &AuditFilter,
        limit: Option<usize>,
    ) -> Result<Vec<AuditRecord>> {
        let mut query: Vec<String> = filter
            .types
            .iter()
            .map(|t| format!("type[]={}", seg(t)))
            .collect();
        if let Some(identity) = &filter.identity {
            query.push(format!("identity={}", seg(identity)));
        }
        for (key, at) in [("from", filter.from), ("to", filter.to)] {
            if let Some(at) = at {
                query.push(format!("{key}={}", seg(&at.to_rfc3339())));
            }
        }
        if let Some(account) = &filter.account {
            query.push(format!("account={}", seg(account)));
        }
        self.pages(&with_query("/v2/audit/log", &query), limit)
            .await
    }

    /// `GET /1.0/me/logs/audit/stream`: the account's records (of OVHcloud's types) as they are
    /// committed, oldest first, after the record `since` (from now without it).
    pub async fn audit_stream(&self, since: Option<i64>) -> Result<AuditStream> {
        let path = match since {
            Some(id) => format!("/1.0/me/logs/audit/stream?since={id}"),
            None => "/1.0/me/logs/audit/stream".to_owned(),
        };
        let res = crate::answer::check(self.open_stream(&path).await?).await?;
        Ok(AuditStream {
            events: Events::new(res, SILENCE),
            last: since,
        })
    }
}

/// Records as the server pushes them ([`Client::audit_stream`]).
#[derive(Debug)]
pub struct AuditStream {
    events: Events,
    last: Option<i64>,
}

impl AuditStream {
    /// The next record; `None` when the server ended the stream (it stopped, or the caller
    /// lost the right: open another from [`AuditStream::last_id`] to know which).
    pub async fn next(&mut self) -> Result<Option<AuditRecord>> {
        while let Some(event) = self.events.next().await? {
            if event.event == "cursor" {
                // Where the stream starts: resuming from it loses nothing.
                self.last = event.data.trim().parse().ok().or(self.last);
                continue;
            }
            if event.event != "audit" {
                continue;
            }
            let record: AuditRecord = serde_json::from_str(&event.data)
                .map_err(|e| Error::Protocol(format!("an audit event is not a record: {e}")))?;
            self.last = record.id.or(self.last);
            return Ok(Some(record));
        }
        Ok(None)
    }

    /// The id of the last record read (or the `since` it started from): where to resume.
    pub fn last_id(&self) -> Option<i64> {
        self.last
    }
}
