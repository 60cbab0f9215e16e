//! Keystone documents (policies, OAuth1 consumers, endpoint groups, domain configuration):
//! JSON text by kind and id.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;

#[async_trait]
pub trait DocumentReads: Send + Sync {
    async fn document(&self, kind: &str, id: &str) -> Result<Option<String>>;
    /// Every document of a kind, oldest first.
    async fn documents(&self, kind: &str) -> Result<Vec<String>>;
}

#[async_trait]
pub trait DocumentWrites: Send {
    /// `Conflict` when the id is taken.
    async fn create_document(
        &mut self,
        kind: &str,
        id: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// `NotFound` when there is no such document.
    async fn replace_document(&mut self, kind: &str, id: &str, body: &str) -> Result<()>;
    /// `NotFound` when there is no such document.
    async fn delete_document(&mut self, kind: &str, id: &str) -> Result<()>;
}
